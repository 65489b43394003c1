//! Credit repair (integrity-records.md §2) through the web, on both
//! back-ends: a unit applies with evidence checked by content, the
//! assessment team decides, and an accepted repair changes later scorings
//! (never a published version), disclosure and supervision, while a veto
//! stays for an as_of before the repair's rectified date.

use reqwest::StatusCode;
use server::auth::Role;

use crate::e2e;
use crate::scoring::{points, unit};
use crate::support::TestApp;
use crate::web::{Browser, PASSWORD, hidden, site};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.scalar(sql).await.parse().unwrap()
}

e2e!(a_unit_applies_with_evidence_and_an_accepted_repair_changes_later_scorings_only, |app| {
    let server = site(&app).await;
    server::auth::users::add(&app.db, "longwan", Role::Unit, Some("330303"), PASSWORD, "test").await.unwrap();
    let lucheng = Browser::signed_in(&server, "lucheng").await;
    let page = lucheng.get("/repairs").await;
    assert_eq!(page.status, StatusCode::OK);
    // Its penalty (reduced) may be repaired; its other record is a
    // township's, and nobody else's record is offered.
    assert!(page.body.contains("option value=\"X2025-001\""), "{}", page.body);
    assert!(!page.body.contains("X2025-003") && !page.body.contains("X2025-002"));
    let csrf = hidden(&page.body, "csrf");
    let fields = |statement: &'static str, rectified: &'static str| vec![("csrf", csrf.clone()), ("record_id", "X2025-001".to_string()), ("statement", statement.to_string()), ("rectified_on", rectified.to_string())];
    let send = |fields: Vec<(&'static str, String)>, files: Vec<(&'static str, &'static str, &'static [u8])>| {
        let lucheng = &lucheng;
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            lucheng.post_multipart("/repairs", &f, &files).await
        }
    };

    // Refused, each with its reason, and nothing stored.
    let html = send(fields("已缴纳罚款", ""), vec![("files", "整改报告.pdf", b"<html><script>alert(1)</script>")]).await;
    assert_eq!(html.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.body.contains("整改报告.pdf：不是 PDF、JPEG 或 PNG 文件"), "{}", html.body);
    assert!(html.body.contains("已缴纳罚款"), "what was typed is kept");
    let none = send(fields("已缴纳罚款", ""), vec![]).await;
    assert!(none.status == StatusCode::UNPROCESSABLE_ENTITY && none.body.contains("请上传至少一份证明材料"));
    let dated = send(fields("已缴纳罚款", "2026-01-05"), vec![("files", "a.pdf", PDF)]).await;
    assert!(dated.status == StatusCode::UNPROCESSABLE_ENTITY && dated.body.contains("记录 X2025-001 不是失信被执行人记录，也没有整改期限，不需要填写整改完成日期：请清空“整改完成日期”一栏后再提交"), "{}", dated.body);
    let typo = send(fields("已缴纳罚款", "2026/1/5"), vec![("files", "a.pdf", PDF)]).await;
    assert!(typo.status == StatusCode::UNPROCESSABLE_ENTITY && typo.body.contains("整改完成日期“2026/1/5”不是有效日期：请按“年-月-日”填写，例如 2026-01-05"), "{}", typo.body);
    let long: &'static str = Box::leak("字".repeat(2001).into_boxed_str());
    let too_long = send(fields(long, ""), vec![("files", "a.pdf", PDF)]).await;
    assert!(too_long.status == StatusCode::UNPROCESSABLE_ENTITY && too_long.body.contains("不超过 2000 字"));
    let six: Vec<(&str, &str, &[u8])> = (0..6).map(|_| ("files", "a.pdf", PDF)).collect();
    let many = send(fields("已缴纳罚款", ""), six).await;
    assert!(many.status == StatusCode::UNPROCESSABLE_ENTITY && many.body.contains("证明材料最多 5 份"));
    let big: &'static [u8] = Box::leak([PDF, &vec![b' '; 10 * 1024 * 1024]].concat().into_boxed_slice());
    let huge = send(fields("已缴纳罚款", ""), vec![("files", "扫描件.pdf", big)]).await;
    assert!(huge.status == StatusCode::UNPROCESSABLE_ENTITY && huge.body.contains("扫描件.pdf：超过 10 MB"), "{}", huge.status);
    assert_eq!(count(&app, "SELECT CAST(COUNT(*) AS TEXT) FROM repairs").await, 0);
    assert_eq!(count(&app, "SELECT CAST(COUNT(*) AS TEXT) FROM repair_evidence").await, 0);

    // Applied: a PDF and a PNG (named .jpg: the content decides).
    let ok = send(fields("已于2026年1月缴纳全部罚款并完成整改。", ""), vec![("files", "缴款凭证.pdf", PDF), ("files", "现场照片.jpg", PNG)]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let id = ok.location().trim_start_matches("/repairs/").to_string();
    let again = send(fields("再次申请", ""), vec![("files", "a.pdf", PDF)]).await;
    assert!(again.status == StatusCode::UNPROCESSABLE_ENTITY && again.body.contains("已有待处理的修复申请"), "{} {}", again.status, again.body);
    let mine = lucheng.get(&format!("/repairs/{id}")).await;
    assert!(mine.body.contains("已于2026年1月缴纳全部罚款并完成整改。") && mine.body.contains("待处理"));
    let evidence = lucheng.get(&format!("/repairs/{id}/evidence/2")).await;
    assert_eq!(evidence.status, StatusCode::OK);
    assert_eq!(evidence.bytes, PNG);
    assert_eq!(evidence.headers.get("content-type").unwrap(), "image/png");
    assert!(evidence.headers.get("content-disposition").unwrap().to_str().unwrap().starts_with("attachment"));

    // Evidence only for the assessment team and the applying unit.
    let longwan = Browser::signed_in(&server, "longwan").await;
    assert_eq!(longwan.get(&format!("/repairs/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(longwan.get(&format!("/repairs/{id}/evidence/1")).await.status, StatusCode::NOT_FOUND);
    assert!(!longwan.get("/repairs").await.body.contains("X2025-001"));
    let leader = Browser::signed_in(&server, "leader").await;
    assert_eq!(leader.get(&format!("/repairs/{id}/evidence/1")).await.status, StatusCode::FORBIDDEN);

    // The assessment team decides: a reason is required; then exempt.
    let assessor = Browser::signed_in(&server, "assessor").await;
    let list = assessor.get("/repairs").await;
    assert!(list.body.contains("X2025-001") && list.body.contains("鹿城区"));
    let csrf = hidden(&assessor.get(&format!("/repairs/{id}")).await.body, "csrf");
    let decide = format!("/repairs/{id}/decide");
    let blank = assessor.post(&decide, &[("csrf", &csrf), ("decision", "accept"), ("mitigation", "exempt"), ("reason", " ")], None).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    let v1 = server::db::results::versions(&app.db, 2025).await.unwrap().into_iter().find(|v| v.version == 1).unwrap();
    assert_eq!(points(&app, v1.id, "330302", "dishonesty").await, Some(14.0), "a reduced penalty: 15 − 2 × 0.5");
    // Times are kept to the second, and a decision stamped with the second
    // a version was computed in counts as one it saw: decide a second later.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let accepted = assessor.post(&decide, &[("csrf", &csrf), ("decision", "accept"), ("mitigation", "exempt"), ("reason", "罚款已缴清，整改到位")], None).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    let shown = lucheng.get(&format!("/repairs/{id}")).await;
    assert!(shown.body.contains("已同意修复") && shown.body.contains("罚款已缴清，整改到位"));
    // Decided once: deciding again finds nothing open.
    let twice = assessor.post(&decide, &[("csrf", &csrf), ("decision", "reject"), ("reason", "x")], None).await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);

    // The audit log keeps both values, who decided and why.
    let audit = app.text_rows("SELECT actor, action, detail FROM audit_log WHERE entity = 'repairs' ORDER BY id").await;
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!((audit[0][0].as_str(), audit[0][1].as_str()), ("lucheng", "repair_apply"));
    assert_eq!((audit[1][0].as_str(), audit[1][1].as_str()), ("assessor", "repair_accepted"));
    assert!(audit[1][2].contains("[\"reduced\",\"exempt\"]") && audit[1][2].contains("罚款已缴清"), "{}", audit[1][2]);

    // The published version is unchanged and still reproduces; the next
    // scoring sees the repair; the imported record is as imported.
    let again = server::scoring::score(&app.db, 2025, None, None, "test").await.unwrap();
    assert!(again.created, "the repair changed the inputs");
    assert_eq!(points(&app, again.version.id, "330302", "dishonesty").await, Some(15.0), "exempt: no deduction");
    assert_eq!(points(&app, v1.id, "330302", "dishonesty").await, Some(14.0));
    assert!(server::scoring::verify(&app.db, &v1).await.unwrap());
    let reproduction = server::scoring::reproduce(&app.db, &v1).await.unwrap();
    assert!(reproduction.reproduces && !reproduction.unexplained(), "{reproduction:?}");
    assert_eq!(app.scalar("SELECT mitigation FROM dishonesty_records WHERE id = 'X2025-001'").await, "reduced");
    // Exempt now: nothing more to repair for this record.
    assert!(!lucheng.get("/repairs").await.body.contains("option value=\"X2025-001\""));
    server.stop().await;
});

e2e!(a_repaired_court_listing_keeps_its_veto_before_its_rectified_date_and_leaves_supervision, |app| {
    let server = site(&app).await;
    server::auth::users::add(&app.db, "ruian", Role::Unit, Some("330381"), PASSWORD, "test").await.unwrap();
    let today = server::clock::now_cst().date();
    let shown = |records: &[server::disclosure::DisclosedRecord]| records.iter().any(|r| r.unit_code == "330381");
    assert!(shown(&server::disclosure::records(&app.db, today).await.unwrap()), "an active listing is disclosed");
    let open = |d: &[server::supervision::OpenDeadline]| d.iter().any(|d| d.record_id == "X2025-003");
    assert!(open(&server::supervision::open_deadlines(&app.db, None, today).await.unwrap()));

    let ruian = Browser::signed_in(&server, "ruian").await;
    let csrf = hidden(&ruian.get("/repairs").await.body, "csrf");
    let apply = |rectified: &'static str| {
        let (ruian, csrf) = (&ruian, csrf.clone());
        async move {
            ruian
                .post_multipart("/repairs", &[("csrf", &csrf), ("record_id", "X2025-003"), ("statement", "已履行判决义务，法院已移出名单"), ("rectified_on", rectified)], &[("files", "决定书.pdf", PDF)])
                .await
        }
    };
    let undated = apply("").await;
    assert!(undated.status == StatusCode::UNPROCESSABLE_ENTITY && undated.body.contains("请填写整改完成（移出名单）日期"));
    let future = apply("2027-01-01").await;
    assert!(future.status == StatusCode::UNPROCESSABLE_ENTITY && future.body.contains("整改完成日期 2027-01-01 晚于今天（2026-11-25）"), "{}", future.body);
    let early = apply("2025-01-01").await;
    assert!(early.status == StatusCode::UNPROCESSABLE_ENTITY && early.body.contains("整改完成日期 2025-01-01 早于该记录的认定日期 2025-06-01：应在 2025-06-01 至今天（2026-11-25）之间"), "{}", early.body);
    let ok = apply("2026-01-20").await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let id: i64 = ok.location().trim_start_matches("/repairs/").parse().unwrap();
    let assessor = server::auth::User { id: 0, username: "assessor".into(), role: Role::Assessor, unit_code: None };
    let decision = server::repairs::Decision::Accept { mitigation: analytics::domain::Mitigation::Reduced, rectified_on: None };
    server::repairs::decide(&app.db, &assessor, id, decision, "法院决定书核实无误").await.unwrap();

    // 2025 as of its end: rectified only in 2026, so still vetoed.
    let v2 = server::scoring::score(&app.db, 2025, None, None, "test").await.unwrap().version;
    let ruian_2025 = unit(&app, v2.id, "330381").await;
    assert!(ruian_2025.vetoed, "a repair never lifts a veto for an as_of before its rectified_on");
    assert_eq!(ruian_2025.grade.code(), "fail");
    // As of a day after the rectified date, the listing no longer vetoes.
    let later = chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
    let v3 = server::scoring::score(&app.db, 2026, Some(later), None, "test").await.unwrap().version;
    assert!(!unit(&app, v3.id, "330381").await.vetoed);

    // Disclosure ends on the decision; the deadline leaves supervision.
    let tomorrow = today.succ_opt().unwrap();
    assert!(!shown(&server::disclosure::records(&app.db, tomorrow).await.unwrap()));
    assert!(!open(&server::supervision::open_deadlines(&app.db, None, today).await.unwrap()));
    server.stop().await;
});

e2e!(a_later_repair_keeps_an_earlier_date_a_deadline_is_closed_by_its_date_and_a_voided_record_is_not_repaired, |app| {
    app.import_examples().await;
    // The clock reads 2026-11-25. X2026-401: a penalty of 瑞安市 with an
    // overdue rectification deadline; X2026-402: a judgment it objects to.
    let file = "id,unit_code,subject,person_ref,type,occurred_on,rectify_deadline,rectified_on,mitigation\n\
        X2026-401,330381,unit,,penalty,2026-03-01,2026-06-30,,none\n\
        X2026-402,330381,unit,,judgment,2026-04-01,,,none\n";
    assert!(app.import_files(&[("dishonesty.csv", file.as_bytes())]).await.ok);
    let unit = server::auth::User { id: 0, username: "ruian".into(), role: Role::Unit, unit_code: Some("330381".into()) };
    let assessor = server::auth::User { id: 0, username: "assessor".into(), role: Role::Assessor, unit_code: None };
    let pdf = || vec![server::repairs::Upload { file_name: "a.pdf".into(), bytes: PDF.to_vec() }];
    let apply = |record: &str, rectified_on: Option<&str>| server::repairs::Application {
        record_id: record.into(),
        statement: "已整改".into(),
        rectified_on: rectified_on.map(|d| d.parse().unwrap()),
        files: pdf(),
    };
    use analytics::domain::Mitigation::{Exempt, Reduced};
    use server::repairs::Decision::Accept;
    let day = |d: &str| Some(d.parse::<chrono::NaiveDate>().unwrap());

    // The listing: reduced with its date, then exempt without one.
    let first = server::repairs::apply(&app.db, &unit, apply("X2025-003", Some("2026-01-20"))).await.unwrap();
    server::repairs::decide(&app.db, &assessor, first, Accept { mitigation: Reduced, rectified_on: None }, "核实").await.unwrap();
    let second = server::repairs::apply(&app.db, &unit, apply("X2025-003", None)).await.unwrap();
    server::repairs::decide(&app.db, &assessor, second, Accept { mitigation: Exempt, rectified_on: None }, "再次核实").await.unwrap();
    let now = server::repairs::effective(&app.db).await.unwrap();
    let listing = now.get("X2025-003").unwrap();
    assert_eq!((listing.mitigation.code(), listing.rectified_on), ("exempt", day("2026-01-20")), "the date is kept");
    let later = chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
    let v = server::scoring::score(&app.db, 2026, Some(later), None, "test").await.unwrap().version;
    assert!(!crate::scoring::unit(&app, v.id, "330381").await.vetoed, "still rectified after the second repair");
    // Exempt now: a third application is refused.
    assert!(matches!(server::repairs::apply(&app.db, &unit, apply("X2025-003", None)).await, Err(server::repairs::RepairError::Refused(server::repairs::Refusal::AlreadyExempt))));

    // A penalty with a deadline: its repair's date closes the deadline.
    let today = server::clock::now_cst().date();
    let open = || async { server::supervision::open_deadlines(&app.db, Some("330381"), today).await.unwrap().into_iter().map(|d| d.record_id).collect::<Vec<_>>() };
    assert!(open().await.contains(&"X2026-401".to_string()));
    let id = server::repairs::apply(&app.db, &unit, apply("X2026-401", Some("2026-07-10"))).await.unwrap();
    server::repairs::decide(&app.db, &assessor, id, Accept { mitigation: Reduced, rectified_on: None }, "已整改").await.unwrap();
    assert!(!open().await.contains(&"X2026-401".to_string()));
    // A judgment without a deadline takes no date.
    assert!(matches!(server::repairs::apply(&app.db, &unit, apply("X2026-402", Some("2026-07-10"))).await, Err(server::repairs::RepairError::Refused(server::repairs::Refusal::TakesNoDate { .. }))));

    // An objection accepted while a repair is open: the repair cannot be
    // accepted any more.
    let pending = server::repairs::apply(&app.db, &unit, apply("X2026-402", None)).await.unwrap();
    let objection = server::objections::file(&app.db, &unit, "dishonesty", "X2026-402", "判决已撤销").await.unwrap();
    server::objections::decide(&app.db, &assessor, objection, true, "判决已撤销").await.unwrap();
    let refused = server::repairs::decide(&app.db, &assessor, pending, Accept { mitigation: Exempt, rectified_on: None }, "x").await;
    assert!(matches!(refused, Err(server::repairs::RepairError::Refused(server::repairs::Refusal::Voided))));
});
