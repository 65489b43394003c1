//! The signed-in user of a request: from the session cookie (pages and
//! API) or an `Authorization: Bearer` token (API only), checked against
//! storage on every request.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::{AppError, AppState};
use crate::auth::{self, User, sessions::Session};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "zx_session";
/// The cookie carrying the sign-in form's CSRF token (before a session exists).
pub const LOGIN_CSRF_COOKIE: &str = "zx_login_csrf";

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}


/// The session cookie's value, under the name this request's scheme uses
/// (`__Host-` over HTTPS).
fn session_cookie(parts: &Parts, state: &AppState) -> Option<String> {
    cookie(&parts.headers, &super::client::Client::of(parts, &state.config).cookie_name(SESSION_COOKIE))
}

/// A page request's signed-in session; pages without one redirect to the
/// sign-in form.
pub struct PageSession(pub Session);

impl FromRequestParts<AppState> for PageSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // The route guard has found it already (every guarded route).
        if let Some(session) = parts.extensions.get::<Session>() {
            return Ok(PageSession(session.clone()));
        }
        page_session(parts, state).await.map(PageSession)
    }
}

/// A page request's signed-in session, or the way to the sign-in form.
pub async fn page_session(parts: &Parts, state: &AppState) -> Result<Session, AppError> {
    let next = parts.uri.path_and_query().map_or("/".to_string(), |p| p.as_str().to_string());
    let Some(id) = session_cookie(parts, state) else {
        return Err(AppError::SignIn { next });
    };
    match auth::sessions::find(&state.db, &id, state.policy().idle_minutes).await? {
        Some(s) => Ok(s),
        None => Err(AppError::SignIn { next }),
    }
}

/// The user of an API request: a bearer token or the session cookie.
/// `None` when neither is present or valid.
pub async fn api_user(parts: &Parts, state: &AppState) -> Result<Option<User>, auth::AuthError> {
    if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return match value.strip_prefix("Bearer ") {
            Some(token) => auth::tokens::user_for(&state.db, token.trim()).await,
            None => Ok(None),
        };
    }
    match session_cookie(parts, state) {
        Some(id) => Ok(auth::sessions::find(&state.db, &id, state.policy().idle_minutes).await?.map(|s| s.user)),
        None => Ok(None),
    }
}

/// The header's view of a session.
pub fn nav(session: &Session) -> dashboards::layout::Nav {
    dashboards::layout::Nav {
        username: session.user.username.clone(),
        role_zh: session.user.role.label_zh().to_string(),
        role_en: session.user.role.code().to_string(),
        csrf: session.csrf.clone(),
        menu: super::menu::for_user(&session.user),
    }
}

/// Refuses a form whose CSRF token is not the session's.
pub fn check_csrf(session: &Session, token: &str) -> Result<(), AppError> {
    if same_token(&session.csrf, token) {
        Ok(())
    } else {
        Err(AppError::BadRequest("CSRF token mismatch".into()))
    }
}

pub use crate::auth::same_token;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::COOKIE, "a=1; zx_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "zx"), None);
        assert!(same_token("abc", "abc") && !same_token("abc", "abd") && !same_token("abc", "ab"));
    }
}
