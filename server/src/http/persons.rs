//! The personnel office's pages and API: a person's integrity file and
//! the appointment check, each look-up with a stated purpose
//! ([`crate::persons`]). No other role reaches them.

use axum::extract::{Path, Query, State};
use axum::{Form, Json};
use analytics::domain::{Mitigation, ObjectionStatus, RepairStatus};
use axum::http::StatusCode;
use dashboards::layout::Lang;
use dashboards::pages::persons::{self, PersonFile, PersonRecordRow, PersonsView};
use maud::Markup;
use serde::Deserialize;

use super::api::{ApiQuery, ApiUser};
use super::public::kind_label;
use super::session::{PageSession, check_csrf, nav};
use super::{AppError, AppState};
use crate::persons::{self as use_case, Check, FileRecord, MAX_PURPOSE, MAX_REF, PersonError, Purpose, Refusal, Via};

/// A refused look-up, "中文 / English" (the page shows the half of its
/// language; the API both).
fn words(r: Refusal) -> String {
    match r {
        Refusal::PurposeTooLong => format!("用途说明不超过 {MAX_PURPOSE} 字 / the purpose: at most {MAX_PURPOSE} characters"),
        Refusal::OtherUnsaid => "选择“其他”时请写明用途 / say what the other purpose is".into(),
        Refusal::NoPurpose => "每次查询须说明用途 / state the purpose of this look-up".into(),
        Refusal::UnknownPurpose => "未知的用途 / unknown purpose (appointment, promotion, award or other)".into(),
        Refusal::BadReference => format!("人员编号应为 1–{MAX_REF} 个字符 / a person reference is 1–{MAX_REF} characters"),
    }
}

impl From<PersonError> for AppError {
    fn from(e: PersonError) -> Self {
        match e {
            PersonError::Forbidden => AppError::Forbidden,
            PersonError::Refused(r) => AppError::api(StatusCode::UNPROCESSABLE_ENTITY, "bad_request", words(r)),
            PersonError::Db(e) => e.into(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct LookUpForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(rename = "ref")]
    pub person_ref: Option<String>,
    pub purpose: Option<String>,
    pub purpose_text: Option<String>,
    pub lang: Option<String>,
}

/// A decision's state in words: waiting, the `yes` words, or refused.
/// Objections and repair applications share the three states.
fn label(lang: Lang, code: Option<&str>, yes: (&str, &str)) -> String {
    match code {
        None => lang.pick("—", "—").to_string(),
        Some(c) if c == ObjectionStatus::Open.code() => lang.pick("待处理", "open").to_string(),
        Some(c) if c == ObjectionStatus::Accepted.code() => lang.pick(yes.0, yes.1).to_string(),
        Some(_) => lang.pick("不成立/不予", "rejected").to_string(),
    }
}

fn row(lang: Lang, r: &FileRecord, check: &Check) -> PersonRecordRow {
    PersonRecordRow {
        id: r.id.clone(),
        kind: kind_label(lang, r.kind),
        unit_name: r.unit_name.clone(),
        occurred_on: r.occurred_on.to_string(),
        mitigation: match r.mitigation {
            Mitigation::Reduced => lang.pick("从轻", "reduced"),
            Mitigation::Exempt => lang.pick("免于惩戒", "exempt"),
            Mitigation::None => lang.pick("无", "none"),
        }
        .to_string(),
        repair: label(lang, r.repair.map(RepairStatus::code), ("已同意修复", "accepted")),
        objection: label(lang, r.objection.map(ObjectionStatus::code), ("异议成立", "accepted")),
        voided: r.voided,
        restricts: check.records.iter().any(|c| c.id == r.id),
    }
}

/// A rulebook's length of time ("3y") in words ("3 年", "3 years").
fn span_words(lang: Lang, span: &str) -> String {
    // At the last character, not the last byte: a span is ASCII once
    // parsed, but a byte offset into text is how "3年" once panicked.
    let Some((at, unit)) = span.char_indices().last() else { return String::new() };
    let (zh, en) = match unit {
        'y' => ("年", "years"),
        'm' => ("个月", "months"),
        'd' => ("天", "days"),
        _ => return span.to_string(),
    };
    format!("{} {}", &span[..at], lang.pick(zh, en))
}

/// What a look-up is for, in words: the check's heading.
fn purpose_words(lang: Lang, purpose: &Purpose) -> String {
    match purpose {
        Purpose::Other(text) => text.clone(),
        _ => Purpose::CODES.iter().find(|(code, ..)| *code == purpose.code()).map_or_else(String::new, |(_, zh, en)| lang.pick(zh, en).to_string()),
    }
}

/// `GET /persons`: the look-up form.
pub async fn page(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<super::shared::LangQuery>) -> Result<(StatusCode, Markup), AppError> {
    let form = LookUpForm { csrf: String::new(), person_ref: None, purpose: None, purpose_text: None, lang: q.lang };
    answer(&state, &session, form).await
}

/// `POST /persons`: with `ref` and `purpose`, the file and its check.
pub async fn look_up(State(state): State<AppState>, PageSession(session): PageSession, Form(form): Form<LookUpForm>) -> Result<(StatusCode, Markup), AppError> {
    check_csrf(&session, &form.csrf)?;
    answer(&state, &session, form).await
}

async fn answer(state: &AppState, session: &crate::auth::sessions::Session, q: LookUpForm) -> Result<(StatusCode, Markup), AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let mut view = PersonsView {
        lang,
        nav: nav(session),
        purposes: Purpose::CODES.iter().map(|(code, zh, en)| (code.to_string(), lang.pick(zh, en).to_string())).collect(),
        asked: (q.person_ref.clone().unwrap_or_default(), q.purpose.clone().unwrap_or_default(), q.purpose_text.clone().unwrap_or_default()),
        error: None,
        file: None,
    };
    let Some(person_ref) = q.person_ref.as_deref().filter(|r| !r.trim().is_empty()) else {
        return Ok((StatusCode::OK, persons::render(&view)));
    };
    let today = crate::clock::now_cst().date();
    let answer = match Purpose::parse(q.purpose.as_deref().unwrap_or_default(), q.purpose_text.as_deref()) {
        Ok(purpose) => use_case::look_up(&state.db, &session.user, person_ref, &purpose, today, Via::Page).await.map(|a| (a, purpose)),
        Err(e) => Err(e),
    };
    match answer {
        Ok(((records, check), purpose)) => {
            view.file = Some(PersonFile {
                person_ref: check.person_ref.clone(),
                purpose: purpose_words(lang, &purpose),
                found: check.found,
                records: records.iter().map(|r| row(lang, r, &check)).collect(),
                restricted: check.restricted,
                lookback: span_words(lang, &check.lookback),
                since: check.since.to_string(),
                today: check.today.to_string(),
                advice: check.advice.to_string(),
            });
            Ok((StatusCode::OK, persons::render(&view)))
        }
        Err(PersonError::Refused(refusal)) => {
            view.error = Some(words(refusal));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, persons::render(&view)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct CheckQuery {
    pub purpose: Option<String>,
    pub purpose_text: Option<String>,
}

/// `GET /api/v1/persons/{ref}/check?purpose=…`: the appointment check.
pub async fn check(State(state): State<AppState>, ApiUser(user): ApiUser, Path(person_ref): Path<String>, ApiQuery(q): ApiQuery<CheckQuery>) -> Result<Json<Check>, AppError> {
    let purpose = Purpose::parse(q.purpose.as_deref().unwrap_or_default(), q.purpose_text.as_deref())?;
    let today = crate::clock::now_cst().date();
    let (_, check) = use_case::look_up(&state.db, &user, &person_ref, &purpose, today, Via::Api).await?;
    Ok(Json(check))
}
