//! The web pages and the JSON API against a real server: signing in and
//! out with CSRF, what each role may see (and the forbidden cases, which
//! must return no data), English pages, the OpenAPI document.

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use server::auth::Role;

use crate::e2e;
use crate::support::{Server, TestApp};

pub const PASSWORD: &str = "a-test-password";

/// The examples scored and published, one user per role, a running server.
pub async fn site(app: &TestApp) -> Server {
    app.import_examples().await;
    server::scoring::score(&app.db, 2025, None, None, "test").await.unwrap();
    server::scoring::publish(&app.db, 2025, None, "test").await.unwrap();
    for (name, role, unit) in [
        ("leader", Role::Leader, None),
        ("assessor", Role::Assessor, None),
        ("lucheng", Role::Unit, Some("330302")),
        ("admin", Role::SystemAdmin, None),
        ("personnel", Role::Personnel, None),
        ("security", Role::SecurityAdmin, None),
        ("auditor", Role::AuditAdmin, None),
    ] {
        server::auth::users::add(&app.db, name, role, unit, PASSWORD, "test").await.unwrap();
    }
    // The other tests sign in with passwords: no role is held to two
    // factors here (tests/e2e/two_factor.rs sets the policy's default).
    let default = server::auth::policy::Policy::default_for(30);
    let passwords_only = server::auth::policy::Policy { two_factor_roles: Vec::new(), ..default.clone() };
    server::auth::policy::set(&app.db, &default, &passwords_only, "test", std::net::Ipv4Addr::LOCALHOST.into()).await.unwrap();
    let s = app.serve(None).await;
    s.ready().await;
    s
}

/// A browser without JavaScript: keeps its session cookie, follows no
/// redirects by itself.
pub struct Browser {
    base: String,
    client: reqwest::Client,
    session: Option<String>,
    /// The device cookie a sign-in gave this browser.
    pub device: Option<String>,
    /// A sign-in waiting for its second factor.
    pub challenge: Option<String>,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    /// The body as sent (downloads).
    pub bytes: Vec<u8>,
}


impl Page {
    pub fn location(&self) -> &str {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

fn cookie_value(headers: &reqwest::header::HeaderMap, name: &str) -> Option<(String, String)> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| (v.split(';').next().unwrap()[name.len() + 1..].to_string(), v.to_string()))
}

/// The value a response sets for cookie `name`, if it sets one.
pub fn cookie_of(page: &Page, name: &str) -> Option<String> {
    cookie_value(&page.headers, name).map(|(v, _)| v)
}

pub fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker).unwrap_or_else(|| panic!("a hidden {name} field")) + marker.len();
    body[start..start + body[start..].find('"').unwrap()].to_string()
}

impl Browser {
    pub fn new(server: &Server) -> Browser {
        Browser {
            base: format!("http://{}", server.addr),
            client: reqwest::Client::builder().redirect(Policy::none()).build().unwrap(),
            session: None,
            device: None,
            challenge: None,
        }
    }

    async fn send(&self, rb: reqwest::RequestBuilder, extra_cookie: Option<String>) -> Page {
        let mut cookies: Vec<String> = self.session.iter().map(|s| format!("zx_session={s}")).collect();
        cookies.extend(self.device.iter().map(|d| format!("zx_device={d}")));
        cookies.extend(extra_cookie);
        let rb = if cookies.is_empty() { rb } else { rb.header("cookie", cookies.join("; ")) };
        let r = rb.send().await.expect("the server answers");
        let (status, headers) = (r.status(), r.headers().clone());
        let bytes = r.bytes().await.unwrap().to_vec();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(format!("{}{path}", self.base)), None).await
    }

    /// Posts a `multipart/form-data` form: text fields, then files as
    /// (field, file name, bytes).
    pub async fn post_multipart(&self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Page {
        const BOUNDARY: &str = "zhengxin-test-boundary-7d1c";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        for (name, file, bytes) in files {
            body.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
            body.extend_from_slice(bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
        let rb = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(body);
        self.send(rb, None).await
    }

    /// Posts a form as sent from the page at `referer`.
    pub async fn post_from(&self, path: &str, form: &[(&str, &str)], referer: &str) -> Page {
        self.send(self.client.post(format!("{}{path}", self.base)).header("referer", referer).form(form), None).await
    }

    /// The `Cookie` header value of this browser's session.
    pub fn cookie(&self) -> String {
        format!("zx_session={}", self.session.as_deref().unwrap_or_default())
    }

    /// Follows a job's page until the job ends; returns its last page.
    pub async fn wait_for_job(&self, job: &str) -> Page {
        assert!(job.starts_with("/jobs/"), "a job page, not {job}");
        for _ in 0..1200 {
            let page = self.get(job).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            if !page.body.contains("aria-live=\"polite\"") {
                return page;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{job} did not end within a minute");
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)], extra_cookie: Option<String>) -> Page {
        self.send(self.client.post(format!("{}{path}", self.base)).form(form), extra_cookie).await
    }

    /// Signs in through the form; returns the answer to the POST.
    pub async fn sign_in(&mut self, user: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let (login_csrf, _) = cookie_value(&form.headers, "zx_login_csrf").expect("the form sets its CSRF cookie");
        let csrf = hidden(&form.body, "csrf");
        let page = self
            .post("/login", &[("username", user), ("password", password), ("csrf", &csrf), ("next", "/")], Some(format!("zx_login_csrf={login_csrf}")))
            .await;
        if let Some((session, _)) = cookie_value(&page.headers, "zx_session") {
            self.session = Some(session);
        }
        if let Some((device, _)) = cookie_value(&page.headers, "zx_device") {
            self.device = Some(device);
        }
        if let Some((challenge, _)) = cookie_value(&page.headers, "zx_challenge") {
            self.challenge = Some(challenge);
        }
        page
    }

    /// The page of the waiting sign-in's second step (`/login/code` or
    /// `/login/enrol`), with the CSRF cookie it set.
    pub async fn second_step_page(&self, path: &str) -> (Page, String) {
        let cookie = format!("zx_challenge={}", self.challenge.as_deref().unwrap_or_default());
        let page = self.send(self.client.get(format!("{}{path}", self.base)), Some(cookie)).await;
        let login_csrf = cookie_value(&page.headers, "zx_login_csrf").map(|(v, _)| v).unwrap_or_default();
        (page, login_csrf)
    }

    /// Sends `code` to the waiting sign-in's second step at `path`; keeps
    /// the session it opens.
    pub async fn send_code(&mut self, path: &str, code: &str) -> Page {
        let (form, login_csrf) = self.second_step_page(path).await;
        assert_eq!(form.status, StatusCode::OK, "{path}: {}", form.body);
        let csrf = hidden(&form.body, "csrf");
        let cookie = format!("zx_challenge={}; zx_login_csrf={login_csrf}", self.challenge.as_deref().unwrap_or_default());
        let page = self.post(path, &[("csrf", &csrf), ("code", code)], Some(cookie)).await;
        if let Some((session, _)) = cookie_value(&page.headers, "zx_session") {
            self.session = Some(session);
        }
        page
    }

    pub async fn signed_in(server: &Server, user: &str) -> Browser {
        let mut b = Browser::new(server);
        let page = b.sign_in(user, PASSWORD).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{user} signs in");
        b
    }
}

e2e!(signing_in_and_out_with_csrf, |app| {
    let server = site(&app).await;
    let mut b = Browser::new(&server);
    let page = b.get("/units/330302?year=2025").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login?next=/units/330302%3Fyear%3D2025");

    let wrong = b.sign_in("leader", "not-the-password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("用户名或密码不正确") && wrong.body.contains("value=\"leader\""));
    assert!(b.session.is_none());

    let form = b.get("/login").await;
    let (cookie, _) = cookie_value(&form.headers, "zx_login_csrf").unwrap();
    let forged = b
        .post("/login", &[("username", "leader"), ("password", PASSWORD), ("csrf", "forged")], Some(format!("zx_login_csrf={cookie}")))
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(cookie_value(&forged.headers, "zx_session").is_none());

    let ok = b.sign_in("leader", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let (_, set) = cookie_value(&ok.headers, "zx_session").unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    let overview = b.get("/").await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.body.contains("2025 年度政务诚信考核总览") && overview.body.contains("瑞安市"));
    assert!(overview.body.contains("一票否决") && overview.body.contains("X2025-003"), "the veto is a red flag");
    assert!(overview.body.contains("<svg role=\"img\""), "a chart with its table");
    assert_eq!(overview.headers.get("x-frame-options").unwrap(), "DENY");

    let csrf = hidden(&overview.body, "csrf");
    assert_eq!(b.post("/logout", &[("csrf", "forged")], None).await.status, StatusCode::BAD_REQUEST);
    let out = b.post("/logout", &[("csrf", &csrf)], None).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/").await.status, StatusCode::SEE_OTHER, "the session is gone");
    server.stop().await;
});

e2e!(each_role_sees_what_it_may_and_no_more, |app| {
    let server = site(&app).await;
    let leader = Browser::signed_in(&server, "leader").await;
    let page = leader.get("/units/330303").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("计分方法"), "leadership sees every unit in full");

    let unit = Browser::signed_in(&server, "lucheng").await;
    let own = unit.get("/units/330302").await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.body.contains("计分方法") && own.body.contains("失信记录"));
    let drill = unit.get("/units/330302/indicators/dishonesty").await;
    assert_eq!(drill.status, StatusCode::OK);
    assert!(drill.body.contains("X2025-001"), "the record that cost the point");
    assert!(drill.body.contains("<h1>鹿城区（330302） · 失信记录</h1>"), "titled with the unit's name");
    // C2025-002 was due 2025-09-30 and fulfilled 2025-10-15.
    let commitments = unit.get("/units/330302/indicators/commit_ontime").await;
    let row = &commitments.body[commitments.body.find("C2025-002</code>").expect("the late commitment")..];
    assert!(row[..row.find("</tr>").unwrap()].contains("晚 15 天"), "the list says how late");
    let record = unit.get("/units/330302/records/commitments/C2025-002").await;
    assert!(record.body.contains("晚 15 天"), "so does the record");

    let other = unit.get("/units/330303").await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(other.body.contains("龙湾区") && !other.body.contains("计分方法"), "another unit: headline only");
    assert!(!other.body.contains("X2025-002"));
    let forbidden = unit.get("/units/330303/indicators/dishonesty").await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert!(!forbidden.body.contains("X2025-002"));

    let admin = Browser::signed_in(&server, "admin").await;
    let home = admin.get("/").await;
    assert_eq!((home.status, home.location()), (StatusCode::SEE_OTHER, "/admin/users"), "the administrator's home");
    assert_eq!(admin.get("/units/330302").await.status, StatusCode::FORBIDDEN);

    // A mistyped address: the product's 404 page, inside the navigation of
    // whoever is signed in, in the language asked for; not an empty answer.
    let typo = unit.get("/unitz/330302").await;
    assert_eq!(typo.status, StatusCode::NOT_FOUND);
    assert!(typo.body.contains("未找到该内容") && typo.body.contains("退出"), "{}", typo.body);
    let typo = Browser::new(&server).get("/no-such-page?lang=en").await;
    assert_eq!(typo.status, StatusCode::NOT_FOUND);
    assert!(typo.body.contains("Not found.") && !typo.body.contains("Sign out"), "{}", typo.body);

    // The API: same rules, JSON errors.
    let anonymous = Browser::new(&server);
    let r = anonymous.get("/api/v1/rankings").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let e: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(e["error"]["code"], "unauthorized");

    let r = unit.get("/api/v1/units/330303").await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["unit"]["unit_name"], "龙湾区");
    assert!(v.get("indicators").is_none() && v["unit"].get("base").is_none(), "{v}");
    let r = unit.get("/api/v1/units/330303/explanations").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.body.contains("X2025-002"));
    let r = unit.get("/api/v1/units/330302/explanations?indicator=dishonesty").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("X2025-001"));
    let r = admin.get("/api/v1/rankings").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = leader.get("/api/v1/rankings?group=city").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A query the API cannot read is bad input too, in the same envelope
    // (interfaces.md), on every API route: never a text/plain 400.
    for path in [
        "/api/v1/rankings?page=abc",
        "/api/v1/rankings?year=twenty",
        "/api/v1/units/330302?year=-",
        "/api/v1/units/330302/explanations?year=x",
        "/api/v1/units/330302/indicators/dishonesty/records?per_page=-1",
    ] {
        let r = leader.get(path).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", r.body);
        assert!(r.headers[reqwest::header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"), "{path}");
        let e: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("{path}: {}", r.body));
        assert_eq!(e["error"]["code"], "bad_query", "{path}");
        assert!(!e["error"]["message"].as_str().unwrap().is_empty());
    }
    // An address or method the API does not have: the envelope too.
    let r = leader.get("/api/v1/units/").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["error"]["code"], "not_found");
    let r = reqwest::Client::new().post(format!("http://{}/api/v1/rankings", server.addr)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"]["code"], "method_not_allowed");
    // A page's route asked with a method it has no row for in the access
    // table never reaches a handler: 405, naming the methods it has.
    let r = reqwest::Client::new().delete(format!("http://{}/objections", server.addr)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()[reqwest::header::ALLOW], "GET, POST");
    // What the layers outside the handlers answer (here: a body over the
    // limit) is in the envelope too.
    let r = reqwest::Client::new().get(format!("http://{}/api/v1/rankings", server.addr)).body(vec![b'x'; 2 << 20]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"]["code"], "too_large");

    // A bearer token acts with its user's role and unit.
    let in_a_year = server::clock::now_cst() + chrono::Duration::days(365);
    let token = server::auth::tokens::create(&app.db, "lucheng", "test", in_a_year, "test").await.unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://{}", server.addr);
    let r = client.get(format!("{base}/api/v1/units/330302")).bearer_auth(&token.token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("\"indicators\""));
    let r = client.get(format!("{base}/api/v1/units/330303/explanations")).bearer_auth(&token.token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    server::auth::tokens::revoke(&app.db, token.id, "test").await.unwrap();
    let r = client.get(format!("{base}/api/v1/units/330302")).bearer_auth(&token.token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    server.stop().await;
});

e2e!(rankings_are_paginated_and_the_openapi_document_is_served, |app| {
    let server = site(&app).await;
    let leader = Browser::signed_in(&server, "leader").await;
    let r = leader.get("/api/v1/rankings?per_page=2&page=2").await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["total"], 8);
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    assert_eq!(v["version"]["published"], true);
    let doc = Browser::new(&server).get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&doc.body).unwrap();
    // Each path as the role it is for: the person check is the personnel
    // office's alone, and needs a purpose.
    let personnel = Browser::signed_in(&server, "personnel").await;
    for path in doc["paths"].as_object().unwrap().keys() {
        let concrete = path.replace("{code}", "330302").replace("{indicator}", "dishonesty").replace("{ref}", "P-7f3a91c2");
        let r = if path.starts_with("/persons/") {
            personnel.get(&format!("/api/v1{concrete}?purpose=appointment")).await
        } else {
            leader.get(&format!("/api/v1{concrete}")).await
        };
        assert_eq!(r.status, StatusCode::OK, "{path} answers as documented");
    }
    let english = leader.get("/?lang=en").await;
    assert!(english.body.contains("<html lang=\"en\">") && english.body.contains("Red flags"));
    for zh in ["风险提示", "等次分布", "考核年度", "退出"] {
        assert!(!english.body.contains(zh), "no Chinese label {zh} on the English page");
    }
    server.stop().await;
});

/// The path of the first decision form on the objections page.
fn decide_action(body: &str) -> String {
    let start = body.find("action=\"/objections/").expect("a decision form") + "action=\"".len();
    body[start..start + body[start..].find('"').unwrap()].to_string()
}

e2e!(an_objection_is_filed_decided_rescored_and_published, |app| {
    let server = site(&app).await;
    let unit = Browser::signed_in(&server, "lucheng").await;
    let drill = unit.get("/units/330302/indicators/dishonesty").await;
    assert!(drill.body.contains("提出异议") && drill.body.contains("X2025-001"));
    let csrf = hidden(&drill.body, "csrf");

    let empty = unit.post("/objections", &[("csrf", &csrf), ("source", "dishonesty"), ("record_id", "X2025-001"), ("reason", "  ")], None).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("请填写理由") && empty.body.contains("aria-invalid=\"true\""));
    let not_ours = unit
        .post("/objections", &[("csrf", &csrf), ("source", "dishonesty"), ("record_id", "X2025-002"), ("reason", "不是本单位的记录")], None)
        .await;
    assert_eq!(not_ours.status, StatusCode::NOT_FOUND, "another unit's record");
    let forged = unit.post("/objections", &[("csrf", "x"), ("source", "dishonesty"), ("record_id", "X2025-001"), ("reason", "r")], None).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.db.count("objections").await.unwrap(), 0, "nothing stored by bad requests");

    let filed = unit
        .post("/objections", &[("csrf", &csrf), ("source", "dishonesty"), ("record_id", "X2025-001"), ("reason", "已主动纠错并获信用修复")], None)
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER);
    let id = app.scalar("SELECT CAST(id AS TEXT) FROM objections").await;
    // The record shows its pending objection instead of a form.
    let drill = unit.get("/units/330302/indicators/dishonesty").await;
    assert!(drill.body.contains("异议处理中") && drill.body.contains(&format!("#{id}")), "{}", drill.body);
    assert!(!drill.body.contains("name=\"record_id\" value=\"X2025-001\""), "no second form for X2025-001");
    // Objecting again is refused with what stands in the way, and no form.
    let again = unit.post("/objections", &[("csrf", &csrf), ("source", "dishonesty"), ("record_id", "X2025-001"), ("reason", "再次提出")], None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("X2025-001") && again.body.contains(&format!("已有待处理的异议 #{id}")), "{}", again.body);
    assert!(!again.body.contains("name=\"reason\""), "no form that could never succeed");
    assert_eq!(app.db.count("objections").await.unwrap(), 1);
    // The list names the unit and the kind of record, and the status.
    let mine = unit.get("/objections").await;
    assert!(mine.body.contains("X2025-001") && mine.body.contains("<td>待处理</td>"));
    assert!(mine.body.contains("<td>鹿城区</td>") && mine.body.contains("失信记录") && !mine.body.contains("<td>330302</td>"), "{}", mine.body);
    let english = unit.get("/objections?lang=en").await;
    assert!(english.body.contains("<td>Open</td>") && english.body.contains("Dishonesty record"), "{}", english.body);
    for zh in ["待处理", "失信记录", "异议处理"] {
        assert!(!english.body.contains(zh), "no {zh} on the English list");
    }

    let leader = Browser::signed_in(&server, "leader").await;
    let seen = leader.get("/objections").await;
    assert!(seen.body.contains("X2025-001") && !seen.body.contains("/decide"), "leadership reads, does not decide");
    let assessor = Browser::signed_in(&server, "assessor").await;
    let page = assessor.get("/objections").await;
    let action = decide_action(&page.body);
    let csrf = hidden(&page.body, "csrf");
    let leader_csrf = hidden(&seen.body, "csrf");
    assert_eq!(leader.post(&action, &[("csrf", &leader_csrf), ("decision", "accept"), ("reason", "r")], None).await.status, StatusCode::FORBIDDEN);
    let no_reason = assessor.post(&action, &[("csrf", &csrf), ("decision", "accept"), ("reason", "")], None).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let accepted = assessor.post(&action, &[("csrf", &csrf), ("decision", "accept"), ("reason", "经核实，信用修复材料齐全")], None).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    assert_eq!(assessor.post(&action, &[("csrf", &csrf), ("decision", "reject"), ("reason", "again")], None).await.status, StatusCode::NOT_FOUND, "decided once");
    // The record, voided now, shows the decision; objecting to it again is refused.
    let drill = unit.get("/units/330302/indicators/dishonesty?show=voided").await;
    assert!(drill.body.contains("异议成立") && drill.body.contains("经核实，信用修复材料齐全"), "{}", drill.body);
    assert!(!drill.body.contains("name=\"record_id\" value=\"X2025-001\""), "no form for an accepted objection's record");
    let again = unit.post("/objections", &[("csrf", &hidden(&mine.body, "csrf")), ("source", "dishonesty"), ("record_id", "X2025-001"), ("reason", "再次提出")], None).await;
    assert!(again.status == StatusCode::CONFLICT && again.body.contains("认定成立"), "objecting to a voided record: {}", again.body);

    // Rescoring makes version 2; the published version 1 stays as it was.
    let rescored = assessor.post("/score", &[("csrf", &csrf), ("year", "2025")], None).await;
    assert_eq!(rescored.status, StatusCode::SEE_OTHER);
    let done = assessor.wait_for_job(rescored.location()).await;
    assert!(done.body.contains("已完成") && done.body.contains("url=/publication?year=2025"), "{}", done.body);
    let versions = server::db::results::versions(&app.db, 2025).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert!(versions[0].published_at.is_some() && versions[1].published_at.is_none());
    let points = |rows: Vec<server::scoring::results::IndicatorResult>| rows.into_iter().find(|r| r.indicator == "dishonesty").unwrap().points;
    assert_eq!(points(server::db::results::indicators(&app.db, versions[0].id, Some("330302")).await.unwrap()), Some(14.0));
    assert_eq!(points(server::db::results::indicators(&app.db, versions[1].id, Some("330302")).await.unwrap()), Some(15.0));
    let overview = assessor.get("/").await;
    assert!(overview.body.contains("已有更新的第 2 版") && overview.body.contains("href=\"/publication?year=2025\""));
    let publication = assessor.get("/publication?year=2025").await;
    assert_eq!(publication.status, StatusCode::OK);
    assert!(publication.body.contains("第 2 版与已发布的第 1 版相比的变化"), "{}", publication.body);
    assert!(publication.body.contains("鹿城区") && publication.body.contains("<del>14.0000</del> → <ins>15.0000</ins>"), "the unit and the indicator that moved");
    assert!(publication.body.contains("action=\"/publish\""));
    assert_eq!(unit.get("/publication?year=2025").await.status, StatusCode::FORBIDDEN);
    let leader_view = leader.get("/publication?year=2025").await;
    assert!(leader_view.body.contains("鹿城区") && !leader_view.body.contains("action=\"/publish\""), "leadership reads, does not publish");
    // Page bodies are cached per result state; every form still carries
    // this session's own CSRF token, never the cache's placeholder.
    let again = assessor.get("/").await;
    let tokens: Vec<&str> = again.body.split("name=\"csrf\" value=\"").skip(1).map(|s| &s[..s.find('"').unwrap()]).collect();
    assert!(tokens.len() >= 2 && tokens.iter().all(|t| *t == csrf), "{tokens:?}");
    let published = assessor.post("/publish", &[("csrf", &csrf), ("year", "2025")], None).await;
    assert_eq!((published.status, published.location()), (StatusCode::SEE_OTHER, "/publication?year=2025"));
    assert!(server::db::results::versions(&app.db, 2025).await.unwrap()[1].published_at.is_some());
    let after = assessor.get("/publication?year=2025").await;
    assert!(!after.body.contains("action=\"/publish\""), "nothing left to publish");
    let first = assessor.get("/publication?year=2025&version=1").await;
    assert!(first.status == StatusCode::OK && !first.body.contains("相比的变化"), "version 1 has nothing before it to compare with");
    assert_eq!(assessor.get("/publication?year=2025&version=9").await.status, StatusCode::NOT_FOUND);
    assert_eq!(unit.post("/publish", &[("csrf", &hidden(&mine.body, "csrf")), ("year", "2025")], None).await.status, StatusCode::FORBIDDEN);

    let decided = unit.get("/objections").await;
    assert!(decided.body.contains("异议成立") && decided.body.contains("经核实，信用修复材料齐全"));
    assert_eq!(app.scalar("SELECT id FROM dishonesty_records WHERE id = 'X2025-001'").await, "X2025-001", "the record is kept");
    server.stop().await;
});

e2e!(leadership_downloads_the_result_table_and_units_may_not, |app| {
    let server = site(&app).await;
    let leader = Browser::signed_in(&server, "leader").await;
    let overview = leader.get("/").await;
    assert!(overview.body.contains("href=\"/exports/2025/rankings.xlsx?version=1\""));
    assert!(overview.body.contains("@page{size:A4") && overview.body.contains("counter(pages)"), "A4 print with page numbers");
    let csv = leader.get("/exports/2025/rankings.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(
        csv.headers.get("content-disposition").unwrap(),
        "attachment; filename=\"zhengxin-2025-v1-rankings.csv\"; filename*=UTF-8''zhengxin-2025-v1-rankings.csv"
    );
    assert!(csv.body.starts_with('\u{feff}') && csv.body.contains("330381,瑞安市,county,"));
    let xlsx = leader.get("/exports/2025/rankings.xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.headers.get("content-type").unwrap().to_str().unwrap().contains("spreadsheetml"));
    assert_eq!(leader.get("/exports/2025/rankings.pdf").await.status, StatusCode::NOT_FOUND);
    assert_eq!(leader.get("/exports/2019/rankings.csv").await.status, StatusCode::NOT_FOUND);
    let unit = Browser::signed_in(&server, "lucheng").await;
    let refused = unit.get("/exports/2025/rankings.csv").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.body.contains("330381,"), "no data");
    assert!(!unit.get("/").await.body.contains("/exports/"), "no download link for units");
    // A unit takes its own row, in the same format, and nothing else.
    let own = unit.get("/exports/2025/rankings.csv?unit=330302").await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.body.contains("\r\n330302,鹿城区,county,") && own.body.lines().count() == 2, "{}", own.body);
    assert!(own.headers.get("content-disposition").unwrap().to_str().unwrap().contains("rankings-330302.csv"));
    assert!(unit.get("/units/330302").await.body.contains("/exports/2025/rankings.csv?version=1&amp;unit=330302"));
    let other = unit.get("/exports/2025/rankings.xlsx?unit=330303").await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert!(!other.body.contains("龙湾区"));
    assert_eq!(unit.get("/exports/2025/rankings.csv?unit=330302&group=township").await.status, StatusCode::NOT_FOUND);
    let group = leader.get("/exports/2025/rankings.csv?group=department").await;
    assert!(group.body.contains("\r\nD002,") && !group.body.contains("330302,") && group.body.lines().count() == 3, "{}", group.body);
    assert_eq!(leader.get("/exports/2025/rankings.csv?group=city").await.status, StatusCode::NOT_FOUND);
    server.stop().await;
});

e2e!(townships_show_the_city_first_and_last_ten_and_one_chosen_county, |app| {
    let server = site(&app).await;
    let leader = Browser::signed_in(&server, "leader").await;
    let overview = leader.get("/?year=2025").await;
    assert_eq!(overview.status, StatusCode::OK);
    for text in ["全市前十名", "全市后十名", "<select id=\"county\" name=\"county\">", "<option value=\"330302\">鹿城区</option>"] {
        assert!(overview.body.contains(text), "{text}");
    }
    assert!(!overview.body.contains("board-township-county"), "no county chosen yet");

    let version = server::scoring::results::default_version(&server::db::results::versions(&app.db, 2025).await.unwrap()).unwrap().clone();
    let stored = server::db::results::units(&app.db, version.id).await.unwrap();
    let mut lucheng: Vec<_> = stored.iter().filter(|u| u.parent_code.as_deref() == Some("330302")).collect();
    lucheng.sort_by_key(|u| u.county_rank);
    assert_eq!(lucheng.len(), 2);
    let chosen = leader.get("/?year=2025&county=330302").await;
    let board = &chosen.body[chosen.body.find("board-township-county").expect("the county's board")..];
    let board = &board[..board.find("</table>").unwrap()];
    assert!(board.contains("鹿城区 · 乡镇（街道）排名"));
    let mut last = 0;
    for u in &lucheng {
        let at = board.find(&format!("/units/{}?year=2025", u.unit_code)).unwrap_or_else(|| panic!("{} on its county's board", u.unit_code));
        assert!(at > last, "{} in county-rank order", u.unit_code);
        last = at;
    }
    assert!(!board.contains("330381001"), "another county's township is not on the board");
    assert!(chosen.body.contains("<option value=\"330302\" selected>鹿城区</option>"));

    // Anything but a county's code chooses nothing, and is never echoed.
    for county in ["%3Cscript%3E", "330381001", "999999"] {
        let page = leader.get(&format!("/?year=2025&county={county}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("board-township-county") && !page.body.contains("<script>"), "{county}");
    }
    server.stop().await;
});
