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
    assert!(users.contains("<option value=\"system-admin\""));
    // Nor make itself one of the other two: their accounts are added and
    // changed on the server's console only.
    for code in ["security-admin", "audit-admin"] {
        assert!(!users.contains(&format!("<option value=\"{code}\"")), "{code}");
    }
    let csrf = hidden(&users, "csrf");
    let added = admin.post("/admin/users", &[("csrf", &csrf), ("username", "me.too"), ("role", "audit-admin"), ("password", "Another-Secret-1")], None).await;
    assert_eq!(added.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(added.body.contains("只能在服务器上用 zhengxin user 命令管理"), "{}", added.body);
    for action in ["/admin/users/auditor/password", "/admin/users/security/disable", "/admin/users/auditor/enable", "/admin/users/security/unlock", "/admin/users/auditor/two-factor/reset"] {
        let refused = admin.post(action, &[("csrf", &csrf), ("password", "Another-Secret-1")], None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM users WHERE username = 'me.too'").await, "0");
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

e2e!(the_security_administrator_sets_the_policy_and_it_holds_at_once, |app| {
    let server = site(&app).await;
    let security = Browser::signed_in(&server, "security").await;
    let page = security.get("/admin/security").await;
    // site() set it (no role held to two factors); the rest are defaults.
    assert!(page.body.contains("最近一次设置：") && page.body.contains(" · test") && page.body.contains("value=\"90\""), "{}", page.body);
    let csrf = hidden(&page.body, "csrf");
    let fields = |min: &'static str, networks: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("password_min_length", min.to_string()),
            ("password_classes", "3".to_string()),
            ("password_history", "2".to_string()),
            ("password_max_age_days", "90".to_string()),
            ("idle_minutes", "15".to_string()),
            ("inactive_days", "30".to_string()),
            ("admin_networks", networks.to_string()),
        ]
    };
    let send = |f: Vec<(&'static str, String)>| {
        let security = &security;
        async move {
            let form: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            security.post("/admin/security", &form, None).await
        }
    };
    // Refused whole, the field named, nothing stored.
    let short = send(fields("6", "")).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("密码最短长度应为 8–64 个字符") && short.body.contains("value=\"6\""), "{}", short.body);
    let locked_out = send(fields("12", "10.0.0.0/8")).await;
    assert_eq!(locked_out.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(locked_out.body.contains("管理员将无法登录"), "{}", locked_out.body);
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action = 'security_policy_set'").await, "1", "site()'s only");
    // Saved: audited before and after, in force for the next request.
    let saved = send(fields("12", "127.0.0.0/8\n::1")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let entry = app.text_rows("SELECT actor, detail FROM audit_log WHERE action = 'security_policy_set' AND actor = 'security'").await;
    assert_eq!(entry[0][0], "security");
    let detail: serde_json::Value = serde_json::from_str(&entry[0][1]).unwrap();
    assert_eq!((detail["before"]["password_min_length"].as_u64(), detail["after"]["password_min_length"].as_u64()), (Some(8), Some(12)), "{entry:?}");
    assert_eq!(detail["after"]["admin_networks"], serde_json::json!(["127.0.0.0/8", "::1/128"]));
    assert!(security.get("/admin/security").await.body.contains("最近一次设置"));

    // The password rules hold for the system administrator's forms.
    let admin = Browser::signed_in(&server, "admin").await;
    let acsrf = hidden(&admin.get("/admin/users").await.body, "csrf");
    let add = |password: &'static str| {
        let (admin, acsrf) = (&admin, acsrf.clone());
        async move { admin.post("/admin/users", &[("csrf", &acsrf), ("username", "wang.wei"), ("role", "leader"), ("password", password)], None).await }
    };
    assert!(add("short-1A").await.body.contains("密码至少 12 个字符"));
    assert!(add("all-lower-case-words").await.body.contains("密码须至少包含小写字母、大写字母、数字、其他字符中的 3 类"));
    assert_eq!(add("Three-Kinds-Here").await.status, StatusCode::SEE_OTHER);
    // The last two passwords (the current one among them) are not taken again.
    let set = |password: &'static str| {
        let (admin, acsrf) = (&admin, acsrf.clone());
        async move { admin.post("/admin/users/wang.wei/password", &[("csrf", &acsrf), ("password", password)], None).await }
    };
    assert!(set("Three-Kinds-Here").await.body.contains("新密码不能与最近 2 个密码相同"));
    assert_eq!(set("Another-One-2026").await.status, StatusCode::SEE_OTHER);
    assert!(set("Three-Kinds-Here").await.body.contains("新密码不能与最近 2 个密码相同"));
    assert_eq!(set("A-Third-One-2026").await.status, StatusCode::SEE_OTHER);
    assert_eq!(set("Three-Kinds-Here").await.status, StatusCode::SEE_OTHER, "three back is allowed again");

    // An account unused for longer than the policy allows is disabled at
    // its next sign-in, however right its password.
    execute(&app, "UPDATE users SET last_sign_in_at = '2026-09-01 10:00:00' WHERE username = 'leader'").await;
    let mut leader = Browser::new(&server);
    let refused = leader.sign_in("leader", crate::web::PASSWORD).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("账号长期未使用，已按安全策略停用"), "{}", refused.body);
    assert_eq!(app.scalar("SELECT CAST(disabled AS TEXT) FROM users WHERE username = 'leader'").await.replace("true", "1"), "1");
    let disabled = app.text_rows("SELECT actor FROM audit_log WHERE action = 'user_disable' AND entity_key = 'leader'").await;
    assert_eq!(disabled, [["system:security-policy"]]);
    // Enabled again, it signs in (enabling counts as use).
    let enabled = admin.post("/admin/users/leader/enable", &[("csrf", &acsrf)], None).await;
    assert_eq!(enabled.status, StatusCode::SEE_OTHER);
    assert_eq!(Browser::new(&server).sign_in("leader", crate::web::PASSWORD).await.status, StatusCode::SEE_OTHER);
    // Signed in recently: allowed (the sign-in records the time).
    let mut lucheng = Browser::new(&server);
    assert_eq!(lucheng.sign_in("lucheng", crate::web::PASSWORD).await.status, StatusCode::SEE_OTHER);
    assert_ne!(app.scalar("SELECT COALESCE(CAST(last_sign_in_at AS TEXT), 'never') FROM users WHERE username = 'lucheng'").await, "never");
    server.stop().await;
});

e2e!(administrators_sign_in_only_from_the_policy_networks, |app| {
    let server = site(&app).await;
    let policy = server::auth::policy::Policy {
        admin_networks: server::auth::policy::Policy::parse_networks("10.9.0.0/16").unwrap(),
        ..server::auth::policy::Policy::default_for(30)
    };
    // Set from inside the network (as the security administrator's own
    // machine would), then read by the next server.
    server::auth::policy::set(&app.db, &policy.clone(), &policy, "security", "10.9.1.1".parse().unwrap()).await.unwrap();
    server.stop().await;
    let server = app.serve(None).await;
    server.ready().await;
    for admin in ["admin", "security", "auditor"] {
        let mut b = Browser::new(&server);
        let refused = b.sign_in(admin, crate::web::PASSWORD).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{admin} from 127.0.0.1");
        assert!(refused.body.contains("管理员账号不能从此地址登录"), "{}", refused.body);
    }
    let mut assessor = Browser::new(&server);
    assert_eq!(assessor.sign_in("assessor", crate::web::PASSWORD).await.status, StatusCode::SEE_OTHER, "others sign in from anywhere");
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action = 'sign_in_refused_network'").await, "3");
    server.stop().await;
});
