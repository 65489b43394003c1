//! Supervision of rectification (integrity-records.md §3): a unit sees its
//! own open deadlines first thing after signing in, most urgent first.

use reqwest::StatusCode;
use server::auth::{Role, User};

use crate::e2e;
use crate::web::{Browser, hidden, site};

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

e2e!(the_board_rolls_up_filters_downloads_and_an_issued_notice_comes_back_byte_for_byte, |app| {
    let server = site(&app).await;
    // The clock reads 2026-11-25. 安阳街道 is 瑞安市's township; 财政局 a
    // department; X2026-305 a person's record (never in the notice).
    let file = "id,unit_code,subject,person_ref,type,occurred_on,rectify_deadline,rectified_on,mitigation\n\
        X2026-301,330381001,unit,,penalty,2026-03-01,2026-08-01,,none\n\
        X2026-302,330381001,unit,,judgment,2026-09-01,2026-12-10,,none\n\
        X2026-303,D010,unit,,court_listing,2026-10-01,2026-11-20,,none\n\
        X2026-304,D010,unit,,penalty,2026-10-01,2027-03-01,,none\n\
        X2026-305,D002,person,P-1234abcd,discipline,2026-06-01,2026-07-01,,none\n";
    let report = app.import_files(&[("dishonesty.csv", file.as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    let leader = Browser::signed_in(&server, "leader").await;
    let page = leader.get("/supervision").await;
    assert_eq!(page.status, StatusCode::OK);
    // 瑞安市: X2025-003 (> 90 days overdue) and its township's two (one
    // 116 days overdue, one due in 15): 2 / 0 / 1 / 0, 3 in all.
    let row = |body: &str, name: &str| -> Vec<String> {
        let start = body.find(&format!(">{name}</a></th>")).unwrap_or_else(|| panic!("{name}'s rollup"));
        let end = start + body[start..].find("</tr>").unwrap();
        body[start..end].split("<td").skip(1).map(|c| c[c.find('>').unwrap() + 1..c.find("</td>").unwrap()].to_string()).collect()
    };
    assert_eq!(row(&page.body, "瑞安市"), ["2", "0", "1", "0", "3"]);
    assert_eq!(row(&page.body, "温州市财政局"), ["0", "1", "0", "1", "2"]);
    assert_eq!(row(&page.body, "温州市发展和改革委员会"), ["1", "0", "0", "0", "1"]);
    assert!(!page.body.contains("P-1234abcd"), "a person's record shows its unit only");
    let long = leader.get("/supervision?band=overdue_90").await;
    assert!(long.body.contains("X2025-003") && long.body.contains("X2026-301") && !long.body.contains("X2026-303"));
    let area = leader.get("/supervision?area=D010&kind=court_listing").await;
    assert!(area.body.contains("X2026-303") && !area.body.contains("X2026-304") && !area.body.contains("X2025-003"));
    assert_eq!(leader.get("/supervision?band=someday").await.status, StatusCode::BAD_REQUEST);
    let csv = leader.get("/supervision/deadlines.csv?area=330381").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let lines: Vec<&str> = csv.body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 4, "header and 瑞安市's three: {lines:?}");
    assert!(lines[1].starts_with("330381,瑞安市,330381,瑞安市,X2025-003,失信被执行人,单位,2025-06-01,2025-09-30,-421,"), "{}", lines[1]);
    let xlsx = leader.get("/supervision/deadlines.xlsx").await;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.bytes.clone())).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range("待整改记录").unwrap();
    assert_eq!(sheet.height(), 1 + 6, "one header row and every open deadline");
    assert_eq!(sheet.get((0, 0)), Some(&calamine::Data::String("单位编码".into())), "Chinese titles; the English names are the CSV's");
    // Printed as the result workbook is: one A4 landscape page for six
    // rows, its header from the first column to the last (督办等级).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deadlines.xlsx");
    std::fs::write(&file, &xlsx.bytes).unwrap();
    let pages = crate::reports::pages(&crate::reports::print_workbook(&file, dir.path()));
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert!(pages[0].contains("单位编码") && pages[0].contains("督办") && pages[0].contains("第1页共1页"), "{}", pages[0]);
    assert_eq!(crate::reports::snake_case(&pages[0]), None, "{}", pages[0]);

    // A notice: drafted by anyone who sees the board, issued by the team.
    let csrf = hidden(&leader.get("/supervision").await.body, "csrf");
    assert_eq!(leader.post("/supervision/notices", &[("csrf", &csrf), ("as_of", "2026-11-25")], None).await.status, StatusCode::FORBIDDEN);
    let assessor = Browser::signed_in(&server, "assessor").await;
    let csrf = hidden(&assessor.get("/supervision").await.body, "csrf");
    assert_eq!(assessor.post("/supervision/notices", &[("csrf", &csrf), ("as_of", "2026-12-31")], None).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let issued = assessor.post("/supervision/notices", &[("csrf", &csrf), ("as_of", "2026-11-25")], None).await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER);
    let at = issued.location().to_string();
    let printable = leader.get(&at).await;
    assert!(printable.body.contains("政务失信整改督办通报") && printable.body.contains("温州市财政局"));
    let first = leader.get(&format!("{at}/notice.pdf")).await;
    assert_eq!(first.headers.get("content-type").unwrap(), "application/pdf");
    let text = crate::browser::pdf_pages(&first.bytes).join("\n");
    assert!(text.contains("政务失信整改督办通报") && text.contains("温州市政务诚信考核工作办公室"), "{text}");
    assert!(text.contains("瑞安市") && text.contains("安阳街道") && text.contains("温州市财政局"), "{text}");
    assert!(text.contains("第 1 页 共"), "{text}");
    assert!(!text.contains("温州市发展和改革委员会"), "a person's record is not in the notice");
    // An issued notice carries its number, issuer and time, and says how
    // its original is found again; no draft mark.
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(flat.contains("督办通报〔2026〕第1号") && flat.contains("由assessor于2026-11-25") && flat.contains("整改督办›督办通报"), "{text}");
    assert!(!flat.contains("草稿"), "{text}");
    assert!(printable.body.contains("督办通报〔2026〕第 1 号"));
    assert!(leader.get("/supervision").await.body.contains("<td>督办通报〔2026〕第 1 号</td>"), "the list finds it by its number");
    let stored = app.scalar("SELECT content_hash FROM notices").await;
    assert_eq!(stored, server::hashing::sha256_bytes(&first.bytes));

    // The data change; the issued notice does not, a new draft does.
    let fixed = "id,unit_code,subject,person_ref,type,occurred_on,rectify_deadline,rectified_on,mitigation\n\
        X2026-303,D010,unit,,court_listing,2026-10-01,2026-11-20,2026-11-24,none\n";
    assert!(app.import_files(&[("dishonesty.csv", fixed.as_bytes())]).await.ok);
    let again = leader.get(&format!("{at}/notice.pdf")).await;
    assert_eq!(again.bytes, first.bytes, "the same notice, byte for byte");
    let draft = leader.get("/supervision/notice.pdf?as_of=2026-11-25").await;
    assert_eq!(draft.status, StatusCode::OK);
    assert_ne!(draft.bytes, first.bytes);
    // A draft says so on every page and names no signer: a leader, who
    // cannot issue, previewed it.
    let pages = crate::browser::pdf_pages(&draft.bytes);
    for page in &pages {
        let flat: String = page.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(flat.contains("草稿"), "every page: {page}");
        assert!(!flat.contains("leader") && !flat.contains("签发。") && !flat.contains("第1号"), "{page}");
    }
    let audit = app.text_rows("SELECT actor, action FROM audit_log WHERE entity = 'notices' ORDER BY id").await;
    assert_eq!(audit[0], ["assessor", "notice_issue"]);
    server.stop().await;
});

e2e!(a_notice_dated_outside_last_new_year_to_today_is_refused_with_the_range, |app| {
    let server = site(&app).await;
    // The clock reads 2026-11-25: a notice may be dated 2025-01-01 to then.
    let assessor = Browser::signed_in(&server, "assessor").await;
    let csrf = hidden(&assessor.get("/supervision").await.body, "csrf");
    for day in ["0001-01-01", "2024-12-31", "2026-11-26", "9999-12-31"] {
        let issued = assessor.post("/supervision/notices", &[("csrf", &csrf), ("as_of", day)], None).await;
        assert_eq!(issued.status, StatusCode::UNPROCESSABLE_ENTITY, "{day}");
        assert!(issued.body.contains(&format!("通报日期 {day} 应在 2025-01-01 至今天（2026-11-25）之间")), "{}", issued.body);
        assert!(issued.body.contains(&format!("to today (2026-11-25), not {day}")), "{}", issued.body);
        let draft = assessor.get(&format!("/supervision/notice.pdf?as_of={day}")).await;
        assert_eq!(draft.status, StatusCode::UNPROCESSABLE_ENTITY, "{day}");
        assert!(draft.body.contains("2025-01-01 至今天（2026-11-25）之间"), "{}", draft.body);
    }
    let typo = assessor.post("/supervision/notices", &[("csrf", &csrf), ("as_of", "2025-13-01")], None).await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(typo.body.contains("YYYY-MM-DD"), "{}", typo.body);
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM notices").await, "0", "nothing was issued");
    // The range's first day is a notice's date.
    let first = assessor.post("/supervision/notices", &[("csrf", &csrf), ("as_of", "2025-01-01")], None).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    server.stop().await;
});
