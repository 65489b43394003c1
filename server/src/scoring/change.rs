//! Why did my rank change (robustness.md §3), from stored versions: the
//! unit's result in a version against the version last year shows (the
//! latest published, else the latest, as the year-over-year change of §5),
//! split by [`analytics::change::decompose`], and its points per indicator
//! among its group's. Both versions come in read ([`Stored`]): nothing
//! here touches storage.

use std::collections::HashMap;

use analytics::change::{ChangeInput, Decomposition, IndicatorYears, PeerStats, decompose, peer_stats};
use serde::Serialize;

use super::results::{IndicatorResult, ResultRows};
use super::stored::Stored;

/// One indicator among the unit's peers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeerRow {
    pub indicator: String,
    pub points: f64,
    pub weight: f64,
    #[serde(flatten)]
    pub stats: PeerStats,
}

/// The analysis of one unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeAnalysis {
    /// Last year's version compared with, when there is one with the unit.
    pub previous: Option<(i32, i64)>,
    pub decomposition: Option<Decomposition>,
    pub peers: Vec<PeerRow>,
}

fn applicable(r: &IndicatorResult) -> Option<(f64, f64)> {
    r.points.filter(|_| r.applicable).map(|p| (p, r.weight))
}

/// The analysis of unit `code` in `stored` (None: no such unit), against
/// `before`, the version last year shows ([`super::cards::Cards::previous`],
/// [`super::stored::shown`]).
pub fn analyse(stored: &Stored, before: Option<&Stored>, code: &str) -> Option<ChangeAnalysis> {
    let now = &stored.rows;
    let unit = stored.unit(code)?;
    let group: Vec<&str> = now.units.iter().filter(|u| u.group == unit.group).map(|u| u.unit_code.as_str()).collect();
    let own: Vec<&IndicatorResult> = now.indicators.iter().filter(|r| r.unit_code == code).collect();
    let peers = own
        .iter()
        .filter_map(|r| {
            let (points, weight) = applicable(r)?;
            let values: Vec<f64> = now
                .indicators
                .iter()
                .filter(|o| o.indicator == r.indicator && group.contains(&o.unit_code.as_str()))
                .filter_map(|o| applicable(o).map(|(p, _)| p))
                .collect();
            Some(PeerRow { indicator: r.indicator.clone(), points, weight, stats: peer_stats(&values, points)? })
        })
        .collect();
    let mut analysis = ChangeAnalysis { previous: None, decomposition: None, peers };
    if let Some(before) = before
        && let Some(input) = change_input(&before.rows, now, code)
    {
        analysis.previous = Some((before.info.year, before.info.version));
        analysis.decomposition = Some(decompose(&input));
    }
    Some(analysis)
}

/// The decomposition's input for `code`: its indicators in this year's
/// order, then any only last year had; None when it had no result then.
fn change_input(before: &ResultRows, now: &ResultRows, code: &str) -> Option<ChangeInput> {
    let old = before.units.iter().find(|u| u.unit_code == code)?;
    let new = now.units.iter().find(|u| u.unit_code == code)?;
    let old_rows: HashMap<&str, &IndicatorResult> = before.indicators.iter().filter(|r| r.unit_code == code).map(|r| (r.indicator.as_str(), r)).collect();
    let mut indicators: Vec<IndicatorYears> = now
        .indicators
        .iter()
        .filter(|r| r.unit_code == code)
        .map(|r| IndicatorYears { id: r.indicator.clone(), before: old_rows.get(r.indicator.as_str()).and_then(|o| applicable(o)), after: applicable(r) })
        .collect();
    // Those only last year had, in last year's order.
    for r in before.indicators.iter().filter(|r| r.unit_code == code) {
        if !indicators.iter().any(|i| i.id == r.indicator) {
            indicators.push(IndicatorYears { id: r.indicator.clone(), before: applicable(r), after: None });
        }
    }
    let peers_before = before
        .units
        .iter()
        .filter(|u| u.group == old.group && u.unit_code != code && u.rank.is_some())
        .map(|u| u.total)
        .collect();
    Some(ChangeInput {
        indicators,
        bonus_before: old.bonus,
        bonus_after: new.bonus,
        total_before: old.total,
        total_after: new.total,
        rank_before: old.rank.and_then(|r| u32::try_from(r).ok()),
        peers_before,
    })
}
