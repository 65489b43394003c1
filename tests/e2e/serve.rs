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
