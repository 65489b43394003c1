//! Why did my rank change (robustness.md §3), from stored versions: the
//! unit's result in `version` against last year's shown version (the
//! latest published, else the latest, as the year-over-year change of §5),
//! split by [`analytics::change::decompose`], and its points per indicator
//! among its group's.

use std::collections::HashMap;

use analytics::change::{ChangeInput, Decomposition, IndicatorYears, PeerStats, decompose, peer_stats};
use serde::Serialize;

use super::ScoringError;
use super::results::{self, IndicatorResult, ResultRows, VersionInfo};
use crate::db::Db;

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

/// The analysis of unit `code` in `version` (None: no such unit).
pub async fn analyse(db: &Db, version: &VersionInfo, code: &str) -> Result<Option<ChangeAnalysis>, ScoringError> {
    let now = results::read(db, version.id).await?;
    let Some(unit) = now.units.iter().find(|u| u.unit_code == code) else { return Ok(None) };
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
    let year = version.year;
    let mut analysis = ChangeAnalysis { previous: None, decomposition: None, peers };
    let Some(prev_version) = results::default_version(&results::versions(db, year - 1).await?).cloned() else { return Ok(Some(analysis)) };
    let before = results::read(db, prev_version.id).await?;
    let Some(input) = change_input(&before, &now, code) else { return Ok(Some(analysis)) };
    analysis.previous = Some((year - 1, prev_version.version));
    analysis.decomposition = Some(decompose(&input));
    Ok(Some(analysis))
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
