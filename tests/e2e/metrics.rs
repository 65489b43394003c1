//! `/metrics` (issue 30 part 1) on both back-ends: the OpenMetrics text a
//! local Prometheus scrapes, counting what happened (requests by route
//! template and status, sign-in failures, imports, scorings, the audit
//! chain's verification) and reading state (pool, places, jobs); never
//! served through a proxy or from elsewhere without the token.

use reqwest::StatusCode;

use crate::e2e;
use crate::web::site;

/// The value of the sample `name` (labels included); 0 when there is
/// none yet (a labelled series appears at its first count).
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .map_or(0.0, |l| l.rsplit(' ').next().unwrap().parse().unwrap())
}

e2e!(a_local_scraper_sees_what_happened_and_nobody_else_does, |app| {
    let server = site(&app).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let url = format!("http://{}/metrics", server.addr);
    let scrape = || async { client.get(&url).send().await.unwrap() };
    let first = scrape().await;
    assert_eq!(first.status(), StatusCode::OK);
    assert!(first.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let before = first.text().await.unwrap();
    assert!(before.ends_with("# EOF\n"), "{before}");

    // What happens is counted (the registry is the process's: other tests
    // run alongside, so counts only grow by at least what this one did).
    assert_eq!(client.get(format!("http://{}/units/NOPE", server.addr)).send().await.unwrap().status(), StatusCode::SEE_OTHER);
    let mut guest = crate::web::Browser::new(&server);
    guest.sign_in("leader", "wrong-password-1").await;
    let file = "id,unit_code,subject,person_ref,type,occurred_on\nX2026-501,330302,unit,,penalty,2026-05-01\n";
    assert!(app.import_files(&[("dishonesty.csv", file.as_bytes())]).await.ok);
    server::scoring::score(&app.db, 2026, None, None, "test").await.unwrap();
    server::audit_review::verify(&app.db, "auditor").await.unwrap();
    let after = scrape().await.text().await.unwrap();
    let grew = |name: &str, by: f64| {
        let (b, a) = (sample(&before, name), sample(&after, name));
        assert!(a >= b + by, "{name}: {b} → {a}");
    };
    grew("zhengxin_http_requests_total{route=\"/metrics\",method=\"GET\",status=\"200\"}", 1.0);
    assert!(sample(&after, "zhengxin_http_requests_total{route=\"/units/{code}\",method=\"GET\",status=\"303\"}") >= 1.0, "a route is its template, never the path sent");
    assert!(!after.contains("NOPE"));
    grew("zhengxin_sign_in_failures_total", 1.0);
    grew("zhengxin_import_rows_total", 1.0);
    grew("zhengxin_import_duration_seconds_count", 1.0);
    grew("zhengxin_scoring_duration_seconds_count", 1.0);
    assert!(sample(&after, "zhengxin_scored_version{year=\"2026\"}") >= 1.0);
    assert_eq!(sample(&after, "zhengxin_audit_chain_intact"), 1.0);
    assert!(sample(&after, "zhengxin_audit_chain_verified_timestamp_seconds") > 1.7e9);
    assert!(sample(&after, "zhengxin_db_pool_connections") >= 1.0);
    assert_eq!(sample(&after, "zhengxin_expensive_places_in_use"), 0.0);
    assert!(after.contains("zhengxin_http_request_duration_seconds_bucket{le=\"+Inf\",route=\"/metrics\"}"));

    // Through a proxy, or with a wrong token: no such page.
    let proxied = client.get(&url).header("x-forwarded-for", "203.0.113.9").send().await.unwrap();
    assert_eq!(proxied.status(), StatusCode::NOT_FOUND);
    assert!(!proxied.text().await.unwrap().contains("zhengxin_"));
    server.stop().await;
    let server = app.serve_with(None, |c| c.metrics_token = Some("scrape-token-2026".into())).await;
    let url = format!("http://{}/metrics", server.addr);
    let wrong = client.get(&url).header("x-forwarded-for", "203.0.113.9").bearer_auth("scrape-token-2025").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    let right = client.get(&url).header("x-forwarded-for", "203.0.113.9").bearer_auth("scrape-token-2026").send().await.unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    server.stop().await;
});

/// Every series the Grafana dashboard in deploy/ draws is one the server
/// exports: a renamed metric breaks this, not the IT team's dashboard.
#[test]
fn the_grafana_dashboard_draws_only_metrics_the_server_exports() {
    let dashboard: serde_json::Value = serde_json::from_str(include_str!("../../deploy/grafana-dashboard.json")).unwrap();
    let families = server::metrics::get().families();
    let mut seen = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for (at, _) in expr.match_indices("zhengxin_") {
                let name: String = expr[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                let family = ["_total", "_bucket", "_count", "_sum"].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(&name);
                assert!(families.iter().any(|f| f == family), "{} draws {name}, which the server does not export", panel["title"]);
                seen += 1;
            }
        }
    }
    assert!(seen >= 15, "the dashboard's expressions were read ({seen})");
}
