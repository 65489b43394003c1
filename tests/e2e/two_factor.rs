//! Two-factor sign-in (等保 level 3, 身份鉴别 d) against a real server: an
//! account the policy holds to two factors gets no session for its
//! password alone, is led to set up an app, then signs in with codes that
//! work once, or with recovery codes that work once; the system
//! administrator resets it; the command line sets one up.

use reqwest::StatusCode;

use crate::e2e;
use crate::web::{Browser, PASSWORD, hidden, site};

/// The code an authenticator app shows for `secret` (Base32) at `unix`.
fn code_at(secret: &str, unix: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    totp_rs::Builder::new().with_secret(secret).build().unwrap().generate(unix).to_string()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// The secret the enrolment page shows (grouped in fours) for typing in.
fn shown_secret(body: &str) -> String {
    let at = body.find("和密钥：<code>").expect("the secret is shown") + "和密钥：<code>".len();
    body[at..at + body[at..].find('<').unwrap()].replace(' ', "")
}

fn session_cookie_set(page: &crate::web::Page) -> bool {
    page.headers.get_all("set-cookie").iter().any(|v| v.to_str().unwrap().starts_with("zx_session=") && !v.to_str().unwrap().starts_with("zx_session=;"))
}

e2e!(an_account_held_to_two_factors_signs_in_only_with_its_second_factor, |app| {
    let server = site(&app).await;
    // Signed in with a password alone before the policy changes.
    let before = Browser::signed_in(&server, "auditor").await;
    assert_eq!(before.get("/admin/audit").await.status, StatusCode::OK);
    // The security administrator holds the audit administrator to two factors.
    let security = Browser::signed_in(&server, "security").await;
    let csrf = hidden(&security.get("/admin/security").await.body, "csrf");
    let saved = security
        .post(
            "/admin/security",
            &[
                ("csrf", &csrf),
                ("password_min_length", "8"),
                ("password_classes", "2"),
                ("password_history", "5"),
                ("password_max_age_days", "90"),
                ("idle_minutes", "30"),
                ("inactive_days", "90"),
                ("admin_networks", ""),
                ("two_factor_roles", "audit-admin"),
                ("two_factor_roles", "no-such-role"),
            ],
            None,
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(before.get("/admin/audit").await.status, StatusCode::SEE_OTHER, "the session the policy would not open ended");
    assert_eq!(security.get("/admin/security").await.status, StatusCode::OK, "the security administrator's own did not");

    // The right password alone: no session, on to setting up an app.
    let mut auditor = Browser::new(&server);
    let first = auditor.sign_in("auditor", PASSWORD).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert_eq!(first.location(), "/login/enrol");
    assert!(!session_cookie_set(&first) && auditor.challenge.is_some(), "no session for a password alone");
    assert_eq!(auditor.get("/admin/audit").await.status, StatusCode::SEE_OTHER, "still signed out");
    let (enrol, _) = auditor.second_step_page("/login/enrol").await;
    assert!(enrol.body.contains("<svg") && enrol.body.contains("按安全策略，本账号须使用两步验证"), "{}", enrol.body);
    let secret = shown_secret(&enrol.body);
    let (again, _) = auditor.second_step_page("/login/enrol").await;
    assert_eq!(shown_secret(&again.body), secret, "reloading keeps the secret");
    // Another browser without the challenge gets nothing.
    assert_eq!(Browser::new(&server).get("/login/enrol").await.location(), "/login");
    let wrong = auditor.send_code("/login/enrol", "000000").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("验证码不正确") && !session_cookie_set(&wrong));
    let now = unix_now();
    let done = auditor.send_code("/login/enrol", &code_at(&secret, now)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(session_cookie_set(&done) && done.body.contains("两步验证已开启"));
    let codes: Vec<String> = done.body.match_indices("<li><code>").map(|(i, _)| done.body[i + 10..i + 21].to_string()).collect();
    assert_eq!(codes.len(), 10, "{}", done.body);
    assert_eq!(auditor.get("/admin/audit").await.status, StatusCode::OK, "signed in");
    let stored: Vec<Vec<String>> = app.text_rows("SELECT code_hash FROM recovery_codes").await;
    assert!(stored.iter().all(|h| h[0].len() == 64 && !codes.iter().any(|c| h[0].contains(c.as_str()))), "only hashes are stored");

    // Next time: the password, then a code; a code is used once.
    let mut next = Browser::new(&server);
    assert_eq!(next.sign_in("auditor", PASSWORD).await.location(), "/login/code");
    let later = code_at(&secret, now + 30);
    let ok = next.send_code("/login/code", &later).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(session_cookie_set(&ok));
    let mut replay = Browser::new(&server);
    replay.sign_in("auditor", PASSWORD).await;
    let refused = replay.send_code("/login/code", &later).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "the same code twice");
    assert!(refused.body.contains("还可尝试 4 次") && !session_cookie_set(&refused), "{}", refused.body);
    // A recovery code, once (typed in capitals, without its dash).
    let typed = codes[0].replace('-', "").to_uppercase();
    let recovered = replay.send_code("/login/code", &typed).await;
    assert_eq!(recovered.status, StatusCode::SEE_OTHER, "{}", recovered.body);
    let mut reuse = Browser::new(&server);
    reuse.sign_in("auditor", PASSWORD).await;
    assert_eq!(reuse.send_code("/login/code", &codes[0]).await.status, StatusCode::UNAUTHORIZED, "a recovery code works once");
    // Five wrong codes drop the waiting sign-in.
    for _ in 0..3 {
        assert_eq!(reuse.send_code("/login/code", "111111").await.status, StatusCode::UNAUTHORIZED);
    }
    // Five failures from this address (one above, four here) started a
    // delay, as wrong passwords do: the next code waits it out, unchecked.
    let waited = reuse.send_code("/login/code", "111111").await;
    assert_eq!(waited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(waited.body.contains("登录失败次数过多"), "{}", waited.body);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let last = reuse.send_code("/login/code", "111111").await;
    assert_eq!((last.status, last.location()), (StatusCode::SEE_OTHER, "/login"));
    assert_eq!(reuse.get("/login/code").await.location(), "/login");
    // Six failures from this address make its next attempt wait two
    // seconds, even with the right password.
    assert_eq!(Browser::new(&server).sign_in("auditor", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;

    // A lost phone: the audit administrator's second factor is reset on
    // the server's console (the web leaves that account alone); its
    // sessions end and it sets one up again at its next sign-in.
    let admin = Browser::signed_in(&server, "admin").await;
    let acsrf = hidden(&admin.get("/admin/users").await.body, "csrf");
    assert_eq!(admin.post("/admin/users/auditor/two-factor/reset", &[("csrf", &acsrf)], None).await.status, StatusCode::FORBIDDEN);
    let out = tokio::task::block_in_place(|| {
        crate::support::binary().args(["--database-url", &app.url, "user", "totp-reset", "auditor"]).env(server::db::audit::key::SETTING, app.key_file()).env(server::db::seal::key::SETTING, app.data_key_file()).output().unwrap()
    });
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(next.get("/admin/audit").await.status, StatusCode::SEE_OTHER, "signed out by the reset");
    let mut after = Browser::new(&server);
    assert_eq!(after.sign_in("auditor", PASSWORD).await.location(), "/login/enrol");

    // Every step is in the audit log, with how the sign-in was made.
    let actions = app.text_rows("SELECT action, detail FROM audit_log WHERE entity_key = 'auditor' AND action <> 'user_add' ORDER BY id").await;
    let seen: Vec<&str> = actions.iter().map(|r| r[0].as_str()).collect();
    for expected in ["two_factor_enrol", "sign_in", "sign_in_failed", "recovery_code_used", "two_factor_reset"] {
        assert!(seen.contains(&expected), "{expected} in {seen:?}");
    }
    assert!(actions.iter().any(|r| r[0] == "sign_in" && r[1].contains("password+recovery_code")), "{actions:?}");
    assert!(actions.iter().any(|r| r[0] == "sign_in" && r[1].contains("password+totp")), "{actions:?}");
    server.stop().await;
});

e2e!(any_account_may_set_up_two_factors_from_its_own_page, |app| {
    let server = site(&app).await;
    let leader = Browser::signed_in(&server, "leader").await;
    let account = leader.get("/account").await;
    assert!(account.body.contains("未开启（可选）"), "{}", account.body);
    let enrol = leader.get("/account/two-factor").await;
    let secret = shown_secret(&enrol.body);
    let csrf = hidden(&enrol.body, "csrf");
    let codes = leader.post("/account/two-factor", &[("csrf", &csrf), ("code", &code_at(&secret, unix_now()))], None).await;
    assert_eq!(codes.status, StatusCode::OK, "{}", codes.body);
    assert!(leader.get("/account").await.body.contains("已开启。未使用的恢复码：10"));
    // From now on the leader's password alone opens nothing.
    let mut again = Browser::new(&server);
    assert_eq!(again.sign_in("leader", PASSWORD).await.location(), "/login/code");
    // The system administrator resets it on the web (a lost phone): the
    // leader's sessions end, and its password alone opens one again.
    let admin = Browser::signed_in(&server, "admin").await;
    let users = admin.get("/admin/users").await.body;
    assert!(users.contains("action=\"/admin/users/leader/two-factor/reset\""), "{users}");
    let reset = admin.post("/admin/users/leader/two-factor/reset", &[("csrf", &hidden(&users, "csrf"))], None).await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER);
    assert_eq!(leader.get("/account").await.status, StatusCode::SEE_OTHER, "signed out by the reset");
    assert_eq!(Browser::new(&server).sign_in("leader", PASSWORD).await.location(), "/");
    assert_eq!(app.scalar("SELECT actor FROM audit_log WHERE action = 'two_factor_reset'").await, "admin");
    server.stop().await;
});

e2e!(the_command_line_sets_up_a_second_factor_and_prints_it_once, |app| {
    let server = site(&app).await;
    let out = tokio::task::block_in_place(|| crate::support::binary().args(["--database-url", &app.url, "user", "totp", "assessor", "--json"]).env(server::db::audit::key::SETTING, app.key_file()).env(server::db::seal::key::SETTING, app.data_key_file()).output().unwrap());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let uri = printed["uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Zhengxin:assessor?"), "{uri}");
    assert_eq!(printed["recovery_codes"].as_array().unwrap().len(), 10);
    let secret = uri.split("secret=").nth(1).unwrap().split('&').next().unwrap();
    let mut b = Browser::new(&server);
    assert_eq!(b.sign_in("assessor", PASSWORD).await.location(), "/login/code");
    assert_eq!(b.send_code("/login/code", &code_at(secret, unix_now())).await.status, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/import").await.status, StatusCode::OK);
    assert_eq!(app.scalar("SELECT actor FROM audit_log WHERE action = 'two_factor_enrol'").await.split(':').next().unwrap(), "cli");
    server.stop().await;
});

/// Sends a new password (and its repeat) to the waiting sign-in's
/// `/login/password`.
async fn change(b: &Browser, password: &str, repeat: &str) -> crate::web::Page {
    let (form, login_csrf) = b.second_step_page("/login/password").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let csrf = hidden(&form.body, "csrf");
    let cookie = format!("zx_challenge={}; zx_login_csrf={login_csrf}", b.challenge.as_deref().unwrap());
    b.post("/login/password", &[("csrf", &csrf), ("password", password), ("repeat", repeat)], Some(cookie)).await
}

e2e!(an_expired_password_is_changed_before_anything_else, |app| {
    let server = site(&app).await;
    // 177 days before the tests' clock; the policy's default is 90.
    crate::trust::execute(&app, "UPDATE users SET password_changed_at = '2026-06-01 10:00:00' WHERE username IN ('leader', 'assessor')").await;
    server::auth::totp::enrol_now(&app.db, "assessor", "test").await.unwrap();
    let mut leader = Browser::new(&server);
    let first = leader.sign_in("leader", PASSWORD).await;
    assert_eq!(first.location(), "/login/password");
    assert!(!session_cookie_set(&first), "no session with an expired password");
    let differ = change(&leader, "New-Password-2026", "New-Password-2027").await;
    assert_eq!(differ.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(differ.body.contains("两次输入的密码不一致"), "{}", differ.body);
    let same = change(&leader, PASSWORD, PASSWORD).await;
    assert!(same.body.contains("新密码不能与最近 5 个密码相同"), "{}", same.body);
    let done = change(&leader, "New-Password-2026", "New-Password-2026").await;
    assert_eq!((done.status, done.location()), (StatusCode::SEE_OTHER, "/"), "{}", done.body);
    assert!(session_cookie_set(&done));
    assert_eq!(app.scalar("SELECT actor FROM audit_log WHERE action = 'user_passwd' AND entity_key = 'leader'").await, "leader");
    let mut again = Browser::new(&server);
    assert_eq!(again.sign_in("leader", "New-Password-2026").await.location(), "/", "the new password is in date");
    // With a second factor, the code comes first: a stolen password alone
    // cannot replace the owner's. Then the new password opens the session.
    let mut assessor = Browser::new(&server);
    assert_eq!(assessor.sign_in("assessor", PASSWORD).await.location(), "/login/code");
    let sealed = server::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>("SELECT secret FROM totp_secrets t JOIN users u ON u.id = t.user_id WHERE u.username = 'assessor'").fetch_one(pool).await.unwrap());
    let secret = app.db.sealer().unwrap().open_text(server::db::seal::Field::TotpSecret, &sealed).unwrap();
    let coded = assessor.send_code("/login/code", &code_at(&secret, unix_now())).await;
    assert_eq!(coded.location(), "/login/password", "{}", coded.body);
    assert!(!session_cookie_set(&coded));
    assessor.challenge = crate::web::cookie_of(&coded, "zx_challenge");
    let changed = change(&assessor, "Another-Password-9", "Another-Password-9").await;
    assert_eq!((changed.status, changed.location()), (StatusCode::SEE_OTHER, "/"), "{}", changed.body);
    assert!(session_cookie_set(&changed));
    let factors = app.scalar("SELECT detail FROM audit_log WHERE action = 'sign_in' AND entity_key = 'assessor' ORDER BY id DESC LIMIT 1").await;
    assert!(factors.contains("password+totp"), "{factors}");
    server.stop().await;
});

e2e!(a_right_code_counts_only_while_its_waiting_sign_in_lives, |app| {
    // Requests racing on one waiting sign-in: the check inside the write
    // is what counts. A stale view of it (taken before five wrong codes
    // dropped it) with the right code gets nothing, and the code is not
    // used up by that.
    app.import_examples().await;
    server::auth::users::add(&app.db, "wang", server::auth::Role::Assessor, None, PASSWORD, "test").await.unwrap();
    let (enrolment, _) = server::auth::totp::enrol_now(&app.db, "wang", "test").await.unwrap();
    let secret = enrolment.uri.split("secret=").nth(1).unwrap().split('&').next().unwrap().to_string();
    let user = server::auth::users::by_id(&app.db, 1).await.unwrap().unwrap();
    let here: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    let id = server::auth::totp::begin(&app.db, &user, server::auth::totp::SecondStep::Code, here, "/", "password").await.unwrap();
    let stale = server::auth::totp::waiting(&app.db, &id, here).await.unwrap().unwrap();
    for left in (0..server::auth::totp::MAX_FAILURES).rev() {
        assert_eq!(server::auth::totp::answer(&app.db, &id, &stale, "000000").await.unwrap(), server::auth::totp::Answer::Wrong { left });
    }
    let code = code_at(&secret, unix_now());
    assert_eq!(server::auth::totp::answer(&app.db, &id, &stale, &code).await.unwrap(), server::auth::totp::Answer::Wrong { left: 0 });
    let fresh = server::auth::totp::begin(&app.db, &user, server::auth::totp::SecondStep::Code, here, "/", "password").await.unwrap();
    let waiting = server::auth::totp::waiting(&app.db, &fresh, here).await.unwrap().unwrap();
    assert_eq!(server::auth::totp::answer(&app.db, &fresh, &waiting, &code).await.unwrap(), server::auth::totp::Answer::Accepted { factor: "totp" });
});
