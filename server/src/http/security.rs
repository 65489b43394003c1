//! The security administrator's page (`/admin/security`): the policy
//! every account signs in under.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use dashboards::layout::Lang;
use dashboards::pages::security::{SecurityView, Setting, render};
use serde::Deserialize;

use super::session::{PageSession, nav};
use super::{AppError, AppState};
use crate::auth::{passwords, sessions, throttle};

#[derive(Debug, Deserialize)]
pub struct SecurityQuery {
    pub lang: Option<String>,
}

fn setting(zh: &str, en: &str, value_zh: String, value_en: String) -> Setting {
    Setting { zh: zh.into(), en: en.into(), value_zh, value_en }
}

/// `GET /admin/security`
pub async fn page(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<SecurityQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let idle = state.config.idle_minutes;
    let settings = vec![
        setting("密码最短长度", "Shortest password", format!("{} 个字符", passwords::MIN_LENGTH), format!("{} characters", passwords::MIN_LENGTH)),
        setting("会话最长时间", "Longest session", format!("{} 小时", sessions::LIFETIME_HOURS), format!("{} hours", sessions::LIFETIME_HOURS)),
        setting("闲置退出", "Signed out when idle for", format!("{idle} 分钟"), format!("{idle} minutes")),
        setting(
            "登录失败限制",
            "Failed sign-ins",
            format!("连续失败 {} 次后，每次再失败等待时间加倍，最长 {} 分钟", throttle::FREE_FAILURES, throttle::MAX_DELAY.as_secs() / 60),
            format!("after {} failures each further one doubles the wait, up to {} minutes", throttle::FREE_FAILURES, throttle::MAX_DELAY.as_secs() / 60),
        ),
    ];
    Ok(render(&SecurityView { lang, nav: nav(&session), settings }).into_response())
}
