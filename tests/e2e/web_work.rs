//! The users' jobs on the web beyond reading results: the assessment team
//! imports files (check, report row by row, commit or discard, rescoring
//! with progress, publication); units drill down to their records, with
//! fields, filters, CSV and history; the administrator manages users.

use reqwest::StatusCode;

use crate::e2e;
use crate::web::{Browser, PASSWORD, hidden, site};

/// A hotline file: one ticket of 鹿城区 whose reply came late, one with
/// an unknown unit and one with an impossible date.
const BAD_HOTLINE: &str = "id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat\n\
H2025-0000101,330302,2025-06-01 09:00:00,2025-06-04 09:00:00,2025-06-09 09:00:00,complaint,0,0,satisfied,0\n\
H2025-0000102,339999,2025-06-01 09:00:00,2025-06-04 09:00:00,,complaint,0,0,,0\n\
H2025-0000103,330302,2025-02-30 09:00:00,2025-06-04 09:00:00,,complaint,0,0,,0\n";

/// Eight tickets of 鹿城区 closed in time: its on-time rate rises from
/// 1/2 (no points below 0.85) to 9/10.
const GOOD_HOTLINE: &str = "id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat\n\
H2025-0000101,330302,2025-04-01 09:00:00,2025-04-04 09:00:00,2025-04-02 17:00:00,complaint,0,0,satisfied,0\n\
H2025-0000102,330302,2025-05-01 09:00:00,2025-05-04 09:00:00,2025-05-02 17:00:00,complaint,0,0,satisfied,0\n\
H2025-0000103,330302,2025-06-01 09:00:00,2025-06-04 09:00:00,2025-06-02 17:00:00,complaint,0,0,satisfied,0\n\
H2025-0000104,330302,2025-07-01 09:00:00,2025-07-04 09:00:00,2025-07-02 17:00:00,complaint,0,0,satisfied,0\n\
H2025-0000105,330302,2025-08-01 09:00:00,2025-08-04 09:00:00,2025-08-02 17:00:00,complaint,0,0,satisfied,0\n\
H2025-0000106,330302,2025-03-01 09:00:00,2025-03-04 09:00:00,2025-03-02 17:00:00,complaint,0,0,satisfied,0\n\
H2025-0000107,330302,2025-04-01 09:00:00,2025-04-04 09:00:00,2025-04-02 17:00:00,complaint,0,0,satisfied,0\n\
H2025-0000108,330302,2025-05-01 09:00:00,2025-05-04 09:00:00,2025-05-02 17:00:00,complaint,0,0,satisfied,0\n";

/// Every stored record and import batch (the audit log left out: staging
/// and discarding an upload are audited, and write no record).
async fn records(app: &crate::support::TestApp) -> Vec<String> {
    app.fingerprint().await.into_iter().filter(|line| !line.starts_with("audit:")).collect()
}

/// Sends `head` as is and reads the answer until the server closes.
async fn raw_request(addr: std::net::SocketAddr, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(30), stream.read_to_end(&mut answer)).await.expect("the server answers and closes").unwrap();
    String::from_utf8_lossy(&answer).to_string()
}

/// The upload id in an upload page's path.
fn upload_id(path: &str) -> i64 {
    path.trim_start_matches("/import/").parse().unwrap_or_else(|_| panic!("an upload page, not {path}"))
}

/// An indicator's Chinese name.
fn server_label(indicator: &str) -> &'static str {
    analytics::indicators::label(indicator).0
}

/// The `url=` a finished job's page goes on to.
fn next_of(job_page: &str) -> String {
    let start = job_page.find("url=").expect("a finished job names its result") + 4;
    job_page[start..start + job_page[start..].find('"').unwrap()].to_string()
}

e2e!(the_assessment_team_imports_checks_commits_rescores_and_publishes, |app| {
    let server = site(&app).await;
    let assessor = Browser::signed_in(&server, "assessor").await;
    let page = assessor.get("/import").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("enctype=\"multipart/form-data\"") && page.body.contains("还没有上传过文件"), "the form and an empty state");
    let csrf = hidden(&page.body, "csrf");
    let before = records(&app).await;

    // A bad file: every problem listed with row, column and reason; nothing written.
    let sent = assessor.post_multipart("/import", &[("csrf", &csrf), ("source", "")], &[("files", "hotline-2025-06.csv", BAD_HOTLINE.as_bytes())]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let done = assessor.wait_for_job(sent.location()).await;
    let upload = next_of(&done.body);
    let report = assessor.get(&upload).await;
    assert!(report.body.contains("检查未通过") && report.body.contains("未知单位") && report.body.contains("日期无效"), "{}", report.body);
    assert!(
        report.body.contains("<td class=\"num\">3</td><td>unit_code</td><td><code>339999</code>")
            && report.body.contains("<td class=\"num\">4</td><td>received_at</td>"),
        "rows numbered as a spreadsheet shows them, with the column and the value"
    );
    assert!(!report.body.contains("/commit\""), "a failed upload cannot be committed");
    assert_eq!(records(&app).await, before, "checking writes nothing");
    let discarded = assessor.post(&format!("{upload}/discard"), &[("csrf", &csrf)], None).await;
    assert_eq!(discarded.status, StatusCode::SEE_OTHER);
    assert!(assessor.get(&upload).await.body.contains("已放弃"));
    let id = upload_id(&upload);
    assert_eq!(app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM staged_import_files WHERE staged_id = {id} AND bytes IS NULL")).await, "1", "a discarded upload's bytes are dropped");
    assert_eq!(assessor.post(&format!("{upload}/commit"), &[("csrf", &csrf)], None).await.status, StatusCode::BAD_REQUEST, "a failed upload is never committed");
    assert_eq!(records(&app).await, before);

    // A good upload discarded stays discarded.
    let sent = assessor.post_multipart("/import", &[("csrf", &csrf)], &[("files", "hotline.csv", GOOD_HOTLINE.as_bytes())]).await;
    let upload = next_of(&assessor.wait_for_job(sent.location()).await.body);
    assert!(assessor.get(&upload).await.body.contains("检查通过"));
    assert_eq!(assessor.post(&format!("{upload}/discard"), &[("csrf", &csrf)], None).await.status, StatusCode::SEE_OTHER);
    assert_eq!(assessor.post(&format!("{upload}/commit"), &[("csrf", &csrf)], None).await.status, StatusCode::BAD_REQUEST, "a discarded upload stays discarded");
    assert_eq!(records(&app).await, before);

    // Others may not import.
    let leader = Browser::signed_in(&server, "leader").await;
    assert_eq!(leader.get("/import").await.status, StatusCode::FORBIDDEN);
    assert_eq!(leader.get(&upload).await.status, StatusCode::FORBIDDEN);
    let leader_csrf = hidden(&leader.get("/").await.body, "csrf");
    let refused = leader.post_multipart("/import", &[("csrf", &leader_csrf)], &[("files", "hotline.csv", GOOD_HOTLINE.as_bytes())]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(assessor.post_multipart("/import", &[("csrf", "forged")], &[("files", "hotline.csv", GOOD_HOTLINE.as_bytes())]).await.status, StatusCode::BAD_REQUEST);
    let nothing = assessor.post_multipart("/import", &[("csrf", &csrf)], &[]).await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nothing.body.contains("请选择至少一个文件") && nothing.body.contains("aria-invalid=\"true\""));

    // A good file: checked, committed with progress, then rescored and published.
    let sent = assessor.post_multipart("/import", &[("csrf", &csrf), ("source", "hotline")], &[("files", "../../12345-june.csv", GOOD_HOTLINE.as_bytes())]).await;
    let upload = next_of(&assessor.wait_for_job(sent.location()).await.body);
    let report = assessor.get(&upload).await;
    assert!(report.body.contains("检查通过") && report.body.contains("/commit\""), "{}", report.body);
    assert!(report.body.contains("<td>12345-june.csv</td>"), "the name without its path");
    assert_eq!(records(&app).await, before, "nothing written before the commit");
    let committing = assessor.post(&format!("{upload}/commit"), &[("csrf", &csrf)], None).await;
    let done = assessor.wait_for_job(committing.location()).await;
    assert!(done.body.contains("已完成"), "{}", done.body);
    let committed = assessor.get(&upload).await;
    assert!(committed.body.contains("已导入") && committed.body.contains("form method=\"post\" action=\"/score\""), "{}", committed.body);
    assert_eq!(app.scalar("SELECT CAST(closed_at AS TEXT) FROM hotline_tickets WHERE id = 'H2025-0000102'").await.get(..10), Some("2025-05-02"));
    assert_ne!(records(&app).await, before);
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action IN ('import_stage', 'import_committed', 'import_discarded')").await, "6");

    let rescoring = assessor.post("/score", &[("csrf", &csrf), ("year", "2025")], None).await;
    let done = assessor.wait_for_job(rescoring.location()).await;
    let publication = assessor.get(&next_of(&done.body)).await;
    assert!(publication.body.contains("第 2 版与已发布的第 1 版相比的变化"), "{}", publication.body);
    assert!(publication.body.contains("鹿城区"), "the unit whose tickets moved its score");
    assert!(publication.body.contains(server_label("hotline_ontime")), "the indicator that moved");
    let published = assessor.post("/publish", &[("csrf", &csrf), ("year", "2025")], None).await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    let versions = server::db::results::versions(&app.db, 2025).await.unwrap();
    assert!(versions.len() == 2 && versions[1].published_at.is_some());

    // An upload announced over the limit is refused with the reason before
    // its body is read (a raw request: headers only), and nothing is kept.
    let staged = app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM staged_imports").await;
    let refused = raw_request(
        server.addr,
        &format!(
            "POST /import HTTP/1.1\r\nHost: test\r\nCookie: {}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n",
            assessor.cookie(),
            server::http::imports::MAX_UPLOAD_BYTES * 2
        ),
    )
    .await;
    assert!(refused.starts_with("HTTP/1.1 413"), "{}", &refused[..refused.len().min(300)]);
    assert!(refused.contains("合计超过 64 MiB"));
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM staged_imports").await, staged);
    server.stop().await;
});

e2e!(drill_down_shows_fields_filters_exports_and_history_to_those_who_may, |app| {
    let server = site(&app).await;
    let unit = Browser::signed_in(&server, "lucheng").await;
    let all = unit.get("/units/330302/indicators/hotline_ontime?year=2025&show=counted").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.body.contains("H2025-0000001") && all.body.contains("H2025-0000002") && all.body.contains("2025-03-13 11:00:00"), "{}", all.body);
    assert!(all.body.contains("<th scope=\"col\">受理时间</th>"), "column headers");
    let filtered = unit.get("/units/330302/indicators/hotline_ontime?year=2025&show=counted&q=2025-03-13").await;
    assert!(filtered.body.contains(">H2025-0000002<") && !filtered.body.contains(">H2025-0000001<"), "the filter keeps the matching record");
    let none = unit.get("/units/330302/indicators/hotline_ontime?year=2025&show=counted&q=nothing-like-this").await;
    assert!(none.body.contains("没有符合筛选条件的记录"));

    let csv = unit.get("/units/330302/indicators/hotline_ontime/records.csv?year=2025&show=counted").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with("\u{feff}id,unit_code,received_at,"), "{}", csv.body);
    assert!(csv.body.contains("\r\nH2025-0000002,330302,2025-03-07 10:02:00,") && csv.body.contains(",cost\r\n"), "{}", csv.body);

    let record = unit.get("/units/330302/records/hotline/H2025-0000002?year=2025").await;
    assert_eq!(record.status, StatusCode::OK);
    assert!(record.body.contains("<td>投诉</td>") && record.body.contains("<td>不满意</td>"), "codes by their Chinese labels: {}", record.body);
    let english = unit.get("/units/330302/records/hotline/H2025-0000002?year=2025&lang=en").await;
    assert!(english.body.contains("<td>complaint</td>") && !english.body.contains("投诉"));
    assert!(record.body.contains("2025-03-13 11:00:00") && record.body.contains("最近写入"), "{}", record.body);
    // A later import changes the record: its history shows the change.
    let changed = crate::support::example("hotline.csv").replace("2025/3/13 11:00", "2025/3/11 11:00");
    assert!(app.import_files(&[("hotline.csv", changed.as_bytes())]).await.ok);
    let record = unit.get("/units/330302/records/hotline/H2025-0000002?year=2025").await;
    assert!(record.body.contains("导入更新") && record.body.contains("closed_at") && record.body.contains("<del>2025-03-13 11:00:00</del>"), "{}", record.body);
    // Lists are derived once per data state: the change shows at once.
    let after = unit.get("/units/330302/indicators/hotline_ontime?year=2025&show=counted").await;
    assert!(after.body.contains("2025-03-11 11:00:00") && after.body.contains("注意：本版本计算后数据有变动"), "{}", after.body);

    // Person references: masked for everyone but the assessment team.
    let leader = Browser::signed_in(&server, "leader").await;
    let masked = leader.get("/units/330302006/records/dishonesty/X2025-005").await;
    assert_eq!(masked.status, StatusCode::OK);
    assert!(masked.body.contains("***") && !masked.body.contains("P-0b44e6d1"));
    let masked_csv = leader.get("/units/330302006/indicators/dishonesty/records.csv?year=2025&show=counted").await;
    assert!(masked_csv.body.contains("X2025-005") && !masked_csv.body.contains("P-0b44e6d1"), "{}", masked_csv.body);
    let filter = "/units/330302006/indicators/dishonesty?year=2025&show=counted&q=P-0b44e6d1";
    assert!(leader.get(filter).await.body.contains("没有符合筛选条件的记录"), "a masked field is not searchable either");
    let assessor = Browser::signed_in(&server, "assessor").await;
    assert!(assessor.get("/units/330302006/records/dishonesty/X2025-005").await.body.contains("P-0b44e6d1"));
    assert!(assessor.get(filter).await.body.contains("P-0b44e6d1"), "the assessment team finds it");

    // Another unit's records: no page, no CSV, no API, no record, no data.
    for path in [
        "/units/330303/indicators/dishonesty?show=counted",
        "/units/330303/indicators/dishonesty/records.csv?show=counted",
        "/units/330303/records/dishonesty/X2025-002",
    ] {
        let r = unit.get(path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert!(!r.body.contains("X2025-002"), "{path}");
    }
    let smuggled = unit.get("/units/330302/records/dishonesty/X2025-002").await;
    assert_eq!(smuggled.status, StatusCode::NOT_FOUND, "another unit's record under one's own code");
    assert!(!smuggled.body.contains("2025-02-01"));
    let r = unit.get("/api/v1/units/330303/indicators/dishonesty/records?show=counted").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.body.contains("X2025-002"));

    let r = unit.get("/api/v1/units/330302/indicators/hotline_ontime/records?show=counted&per_page=1&page=2").await;
    assert_eq!(r.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!((v["total"].as_u64(), v["records"].as_array().map(Vec::len)), (Some(2), Some(1)), "{v}");
    assert_eq!(v["records"][0]["fields"]["unit_code"], "330302");
    server.stop().await;
});

e2e!(the_administrator_manages_users_on_the_web, |app| {
    let server = site(&app).await;
    let admin = Browser::signed_in(&server, "admin").await;
    let page = admin.get("/admin/users").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("lucheng") && page.body.contains("330302 鹿城区"));
    let csrf = hidden(&page.body, "csrf");

    let short = admin
        .post("/admin/users", &[("csrf", &csrf), ("username", "wang.wei"), ("role", "unit"), ("unit_code", "330303"), ("password", "short")], None)
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("密码至少 8 个字符") && short.body.contains("value=\"wang.wei\""), "the message by the field, the name kept");
    assert!(!short.body.contains("value=\"short\""), "a password is never sent back");
    let no_unit = admin.post("/admin/users", &[("csrf", &csrf), ("username", "wang.wei"), ("role", "unit"), ("unit_code", ""), ("password", PASSWORD)], None).await;
    assert_eq!(no_unit.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_unit.body.contains("unit_code-error"));
    let added = admin
        .post("/admin/users", &[("csrf", &csrf), ("username", "wang.wei"), ("role", "unit"), ("unit_code", "330303"), ("password", PASSWORD)], None)
        .await;
    assert_eq!((added.status, added.location()), (StatusCode::SEE_OTHER, "/admin/users?done=added&user=wang.wei"));
    assert!(admin.get(added.location()).await.body.contains("已新增用户 wang.wei"));
    let duplicate = admin.post("/admin/users", &[("csrf", &csrf), ("username", "wang.wei"), ("role", "leader"), ("password", PASSWORD)], None).await;
    assert!(duplicate.status == StatusCode::UNPROCESSABLE_ENTITY && duplicate.body.contains("已存在"));

    let mut newcomer = Browser::new(&server);
    assert_eq!(newcomer.sign_in("wang.wei", PASSWORD).await.status, StatusCode::SEE_OTHER);
    assert!(newcomer.get("/units/330303").await.body.contains("计分方法"), "a unit user of 龙湾区");

    let changed = admin.post("/admin/users/wang.wei/password", &[("csrf", &csrf), ("password", "another-password")], None).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(newcomer.get("/").await.status, StatusCode::SEE_OTHER, "signed out everywhere");
    assert_eq!(Browser::new(&server).sign_in("wang.wei", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    let disabled = admin.post("/admin/users/wang.wei/disable", &[("csrf", &csrf)], None).await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER);
    assert_eq!(Browser::new(&server).sign_in("wang.wei", "another-password").await.status, StatusCode::UNAUTHORIZED);
    assert!(admin.get("/admin/users").await.body.contains("action=\"/admin/users/wang.wei/enable\""));
    let enabled = admin.post("/admin/users/wang.wei/enable", &[("csrf", &csrf)], None).await;
    assert_eq!(enabled.status, StatusCode::SEE_OTHER);
    assert_eq!(Browser::new(&server).sign_in("wang.wei", "another-password").await.status, StatusCode::SEE_OTHER, "enabled again, same password");
    assert_eq!(admin.post("/admin/users/wang.wei/disable", &[("csrf", &csrf)], None).await.status, StatusCode::SEE_OTHER);
    let own = admin.post("/admin/users/admin/disable", &[("csrf", &csrf)], None).await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY, "no one locks themselves out");
    assert_eq!(admin.post("/admin/users/nobody/disable", &[("csrf", &csrf)], None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(admin.post("/admin/users/wang.wei/disable", &[("csrf", "forged")], None).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE entity = 'users' AND entity_key = 'wang.wei' AND action NOT LIKE 'sign_in%'").await, "5");

    let leader = Browser::signed_in(&server, "leader").await;
    assert_eq!(leader.get("/admin/users").await.status, StatusCode::FORBIDDEN);
    let leader_csrf = hidden(&leader.get("/").await.body, "csrf");
    let r = leader.post("/admin/users", &[("csrf", &leader_csrf), ("username", "x"), ("role", "admin"), ("password", PASSWORD)], None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(server::auth::users::list(&app.db).await.unwrap().iter().all(|u| u.username != "x"));
    server.stop().await;
});

e2e!(every_new_page_answers_each_role_as_it_may, |app| {
    let server = site(&app).await;
    // (path, leader, assessor, unit of 330302, admin)
    let table: [(&str, u16, u16, u16, u16); 9] = [
        ("/import", 403, 200, 403, 403),
        ("/publication?year=2025", 200, 200, 403, 403),
        ("/admin/users", 403, 403, 403, 200),
        ("/units/330302/indicators/hotline_ontime?show=counted", 200, 200, 200, 403),
        ("/units/330303/indicators/hotline_ontime?show=counted", 200, 200, 403, 403),
        ("/units/330302/records/hotline/H2025-0000001", 200, 200, 200, 403),
        ("/units/330302/indicators/hotline_ontime/records.csv?show=counted", 200, 200, 200, 403),
        ("/exports/2025/rankings.csv?unit=330302", 200, 200, 200, 403),
        ("/jobs/1", 403, 404, 403, 403),
    ];
    let mut browsers = Vec::new();
    for user in ["leader", "assessor", "lucheng", "admin"] {
        browsers.push(Browser::signed_in(&server, user).await);
    }
    for (path, leader, assessor, unit, admin) in table {
        for (b, expected) in browsers.iter().zip([leader, assessor, unit, admin]) {
            let page = b.get(path).await;
            assert_eq!(page.status.as_u16(), expected, "{path}: {}", &page.body[..page.body.len().min(300)]);
            if expected != 200 {
                assert!(!page.body.contains("H2025-0000001") && !page.body.contains("330302,鹿城区"), "{path}: no data");
            }
        }
    }
    // Error pages speak the page's language, one language each.
    let zh = browsers[2].get("/import").await.body;
    assert!(zh.contains("您无权查看此内容") && !zh.contains("You may not"));
    let en = browsers[2].get("/import?lang=en").await.body;
    assert!(en.contains("<html lang=\"en\">") && en.contains("You may not see this") && !en.contains("您无权"), "{en}");
    // A form sent from an English page: its error page is English too.
    let csrf = hidden(&browsers[0].get("/").await.body, "csrf");
    let referer = format!("http://{}/?lang=en", server.addr);
    let refused = browsers[0].post_from("/score", &[("csrf", &csrf), ("year", "2025")], &referer).await;
    assert!(refused.status == StatusCode::FORBIDDEN && refused.body.contains("You may not see this"), "{}", refused.body);
    let anonymous = Browser::new(&server);
    for (path, ..) in table {
        let page = anonymous.get(path).await;
        assert!(page.status == StatusCode::SEE_OTHER && page.location().starts_with("/login?next="), "{path} asks to sign in");
    }
    server.stop().await;
});
