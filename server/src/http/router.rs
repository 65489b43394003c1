//! Every route in one place, with the layers that apply to all of them.

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use super::{AppState, api, audit, exports, home, imports, jobs, login, objections, overview, persons, public, publication, records, repairs, reports, security, statistics, supervision, two_factor, units, users, whatif};

/// The largest request body of anything but an upload (forms, API).
pub const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The largest import upload: its files and the form around them.
const IMPORT_BODY: usize = imports::MAX_UPLOAD_BYTES + imports::MULTIPART_OVERHEAD as usize;

/// How long any request but an upload may take, body included.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// How long an upload may take to arrive (64 MiB at about 80 KB/s).
pub const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The API routes, also listed in `openapi.json` (a test keeps them equal).
pub const API_ROUTES: [&str; 7] = [
    "/rankings",
    "/units/{code}",
    "/units/{code}/explanations",
    "/units/{code}/indicators/{indicator}/records",
    "/openapi.json",
    "/persons/{ref}/check",
    "/robustness",
];

/// The API under `/api/v1`, its errors in the envelope of interfaces.md.
fn api_routes(state: &AppState) -> Router<AppState> {
    let expensive = || axum::middleware::from_fn_with_state(state.clone(), super::places::limit_expensive);
    Router::new()
        .route(API_ROUTES[0], get(api::rankings))
        .route(API_ROUTES[1], get(api::unit))
        .route(API_ROUTES[2], get(api::explanations).route_layer(expensive()))
        .route(API_ROUTES[3], get(records::api).route_layer(expensive()))
        .route(API_ROUTES[4], get(api::openapi))
        .route(API_ROUTES[5], get(persons::check))
        .route(API_ROUTES[6], get(api::robustness).route_layer(expensive()))
        // Addresses and methods the API does not have answer in its
        // envelope too, not with an empty body.
        .fallback(api::no_such_route)
        .method_not_allowed_fallback(api::no_such_method)
}

/// The public's pages: rate-limited per address, cacheable, no session.
fn public_routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/public", get(public::index))
        // The address people type or paste with its slash, too.
        .route("/public/", get(public::index))
        .route("/public/results/{year}", get(public::results))
        .route("/public/records", get(public::records))
        .route("/public/data/{file}", get(public::data))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), public::limit))
}

/// The routes that take uploads, with their own time limit.
fn upload_routes(state: &AppState) -> Router<AppState> {
    let expensive = || axum::middleware::from_fn_with_state(state.clone(), super::places::limit_expensive);
    // Uploads are limited while they stream, inside the handler, so that an
    // upload over the limit gets the import page with the reason, not a bare
    // refusal; reading stops at the limit.
    //
    // Every upload is received whole first, within its account's upload
    // places and a minimum rate (`places::receive`); only then do the
    // what-if and repair handlers, which check what was sent, take an
    // expensive place. The import streams its files to disk itself.
    let receive = |max: usize| axum::middleware::from_fn_with_state((state.clone(), max), super::places::receive);
    const WHATIF_BODY: usize = whatif::MAX_RULEBOOK_BYTES + 64 * 1024;
    Router::new()
        .route(
            "/import",
            post(imports::upload)
                .layer(axum::extract::DefaultBodyLimit::max(IMPORT_BODY))
                .route_layer(axum::middleware::from_fn_with_state(state.clone(), super::places::pace_upload)),
        )
        .route("/whatif", post(whatif::upload).layer(axum::extract::DefaultBodyLimit::max(WHATIF_BODY)).route_layer(expensive()).route_layer(receive(WHATIF_BODY)))
        .route(
            "/repairs",
            post(repairs::apply).layer(axum::extract::DefaultBodyLimit::max(repairs::MAX_BODY)).route_layer(expensive()).route_layer(receive(repairs::MAX_BODY)),
        )
        // Before an upload's body is read: a refused user sends nothing.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), super::guard::guard))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, UPLOAD_TIMEOUT))
}

/// Signing in and out (with its second steps), an account's own page, and
/// the three administrators' pages.
fn account_routes(state: &AppState) -> Router<AppState> {
    let expensive = || axum::middleware::from_fn_with_state(state.clone(), super::places::limit_expensive);
    Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/login/code", get(two_factor::code_form).post(two_factor::code_submit))
        .route("/login/enrol", get(two_factor::enrol_form).post(two_factor::enrol_submit))
        .route("/login/password", get(two_factor::password_form).post(two_factor::password_submit))
        .route("/account", get(two_factor::account))
        .route("/account/two-factor", get(two_factor::account_enrol_form).post(two_factor::account_enrol))
        .route("/admin/users", get(users::page).post(users::add))
        .route("/admin/users/{username}/password", post(users::password))
        .route("/admin/users/{username}/disable", post(users::disable))
        .route("/admin/users/{username}/enable", post(users::enable))
        .route("/admin/users/{username}/unlock", post(users::unlock))
        .route("/admin/users/{username}/two-factor/reset", post(two_factor::reset))
        .route("/admin/security", get(security::page).post(security::save))
        .route("/admin/audit", get(audit::review))
        .route("/admin/audit/verify", post(audit::verify).route_layer(expensive()))
        .route("/admin/audit/audit.csv", get(audit::csv).route_layer(expensive()))
}

pub fn router(state: AppState) -> Router {
    let expensive = || axum::middleware::from_fn_with_state(state.clone(), super::places::limit_expensive);
    let pages = Router::new()
        .route("/", get(overview::page))
        .route("/data", get(home::home))
        .route("/units/{code}", get(units::scorecard))
        .route("/units/{code}/indicators/{indicator}", get(records::page).route_layer(expensive()))
        .route("/units/{code}/indicators/{indicator}/records.csv", get(records::csv).route_layer(expensive()))
        .route("/units/{code}/records/{source}/{id}", get(records::record))
        .route("/objections", get(objections::page).post(objections::file))
        .route("/objections/{id}/decide", post(objections::decide))
        .route("/repairs", get(repairs::page))
        .route("/repairs/{id}", get(repairs::show))
        .route("/repairs/{id}/evidence/{position}", get(repairs::evidence))
        .route("/repairs/{id}/decide", post(repairs::decide))
        .route("/persons", get(persons::page).post(persons::look_up))
        .route("/whatif", get(whatif::page).route_layer(expensive()))
        .route("/whatif/rules", post(whatif::edited).layer(axum::extract::DefaultBodyLimit::max(whatif::MAX_FORM_BYTES)).route_layer(expensive()))
        .route("/statistics", get(statistics::page).route_layer(expensive()))
        .route("/supervision", get(supervision::page))
        .route("/supervision/{file}", get(supervision::file).route_layer(expensive()))
        .route("/supervision/notices", post(supervision::issue).route_layer(expensive()))
        .route("/supervision/notices/{id}", get(supervision::notice))
        .route("/supervision/notices/{id}/notice.pdf", get(supervision::notice_pdf))
        .route("/score", post(jobs::rescore))
        .route("/publish", post(publication::publish))
        .route("/publication", get(publication::page))
        .route("/import", get(imports::page))
        .route("/import/{id}", get(imports::show))
        .route("/import/{id}/check", post(imports::recheck))
        .route("/import/{id}/commit", post(imports::commit))
        .route("/import/{id}/discard", post(imports::discard))
        .route("/jobs/{id}", get(jobs::page))
        .route("/exports/{year}/{file}", get(exports::rankings).route_layer(expensive()))
        .route("/reports/{year}/{file}", get(reports::year).route_layer(expensive()))
        .route("/reports/{year}/units/{file}", get(reports::unit).route_layer(expensive()))
        .merge(account_routes(&state))
        .merge(public_routes(&state))
        .route("/healthz", get(home::healthz))
        .route("/metrics", get(super::metrics::scrape))
        // A mistyped address gets the product's own 404 page (inside the
        // navigation of whoever is signed in), not the browser's.
        .fallback(no_such_page)
        .nest("/api/v1", api_routes(&state))
        // Outermost of each route's own layers: a refused request reaches
        // no handler and takes no expensive place.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), super::guard::guard))
        .layer(RequestBodyLimitLayer::new(MAX_FORM_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, REQUEST_TIMEOUT))
        .layer(axum::middleware::from_fn(api::envelope));
    let uploads = upload_routes(&state);
    pages
        .merge(uploads)
        .layer(axum::middleware::from_fn_with_state(state.clone(), super::localize_errors))
        .layer(axum::middleware::from_fn_with_state(state.clone(), super::demo_banner))
        .layer(axum::middleware::map_response_with_state(state.clone(), security_headers))
        .layer(axum::middleware::from_fn(super::log_failures))
        .layer(axum::middleware::from_fn(super::metrics::measure))
        // Requests are logged by method and path only: a query may carry a
        // search for a person reference, which must not reach the logs. The
        // span is at info level so that a failure logged inside it (by
        // `log_failures`) names its request.
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<axum::body::Body>| {
            let id = request.extensions().get::<RequestId>().map_or("", |r| r.0.as_str());
            tracing::info_span!("request", request_id = %id, method = %request.method(), path = %logged_path(request.uri().path()), user = tracing::field::Empty)
        }))
        .layer(axum::middleware::from_fn(request_id))
        .with_state(state)
}

/// An address no page has: the 404 page, worded by `localize_errors`.
async fn no_such_page() -> super::AppError {
    super::AppError::NotFound
}

/// A request's id: in its log lines (`request_id`) and its response's
/// `X-Request-Id` header, so a person reporting a problem can quote it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Gives each request an id: this process's random prefix and a count.
async fn request_id(mut request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| {
        let mut bytes = [0u8; 4];
        let _ = getrandom::fill(&mut bytes);
        crate::hashing::to_hex(&bytes)
    });
    let id = format!("{prefix}-{:x}", COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    if let Ok(value) = axum::http::HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// A request's path as the logs show it: a person reference in the
/// appointment check's path is replaced, so no person is named in a log.
fn logged_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix("/api/v1/persons/") {
        Some(rest) => {
            let tail = rest.split_once('/').map_or("", |(_, t)| t);
            std::borrow::Cow::Owned(format!("/api/v1/persons/…/{tail}"))
        }
        None => std::borrow::Cow::Borrowed(path),
    }
}

/// Headers every response carries: no sniffing, no framing, no inline
/// scripts, no referrer leaks, no caching of signed-in pages; and, when
/// people reach the site over HTTPS, HSTS.
async fn security_headers(axum::extract::State(state): axum::extract::State<AppState>, mut response: axum::response::Response) -> axum::response::Response {
    let h = response.headers_mut();
    if state.config.https() {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    // A handler may have set a stricter policy (evidence files: sandbox).
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static("default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_references_never_reach_the_log() {
        assert_eq!(logged_path("/api/v1/persons/P-00042/check"), "/api/v1/persons/…/check");
        assert_eq!(logged_path("/api/v1/persons/P-00042"), "/api/v1/persons/…/");
        assert_eq!(logged_path("/api/v1/rankings"), "/api/v1/rankings");
    }

    #[test]
    fn the_openapi_document_lists_exactly_the_api_routes() {
        let doc: serde_json::Value = serde_json::from_str(api::OPENAPI).expect("valid JSON");
        assert_eq!(doc["openapi"], "3.0.3");
        let mut documented: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
        let mut routed = API_ROUTES.to_vec();
        documented.sort();
        routed.sort();
        assert_eq!(documented, routed);
    }
}
