//! Signing in and out. The sign-in form carries a CSRF token that must
//! match its cookie (double submit); signing out needs the session's token.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use dashboards::layout::Lang;
use dashboards::pages::login::{LoginView, render};
use serde::Deserialize;

use super::session::{LOGIN_CSRF_COOKIE, PageSession, SESSION_COOKIE, check_csrf, cookie, same_token, set_cookie};
use super::{AppError, AppState};
use crate::auth;

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    pub next: Option<String>,
    pub lang: Option<String>,
}

/// Only same-site paths are followed after signing in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

fn form_page(lang: Lang, username: &str, failed: bool, next: &str) -> Result<Response, AppError> {
    let csrf = auth::random_secret()?;
    let view = LoginView {
        lang,
        csrf: csrf.clone(),
        username: username.to_string(),
        failed,
        next: next.to_string(),
    };
    let status = if failed { axum::http::StatusCode::UNAUTHORIZED } else { axum::http::StatusCode::OK };
    Ok((status, [(header::SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600))], render(&view)).into_response())
}

pub async fn form(Query(q): Query<LoginQuery>) -> Result<Response, AppError> {
    form_page(Lang::from_param(q.lang.as_deref()), "", false, &safe_next(q.next.as_deref()))
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    pub csrf: String,
    pub next: Option<String>,
    pub lang: Option<String>,
}

pub async fn submit(State(state): State<AppState>, headers: axum::http::HeaderMap, Form(f): Form<LoginForm>) -> Result<Response, AppError> {
    let lang = Lang::from_param(f.lang.as_deref());
    let next = safe_next(f.next.as_deref());
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(&expected, &f.csrf) {
        return Err(AppError::BadRequest("the sign-in form's CSRF token does not match".into()));
    }
    match auth::users::authenticate(&state.db, f.username.trim(), &f.password).await? {
        None => {
            tracing::info!("sign-in refused");
            form_page(lang, f.username.trim(), true, &next)
        }
        Some(user) => {
            let session = auth::sessions::create(&state.db, &user).await?;
            let cookie = set_cookie(SESSION_COOKIE, &session.id, auth::sessions::LIFETIME_HOURS * 3600);
            let target = if lang == Lang::En && !next.contains("lang=") {
                format!("{next}{}lang=en", if next.contains('?') { '&' } else { '?' })
            } else {
                next
            };
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&target)).into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

pub async fn logout(State(state): State<AppState>, PageSession(session): PageSession, Form(f): Form<CsrfForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    auth::sessions::end(&state.db, &session.id).await?;
    Ok(([(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0))], Redirect::to("/login")).into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/units/330302?year=2025")), "/units/330302?year=2025");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
