//! The drill-down: from one indicator of one unit to the records behind
//! it (page, CSV and API), and from a record to its fields and history.
//! The use case (`crate::records`) hands out only what the viewer may
//! see, already masked; this module words it.

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
use crate::auth::{Capability, User};
use crate::records::{self as use_case, Drill, Lateness, Listing, RecordsError, Value};
use crate::scoring::export::{Cell, csv_bytes};
use crate::scoring::results;
use crate::sources::{Column, Kind};

/// Records per page of the drill-down (and the API's default).
pub const PER_PAGE: usize = 100;
/// The API's largest page.
const MAX_PER_PAGE: usize = 1000;
impl From<RecordsError> for AppError {
    fn from(e: RecordsError) -> Self {
        match e {
            RecordsError::Forbidden => AppError::Forbidden,
            RecordsError::NotFound => AppError::NotFound,
            RecordsError::Db(e) => e.into(),
        }
    }
}

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

/// The drill-down of `indicator` of unit `code` for `user`, from the
/// version the query asks for (its explanation from the cache).
///
/// Whether `user` sees the unit is asked by the route guard and, again, by
/// the use case (`Drill::load`), not here.
async fn drill(state: &AppState, user: &User, code: &str, indicator: &str, q: &RecordsQuery) -> Result<Asked, AppError> {
    let (_, year, version) = pick_year(&state.db, q.year).await?;
    let version = version.ok_or(AppError::NotFound)?;
    if crate::scoring::stored::load(&state.db, &version).await?.rules.indicator(indicator).is_none() {
        return Err(AppError::NotFound);
    }
    let e = super::cache::explanation(state, &version, code, Some(indicator)).await?;
    let explanation = e.indicators.iter().find(|i| i.indicator == indicator).cloned().ok_or(AppError::NotFound)?;
    let listing = match Show::parse(q.show.as_deref()) {
        Show::Cost => Listing::Cost,
        Show::Counted => Listing::Counted,
        Show::Voided => Listing::Voided,
    };
    let filter = q.q.as_deref().unwrap_or_default();
    let drill = Drill::load(&state.db, user, code, explanation, version.as_of, listing, filter).await?;
    Ok(Asked { year, unit_name: unit_name(state, Some(&version), code).await?, data_unchanged: e.data_unchanged, drill })
}

/// A drill-down with what its pages say around it.
struct Asked {
    year: i32,
    unit_name: String,
    /// The data has not changed since the version was scored.
    data_unchanged: bool,
    drill: Drill,
}

fn show_of(listing: Listing) -> Show {
    match listing {
        Listing::Cost => Show::Cost,
        Listing::Counted => Show::Counted,
        Listing::Voided => Show::Voided,
    }
}

fn late_of(l: Lateness) -> Late {
    Late { minutes: l.minutes, open: l.open, days: l.days }
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
    let asked = drill(&state, &session.user, &code, &indicator, &q).await?;
    let d = &asked.drill;
    let pages = d.matching().div_ceil(PER_PAGE).max(1);
    let page = page_number(&q).min(pages);
    let rows = d.page(&state.db, page, PER_PAGE).await?;
    let objections = match d.spec {
        Some(spec) => crate::objections::latest_by_record(&state.db, &code, spec.file_stem).await.map_err(AppError::internal)?,
        None => Default::default(),
    };
    let unit = session.user.may(Capability::FileObjections);
    let i = &d.explanation;
    let view = RecordsView {
        lang,
        nav: nav(&session),
        year: asked.year,
        unit_code: code.clone(),
        unit_name: asked.unit_name.clone(),
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
        data_unchanged: asked.data_unchanged,
        source: d.spec.map(|s| s.file_stem.to_string()),
        show: show_of(d.listing),
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
                        s.columns.iter().zip(row).map(|(c, v)| shown(lang, c, v)).collect()
                    }),
                    costs: scoring == Listing::Cost,
                    voided: scoring == Listing::Voided,
                    late: d.late(row).map(late_of),
                    may_object: unit && scoring == Listing::Cost && crate::objections::open_to_objection(latest),
                    objection: latest.map(|o| RecordObjection {
                        id: o.id,
                        status: o.status.code().to_string(),
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
    let asked = drill(&state, &session.user, &code, &indicator, &q).await?;
    let d = &asked.drill;
    let spec = d.spec.ok_or(AppError::NotFound)?;
    let mut header: Vec<String> = spec.columns.iter().map(|c| c.name.to_string()).collect();
    header.push("scoring".into());
    let rows = d.all(&state.db).await?;
    let body = rows.iter().map(|row| {
        let mut cells: Vec<Cell> = row
            .iter()
            .map(|v| match v {
                Value::Null => Cell::Empty,
                Value::Int(i) => Cell::Number(*i as f64, Some(0)),
                Value::Float(f) => Cell::Number(*f, None),
                other => Cell::Text(other.to_canonical()),
            })
            .collect();
        cells.push(Cell::Text(d.scoring(&d.id_of(row)).code().into()));
        cells
    });
    let bytes = csv_bytes(&header, body).map_err(AppError::internal)?;
    let name = format!("zhengxin-{}-{code}-{indicator}-{}.csv", asked.year, d.listing.code());
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, attachment(&name))], bytes).into_response())
}

/// `GET /api/v1/units/{code}/indicators/{indicator}/records`
pub async fn api(
    State(state): State<AppState>,
    user: super::api::ApiUser,
    Path((code, indicator)): Path<(String, String)>,
    super::api::ApiQuery(q): super::api::ApiQuery<RecordsQuery>,
) -> Result<Response, AppError> {
    let asked = drill(&state, &user.0, &code, &indicator, &q).await?;
    let d = &asked.drill;
    let per_page = q.per_page.unwrap_or(PER_PAGE).clamp(1, MAX_PER_PAGE);
    let page = page_number(&q).min(d.matching().div_ceil(per_page).max(1));
    let rows = d.page(&state.db, page, per_page).await?;
    let records: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            let mut fields = serde_json::Map::new();
            for (c, v) in d.spec.map(|s| s.columns).unwrap_or_default().iter().zip(row) {
                fields.insert(c.name.to_string(), v.to_json());
            }
            let id = d.id_of(row);
            serde_json::json!({ "scoring": d.scoring(&id).code(), "id": id, "fields": fields })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "year": asked.year,
        "unit_code": code,
        "indicator": indicator,
        "source": d.spec.map(|s| s.file_stem),
        "show": d.listing.code(),
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
    let lang = Lang::from_param(q.lang.as_deref());
    let one = use_case::one(&state.db, &session.user, &code, &source, &id).await?;
    let spec = one.spec;
    let mut fields: Vec<(String, String, String)> = spec.columns.iter().zip(&one.values).map(|(c, v)| (c.zh.to_string(), c.name.to_string(), shown(lang, c, v))).collect();
    if let Some(b) = one.batch {
        fields.push((
            "最近写入".into(),
            "Last written by".into(),
            format!("#{} {} · {} · {}", b.id, b.file_name.rsplit(['/', '\\']).next().unwrap_or_default(), b.actor, b.imported_at),
        ));
    }
    let history = one.history.into_iter().map(history_row).collect();
    let (source_zh, source_en) = (spec.zh.to_string(), spec.file_stem.to_string());
    let (_, year, version) = pick_year(&state.db, q.year).await?;
    let late = version.as_ref().and_then(|v| use_case::lateness(spec, &one.values, v.as_of)).map(late_of);
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
