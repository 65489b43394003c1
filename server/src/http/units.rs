//! A unit's scorecard (the records behind an indicator are in [`super::records`]).

use axum::extract::{Path, Query, State};
use dashboards::layout::Lang;
use dashboards::layout::signed_in;
use dashboards::pages::scorecard::{self, IndicatorRow, ScorecardView, TrendPoint};
use maud::{Markup, PreEscaped};
use serde::Deserialize;

use super::shared::{badge, choose_year};
use super::session::{PageSession, nav};
use super::cache::CachedPage;
use super::{AppError, AppState};
use crate::scoring::results;

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
    // The viewer's scope is part of the key, as on every cached page.
    let key = format!("scorecard|{epoch}|{code}|{year}|{}|{full}|{}", lang.code(), user.view_scope());
    let page = state
        .pages
        .get_or_try_init(key, || async {
            let version = results::default_version(&results::versions(&state.db, year).await?).cloned().ok_or(AppError::NotFound)?;
            let view = build_scorecard(&state, lang, &session, &code, years, year, version, full).await?;
            Ok::<_, AppError>(CachedPage { title: scorecard::title(lang, &view.unit_name, year), body: scorecard::body(&view).into_string() })
        })
        .await?;
    let path = format!("/units/{code}");
    Ok(signed_in(lang, &page.title, &path, &nav(&session), PreEscaped(page.body.clone())))
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
        .map_err(AppError::internal)?;
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
                    trend.push(TrendPoint { year: y, total: u.total, rank: u.rank, grade: u.grade.to_string() });
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
        group: unit.group.to_string(),
        total: unit.total,
        base: unit.base,
        bonus: unit.bonus,
        rank: unit.rank,
        county_rank: unit.county_rank,
        group_size: unit.group_size,
        grade: unit.grade.to_string(),
        vetoed: unit.vetoed,
        veto_reason: unit.veto_reason.clone(),
        full,
        indicators,
        dimensions: rules.dimensions.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        trend,
    };
    Ok(view)
}
