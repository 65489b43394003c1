//! PDF reports of a stored result (the use case is
//! [`crate::scoring::reports`]): the results notice for leadership and the
//! assessment team, a unit's report for the unit itself, leadership and
//! the assessment team, and every unit's report as a ZIP for the
//! assessment team.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::exports::attachment;
use super::session::PageSession;
use super::{AppError, AppState};
use crate::auth::Capability;
use crate::scoring::reports::{self, Kind};

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    pub version: Option<i64>,
}

/// `GET /reports/{year}/{file}`: `notice.pdf`, or `unit-reports.zip`.
pub async fn year(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path((year, file)): Path<(i32, String)>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let (kind, needs) = match file.as_str() {
        "notice.pdf" => (Kind::Notice, Capability::ExportRankings),
        "unit-reports.zip" => (Kind::AllUnits, Capability::ExportUnitReports),
        _ => return Err(AppError::NotFound),
    };
    if !session.user.may(needs) {
        return Err(AppError::Forbidden);
    }
    send(&state, year, q.version, &kind, &session.user.username).await
}

/// `GET /reports/{year}/units/{code}.pdf`: one unit's report.
pub async fn unit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path((year, file)): Path<(i32, String)>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let code = file.strip_suffix(".pdf").ok_or(AppError::NotFound)?;
    if !session.user.sees_unit_in_full(code) {
        return Err(AppError::Forbidden);
    }
    send(&state, year, q.version, &Kind::Unit(code.to_string()), &session.user.username).await
}

async fn send(state: &AppState, year: i32, version: Option<i64>, kind: &Kind, actor: &str) -> Result<Response, AppError> {
    let report = reports::report(&state.db, year, version, kind, &state.config.report_office, actor).await?;
    let headers = [
        (header::CONTENT_TYPE, report.content_type.to_string()),
        (header::CONTENT_DISPOSITION, attachment(&report.file_name)),
    ];
    Ok((headers, report.bytes).into_response())
}
