//! Objections on the web: units file them from an indicator's records,
//! the assessment team decides them and rescores or publishes a year.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dashboards::layout::Lang;
use dashboards::pages::objections::{ObjectionRow, ObjectionsView, form_error, render};
use maud::Markup;
use serde::Deserialize;

use super::shared::{LangQuery, pick_year};
use super::session::{PageSession, check_csrf, nav};
use super::{AppError, AppState};
use crate::auth::Role;
use crate::objections::{self, ObjectionError};

pub async fn page(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<LangQuery>) -> Result<Markup, AppError> {
    let user = &session.user;
    let rows = match user.role {
        Role::Admin | Role::Personnel => return Err(AppError::Forbidden),
        Role::Unit => objections::list(&state.db, user.unit_code.as_deref()).await,
        Role::Leader | Role::Assessor => objections::list(&state.db, None).await,
    }
    .map_err(AppError::internal)?;
    let (_, year, _) = pick_year(&state.db, None).await?;
    let view = ObjectionsView {
        lang: Lang::from_param(q.lang.as_deref()),
        nav: nav(&session),
        can_decide: user.is_assessor(),
        year,
        rows: rows
            .into_iter()
            .map(|o| ObjectionRow {
                id: o.id,
                unit_code: o.unit_code,
                source: o.source,
                record_id: o.record_id,
                reason: o.reason,
                status: o.status,
                filed_by: o.filed_by,
                filed_at: o.filed_at.to_string(),
                decided_by: o.decided_by,
                decided_at: o.decided_at.map(|t| t.to_string()),
                decision_reason: o.decision_reason,
            })
            .collect(),
    };
    Ok(render(&view))
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
    if session.user.role != Role::Unit {
        return Err(AppError::Forbidden);
    }
    let lang = Lang::from_param(f.lang.as_deref());
    match objections::file(&state.db, &session.user, &f.source, &f.record_id, &f.reason).await {
        Ok(_) => Ok(Redirect::to(&dashboards::layout::link(lang, "/objections", "")).into_response()),
        Err(ObjectionError::NotFound) => Err(AppError::NotFound),
        Err(ObjectionError::Invalid(message)) => {
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
}

pub async fn decide(State(state): State<AppState>, PageSession(session): PageSession, Path(id): Path<i64>, Form(f): Form<DecideForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    if !session.user.is_assessor() {
        return Err(AppError::Forbidden);
    }
    let accept = match f.decision.as_str() {
        "accept" => true,
        "reject" => false,
        _ => return Err(AppError::BadRequest("decision is accept or reject".into())),
    };
    match objections::decide(&state.db, &session.user, id, accept, &f.reason).await {
        Ok(()) => Ok(Redirect::to("/objections").into_response()),
        Err(ObjectionError::NotFound) => Err(AppError::NotFound),
        Err(ObjectionError::Invalid(message)) => {
            let action = format!("/objections/{id}/decide");
            let page = form_error(Lang::Zh, &nav(&session), &action, &[("decision", f.decision.clone())], "reason", &f.reason, &message);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(ObjectionError::Db(e)) => Err(e.into()),
    }
}

