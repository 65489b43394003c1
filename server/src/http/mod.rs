//! HTTP: shared state, the router and one module per page family. Pages
//! read stored results; they never recompute on a page view.

pub mod api;
pub mod audit;
pub mod cache;
pub mod client;
pub mod exports;
pub mod guard;
pub mod home;
pub mod imports;
pub mod jobs;
pub mod listen;
pub mod login;
pub mod menu;
pub mod metrics;
pub mod objections;
pub mod overview;
pub mod places;
pub mod persons;
pub mod public;
pub mod publication;
pub mod records;
pub mod repairs;
pub mod reports;
pub mod router;
pub mod security;
pub mod session;
pub mod shared;
pub mod statistics;
pub mod supervision;
pub mod two_factor;
pub mod units;
pub mod users;
pub mod whatif;

use std::sync::Arc;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::config::Config;
use crate::db::Db;

/// What every handler gets; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub pages: Arc<cache::PageCache>,
    /// The public's pages, apart from the signed-in users' ones.
    pub public_pages: Arc<cache::PageCache>,
    /// Published results the public pages show, per result epoch and year.
    pub published: Arc<cache::PublishedCache>,
    pub jobs: Arc<crate::jobs::Jobs>,
    pub explanations: Arc<cache::ExplanationCache>,
    pub simulations: Arc<cache::RobustnessCache>,
    /// The database holds the demo data: every page says so.
    pub demo: bool,
    pub throttle: Arc<crate::auth::throttle::SignInThrottle>,
    /// Places for expensive requests (exports, record lists, explanations)
    /// and for uploads.
    pub places: Arc<places::Places>,
    /// Requests per address on the public pages.
    pub public: Arc<public::PublicLimiter>,
    /// The security policy in force, read at start and replaced when the
    /// security administrator changes it (only through this server).
    pub policy: Arc<std::sync::RwLock<crate::auth::policy::Policy>>,
}

impl AppState {
    pub fn new(db: Db, config: Config, demo: bool, policy: crate::auth::policy::Policy) -> AppState {
        AppState {
            demo,
            policy: Arc::new(std::sync::RwLock::new(policy)),
            throttle: Arc::default(),
            places: Arc::default(),
            public: Arc::default(),
            db,
            config: Arc::new(config),
            pages: Arc::new(cache::PageCache::new(cache::PAGES)),
            public_pages: Arc::new(cache::PageCache::new(cache::PUBLIC_PAGES)),
            published: Arc::new(cache::PublishedCache::new(cache::PUBLISHED)),
            jobs: Arc::default(),
            explanations: Arc::new(cache::ExplanationCache::new(cache::EXPLANATIONS)),
            simulations: Arc::new(cache::RobustnessCache::new(cache::SIMULATIONS)),
        }
    }

    /// The security policy in force.
    pub fn policy(&self) -> crate::auth::policy::Policy {
        self.policy.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// Errors at the HTTP edge of the pages: the status and message a user
/// sees. An internal error keeps its cause (with its chain of sources);
/// the response carries it as a [`Cause`] for [`log_failures`], and the
/// user sees only that something failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
    /// Not signed in: pages send the browser to the sign-in form.
    #[error("not signed in")]
    SignIn { next: String },
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// An answer worded for API clients as well: its status, a stable
    /// code and a message (pages show their own text for the status).
    #[error("{message}")]
    Api { status: StatusCode, code: &'static str, message: String },
}

/// What an error says to an API client: the JSON envelope's status, code
/// and message (interfaces.md). Every error response carries it;
/// `api::envelope` turns it into the body on `/api/` routes.
#[derive(Debug, Clone)]
pub struct ApiAnswer {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl AppError {
    /// An internal error with its cause.
    pub fn internal(cause: impl Into<anyhow::Error>) -> AppError {
        AppError::Internal(cause.into())
    }

    /// An answer with its own code and message for API clients.
    pub fn api(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Api { status, code, message: message.into() }
    }

    /// 404 "… is unknown or not yours": whether it exists or is someone
    /// else's is not told apart.
    pub fn api_not_found(what: &str) -> AppError {
        AppError::api(StatusCode::NOT_FOUND, "not_found", format!("{what} is unknown or not yours"))
    }

    /// The envelope an API client gets. A page's "forbidden" is 404 there:
    /// a unit asking for another unit's data learns nothing, not even that
    /// the unit exists.
    fn api_answer(&self) -> ApiAnswer {
        let answer = |status, code, message: &str| ApiAnswer { status, code, message: message.to_string() };
        match self {
            AppError::Api { status, code, message } => answer(*status, code, message),
            AppError::Forbidden | AppError::NotFound => answer(StatusCode::NOT_FOUND, "not_found", "this unit, indicator or result is unknown or not yours"),
            AppError::BadRequest(m) => answer(StatusCode::UNPROCESSABLE_ENTITY, "bad_request", m),
            AppError::SignIn { .. } => answer(StatusCode::UNAUTHORIZED, "unauthorized", "sign in or send Authorization: Bearer TOKEN"),
            AppError::Internal(_) => answer(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error"),
        }
    }
}

impl From<crate::db::DbError> for AppError {
    fn from(e: crate::db::DbError) -> Self {
        AppError::internal(e)
    }
}

impl From<crate::auth::AuthError> for AppError {
    fn from(e: crate::auth::AuthError) -> Self {
        AppError::internal(e)
    }
}

impl From<crate::scoring::ScoringError> for AppError {
    fn from(e: crate::scoring::ScoringError) -> Self {
        match e {
            crate::scoring::ScoringError::NoResult(m) | crate::scoring::ScoringError::NoRows(m) => AppError::api(StatusCode::NOT_FOUND, "not_found", m),
            crate::scoring::ScoringError::Engine(analytics::EngineError::UnknownIndicator(id)) => {
                AppError::api(StatusCode::UNPROCESSABLE_ENTITY, "unknown_indicator", format!("unknown indicator {id}"))
            }
            crate::scoring::ScoringError::Robustness(analytics::robustness::RobustnessError::Nominal(m)) => {
                AppError::api(StatusCode::CONFLICT, "nominal_mismatch", format!("the version's nominal result does not recompute: {m}"))
            }
            crate::scoring::ScoringError::Robustness(e) => AppError::api(StatusCode::UNPROCESSABLE_ENTITY, "bad_settings", e.to_string()),
            other => AppError::internal(other),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let api = self.api_answer();
        let (status, zh, en) = match &self {
            AppError::SignIn { next } => {
                let target = format!("/login?next={}", percent_encode(next));
                return Redirect::to(&target).into_response();
            }
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误，请稍后重试。", "Internal error; please try again later."),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "您无权查看此内容。", "You may not see this."),
            AppError::NotFound => (StatusCode::NOT_FOUND, "未找到该内容。", "Not found."),
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "请求有误。", "Bad request."),
            AppError::Api { status, .. } => match *status {
                StatusCode::UNAUTHORIZED => (*status, "请先登录。", "Please sign in."),
                StatusCode::FORBIDDEN => (*status, "您无权查看此内容。", "You may not see this."),
                StatusCode::NOT_FOUND => (*status, "未找到该内容。", "Not found."),
                StatusCode::SERVICE_UNAVAILABLE => (*status, "服务器繁忙，请稍后再试。", "The server is busy; try again in a few seconds."),
                s if s.is_client_error() => (*status, "请求有误。", "Bad request."),
                _ => (*status, "服务器内部错误，请稍后重试。", "Internal error; please try again later."),
            },
        };
        let mut response = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], error_page(dashboards::layout::Lang::Zh, zh, en)).into_response();
        response.extensions_mut().insert(ErrorText { zh, en });
        response.extensions_mut().insert(api);
        if let AppError::Internal(cause) = self {
            response.extensions_mut().insert(Cause(Arc::new(cause)));
        }
        response
    }
}

/// Why a request failed inside the server, carried by its response to
/// [`log_failures`]; never sent to the client.
#[derive(Debug, Clone)]
pub struct Cause(pub Arc<anyhow::Error>);

/// Logs the [`Cause`] of a failed request, once, inside the request's span
/// (method and path), with every source of the error. Errors are turned
/// into responses where they happen and logged here, not in between.
pub async fn log_failures(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    if let Some(Cause(cause)) = response.extensions_mut().remove::<Cause>() {
        tracing::error!(status = response.status().as_u16(), cause = format!("{cause:#}"), "request failed");
    }
    response
}

/// An error page in one language.
fn error_page(lang: dashboards::layout::Lang, zh: &str, en: &str) -> String {
    error_page_for(lang, zh, en, None)
}

/// An error page in one language, with the signed-in user's navigation
/// when there is one (a 403 must not strand its reader).
fn error_page_for(lang: dashboards::layout::Lang, zh: &str, en: &str, nav: Option<&dashboards::layout::Nav>) -> String {
    let text = lang.pick(zh, en);
    let body = maud::html! { h1 { (text) } p { a href=(dashboards::layout::link(lang, "/", "")) { (lang.pick("返回首页", "Home")) } } };
    match nav {
        Some(nav) => dashboards::layout::signed_in(lang, text, "/", nav, body),
        None => dashboards::layout::page(lang, text, "/", body),
    }
    .into_string()
}

/// The texts of an error page, so that [`localize_errors`] can render it
/// again in the language of the request.
#[derive(Debug, Clone, Copy)]
struct ErrorText {
    zh: &'static str,
    en: &'static str,
}

/// Error pages are rendered without the request at hand, in Chinese; an
/// English request gets them in English: `?lang=en` in its address, or,
/// for a form sent from an English page, in the page it came from (the
/// `Referer`, which the same-origin referrer policy keeps on this site).
pub async fn localize_errors(axum::extract::State(state): axum::extract::State<AppState>, request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    fn lang_of(query: Option<&str>) -> Option<&str> {
        query.and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("lang=")))
    }
    let referer = request.headers().get(header::REFERER).and_then(|v| v.to_str().ok()).map(str::to_string);
    let asked = lang_of(request.uri().query()).or_else(|| lang_of(referer.as_deref().and_then(|r| r.split_once('?')).map(|(_, q)| q)));
    let lang = dashboards::layout::Lang::from_param(asked);
    let (parts, body) = request.into_parts();
    let signed_in = session::cookie(&parts.headers, &client::Client::of(&parts, &state.config).cookie_name(session::SESSION_COOKIE));
    let mut response = next.run(axum::extract::Request::from_parts(parts, body)).await;
    let is_html = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        // The API's errors are JSON envelopes: never pages.
        return response;
    }
    let Some(text) = response.extensions_mut().remove::<ErrorText>() else { return response };
    // A page error for someone signed in is shown inside their navigation
    // (looked up only now: errors are rare, pages are not).
    let nav = match signed_in {
        Some(id) => crate::auth::sessions::find(&state.db, &id, state.config.idle_minutes).await.ok().flatten().map(|s| session::nav(&s)),
        None => None,
    };
    if lang == dashboards::layout::Lang::Zh && nav.is_none() {
        return response;
    }
    let status = response.status();
    let (parts, _) = response.into_parts();
    let mut again = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], error_page_for(lang, text.zh, text.en, nav.as_ref())).into_response();
    // Whatever else the error carried (Retry-After, its API answer) stays.
    for (name, value) in parts.headers.iter().filter(|(n, _)| *n != header::CONTENT_TYPE && *n != header::CONTENT_LENGTH) {
        again.headers_mut().insert(name.clone(), value.clone());
    }
    *again.extensions_mut() = parts.extensions;
    again
}

/// On a demo install, puts the demo banner at the top of every HTML page
/// (signed in or not, error pages too), in the page's language. Pages are
/// rendered by the pure `dashboards` crate, which knows nothing of installs;
/// so the banner goes in here, right after `<body>`.
pub async fn demo_banner(axum::extract::State(state): axum::extract::State<AppState>, request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !state.demo || !is_html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Our own pages, a few hundred kilobytes at most.
    let Ok(bytes) = axum::body::to_bytes(body, 64 << 20).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "page too large").into_response();
    };
    let page = String::from_utf8_lossy(&bytes);
    let lang = if page.contains("<html lang=\"en\"") { dashboards::layout::Lang::En } else { dashboards::layout::Lang::Zh };
    let banner = dashboards::layout::demo_banner(lang).into_string();
    let with_banner = match page.find("<body>") {
        Some(at) => format!("{}{banner}{}", &page[..at + "<body>".len()], &page[at + "<body>".len()..]),
        None => page.into_owned(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(with_banner))
}

/// A multipart field's bytes, read only up to `max`: `None` when the field
/// is larger (reading stops at the limit, so an upload never holds more).
pub async fn read_capped(field: &mut axum::extract::multipart::Field<'_>, max: usize) -> Result<Option<Vec<u8>>, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| AppError::BadRequest(e.body_text()))? {
        if bytes.len() + chunk.len() > max {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

/// Percent-encodes a path for a query value.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    /// A log kept in memory.
    #[derive(Clone, Default)]
    struct Log(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Log {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_failure_is_logged_once_with_its_request_and_every_cause_and_never_shown() {
        let log = Log::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        async fn failing() -> Result<&'static str, AppError> {
            let io = std::io::Error::other("disk full");
            Err(AppError::internal(anyhow::Error::new(io).context("writing the export")))
        }
        let app = Router::new().route("/x", get(failing)).layer(axum::middleware::from_fn(log_failures)).layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(|r: &axum::http::Request<axum::body::Body>| tracing::info_span!("request", path = %r.uri().path())),
        );
        let response = app.oneshot(axum::http::Request::get("/x").body(axum::body::Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(response.extensions().get::<Cause>().is_none(), "the cause is taken off the response");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("disk full"), "never shown to the user");
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        let failures: Vec<&str> = text.lines().filter(|l| l.contains("request failed")).collect();
        assert_eq!(failures.len(), 1, "{text}");
        assert!(failures[0].contains("path=/x") && failures[0].contains("writing the export: disk full"), "{text}");
    }
}
