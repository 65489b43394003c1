//! A unit's scorecard (the records behind an indicator are in [`super::records`]).

use axum::extract::{Path, Query, State};
use dashboards::layout::Lang;
use dashboards::layout::signed_in;
use dashboards::pages::scorecard::{self, ChangePart, ChangeView, IndicatorRow, PeerRow, ScorecardView, TrendPoint, UnitInterval};
use maud::{Markup, PreEscaped};
use serde::Deserialize;

use super::shared::{badge, choose_year};
use super::session::{PageSession, nav};
use super::cache::CachedPage;
use super::{AppError, AppState};
use crate::scoring::cards::Cards;
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
    let lang = Lang::from_param(q.lang.as_deref());
    let (years, year, epoch) = choose_year(&state.db, q.year).await?;
    let full = user.sees_unit_in_full(&code);
    // The viewer's scope is part of the key, as on every cached page.
    let key = format!("scorecard|{epoch}|{code}|{year}|{}|{full}|{}", lang.code(), user.scope().key());
    let page = state
        .pages
        .get_or_try_init(key, || async {
            let version = results::default_version(&crate::scoring::versions(&state.db, year).await?).cloned().ok_or(AppError::NotFound)?;
            let view = build_scorecard(&state, lang, &session, &code, years, version, full).await?;
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
    version: results::VersionInfo,
    full: bool,
) -> Result<ScorecardView, AppError> {
    let cards = Cards::load(&state.db, if full { &years } else { &[] }, crate::scoring::stored::load(&state.db, &version).await?).await?;
    let card = cards.card(code).ok_or(AppError::NotFound)?;
    let unit = card.unit;
    let mut indicators = Vec::new();
    let mut trend = Vec::new();
    if full {
        for (r, previous_points) in &card.indicators {
            let (name_zh, name_en) = analytics::indicators::label(&r.indicator);
            // The method in words, in the page's language (not `s = 15 × clamp(…)`).
            let formula = cards.stored.rules.indicator(&r.indicator).map(|rule| { let (zh, en) = analytics::explain::method_in_words(rule); lang.pick(&zh, &en).to_string() }).unwrap_or_default();
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
                previous_points: *previous_points,
                id: r.indicator.clone(),
            });
        }
        trend = card
            .trend
            .iter()
            .map(|t| TrendPoint { year: t.year, total: t.unit.total, rank: t.unit.rank, grade: t.unit.grade.to_string(), provisional: t.provisional })
            .collect();
    }
    let view = ScorecardView {
        lang,
        nav: nav(&session),
        year: version.year,
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
        // The record behind a veto is for the unit and those who see it in full.
        veto_reason: unit.veto_reason.clone().filter(|_| full),
        full,
        indicators,
        dimensions: cards.stored.rules.dimensions.iter().map(|(k, v)| (k.clone(), lang.pick(v, analytics::indicators::dimension_in_english(v)).to_string())).collect(),
        grade_lines: [cards.stored.rules.grades.excellent, cards.stored.rules.grades.good, cards.stored.rules.grades.pass],
        trend,
        robustness: None,
        change: None,
    };
    let mut view = view;
    if full {
        view.robustness = Some(unit_interval(state, lang, &version, code).await?);
        view.change = crate::scoring::change::analyse(&cards.stored, cards.previous(), code).map(|a| change_view(lang, a));
    }
    Ok(view)
}

fn indicator_name(lang: Lang, id: &str) -> String {
    let (zh, en) = analytics::indicators::label(id);
    lang.pick(zh, en).to_string()
}

/// The change analysis in the page's words.
fn change_view(lang: Lang, a: crate::scoring::change::ChangeAnalysis) -> ChangeView {
    use analytics::change::PartKind;
    let (total_change, rank_before, parts) = match a.decomposition {
        Some(d) => (
            d.total_change,
            d.rank_before,
            d.parts
                .into_iter()
                .map(|p| ChangePart {
                    label: match &p.kind {
                        PartKind::Indicator(id) => indicator_name(lang, id),
                        PartKind::Reweighting => lang.pick("权重变化（适用指标或权重之和变化）", "Re-weighting (applicable indicators or weights changed)").to_string(),
                        PartKind::Bonus => lang.pick("加分", "Bonus").to_string(),
                        PartKind::Rounding => lang.pick("总分舍入", "Rounding of the totals").to_string(),
                    },
                    change: p.change,
                    rank_alone: p.rank_alone,
                })
                .collect(),
        ),
        None => (0.0, None, Vec::new()),
    };
    ChangeView {
        previous: a.previous,
        total_change,
        rank_before,
        parts,
        peers: a
            .peers
            .into_iter()
            .map(|p| PeerRow { label: indicator_name(lang, &p.indicator), points: p.points, weight: p.weight, median: p.stats.median, best: p.stats.best, percentile: p.stats.percentile })
            .collect(),
    }
}

/// The unit's own rank interval under the default settings (the version's
/// simulation is cached; the unit's figures are taken from it).
async fn unit_interval(state: &AppState, lang: Lang, version: &results::VersionInfo, code: &str) -> Result<UnitInterval, AppError> {
    let settings = analytics::robustness::Settings::default();
    let mut view = UnitInterval {
        draws: settings.draws,
        weights: settings.factors.weights,
        thresholds: settings.factors.thresholds,
        ranks: None,
        graded: 0,
        grades: [0.0; 4],
        leave_one_out: Vec::new(),
        problem: None,
    };
    let answer = match super::cache::robustness(state, version, settings).await {
        Ok(a) => a.for_unit(code),
        Err(crate::scoring::ScoringError::Robustness(e)) => {
            view.problem = Some(format!("{}{e}", lang.pick("无法模拟：", "Cannot simulate: ")));
            return Ok(view);
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(u) = answer.report.units.first() {
        view.ranks = match (u.nominal_rank, u.median_rank, u.rank_p5, u.rank_p95) {
            (Some(a), Some(b), Some(c), Some(d)) => Some((a, b, c, d)),
            _ => None,
        };
        view.grades = [u.grades.excellent, u.grades.good, u.grades.pass, u.grades.fail];
    }
    view.graded = answer.report.groups.first().map_or(0, |g| g.units);
    view.leave_one_out = answer
        .report
        .leave_one_out
        .iter()
        .filter_map(|l| {
            let u = l.units.first()?;
            let (zh, en) = analytics::indicators::label(&l.indicator);
            Some((lang.pick(zh, en).to_string(), u.rank, u.grade.code().to_string()))
        })
        .collect();
    Ok(view)
}
