//! Signing in and out. The sign-in form carries a CSRF token that must
//! match its cookie (double submit); signing out needs the session's token.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use dashboards::layout::Lang;
use dashboards::pages::login::{LoginProblem, LoginView, render};
use serde::Deserialize;

use super::client::Client;
use super::session::{LOGIN_CSRF_COOKIE, PageSession, SESSION_COOKIE, check_csrf, cookie, same_token};
use super::{AppError, AppState};
use crate::auth;
use crate::auth::devices::DEVICE_COOKIE;
use crate::auth::throttle::{Attempt, Refusal};
use crate::auth::totp::SecondStep;

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    pub next: Option<String>,
    pub lang: Option<String>,
}

/// Only same-site absolute paths are followed after signing in. Browsers
/// drop tabs and newlines from a `Location` and read a backslash as a
/// slash, so `/\t/evil.example/` would become `//evil.example/`: any
/// control character, backslash or leading `//` sends the user home
/// instead, and so does anything that is not plain printable ASCII after
/// percent-encoding (what a browser sends).
pub(crate) fn safe_next(next: Option<&str>) -> String {
    let same_site = |n: &str| {
        n.starts_with('/')
            && !n.starts_with("//")
            && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
            && !n.to_ascii_lowercase().contains("%5c")
    };
    match next {
        Some(n) if same_site(n) => n.to_string(),
        _ => "/".to_string(),
    }
}

fn form_page(client: Client, lang: Lang, username: &str, problem: Option<LoginProblem>, next: &str) -> Result<Response, AppError> {
    use axum::http::StatusCode;
    let csrf = auth::random_secret()?;
    let view = LoginView {
        lang,
        csrf: csrf.clone(),
        username: username.to_string(),
        problem,
        next: next.to_string(),
    };
    let status = match problem {
        None => StatusCode::OK,
        Some(LoginProblem::Refused) => StatusCode::UNAUTHORIZED,
        Some(LoginProblem::Wait(_) | LoginProblem::Busy) => StatusCode::TOO_MANY_REQUESTS,
        Some(LoginProblem::Inactive | LoginProblem::Network) => StatusCode::FORBIDDEN,
    };
    let retry_after = match problem {
        Some(LoginProblem::Wait(seconds)) => seconds,
        _ => 1,
    };
    let mut response = (status, [(header::SET_COOKIE, client.set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600))], render(&view)).into_response();
    if status == StatusCode::TOO_MANY_REQUESTS {
        response.headers_mut().insert(header::RETRY_AFTER, retry_after.into());
    }
    Ok(response)
}

pub async fn form(client: Client, Query(q): Query<LoginQuery>) -> Result<Response, AppError> {
    form_page(client, Lang::from_param(q.lang.as_deref()), "", None, &safe_next(q.next.as_deref()))
}

/// The longest user name there can be (see `auth::users`).
const MAX_USERNAME_CHARS: usize = 64;

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    pub csrf: String,
    pub next: Option<String>,
    pub lang: Option<String>,
}

/// Refuses a form of signing in (the password, its second steps) whose
/// CSRF token is not the one its page set in the sign-in cookie (double
/// submit: there is no session yet).
pub(super) fn check_login_csrf(client: &Client, headers: &axum::http::HeaderMap, sent: &str) -> Result<(), AppError> {
    let expected = cookie(headers, &client.cookie_name(LOGIN_CSRF_COOKIE)).unwrap_or_default();
    if expected.is_empty() || !same_token(&expected, sent) {
        return Err(AppError::BadRequest("the sign-in form's CSRF token does not match".into()));
    }
    Ok(())
}

/// Checks a sign-in, throttled per account and address (see
/// [`crate::auth::throttle`]): a refused attempt is answered at once with
/// how long to wait, without checking the password.
pub async fn submit(State(state): State<AppState>, client: Client, headers: axum::http::HeaderMap, Form(f): Form<LoginForm>) -> Result<Response, AppError> {
    let lang = Lang::from_param(f.lang.as_deref());
    let next = safe_next(f.next.as_deref());
    check_login_csrf(&client, &headers, &f.csrf)?;
    let username: String = f.username.trim().chars().take(MAX_USERNAME_CHARS + 1).collect();
    let now = std::time::Instant::now();
    let known = auth::users::exists_enabled(&state.db, &username).await?;
    // A browser that signed in to this account before is judged on its own
    // failures, never on what strangers' guesses did to the account.
    let device_cookie = cookie(&headers, &client.cookie_name(DEVICE_COOKIE));
    let device = match &device_cookie {
        Some(c) if known => auth::devices::check(&state.db, &username, c).await?,
        _ => None,
    };
    let attempt = match &device {
        Some(id) => Attempt::Trusted { device: id },
        None => Attempt::Stranger { username: &username, address: client.address },
    };
    let permit = match state.throttle.admit(attempt, known, now).await {
        Ok(permit) => permit,
        Err(Refusal::Wait(wait)) => {
            tracing::info!("sign-in throttled");
            return form_page(client, lang, &username, Some(LoginProblem::Wait(wait.as_secs().max(1))), &next);
        }
        Err(Refusal::Busy) => return form_page(client, lang, &username, Some(LoginProblem::Busy), &next),
    };
    let user = if username.chars().count() > MAX_USERNAME_CHARS {
        None
    } else {
        auth::users::authenticate(&state.db, &username, &f.password).await?
    };
    // The outcome is recorded before the permit (and with it the attempt's
    // place in flight) is given back, so no other attempt slips in between.
    match user {
        None => {
            tracing::info!("sign-in refused");
            let locks = state.throttle.failed(&username, attempt, std::time::Instant::now());
            drop(permit);
            audit_failure(&state, &username, known, client.address, locks);
            form_page(client, lang, &username, Some(LoginProblem::Refused), &next)
        }
        Some(user) => {
            let policy = state.policy();
            match auth::sessions::admit(&state.db, &user, client.address, &policy).await? {
                Some(auth::sessions::Barred::Inactive) => return form_page(client, lang, &username, Some(LoginProblem::Inactive), &next),
                Some(auth::sessions::Barred::Network) => return form_page(client, lang, &username, Some(LoginProblem::Network), &next),
                None => {}
            }
            let step = auth::totp::remaining(&state.db, &user, &policy, false).await?;
            // Failures are forgotten only when a session opens: a right
            // password with a second step still to come resets nothing.
            if step == SecondStep::None {
                state.throttle.succeeded(attempt);
            }
            drop(permit);
            next_step(&state, &client, &headers, &user, step, lang, &with_lang(lang, next), "password").await
        }
    }
}

/// Goes on with a sign-in, `factors` given so far: a session at once, or
/// a waiting sign-in and the page of its `step` (no session opens while a
/// code, setting one up, or a new password is still to come).
#[allow(clippy::too_many_arguments)]
pub(super) async fn next_step(state: &AppState, client: &Client, headers: &axum::http::HeaderMap, user: &auth::User, step: SecondStep, lang: Lang, target: &str, factors: &str) -> Result<Response, AppError> {
    if step == SecondStep::None {
        return open_session(state, client, headers, user, target, factors).await;
    }
    let id = auth::totp::begin(&state.db, user, step, client.address, target, factors).await?;
    let cookie = client.set_cookie(auth::totp::CHALLENGE_COOKIE, &id, auth::totp::CHALLENGE_MINUTES * 60);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&dashboards::layout::link(lang, step.page(), ""))).into_response())
}

/// `next` with the page language kept.
fn with_lang(lang: Lang, next: String) -> String {
    if lang == Lang::En && !next.contains("lang=") {
        format!("{next}{}lang=en", if next.contains('?') { '&' } else { '?' })
    } else {
        next
    }
}

/// Opens the session of a finished sign-in (audited with its `factors`),
/// renews the browser's device cookie, and goes on to `target`.
async fn open_session(state: &AppState, client: &Client, headers: &axum::http::HeaderMap, user: &auth::User, target: &str, factors: &str) -> Result<Response, AppError> {
    let session = auth::sessions::create(&state.db, user, client.address, factors).await?;
    let session_cookie = client.set_cookie(SESSION_COOKIE, &session.id, auth::sessions::LIFETIME_HOURS * 3600);
    let device_cookie = cookie(headers, &client.cookie_name(DEVICE_COOKIE));
    let device = auth::devices::renew(&state.db, &user.username, device_cookie.as_deref()).await?;
    let device_cookie = client.set_cookie(DEVICE_COOKIE, &device, auth::devices::LIFETIME_DAYS * 86_400);
    let gone = client.set_cookie(auth::totp::CHALLENGE_COOKIE, "", 0);
    Ok((axum::response::AppendHeaders([(header::SET_COOKIE, session_cookie), (header::SET_COOKIE, device_cookie), (header::SET_COOKIE, gone)]), Redirect::to(target)).into_response())
}

/// Audits a failed sign-in, and the delays it started, off the answer's
/// path: a failure must not wait for (or be lost to) a busy database.
/// Under a flood of failures their entries may be skipped (and that is
/// logged); the start of a delay is always written, however long it
/// waits for its turn.
fn audit_failure(state: &AppState, username: &str, known: bool, address: std::net::IpAddr, locks: Vec<auth::throttle::Lock>) {
    let audits = state.throttle.failure_audits.clone();
    let (db, name) = (state.db.clone(), username.to_string());
    match audits.clone().try_acquire_owned() {
        Ok(place) => {
            let db = db.clone();
            tokio::spawn(async move {
                if let Err(e) = auth::sessions::record_failure(&db, &name, known, address).await {
                    tracing::warn!(error = %e, "a failed sign-in could not be audited");
                }
                drop(place);
            });
        }
        Err(_) => tracing::warn!("a failed sign-in was not audited: too many audits pending"),
    }
    audit_locks(state, locks);
}

/// Audits the starts of sign-in delays (from wrong passwords or wrong
/// codes), off the answer's path; each is written, however long it waits.
pub(super) fn audit_locks(state: &AppState, locks: Vec<auth::throttle::Lock>) {
    for lock in locks {
        let (db, audits) = (state.db.clone(), state.throttle.failure_audits.clone());
        tokio::spawn(async move {
            let _place = audits.acquire_owned().await;
            if let Err(e) = auth::sessions::record_lock(&db, &lock).await {
                tracing::warn!(error = %e, "the start of a sign-in delay could not be audited");
            }
        });
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

pub async fn logout(State(state): State<AppState>, client: Client, PageSession(session): PageSession, Form(f): Form<CsrfForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    auth::sessions::end(&state.db, &session.id).await?;
    Ok(([(header::SET_COOKIE, client.set_cookie(SESSION_COOKIE, "", 0))], Redirect::to("/login")).into_response())
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
        // What browsers strip or fold would turn these into //evil.example/.
        for hostile in ["/\t/evil.example/", "/\n/evil.example/", "/\r/evil.example/", "/ /evil.example", "/%5C/evil.example", "/\u{0}/x", "/\u{3000}/x"] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
    }
}
