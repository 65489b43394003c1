//! What each route needs, checked before any handler runs: one row per
//! route and method, each naming a capability of `auth::access` (or that
//! anyone may come). The router applies [`guard`] to every route; a route
//! without a row here is refused (fail closed), and the access test
//! proves every route of the router has one.
//!
//! The guard also finds the signed-in user once and hands it to the
//! handler (`PageSession`, `ApiUser` read it from the request), so a
//! refused request costs one session look-up and never reaches a handler,
//! an expensive place or an upload's body.

use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{AppError, AppState};
use crate::auth::{Capability, Capability::*, Role, User};

/// What a route needs of whoever asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone, signed in or not (sign-in, the public's pages, health).
    Anyone,
    /// Someone signed in; the handler decides the rest from the table
    /// (`/` sends a role without results to its own home).
    SignedIn,
    /// A capability of the signed-in user's role.
    May(Capability),
    /// The unit named by the route's `{code}`, seen in full
    /// (`User::sees_unit_in_full`).
    UnitInFull,
    /// A metrics scraper: on this machine connecting directly, or sending
    /// the metrics token (`metrics::may_scrape`); anyone else is told
    /// there is no such page.
    Scraper,
}

const GET: &str = "GET";
const POST: &str = "POST";

/// Every route of the router: method, route pattern (as `MatchedPath`
/// gives it, the API's under `/api/v1`) and what it needs.
pub const ROUTES: &[(&str, &str, Need)] = &[
    (GET, "/", Need::SignedIn),
    (GET, "/data", Need::May(SeeRankings)),
    (GET, "/units/{code}", Need::May(SeeRankings)),
    (GET, "/units/{code}/indicators/{indicator}", Need::UnitInFull),
    (GET, "/units/{code}/indicators/{indicator}/records.csv", Need::UnitInFull),
    (GET, "/units/{code}/records/{source}/{id}", Need::UnitInFull),
    (GET, "/login", Need::Anyone),
    (POST, "/login", Need::Anyone),
    (POST, "/logout", Need::Anyone),
    // The second step of a sign-in: its own cookie, checked by the handler.
    (GET, "/login/code", Need::Anyone),
    (POST, "/login/code", Need::Anyone),
    (GET, "/login/enrol", Need::Anyone),
    (POST, "/login/enrol", Need::Anyone),
    (GET, "/login/password", Need::Anyone),
    (POST, "/login/password", Need::Anyone),
    (GET, "/account", Need::SignedIn),
    (GET, "/account/two-factor", Need::SignedIn),
    (POST, "/account/two-factor", Need::SignedIn),
    (GET, "/objections", Need::May(SeeObjections)),
    (POST, "/objections", Need::May(FileObjections)),
    (POST, "/objections/{id}/decide", Need::May(DecideObjections)),
    (GET, "/repairs", Need::May(SeeRepairs)),
    (POST, "/repairs", Need::May(ApplyForRepair)),
    (GET, "/repairs/{id}", Need::May(SeeRepairs)),
    (GET, "/repairs/{id}/evidence/{position}", Need::May(SeeRepairs)),
    (POST, "/repairs/{id}/decide", Need::May(DecideRepairs)),
    (GET, "/persons", Need::May(PersonFiles)),
    (POST, "/persons", Need::May(PersonFiles)),
    (GET, "/whatif", Need::May(WhatIf)),
    (POST, "/whatif", Need::May(WhatIf)),
    (POST, "/whatif/rules", Need::May(WhatIf)),
    (GET, "/statistics", Need::May(SeeStatistics)),
    (GET, "/supervision", Need::May(SeeSupervision)),
    (GET, "/supervision/{file}", Need::May(SeeSupervision)),
    (POST, "/supervision/notices", Need::May(IssueNotices)),
    (GET, "/supervision/notices/{id}", Need::May(SeeSupervision)),
    (GET, "/supervision/notices/{id}/notice.pdf", Need::May(SeeSupervision)),
    (POST, "/score", Need::May(Score)),
    (POST, "/publish", Need::May(Publish)),
    (GET, "/publication", Need::May(SeePublication)),
    (GET, "/import", Need::May(Import)),
    (POST, "/import", Need::May(Import)),
    (GET, "/import/{id}", Need::May(Import)),
    (POST, "/import/{id}/check", Need::May(Import)),
    (POST, "/import/{id}/commit", Need::May(Import)),
    (POST, "/import/{id}/discard", Need::May(Import)),
    (GET, "/jobs/{id}", Need::May(FollowJobs)),
    (GET, "/admin/users", Need::May(ManageUsers)),
    (POST, "/admin/users", Need::May(ManageUsers)),
    (POST, "/admin/users/{username}/password", Need::May(ManageUsers)),
    (POST, "/admin/users/{username}/disable", Need::May(ManageUsers)),
    (POST, "/admin/users/{username}/enable", Need::May(ManageUsers)),
    (POST, "/admin/users/{username}/unlock", Need::May(ManageUsers)),
    (POST, "/admin/users/{username}/two-factor/reset", Need::May(ManageUsers)),
    (GET, "/admin/security", Need::May(ManageSecurityPolicy)),
    (POST, "/admin/security", Need::May(ManageSecurityPolicy)),
    (GET, "/admin/audit", Need::May(ReviewAudit)),
    (POST, "/admin/audit/verify", Need::May(ReviewAudit)),
    (GET, "/admin/audit/audit.csv", Need::May(ReviewAudit)),
    // The whole table needs `ExportRankings`; a unit's own row, its unit
    // in full (decided in `exports::rankings`).
    (GET, "/exports/{year}/{file}", Need::May(SeeRankings)),
    // `notice.pdf` needs `ExportRankings`, `unit-reports.zip`
    // `ExportUnitReports`, a unit's report its unit in full (the handlers).
    (GET, "/reports/{year}/{file}", Need::May(SeeRankings)),
    (GET, "/reports/{year}/units/{file}", Need::May(SeeRankings)),
    (GET, "/public", Need::Anyone),
    (GET, "/public/", Need::Anyone),
    (GET, "/public/results/{year}", Need::Anyone),
    (GET, "/public/records", Need::Anyone),
    (GET, "/public/data/{file}", Need::Anyone),
    (GET, "/healthz", Need::Anyone),
    (GET, "/metrics", Need::Scraper),
    (GET, "/api/v1/rankings", Need::May(SeeRankings)),
    (GET, "/api/v1/units/{code}", Need::May(SeeRankings)),
    (GET, "/api/v1/units/{code}/explanations", Need::UnitInFull),
    (GET, "/api/v1/units/{code}/indicators/{indicator}/records", Need::UnitInFull),
    (GET, "/api/v1/openapi.json", Need::Anyone),
    (GET, "/api/v1/persons/{ref}/check", Need::May(PersonFiles)),
    (GET, "/api/v1/robustness", Need::May(SeeRankings)),
];

/// What `method` on route `path` needs; `None` when the table has no row.
pub fn need(method: &str, path: &str) -> Option<Need> {
    let method = if method == "HEAD" { GET } else { method };
    ROUTES.iter().find(|(m, p, _)| *m == method && *p == path).map(|(_, _, n)| *n)
}

/// Whether `user` (signed in) passes `need`, given the route's `{code}`.
pub fn allows(user: &User, need: Need, code: Option<&str>) -> bool {
    match need {
        Need::Anyone | Need::SignedIn | Need::Scraper => true,
        Need::May(c) => user.may(c),
        Need::UnitInFull => code.is_some_and(|c| user.sees_unit_in_full(c)),
    }
}

/// The route guard, applied by the router to every route.
pub async fn guard(State(state): State<AppState>, matched: MatchedPath, params: RawPathParams, request: Request, next: Next) -> Response {
    let path = matched.as_str();
    let Some(need) = need(request.method().as_str(), path) else {
        // Fail closed: a request the table has no row for never reaches a
        // handler. A known route with another method is told which methods
        // it has (405, as the router would); a route the table does not
        // know at all is not found.
        return match allowed_methods(path) {
            Some(allowed) => method_not_allowed(path, &allowed),
            None => AppError::NotFound.into_response(),
        };
    };
    if need == Need::Anyone {
        return next.run(request).await;
    }
    if need == Need::Scraper {
        let peer = request.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_canonical());
        if super::metrics::may_scrape(peer, request.headers(), &state.config) {
            return next.run(request).await;
        }
        return AppError::NotFound.into_response();
    }
    let api = path.starts_with("/api/");
    let (mut parts, body) = request.into_parts();
    let user = if api {
        match super::session::api_user(&parts, &state).await {
            Ok(Some(user)) => user,
            Ok(None) => return AppError::api(StatusCode::UNAUTHORIZED, "unauthorized", "sign in or send Authorization: Bearer TOKEN").into_response(),
            Err(e) => return AppError::internal(e).into_response(),
        }
    } else {
        match super::session::page_session(&parts, &state).await {
            Ok(session) => {
                let user = session.user.clone();
                parts.extensions.insert(session);
                user
            }
            Err(refusal) => return refusal.into_response(),
        }
    };
    let code = params.iter().find(|(name, _)| *name == "code").map(|(_, value)| value);
    // The request's log lines name the account (never a person's
    // reference: those stay out of paths and fields alike).
    tracing::Span::current().record("user", user.username.as_str());
    if !allows(&user, need, code) {
        return refusal(api, need).into_response();
    }
    parts.extensions.insert(user);
    next.run(Request::from_parts(parts, body)).await
}

/// The methods route `path` has rows for ("GET, POST"), if any.
fn allowed_methods(path: &str) -> Option<String> {
    let methods: Vec<&str> = ROUTES.iter().filter(|(_, p, _)| *p == path).map(|(m, _, _)| *m).collect();
    (!methods.is_empty()).then(|| methods.join(", "))
}

/// 405 with the route's methods; under `/api/` in the API's envelope.
fn method_not_allowed(path: &str, allowed: &str) -> Response {
    let mut response = if path.starts_with("/api/") {
        AppError::api(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "the API answers GET only").into_response()
    } else {
        StatusCode::METHOD_NOT_ALLOWED.into_response()
    };
    if let Ok(value) = axum::http::HeaderValue::from_str(allowed) {
        response.headers_mut().insert(axum::http::header::ALLOW, value);
    }
    response
}

/// A refused request's answer. A page says 403. The API says 403 for what
/// a role may never do, and 404 "unknown or not yours" for a unit not
/// seen in full, so that a unit learns nothing of another's existence.
fn refusal(api: bool, need: Need) -> AppError {
    match (api, need) {
        (true, Need::May(c)) => AppError::api(StatusCode::FORBIDDEN, "forbidden", format!("this role may not {}", c.describe().1)),
        _ => AppError::Forbidden,
    }
}

/// A role's answer to `need` in the access matrix.
fn verdict(role: Role, need: Need) -> &'static str {
    match need {
        Need::Anyone | Need::SignedIn | Need::Scraper => "✓",
        Need::May(c) if role.may(c) => "✓",
        Need::May(_) => "",
        Need::UnitInFull if role.may(SeeEveryUnit) => "every unit",
        Need::UnitInFull if role.may(SeeOwnUnit) => "own unit",
        Need::UnitInFull => "",
    }
}

fn need_words(need: Need) -> String {
    match need {
        Need::Anyone => "anyone, signed in or not".to_string(),
        Need::SignedIn => "signed in".to_string(),
        Need::May(c) => c.describe().1.to_string(),
        Need::UnitInFull => "the unit `{code}` in full".to_string(),
        Need::Scraper => "a scraper on the server itself connecting directly, or sending the metrics token (never through the proxy)".to_string(),
    }
}

/// The access matrix as Markdown: every capability against every role,
/// then every route with what it needs and whom that lets in. Written to
/// `docs/access.md` by the test below; never edited by hand.
pub fn matrix() -> String {
    let roles = |out: &mut String| {
        for role in Role::ALL {
            out.push_str(&format!(" {} |", role.code()));
        }
        out.push('\n');
    };
    let mut out = String::from(
        "# Who may do what\n\n\
         Generated from `server/src/auth/access.rs` (what each role may do) and\n\
         `server/src/http/guard.rs` (what each route needs) by\n\
         `ZHENGXIN_WRITE_DOCS=1 cargo test --workspace --lib access_matrix`;\n\
         do not edit by hand: a test fails when this file and the code differ.\n\n\
         Roles: ",
    );
    let names: Vec<String> = Role::ALL.iter().map(|r| format!("`{}` {}", r.code(), r.label_zh())).collect();
    out.push_str(&names.join(", "));
    out.push_str(".\n\n## Capabilities\n\n| capability | 能力 |");
    roles(&mut out);
    out.push_str(&format!("|---|---|{}\n", "---|".repeat(Role::ALL.len())));
    for c in Capability::ALL {
        let (zh, en) = c.describe();
        out.push_str(&format!("| {en} | {zh} |"));
        for role in Role::ALL {
            out.push_str(if role.may(c) { " ✓ |" } else { " |" });
        }
        out.push('\n');
    }
    out.push_str(
        "\n## Routes\n\n\
         Checked before any handler runs. Signed out, a page sends the browser to\n\
         sign in and the API answers 401. A refused page answers 403; the API\n\
         answers 403 for a capability and 404 (\"unknown or not yours\") for a unit\n\
         not seen in full. Some routes decide more from the same table (noted).\n\n\
         | method | route | needs |",
    );
    roles(&mut out);
    out.push_str(&format!("|---|---|---|{}\n", "---|".repeat(Role::ALL.len())));
    for (method, path, need) in ROUTES {
        out.push_str(&format!("| {method} | `{path}` | {} |", need_words(*need)));
        for role in Role::ALL {
            out.push_str(&format!(" {} |", verdict(role, *need)));
        }
        out.push('\n');
    }
    out.push_str(
        "\n## Decided in the handler, from the same table\n\n\
         - `/`: a role without `see rankings` is sent to its home (the first entry of its menu).\n\
         - `/exports/{year}/{file}`: the whole table needs `export the whole ranking table`; one unit's row (`?unit=`), that unit in full.\n\
         - `/reports/{year}/notice.pdf` needs `export the whole ranking table`; `unit-reports.zip` needs `export every unit's report`; `/reports/{year}/units/{code}.pdf` needs the unit in full.\n\
         - Records show personal columns unmasked only with `see records' personal columns unmasked`.\n\
         - Objections, repair applications and deadlines: a unit sees and acts for its own unit only.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_matrix_in_the_docs_is_generated_from_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/access.md");
        let made = matrix();
        if std::env::var_os("ZHENGXIN_WRITE_DOCS").is_some() {
            std::fs::write(path, &made).expect("write docs/access.md");
        }
        let written = std::fs::read_to_string(path).unwrap_or_default();
        assert!(written == made, "docs/access.md differs from the access table: run ZHENGXIN_WRITE_DOCS=1 cargo test --workspace --lib access_matrix");
    }

    #[test]
    fn every_route_has_one_row() {
        let mut seen = std::collections::BTreeSet::new();
        for (method, path, _) in ROUTES {
            assert!(seen.insert((method, path)), "{method} {path} twice");
        }
    }

    fn user(role: Role, unit: Option<&str>) -> User {
        User { id: 1, username: "u".into(), role, unit_code: unit.map(str::to_string) }
    }

    #[test]
    fn a_unit_passes_for_its_own_code_only() {
        let unit = user(Role::Unit, Some("330302"));
        assert!(allows(&unit, Need::UnitInFull, Some("330302")));
        assert!(!allows(&unit, Need::UnitInFull, Some("330303")));
        assert!(!allows(&unit, Need::UnitInFull, None));
        assert!(allows(&user(Role::Leader, None), Need::UnitInFull, Some("330303")));
        assert!(!allows(&user(Role::SystemAdmin, None), Need::UnitInFull, Some("330302")));
        assert!(!allows(&user(Role::Leader, None), Need::May(Import), None));
        assert!(allows(&user(Role::Assessor, None), Need::May(Import), None));
        assert_eq!(need("HEAD", "/data"), Some(Need::May(SeeRankings)));
        assert_eq!(need("POST", "/data"), None);
        assert_eq!(allowed_methods("/objections").as_deref(), Some("GET, POST"));
        assert_eq!(allowed_methods("/no-such-route"), None);
    }
}
