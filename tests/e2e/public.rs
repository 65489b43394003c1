//! The public's pages, walked signed out (integrity-records.md §1): only a
//! published version is ever shown, no cookie is set, answers may be
//! cached, each address is rate-limited, and the open data say what the
//! page says.

use reqwest::StatusCode;

use crate::e2e;
use crate::web::{Browser, site};

e2e!(the_public_sees_the_published_version_and_never_a_provisional_one, |app| {
    let server = site(&app).await;
    let anyone = Browser::new(&server);
    let index = anyone.get("/public").await;
    assert_eq!(index.status, StatusCode::SEE_OTHER);
    assert_eq!(index.location(), "/public/results/2025");

    // A change after publication makes a provisional version 2.
    let report = app.import_files(&[("ratings.csv", "unit_code,year,score\n330302,2025,99\n".as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    let second = server::scoring::score(&app.db, 2025, None, None, "test").await.unwrap();
    assert_eq!(second.version.version, 2);
    assert!(second.version.published_at.is_none());
    let versions = server::scoring::results::versions(&app.db, 2025).await.unwrap();
    let published = versions.iter().find(|v| v.version == 1).unwrap();
    let stored = server::scoring::results::read_units(&app.db, published.id).await.unwrap();
    let provisional = server::scoring::results::read_units(&app.db, second.version.id).await.unwrap();
    let lucheng = |units: &[server::scoring::results::UnitResult]| units.iter().find(|u| u.unit_code == "330302").unwrap().total;
    assert_ne!(lucheng(&stored), lucheng(&provisional), "the provisional version differs");

    let page = anyone.get("/public/results/2025?group=county").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers.get("set-cookie").is_none(), "no cookie");
    assert_eq!(page.headers.get("cache-control").unwrap(), "public, max-age=300");
    assert!(page.body.contains("公示第 1 版结果"), "it says which version it shows");
    assert!(page.body.contains(&format!("{:.2}", lucheng(&stored))), "the published total");
    assert!(!page.body.contains(&format!("{:.2}", lucheng(&provisional))), "never the provisional one");
    // No record ids, no person references, no sign-in navigation.
    for hidden in ["X2025-", "C2025-", "person_ref", "退出"] {
        assert!(!page.body.contains(hidden), "{hidden}");
    }
    // A search by name, and the groups.
    let found = anyone.get(&format!("/public/results/2025?group=county&q={}", "%E7%91%9E%E5%AE%89")).await;
    assert!(found.body.contains("瑞安市") && !found.body.contains("鹿城区</th>"), "only the unit searched for");
    assert!(anyone.get("/public/results/2025?group=township").await.body.contains("五马街道"));
    assert_eq!(anyone.get("/public/results/2024").await.status, StatusCode::NOT_FOUND, "nothing published for 2024");

    // Open data: the same published version.
    let csv = anyone.get("/public/data/results-2025.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    assert!(csv.body.contains(&format!("2025,1,{},county,330302,鹿城区,{:.2}", published.published_at.unwrap().format("%Y-%m-%d %H:%M:%S"), lucheng(&stored))));
    let json: serde_json::Value = serde_json::from_slice(&anyone.get("/public/data/results-2025.json").await.bytes).unwrap();
    assert_eq!(json["version"], 1);
    let unit = json["units"].as_array().unwrap().iter().find(|u| u["unit_code"] == "330302").unwrap().clone();
    assert_eq!(unit["total"].as_f64().unwrap(), (lucheng(&stored) * 100.0).round() / 100.0);
    assert!(unit.get("points").is_none(), "no indicator points unless the rulebook discloses them");
    assert_eq!(anyone.get("/public/data/results-2024.csv").await.status, StatusCode::NOT_FOUND);
    assert_eq!(anyone.get("/public/data/records-2025.xml").await.status, StatusCode::NOT_FOUND);
    server.stop().await;
});

e2e!(each_address_is_limited_on_the_public_pages, |app| {
    let server = site(&app).await;
    let anyone = Browser::new(&server);
    let mut refused = None;
    for n in 1..=(server::http::public::PER_MINUTE + 1) {
        let page = anyone.get("/public/results/2025").await;
        if page.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some((n, page));
            break;
        }
        assert_eq!(page.status, StatusCode::OK);
    }
    let (n, page) = refused.expect("refused within the minute");
    assert_eq!(n, server::http::public::PER_MINUTE + 1, "the limit is the documented one");
    assert_eq!(page.headers.get("retry-after").unwrap(), "60");
    // Signed-in pages are not counted against it.
    assert_eq!(anyone.get("/healthz").await.status, StatusCode::OK);
    server.stop().await;
});
