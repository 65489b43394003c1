//! Supervision of rectification (integrity-records.md §3): a unit sees its
//! own open deadlines first thing after signing in, most urgent first.

use reqwest::StatusCode;
use server::auth::{Role, User};

use crate::e2e;
use crate::web::{Browser, site};

e2e!(a_unit_sees_its_own_open_deadlines_first_most_urgent_first, |app| {
    let server = site(&app).await;
    // The clock reads 2026-11-25.
    let file = "id,unit_code,subject,person_ref,type,occurred_on,rectify_deadline,rectified_on,mitigation\n\
        X2026-101,330302,unit,,court_listing,2026-10-01,2026-12-10,,none\n\
        X2026-102,330302,unit,,court_listing,2026-06-01,2026-11-01,,none\n\
        X2026-103,330302,unit,,court_listing,2026-05-01,2026-08-01,2026-07-20,none\n\
        X2026-104,330302,unit,,court_listing,2026-05-01,2026-09-01,,none\n\
        X2026-105,330303,unit,,court_listing,2026-05-01,2026-12-01,,none\n";
    let report = app.import_files(&[("dishonesty.csv", file.as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    let unit = User { id: 0, username: "lucheng".into(), role: Role::Unit, unit_code: Some("330302".into()) };
    let assessor = User { id: 0, username: "assessor".into(), role: Role::Assessor, unit_code: None };
    let id = server::objections::file(&app.db, &unit, "dishonesty", "X2026-104", "已撤销").await.unwrap();
    server::objections::decide(&app.db, &assessor, id, true, "法院已撤销").await.unwrap();

    let lucheng = Browser::signed_in(&server, "lucheng").await;
    let page = lucheng.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    let start = page.body.find("本单位待整改事项 (2)").expect("the box, with its two open deadlines");
    assert!(start < page.body.find("<h1>").unwrap(), "first on the page");
    let table = &page.body[start..start + page.body[start..].find("</table>").unwrap()];
    let overdue = table.find("X2026-102").expect("the overdue one");
    let soon = table.find("X2026-101").expect("the one due soon");
    assert!(overdue < soon, "most urgent first");
    assert!(table.contains("已逾期 24 天") && table.contains("还剩 15 天"), "{table}");
    for not_listed in ["X2026-103", "X2026-104", "X2026-105", "X2025-003"] {
        assert!(!table.contains(not_listed), "{not_listed}: rectified, voided or another unit's");
    }
    // Leadership's overview carries no such box.
    let leader = Browser::signed_in(&server, "leader").await;
    assert!(!leader.get("/").await.body.contains("本单位待整改事项"));
    server.stop().await;
});
