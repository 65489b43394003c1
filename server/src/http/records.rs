//! The drill-down: from one indicator of one unit to the records behind
//! it (page, CSV and API), and from a record to its fields and history.
//! Only users who see the unit in full get here; person references are
//! shown to the assessment team only.

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use dashboards::layout::Lang;
use dashboards::pages::records::{self, Computation, FieldChange, HistoryRow, Late, RecordObjection, RecordRow, RecordView, RecordsView, Show};
use maud::Markup;
use serde::Deserialize;

use super::exports::attachment;
use super::shared::pick_year;
use super::session::{PageSession, nav};
use super::{AppError, AppState};
use crate::auth::{Role, User};
use crate::db::{Value, batches, records as stored};
use crate::scoring::explain::IndicatorExplanation;
use crate::scoring::export::{Cell, csv_bytes};
use crate::scoring::results;
use crate::sources::{Column, Kind, Source, SourceSpec};

/// Records per page of the drill-down (and the API's default).
pub const PER_PAGE: usize = 100;
/// The API's largest page.
const MAX_PER_PAGE: usize = 1000;
/// How a person reference looks to everyone but the assessment team.
const MASKED: &str = "***";

#[derive(Debug, Deserialize)]
pub struct RecordsQuery {
    pub year: Option<i32>,
    pub lang: Option<String>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
    /// `cost` (default), `counted` or `voided`.
    pub show: Option<String>,
    /// Keeps records whose id or any field contains this text.
    pub q: Option<String>,
}

/// The records of one indicator's list, filtered.
pub struct Drill {
    pub year: i32,
    pub unit_name: String,
    /// The version's as-of time: how far past its deadline an open record was.
    pub as_of: chrono::NaiveDateTime,
    pub unit_code: String,
    pub explanation: IndicatorExplanation,
    pub data_unchanged: bool,
    pub spec: Option<&'static SourceSpec>,
    pub show: Show,
    pub sizes: (usize, usize, usize),
    cost: HashSet<String>,
    voided: HashSet<String>,
    /// The ids listed, when unfiltered (rows are read a page at a time).
    ids: Vec<String>,
    /// The rows listed, when filtered (all had to be read to filter).
    filtered: Option<Vec<Vec<Value>>>,
    mask: bool,
}

/// The source whose records an indicator counts.
fn spec_of(indicator: &str) -> Option<&'static SourceSpec> {
    analytics::indicators::record_source(indicator).and_then(Source::parse).map(Source::spec)
}

impl Drill {
    pub async fn load(state: &AppState, user: &User, code: &str, indicator: &str, q: &RecordsQuery) -> Result<Drill, AppError> {
        if !user.sees_unit_in_full(code) {
            return Err(AppError::Forbidden);
        }
        let (_, year, version) = pick_year(&state.db, q.year).await?;
        let version = version.ok_or(AppError::NotFound)?;
        if crate::scoring::stored::load(&state.db, &version).await?.rules.indicator(indicator).is_none() {
            return Err(AppError::NotFound);
        }
        let e = super::cache::explanation(state, &version, code, Some(indicator)).await?;
        let explanation = e.indicators.iter().find(|i| i.indicator == indicator).cloned().ok_or(AppError::NotFound)?;
        let show = Show::parse(q.show.as_deref());
        let list = |l: &Option<Vec<String>>| l.clone().unwrap_or_default();
        let (cost, counted, voided) = (list(&explanation.cost_points), list(&explanation.counted), list(&explanation.voided));
        let sizes = (cost.len(), counted.len(), voided.len());
        let ids = match show {
            Show::Cost => cost.clone(),
            Show::Counted => counted,
            Show::Voided => voided.clone(),
        };
        let spec = spec_of(indicator).filter(|_| explanation.counted.is_some());
        let mask = user.role != Role::Assessor;
        let filter = q.q.as_deref().map(str::trim).unwrap_or_default().to_lowercase();
        let filtered = match (spec, filter.is_empty()) {
            (Some(spec), false) => {
                let rows = stored::by_ids(&state.db, spec, &ids).await?;
                Some(
                    rows.into_iter()
                        .map(|(values, _)| values)
                        .filter(|values| belongs_to(spec, values, code))
                        .filter(|values| spec.columns.iter().zip(values).any(|(c, v)| !(mask && stored::is_personal(c.name)) && v.to_canonical().to_lowercase().contains(&filter)))
                        .collect(),
                )
            }
            _ => None,
        };
        Ok(Drill {
            year,
            unit_name: unit_name(state, Some(&version), code).await?,
            as_of: version.as_of,
            unit_code: code.to_string(),
            data_unchanged: e.data_unchanged,
            explanation,
            spec,
            show,
            sizes,
            cost: cost.into_iter().collect(),
            voided: voided.into_iter().collect(),
            ids,
            filtered,
            mask,
        })
    }

    /// Records matching, over all pages.
    pub fn matching(&self) -> usize {
        self.filtered.as_ref().map_or(self.ids.len(), Vec::len)
    }

    /// The rows of page `page` (1-based) of `per_page`.
    pub async fn page(&self, state: &AppState, page: usize, per_page: usize) -> Result<Vec<Vec<Value>>, AppError> {
        let skip = page.saturating_sub(1).saturating_mul(per_page);
        match (&self.filtered, self.spec) {
            (Some(rows), _) => Ok(rows.iter().skip(skip).take(per_page).cloned().collect()),
            (None, Some(spec)) => {
                let ids: Vec<String> = self.ids.iter().skip(skip).take(per_page).cloned().collect();
                Ok(self.owned(stored::by_ids(&state.db, spec, &ids).await?))
            }
            (None, None) => Ok(Vec::new()),
        }
    }

    /// Keeps only rows of the unit asked for: the ids come from the
    /// unit's explanation, and this holds even if data changed since.
    fn owned(&self, rows: Vec<(Vec<Value>, Option<i64>)>) -> Vec<Vec<Value>> {
        let Some(spec) = self.spec else { return Vec::new() };
        rows.into_iter().map(|(values, _)| values).filter(|values| belongs_to(spec, values, &self.unit_code)).collect()
    }

    /// Every row listed.
    pub async fn all(&self, state: &AppState) -> Result<Vec<Vec<Value>>, AppError> {
        self.page(state, 1, usize::MAX).await
    }

    fn id_of(&self, row: &[Value]) -> String {
        self.spec.map(|s| row[s.key[0]].to_canonical()).unwrap_or_default()
    }

    fn scoring(&self, id: &str) -> &'static str {
        if self.voided.contains(id) {
            "voided"
        } else if self.cost.contains(id) {
            "cost"
        } else {
            "counted"
        }
    }

    fn hides(&self, c: &Column) -> bool {
        self.mask && stored::is_personal(c.name)
    }
}

/// Whether a record (`spec`'s columns) belongs to unit `code`: its unit
/// column (each record source has exactly one) names it.
fn belongs_to(spec: &SourceSpec, values: &[Value], code: &str) -> bool {
    spec.columns.iter().zip(values).find(|(c, _)| c.kind == Kind::UnitRef).is_some_and(|(_, v)| v.as_str() == Some(code))
}

/// A value of `column` as a page shows it: codes of a vocabulary by their
/// Chinese label on Chinese pages, yes/no in words.
fn shown(lang: Lang, column: &Column, v: &Value) -> String {
    match (v, column.kind) {
        (Value::Null, _) => "–".into(),
        (Value::Bool(b), _) => lang.pick(if *b { "是" } else { "否" }, if *b { "yes" } else { "no" }).into(),
        (Value::Text(code), Kind::Enum(vocabulary)) if lang == Lang::Zh => vocabulary.label_zh(code).map_or_else(|| code.clone(), str::to_string),
        (other, _) => other.to_canonical(),
    }
}

/// How late a record met its deadline, or, not met by `as_of`, how far
/// past it it was then. A date deadline is met on its day, so dates count
/// whole days (as of the as-of day).
fn late(spec: &SourceSpec, row: &[Value], as_of: chrono::NaiveDateTime) -> Option<Late> {
    let (due, done) = spec.deadline()?;
    let days = matches!(row[due], Value::Date(_));
    let instant = |v: &Value| match v {
        Value::Date(d) => Some(d.and_time(chrono::NaiveTime::MIN)),
        Value::DateTime(t) => Some(*t),
        _ => None,
    };
    let deadline = instant(&row[due])?;
    let open = row[done].is_null();
    let met = if open {
        if days { as_of.date().and_time(chrono::NaiveTime::MIN) } else { as_of }
    } else {
        instant(&row[done])?
    };
    let minutes = (met - deadline).num_minutes();
    (minutes > 0).then_some(Late { minutes, open, days })
}

/// A unit's name as `version` stored it (its code when it has none).
async fn unit_name(state: &AppState, version: Option<&results::VersionInfo>, code: &str) -> Result<String, AppError> {
    let Some(v) = version else { return Ok(code.to_string()) };
    let stored = crate::scoring::stored::load(&state.db, v).await?;
    Ok(stored.unit(code).map_or_else(|| code.to_string(), |u| u.unit_name.clone()))
}

/// A time as pages show when something was filed or decided.
pub(crate) fn minutes(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn page_number(q: &RecordsQuery) -> usize {
    q.page.unwrap_or(1).max(1)
}

pub async fn page(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path((code, indicator)): Path<(String, String)>,
    Query(q): Query<RecordsQuery>,
) -> Result<Markup, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let d = Drill::load(&state, &session.user, &code, &indicator, &q).await?;
    let pages = d.matching().div_ceil(PER_PAGE).max(1);
    let page = page_number(&q).min(pages);
    let rows = d.page(&state, page, PER_PAGE).await?;
    let objections = match d.spec {
        Some(spec) => crate::objections::latest_by_record(&state.db, &code, spec.file_stem).await.map_err(AppError::internal)?,
        None => Default::default(),
    };
    let unit = session.user.role == Role::Unit;
    let i = &d.explanation;
    let view = RecordsView {
        lang,
        nav: nav(&session),
        year: d.year,
        unit_code: code.clone(),
        unit_name: d.unit_name.clone(),
        indicator: indicator.clone(),
        name_zh: i.name_zh.clone(),
        name_en: i.name_en.clone(),
        computation: Computation {
            formula: i.formula.clone(),
            value: i.value,
            numerator: i.numerator,
            denominator: i.denominator,
            points: i.points,
            weight: i.weight,
        },
        data_unchanged: d.data_unchanged,
        source: d.spec.map(|s| s.file_stem.to_string()),
        show: d.show,
        sizes: d.sizes,
        filter: q.q.clone().unwrap_or_default().trim().to_string(),
        columns: d.spec.map_or_else(Vec::new, |s| s.columns.iter().map(|c| (c.zh.to_string(), c.name.to_string())).collect()),
        deadlines: d.spec.is_some_and(|s| s.deadline().is_some()),
        rows: rows
            .iter()
            .map(|row| {
                let id = d.id_of(row);
                let scoring = d.scoring(&id);
                let latest = objections.get(&id);
                RecordRow {
                    cells: d.spec.map_or_else(Vec::new, |s| {
                        s.columns.iter().zip(row).map(|(c, v)| if d.hides(c) && !v.is_null() { MASKED.into() } else { shown(lang, c, v) }).collect()
                    }),
                    costs: scoring == "cost",
                    voided: scoring == "voided",
                    late: d.spec.and_then(|s| late(s, row, d.as_of)),
                    may_object: unit && scoring == "cost" && crate::objections::open_to_objection(latest),
                    objection: latest.map(|o| RecordObjection {
                        id: o.id,
                        status: o.status.clone(),
                        filed_at: minutes(o.filed_at),
                        decided_at: o.decided_at.map(minutes),
                        decision_reason: o.decision_reason.clone(),
                    }),
                    id,
                }
            })
            .collect(),
        matching: d.matching(),
        page,
        pages,
        can_object: unit,
    };
    Ok(records::render(&view))
}

/// Every record of the list as CSV, in the import format's columns (so a
/// corrected file can be imported again) plus how it was scored.
pub async fn csv(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path((code, indicator)): Path<(String, String)>,
    Query(q): Query<RecordsQuery>,
) -> Result<Response, AppError> {
    let d = Drill::load(&state, &session.user, &code, &indicator, &q).await?;
    let spec = d.spec.ok_or(AppError::NotFound)?;
    let mut header: Vec<String> = spec.columns.iter().map(|c| c.name.to_string()).collect();
    header.push("scoring".into());
    let rows = d.all(&state).await?;
    let body = rows.iter().map(|row| {
        let mut cells: Vec<Cell> = spec
            .columns
            .iter()
            .zip(row)
            .map(|(c, v)| match v {
                Value::Null => Cell::Empty,
                _ if d.hides(c) => Cell::Text(MASKED.into()),
                Value::Int(i) => Cell::Number(*i as f64, Some(0)),
                Value::Float(f) => Cell::Number(*f, None),
                other => Cell::Text(other.to_canonical()),
            })
            .collect();
        cells.push(Cell::Text(d.scoring(&d.id_of(row)).into()));
        cells
    });
    let bytes = csv_bytes(&header, body).map_err(AppError::internal)?;
    let name = format!("zhengxin-{}-{code}-{indicator}-{}.csv", d.year, d.show.code());
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, attachment(&name))], bytes).into_response())
}

/// `GET /api/v1/units/{code}/indicators/{indicator}/records`
pub async fn api(
    State(state): State<AppState>,
    user: super::api::ApiUser,
    Path((code, indicator)): Path<(String, String)>,
    super::api::ApiQuery(q): super::api::ApiQuery<RecordsQuery>,
) -> Result<Response, AppError> {
    let d = Drill::load(&state, &user.0, &code, &indicator, &q).await?;
    let per_page = q.per_page.unwrap_or(PER_PAGE).clamp(1, MAX_PER_PAGE);
    let page = page_number(&q).min(d.matching().div_ceil(per_page).max(1));
    let rows = d.page(&state, page, per_page).await?;
    let records: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            let mut fields = serde_json::Map::new();
            for (c, v) in d.spec.map(|s| s.columns).unwrap_or_default().iter().zip(row) {
                let value = if d.hides(c) && !v.is_null() { MASKED.into() } else { v.to_json() };
                fields.insert(c.name.to_string(), value);
            }
            let id = d.id_of(row);
            serde_json::json!({ "scoring": d.scoring(&id), "id": id, "fields": fields })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "year": d.year,
        "unit_code": code,
        "indicator": indicator,
        "source": d.spec.map(|s| s.file_stem),
        "show": d.show.code(),
        "total": d.matching(),
        "page": page,
        "per_page": per_page,
        "records": records,
    }))
    .into_response())
}

/// One record: its fields, the batch that last wrote it, and its history
/// (changes by later imports, objections and their decisions).
pub async fn record(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path((code, source, id)): Path<(String, String, String)>,
    Query(q): Query<RecordsQuery>,
) -> Result<Markup, AppError> {
    if !session.user.sees_unit_in_full(&code) {
        return Err(AppError::Forbidden);
    }
    let lang = Lang::from_param(q.lang.as_deref());
    let spec = Source::parse(&source)
        .map(Source::spec)
        .filter(|s| s.key.len() == 1 && crate::objections::record_source(s.file_stem))
        .ok_or(AppError::NotFound)?;
    let (values, batch) = stored::by_ids(&state.db, spec, std::slice::from_ref(&id)).await?.pop().ok_or(AppError::NotFound)?;
    if !belongs_to(spec, &values, &code) {
        return Err(AppError::NotFound);
    }
    let mask = session.user.role != Role::Assessor;
    let mut fields: Vec<(String, String, String)> = spec
        .columns
        .iter()
        .zip(&values)
        .map(|(c, v)| (c.zh.to_string(), c.name.to_string(), if mask && stored::is_personal(c.name) && !v.is_null() { MASKED.into() } else { shown(lang, c, v) }))
        .collect();
    if let Some(b) = match batch {
        Some(b) => batches::info(&state.db, b).await?,
        None => None,
    } {
        fields.push((
            "最近写入".into(),
            "Last written by".into(),
            format!("#{} {} · {} · {}", b.id, b.file_name.rsplit(['/', '\\']).next().unwrap_or_default(), b.actor, b.imported_at),
        ));
    }
    let history = crate::history::of_record(&state.db, spec, &code, &id).await?.into_iter().map(history_row).collect();
    let (source_zh, source_en) = (spec.zh.to_string(), spec.file_stem.to_string());
    let (_, year, version) = pick_year(&state.db, q.year).await?;
    let late = version.as_ref().and_then(|v| late(spec, &values, v.as_of));
    let view = RecordView {
        lang,
        nav: nav(&session),
        year,
        unit_name: unit_name(&state, version.as_ref(), &code).await?,
        unit_code: code,
        source_zh,
        source_en,
        id,
        fields,
        late,
        history,
    };
    Ok(records::record(&view))
}

/// A history entry as the record page words it.
fn history_row(e: crate::history::Entry) -> HistoryRow {
    use crate::history::Event;
    let (what_zh, what_en, changes) = match e.event {
        Event::Updated { batch, changes } => {
            let batch = batch.map(|b| format!(" #{b}")).unwrap_or_default();
            let changes = changes.into_iter().map(|c| FieldChange { field: c.field, before: c.before, after: c.after }).collect();
            (format!("导入更新（批次{batch}）"), format!("Updated by an import (batch{batch})"), changes)
        }
        Event::ObjectionFiled { id, reason } => (format!("提出异议 #{id}：{reason}"), format!("Objection #{id} filed: {reason}"), Vec::new()),
        Event::ObjectionDecided { id, accepted, reason } => {
            let (zh, en) = if accepted { ("异议成立，记录作废", "accepted, record voided") } else { ("异议不成立", "rejected") };
            (format!("异议 #{id} {zh}：{reason}"), format!("Objection #{id} {en}: {reason}"), Vec::new())
        }
    };
    HistoryRow { at: e.at.to_string(), actor: e.actor, what_zh, what_en, changes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::{COMMITMENTS, HOTLINE, PROPOSALS};

    fn at(d: u32, h: u32, m: u32) -> Value {
        Value::DateTime(chrono::NaiveDate::from_ymd_opt(2025, 3, d).unwrap().and_hms_opt(h, m, 0).unwrap())
    }

    fn day(d: u32) -> Value {
        Value::Date(chrono::NaiveDate::from_ymd_opt(2025, 3, d).unwrap())
    }

    #[test]
    fn lateness_counts_from_the_deadline_to_the_work_done_or_to_as_of() {
        let as_of = chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap().and_hms_opt(23, 59, 59).unwrap();
        let mut ticket = vec![Value::Null; HOTLINE.columns.len()];
        let (due, done) = HOTLINE.deadline().unwrap();
        ticket[due] = at(7, 9, 0);
        ticket[done] = at(7, 14, 30);
        assert_eq!(late(&HOTLINE, &ticket, as_of), Some(Late { minutes: 5 * 60 + 30, open: false, days: false }));
        ticket[done] = at(7, 8, 0);
        assert_eq!(late(&HOTLINE, &ticket, as_of), None, "closed in time");
        ticket[done] = Value::Null;
        let open = late(&HOTLINE, &ticket, as_of).unwrap();
        assert!(open.open && open.minutes == (24 * 24 + 14) * 60 + 59, "{open:?}");
        // Dates: met on the day is in time; open ones count to the as-of day.
        let mut commitment = vec![Value::Null; COMMITMENTS.columns.len()];
        let (due, done) = COMMITMENTS.deadline().unwrap();
        commitment[due] = day(10);
        commitment[done] = day(10);
        assert_eq!(late(&COMMITMENTS, &commitment, as_of), None);
        commitment[done] = day(13);
        assert_eq!(late(&COMMITMENTS, &commitment, as_of), Some(Late { minutes: 3 * 24 * 60, open: false, days: true }));
        commitment[done] = Value::Null;
        assert_eq!(late(&COMMITMENTS, &commitment, as_of), Some(Late { minutes: 21 * 24 * 60, open: true, days: true }));
        // A proposal without a deadline is never late.
        let proposal = vec![Value::Null; PROPOSALS.columns.len()];
        assert_eq!(late(&PROPOSALS, &proposal, as_of), None);
    }
}
