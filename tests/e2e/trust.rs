//! Trust under attack and accident: hostile files, guessed passwords,
//! redirects off the site, what a unit may see of others, demo installs on
//! a network, and a real install's first start.

use std::io::Write;

use reqwest::StatusCode;

use crate::e2e;
use crate::web::{Browser, PASSWORD, hidden, site};

/// Runs a statement as someone with the database file would (sqlite3, psql).
pub(crate) async fn execute(app: &crate::support::TestApp, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    server::on_db!(&app.db, pool => {
        sqlx::query(sql).execute(pool).await.unwrap();
    });
}

/// What someone who owns the database does first to edit or remove audit
/// entries: drops the triggers that refuse it (migration 0010), then runs
/// `sql`. The chain's verification is what must catch what follows.
pub(crate) async fn tamper(app: &crate::support::TestApp, sql: &str) {
    let lift: &[&str] = match &app.db.pool {
        server::db::Pool::Sqlite(_) => &["DROP TRIGGER IF EXISTS audit_log_never_changed", "DROP TRIGGER IF EXISTS audit_log_kept"],
        server::db::Pool::Postgres(_) => &["DROP TRIGGER IF EXISTS audit_log_guard ON audit_log", "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log"],
    };
    for statement in lift {
        execute(app, statement).await;
    }
    execute(app, sql).await;
}

/// A workbook whose first sheet holds exactly `cells` (reference, text).
fn workbook(cells: &[(&str, &str)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut part = |name: &str, body: &str| {
        zip.start_file(name, options).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    };
    part("_rels/.rels", r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#);
    part("xl/workbook.xml", r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#);
    part("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#);
    let mut rows = String::new();
    for (at, text) in cells {
        let row: String = at.chars().filter(char::is_ascii_digit).collect();
        rows.push_str(&format!(r#"<row r="{row}"><c r="{at}" t="inlineStr"><is><t>{text}</t></is></c></row>"#));
    }
    part("xl/worksheets/sheet1.xml", &format!(r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#));
    zip.finish().unwrap().into_inner()
}

e2e!(a_workbook_with_a_far_cell_is_refused_and_nothing_is_written, |app| {
    app.import_examples().await;
    let before = app.fingerprint().await;
    // Issue 10's file: A1 and XFD1048576 only. A dense reader asks for 17
    // billion cells; this one reads two and refuses the second.
    let bytes = workbook(&[("A1", "code"), ("XFD1048576", "x")]);
    assert!(bytes.len() < 2_000, "{} bytes", bytes.len());
    let report = app.import_files(&[("units.xlsx", &bytes)]).await;
    assert!(!report.ok);
    let e = crate::support::only_error(&report);
    assert_eq!(e.code, "too_many_columns");
    assert_eq!(e.message, "row 1048576 has a value in column 16384; the limit is 1000 columns");
    assert_eq!(app.fingerprint().await, before);
});

e2e!(after_signing_in_only_this_site_is_followed, |app| {
    let server = site(&app).await;
    for hostile in ["/\t/evil.example/", "//evil.example/", "/\\evil.example/", "https://evil.example/", "/%5C/evil.example"] {
        let b = Browser::new(&server);
        let form = b.get(&format!("/login?next={}", server::http::percent_encode(hostile))).await;
        assert_eq!(hidden(&form.body, "next"), "/", "the form does not carry {hostile:?}");
        let csrf = hidden(&form.body, "csrf");
        let cookie = form.headers.get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
        let page = b
            .post("/login", &[("username", "leader"), ("password", PASSWORD), ("csrf", &csrf), ("next", hostile)], Some(cookie))
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location(), "/", "{hostile:?}");
    }
    server.stop().await;
});

e2e!(a_unit_sees_that_others_are_vetoed_but_not_why, |app| {
    let server = site(&app).await;
    let leader = Browser::signed_in(&server, "leader").await.get("/").await.body;
    assert!(leader.contains("X2025-003"), "leadership sees the record behind 瑞安市's veto");
    let unit = Browser::signed_in(&server, "lucheng").await;
    let overview = unit.get("/").await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.body.contains("瑞安市") && overview.body.contains("一票否决"), "the veto itself is headline");
    assert!(!overview.body.contains("X2025-"), "no record id of another unit:\n{}", overview.body);
    // 瑞安市's scorecard says the same: vetoed, without the record.
    let card = unit.get("/units/330381?year=2025").await.body;
    assert!(card.contains("本年度考核一票否决") && !card.contains("X2025-"), "{card}");
    // The cached page of leadership is not served to the unit, nor back.
    assert!(Browser::signed_in(&server, "leader").await.get("/").await.body.contains("X2025-003"));
    server.stop().await;
});

e2e!(guessing_passwords_is_slowed_down_and_audited, |app| {
    let server = site(&app).await;
    let admin = Browser::signed_in(&server, "admin").await;
    let mut b = Browser::new(&server);
    for i in 0..server::auth::throttle::FREE_FAILURES {
        assert_eq!(b.sign_in("assessor", "wrong-password").await.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let refused = b.sign_in("assessor", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert_eq!(refused.headers.get("retry-after").unwrap(), "1");
    assert!(refused.body.contains("登录失败次数过多，请 1 秒后再试"), "{}", refused.body);
    // The administrator sees the lock and lifts it (audited).
    let users = admin.get("/admin/users").await.body;
    assert!(users.contains("登录已锁定：连续失败 5 次") && users.contains("action=\"/admin/users/assessor/unlock\""), "{users}");
    let csrf = hidden(&users, "csrf");
    assert_eq!(admin.post("/admin/users/assessor/unlock", &[("csrf", &csrf)], None).await.status, StatusCode::SEE_OTHER);
    assert!(!admin.get("/admin/users").await.body.contains("登录已锁定"));
    assert_eq!(admin.post("/admin/users/nobody/unlock", &[("csrf", &csrf)], None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.scalar("SELECT actor FROM audit_log WHERE action = 'user_unlock'").await, "admin");
    // The address still waits its delay.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert_eq!(b.sign_in("assessor", PASSWORD).await.status, StatusCode::SEE_OTHER, "after the delay the user signs in");

    // Failures and the sign-in are audited with the address, never a password.
    for _ in 0..50 {
        if app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action = 'sign_in_failed'").await == "5" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let rows = app.text_rows("SELECT actor, action, entity_key, detail FROM audit_log WHERE action IN ('sign_in_failed', 'sign_in') AND entity_key = 'assessor' ORDER BY id").await;
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert_eq!(rows[0][..3], ["web:assessor", "sign_in_failed", "assessor"]);
    assert_eq!(rows[5][..3], ["assessor", "sign_in", "assessor"]);
    assert!(rows.iter().all(|r| r[3].contains("127.0.0.1")), "{rows:?}");
    let all = app.text_rows("SELECT detail FROM audit_log").await;
    assert!(!all.iter().flatten().any(|d| d.contains("wrong-password") || d.contains(PASSWORD)));
    server.stop().await;
});

e2e!(demo_accounts_never_face_a_network_by_accident, |app| {
    let network = || async {
        let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
        let config = server::config::Config {
            demo_scale: Some(0.01),
            audit_key_file: Some(app.key_file()),
            data_key_file: Some(app.data_key_file()),
            ..server::config::Config::new(app.url.clone(), listener.local_addr().unwrap())
        };
        server::serve(config, listener, async {}).await
    };
    let e = network().await.expect_err("an empty database gets no demo data on a network address");
    assert!(e.to_string().contains("refusing to load the demo data"), "{e}");
    assert_eq!(app.db.count("units").await.unwrap(), 0, "nothing was loaded");
    // Loopback behind a proxy faces the network just the same.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = server::config::Config {
        demo_scale: Some(0.01),
        public_url: Some("https://zhengxin.example.gov.cn".into()),
        audit_key_file: Some(app.key_file()),
        data_key_file: Some(app.data_key_file()),
        ..server::config::Config::new(app.url.clone(), listener.local_addr().unwrap())
    };
    let e = server::serve(config, listener, async {}).await.expect_err("no demo data behind a public URL");
    assert!(e.to_string().contains("refusing to load the demo data"), "{e}");
    assert_eq!(app.db.count("units").await.unwrap(), 0);

    // Outside a demo install no account may be given the published password.
    app.import_examples().await;
    let refused = server::auth::users::add(&app.db, "assessor", server::auth::Role::Assessor, None, server::demo::DEMO_PASSWORD, "test").await;
    assert!(matches!(refused, Err(server::auth::AuthError::Refused(server::auth::Refusal::PublishedPassword))), "{refused:?}");
    // One that has it anyway (an install from before that rule, or a
    // database edited by hand) blocks a network address.
    server::auth::users::add(&app.db, "assessor", server::auth::Role::Assessor, None, "a-first-secret", "test").await.unwrap();
    let hash = server::auth::passwords::hash(server::demo::DEMO_PASSWORD).unwrap();
    execute(&app, &format!("UPDATE users SET password_hash = '{hash}' WHERE username = 'assessor'")).await;
    let e = network().await.expect_err("the open demo account blocks serving");
    assert!(e.to_string().contains("the demo account(s) assessor still sign in with the published password"), "{e}");
    server::auth::users::set_password(&app.db, "assessor", "a-real-secret-now", "test").await.unwrap();
    network().await.expect("with the password changed, the server serves (and stops at once)");
});

e2e!(a_real_install_starts_with_init_and_gets_no_demo_data, |app| {
    let run = |args: &[&str], stdin: &str| {
        let mut child = crate::support::binary()
            .arg("--database-url")
            .arg(&app.url)
            .args(args)
            .env("RUST_LOG", "warn")
            .env(server::db::audit::key::SETTING, app.key_file())
            .env(server::db::seal::key::SETTING, app.data_key_file())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    // 三员: three accounts, three passwords, in one transaction. The same
    // name twice is refused before anything is written.
    let same = tokio::task::block_in_place(|| run(&["init", "--admin", "wang", "--security-admin", "wang"], "a-first-secret\na-second-secret\na-third-secret\n"));
    assert_eq!(same.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&same.stderr).contains("three accounts"), "{}", String::from_utf8_lossy(&same.stderr));
    let short = tokio::task::block_in_place(|| run(&["init", "--admin", "wang.admin"], "first-admin-secret\nsecond-secret\n"));
    assert_eq!(short.status.code(), Some(1), "a missing third password adds no one");
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM users").await, "0");
    let out = tokio::task::block_in_place(|| {
        run(&["init", "--admin", "wang.admin", "--security-admin", "li.sec", "--audit-admin", "zhao.audit"], "first-admin-secret\nsecurity-secret\naudit-secret-words\n")
    });
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("system administrator wang.admin, security administrator li.sec, audit administrator zhao.audit created"));
    let roles = app.text_rows("SELECT username, role FROM users ORDER BY id").await;
    assert_eq!(roles, [["wang.admin", "system-admin"], ["li.sec", "security-admin"], ["zhao.audit", "audit-admin"]]);
    // The audit key is made at init, private, and named so it gets backed up.
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("the audit chain is keyed with {}", app.key_file().display())));
    #[cfg(unix)]
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(app.key_file()).unwrap().permissions()) & 0o777, 0o600);
    let again = tokio::task::block_in_place(|| run(&["init"], "another-secret\n"));
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already set up (3 user(s))"));

    let server = app.serve(Some(0.01)).await;
    server.ready().await;
    // A real install holds its administrators to two factors: each sets
    // up an app at its first sign-in before it gets a session.
    for (name, password) in [("wang.admin", "first-admin-secret"), ("zhao.audit", "audit-secret-words")] {
        let mut b = Browser::new(&server);
        assert_eq!(b.sign_in(name, password).await.location(), "/login/enrol", "{name}");
        let (enrol, _) = b.second_step_page("/login/enrol").await;
        assert!(enrol.body.contains("按安全策略，本账号须使用两步验证") && !enrol.body.contains("演示数据"), "{}", enrol.body);
    }
    server.stop().await;
    assert_eq!(app.db.count("units").await.unwrap(), 0, "an initialised database gets no demo data");
});

e2e!(api_tokens_expire_and_die_with_their_user, |app| {
    let server = site(&app).await;
    let now = server::clock::now_cst();
    let get = |token: String| {
        let url = format!("http://{}/api/v1/rankings", server.addr);
        async move { reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap().status() }
    };
    let soon = server::auth::tokens::create(&app.db, "leader", "nightly", now + chrono::Duration::days(30), "test").await.unwrap();
    let other = server::auth::tokens::create(&app.db, "lucheng", "unit-bot", now + chrono::Duration::days(30), "test").await.unwrap();
    assert_eq!(get(soon.token.clone()).await, StatusCode::OK);
    assert!(server::auth::tokens::create(&app.db, "leader", "past", now - chrono::Duration::days(1), "test").await.is_err());

    // The use is written down (off the request's path).
    let mut listed = Vec::new();
    for _ in 0..50 {
        listed = server::auth::tokens::list(&app.db).await.unwrap();
        if listed.iter().any(|t| t.id == soon.id && t.last_used_at.is_some()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let info = listed.iter().find(|t| t.id == soon.id).unwrap();
    assert_eq!((info.owner.as_str(), info.name.as_str()), ("leader", "nightly"));
    assert!(info.last_used_at.is_some() && info.live(now));

    // Expired: refused.
    let past = (now - chrono::Duration::minutes(1)).format("%Y-%m-%d %H:%M:%S").to_string();
    execute(&app, &format!("UPDATE api_tokens SET expires_at = '{past}' WHERE id = {}", soon.id)).await;
    assert_eq!(get(soon.token.clone()).await, StatusCode::UNAUTHORIZED);

    // A disabled owner's token: refused; listed as such.
    assert_eq!(get(other.token.clone()).await, StatusCode::OK);
    server::auth::users::disable(&app.db, "lucheng", "test").await.unwrap();
    assert_eq!(get(other.token.clone()).await, StatusCode::UNAUTHORIZED);
    let listed = server::auth::tokens::list(&app.db).await.unwrap();
    assert!(listed.iter().all(|t| !t.live(server::clock::now_cst())), "{listed:?}");
    let out = crate::cli::zhengxin(&app, &["token", "list"]).await;
    let table = crate::cli::stdout(&out);
    assert!(out.status.success());
    for expected in ["owner", "last used", "leader", "nightly", "expired", "unit-bot", "owner disabled"] {
        assert!(table.contains(expected), "token list lacks {expected:?}:\n{table}");
    }
    server.stop().await;
});

e2e!(audit_verify_names_the_first_edited_inserted_removed_or_cut_entry, |app| {
    app.import_examples().await;
    server::scoring::score(&app.db, 2025, None, None, "test").await.unwrap();
    server::auth::users::add(&app.db, "wang", server::auth::Role::Leader, None, "a-long-password", "test").await.unwrap();
    server::auth::users::disable(&app.db, "wang", "test").await.unwrap();
    // Exports are audited too: who, which version, what.
    let out = crate::cli::zhengxin(&app, &["export", "--year", "2025", "--format", "csv", "--output", "-", "--group", "county"]).await;
    assert!(out.status.success());
    let export = app.text_rows("SELECT entity_key, detail FROM audit_log WHERE action = 'export'").await;
    assert_eq!(export.len(), 1);
    assert_eq!(export[0][0], "2025/1");
    assert!(export[0][1].contains("\"group\":\"county\""), "{:?}", export[0]);
    let intact = server::db::audit::verify(&app.db).await.unwrap();
    assert_eq!(intact.problem, None);
    let entries: i64 = app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log").await.parse().unwrap();
    assert_eq!(intact.entries, entries as u64);
    let out = crate::cli::zhengxin(&app, &["audit", "verify"]).await;
    assert!(out.status.success() && crate::cli::stdout(&out).contains(&format!("audit log intact: {entries} entries; head {}", intact.head)));

    // Each kind of tampering, undone before the next.
    let id = |sql: &str| {
        let app = &app;
        let sql = sql.to_string();
        async move { app.scalar(&sql).await.parse::<i64>().unwrap() }
    };
    let score_entry = id("SELECT CAST(id AS TEXT) FROM audit_log WHERE action = 'score'").await;
    let detail = app.scalar(&format!("SELECT detail FROM audit_log WHERE id = {score_entry}")).await;
    tamper(&app, &format!("UPDATE audit_log SET detail = '{{}}' WHERE id = {score_entry}")).await;
    let edited = server::db::audit::verify(&app.db).await.unwrap().problem.unwrap();
    assert_eq!((edited.id, edited.kind), (score_entry, "edited"));
    let out = crate::cli::zhengxin(&app, &["audit", "verify", "--json"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(crate::cli::stdout(&out).contains("\"kind\": \"edited\""));
    tamper(&app, &format!("UPDATE audit_log SET detail = '{}' WHERE id = {score_entry}", detail.replace('\'', "''"))).await;
    assert_eq!(server::db::audit::verify(&app.db).await.unwrap().problem, None);

    // Removing an entry in the middle breaks the next one's link.
    let user_add = id("SELECT CAST(id AS TEXT) FROM audit_log WHERE action = 'user_add'").await;
    execute(&app, &format!("CREATE TABLE saved AS SELECT * FROM audit_log WHERE id = {user_add}")).await;
    tamper(&app, &format!("DELETE FROM audit_log WHERE id = {user_add}")).await;
    let removed = server::db::audit::verify(&app.db).await.unwrap().problem.unwrap();
    assert_eq!((removed.id, removed.kind), (user_add + 1, "broken_link"));
    let restore = match app.backend {
        crate::support::Backend::Sqlite => "INSERT INTO audit_log SELECT * FROM saved",
        crate::support::Backend::Postgres => "INSERT INTO audit_log OVERRIDING SYSTEM VALUE SELECT * FROM saved",
    };
    execute(&app, restore).await;
    assert_eq!(server::db::audit::verify(&app.db).await.unwrap().problem, None);

    // Cutting the tail back to before the score entry: the version's head is gone.
    tamper(&app, &format!("DELETE FROM audit_log WHERE id >= {score_entry}")).await;
    let cut = server::db::audit::verify(&app.db).await.unwrap().problem.unwrap();
    assert_eq!((cut.id, cut.kind), (score_entry - 1, "cut"));
    assert!(cut.message.contains("2025 version 1"), "{}", cut.message);
});

e2e!(concurrent_scorings_store_one_version_and_publishing_twice_publishes_once, |app| {
    app.import_examples().await;
    let (a, b) = tokio::join!(
        server::scoring::score(&app.db, 2025, None, None, "one"),
        server::scoring::score(&app.db, 2025, None, None, "two"),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.version.id, b.version.id);
    assert_eq!(usize::from(a.created) + usize::from(b.created), 1, "exactly one stored it");
    assert_eq!(server::db::results::versions(&app.db, 2025).await.unwrap().len(), 1);
    let (a, b) = tokio::join!(
        server::scoring::publish(&app.db, 2025, Some(1), "one"),
        server::scoring::publish(&app.db, 2025, Some(1), "two"),
    );
    assert_eq!(usize::from(a.is_ok()) + usize::from(b.is_ok()), 1, "{a:?} {b:?}");
    let refused = if a.is_ok() { b } else { a };
    assert!(matches!(refused, Err(server::scoring::ScoringError::AlreadyPublished { .. })), "{refused:?}");
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action = 'publish'").await, "1");
});

e2e!(a_backup_taken_under_write_load_restores_into_an_empty_database_and_verifies, |app| {
    app.import_examples().await;
    server::scoring::score(&app.db, 2025, None, None, "test").await.unwrap();
    server::scoring::publish(&app.db, 2025, None, "test").await.unwrap();
    // A writer adds users (each with its audit entry) all through the backup.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = tokio::spawn({
        let (db, stop) = (app.db.clone(), stop.clone());
        async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                server::auth::users::add(&db, &format!("load{n}"), server::auth::Role::Leader, None, "a-long-password", "load").await.unwrap();
                n += 1;
            }
            n
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let file = app.dir.path().join("backup.bin");
    let out = crate::cli::zhengxin(&app, &["backup", file.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(written > 0);
    let again = crate::cli::zhengxin(&app, &["backup", file.to_str().unwrap()]).await;
    assert_eq!(again.status.code(), Some(1), "a backup never overwrites");

    let target = app.empty_database_url().await;
    // The key file is backed up apart from the database and given back
    // to the restored copy.
    let (key, data_key) = (app.key_file().display().to_string(), app.data_key_file().display().to_string());
    let restore = |target: String| {
        let (dir, file, key, data_key) = (app.dir.path().to_path_buf(), file.clone(), key.clone(), data_key.clone());
        tokio::task::spawn_blocking(move || {
            crate::cli::zhengxin_in(&dir, &["--database-url", &target, "--audit-key-file", &key, "--data-key-file", &data_key, "restore", file.to_str().unwrap()], &[])
        })
    };
    let out = restore(target.clone()).await.unwrap();
    let said = crate::cli::stdout(&out);
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("audit log intact") && said.contains("1 result version(s) match their hashes"), "{said}");
    let restored = server::db::Db::connect_keyed(&target, Some(app.key_file()), Some(app.data_key_file())).await.unwrap();
    assert_eq!(server::db::audit::verify(&restored).await.unwrap().problem, None);
    let live = server::db::results::versions(&app.db, 2025).await.unwrap();
    let copy = server::db::results::versions(&restored, 2025).await.unwrap();
    assert_eq!(copy.iter().map(|v| (&v.content_hash, v.published_at)).collect::<Vec<_>>(), live.iter().map(|v| (&v.content_hash, v.published_at)).collect::<Vec<_>>());
    assert_eq!(restored.count("units").await.unwrap(), app.db.count("units").await.unwrap());
    let users = restored.count("users").await.unwrap();
    assert!(users >= 1 && users <= app.db.count("users").await.unwrap(), "a snapshot from during the writes: {users}");
    restored.close().await;
    let twice = restore(target).await.unwrap();
    assert_eq!(twice.status.code(), Some(1), "never into a database that holds data");
    assert!(String::from_utf8_lossy(&twice.stderr).contains("restore into a new"), "{}", String::from_utf8_lossy(&twice.stderr));
});

/// Every byte of the database as it lies on disk (SQLite: the file and its
/// WAL), or every stored upload byte (PostgreSQL), to search for a value.
async fn stored_bytes(app: &crate::support::TestApp) -> Vec<u8> {
    match app.backend {
        crate::support::Backend::Sqlite => {
            let path = app.url.trim_start_matches("sqlite://").to_string();
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
            bytes
        }
        crate::support::Backend::Postgres => {
            let rows = app.text_rows("SELECT COALESCE(encode(bytes, 'escape'), '') FROM staged_import_files").await;
            rows.concat().concat().into_bytes()
        }
    }
}

e2e!(a_dropped_column_never_reaches_the_database_and_waiting_uploads_expire, |app| {
    let server = site(&app).await;
    let assessor = Browser::signed_in(&server, "assessor").await;
    let csrf = hidden(&assessor.get("/import").await.body, "csrf");
    let phone = "13912345678";
    let file = format!(
        "id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat,caller_phone\n\
         H2025-P1,330302,2025-03-07 09:00,2025-03-10 09:00,2025-03-08 10:00,complaint,0,0,satisfied,0,{phone}\n"
    );
    let mut uploads = Vec::new();
    for _ in 0..2 {
        let sent = assessor.post_multipart("/import", &[("csrf", &csrf)], &[("files", "hotline.csv", file.as_bytes())]).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
        let done = assessor.wait_for_job(sent.location()).await;
        let start = done.body.find("url=").unwrap() + 4;
        let upload = done.body[start..start + done.body[start..].find('"').unwrap()].to_string();
        let page = assessor.get(&upload).await;
        assert!(page.body.contains("检查通过") && page.body.contains("caller_phone"), "checked, the extra column named:\n{}", page.body);
        uploads.push(upload);
    }
    // Waiting, and after a decision: the phone number is nowhere.
    let contains = |hay: &[u8]| hay.windows(phone.len()).any(|w| w == phone.as_bytes());
    assert!(!contains(&stored_bytes(&app).await), "a waiting upload holds only the columns the importer reads");
    assert_eq!(assessor.post(&format!("{}/commit", uploads[0]), &[("csrf", &csrf)], None).await.status, StatusCode::SEE_OTHER);
    for _ in 0..100 {
        if app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM hotline_tickets WHERE id = 'H2025-P1'").await == "1" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM hotline_tickets WHERE id = 'H2025-P1'").await, "1", "committed from the canonical form");
    assert!(!contains(&stored_bytes(&app).await));

    // The second waits past its time and is discarded by the system.
    let id = uploads[1].rsplit('/').next().unwrap();
    let long_ago = (server::clock::now_cst() - chrono::Duration::hours(25)).format("%Y-%m-%d %H:%M:%S").to_string();
    execute(&app, &format!("UPDATE staged_imports SET created_at = '{long_ago}' WHERE id = {id}")).await;
    assert_eq!(server::import::staging::expire(&app.db, 24, &|_| true).await.unwrap(), 0, "not while a job works on it");
    assert_eq!(server::import::staging::expire(&app.db, 24, &|_| false).await.unwrap(), 1);
    assert_eq!(server::import::staging::expire(&app.db, 24, &|_| false).await.unwrap(), 0);
    assert_eq!(app.scalar(&format!("SELECT status FROM staged_imports WHERE id = {id}")).await, "discarded");
    assert_eq!(app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM staged_import_files WHERE staged_id = {id} AND bytes IS NOT NULL")).await, "0");
    assert_eq!(app.scalar(&format!("SELECT actor FROM audit_log WHERE action = 'import_discarded' AND entity_key = '{id}'")).await, "system:expiry");
    server.stop().await;
});

e2e!(a_published_version_reproduces_and_an_edit_behind_the_apps_back_is_caught, |app| {
    app.import_examples().await;
    server::scoring::score(&app.db, 2025, None, None, "test").await.unwrap();
    server::scoring::publish(&app.db, 2025, None, "test").await.unwrap();
    let verify = || crate::cli::zhengxin(&app, &["results", "--year", "2025", "--verify"]);
    let out = verify().await;
    assert!(out.status.success() && crate::cli::stdout(&out).contains("2025 version 1: reproduces exactly from today's data"), "{}", crate::cli::stdout(&out));

    // Someone with the database file lifts 瑞安市's veto by hand.
    execute(&app, "UPDATE dishonesty_records SET rectified_on = '2025-09-01' WHERE id = 'X2025-003'").await;
    let out = verify().await;
    assert_eq!(out.status.code(), Some(1));
    let said = crate::cli::stdout(&out);
    assert!(said.contains("DOES NOT REPRODUCE although no import or decision explains it") && said.contains("330381"), "{said}");
    execute(&app, "UPDATE dishonesty_records SET rectified_on = NULL WHERE id = 'X2025-003'").await;
    assert!(verify().await.status.success());

    // An edit that changes no score is caught by the inputs' digest:
    // 鹿城区's fulfilled commitment C2025-001 made a day later.
    execute(&app, "UPDATE commitments SET made_on = '2025-01-11' WHERE id = 'C2025-001'").await;
    let version = server::db::results::versions(&app.db, 2025).await.unwrap().remove(0);
    let check = server::scoring::reproduce(&app.db, &version).await.unwrap();
    assert!(check.reproduces && !check.inputs_unchanged && !check.changes_recorded && check.unexplained(), "{check:?}");
    let out = verify().await;
    assert_eq!(out.status.code(), Some(1));
    let said = crate::cli::stdout(&out);
    assert!(said.contains("ITS INPUTS CHANGED although no import or decision explains it"), "{said}");
    execute(&app, "UPDATE commitments SET made_on = '2025-01-10' WHERE id = 'C2025-001'").await;
    assert!(verify().await.status.success());

    // The same change made through an import is a recorded change.
    let dishonesty = crate::support::example("dishonesty.csv").replace("X2025-003,330381,unit,,court_listing,2025-06-01,2025-09-30,,none", "X2025-003,330381,unit,,court_listing,2025-06-01,2025-09-30,2025-09-01,none");
    assert!(app.import_files(&[("dishonesty.csv", dishonesty.as_bytes())]).await.ok);
    let out = verify().await;
    let said = crate::cli::stdout(&out);
    assert!(out.status.success() && said.contains("does not reproduce: imports or decisions changed its inputs since"), "{said}");
});

e2e!(sessions_end_when_idle_and_https_cookies_are_secure_host_cookies, |app| {
    let server = site(&app).await;
    let b = Browser::signed_in(&server, "leader").await;
    assert_eq!(b.get("/").await.status, StatusCode::OK);
    // 31 minutes without a request: the session has ended.
    let idle = (server::clock::now_cst() - chrono::Duration::minutes(31)).format("%Y-%m-%d %H:%M:%S").to_string();
    execute(&app, &format!("UPDATE sessions SET last_seen_at = '{idle}'")).await;
    let page = b.get("/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location().starts_with("/login"), "{}", page.location());
    server.stop().await;

    // Behind HTTPS: __Host- cookies, Secure, and HSTS.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = server::config::Config {
        public_url: Some("https://zhengxin.example.gov.cn".into()),
        audit_key_file: Some(app.key_file()),
        data_key_file: Some(app.data_key_file()),
        ..server::config::Config::new(app.url.clone(), addr)
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(config, listener, async move {
        let _ = stopped.await;
    }));
    let mut answer = None;
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(format!("http://{addr}/login")).await {
            answer = Some(r);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let answer = answer.expect("the server answers");
    let cookie = answer.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-zx_login_csrf=") && cookie.contains("; Secure") && cookie.contains("Path=/"), "{cookie}");
    assert_eq!(answer.headers().get("strict-transport-security").unwrap(), "max-age=31536000");
    // A whole sign-in under those names: the session cookie is the
    // __Host- one, and the plain name is not taken for it.
    let form = answer.text().await.unwrap();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login_csrf = cookie.split(';').next().unwrap().to_string();
    let signed = client
        .post(format!("http://{addr}/login"))
        .header("cookie", &login_csrf)
        .form(&[("username", "leader"), ("password", crate::web::PASSWORD), ("csrf", &hidden(&form, "csrf")), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    let session = signed.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(session.starts_with("__Host-zx_session=") && session.contains("; Secure"), "{session}");
    let pair = session.split(';').next().unwrap().to_string();
    let page = client.get(format!("http://{addr}/")).header("cookie", &pair).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let plain = pair.trim_start_matches("__Host-");
    let page = client.get(format!("http://{addr}/")).header("cookie", plain).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER, "the plain cookie name means nothing behind HTTPS");
    let _ = stop.send(());
    task.await.unwrap().unwrap();
});

e2e!(a_refused_page_keeps_the_signed_in_users_navigation, |app| {
    let server = site(&app).await;
    let unit = Browser::signed_in(&server, "lucheng").await;
    for (path, text) in [("/publication?year=2025", "您无权查看此内容。"), ("/publication?year=2025&lang=en", "You may not see this.")] {
        let refused = unit.get(path).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(refused.body.contains(text), "{}", refused.body);
        assert!(refused.body.contains("lucheng") && refused.body.contains("action=\"/logout\""), "the navigation stays: {}", refused.body);
    }
    // Not signed in: the plain page, as before; the API keeps its JSON.
    let stranger = Browser::new(&server).get("/api/v1/rankings").await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED);
    assert!(stranger.headers.get("content-type").unwrap().to_str().unwrap().starts_with("application/json"));
    let api = unit.get("/api/v1/persons/P-1/check?purpose=award").await;
    assert!(api.headers.get("content-type").unwrap().to_str().unwrap().starts_with("application/json"), "{}", api.body);
    server.stop().await;
});
