//! A unit's scorecard and the records behind one of its indicators.

use axum::extract::{Path, Query, State};
use dashboards::layout::Lang;
use dashboards::layout::signed_in;
use dashboards::pages::scorecard::{self, IndicatorRow, ScorecardView, TrendPoint};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::overview::{badge, choose_year, pick_year};
use super::session::{PageSession, nav};
use super::{AppError, AppState};
use crate::scoring::{explain, results};

#[derive(Debug, Deserialize)]
pub struct UnitQuery {
    pub year: Option<i32>,
    pub lang: Option<String>,
    pub page: Option<usize>,
}

pub async fn scorecard(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
    Query(q): Query<UnitQuery>,
) -> Result<Markup, AppError> {
    let user = &session.user;
    if !user.sees_rankings() {
        return Err(AppError::Forbidden);
    }
    let lang = Lang::from_param(q.lang.as_deref());
    let (years, year, epoch) = choose_year(&state.db, q.year).await?;
    let full = user.sees_unit_in_full(&code);
    let key = format!("scorecard|{epoch}|{code}|{year}|{}|{full}", lang.code());
    let (body, unit_name) = match state.pages.get(&key) {
        Some(cached) => {
            let (name, body) = cached.split_once('\n').unwrap_or_default();
            (body.to_string(), name.to_string())
        }
        None => {
            let version = results::default_version(&results::versions(&state.db, year).await?).cloned().ok_or(AppError::NotFound)?;
            let view = build_scorecard(&state, lang, &session, &code, years, year, version, full).await?;
            let body = scorecard::body(&view).into_string();
            state.pages.put(key, format!("{}\n{body}", view.unit_name));
            (body, view.unit_name)
        }
    };
    let path = format!("/units/{code}");
    Ok(signed_in(lang, &scorecard::title(lang, &unit_name, year), &path, &nav(&session), PreEscaped(body)))
}

/// A scorecard's view model, read from the stored results.
#[allow(clippy::too_many_arguments)]
async fn build_scorecard(
    state: &AppState,
    lang: Lang,
    session: &crate::auth::sessions::Session,
    code: &str,
    years: Vec<i32>,
    year: i32,
    version: results::VersionInfo,
    full: bool,
) -> Result<ScorecardView, AppError> {
    let units = results::read_units(&state.db, version.id).await?;
    let unit = units.iter().find(|u| u.unit_code == code).ok_or(AppError::NotFound)?;
    let rules = analytics::rulebook::Rulebook::parse(&results::rulebook_text(&state.db, version.id).await?)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut indicators = Vec::new();
    let mut trend = Vec::new();
    if full {
        let rows = results::read_indicators(&state.db, version.id, Some(code)).await?;
        let previous = match results::default_version(&results::versions(&state.db, year - 1).await?) {
            Some(p) => results::read_indicators(&state.db, p.id, Some(code)).await?,
            None => Vec::new(),
        };
        for r in rows {
            let (name_zh, name_en) = analytics::indicators::label(&r.indicator);
            let formula = rules.indicator(&r.indicator).map(analytics::explain::formula).unwrap_or_default();
            indicators.push(IndicatorRow {
                name_zh: name_zh.into(),
                name_en: name_en.into(),
                dimension: r.dimension.clone(),
                formula,
                weight: r.weight,
                value: r.value,
                numerator: r.numerator,
                denominator: r.denominator,
                points: r.points,
                previous_points: previous.iter().find(|p| p.indicator == r.indicator).and_then(|p| p.points),
                id: r.indicator,
            });
        }
        for y in years {
            if let Some(v) = results::default_version(&results::versions(&state.db, y).await?) {
                if let Some(u) = results::read_units(&state.db, v.id).await?.into_iter().find(|u| u.unit_code == code) {
                    trend.push(TrendPoint { year: y, total: u.total, rank: u.rank, grade: u.grade });
                }
            }
        }
    }
    let view = ScorecardView {
        lang,
        nav: nav(&session),
        year,
        version: badge(&version),
        unit_code: unit.unit_code.clone(),
        unit_name: unit.unit_name.clone(),
        group: unit.group.clone(),
        total: unit.total,
        base: unit.base,
        bonus: unit.bonus,
        rank: unit.rank,
        county_rank: unit.county_rank,
        group_size: unit.group_size,
        grade: unit.grade.clone(),
        vetoed: unit.vetoed,
        veto_reason: unit.veto_reason.clone(),
        full,
        indicators,
        dimensions: rules.dimensions.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        trend,
    };
    Ok(view)
}

/// Record ids shown per page of a drill-down.
const PER_PAGE: usize = 100;

/// The records behind one indicator of one unit: which were counted and
/// which cost points, paginated.
pub async fn indicator(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path((code, indicator)): Path<(String, String)>,
    Query(q): Query<UnitQuery>,
) -> Result<Markup, AppError> {
    if !session.user.sees_unit_in_full(&code) {
        return Err(AppError::Forbidden);
    }
    let lang = Lang::from_param(q.lang.as_deref());
    let (_, year, version) = pick_year(&state.db, q.year).await?;
    let version = version.ok_or(AppError::NotFound)?;
    let rules = analytics::rulebook::Rulebook::parse(&results::rulebook_text(&state.db, version.id).await?)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if rules.indicator(&indicator).is_none() {
        return Err(AppError::NotFound);
    }
    let e = explain::unit(&state.db, &version, &code, Some(&indicator)).await?;
    let i = e.indicators.first().ok_or(AppError::NotFound)?;
    let page = q.page.unwrap_or(1).max(1);
    let cost = i.cost_points.clone().unwrap_or_default();
    let pages = cost.len().div_ceil(PER_PAGE).max(1);
    let shown: Vec<&String> = cost.iter().skip((page - 1) * PER_PAGE).take(PER_PAGE).collect();
    let title = format!("{} · {}", code, lang.pick(&i.name_zh, &i.name_en));
    // Only the unit itself objects to its records.
    let objectable = (session.user.role == crate::auth::Role::Unit)
        .then(|| crate::objections::source_of_indicator(&indicator))
        .flatten();
    let path = format!("/units/{code}/indicators/{indicator}");
    let body = html! {
        p { a href=(dashboards::layout::link(lang, &format!("/units/{code}"), &format!("year={year}"))) { "← " (lang.pick("返回单位考核结果", "Back to the scorecard")) } }
        h1 { (title) }
        @if !e.data_unchanged {
            p.note role="status" { (lang.pick("注意：本版本计算后数据有变动，以下记录按当前数据列出。", "Note: data changed after this version was computed; records reflect today's data.")) }
        }
        table {
            caption { (lang.pick("计分依据", "How the points were computed")) }
            tbody {
                tr { th scope="row" { (lang.pick("计分公式", "Formula")) } td { code { (i.formula) } } }
                tr { th scope="row" { (lang.pick("数值", "Value")) } td.num { (dashboards::pages::fixed(i.value, 4)) } }
                tr { th scope="row" { (lang.pick("分子/分母", "Numerator / denominator")) } td.num { (dashboards::pages::fixed(i.numerator, 2)) " / " (dashboards::pages::fixed(i.denominator, 2)) } }
                tr { th scope="row" { (lang.pick("得分", "Points")) } td.num { (dashboards::pages::fixed(i.points, 4)) " / " (i.weight) } }
                @if let Some(c) = &i.counted { tr { th scope="row" { (lang.pick("计入记录数", "Records counted")) } td.num { (c.len()) } } }
            }
        }
        @match &i.cost_points {
            None => { p.note { (lang.pick("该指标按年度数据行计分，无逐条记录。", "This indicator comes from the year's row, not from individual records.")) } }
            Some(_) if cost.is_empty() => { p.note { (lang.pick("没有记录造成失分。", "No record cost points.")) } }
            Some(_) => {
                h2 { (lang.pick("造成失分的记录", "Records that cost points")) " (" (cost.len()) ")" }
                table {
                    caption { (lang.pick("第", "Page ")) (page) (lang.pick("页 共", " of ")) (pages) (lang.pick("页", "")) }
                    thead { tr {
                        th scope="col" { "#" }
                        th scope="col" { (lang.pick("记录编号", "Record id")) }
                        @if let Some(_) = objectable { th scope="col" { (lang.pick("异议", "Objection")) } }
                    } }
                    tbody { @for (n, id) in shown.iter().enumerate() { tr {
                        td.num { ((page - 1) * PER_PAGE + n + 1) }
                        td { code { (id) } }
                        @if let Some(source) = objectable {
                            td {
                                form method="post" action="/objections" {
                                    input type="hidden" name="csrf" value=(session.csrf);
                                    input type="hidden" name="source" value=(source);
                                    input type="hidden" name="record_id" value=(id);
                                    input type="text" name="reason" required maxlength="1000"
                                        aria-label={ (lang.pick("对记录提出异议的理由：", "Reason to object to record ")) (id) }
                                        placeholder=(lang.pick("异议理由", "Reason"));
                                    " " button type="submit" { (lang.pick("提出异议", "Object")) }
                                }
                            }
                        }
                    } } }
                }
                nav aria-label=(lang.pick("分页", "Pages")) {
                    @if page > 1 { a href=(dashboards::layout::link(lang, &path, &format!("year={year}&page={}", page - 1))) { (lang.pick("上一页", "Previous")) } " " }
                    @if page < pages { a href=(dashboards::layout::link(lang, &path, &format!("year={year}&page={}", page + 1))) { (lang.pick("下一页", "Next")) } }
                }
            }
        }
        @if let Some(v) = i.voided.as_ref().filter(|v| !v.is_empty()) {
            h2 { (lang.pick("异议成立、已作废的记录", "Records voided by accepted objections")) }
            p { @for id in v { code { (id) } " " } }
        }
    };
    Ok(dashboards::layout::signed_in(lang, &title, &path, &nav(&session), body))
}
