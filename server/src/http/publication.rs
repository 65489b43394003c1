//! The publication page: a year's versions, what the latest (or a chosen)
//! version changed against the published one, and publishing.

use std::collections::{BTreeMap, HashMap};

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dashboards::layout::Lang;
use dashboards::pages::publication::{Comparison, IndicatorChange, PublicationView, UnitChange, VersionRow, render};
use maud::Markup;
use serde::Deserialize;

use super::shared::{YearForm, assessor_year, choose_year};
use super::session::{PageSession, nav};
use super::{AppError, AppState};
use crate::auth::Capability;
use crate::db::Db;
use crate::scoring;
use crate::scoring::results::{self, IndicatorResult, UnitResult, VersionInfo};

#[derive(Debug, Deserialize)]
pub struct PublicationQuery {
    pub year: Option<i32>,
    /// The version to compare (default: the latest).
    pub version: Option<i64>,
    pub lang: Option<String>,
}

pub async fn page(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<PublicationQuery>) -> Result<Markup, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let (mut years, year, _) = choose_year(&state.db, q.year).await?;
    if !years.contains(&year) {
        years.push(year);
    }
    years.sort_unstable_by(|a, b| b.cmp(a));
    let versions = crate::scoring::versions(&state.db, year).await?;
    let target = match q.version {
        Some(n) => Some(versions.iter().find(|v| v.version == n).ok_or(AppError::NotFound)?),
        None => versions.last(),
    };
    let comparison = match target {
        Some(target) => match base_of(&versions, target) {
            Some(base) => Some(compare(&state.db, base, target).await?),
            None => None,
        },
        None => None,
    };
    let latest = versions.last();
    let publishable = latest.filter(|v| v.published_at.is_none() && session.user.may(Capability::Publish)).map(|v| v.version);
    let view = PublicationView {
        lang,
        nav: nav(&session),
        year,
        years,
        versions: versions
            .iter()
            .map(|v| VersionRow {
                number: v.version,
                computed_at: v.computed_at.to_string(),
                computed_by: v.computed_by.clone(),
                as_of: v.as_of.to_string(),
                content_hash: v.content_hash.clone(),
                audit_head: v.audit_head.clone(),
                published_at: v.published_at.map(|t| t.to_string()),
                published_by: v.published_by.clone(),
            })
            .collect(),
        comparison,
        publishable,
    };
    Ok(render(&view))
}

/// What `target` is compared with: the latest version published before
/// it, else the version just before it (so the comparison always runs
/// forwards in time).
fn base_of<'a>(versions: &'a [VersionInfo], target: &VersionInfo) -> Option<&'a VersionInfo> {
    let earlier = || versions.iter().rev().filter(|v| v.version < target.version);
    earlier().find(|v| v.published_at.is_some()).or_else(|| earlier().next())
}

/// Unit by unit, what differs between two versions of a year.
async fn compare(db: &Db, base: &VersionInfo, target: &VersionInfo) -> Result<Comparison, AppError> {
    let (old, new) = (crate::scoring::stored::load(db, base).await?, crate::scoring::stored::load(db, target).await?);
    let (before, after) = (&old.rows.units, &new.rows.units);
    let before_points = points_by_unit(&old.rows.indicators);
    let after_points = points_by_unit(&new.rows.indicators);
    let by_code: HashMap<&str, &UnitResult> = before.iter().map(|u| (u.unit_code.as_str(), u)).collect();
    let mut changes = Vec::new();
    let mut unchanged = 0;
    let mut seen = std::collections::HashSet::new();
    for a in after {
        seen.insert(a.unit_code.as_str());
        let b = by_code.get(a.unit_code.as_str()).copied();
        let indicators = indicator_changes(before_points.get(&a.unit_code), after_points.get(&a.unit_code));
        let same = b.is_some_and(|b| b.total.to_bits() == a.total.to_bits() && b.rank == a.rank && b.grade == a.grade && b.vetoed == a.vetoed);
        if same && indicators.is_empty() {
            unchanged += 1;
            continue;
        }
        changes.push(unit_change(a, b, Some(a), indicators));
    }
    for b in before.iter().filter(|b| !seen.contains(b.unit_code.as_str())) {
        let indicators = indicator_changes(before_points.get(&b.unit_code), None);
        changes.push(unit_change(b, Some(b), None, indicators));
    }
    changes.sort_by(|x, y| (results::group_order(&x.group), &x.code).cmp(&(results::group_order(&y.group), &y.code)));
    Ok(Comparison {
        base: base.version,
        base_published: base.published_at.is_some(),
        target: target.version,
        changes,
        unchanged,
    })
}

fn unit_change(unit: &UnitResult, before: Option<&UnitResult>, after: Option<&UnitResult>, indicators: Vec<IndicatorChange>) -> UnitChange {
    UnitChange {
        code: unit.unit_code.clone(),
        name: unit.unit_name.clone(),
        group: unit.group.to_string(),
        before_total: before.map(|u| u.total),
        after_total: after.map(|u| u.total),
        before_rank: before.and_then(|u| u.rank),
        after_rank: after.and_then(|u| u.rank),
        before_grade: before.map(|u| u.grade.to_string()),
        after_grade: after.map(|u| u.grade.to_string()),
        indicators,
    }
}

/// Each unit's points per indicator, indicators in their stored order.
fn points_by_unit(rows: &[IndicatorResult]) -> HashMap<String, BTreeMap<String, Option<f64>>> {
    let mut out: HashMap<String, BTreeMap<String, Option<f64>>> = HashMap::new();
    for r in rows {
        out.entry(r.unit_code.clone()).or_default().insert(r.indicator.clone(), r.points);
    }
    out
}

/// The indicators whose points differ (to the stored bit).
fn indicator_changes(before: Option<&BTreeMap<String, Option<f64>>>, after: Option<&BTreeMap<String, Option<f64>>>) -> Vec<IndicatorChange> {
    let empty = BTreeMap::new();
    let (before, after) = (before.unwrap_or(&empty), after.unwrap_or(&empty));
    let mut ids: Vec<&String> = before.keys().chain(after.keys()).collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| {
            let (b, a) = (before.get(id).copied().flatten(), after.get(id).copied().flatten());
            if b.map(f64::to_bits) == a.map(f64::to_bits) {
                return None;
            }
            let (zh, en) = analytics::indicators::label(id);
            Some(IndicatorChange { name_zh: zh.into(), name_en: en.into(), before: b, after: a })
        })
        .collect()
}

/// Publishing a year's latest version (the assessment team).
pub async fn publish(State(state): State<AppState>, PageSession(session): PageSession, Form(f): Form<YearForm>) -> Result<Response, AppError> {
    let year = assessor_year(&session, &f)?;
    let version = match f.version.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Some(v.parse::<i64>().map_err(|_| AppError::BadRequest("version is a number".into()))?),
        None => None,
    };
    let lang = Lang::from_param(f.lang.as_deref());
    match scoring::publish(&state.db, year, version, &session.user.username).await {
        Ok(_) => Ok(Redirect::to(&dashboards::layout::link(lang, "/publication", &format!("year={year}"))).into_response()),
        Err(scoring::ScoringError::NoResult(_)) => Err(AppError::NotFound),
        Err(scoring::ScoringError::AlreadyPublished { .. }) => Err(AppError::BadRequest("already published".into())),
        Err(e) => Err(e.into()),
    }
}
