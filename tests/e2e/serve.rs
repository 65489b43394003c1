//! The real HTTP server on a random port: health check, start page, and
//! demo data loaded into an empty database (and only into an empty one).

use crate::e2e;
use crate::support::{Response, TestApp};

/// The record count the start page shows for each source, in page order.
fn page_counts(page: &Response) -> Vec<i64> {
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

    let home = server.get("/").await;
    assert_eq!(home.status, 200);
    assert_eq!(home.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(
        home.body.contains("<html lang=\"zh-CN\">") && home.body.contains("12345热线工单"),
        "{}",
        home.body
    );
    let shown = page_counts(&home);
    assert_eq!(shown.len(), server::sources::ALL.len(), "{}", home.body);
    assert!(shown.iter().all(|&n| n > 0), "every source has demo records: {shown:?}");
    assert_eq!(shown, stored_counts(&app).await);
    assert_eq!(shown[0] as usize, seeds::units::reference_units().len());

    // Each variant really runs on its own back-end.
    let backend = match app.backend {
        crate::support::Backend::Sqlite => "sqlite",
        crate::support::Backend::Postgres => "postgres",
    };
    assert!(home.body.contains(&format!("数据库：{backend}")), "{}", home.body);

    let english = server.get("/?lang=en").await;
    assert!(english.body.contains("12345 hotline tickets"), "{}", english.body);
    server.stop().await;
});

e2e!(without_demo_data_the_server_starts_empty, |app| {
    let server = app.serve(None).await;
    server.ready().await;
    assert_eq!(server.get("/healthz").await.body, "ok");
    let home = server.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("尚未导入任何数据"), "{}", home.body);
    assert!(page_counts(&home).is_empty());
    assert_eq!(home.header("x-frame-options"), Some("DENY"));
    server.stop().await;
    assert!(stored_counts(&app).await.iter().all(|&n| n == 0));
});

e2e!(a_database_with_data_is_not_seeded, |app| {
    app.import_examples().await;
    let before = app.fingerprint().await;
    let examples = stored_counts(&app).await;
    let server = app.serve(Some(0.01)).await;
    server.ready().await;
    let home = server.get("/").await;
    assert_eq!(page_counts(&home), examples);
    assert_eq!(examples[0], 8);
    server.stop().await;
    assert_eq!(app.fingerprint().await, before);
});

e2e!(unknown_paths_are_404, |app| {
    let server = app.serve(None).await;
    server.ready().await;
    assert_eq!(server.get("/no-such-page").await.status, 404);
    server.stop().await;
});
