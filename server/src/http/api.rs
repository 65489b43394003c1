//! The JSON API under `/api/v1` (interfaces.md): the session cookie or a
//! bearer token; errors as `{"error": {"code", "message"}}` with 401 not
//! signed in, 403 not allowed, 404 unknown or not yours, 422 bad input;
//! lists paginated with the total in the body. The same permissions as the
//! pages. `openapi.json` describes exactly these routes.

use analytics::domain::PeerGroup;
use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{AppError, AppState};
use super::shared::pick_year;
use crate::auth::User;
use crate::scoring::results::{IndicatorResult, VersionInfo};
use crate::scoring::explain;

/// A query string for the API: what `axum`'s `Query` reads, but a query
/// it cannot read (`page=abc`, a negative number) answers the JSON error
/// envelope with 422 and the reason, as every other API error does, not a
/// `text/plain` 400.
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(AppError::api(StatusCode::UNPROCESSABLE_ENTITY, "bad_query", rejection.body_text())),
        }
    }
}

/// Every error under `/api/` as the JSON envelope (interfaces.md): the
/// [`super::ApiAnswer`] an error carries, or, for what layers that know
/// nothing of the API answer (a request that took too long, a body over
/// the limit), one made from the status. The error's cause stays with the
/// response for [`super::log_failures`].
pub async fn envelope(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let status = response.status();
    let json = response.headers().get(axum::http::header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !api || json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let answer = response.extensions_mut().remove::<super::ApiAnswer>().unwrap_or_else(|| {
        let (code, message) = match status {
            StatusCode::SERVICE_UNAVAILABLE => ("busy", "the request took too long; try again later"),
            StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "the request is too large"),
            _ => ("error", status.canonical_reason().unwrap_or("error")),
        };
        super::ApiAnswer { status, code, message: message.to_string() }
    });
    let body = Json(serde_json::json!({ "error": { "code": answer.code, "message": answer.message } }));
    let mut out = (answer.status, body).into_response();
    if let Some(retry) = response.headers().get(axum::http::header::RETRY_AFTER) {
        out.headers_mut().insert(axum::http::header::RETRY_AFTER, retry.clone());
    }
    if let Some(cause) = response.extensions_mut().remove::<super::Cause>() {
        out.extensions_mut().insert(cause);
    }
    out
}

/// Any other address under `/api/v1`: 404 in the envelope.
pub async fn no_such_route() -> AppError {
    AppError::api(StatusCode::NOT_FOUND, "not_found", "no such API route (see /api/v1/openapi.json)")
}

/// A method the route does not answer (the API only reads): 405 in the
/// envelope.
pub async fn no_such_method() -> AppError {
    AppError::api(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "the API answers GET only")
}

/// The signed-in user of an API request, or 401.
pub struct ApiUser(pub User);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // The route guard has found it already (every guarded route).
        if let Some(user) = parts.extensions.get::<User>() {
            return Ok(ApiUser(user.clone()));
        }
        match super::session::api_user(parts, state).await.map_err(AppError::internal)? {
            Some(u) => Ok(ApiUser(u)),
            None => Err(AppError::api(StatusCode::UNAUTHORIZED, "unauthorized", "sign in or send Authorization: Bearer TOKEN")),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RankingQuery {
    pub year: Option<i32>,
    pub group: Option<String>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct VersionSummary {
    pub version: i64,
    pub as_of: String,
    pub published: bool,
    pub content_hash: String,
}

fn summary(v: &VersionInfo) -> VersionSummary {
    VersionSummary {
        version: v.version,
        as_of: v.as_of.to_string(),
        published: v.published_at.is_some(),
        content_hash: v.content_hash.clone(),
    }
}

/// What every signed-in user may see of any unit.
#[derive(Debug, Serialize)]
pub struct RankingItem {
    pub unit_code: String,
    pub unit_name: String,
    pub group: String,
    pub total: f64,
    pub rank: Option<i64>,
    pub grade: String,
}

async fn version_for(state: &AppState, year: Option<i32>) -> Result<(i32, VersionInfo), AppError> {
    let (_, year, version) = pick_year(&state.db, year).await?;
    let v = version.ok_or_else(|| AppError::api(StatusCode::NOT_FOUND, "no_result", format!("no result for {year}")))?;
    Ok((year, v))
}

/// `GET /api/v1/rankings`
pub async fn rankings(State(state): State<AppState>, ApiUser(_): ApiUser, ApiQuery(q): ApiQuery<RankingQuery>) -> Result<Json<serde_json::Value>, AppError> {
    if let Some(g) = &q.group
        && !PeerGroup::ALL.iter().any(|p| p.code() == g.as_str())
    {
        return Err(AppError::api(StatusCode::UNPROCESSABLE_ENTITY, "bad_group", "group is county, department or township"));
    }
    let per_page = q.per_page.unwrap_or(50);
    if !(1..=500).contains(&per_page) || q.page == Some(0) {
        return Err(AppError::api(StatusCode::UNPROCESSABLE_ENTITY, "bad_page", "page ≥ 1 and 1 ≤ per_page ≤ 500"));
    }
    let page = q.page.unwrap_or(1);
    let (year, v) = version_for(&state, q.year).await?;
    let stored = crate::scoring::stored::load(&state.db, &v).await?;
    let units = &stored.rows.units;
    let matching: Vec<_> = units.iter().filter(|u| q.group.as_ref().is_none_or(|g| u.group == g.as_str())).collect();
    let items: Vec<RankingItem> = matching
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|u| RankingItem {
            unit_code: u.unit_code.clone(),
            unit_name: u.unit_name.clone(),
            group: u.group.to_string(),
            total: u.total,
            rank: u.rank,
            grade: u.grade.to_string(),
        })
        .collect();
    Ok(Json(serde_json::json!({
        "year": year, "version": summary(&v), "total": matching.len(), "page": page, "per_page": per_page, "items": items,
    })))
}

#[derive(Debug, Deserialize)]
pub struct UnitQuery {
    pub year: Option<i32>,
    pub indicator: Option<String>,
}

/// `GET /api/v1/units/{code}`: the full result for those who may see it,
/// else the ranking item only.
pub async fn unit(State(state): State<AppState>, ApiUser(user): ApiUser, Path(code): Path<String>, ApiQuery(q): ApiQuery<UnitQuery>) -> Result<Json<serde_json::Value>, AppError> {
    let (year, v) = version_for(&state, q.year).await?;
    let stored = crate::scoring::stored::load(&state.db, &v).await?;
    let u = stored.unit(&code).cloned().ok_or_else(|| AppError::api_not_found("unit"))?;
    if !user.sees_unit_in_full(&code) {
        return Ok(Json(serde_json::json!({
            "year": year, "version": summary(&v),
            "unit": RankingItem { unit_code: u.unit_code, unit_name: u.unit_name, group: u.group.to_string(), total: u.total, rank: u.rank, grade: u.grade.to_string() },
        })));
    }
    let indicators: Vec<&IndicatorResult> = stored.rows.indicators.iter().filter(|r| r.unit_code == code).collect();
    Ok(Json(serde_json::json!({ "year": year, "version": summary(&v), "unit": u, "indicators": indicators })))
}

/// `GET /api/v1/units/{code}/explanations`: formula, value and the record
/// ids behind each indicator (or one, with `indicator`).
pub async fn explanations(
    State(state): State<AppState>,
    ApiUser(_): ApiUser,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<UnitQuery>,
) -> Result<Json<explain::UnitExplanation>, AppError> {
    let (_, v) = version_for(&state, q.year).await?;
    let answer = super::cache::explanation(&state, &v, &code, q.indicator.as_deref()).await?;
    Ok(Json((*answer).clone()))
}

#[derive(Debug, Deserialize)]
pub struct RobustnessQuery {
    pub year: Option<i32>,
    pub version: Option<i64>,
    pub draws: Option<u32>,
    pub seed: Option<u64>,
    pub weights: Option<f64>,
    pub thresholds: Option<f64>,
}

impl RobustnessQuery {
    /// The simulation's settings: what the query gives, robustness.md §1's
    /// defaults for the rest.
    pub fn settings(&self) -> analytics::robustness::Settings {
        let d = analytics::robustness::Settings::default();
        analytics::robustness::Settings {
            draws: self.draws.unwrap_or(d.draws),
            seed: self.seed.unwrap_or(d.seed),
            factors: analytics::robustness::Factors {
                weights: self.weights.unwrap_or(d.factors.weights),
                thresholds: self.thresholds.unwrap_or(d.factors.thresholds),
            },
        }
    }
}

/// The most draws the API runs (the command line may run more).
pub const API_MAX_DRAWS: u32 = 100_000;

/// `GET /api/v1/robustness`: how sure each rank is (robustness.md §1).
/// Leadership and the assessment team see every unit; a unit its own
/// figures only.
pub async fn robustness(State(state): State<AppState>, ApiUser(user): ApiUser, ApiQuery(q): ApiQuery<RobustnessQuery>) -> Result<Json<crate::scoring::robustness::Robustness>, AppError> {
    let settings = q.settings();
    if settings.draws > API_MAX_DRAWS {
        return Err(AppError::api(StatusCode::UNPROCESSABLE_ENTITY, "bad_settings", format!("at most {API_MAX_DRAWS} draws here; the command line runs more")));
    }
    let (_, year, default) = pick_year(&state.db, q.year).await?;
    let version = match q.version {
        None => default.ok_or_else(|| AppError::api(StatusCode::NOT_FOUND, "no_result", format!("no result for {year}")))?,
        Some(n) => crate::scoring::stored_version(&state.db, year, Some(n)).await?,
    };
    let answer = super::cache::robustness(&state, &version, settings).await?;
    Ok(Json(match user.scope() {
        crate::auth::Scope::Every => (*answer).clone(),
        crate::auth::Scope::Unit(code) => answer.for_unit(code),
        crate::auth::Scope::None => return Err(AppError::api_not_found("unit")),
    }))
}

/// `GET /api/v1/openapi.json`
pub async fn openapi() -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// The OpenAPI 3 description of the routes above; a test checks that every
/// path in it is routed and every API route is in it.
pub const OPENAPI: &str = include_str!("openapi.json");

#[cfg(test)]
mod tests {
    use super::*;

    /// robustness.md §1: "default φ_W = 0.25", "default φ_T = 0.10",
    /// "Default N = 10,000 draws" and "a fixed seed": what `GET
    /// /api/v1/robustness?year=Y` runs when told nothing else; what it is
    /// told, it runs.
    #[test]
    fn the_robustness_api_runs_the_methods_defaults() {
        let q: RobustnessQuery = serde_json::from_str(r#"{"year": 2025}"#).unwrap();
        let s = q.settings();
        assert_eq!((s.factors.weights, s.factors.thresholds, s.draws, s.seed), (0.25, 0.10, 10_000, analytics::robustness::DEFAULT_SEED));
        let q: RobustnessQuery = serde_json::from_str(r#"{"draws": 500, "seed": 7, "weights": 0.1, "thresholds": 0.2}"#).unwrap();
        let s = q.settings();
        assert_eq!((s.factors.weights, s.factors.thresholds, s.draws, s.seed), (0.1, 0.2, 500, 7));
    }
}
