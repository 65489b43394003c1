//! 指标统计 page (the assessment team), from the year's shown version.

use axum::extract::{Query, State};
use dashboards::layout::Lang;
use dashboards::pages::statistics::{self, DistributionRow, GroupStatistics, StatisticsView};
use maud::Markup;

use super::session::{PageSession, nav};
use super::overview::YearQuery;
use super::shared::pick_year;
use super::{AppError, AppState};
use analytics::domain::PeerGroup;

/// `GET /statistics?year=Y`
pub async fn page(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<YearQuery>) -> Result<Markup, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let (years, year, version) = pick_year(&state.db, q.year).await?;
    let mut view = StatisticsView { lang, nav: nav(&session), years, year, version: version.as_ref().map(|v| v.version), warnings: Vec::new(), groups: Vec::new() };
    let Some(v) = version else { return Ok(statistics::render(&view)) };
    let stored = crate::scoring::stored::load(&state.db, &v).await?;
    let stats = crate::scoring::statistics::of_rows(&stored.rows, &stored.rules);
    let name = |id: &str| {
        let (zh, en) = analytics::indicators::label(id);
        lang.pick(zh, en).to_string()
    };
    let group_name = |g: PeerGroup| dashboards::parts::group_label(lang, g.code()).to_string();
    for d in stats.distributions.iter().filter(|d| d.does_not_separate) {
        view.warnings.push(lang.pick(
            &format!("{}：{} 有 {} 的单位满分，不能区分单位。", group_name(d.group), name(&d.indicator), dashboards::parts::share(d.share_full)),
            &format!("{}: {} is at full points for {} of the units; it does not separate them.", group_name(d.group), name(&d.indicator), dashboards::parts::share(d.share_full)),
        ).to_string());
    }
    for c in stats.correlations.iter().filter(|c| c.same_thing) {
        let rho = |v: Option<f64>| v.map_or_else(|| "–".into(), |v| format!("{v:.2}"));
        view.warnings.push(lang.pick(
            &format!("{}：{} 与 {} 的相关系数 {}（斯皮尔曼 {}），|ρ| ≥ 0.9，可能衡量同一件事。", group_name(c.group), name(&c.a), name(&c.b), rho(c.pearson), rho(c.spearman)),
            &format!("{}: {} and {} correlate at {} (Spearman {}); |ρ| ≥ 0.9: they may measure the same thing.", group_name(c.group), name(&c.a), name(&c.b), rho(c.pearson), rho(c.spearman)),
        ).to_string());
    }
    for group in PeerGroup::ALL {
        let rows: Vec<DistributionRow> = stats
            .distributions
            .iter()
            .filter(|d| d.group == *group)
            .map(|d| DistributionRow {
                indicator: name(&d.indicator),
                weight: d.weight,
                units: d.units,
                five: [d.min, d.q1, d.median, d.q3, d.max],
                share_full: d.share_full,
                share_zero: d.share_zero,
                does_not_separate: d.does_not_separate,
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let ids: Vec<&str> = stats.distributions.iter().filter(|d| d.group == *group).map(|d| d.indicator.as_str()).collect();
        let matrix = ids
            .iter()
            .map(|a| {
                ids.iter()
                    .map(|b| {
                        stats
                            .correlations
                            .iter()
                            .find(|c| c.group == *group && ((c.a == *a && c.b == *b) || (c.a == *b && c.b == *a)))
                            .map(|c| {
                                let warns = |r: Option<f64>| (r, r.is_some_and(|r| r.abs() >= analytics::statistics::SAME_THING));
                                (warns(c.pearson), warns(c.spearman))
                            })
                    })
                    .collect()
            })
            .collect();
        view.groups.push(GroupStatistics { group: group.code().to_string(), rows, indicators: ids.iter().map(|i| name(i)).collect(), matrix });
    }
    Ok(statistics::render(&view))
}
