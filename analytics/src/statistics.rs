//! Indicator statistics for the assessment team (robustness.md §4): per
//! indicator and group the distribution of points, the correlations
//! between indicators across the group's units, and the two warnings:
//! two indicators that measure the same thing (|ρ| ≥ 0.9) and an indicator
//! that does not separate units (≥ 90 % of them at full points).
//!
//! Readings, stated here and in the README:
//! - quartiles interpolate linearly between order statistics (Hyndman–Fan
//!   type 7, what spreadsheets' QUARTILE and numpy use);
//! - "at full points" means points within 1e-9 of the weight; "at zero"
//!   within 1e-9 of 0;
//! - correlations are per group over the units to which both indicators
//!   apply (pairwise complete), Spearman's as Pearson's over average ranks;
//!   none with fewer than 3 such units or a constant column;
//! - the |ρ| ≥ 0.9 warning looks at either coefficient.

use serde::Serialize;

use crate::domain::PeerGroup;

/// Points of one unit: its group and, per indicator, its points where the
/// indicator applied.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitPoints {
    pub group: PeerGroup,
    pub points: Vec<Option<f64>>,
}

/// One indicator's distribution within a group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distribution {
    pub group: PeerGroup,
    pub indicator: String,
    pub weight: f64,
    pub units: usize,
    pub min: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub max: f64,
    pub share_full: f64,
    pub share_zero: f64,
    /// ≥ 90 % at full points: it does not separate units.
    pub does_not_separate: bool,
}

/// Two indicators' correlation within a group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Correlation {
    pub group: PeerGroup,
    pub a: String,
    pub b: String,
    pub units: usize,
    pub pearson: Option<f64>,
    pub spearman: Option<f64>,
    /// |ρ| ≥ 0.9 by either: they measure the same thing.
    pub same_thing: bool,
}

/// Everything the page and the sheet show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statistics {
    pub distributions: Vec<Distribution>,
    pub correlations: Vec<Correlation>,
}

/// The share at full points from which an indicator does not separate.
pub const NOT_SEPARATING: f64 = 0.9;
/// The |ρ| from which two indicators measure the same thing.
pub const SAME_THING: f64 = 0.9;

/// The statistics of `units` over the indicators `ids` (with `weights`),
/// groups in their order.
pub fn statistics(ids: &[String], weights: &[f64], units: &[UnitPoints]) -> Statistics {
    let mut distributions = Vec::new();
    let mut correlations = Vec::new();
    for group in PeerGroup::ALL {
        let members: Vec<&UnitPoints> = units.iter().filter(|u| u.group == *group).collect();
        for (j, id) in ids.iter().enumerate() {
            let mut values: Vec<f64> = members.iter().filter_map(|u| u.points[j]).collect();
            if values.is_empty() {
                continue;
            }
            values.sort_by(f64::total_cmp);
            let n = values.len() as f64;
            let full = values.iter().filter(|v| (**v - weights[j]).abs() <= 1e-9).count() as f64 / n;
            let zero = values.iter().filter(|v| v.abs() <= 1e-9).count() as f64 / n;
            distributions.push(Distribution {
                group: *group,
                indicator: id.clone(),
                weight: weights[j],
                units: values.len(),
                min: values[0],
                q1: quantile(&values, 0.25),
                median: quantile(&values, 0.5),
                q3: quantile(&values, 0.75),
                max: values[values.len() - 1],
                share_full: full,
                share_zero: zero,
                does_not_separate: full >= NOT_SEPARATING,
            });
        }
        for a in 0..ids.len() {
            for b in a + 1..ids.len() {
                let pairs: Vec<(f64, f64)> = members.iter().filter_map(|u| Some((u.points[a]?, u.points[b]?))).collect();
                if pairs.is_empty() {
                    continue;
                }
                let (x, y): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
                let linear = pearson(&x, &y);
                let ranked = pearson(&ranks(&x), &ranks(&y));
                let same_thing = [linear, ranked].iter().flatten().any(|r| r.abs() >= SAME_THING);
                correlations.push(Correlation { group: *group, a: ids[a].clone(), b: ids[b].clone(), units: pairs.len(), pearson: linear, spearman: ranked, same_thing });
            }
        }
    }
    Statistics { distributions, correlations }
}

/// Type-7 quantile of sorted `v`.
fn quantile(v: &[f64], p: f64) -> f64 {
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// Pearson's r; none under 3 pairs or for a constant column.
fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    // A column of one value correlates with nothing (its computed spread
    // would be rounding noise, not zero, where the mean is inexact).
    let constant = |v: &[f64]| v.iter().all(|a| *a == v[0]);
    if n < 3 || constant(x) || constant(y) {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / n as f64;
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Average ranks (ties share the mean of their positions), 1-based.
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut out = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            out[k] = rank;
        }
        i = j + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(points: Vec<Option<f64>>) -> UnitPoints {
        UnitPoints { group: PeerGroup::County, points }
    }

    #[test]
    fn quartiles_shares_and_the_not_separating_warning() {
        let ids = vec!["a".to_string()];
        // Points 1, 2, 3, 4, 10 of 10: q1 2, median 3, q3 4; one at full.
        let units: Vec<UnitPoints> = [1.0, 2.0, 3.0, 4.0, 10.0].iter().map(|p| unit(vec![Some(*p)])).collect();
        let s = statistics(&ids, &[10.0], &units);
        let d = &s.distributions[0];
        assert_eq!((d.min, d.q1, d.median, d.q3, d.max), (1.0, 2.0, 3.0, 4.0, 10.0));
        assert_eq!((d.share_full, d.share_zero, d.does_not_separate), (0.2, 0.0, false));
        // Even count interpolates: 1, 2, 3, 4 → q1 1.75, median 2.5.
        let four: Vec<UnitPoints> = [4.0, 1.0, 3.0, 2.0].iter().map(|p| unit(vec![Some(*p)])).collect();
        let d = &statistics(&ids, &[10.0], &four).distributions[0];
        assert_eq!((d.q1, d.median, d.q3), (1.75, 2.5, 3.25));
        // Nine of ten at full points: it does not separate.
        let mut flat: Vec<UnitPoints> = (0..9).map(|_| unit(vec![Some(10.0)])).collect();
        flat.push(unit(vec![Some(0.0)]));
        let d = &statistics(&ids, &[10.0], &flat).distributions[0];
        assert_eq!((d.share_full, d.share_zero, d.does_not_separate), (0.9, 0.1, true));
    }

    #[test]
    fn correlations_by_hand_and_the_same_thing_warning() {
        let ids = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        // b = 2a exactly; c reverses a's order but not linearly.
        let units = vec![
            unit(vec![Some(1.0), Some(2.0), Some(9.0)]),
            unit(vec![Some(2.0), Some(4.0), Some(8.0)]),
            unit(vec![Some(3.0), Some(6.0), Some(1.0)]),
            unit(vec![Some(4.0), Some(8.0), Some(0.0)]),
            unit(vec![Some(5.0), None, Some(-5.0)]),
        ];
        let s = statistics(&ids, &[10.0, 10.0, 10.0], &units);
        let ab = &s.correlations[0];
        assert_eq!((ab.a.as_str(), ab.b.as_str(), ab.units), ("a", "b", 4), "pairwise complete: the fifth has no b");
        assert!((ab.pearson.unwrap() - 1.0).abs() < 1e-12 && (ab.spearman.unwrap() - 1.0).abs() < 1e-12 && ab.same_thing);
        let ac = &s.correlations[1];
        assert!((ac.spearman.unwrap() + 1.0).abs() < 1e-12, "a strictly decreasing relation has ρ = −1");
        assert!(ac.pearson.unwrap() > -1.0 && ac.pearson.unwrap() < -0.9);
        assert!(ac.same_thing, "|ρ| counts, whatever the sign");
    }

    #[test]
    fn ties_share_ranks_and_constant_columns_have_no_correlation() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0]);
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(pearson(&[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0]), None, "an inexact mean is still a constant");
        assert_eq!(pearson(&[1.0, 2.0], &[1.0, 2.0]), None);
    }
}
