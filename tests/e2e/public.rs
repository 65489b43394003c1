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
    assert_eq!(anyone.get("/public/").await.location(), "/public/results/2025", "with its slash too");

    // A change after publication makes a provisional version 2.
    let report = app.import_files(&[("ratings.csv", "unit_code,year,score\n330302,2025,99\n".as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    let second = server::scoring::score(&app.db, 2025, None, None, "test").await.unwrap();
    assert_eq!(second.version.version, 2);
    assert!(second.version.published_at.is_none());
    let versions = server::db::results::versions(&app.db, 2025).await.unwrap();
    let published = versions.iter().find(|v| v.version == 1).unwrap();
    let stored = server::db::results::units(&app.db, published.id).await.unwrap();
    let provisional = server::db::results::units(&app.db, second.version.id).await.unwrap();
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
    let missing = anyone.get("/public/results/2024").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "nothing published for 2024");
    assert_eq!(missing.headers.get("cache-control").unwrap(), "no-store", "a failure is not kept");

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

e2e!(only_bodies_records_within_their_period_are_disclosed_and_never_a_voided_one, |app| {
    // The clock reads 2026-11-25. Of the examples, only 瑞安市's court
    // listing X2025-003 (not rectified) is within its period: the penalty of
    // 2025-04-12 ended on 2026-04-12, the listing rectified on 2025-07-15
    // one year later; X2025-004 and X2025-005 are persons' records.
    let server = site(&app).await;
    let anyone = Browser::new(&server);
    let page = anyone.get("/public/records").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers.get("set-cookie").is_none());
    let table = &page.body[page.body.find("<tbody>").expect("a list")..page.body.find("</tbody>").unwrap()];
    assert_eq!(table.matches("<tr>").count(), 1, "one record: {table}");
    for shown in ["瑞安市", "失信被执行人", "2025-06-01", "整改中", "2025-09-30"] {
        assert!(table.contains(shown), "{shown}");
    }
    for never in ["X2025-", "P-7f3a91c2", "P-0b44e6d1", "鹿城区", "龙湾区", "温州市财政局", "五马街道"] {
        assert!(!page.body.contains(never), "{never} is not disclosed");
    }
    let json: serde_json::Value = serde_json::from_slice(&anyone.get("/public/data/records.json").await.bytes).unwrap();
    assert_eq!(json["records"].as_array().unwrap().len(), 1);
    assert_eq!(json["records"][0]["unit_code"], "330381");
    assert_eq!(json["records"][0]["status"], "rectifying");
    assert!(json["records"][0].get("id").is_none(), "never a record id");
    let csv = anyone.get("/public/data/records.csv").await;
    assert!(csv.body.contains("330381,瑞安市,court_listing,2025-06-01,rectifying,2025-09-30"));
    assert!(!csv.body.contains("X2025-"));

    // A penalty imported as already reduced had no repair application: it
    // is not 已修复, and what it is is named.
    let reduced = "id,unit_code,subject,person_ref,type,occurred_on,rectify_deadline,rectified_on,mitigation\n\
        X2026-901,330303,unit,,penalty,2026-06-01,,,reduced\n";
    assert!(app.import_files(&[("dishonesty.csv", reduced.as_bytes())]).await.ok);
    let page = anyone.get("/public/records").await.body;
    let row = &page[page.find("龙湾区").expect("龙湾区's penalty is disclosed")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("整改中（认定时从轻处理）") && !row.contains("已修复"), "{row}");

    // An accepted objection voids the record: it is disclosed no more.
    use server::auth::{Role, User};
    let ruian = User { id: 0, username: "ruian".into(), role: Role::Unit, unit_code: Some("330381".into()) };
    let assessor = User { id: 0, username: "assessor".into(), role: Role::Assessor, unit_code: None };
    let id = server::objections::file(&app.db, &ruian, "dishonesty", "X2025-003", "已履行").await.unwrap();
    server::objections::decide(&app.db, &assessor, id, true, "法院已撤销").await.unwrap();
    let after = anyone.get("/public/records").await;
    assert!(!after.body.contains("瑞安市") && after.body.contains("龙湾区"), "voided: not disclosed");
    server.stop().await;
});

e2e!(indicator_points_are_public_only_where_the_rulebook_says_so, |app| {
    app.import_examples().await;
    let text = format!("{}\n[disclosure]\nresults_detail = true\n", seeds::rulebooks::text(2025).unwrap());
    let rules = analytics::rulebook::Rulebook::parse_for(&text, 2025).unwrap();
    assert!(rules.disclosure.results_detail);
    server::scoring::score(&app.db, 2025, None, Some(rules), "test").await.unwrap();
    server::scoring::publish(&app.db, 2025, None, "test").await.unwrap();
    let server = app.serve(None).await;
    server.ready().await;
    let anyone = Browser::new(&server);
    let page = anyone.get("/public/results/2025?group=county").await;
    assert!(page.body.contains("<th scope=\"col\">失信记录</th>"), "indicator columns");
    let json: serde_json::Value = serde_json::from_slice(&anyone.get("/public/data/results-2025.json").await.bytes).unwrap();
    let lucheng = json["units"].as_array().unwrap().iter().find(|u| u["unit_code"] == "330302").unwrap().clone();
    let version = server::scoring::results::default_version(&server::db::results::versions(&app.db, 2025).await.unwrap()).unwrap().clone();
    let stored = server::db::results::indicators(&app.db, version.id, Some("330302")).await.unwrap();
    let dishonesty = stored.iter().find(|i| i.indicator == "dishonesty").unwrap();
    assert_eq!(lucheng["points"]["dishonesty"].as_f64(), dishonesty.points, "the stored points");
    let csv = anyone.get("/public/data/results-2025.csv").await;
    assert!(csv.body.lines().next().unwrap().ends_with(",dishonesty,public_rating"), "a column per indicator");
    server.stop().await;
});
