//! 等保 level 3 (GB/T 22239-2019) in the application: three administrators
//! kept apart, and the audit administrator's review of a log nobody can
//! change or cut short.

use reqwest::StatusCode;

use crate::e2e;
use crate::trust::execute;
use crate::web::{Browser, hidden, site};

e2e!(each_administrator_does_one_thing_only, |app| {
    let server = site(&app).await;
    for (user, home, others) in [
        ("admin", "/admin/users", ["/admin/security", "/admin/audit"]),
        ("security", "/admin/security", ["/admin/users", "/admin/audit"]),
        ("auditor", "/admin/audit", ["/admin/users", "/admin/security"]),
    ] {
        let b = Browser::signed_in(&server, user).await;
        let landing = b.get("/").await;
        assert_eq!(landing.status, StatusCode::SEE_OTHER, "{user}");
        assert_eq!(landing.location(), home, "{user} lands on its own page");
        let page = b.get(home).await;
        assert_eq!(page.status, StatusCode::OK, "{user}");
        for other in others {
            assert_eq!(b.get(other).await.status, StatusCode::FORBIDDEN, "{user} {other}");
            assert!(!page.body.contains(&format!("href=\"{other}\"")), "{user}'s menu has no {other}");
        }
        assert_eq!(b.get("/data").await.status, StatusCode::FORBIDDEN, "{user} sees no results");
    }
    // The system administrator cannot make an account hold two duties:
    // there is one role per account, and every role is one of the list.
    let admin = Browser::signed_in(&server, "admin").await;
    let users = admin.get("/admin/users").await.body;
    for code in ["system-admin", "security-admin", "audit-admin"] {
        assert!(users.contains(&format!("<option value=\"{code}\"")), "{code}");
    }
    server.stop().await;
});

e2e!(the_audit_administrator_searches_exports_and_verifies_the_log, |app| {
    let server = site(&app).await;
    let auditor = Browser::signed_in(&server, "auditor").await;
    // Search by actor and action: only the matching entries, newest first.
    let found = auditor.get("/admin/audit?actor=test&action=user_add").await;
    assert_eq!(found.status, StatusCode::OK);
    let added: i64 = app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE actor = 'test' AND action = 'user_add'").await.parse().unwrap();
    assert_eq!(added, 7, "site() adds seven accounts");
    assert!(found.body.contains(&format!("{added} 条 · 第 1 页，共 1 页")), "{}", found.body);
    assert!(found.body.contains("<td>auditor</td>") || found.body.contains("users auditor"), "{}", found.body);
    assert!(!found.body.contains("<td>sign_in</td>"), "other actions are left out");
    // By object: one account's entries.
    assert!(auditor.get("/admin/audit?object=lucheng&action=user_add").await.body.contains("1 条"));
    // By time: nothing before the first entry, nothing after tomorrow.
    assert!(auditor.get("/admin/audit?to=2000-01-01").await.body.contains("没有符合条件的条目"));
    let bad = auditor.get("/admin/audit?from=yesterday").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("日期应为 YYYY-MM-DD") && bad.body.contains("没有符合条件的条目"), "{}", bad.body);

    // The CSV holds what the filter matched, and the export is audited.
    let csv = auditor.get("/admin/audit/audit.csv?actor=test&action=user_add").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers.get("content-disposition").unwrap().to_str().unwrap().contains("zhengxin-audit-"));
    assert!(csv.bytes.starts_with(b"\xEF\xBB\xBFid,at,actor,action,entity,entity_key,detail,hash\r\n"));
    let lines: Vec<&str> = csv.body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len() as i64, added + 1, "{lines:?}");
    assert!(lines[1..].iter().all(|l| l.contains(",test,user_add,users,")), "{lines:?}");
    let export = app.text_rows("SELECT actor, detail FROM audit_log WHERE action = 'audit_export'").await;
    assert_eq!(export.len(), 1);
    assert_eq!(export[0][0], "auditor");
    assert!(export[0][1].contains("\"entries\":7") && export[0][1].contains("\"action\":\"user_add\""), "{export:?}");

    // Verification: the chain is whole, and saying so is audited.
    let csrf = hidden(&found.body, "csrf");
    let verified = auditor.post("/admin/audit/verify", &[("csrf", &csrf)], None).await;
    assert_eq!(verified.status, StatusCode::OK);
    assert!(verified.body.contains("审计链完整"), "{}", verified.body);
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action = 'audit_verify' AND actor = 'auditor'").await, "1");
    // An entry edited by someone who owns the database shows.
    crate::trust::tamper(&app, "UPDATE audit_log SET detail = '{}' WHERE action = 'user_add' AND entity_key = 'leader'").await;
    let broken = auditor.post("/admin/audit/verify", &[("csrf", &csrf)], None).await;
    assert!(broken.body.contains("审计链不完整") && broken.body.contains("edited"), "{}", broken.body);
    server.stop().await;
});

e2e!(a_large_log_is_exported_whole_a_chunk_at_a_time, |app| {
    // More entries than one chunk of the export (2,000), written as the
    // application writes them.
    for i in 0..4_100 {
        if i % 1_000 == 0 {
            tokio::task::yield_now().await;
        }
        server::db::audit::record_one(&app.db, "bulk", "bulk_entry", "things", &i.to_string(), serde_json::json!({ "i": i })).await.unwrap();
    }
    let filter = server::audit_review::Filter { actor: Some("bulk".into()), ..Default::default() };
    let stream = server::audit_review::export(&app.db, filter, "auditor").await.unwrap();
    use futures_util::StreamExt;
    let chunks: Vec<Vec<u8>> = stream.map(|c| c.unwrap()).collect().await;
    assert!(chunks.len() >= 3, "read in chunks: {}", chunks.len());
    let text = String::from_utf8(chunks.concat()).unwrap();
    let keys: Vec<i64> = text.lines().skip(1).map(|l| l.split(',').nth(5).unwrap().parse().unwrap()).collect();
    assert_eq!(keys, (0..4_100).rev().collect::<Vec<_>>(), "every entry once, newest first");
});

e2e!(no_entry_is_changed_or_removed_before_its_time, |app| {
    server::db::audit::record_one(&app.db, "someone", "something", "things", "1", serde_json::json!({})).await.unwrap();
    let attempts = [
        "UPDATE audit_log SET detail = '{}' WHERE actor = 'someone'",
        "DELETE FROM audit_log WHERE actor = 'someone'",
        "DELETE FROM audit_log",
    ];
    for sql in attempts {
        let refused = server::on_db!(&app.db, pool => sqlx::query(sql).execute(pool).await.map(|_| ()));
        let message = refused.expect_err(sql).to_string();
        assert!(message.contains("audit_log entries are"), "{sql}: {message}");
    }
    if matches!(app.db.pool, server::db::Pool::Postgres(_)) {
        let refused = server::on_db!(&app.db, pool => sqlx::query("TRUNCATE audit_log").execute(pool).await.map(|_| ()));
        assert!(refused.expect_err("truncate").to_string().contains("kept at least 180 days"));
    }
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE actor = 'someone'").await, "1");
    // An entry older than 180 days may go (an archive's clean-up): the
    // chain's verification, not the trigger, then tells what was cut.
    execute(&app, "INSERT INTO audit_log (at, actor, action, entity, entity_key, detail, prev_hash, hash, format) VALUES ('2020-01-01 00:00:00', 'old', 'old', 'things', '0', '{}', 'x', 'y', 3)").await;
    execute(&app, "DELETE FROM audit_log WHERE actor = 'old'").await;
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE actor = 'old'").await, "0");
});
