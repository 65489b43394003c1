//! Two-factor sign-in on the web (`auth::totp`): the code after the
//! password (`/login/code`), setting up an app when the policy requires it
//! (`/login/enrol`), an account's own page (`/account`) where any account
//! may set one up, and the system administrator's reset.
//!
//! A waiting sign-in is found from its cookie and the client's address;
//! without one, these pages send the browser back to the sign-in form.
//! Their forms carry the sign-in form's CSRF token (double submit).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use dashboards::layout::{Lang, link};
use dashboards::pages::two_factor::{
    AccountView, CodeView, CodesView, EnrolView, PasswordView, account as account_page, code as code_page, codes as codes_page, enrol as enrol_page, password as password_page,
};
use serde::Deserialize;

use super::client::Client;
use super::login::{check_login_csrf, next_step};
use super::session::{LOGIN_CSRF_COOKIE, PageSession, check_csrf, cookie, nav};
use super::{AppError, AppState};
use crate::auth;
use crate::auth::throttle::Attempt;
use crate::auth::totp::{Answer, CHALLENGE_COOKIE, SecondStep, Waiting};

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    pub lang: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    pub csrf: String,
    #[serde(default)]
    pub code: String,
    pub lang: Option<String>,
}

/// The waiting sign-in of this browser at `step`, if any, with its cookie
/// value: a waiting sign-in of another step is none here.
async fn waiting(state: &AppState, client: &Client, headers: &HeaderMap, step: SecondStep) -> Result<Option<(String, Waiting)>, AppError> {
    let Some(id) = cookie(headers, &client.cookie_name(CHALLENGE_COOKIE)) else {
        return Ok(None);
    };
    Ok(auth::totp::waiting(&state.db, &id, client.address).await?.filter(|w| w.step == step).map(|w| (id, w)))
}

fn back_to_sign_in(lang: Lang) -> Response {
    Redirect::to(&link(lang, "/login", "")).into_response()
}

/// A page with a fresh CSRF token in the sign-in form's cookie.
fn with_csrf(client: &Client, status: StatusCode, render: impl FnOnce(String) -> maud::Markup) -> Result<Response, AppError> {
    let csrf = auth::random_secret()?;
    let set = client.set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600);
    Ok((status, [(header::SET_COOKIE, set)], render(csrf)).into_response())
}

/// `GET /login/code`
pub async fn code_form(State(state): State<AppState>, client: Client, headers: HeaderMap, Query(q): Query<LangQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    match waiting(&state, &client, &headers, SecondStep::Code).await? {
        Some((_, w)) => with_csrf(&client, StatusCode::OK, |csrf| code_page(&CodeView { lang, csrf, username: w.user.username, wrong: None, wait: false })),
        None => Ok(back_to_sign_in(lang)),
    }
}

/// `POST /login/code`: a right code goes on (to a new password if the
/// old one expired, else to the session); a wrong one counts against the
/// waiting sign-in (five, then it is dropped) and against the sign-in
/// throttle like a wrong password, whose delays it also waits out.
pub async fn code_submit(State(state): State<AppState>, client: Client, headers: HeaderMap, Form(f): Form<CodeForm>) -> Result<Response, AppError> {
    let lang = Lang::from_param(f.lang.as_deref());
    check_login_csrf(&client, &headers, &f.csrf)?;
    let Some((id, w)) = waiting(&state, &client, &headers, SecondStep::Code).await? else {
        return Ok(back_to_sign_in(lang));
    };
    let attempt = Attempt::Stranger { username: &w.user.username, address: client.address };
    let permit = match state.throttle.admit(attempt, true, std::time::Instant::now()).await {
        Ok(permit) => permit,
        Err(_) => {
            return with_csrf(&client, StatusCode::TOO_MANY_REQUESTS, |csrf| code_page(&CodeView { lang, csrf, username: w.user.username.clone(), wrong: None, wait: true }));
        }
    };
    let code: String = f.code.chars().take(32).collect();
    let answer = auth::totp::answer(&state.db, &id, &w, &code).await?;
    match answer {
        Answer::Accepted { factor } => {
            state.throttle.succeeded(attempt);
            drop(permit);
            let factors = format!("{}+{factor}", w.factors);
            let step = auth::totp::remaining(&state.db, &w.user, &state.policy(), true).await?;
            next_step(&state, &client, &headers, &w.user, step, lang, &w.next, &factors).await
        }
        Answer::Wrong { left } => {
            let locks = state.throttle.failed(&w.user.username, attempt, std::time::Instant::now());
            drop(permit);
            super::login::audit_locks(&state, locks);
            if left == 0 {
                return Ok(back_to_sign_in(lang));
            }
            with_csrf(&client, StatusCode::UNAUTHORIZED, |csrf| code_page(&CodeView { lang, csrf, username: w.user.username.clone(), wrong: Some(left), wait: false }))
        }
    }
}

/// `GET /login/enrol`: the QR code of the secret this account is setting up.
pub async fn enrol_form(State(state): State<AppState>, client: Client, headers: HeaderMap, Query(q): Query<LangQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let Some((_, w)) = waiting(&state, &client, &headers, SecondStep::Enrol).await? else {
        return Ok(back_to_sign_in(lang));
    };
    let Some(e) = auth::totp::enrolment(&state.db, &w.user).await? else {
        return Ok(back_to_sign_in(lang));
    };
    with_csrf(&client, StatusCode::OK, |csrf| {
        enrol_page(&EnrolView { lang, nav: None, csrf, username: w.user.username, secret: e.secret, uri: e.uri, action: "/login/enrol", wrong: false, required: true })
    })
}

/// `POST /login/enrol`: a right code confirms the secret and shows the
/// recovery codes once, with the way on: the session, or first a new
/// password if the old one expired.
pub async fn enrol_submit(State(state): State<AppState>, client: Client, headers: HeaderMap, Form(f): Form<CodeForm>) -> Result<Response, AppError> {
    let lang = Lang::from_param(f.lang.as_deref());
    check_login_csrf(&client, &headers, &f.csrf)?;
    let Some((id, w)) = waiting(&state, &client, &headers, SecondStep::Enrol).await? else {
        return Ok(back_to_sign_in(lang));
    };
    match auth::totp::confirm(&state.db, &w.user, &f.code.chars().take(32).collect::<String>()).await? {
        Some(codes) => {
            auth::totp::end(&state.db, &id).await?;
            // On to a new password if the old one expired, else the session;
            // the recovery codes are shown either way, with the way on.
            let step = auth::totp::remaining(&state.db, &w.user, &state.policy(), true).await?;
            let expired = step == SecondStep::Password;
            let going_on = next_step(&state, &client, &headers, &w.user, step, lang, &w.next, "password+totp").await?;
            let next = if expired { link(lang, "/login/password", "") } else { w.next.clone() };
            let (parts, _) = going_on.into_parts();
            let mut page = codes_page(&CodesView { lang, nav: None, codes, next }).into_response();
            for value in parts.headers.get_all(header::SET_COOKIE) {
                page.headers_mut().append(header::SET_COOKIE, value.clone());
            }
            page.headers_mut().insert(header::CACHE_CONTROL, "no-store".parse().expect("a header value"));
            Ok(page)
        }
        None => {
            let Some(e) = auth::totp::enrolment(&state.db, &w.user).await? else {
                return Ok(back_to_sign_in(lang));
            };
            with_csrf(&client, StatusCode::UNPROCESSABLE_ENTITY, |csrf| {
                enrol_page(&EnrolView { lang, nav: None, csrf, username: w.user.username.clone(), secret: e.secret, uri: e.uri, action: "/login/enrol", wrong: true, required: true })
            })
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    pub csrf: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub repeat: String,
    pub lang: Option<String>,
}

/// `GET /login/password`: the new password an expired one asks for.
pub async fn password_form(State(state): State<AppState>, client: Client, headers: HeaderMap, Query(q): Query<LangQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let min_password = state.policy().password_min_length as usize;
    match waiting(&state, &client, &headers, SecondStep::Password).await? {
        Some((_, w)) => {
            with_csrf(&client, StatusCode::OK, |csrf| password_page(&PasswordView { lang, csrf, username: w.user.username, min_password, error: None }))
        }
        None => Ok(back_to_sign_in(lang)),
    }
}

/// `POST /login/password`: the new password, held to the policy's rules
/// and history (the change audited as the account's own); then the sign-in
/// goes on to its second factor, or to its session.
pub async fn password_submit(State(state): State<AppState>, client: Client, headers: HeaderMap, Form(f): Form<PasswordForm>) -> Result<Response, AppError> {
    let lang = Lang::from_param(f.lang.as_deref());
    check_login_csrf(&client, &headers, &f.csrf)?;
    let Some((id, w)) = waiting(&state, &client, &headers, SecondStep::Password).await? else {
        return Ok(back_to_sign_in(lang));
    };
    let policy = state.policy();
    // The throttle's hashing places bound the argon2 checks of the history.
    let attempt = Attempt::Stranger { username: &w.user.username, address: client.address };
    let Ok(permit) = state.throttle.admit(attempt, true, std::time::Instant::now()).await else {
        return Ok(StatusCode::TOO_MANY_REQUESTS.into_response());
    };
    let refused = |message: String| {
        with_csrf(&client, StatusCode::UNPROCESSABLE_ENTITY, |csrf| {
            password_page(&PasswordView { lang, csrf, username: w.user.username.clone(), min_password: policy.password_min_length as usize, error: Some(message) })
        })
    };
    if f.password != f.repeat {
        return refused("两次输入的密码不一致 / the two passwords differ".to_string());
    }
    match auth::users::set_password(&state.db, &w.user.username, &f.password, &w.user.username).await {
        Ok(()) => {}
        Err(auth::AuthError::Refused(r)) => return refused(crate::wording::account(&r)),
        Err(e) => return Err(e.into()),
    }
    state.throttle.succeeded(attempt);
    drop(permit);
    auth::totp::end(&state.db, &id).await?;
    // A second factor that became due meanwhile (the policy changed) comes
    // now; one already given is not asked for again.
    let step = auth::totp::remaining(&state.db, &w.user, &policy, w.factors != "password").await?;
    next_step(&state, &client, &headers, &w.user, step, lang, &w.next, &w.factors).await
}

/// `GET /account`: where the account stands.
pub async fn account(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<LangQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let enrolled = auth::totp::status(&state.db, session.user.id).await?;
    let required = state.policy().two_factor_roles.contains(&session.user.role);
    Ok(account_page(&AccountView { lang, nav: nav(&session), enrolled, required }).into_response())
}

/// `GET /account/two-factor`: set up an app from a signed-in session.
pub async fn account_enrol_form(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<LangQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let Some(e) = auth::totp::enrolment(&state.db, &session.user).await? else {
        return Ok(Redirect::to(&link(lang, "/account", "")).into_response());
    };
    let required = state.policy().two_factor_roles.contains(&session.user.role);
    let view = EnrolView { lang, nav: Some(nav(&session)), csrf: session.csrf.clone(), username: session.user.username.clone(), secret: e.secret, uri: e.uri, action: "/account/two-factor", wrong: false, required };
    Ok(enrol_page(&view).into_response())
}

/// `POST /account/two-factor`: confirms it and shows the recovery codes once.
pub async fn account_enrol(State(state): State<AppState>, PageSession(session): PageSession, Form(f): Form<CodeForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    let lang = Lang::from_param(f.lang.as_deref());
    match auth::totp::confirm(&state.db, &session.user, &f.code.chars().take(32).collect::<String>()).await? {
        Some(codes) => {
            let page = codes_page(&CodesView { lang, nav: Some(nav(&session)), codes, next: link(lang, "/account", "") });
            Ok(([(header::CACHE_CONTROL, "no-store")], page).into_response())
        }
        None => {
            let Some(e) = auth::totp::enrolment(&state.db, &session.user).await? else {
                return Ok(Redirect::to(&link(lang, "/account", "")).into_response());
            };
            let required = state.policy().two_factor_roles.contains(&session.user.role);
            let view =
                EnrolView { lang, nav: Some(nav(&session)), csrf: session.csrf.clone(), username: session.user.username.clone(), secret: e.secret, uri: e.uri, action: "/account/two-factor", wrong: true, required };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, enrol_page(&view)).into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    pub csrf: String,
    pub lang: Option<String>,
}

/// `POST /admin/users/{username}/two-factor/reset` (the system
/// administrator, when a phone is lost): audited; the account's sessions end.
pub async fn reset(State(state): State<AppState>, PageSession(session): PageSession, Path(username): Path<String>, Form(f): Form<ResetForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    super::users::managed(&state, &username).await?;
    match auth::totp::reset(&state.db, &username, &session.user.username).await {
        Ok(()) => Ok(Redirect::to(&link(Lang::from_param(f.lang.as_deref()), "/admin/users", &format!("done=two-factor&user={}", super::percent_encode(&username)))).into_response()),
        Err(auth::AuthError::Refused(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
