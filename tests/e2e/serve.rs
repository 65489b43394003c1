//! The real HTTP server on a random port: health check, start page, and
//! demo data loaded into an empty database (and only into an empty one).

use crate::e2e;
use crate::support::TestApp;
use crate::web::{Browser, Page};

/// The record count the data page shows for each source, in page order.
fn page_counts(page: &Page) -> Vec<i64> {
    page.body
        .split("<td class=\"num\">")
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap().parse().expect("a count"))
        .collect()
}

async fn stored_counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for spec in server::sources::ALL {
        counts.push(app.db.count(spec.table).await.unwrap());
    }
    counts
}

e2e!(an_empty_database_gets_the_demo_data, |app| {
    let server = app.serve(Some(0.01)).await;
    server.ready().await;
    let health = server.get("/healthz").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));

    // Pages need signing in; the demo brings one account per role.
    let mut browser = Browser::new(&server);
    assert_eq!(browser.get("/").await.location(), "/login?next=/");
    // A demo install says so on every page, the sign-in form included.
    let form = browser.get("/login").await;
    assert!(form.body.contains("<body><div class=\"demo\" role=\"note\">演示数据"), "{}", form.body);
    let signed = browser.sign_in("leader", server::demo::DEMO_PASSWORD).await;
    assert_eq!(signed.status, 303);
    let data = browser.get("/data").await;
    assert_eq!(data.status, 200);
    assert_eq!(data.headers.get("content-type").unwrap(), "text/html; charset=utf-8");
    assert!(data.body.contains("<html lang=\"zh-CN\">") && data.body.contains("12345热线工单"), "{}", data.body);
    let shown = page_counts(&data);
    assert_eq!(shown.len(), server::sources::ALL.len(), "{}", data.body);
    assert!(shown.iter().all(|&n| n > 0), "every source has demo records: {shown:?}");
    assert_eq!(shown, stored_counts(&app).await);
    assert_eq!(shown[0] as usize, seeds::units::reference_units().len());

    // Each variant really runs on its own back-end.
    let backend = match app.backend {
        crate::support::Backend::Sqlite => "sqlite",
        crate::support::Backend::Postgres => "postgres",
    };
    assert!(data.body.contains(&format!("数据库：{backend}")), "{}", data.body);
    let english = browser.get("/data?lang=en").await;
    assert!(english.body.contains("12345 hotline tickets"), "{}", english.body);
    assert!(english.body.contains("Demo data: the records are generated"), "{}", english.body);

    // Every demo year is scored; the finished ones are published.
    let until = server::clock::now_cst();
    for year in seeds::demo::YEARS {
        let versions = server::db::results::versions(&app.db, year).await.unwrap();
        assert_eq!(versions.len(), 1, "{year} is scored");
        assert_eq!(versions[0].published_at.is_some(), year < chrono::Datelike::year(&until), "{year}");
    }
    let overview = browser.get("/").await;
    assert_eq!(overview.status, 200);
    assert!(overview.body.contains("已发布"), "the overview shows the latest published year");
    for (name, _, _) in server::demo::DEMO_ACCOUNTS {
        let mut b = Browser::new(&server);
        assert_eq!(b.sign_in(name, server::demo::DEMO_PASSWORD).await.status, 303, "{name}");
    }
    server.stop().await;
});

e2e!(without_demo_data_the_server_starts_empty, |app| {
    let server = app.serve(None).await;
    server.ready().await;
    assert_eq!(server.get("/healthz").await.body, "ok");
    let login = server.get("/login").await;
    assert_eq!(login.status, 200);
    assert_eq!(login.header("x-frame-options"), Some("DENY"));
    assert!(!login.body.contains("演示数据"), "no demo banner without demo data");
    assert_eq!(server.get("/").await.status, 303, "no page without signing in");
    server.stop().await;
    assert!(stored_counts(&app).await.iter().all(|&n| n == 0));
    assert_eq!(app.db.count("users").await.unwrap(), 0, "no demo accounts without demo data");
});

e2e!(a_database_with_data_is_not_seeded, |app| {
    app.import_examples().await;
    let before = app.fingerprint().await;
    let server = app.serve(Some(0.01)).await;
    server.ready().await;
    assert_eq!(server.get("/healthz").await.body, "ok");
    server.stop().await;
    assert_eq!(app.fingerprint().await, before);
    assert_eq!(app.db.count("users").await.unwrap(), 0);
    assert_eq!(app.db.count("result_versions").await.unwrap(), 0);
});

e2e!(unknown_paths_are_404, |app| {
    let server = app.serve(None).await;
    server.ready().await;
    assert_eq!(server.get("/no-such-page").await.status, 404);
    server.stop().await;
});

/// `--log-format json` (issue 30 part 5): one JSON object a line; each
/// request's lines carry its id (also the response's `X-Request-Id`), its
/// method, its path and the signed-in account, and never a person's
/// reference, even when the path held one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_request_id_and_the_account_and_no_person() {
    let app = TestApp::new(crate::support::Backend::Sqlite).await;
    crate::web::site(&app).await.stop().await;
    let in_a_year = server::clock::now_cst() + chrono::Duration::days(365);
    let token = server::auth::tokens::create(&app.db, "personnel", "hr", in_a_year, "test").await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = crate::support::binary()
        .args(["--log-format", "json", "--database-url", &app.url, "serve", "--bind", &format!("127.0.0.1:{port}"), "--no-demo"])
        .env(server::db::audit::key::SETTING, app.key_file())
        .env(server::db::seal::key::SETTING, app.data_key_file())
        .env("RUST_LOG", "info,tower_http=debug")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let r = client.get(format!("{base}/api/v1/persons/P-0b44e6d1/check?purpose=award")).bearer_auth(&token.token).send().await;
    let mut child = child;
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let logs = String::from_utf8(output.stderr).unwrap();
    assert!(up, "the server did not start:\n{logs}");
    let r = r.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let lines: Vec<serde_json::Value> = logs.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    let finished = lines
        .iter()
        .find(|l| l["span"]["request_id"] == id.as_str() && l["message"] == "finished processing request")
        .unwrap_or_else(|| panic!("no line of request {id}:\n{logs}"));
    assert_eq!(finished["span"]["user"], "personnel");
    assert_eq!(finished["span"]["method"], "GET");
    assert_eq!(finished["span"]["path"], "/api/v1/persons/…/check");
    assert!(finished["level"].is_string() && finished["timestamp"].is_string(), "{finished}");
    assert!(!logs.contains("P-0b44e6d1"), "a person reference reached the log:\n{logs}");
    let other = lines.iter().filter_map(|l| l["span"]["request_id"].as_str()).find(|r| *r != id);
    assert!(other.is_some(), "each request has its own id (the health checks'):\n{logs}");
    app.cleanup().await;
}
