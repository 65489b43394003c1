//! 规则模拟 page (leadership and the assessment team): pick another year's
//! rulebook or upload an edited one; its errors are shown in place, as
//! `zhengxin rulebook check` gives them. The comparison is in
//! [`crate::scoring::whatif`]; nothing is stored.

use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dashboards::layout::Lang;
use dashboards::pages::whatif::{self, WhatIfResult, WhatIfRow, WhatIfView};
use serde::Deserialize;

use super::session::{PageSession, check_csrf, nav};
use super::shared::choose_year;
use super::{AppError, AppState};
use crate::auth::Role;
use crate::auth::sessions::Session;
use crate::scoring::whatif::WhatIf;
use analytics::rulebook::Rulebook;

/// The largest rulebook upload (the shipped ones are about 5 KiB).
pub const MAX_RULEBOOK_BYTES: usize = 256 * 1024;

fn may_use(session: &Session) -> Result<(), AppError> {
    if matches!(session.user.role, Role::Leader | Role::Assessor) { Ok(()) } else { Err(AppError::Forbidden) }
}

#[derive(Debug, Deserialize)]
pub struct WhatIfQuery {
    pub year: Option<i32>,
    pub rulebook_year: Option<i32>,
    pub lang: Option<String>,
}

async fn view(state: &AppState, session: &Session, lang: Lang, year: Option<i32>) -> Result<WhatIfView, AppError> {
    let (years, year, _) = choose_year(&state.db, year).await?;
    Ok(WhatIfView {
        lang,
        nav: nav(session),
        years,
        year,
        rulebook_years: seeds::rulebooks::YEARS.to_vec(),
        rulebook_year: None,
        max_kib: MAX_RULEBOOK_BYTES / 1024,
        error: None,
        result: None,
    })
}

/// Runs the comparison into the view, or puts the reason a rulebook
/// cannot be used in its place.
async fn compare(state: &AppState, v: &mut WhatIfView, rules: Result<Rulebook, String>) -> Result<StatusCode, AppError> {
    let rules = match rules {
        Ok(r) => r,
        Err(message) => {
            v.error = Some(message);
            return Ok(StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let version = crate::scoring::stored_version(&state.db, v.year, None).await?;
    match crate::scoring::whatif::whatif(&state.db, &version, rules).await {
        Ok(answer) => {
            v.result = Some(result(&answer));
            Ok(StatusCode::OK)
        }
        Err(crate::scoring::ScoringError::Rulebook(e)) => {
            v.error = Some(e.to_string());
            Ok(StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}

fn result(a: &WhatIf) -> WhatIfResult {
    WhatIfResult {
        version: a.version,
        rulebook: format!("{} ({})", a.rulebook_title, a.rulebook_year),
        data_changed: a.data_changed,
        changed: a.units.iter().filter(|u| u.rank_change.is_some_and(|c| c != 0) || u.grade != u.stored_grade).count(),
        rows: a
            .units
            .iter()
            .map(|u| WhatIfRow {
                unit_name: u.unit_name.clone(),
                group: u.group.code().to_string(),
                stored_total: u.stored_total,
                stored_rank: u.stored_rank,
                stored_grade: u.stored_grade.code().to_string(),
                total: u.total,
                rank: u.rank,
                grade: u.grade.code().to_string(),
                rank_change: u.rank_change,
            })
            .collect(),
    }
}

/// `GET /whatif`: the form; with `rulebook_year`, that year's shipped
/// rulebook tried on the chosen year.
pub async fn page(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<WhatIfQuery>) -> Result<Response, AppError> {
    may_use(&session)?;
    let lang = Lang::from_param(q.lang.as_deref());
    let mut v = view(&state, &session, lang, q.year).await?;
    let Some(rulebook_year) = q.rulebook_year else {
        return Ok(whatif::render(&v).into_response());
    };
    v.rulebook_year = Some(rulebook_year);
    let rules = seeds::rulebooks::for_year(rulebook_year).map_err(|e| e.to_string());
    let status = compare(&state, &mut v, rules).await?;
    Ok((status, whatif::render(&v)).into_response())
}

/// `POST /whatif`: an uploaded rulebook tried on the chosen year.
pub async fn upload(State(state): State<AppState>, PageSession(session): PageSession, mut form: Multipart) -> Result<Response, AppError> {
    may_use(&session)?;
    let text_of = |e: axum::extract::multipart::MultipartError| AppError::BadRequest(e.body_text());
    let (mut csrf, mut lang, mut year, mut file, mut too_large) = (String::new(), Lang::Zh, None, None, false);
    while let Some(mut field) = form.next_field().await.map_err(text_of)? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(text_of)?,
            "lang" => lang = Lang::from_param(Some(field.text().await.map_err(text_of)?.as_str())),
            "year" => year = field.text().await.map_err(text_of)?.trim().parse().ok(),
            "rulebook" => match super::read_capped(&mut field, MAX_RULEBOOK_BYTES).await? {
                Some(bytes) => file = Some(bytes),
                None => {
                    too_large = true;
                    break;
                }
            },
            _ => {}
        }
    }
    if !too_large || !csrf.is_empty() {
        check_csrf(&session, &csrf)?;
    }
    let mut v = view(&state, &session, lang, year).await?;
    let rules = if too_large {
        Err(format!("规则文件超过 {0} KiB / the rulebook is larger than {0} KiB", MAX_RULEBOOK_BYTES / 1024))
    } else {
        match file.map(String::from_utf8) {
            None => Err("请选择规则文件 / choose a rulebook file".to_string()),
            Some(Err(_)) => Err("规则文件应为 UTF-8 文本 / a rulebook is UTF-8 text".to_string()),
            Some(Ok(text)) => Rulebook::parse(&text).map_err(|e| e.to_string()),
        }
    };
    let status = compare(&state, &mut v, rules).await?;
    Ok((status, whatif::render(&v)).into_response())
}
