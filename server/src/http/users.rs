//! User management on the web (the administrator), the same operations as
//! `zhengxin user add|passwd|disable|enable`, each one audited transaction. Bad
//! input shows the page again with the message beside the field and what
//! was typed kept (never a password).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dashboards::layout::{Lang, link};
use dashboards::pages::users::{FormError, RoleName, Typed, UserRow, UsersView, render};
use serde::Deserialize;

use super::session::{PageSession, check_csrf, nav};
use super::{AppError, AppState};
use crate::auth::sessions::Session;
use crate::auth::{AuthError, Refusal, Role, users};
use crate::units;

#[derive(Debug, Deserialize)]
pub struct UsersQuery {
    pub lang: Option<String>,
    /// What the last action did: `added`, `password` or `disabled`.
    pub done: Option<String>,
    pub user: Option<String>,
}

async fn view(state: &AppState, session: &Session, lang: Lang) -> Result<UsersView, AppError> {
    let list = users::list(&state.db).await?;
    let units = units::all(&state.db).await?;
    let locked = state.throttle.locked(std::time::Instant::now());
    Ok(UsersView {
        lang,
        nav: nav(session),
        users: list
            .into_iter()
            .map(|u| UserRow {
                unit: u.unit_code.as_ref().map(|c| {
                    let name = units.iter().find(|x| &x.code == c).map(|x| x.name.as_str()).unwrap_or_default();
                    format!("{c} {name}")
                }),
                locked: locked.iter().find(|l| l.username == u.username).map(|l| (l.failures, l.wait_seconds)),
                username: u.username,
                role: u.role.code().to_string(),
                disabled: u.disabled,
                two_factor: u.two_factor,
                managed: crate::auth::access::managed_on_the_web(u.role),
            })
            .collect(),
        units: units.into_iter().map(|u| (u.code, u.name)).collect(),
        notice: None,
        error: None,
        typed: Typed::default(),
        min_password: state.policy().password_min_length as usize,
        roles: Role::ALL.into_iter().map(|r| RoleName { code: r.code(), zh: r.label_zh(), en: r.label_en(), addable: crate::auth::access::managed_on_the_web(r) }).collect(),
    })
}

pub async fn page(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<UsersQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let mut v = view(&state, &session, lang).await?;
    let who = q.user.unwrap_or_default();
    v.notice = match q.done.as_deref() {
        Some("added") => Some(format!("已新增用户 {who} / User {who} added")),
        Some("password") => Some(format!("已为 {who} 设置新密码，其登录会话已结束 / New password set for {who}; their sessions were ended")),
        Some("disabled") => Some(format!("已停用 {who}，其登录会话已结束 / {who} disabled; their sessions were ended")),
        Some("enabled") => Some(format!("已重新启用 {who} / {who} enabled again")),
        Some("unlocked") => Some(format!("已解除 {who} 的登录锁定 / Sign-in unlocked for {who}")),
        Some("two-factor") => Some(format!("已重置 {who} 的两步验证，其登录会话已结束 / Two-step verification of {who} reset; their sessions were ended")),
        _ => None,
    };
    Ok(render(&v).into_response())
}

fn done(lang: Lang, what: &str, user: &str) -> Response {
    Redirect::to(&link(lang, "/admin/users", &format!("done={what}&user={}", super::percent_encode(user)))).into_response()
}

/// The page again with `error` beside its field (422).
async fn again(state: &AppState, session: &Session, lang: Lang, error: FormError, typed: Typed) -> Result<Response, AppError> {
    let mut v = view(state, session, lang).await?;
    v.error = Some(error);
    v.typed = typed;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&v)).into_response())
}

/// A refusal as the users page says it (`wording::account`), and the
/// field it is about.
fn words(r: &Refusal) -> (&'static str, String) {
    let field = match r {
        Refusal::ShortPassword { .. } | Refusal::SimplePassword { .. } | Refusal::ReusedPassword { .. } | Refusal::PublishedPassword => "password",
        Refusal::UnitNeeded | Refusal::UnitNotAllowed | Refusal::NoSuchUnit(_) => "unit_code",
        _ => "username",
    };
    (field, crate::wording::account(r))
}

/// Why the web refuses an account of the other two administrators.
const FROM_THE_CONSOLE: &str = "安全管理员和审计管理员的账号只能在服务器上用 zhengxin user 命令管理 / the security and audit administrators' accounts are managed with `zhengxin user` on the server only";

/// Refuses a change to an account the web does not manage (403): the
/// security and audit administrators'. An unknown name is left to the
/// use case (404).
pub(super) async fn managed(state: &AppState, username: &str) -> Result<(), AppError> {
    let role = users::list(&state.db).await?.into_iter().find(|u| u.username == username).map(|u| u.role);
    match role {
        Some(role) if !crate::auth::access::managed_on_the_web(role) => Err(AppError::Forbidden),
        _ => Ok(()),
    }
}

#[derive(Debug, Deserialize)]
pub struct AddForm {
    pub csrf: String,
    pub username: String,
    pub role: String,
    #[serde(default)]
    pub unit_code: String,
    pub password: String,
    pub lang: Option<String>,
}

pub async fn add(State(state): State<AppState>, PageSession(session): PageSession, Form(f): Form<AddForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    let lang = Lang::from_param(f.lang.as_deref());
    let typed = Typed { username: f.username.trim().to_string(), role: f.role.clone(), unit_code: f.unit_code.clone() };
    let role = Role::parse(&f.role).ok_or_else(|| AppError::BadRequest("unknown role".into()))?;
    if !crate::auth::access::managed_on_the_web(role) {
        let error = FormError { form: "add".into(), field: "username".into(), message: FROM_THE_CONSOLE.into() };
        return again(&state, &session, lang, error, typed).await;
    }
    let unit = Some(f.unit_code.trim()).filter(|u| !u.is_empty());
    match users::add(&state.db, typed.username.as_str(), role, unit, &f.password, &session.user.username).await {
        Ok(()) => Ok(done(lang, "added", &typed.username)),
        Err(AuthError::Refused(refusal)) => {
            let (field, message) = words(&refusal);
            let error = FormError { form: "add".into(), field: field.into(), message };
            again(&state, &session, lang, error, typed).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    pub csrf: String,
    pub password: String,
    pub lang: Option<String>,
}

pub async fn password(State(state): State<AppState>, PageSession(session): PageSession, Path(username): Path<String>, Form(f): Form<PasswordForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    managed(&state, &username).await?;
    let lang = Lang::from_param(f.lang.as_deref());
    match users::set_password(&state.db, &username, &f.password, &session.user.username).await {
        Ok(()) => Ok(done(lang, "password", &username)),
        Err(AuthError::Refused(Refusal::NoSuchUser(_))) => Err(AppError::NotFound),
        Err(AuthError::Refused(refusal)) => again(&state, &session, lang, FormError { form: username, field: "password".into(), message: words(&refusal).1 }, Typed::default()).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct DisableForm {
    pub csrf: String,
    pub lang: Option<String>,
}

pub async fn enable(State(state): State<AppState>, PageSession(session): PageSession, Path(username): Path<String>, Form(f): Form<DisableForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    managed(&state, &username).await?;
    match users::enable(&state.db, &username, &session.user.username).await {
        Ok(()) => Ok(done(Lang::from_param(f.lang.as_deref()), "enabled", &username)),
        Err(AuthError::Refused(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

pub async fn disable(State(state): State<AppState>, PageSession(session): PageSession, Path(username): Path<String>, Form(f): Form<DisableForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    managed(&state, &username).await?;
    let lang = Lang::from_param(f.lang.as_deref());
    if username == session.user.username {
        let error = FormError { form: String::new(), field: String::new(), message: "不能停用自己的账号 / You cannot disable your own account".into() };
        return again(&state, &session, lang, error, Typed::default()).await;
    }
    match users::disable(&state.db, &username, &session.user.username).await {
        Ok(()) => Ok(done(lang, "disabled", &username)),
        Err(AuthError::Refused(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Lifts the sign-in delay of an account (after the administrator has
/// made sure its owner, not a guesser, is the one locked out).
pub async fn unlock(State(state): State<AppState>, PageSession(session): PageSession, Path(username): Path<String>, Form(f): Form<DisableForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    managed(&state, &username).await?;
    match users::unlock(&state.db, &state.throttle, &username, &session.user.username).await {
        Ok(()) => Ok(done(Lang::from_param(f.lang.as_deref()), "unlocked", &username)),
        Err(AuthError::Refused(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
