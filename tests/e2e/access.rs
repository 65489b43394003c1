//! Who may use which route, generated from the router: every route the
//! router's source declares must have a row here (a new route without one
//! fails this test), and every row is tried signed out and as each role,
//! for a unit's own unit and another unit where the route names one.
//! Forms are sent with the user's own CSRF token, so what answers is the
//! permission check, not the token check; their targets (an unknown user,
//! objection or upload, year 1900) make an allowed request change nothing.

use std::collections::BTreeSet;

use reqwest::StatusCode;

use crate::e2e;
use crate::web::{Browser, hidden, site};

const GET: &str = "GET";
const POST: &str = "POST";

/// (method, route pattern) of every `.route(…)` in the router's source,
/// the API's nested under `/api/v1`.
fn declared_routes() -> BTreeSet<(String, String)> {
    let source = include_str!("../../server/src/http/router.rs");
    let body = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
    let mut routes = BTreeSet::new();
    let mut from = 0;
    while let Some(found) = body[from..].find(".route(") {
        let start = from + found + ".route(".len();
        // The call's text up to its closing parenthesis.
        let mut depth = 1;
        let end = start
            + body[start..]
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map(|(i, _)| i)
                .expect("a closed .route( call");
        let call = &body[start..end];
        from = end;
        let (first, handlers) = call.split_once(',').expect("a path and a handler");
        let first = first.trim();
        let path = if let Some(literal) = first.strip_prefix('"') {
            literal.trim_end_matches('"').to_string()
        } else {
            let index: usize = first.trim_start_matches("API_ROUTES[").trim_end_matches(']').parse().expect("API_ROUTES[n]");
            format!("/api/v1{}", server::http::router::API_ROUTES[index])
        };
        for (method, word) in [(GET, "get("), (POST, "post(")] {
            let found = handlers.match_indices(word).any(|(i, _)| {
                let before = handlers[..i].chars().last();
                before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
            });
            if found {
                routes.insert((method.to_string(), path.clone()));
            }
        }
    }
    routes
}

/// One request to try: the route it exercises, the concrete request, and
/// the status expected signed out and as leader, assessor, the unit user
/// of 330302 (鹿城区), the system administrator, the personnel office, the
/// security administrator and the audit administrator.
struct Row {
    method: &'static str,
    route: &'static str,
    path: &'static str,
    form: &'static [(&'static str, &'static str)],
    expect: [u16; 8],
}

const fn get(route: &'static str, path: &'static str, expect: [u16; 8]) -> Row {
    Row { method: GET, route, path, form: &[], expect }
}

const fn post(route: &'static str, path: &'static str, form: &'static [(&'static str, &'static str)], expect: [u16; 8]) -> Row {
    Row { method: POST, route, path, form, expect }
}

/// Signed out: pages redirect to sign in (303), the API answers 401.
const ROWS: &[Row] = &[
    //                                                                                            out  leader assessor unit system-admin personnel security-admin audit-admin
    get("/", "/?year=2025", [303, 200, 200, 200, 303, 303, 303, 303]),
    get("/data", "/data", [303, 200, 200, 200, 403, 403, 403, 403]),
    get("/units/{code}", "/units/330302?year=2025", [303, 200, 200, 200, 403, 403, 403, 403]),
    get("/units/{code}", "/units/330303?year=2025", [303, 200, 200, 200, 403, 403, 403, 403]),
    get("/units/{code}/indicators/{indicator}", "/units/330302/indicators/hotline_ontime?show=counted", [303, 200, 200, 200, 403, 403, 403, 403]),
    get("/units/{code}/indicators/{indicator}", "/units/330303/indicators/hotline_ontime?show=counted", [303, 200, 200, 403, 403, 403, 403, 403]),
    get("/units/{code}/indicators/{indicator}/records.csv", "/units/330302/indicators/hotline_ontime/records.csv?show=counted", [303, 200, 200, 200, 403, 403, 403, 403]),
    get("/units/{code}/indicators/{indicator}/records.csv", "/units/330303/indicators/hotline_ontime/records.csv?show=counted", [303, 200, 200, 403, 403, 403, 403, 403]),
    get("/units/{code}/records/{source}/{id}", "/units/330302/records/hotline/H2025-0000001", [303, 200, 200, 200, 403, 403, 403, 403]),
    get("/units/{code}/records/{source}/{id}", "/units/330303/records/dishonesty/X2025-002", [303, 200, 200, 403, 403, 403, 403, 403]),
    get("/login", "/login", [200, 200, 200, 200, 200, 200, 200, 200]),
    post("/login", "/login", &[("username", "leader"), ("password", "x")], [400, 400, 400, 400, 400, 400, 400, 400]),
    get("/login/code", "/login/code", [303, 303, 303, 303, 303, 303, 303, 303]),
    post("/login/code", "/login/code", &[("code", "123456")], [400, 400, 400, 400, 400, 400, 400, 400]),
    get("/login/enrol", "/login/enrol", [303, 303, 303, 303, 303, 303, 303, 303]),
    post("/login/enrol", "/login/enrol", &[("code", "123456")], [400, 400, 400, 400, 400, 400, 400, 400]),
    get("/login/password", "/login/password", [303, 303, 303, 303, 303, 303, 303, 303]),
    post("/login/password", "/login/password", &[("password", "a-new-password-1"), ("repeat", "a-new-password-1")], [400, 400, 400, 400, 400, 400, 400, 400]),
    get("/account", "/account", [303, 200, 200, 200, 200, 200, 200, 200]),
    get("/account/two-factor", "/account/two-factor", [303, 200, 200, 200, 200, 200, 200, 200]),
    post("/account/two-factor", "/account/two-factor", &[("code", "x")], [303, 422, 422, 422, 422, 422, 422, 422]),
    get("/objections", "/objections", [303, 200, 200, 200, 403, 403, 403, 403]),
    post("/objections", "/objections", &[("source", "hotline"), ("record_id", "no-such-record"), ("reason", "access test")], [303, 403, 403, 404, 403, 403, 403, 403]),
    post("/objections/{id}/decide", "/objections/999999/decide", &[("decision", "reject"), ("reason", "access test")], [303, 403, 404, 403, 403, 403, 403, 403]),
    post("/score", "/score", &[("year", "1900")], [303, 403, 303, 403, 403, 403, 403, 403]),
    post("/publish", "/publish", &[("year", "1900"), ("version", "1")], [303, 403, 404, 403, 403, 403, 403, 403]),
    get("/publication", "/publication?year=2025", [303, 200, 200, 403, 403, 403, 403, 403]),
    get("/import", "/import", [303, 403, 200, 403, 403, 403, 403, 403]),
    post("/import", "/import", &[], [303, 403, 422, 403, 403, 403, 403, 403]),
    get("/import/{id}", "/import/999999", [303, 403, 404, 403, 403, 403, 403, 403]),
    post("/import/{id}/check", "/import/999999/check", &[], [303, 403, 404, 403, 403, 403, 403, 403]),
    post("/import/{id}/commit", "/import/999999/commit", &[], [303, 403, 404, 403, 403, 403, 403, 403]),
    post("/import/{id}/discard", "/import/999999/discard", &[], [303, 403, 404, 403, 403, 403, 403, 403]),
    get("/jobs/{id}", "/jobs/999999", [303, 403, 404, 403, 403, 403, 403, 403]),
    get("/admin/users", "/admin/users", [303, 403, 403, 403, 200, 403, 403, 403]),
    post("/admin/users", "/admin/users", &[("username", ""), ("role", "leader"), ("password", "x")], [303, 403, 403, 403, 422, 403, 403, 403]),
    post("/admin/users/{username}/password", "/admin/users/nobody/password", &[("password", "a-long-password")], [303, 403, 403, 403, 404, 403, 403, 403]),
    post("/admin/users/{username}/disable", "/admin/users/nobody/disable", &[], [303, 403, 403, 403, 404, 403, 403, 403]),
    post("/admin/users/{username}/enable", "/admin/users/nobody/enable", &[], [303, 403, 403, 403, 404, 403, 403, 403]),
    post("/admin/users/{username}/unlock", "/admin/users/nobody/unlock", &[], [303, 403, 403, 403, 404, 403, 403, 403]),
    post("/admin/users/{username}/two-factor/reset", "/admin/users/nobody/two-factor/reset", &[], [303, 403, 403, 403, 404, 403, 403, 403]),
    get("/admin/security", "/admin/security", [303, 403, 403, 403, 403, 403, 200, 403]),
    post("/admin/security", "/admin/security", &[("idle_minutes", "0")], [303, 403, 403, 403, 403, 403, 422, 403]),
    get("/admin/audit", "/admin/audit?actor=nobody", [303, 403, 403, 403, 403, 403, 403, 200]),
    post("/admin/audit/verify", "/admin/audit/verify", &[], [303, 403, 403, 403, 403, 403, 403, 200]),
    get("/admin/audit/audit.csv", "/admin/audit/audit.csv?actor=nobody", [303, 403, 403, 403, 403, 403, 403, 200]),
    get("/exports/{year}/{file}", "/exports/2025/rankings.csv?unit=330302", [303, 200, 200, 200, 403, 403, 403, 403]),
    get("/exports/{year}/{file}", "/exports/2025/rankings.csv?unit=330303", [303, 200, 200, 403, 403, 403, 403, 403]),
    get("/exports/{year}/{file}", "/exports/2025/rankings.xlsx", [303, 200, 200, 403, 403, 403, 403, 403]),
    get("/reports/{year}/{file}", "/reports/2025/notice.pdf", [303, 200, 200, 403, 403, 403, 403, 403]),
    get("/reports/{year}/{file}", "/reports/2025/unit-reports.zip", [303, 403, 200, 403, 403, 403, 403, 403]),
    get("/reports/{year}/units/{file}", "/reports/2025/units/330302.pdf", [303, 200, 200, 200, 403, 403, 403, 403]),
    get("/reports/{year}/units/{file}", "/reports/2025/units/330303.pdf", [303, 200, 200, 403, 403, 403, 403, 403]),
    get("/public", "/public", [303, 303, 303, 303, 303, 303, 303, 303]),
    get("/public/", "/public/", [303, 303, 303, 303, 303, 303, 303, 303]),
    get("/public/results/{year}", "/public/results/2025", [200, 200, 200, 200, 200, 200, 200, 200]),
    get("/public/records", "/public/records", [200, 200, 200, 200, 200, 200, 200, 200]),
    get("/public/data/{file}", "/public/data/results-2025.csv", [200, 200, 200, 200, 200, 200, 200, 200]),
    get("/public/data/{file}", "/public/data/records.json", [200, 200, 200, 200, 200, 200, 200, 200]),
    get("/repairs", "/repairs", [303, 403, 200, 200, 403, 403, 403, 403]),
    post("/repairs", "/repairs", &[], [303, 403, 403, 422, 403, 403, 403, 403]),
    get("/repairs/{id}", "/repairs/999999", [303, 403, 404, 404, 403, 403, 403, 403]),
    get("/repairs/{id}/evidence/{position}", "/repairs/999999/evidence/1", [303, 403, 404, 404, 403, 403, 403, 403]),
    post("/repairs/{id}/decide", "/repairs/999999/decide", &[("decision", "reject"), ("reason", "access test")], [303, 403, 404, 403, 403, 403, 403, 403]),
    get("/persons", "/persons", [303, 403, 403, 403, 403, 200, 403, 403]),
    post("/persons", "/persons", &[("purpose", "appointment")], [303, 403, 403, 403, 403, 200, 403, 403]),
    get("/statistics", "/statistics?year=2025", [303, 403, 200, 403, 403, 403, 403, 403]),
    get("/whatif", "/whatif?year=2025", [303, 200, 200, 403, 403, 403, 403, 403]),
    post("/whatif", "/whatif", &[], [303, 422, 422, 403, 403, 403, 403, 403]),
    post("/whatif/rules", "/whatif/rules", &[("year", "2025"), ("public_rating.weight", "-1")], [303, 422, 422, 403, 403, 403, 403, 403]),
    get("/supervision", "/supervision", [303, 200, 200, 403, 403, 403, 403, 403]),
    get("/supervision/{file}", "/supervision/deadlines.csv", [303, 200, 200, 403, 403, 403, 403, 403]),
    get("/supervision/{file}", "/supervision/notice.pdf?as_of=2025-12-31", [303, 200, 200, 403, 403, 403, 403, 403]),
    post("/supervision/notices", "/supervision/notices", &[("as_of", "not-a-date")], [303, 403, 422, 403, 403, 403, 403, 403]),
    get("/supervision/notices/{id}", "/supervision/notices/999999", [303, 404, 404, 403, 403, 403, 403, 403]),
    get("/supervision/notices/{id}/notice.pdf", "/supervision/notices/999999/notice.pdf", [303, 404, 404, 403, 403, 403, 403, 403]),
    get("/healthz", "/healthz", [200, 200, 200, 200, 200, 200, 200, 200]),
    // Whoever connects directly from this machine (as these requests do);
    // from elsewhere or through a proxy only with the token (metrics.rs).
    get("/metrics", "/metrics", [200, 200, 200, 200, 200, 200, 200, 200]),
    get("/api/v1/rankings", "/api/v1/rankings?year=2025", [401, 200, 200, 200, 403, 403, 403, 403]),
    get("/api/v1/units/{code}", "/api/v1/units/330302?year=2025", [401, 200, 200, 200, 403, 403, 403, 403]),
    get("/api/v1/units/{code}", "/api/v1/units/330303?year=2025", [401, 200, 200, 200, 403, 403, 403, 403]),
    get("/api/v1/units/{code}/explanations", "/api/v1/units/330302/explanations?year=2025", [401, 200, 200, 200, 404, 404, 404, 404]),
    get("/api/v1/units/{code}/explanations", "/api/v1/units/330303/explanations?year=2025", [401, 200, 200, 404, 404, 404, 404, 404]),
    get("/api/v1/units/{code}/indicators/{indicator}/records", "/api/v1/units/330302/indicators/hotline_ontime/records?year=2025", [401, 200, 200, 200, 404, 404, 404, 404]),
    get("/api/v1/units/{code}/indicators/{indicator}/records", "/api/v1/units/330303/indicators/hotline_ontime/records?year=2025", [401, 200, 200, 404, 404, 404, 404, 404]),
    get("/api/v1/robustness", "/api/v1/robustness?year=2025&draws=200", [401, 200, 200, 200, 403, 403, 403, 403]),
    get("/api/v1/persons/{ref}/check", "/api/v1/persons/P-0001/check?purpose=appointment", [401, 403, 403, 403, 403, 200, 403, 403]),
    get("/api/v1/openapi.json", "/api/v1/openapi.json", [200, 200, 200, 200, 200, 200, 200, 200]),
    // Last: signing out ends the session.
    post("/logout", "/logout", &[], [303, 303, 303, 303, 303, 303, 303, 303]),
];

/// What another unit's data looks like in a refused answer: none of it.
const OTHER_UNIT: [&str; 3] = ["X2025-002", "330303,龙湾区", "\"unit_code\":\"330303\""];

/// The roles of the table's columns after "signed out", as the guard
/// sees them.
fn column_user(who: usize) -> server::auth::User {
    use server::auth::Role;
    let role = [Role::Leader, Role::Assessor, Role::Unit, Role::SystemAdmin, Role::Personnel, Role::SecurityAdmin, Role::AuditAdmin][who - 1];
    server::auth::User { id: 0, username: String::new(), role, unit_code: (role == Role::Unit).then(|| "330302".to_string()) }
}

/// The `{code}` of a row's concrete path, where its route has one.
fn code_of(row: &Row) -> Option<&'static str> {
    let at = row.route.split('/').position(|s| s == "{code}")?;
    row.path.split(['/', '?']).nth(at)
}

/// Where the expected answers above disagree with the access table
/// (`auth::access`, through `http::guard::ROUTES`): a row the guard
/// refuses must expect its refusal, signed out a sign-in, and a 403 where
/// the guard lets the role through must be a route that decides more in
/// its handler. So the hand-written expectations and the table are two
/// witnesses of each other.
fn disagreements_with_the_table() -> Vec<String> {
    use server::http::guard::{self, Need};
    let decided_in_handler = ["/exports/{year}/{file}", "/reports/{year}/{file}", "/reports/{year}/units/{file}"];
    let mut wrong = Vec::new();
    for row in ROWS {
        let need = guard::need(row.method, row.route).unwrap_or_else(|| panic!("{} {} has no row in http::guard::ROUTES", row.method, row.route));
        let api = row.route.starts_with("/api/");
        if !matches!(need, Need::Anyone | Need::Scraper) && row.expect[0] != if api { 401 } else { 303 } {
            wrong.push(format!("{} {} signed out: the table asks for a sign-in", row.method, row.path));
        }
        for who in 1..=5 {
            let allowed = guard::allows(&column_user(who), need, code_of(row));
            let refusal = match need {
                Need::UnitInFull if api => 404,
                _ => 403,
            };
            let expected = row.expect[who];
            if !allowed && expected != refusal {
                wrong.push(format!("{} {} as {who}: the table refuses ({refusal}), the row expects {expected}", row.method, row.path));
            }
            if allowed && expected == 403 && !decided_in_handler.contains(&row.route) {
                wrong.push(format!("{} {} as {who}: the table allows, the row expects 403", row.method, row.path));
            }
        }
    }
    wrong
}

#[test]
fn the_expected_answers_agree_with_the_access_table() {
    let guarded: BTreeSet<(String, String)> = server::http::guard::ROUTES.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    assert_eq!(guarded, declared_routes(), "http::guard::ROUTES and the router differ");
    let wrong = disagreements_with_the_table();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

e2e!(every_route_answers_each_role_as_it_may_signed_out_too, |app| {
    let declared = declared_routes();
    assert!(declared.len() > 30, "the router's routes were read: {declared:?}");
    let tried: BTreeSet<(String, String)> = ROWS.iter().map(|r| (r.method.to_string(), r.route.to_string())).collect();
    let missing: Vec<_> = declared.difference(&tried).collect();
    let stale: Vec<_> = tried.difference(&declared).collect();
    assert!(missing.is_empty(), "routes without a row in the access table: {missing:?}");
    assert!(stale.is_empty(), "rows for routes the router does not have: {stale:?}");

    let server = site(&app).await;
    let mut browsers = vec![Browser::new(&server)];
    let mut tokens = vec![String::new()];
    for user in ["leader", "assessor", "lucheng", "admin", "personnel", "security", "auditor"] {
        let b = Browser::signed_in(&server, user).await;
        let home = match user {
            "admin" => "/admin/users",
            "personnel" => "/persons",
            "security" => "/admin/security",
            "auditor" => "/admin/audit",
            _ => "/data",
        };
        tokens.push(hidden(&b.get(home).await.body, "csrf"));
        browsers.push(b);
    }
    let mut wrong = Vec::new();
    for row in ROWS {
        for (who, (b, csrf)) in browsers.iter().zip(&tokens).enumerate() {
            let page = if row.method == GET {
                b.get(row.path).await
            } else if row.path == "/import" || row.path == "/repairs" || row.path == "/whatif" {
                b.post_multipart(row.path, &[("csrf", csrf)], &[]).await
            } else {
                let mut form: Vec<(&str, &str)> = row.form.to_vec();
                form.push(("csrf", csrf));
                b.post(row.path, &form, None).await
            };
            let expected = row.expect[who];
            if page.status.as_u16() != expected {
                wrong.push(format!("{} {} as {}: {} (expected {expected})", row.method, row.path, ["signed out", "leader", "assessor", "unit", "system-admin", "personnel", "security-admin", "audit-admin"][who], page.status.as_u16()));
            }
            if page.status != StatusCode::OK && row.path.contains("330303") {
                assert!(!OTHER_UNIT.iter().any(|d| page.body.contains(d)), "{} refused but shows data", row.path);
            }
            // Whatever the unit user may open, no other unit's record ids
            // appear in it (X2025-001 and -005 are 鹿城区's own).
            if who == 3 {
                for id in ["X2025-002", "X2025-003", "X2025-004"] {
                    assert!(!page.body.contains(id), "{} shows the unit another unit's record {id}", row.path);
                }
            }
        }
    }
    assert!(wrong.is_empty(), "answers that differ from the access table:\n{}", wrong.join("\n"));
    server.stop().await;
});
