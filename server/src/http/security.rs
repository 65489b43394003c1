//! The security administrator's page (`/admin/security`): the policy
//! every account signs in under (`auth::policy`), changed in one audited
//! form and in force at once, and the rules that are fixed.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dashboards::layout::{Lang, link};
use dashboards::pages::security::{Fixed, PolicyForm, SecurityView, render};
use serde::Deserialize;

use super::client::Client;
use super::session::{PageSession, check_csrf, nav};
use super::{AppError, AppState};
use crate::auth::policy::{self, Policy, PolicyRefusal};
use crate::auth::sessions::Session;
use crate::auth::{AuthError, Refusal, Role, passwords, sessions, throttle};

#[derive(Debug, Deserialize)]
pub struct SecurityQuery {
    pub lang: Option<String>,
    pub saved: Option<String>,
}

fn fixed(zh: &str, en: &str, value_zh: String, value_en: String) -> Fixed {
    Fixed { zh: zh.into(), en: en.into(), value_zh, value_en }
}

fn form_of(p: &Policy) -> PolicyForm {
    PolicyForm {
        password_min_length: p.password_min_length.to_string(),
        password_classes: p.password_classes.to_string(),
        password_history: p.password_history.to_string(),
        password_max_age_days: p.password_max_age_days.to_string(),
        idle_minutes: p.idle_minutes.to_string(),
        inactive_days: p.inactive_days.to_string(),
        admin_networks: p.admin_networks.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
        two_factor_roles: p.two_factor_roles.iter().map(|r| r.code().to_string()).collect(),
    }
}

async fn view(state: &AppState, session: &Session, client: &Client, lang: Lang, form: PolicyForm) -> Result<SecurityView, AppError> {
    let set_by = policy::last_set(&state.db).await?.map(|(at, actor)| format!("{} · {actor}", at.format("%Y-%m-%d %H:%M")));
    Ok(SecurityView {
        lang,
        nav: nav(session),
        form,
        error: None,
        saved: false,
        address: client.address.to_string(),
        set_by,
        fixed: vec![
            fixed("会话最长时间", "Longest session", format!("{} 小时", sessions::LIFETIME_HOURS), format!("{} hours", sessions::LIFETIME_HOURS)),
            fixed(
                "登录失败限制",
                "Failed sign-ins",
                format!("连续失败 {} 次后，每次再失败等待时间加倍，最长 {} 分钟", throttle::FREE_FAILURES, throttle::MAX_DELAY.as_secs() / 60),
                format!("after {} failures each further one doubles the wait, up to {} minutes", throttle::FREE_FAILURES, throttle::MAX_DELAY.as_secs() / 60),
            ),
        ],
        min_password: passwords::MIN_LENGTH,
        max_password: policy::MAX_PASSWORD_LENGTH,
        roles: Role::ALL.into_iter().map(|r| (r.code(), r.label_zh(), r.label_en())).collect(),
    })
}

/// `GET /admin/security`
pub async fn page(State(state): State<AppState>, client: Client, PageSession(session): PageSession, Query(q): Query<SecurityQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let mut v = view(&state, &session, &client, lang, form_of(&state.policy())).await?;
    v.saved = q.saved.is_some();
    Ok(render(&v).into_response())
}

/// The policy form as sent: every field by name, the two-factor roles
/// once per checked box.
#[derive(Debug, Default)]
pub struct PolicyFields {
    pub csrf: String,
    pub lang: Option<String>,
    pub password_min_length: String,
    pub password_classes: String,
    pub password_history: String,
    pub password_max_age_days: String,
    pub idle_minutes: String,
    pub inactive_days: String,
    pub admin_networks: String,
    pub two_factor_roles: Vec<String>,
}

impl PolicyFields {
    /// The fields of a form body (a repeated name is what `Form` of a
    /// struct cannot take).
    fn read(pairs: Vec<(String, String)>) -> PolicyFields {
        let mut f = PolicyFields::default();
        for (name, value) in pairs {
            match name.as_str() {
                "csrf" => f.csrf = value,
                "lang" => f.lang = Some(value),
                "password_min_length" => f.password_min_length = value,
                "password_classes" => f.password_classes = value,
                "password_history" => f.password_history = value,
                "password_max_age_days" => f.password_max_age_days = value,
                "idle_minutes" => f.idle_minutes = value,
                "inactive_days" => f.inactive_days = value,
                "admin_networks" => f.admin_networks = value.chars().take(4_096).collect(),
                "two_factor_roles" if f.two_factor_roles.len() < Role::ALL.len() => f.two_factor_roles.push(value),
                _ => {}
            }
        }
        f
    }

    fn typed(&self) -> PolicyForm {
        PolicyForm {
            password_min_length: self.password_min_length.trim().into(),
            password_classes: self.password_classes.trim().into(),
            password_history: self.password_history.trim().into(),
            password_max_age_days: self.password_max_age_days.trim().into(),
            idle_minutes: self.idle_minutes.trim().into(),
            inactive_days: self.inactive_days.trim().into(),
            admin_networks: self.admin_networks.clone(),
            two_factor_roles: self.two_factor_roles.clone(),
        }
    }

    /// The policy the form asks for, or the field that is not one.
    fn policy(&self) -> Result<Policy, (&'static str, PolicyRefusal)> {
        let number = |field: &'static str, text: &str, refusal: PolicyRefusal| text.trim().parse::<u32>().map_err(|_| (field, refusal));
        let networks = Policy::parse_networks(&self.admin_networks).map_err(|r| ("admin_networks", r))?;
        Ok(Policy {
            password_min_length: number("password_min_length", &self.password_min_length, PolicyRefusal::MinLength)?,
            password_classes: number("password_classes", &self.password_classes, PolicyRefusal::Classes)?,
            password_history: number("password_history", &self.password_history, PolicyRefusal::History)?,
            password_max_age_days: number("password_max_age_days", &self.password_max_age_days, PolicyRefusal::MaxAge)?,
            idle_minutes: number("idle_minutes", &self.idle_minutes, PolicyRefusal::Idle)?,
            inactive_days: number("inactive_days", &self.inactive_days, PolicyRefusal::Inactive)?,
            admin_networks: networks,
            // Unknown codes are dropped: the boxes offer every role there is.
            two_factor_roles: Role::ALL.into_iter().filter(|r| self.two_factor_roles.iter().any(|c| c == r.code())).collect(),
        })
    }
}

/// The field of the form a refusal is about.
fn field_of(r: &PolicyRefusal) -> &'static str {
    match r {
        PolicyRefusal::MinLength => "password_min_length",
        PolicyRefusal::Classes => "password_classes",
        PolicyRefusal::History => "password_history",
        PolicyRefusal::MaxAge => "password_max_age_days",
        PolicyRefusal::Idle => "idle_minutes",
        PolicyRefusal::Inactive => "inactive_days",
        PolicyRefusal::Network(_) | PolicyRefusal::LocksOut(_) => "admin_networks",
    }
}

/// `POST /admin/security`: the whole policy, checked, audited (before and
/// after), and in force for the next request.
pub async fn save(State(state): State<AppState>, client: Client, PageSession(session): PageSession, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, AppError> {
    let f = PolicyFields::read(pairs);
    check_csrf(&session, &f.csrf)?;
    let lang = Lang::from_param(f.lang.as_deref());
    let before = state.policy();
    let outcome = match f.policy() {
        Ok(policy) => policy::set(&state.db, &before, &policy, &session.user.username, client.address).await.map(|()| policy),
        Err((_, refusal)) => Err(AuthError::Refused(Refusal::Policy(refusal))),
    };
    match outcome {
        Ok(policy) => {
            *state.policy.write().unwrap_or_else(std::sync::PoisonError::into_inner) = policy;
            Ok(Redirect::to(&link(lang, "/admin/security", "saved=1")).into_response())
        }
        Err(AuthError::Refused(Refusal::Policy(refusal))) => {
            let mut v = view(&state, &session, &client, lang, f.typed()).await?;
            v.error = Some((field_of(&refusal).to_string(), crate::wording::account(&Refusal::Policy(refusal))));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&v)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
