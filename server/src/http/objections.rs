//! Objections on the web: units file them from an indicator's records,
//! the assessment team decides them and rescores or publishes a year.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dashboards::layout::Lang;
use dashboards::pages::objections::{ObjectionRow, ObjectionsView, form_error, render, standing};
use maud::Markup;
use serde::Deserialize;

use super::records::minutes;
use super::shared::{LangQuery, pick_year};
use super::session::{PageSession, check_csrf, nav};
use super::{AppError, AppState};
use crate::auth::Capability;
use crate::units::Names;
use crate::objections::{self, Objection, ObjectionError};

impl From<ObjectionError> for AppError {
    fn from(e: ObjectionError) -> Self {
        match e {
            ObjectionError::NotFound => AppError::NotFound,
            ObjectionError::Forbidden => AppError::Forbidden,
            other => AppError::internal(other),
        }
    }
}

pub async fn page(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<LangQuery>) -> Result<Markup, AppError> {
    let user = &session.user;
    let rows = objections::list(&state.db, user).await?;
    let names = crate::units::names(&state.db).await?;
    let (_, year, _) = pick_year(&state.db, None).await?;
    let view = ObjectionsView {
        lang: Lang::from_param(q.lang.as_deref()),
        nav: nav(&session),
        can_decide: user.may(Capability::DecideObjections),
        year,
        rows: rows.iter().map(|o| row_of(o, &names)).collect(),
    };
    Ok(render(&view))
}

/// An objection as the pages show it: its unit by name, times to the minute.
fn row_of(o: &Objection, names: &Names) -> ObjectionRow {
    ObjectionRow {
        id: o.id,
        unit_code: o.unit_code.clone(),
        unit_name: names.of(&o.unit_code),
        source: o.source.clone(),
        record_id: o.record_id.clone(),
        reason: o.reason.clone(),
        status: o.status.code().to_string(),
        filed_by: o.filed_by.clone(),
        filed_at: minutes(o.filed_at),
        decided_by: o.decided_by.clone(),
        decided_at: o.decided_at.map(minutes),
        decision_reason: o.decision_reason.clone(),
    }
}

#[derive(Debug, Deserialize)]
pub struct FileForm {
    pub csrf: String,
    pub source: String,
    pub record_id: String,
    pub reason: String,
    /// The language of the page the form was on.
    pub lang: Option<String>,
}

pub async fn file(State(state): State<AppState>, PageSession(session): PageSession, Form(f): Form<FileForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    let lang = Lang::from_param(f.lang.as_deref());
    match objections::file(&state.db, &session.user, &f.source, &f.record_id, &f.reason).await {
        Ok(_) => Ok(Redirect::to(&dashboards::layout::link(lang, "/objections", "")).into_response()),
        Err(ObjectionError::NotFound) => Err(AppError::NotFound),
        Err(ObjectionError::Forbidden) => Err(AppError::Forbidden),
        Err(ObjectionError::Standing(existing)) => {
            let names = crate::units::names(&state.db).await?;
            Ok((StatusCode::CONFLICT, standing(lang, &nav(&session), &row_of(&existing, &names))).into_response())
        }
        Err(ObjectionError::Reason(refusal)) => {
            let message = super::shared::text_refusal(refusal, "理由", "a reason");
            let mut hidden = vec![("source", f.source.clone()), ("record_id", f.record_id.clone())];
            if lang == Lang::En {
                hidden.push(("lang", "en".into()));
            }
            let page = form_error(lang, &nav(&session), "/objections", &hidden, "reason", &f.reason, &message);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(ObjectionError::Db(e)) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct DecideForm {
    pub csrf: String,
    pub decision: String,
    pub reason: String,
    /// The language of the page the form was on.
    pub lang: Option<String>,
}

pub async fn decide(State(state): State<AppState>, PageSession(session): PageSession, Path(id): Path<i64>, Form(f): Form<DecideForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    let accept = match f.decision.as_str() {
        "accept" => true,
        "reject" => false,
        _ => return Err(AppError::BadRequest("decision is accept or reject".into())),
    };
    let lang = Lang::from_param(f.lang.as_deref());
    match objections::decide(&state.db, &session.user, id, accept, &f.reason).await {
        Ok(()) => Ok(Redirect::to(&dashboards::layout::link(lang, "/objections", "")).into_response()),
        Err(ObjectionError::NotFound) => Err(AppError::NotFound),
        Err(ObjectionError::Forbidden) => Err(AppError::Forbidden),
        Err(e @ ObjectionError::Standing(_)) => Err(AppError::internal(e)),
        Err(ObjectionError::Reason(refusal)) => {
            let message = super::shared::text_refusal(refusal, "理由", "a reason");
            let action = format!("/objections/{id}/decide");
            let mut hidden = vec![("decision", f.decision.clone())];
            if lang == Lang::En {
                hidden.push(("lang", "en".into()));
            }
            let page = form_error(lang, &nav(&session), &action, &hidden, "reason", &f.reason, &message);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(ObjectionError::Db(e)) => Err(e.into()),
    }
}

