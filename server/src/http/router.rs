//! Every route in one place, with the layers that apply to all of them.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use super::{AppState, api, exports, home, login, objections, overview, units};

/// The largest request body accepted (uploads included).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The API routes, also listed in `openapi.json` (a test keeps them equal).
pub const API_ROUTES: [&str; 4] = ["/rankings", "/units/{code}", "/units/{code}/explanations", "/openapi.json"];

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route(API_ROUTES[0], get(api::rankings))
        .route(API_ROUTES[1], get(api::unit))
        .route(API_ROUTES[2], get(api::explanations))
        .route(API_ROUTES[3], get(api::openapi));
    Router::new()
        .route("/", get(overview::page))
        .route("/data", get(home::home))
        .route("/units/{code}", get(units::scorecard))
        .route("/units/{code}/indicators/{indicator}", get(units::indicator))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/objections", get(objections::page).post(objections::file))
        .route("/objections/{id}/decide", post(objections::decide))
        .route("/score", post(objections::rescore))
        .route("/publish", post(objections::publish))
        .route("/exports/{year}/{file}", get(exports::rankings))
        .route("/healthz", get(home::healthz))
        .nest("/api/v1", api)
        .layer(axum::middleware::map_response(security_headers))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Headers every response carries: no sniffing, no framing, no inline
/// scripts, no referrer leaks, no caching of signed-in pages.
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    let h = response.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'"),
    );
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

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
