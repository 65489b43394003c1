//! Civil servants' integrity files (integrity-records.md §4) on both
//! back-ends: only the personnel office reads them, each look-up states a
//! purpose and is audited, the file spans units and shows voided records
//! as voided, and the appointment check (page and API) restricts exactly
//! for a non-voided, non-exempt discipline or accountability record within
//! the look-back.

use reqwest::StatusCode;
use server::auth::{Role, User};

use crate::e2e;
use crate::web::{Browser, hidden, site};

e2e!(the_personnel_office_states_a_purpose_and_every_look_up_is_audited, |app| {
    let server = site(&app).await;
    // The clock reads 2026-11-25: the look-back starts on 2023-11-25.
    let file = "id,unit_code,subject,person_ref,type,occurred_on,rectify_deadline,rectified_on,mitigation\n\
        X2026-201,D010,person,P-0b44e6d1,discipline,2024-05-01,,,none\n\
        X2026-202,D010,person,P-0b44e6d1,accountability,2023-11-24,,,none\n\
        X2026-203,330303,person,P-0b44e6d1,discipline,2026-03-01,,,reduced\n\
        X2026-204,330303,person,P-0b44e6d1,penalty,2026-04-01,,,none\n\
        X2026-205,330303,person,P-99999999,discipline,2026-04-01,,,none\n";
    let report = app.import_files(&[("dishonesty.csv", file.as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    // 龙湾区's objection to X2026-203 is accepted: voided.
    let longwan = User { id: 0, username: "longwan".into(), role: Role::Unit, unit_code: Some("330303".into()) };
    let assessor = User { id: 0, username: "assessor".into(), role: Role::Assessor, unit_code: None };
    let id = server::objections::file(&app.db, &longwan, "dishonesty", "X2026-203", "认定有误").await.unwrap();
    server::objections::decide(&app.db, &assessor, id, true, "处分已撤销").await.unwrap();
    let audited = || async { app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE entity = 'persons'").await };

    // Nobody else reaches the files.
    for user in ["leader", "assessor", "lucheng"] {
        let b = Browser::signed_in(&server, user).await;
        assert_eq!(b.get("/persons").await.status, StatusCode::FORBIDDEN, "{user}");
        assert_eq!(b.post("/persons", &[("ref", "P-0b44e6d1"), ("purpose", "appointment")], None).await.status, StatusCode::FORBIDDEN, "{user}");
    }
    let personnel = Browser::signed_in(&server, "personnel").await;
    assert_eq!(personnel.get("/").await.location(), "/persons", "the office's home is the files");
    assert_eq!(personnel.get("/data").await.status, StatusCode::FORBIDDEN, "no results, no unit records");
    // Look-ups are posted with the form's token: the reference stays out of
    // addresses and history. No purpose, no look-up (nothing read or
    // audited); a forged form, nothing either.
    let csrf = hidden(&personnel.get("/persons").await.body, "csrf");
    let ask = |form: Vec<(&'static str, &'static str)>| {
        let (personnel, csrf) = (&personnel, csrf.clone());
        async move {
            let mut form: Vec<(&str, &str)> = form;
            form.push(("csrf", &csrf));
            personnel.post("/persons", &form, None).await
        }
    };
    let forged = personnel.post("/persons", &[("ref", "P-0b44e6d1"), ("purpose", "appointment"), ("csrf", "forged")], None).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    let bare = ask(vec![("ref", "P-0b44e6d1")]).await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bare.body.contains("<p class=\"error\" role=\"alert\">每次查询须说明用途") && !bare.body.contains("X2026-201"), "{}", bare.body);
    let other = ask(vec![("ref", "P-0b44e6d1"), ("purpose", "other")]).await;
    assert!(other.status == StatusCode::UNPROCESSABLE_ENTITY && other.body.contains("请写明用途"));
    assert_eq!(audited().await, "0");

    let page = ask(vec![("ref", "P-0b44e6d1"), ("purpose", "appointment")]).await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains("任用审查 · 审查意见") && body.contains("✕") && body.contains("<strong>受限</strong>") && body.contains("2023-11-25 至 2026-11-25"), "{body}");
    assert!(body.contains("仅供组织人事部门参考，不构成任用决定"));
    // Across units: 鹿城区's township, 财政局, 龙湾区; the voided one marked.
    for id in ["X2025-005", "X2026-201", "X2026-202", "X2026-203", "X2026-204"] {
        assert!(body.contains(id), "{id} in the file");
    }
    assert!(body.contains("温州市财政局") && body.contains("龙湾区"));
    assert!(body.contains("已作废"), "a voided record shows as voided");
    assert!(!body.contains("X2026-205"), "another person's record");

    // The API: restricted by X2026-201 only (X2026-202 is a day too old,
    // X2026-203 voided, X2026-204 a penalty, X2025-005 exempt).
    let in_a_year = server::clock::now_cst() + chrono::Duration::days(365);
    let token = server::auth::tokens::create(&app.db, "personnel", "hr", in_a_year, "test").await.unwrap();
    let client = reqwest::Client::new();
    let url = |q: &str| format!("http://{}/api/v1/persons/P-0b44e6d1/check{q}", server.addr);
    let r = client.get(url("?purpose=other&purpose_text=评先评优公示")).bearer_auth(&token.token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["restricted"], true);
    let ids: Vec<&str> = v["records"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["X2026-201"]);
    assert_eq!((v["lookback"].as_str(), v["since"].as_str()), (Some("3y"), Some("2023-11-25")));
    assert!(v["advice"].as_str().unwrap().contains("not a decision"));
    let r = client.get(url("")).bearer_auth(&token.token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"]["code"], "bad_request");
    let r = client.get(format!("http://{}/api/v1/persons/P-99999999/check?purpose=award", server.addr)).bearer_auth(&token.token).send().await.unwrap();
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["restricted"], true);
    let r = client.get(format!("http://{}/api/v1/persons/P-00000000/check?purpose=award", server.addr)).bearer_auth(&token.token).send().await.unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!((v["restricted"].as_bool(), v["records"].as_array().map(Vec::len)), (Some(false), Some(0)), "nobody known: nothing restricts");
    assert_eq!(v["found"], false, "and the answer says no file was found");
    // A mistyped reference on the page: no file found, never "not
    // restricted"; the heading names the purpose.
    let typo = ask(vec![("ref", "P-0b44e6dl"), ("purpose", "promotion")]).await;
    assert!(typo.body.contains("晋升 · 审查意见") && typo.body.contains("<strong>未找到档案</strong>") && !typo.body.contains("<strong>不受限</strong>"), "{}", typo.body);

    // Every look-up is in the audit log: user, purpose, person_ref, time;
    // the reference sealed as the records' are (the same person, the same
    // sealed text), opened for the audit administrator's review.
    let rows = app.text_rows("SELECT actor, action, entity_key, detail FROM audit_log WHERE entity = 'persons' ORDER BY id").await;
    let sealer = app.db.sealer().unwrap();
    let seen: Vec<(&str, &str, String)> =
        rows.iter().map(|r| (r[0].as_str(), r[1].as_str(), sealer.open_text(server::db::seal::Field::PersonRef, &r[2]).unwrap())).collect();
    assert_eq!(
        seen,
        [
            ("personnel", "person_file", "P-0b44e6d1".to_string()),
            ("personnel", "person_check", "P-0b44e6d1".to_string()),
            ("personnel", "person_check", "P-99999999".to_string()),
            ("personnel", "person_check", "P-00000000".to_string()),
            ("personnel", "person_file", "P-0b44e6dl".to_string()),
        ]
    );
    // Not `contains("P-")`: base64url has both characters, so one sealed
    // text in sixty or so holds them by chance (a run failed so).
    assert!(rows.iter().zip(&seen).all(|(r, (_, _, plain))| r[2].starts_with("zxs1:") && !r[2].contains(plain.as_str())), "stored sealed: {rows:?}");
    assert_eq!(rows[0][2], rows[1][2], "one person, one sealed reference");
    let filter = server::audit_review::Filter { object: Some("P-0b44e6d1".into()), ..Default::default() };
    let review = server::audit_review::list(&app.db, &filter, 1).await.unwrap();
    assert_eq!(review.entries.iter().map(|e| e.entity_key.as_str()).collect::<Vec<_>>(), ["P-0b44e6d1", "P-0b44e6d1"], "found by the reference typed");
    assert!(rows[0][3].contains("\"appointment\"") && rows[1][3].contains("评先评优公示"), "{rows:?}");
    // A unit never sees a person reference, the file's or any other.
    let lucheng = Browser::signed_in(&server, "lucheng").await;
    assert!(!lucheng.get("/repairs").await.body.contains("P-0b44e6d1"));
    server.stop().await;
});

e2e!(the_personnel_office_is_added_from_the_command_line, |app| {
    use std::io::Write;
    let (url, dir, data_key) = (app.url.clone(), app.dir.path().to_path_buf(), app.data_key_file());
    let out = tokio::task::spawn_blocking(move || {
        let mut child = crate::support::binary()
            .args(["--database-url", &url, "user", "add", "zhang.hr", "--role", "personnel"])
            .current_dir(dir)
            .env(server::db::seal::key::SETTING, data_key)
            .env_remove("DATABASE_URL")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"a-long-enough-password\n").unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let user = server::auth::users::authenticate(&app.db, "zhang.hr", "a-long-enough-password").await.unwrap().expect("signs in");
    assert_eq!((user.role, user.unit_code.as_deref()), (Role::Personnel, None));
    assert!(!user.may(server::auth::Capability::SeeRankings) && server::http::menu::home(&user) == "/persons");
});

e2e!(the_administrator_adds_a_personnel_account_and_its_role_is_named, |app| {
    let server = site(&app).await;
    let admin = Browser::signed_in(&server, "admin").await;
    let page = admin.get("/admin/users").await.body;
    assert!(page.contains("<option value=\"personnel\">组织人事部门</option>"), "the form offers the personnel role");
    let csrf = hidden(&page, "csrf");
    let added = admin
        .post("/admin/users", &[("csrf", &csrf), ("username", "li.hr"), ("role", "personnel"), ("unit_code", ""), ("password", "a-long-enough-password")], None)
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let list = admin.get("/admin/users").await.body;
    for name in ["personnel", "li.hr"] {
        let row = &list[list.find(&format!("<th scope=\"row\">{name}</th>")).expect("listed")..];
        let role = &row[..row.find("</td>").unwrap()];
        assert!(role.contains("组织人事部门") && !role.contains("系统管理员"), "{name}: {role}");
    }
    let mut hr = Browser::new(&server);
    assert_eq!(hr.sign_in("li.hr", "a-long-enough-password").await.location(), "/");
    assert_eq!(hr.get("/").await.location(), "/persons");
    server.stop().await;
});
