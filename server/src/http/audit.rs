//! The audit administrator's pages (`/admin/audit`): the log searched, a
//! CSV of what the search matches, and the chain verified
//! (`audit_review`). Dates are whole days of China Standard Time, the
//! clock every entry is written in.

use axum::Form;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, NaiveDateTime};
use dashboards::layout::Lang;
use dashboards::pages::audit::{self as page, AuditView, Entry, Verified};
use serde::Deserialize;

use super::exports::attachment;
use super::session::{PageSession, check_csrf, nav};
use super::{AppError, AppState};
use crate::audit_review::{self, Filter, Verification};
use crate::auth::sessions::Session;

#[derive(Debug, Deserialize, Default)]
pub struct AuditQuery {
    pub lang: Option<String>,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub object: String,
    pub page: Option<i64>,
}

impl AuditQuery {
    fn typed(&self) -> page::Filter {
        page::Filter { from: self.from.trim().into(), to: self.to.trim().into(), actor: self.actor.trim().into(), action: self.action.trim().into(), object: self.object.trim().into() }
    }

    /// The filter the use case takes, or the field that is not a date.
    fn filter(&self) -> Result<Filter, (String, String)> {
        let t = self.typed();
        let day = |name: &str, text: &str| -> Result<Option<NaiveDate>, (String, String)> {
            if text.is_empty() {
                return Ok(None);
            }
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map(Some).map_err(|_| (name.to_string(), "日期应为 YYYY-MM-DD / A date is YYYY-MM-DD".to_string()))
        };
        let midnight = |d: NaiveDate| -> NaiveDateTime { d.and_hms_opt(0, 0, 0).expect("midnight exists") };
        let text = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        Ok(Filter {
            from: day("from", &t.from)?.map(midnight),
            // "To" is inclusive: entries before the next day's midnight.
            until: day("to", &t.to)?.and_then(|d| d.succ_opt()).map(midnight),
            actor: text(&t.actor),
            action: text(&t.action),
            object: text(&t.object),
        })
    }
}

async fn view(state: &AppState, session: &Session, q: &AuditQuery, verified: Option<Verification>) -> Result<(StatusCode, AuditView), AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    // A bad date shows the page with its message and no entries, never
    // every entry as if there were no filter.
    let (listing, error) = match q.filter() {
        Ok(filter) => (audit_review::list(&state.db, &filter, q.page.unwrap_or(1)).await?, None),
        Err(e) => (audit_review::none(&state.db).await?, Some(e)),
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let seconds = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    Ok((status, AuditView {
        lang,
        nav: nav(session),
        filter: q.typed(),
        error: error.map(|(field, message)| (field, dashboards::layout::bilingual(lang, &message).to_string())),
        entries: listing
            .entries
            .into_iter()
            .map(|e| Entry { id: e.id, at: seconds(e.at), actor: e.actor, action: e.action, entity: e.entity, entity_key: e.entity_key, detail: e.detail })
            .collect(),
        matching: listing.matching,
        page: listing.page,
        pages: listing.pages,
        actions: listing.actions,
        oldest: listing.oldest.map(seconds),
        kept_days: audit_review::KEPT_DAYS,
        verified: verified.map(|v| Verified {
            entries: v.entries,
            head: v.head,
            problem: v.problem.map(|p| format!("#{} {}: {}", p.id, p.kind, p.message)),
            unverifiable: v.unverifiable,
        }),
    }))
}

/// `GET /admin/audit`
pub async fn review(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<AuditQuery>) -> Result<Response, AppError> {
    let (status, v) = view(&state, &session, &q, None).await?;
    Ok((status, page::render(&v)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct VerifyForm {
    pub csrf: String,
    pub lang: Option<String>,
}

/// `POST /admin/audit/verify`: walks the chain (an expensive place) and
/// shows what it found above the newest entries.
pub async fn verify(State(state): State<AppState>, PageSession(session): PageSession, Form(f): Form<VerifyForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    let found = audit_review::verify(&state.db, &session.user.username).await?;
    let q = AuditQuery { lang: f.lang, ..AuditQuery::default() };
    let (status, v) = view(&state, &session, &q, Some(found)).await?;
    Ok((status, page::render(&v)).into_response())
}

/// `GET /admin/audit/audit.csv`: the entries the filter matches, streamed.
pub async fn csv(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<AuditQuery>) -> Result<Response, AppError> {
    let filter = q.filter().map_err(|(field, message)| AppError::BadRequest(format!("{field}: {message}")))?;
    let stream = audit_review::export(&state.db, filter, &session.user.username).await.map_err(AppError::internal)?;
    let name = format!("zhengxin-audit-{}.csv", crate::clock::now_cst().format("%Y-%m-%d"));
    let body = Body::from_stream(stream);
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, attachment(&name))], body).into_response())
}
