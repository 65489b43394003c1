//! 整改督办 pages (leadership and the assessment team): the board with its
//! filters and downloads, the notice's draft PDF, issuing a notice (the
//! assessment team), and an issued notice as a printable page and as the
//! stored PDF. The rules are in [`crate::supervision`].

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use dashboards::layout::Lang;
use dashboards::pages::supervision::{self, DeadlineRow, NoticeRow, RollupRow, SupervisionView};
use serde::Deserialize;

use super::exports::attachment;
use super::public::kind_label;
use super::session::{PageSession, check_csrf, nav};
use super::shared::LangQuery;
use super::{AppError, AppState};
use crate::auth::Capability;
use crate::scoring::export::{csv_bytes, table_xlsx};
use crate::supervision::{self as use_case, Band, Filter, NoticeDate};
use analytics::domain::DishonestyType;

impl From<use_case::SupervisionError> for AppError {
    fn from(e: use_case::SupervisionError) -> Self {
        match e {
            use_case::SupervisionError::Forbidden => AppError::Forbidden,
            other => AppError::internal(other),
        }
    }
}

/// Rows the page shows; the downloads hold all of them.
const SHOWN: usize = 500;

#[derive(Debug, Deserialize)]
pub struct BoardQuery {
    pub band: Option<String>,
    pub area: Option<String>,
    pub kind: Option<String>,
    pub lang: Option<String>,
    /// The draft notice's date.
    pub as_of: Option<String>,
}

impl BoardQuery {
    /// The filter; an unknown choice is refused rather than ignored.
    fn filter(&self) -> Result<Filter, AppError> {
        let chosen = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let band = chosen(&self.band).map(|b| Band::parse(&b).ok_or(AppError::BadRequest("unknown band".into()))).transpose()?;
        let kind = chosen(&self.kind).map(|k| DishonestyType::parse(&k).ok_or(AppError::BadRequest("unknown record type".into()))).transpose()?;
        Ok(Filter { band, area: chosen(&self.area), kind })
    }

    /// The filters as a query string ("" or "?…"), for the downloads.
    fn query(&self) -> String {
        let parts: Vec<String> = [("band", &self.band), ("area", &self.area), ("kind", &self.kind)]
            .iter()
            .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| format!("{k}={}", dashboards::layout::encode(v))))
            .collect();
        if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
    }
}

/// `GET /supervision`
pub async fn page(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<BoardQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let today = crate::clock::now_cst().date();
    let board = use_case::board(&state.db, today, &q.filter()?).await?;
    let band_label = |b: Band| lang.pick(b.label_zh(), b.label_en()).to_string();
    let rollups = |rows: &[use_case::Rollup]| -> Vec<RollupRow> { rows.iter().map(|r| RollupRow { code: r.code.clone(), name: r.name.clone(), counts: r.counts }).collect() };
    let mut areas: Vec<(String, String)> = board.counties.iter().map(|r| (r.code.clone(), r.name.clone())).collect();
    areas.extend(board.departments.iter().map(|r| (r.code.clone(), format!("{} · {}", lang.pick("市直", "dept."), r.name))));
    let view = SupervisionView {
        lang,
        nav: nav(&session),
        today: today.to_string(),
        band: q.band.clone().unwrap_or_default(),
        area: q.area.clone().unwrap_or_default(),
        kind: q.kind.clone().unwrap_or_default(),
        bands: Band::ALL.iter().map(|b| (b.code().to_string(), band_label(*b))).collect(),
        areas,
        kinds: DishonestyType::ALL.iter().map(|k| (k.code().to_string(), kind_label(lang, *k))).collect(),
        query: q.query(),
        matching: board.rows.len(),
        rows: board
            .rows
            .iter()
            .take(SHOWN)
            .map(|p| {
                let d = &p.deadline;
                DeadlineRow {
                    unit_name: p.unit_name.clone(),
                    area_name: p.area_name.clone(),
                    kind: d.kind.map_or_else(String::new, |k| kind_label(lang, k)),
                    record_id: d.record_id.clone(),
                    of_person: d.of_person,
                    occurred_on: d.occurred_on.to_string(),
                    deadline: d.deadline.to_string(),
                    days_left: d.days_left,
                    band: d.band.code().to_string(),
                    band_label: band_label(d.band),
                }
            })
            .collect(),
        counties: rollups(&board.counties),
        departments: rollups(&board.departments),
        band_labels: Band::ALL.map(band_label),
        notices: use_case::notices(&state.db)
            .await?
            .into_iter()
            .map(|(n, number)| NoticeRow {
                number,
                id: n.id,
                as_of: n.as_of.to_string(),
                issued_by: n.issued_by,
                issued_at: n.issued_at.format("%Y-%m-%d %H:%M").to_string(),
                content_hash: n.content_hash,
            })
            .collect(),
        can_issue: session.user.may(Capability::IssueNotices),
    };
    Ok(supervision::render(&view).into_response())
}

/// A notice's date from the form or the address, or the page that says
/// why not (422: the request was understood, the date is not one a notice
/// may have; [`NoticeDate`] has the range).
fn notice_date(lang: Lang, text: Option<&str>, today: NaiveDate) -> Result<NoticeDate, Response> {
    let text = text.unwrap_or_default().trim();
    let refused = |message: String| (StatusCode::UNPROCESSABLE_ENTITY, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], super::error_page(lang, &message, &message)).into_response();
    let day: NaiveDate = text.parse().map_err(|_| refused(format!("通报日期应为 YYYY-MM-DD，而不是 {text:?} / a notice's date is YYYY-MM-DD, not {text:?}")))?;
    NoticeDate::new(day, today).map_err(|e| refused(date_words(&e)))
}

/// A notice date out of range, "中文 / English", with the range.
fn date_words(e: &use_case::NoticeDateError) -> String {
    let use_case::NoticeDateError { day, first, today } = e;
    format!("通报日期 {day} 应在 {first} 至今天（{today}）之间 / a notice's date must lie from {first} to today ({today}), not {day}")
}

/// `GET /supervision/deadlines.{csv,xlsx}` (the board's records under its
/// filters) and `GET /supervision/notice.pdf?as_of=` (a draft notice).
pub async fn file(State(state): State<AppState>, PageSession(_): PageSession, Path(file): Path<String>, Query(q): Query<BoardQuery>) -> Result<Response, AppError> {
    let today = crate::clock::now_cst().date();
    if file == "notice.pdf" {
        let day = match notice_date(Lang::from_param(q.lang.as_deref()), q.as_of.as_deref(), today) {
            Ok(day) => day,
            Err(refused) => return Ok(refused),
        };
        let pdf = use_case::preview(&state.db, day, &state.config.report_office).await?;
        let name = format!("zhengxin-supervision-draft-{}.pdf", day.day());
        return Ok(([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, attachment(&name))], pdf).into_response());
    }
    let board = use_case::board(&state.db, today, &q.filter()?).await?;
    let (columns, rows) = use_case::table(&board.rows);
    let (bytes, content_type, name) = match file.as_str() {
        "deadlines.csv" => {
            let header: Vec<String> = columns.into_iter().map(|(en, _)| en).collect();
            (csv_bytes(&header, rows).map_err(AppError::internal)?, "text/csv; charset=utf-8", format!("zhengxin-deadlines-{today}.csv"))
        }
        "deadlines.xlsx" => {
            let title = format!("整改督办 待整改记录（截至 {today}）");
            let bytes = table_xlsx("待整改记录", &title, columns, rows).map_err(AppError::internal)?;
            (bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", format!("zhengxin-deadlines-{today}.xlsx"))
        }
        _ => return Err(AppError::NotFound),
    };
    Ok(([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, attachment(&name))], bytes).into_response())
}

#[derive(Debug, Deserialize)]
pub struct IssueForm {
    pub csrf: String,
    pub as_of: String,
}

/// `POST /supervision/notices`: the assessment team issues a notice.
pub async fn issue(State(state): State<AppState>, PageSession(session): PageSession, Form(f): Form<IssueForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    let day = match notice_date(Lang::Zh, Some(&f.as_of), crate::clock::now_cst().date()) {
        Ok(day) => day,
        Err(refused) => return Ok(refused),
    };
    let id = use_case::issue(&state.db, &session.user, day, &state.config.report_office).await?;
    Ok(Redirect::to(&format!("/supervision/notices/{id}")).into_response())
}

/// `GET /supervision/notices/{id}`: an issued notice, printable.
pub async fn notice(State(state): State<AppState>, PageSession(session): PageSession, Path(id): Path<i64>, Query(q): Query<LangQuery>) -> Result<Response, AppError> {
    let (_, notice) = use_case::issued(&state.db, id, &session.user.username).await?.ok_or(AppError::NotFound)?;
    let lang = Lang::from_param(q.lang.as_deref());
    Ok(supervision::render_notice(lang, &nav(&session), id, &crate::typeset::supervision_view(&notice)).into_response())
}

/// `GET /supervision/notices/{id}/notice.pdf`: the PDF as issued, byte for
/// byte.
pub async fn notice_pdf(State(state): State<AppState>, PageSession(session): PageSession, Path(id): Path<i64>) -> Result<Response, AppError> {
    let (stored, _) = use_case::issued(&state.db, id, &session.user.username).await?.ok_or(AppError::NotFound)?;
    let name = format!("zhengxin-supervision-notice-{id}-{}.pdf", stored.info.as_of);
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, attachment(&name))], stored.pdf).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_date_out_of_range_is_said_with_the_range() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let e = NoticeDate::new(d("2024-12-31"), d("2026-03-10")).unwrap_err();
        assert_eq!(date_words(&e), "通报日期 2024-12-31 应在 2025-01-01 至今天（2026-03-10）之间 / a notice's date must lie from 2025-01-01 to today (2026-03-10), not 2024-12-31");
    }
}
