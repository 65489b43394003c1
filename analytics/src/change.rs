//! Why did my rank change (robustness.md §3): a unit's change of total
//! against last year split so the parts add up exactly, each part's effect
//! on the rank, and where the unit stands among its peers per indicator.
//!
//! With `W₀`, `W₁` the applicable weights' sums, `s` the points and `w`
//! the weights of last year and this year, `base = 100 Σs / W`. One part
//! per indicator is what the unit's performance on it changed, at last
//! year's weights: `100 × w₀ × (s₁/w₁ − s₀/w₀) / W₀` where the indicator
//! applied both years (a changed weight is not the unit's doing), the
//! points gained `100 s₁ / W₀` where it newly applies and lost
//! `−100 s₀ / W₀` where it no longer does. Re-weighting is what these leave
//! of `base₁ − base₀`: changed weights and a changed sum of weights. Then
//! the bonus, and the rounding of the two totals.
//! Parts are shown to the cent, and the rounding line takes what the
//! cents of the others leave, so the shown parts add up to the shown change
//! exactly.
//!
//! A part's effect on the rank: the rank the unit would have had last year
//! with only that part changed (its last year's total plus the part, the
//! others as last year), competition ranking among last year's graded units
//! of its group.
//!
//! Percentile among peers: the mid-rank share of the group's units to
//! which the indicator applies, `100 × (below + ½ × equal) / n`, the unit
//! itself included.

use serde::Serialize;

use crate::score::round_half_away;

/// One indicator in both years: (points, weight) where it applied.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorYears {
    pub id: String,
    pub before: Option<(f64, f64)>,
    pub after: Option<(f64, f64)>,
}

/// What the decomposition needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeInput {
    pub indicators: Vec<IndicatorYears>,
    pub bonus_before: f64,
    pub bonus_after: f64,
    pub total_before: f64,
    pub total_after: f64,
    /// Last year's rank (none when ungraded then).
    pub rank_before: Option<u32>,
    /// Last year's totals of the group's other graded units.
    pub peers_before: Vec<f64>,
}

/// What a part is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "indicator", rename_all = "snake_case")]
pub enum PartKind {
    Indicator(String),
    Reweighting,
    Bonus,
    Rounding,
}

/// One part of the change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    pub kind: PartKind,
    /// To the cent.
    pub change: f64,
    /// The rank with only this part changed (none for rounding, or when
    /// the unit had no rank last year).
    pub rank_alone: Option<u32>,
}

/// The change of total, in parts that add up to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decomposition {
    pub total_change: f64,
    pub rank_before: Option<u32>,
    pub parts: Vec<Part>,
}

fn weight_sum(input: &ChangeInput, after: bool) -> f64 {
    input.indicators.iter().filter_map(|i| if after { i.after } else { i.before }).map(|(_, w)| w).sum()
}

/// Splits the change of total into parts that add up to it exactly (to
/// the cent) with each part's effect on the rank.
pub fn decompose(input: &ChangeInput) -> Decomposition {
    let (w0, w1) = (weight_sum(input, false), weight_sum(input, true));
    let points = |p: Option<(f64, f64)>| p.map_or(0.0, |(s, _)| s);
    let per = |s: f64, w: f64| if w > 0.0 { 100.0 * s / w } else { 0.0 };
    // Weights are positive (the rulebook's validation refuses others), so
    // both shares are defined where the indicator applied both years.
    let performance = |i: &IndicatorYears| match (i.before, i.after) {
        (Some((s0, wb)), Some((s1, wa))) => wb * (s1 / wa - s0 / wb),
        _ => points(i.after) - points(i.before),
    };
    let mut exact: Vec<(PartKind, f64)> = input.indicators.iter().map(|i| (PartKind::Indicator(i.id.clone()), per(performance(i), w0))).collect();
    let s1: f64 = input.indicators.iter().map(|i| points(i.after)).sum();
    let s0: f64 = input.indicators.iter().map(|i| points(i.before)).sum();
    let indicator_sum: f64 = exact.iter().map(|(_, v)| v).sum();
    // What the per-indicator parts leave of the change of base.
    exact.push((PartKind::Reweighting, per(s1, w1) - per(s0, w0) - indicator_sum));
    exact.push((PartKind::Bonus, input.bonus_after - input.bonus_before));
    let total_change = round_half_away(input.total_after - input.total_before, 2);
    let mut parts: Vec<Part> = exact
        .into_iter()
        .map(|(kind, v)| {
            let rank_alone = input.rank_before.map(|_| rank_among(round_half_away(input.total_before + v, 2), &input.peers_before));
            Part { kind, change: round_half_away(v, 2) + 0.0, rank_alone }
        })
        .collect();
    let shown: f64 = parts.iter().map(|p| p.change).sum();
    parts.push(Part { kind: PartKind::Rounding, change: round_half_away(total_change - shown, 2) + 0.0, rank_alone: None });
    Decomposition { total_change, rank_before: input.rank_before, parts }
}

/// Competition rank of `total` among `others`.
fn rank_among(total: f64, others: &[f64]) -> u32 {
    1 + others.iter().filter(|o| **o > total).count() as u32
}

/// Where a unit's points stand in its group for one indicator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PeerStats {
    pub median: f64,
    pub best: f64,
    /// 0–100, mid-rank.
    pub percentile: f64,
}

/// `own` among `group` (the points of every unit of the group to which
/// the indicator applies, `own` included). None for an empty group.
pub fn peer_stats(group: &[f64], own: f64) -> Option<PeerStats> {
    if group.is_empty() {
        return None;
    }
    let mut sorted = group.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
    let below = sorted.iter().filter(|v| **v < own).count() as f64;
    let equal = sorted.iter().filter(|v| **v == own).count() as f64;
    Some(PeerStats { median, best: sorted[n - 1], percentile: 100.0 * (below + 0.5 * equal) / n as f64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ind(id: &str, before: Option<(f64, f64)>, after: Option<(f64, f64)>) -> IndicatorYears {
        IndicatorYears { id: id.into(), before, after }
    }

    #[test]
    fn the_parts_add_up_to_the_change_and_say_what_each_did_to_the_rank() {
        // Last year: a 8/10, b 4/10 → base 60, total 60.00, rank 3 of 4.
        // This year: a 9/10, b 4/10 and c 5/5 newly applicable → base
        // 18/25 × 100 = 72, bonus +1: total 73.00.
        let input = ChangeInput {
            indicators: vec![ind("a", Some((8.0, 10.0)), Some((9.0, 10.0))), ind("b", Some((4.0, 10.0)), Some((4.0, 10.0))), ind("c", None, Some((5.0, 5.0)))],
            bonus_before: 0.0,
            bonus_after: 1.0,
            total_before: 60.0,
            total_after: 73.0,
            rank_before: Some(3),
            peers_before: vec![80.0, 70.0, 50.0],
        };
        let d = decompose(&input);
        assert_eq!(d.total_change, 13.0);
        let parts: Vec<(PartKind, f64, Option<u32>)> = d.parts.iter().map(|p| (p.kind.clone(), p.change, p.rank_alone)).collect();
        // a: +1 point at W₀ = 20 → +5.00 (65.00: still 3rd); b: 0; c: +5
        // points → +25.00 (85.00: 1st); re-weighting: 72 − 60 − 30 = −18
        // (42.00: 4th); bonus +1 (61.00: 3rd); rounding 0.
        assert_eq!(
            parts,
            [
                (PartKind::Indicator("a".into()), 5.0, Some(3)),
                (PartKind::Indicator("b".into()), 0.0, Some(3)),
                (PartKind::Indicator("c".into()), 25.0, Some(1)),
                (PartKind::Reweighting, -18.0, Some(4)),
                (PartKind::Bonus, 1.0, Some(3)),
                (PartKind::Rounding, 0.0, None),
            ]
        );
        let sum: f64 = d.parts.iter().map(|p| p.change).sum();
        assert_eq!(round_half_away(sum, 2), d.total_change);
    }

    #[test]
    fn a_changed_weight_is_re_weighting_not_performance() {
        // a at 80 % both years, its weight 10 → 15; b 5/10 both years.
        // Base 65 → (12 + 5)/25 = 68: the indicator parts are 0 and the
        // whole +3 is re-weighting.
        let input = ChangeInput {
            indicators: vec![ind("a", Some((8.0, 10.0)), Some((12.0, 15.0))), ind("b", Some((5.0, 10.0)), Some((5.0, 10.0)))],
            bonus_before: 0.0,
            bonus_after: 0.0,
            total_before: 65.0,
            total_after: 68.0,
            rank_before: None,
            peers_before: vec![],
        };
        let d = decompose(&input);
        assert_eq!(d.parts.iter().map(|p| p.change).collect::<Vec<_>>(), [0.0, 0.0, 3.0, 0.0, 0.0]);
    }

    #[test]
    fn cents_left_by_the_parts_go_to_the_rounding_line() {
        // Three indicators each +1/3 point of 10 at W₀ = 30: each part is
        // 1.1111…, shown 1.11; the change of base is 3.3333…, the totals
        // 50.00 → 53.33: rounding takes 0.00. With totals 50.00 → 53.34 (a
        // unit whose unrounded base crossed a half cent) it takes 0.01.
        let third = 1.0 / 3.0;
        let indicators: Vec<IndicatorYears> = ["a", "b", "c"].iter().map(|id| ind(id, Some((5.0, 10.0)), Some((5.0 + third, 10.0)))).collect();
        let mut input = ChangeInput { indicators, bonus_before: 0.0, bonus_after: 0.0, total_before: 50.0, total_after: 53.33, rank_before: None, peers_before: vec![] };
        let d = decompose(&input);
        assert_eq!(d.parts.iter().map(|p| p.change).collect::<Vec<_>>(), [1.11, 1.11, 1.11, 0.0, 0.0, 0.0]);
        input.total_after = 53.34;
        let d = decompose(&input);
        assert_eq!(d.parts.last().unwrap().change, 0.01);
        assert!(d.parts.iter().all(|p| p.rank_alone.is_none()), "no rank last year, no rank effects");
    }

    #[test]
    fn peers_median_best_and_mid_rank_percentile() {
        let group = [2.0, 4.0, 4.0, 10.0];
        let p = peer_stats(&group, 4.0).unwrap();
        assert_eq!((p.median, p.best, p.percentile), (4.0, 10.0, 50.0));
        assert_eq!(peer_stats(&group, 10.0).unwrap().percentile, 87.5);
        assert_eq!(peer_stats(&[3.0, 1.0, 2.0], 2.0).unwrap().median, 2.0);
        assert_eq!(peer_stats(&[], 1.0), None);
    }

    /// robustness.md §3: "the change of its total against the previous
    /// year split by indicator … so the parts add up to the change
    /// exactly". A unit to which nothing applied last year (W₀ = 0: base₀
    /// read as 0, as the engine reads an empty sum of weights) has no
    /// per-indicator part at last year's weights; the whole change of base
    /// is re-weighting.
    #[test]
    fn a_unit_with_nothing_applicable_last_year_changes_by_re_weighting() {
        let input = ChangeInput {
            indicators: vec![ind("a", None, Some((8.0, 10.0)))],
            bonus_before: 0.0,
            bonus_after: 0.0,
            total_before: 0.0,
            total_after: 80.0,
            rank_before: None,
            peers_before: vec![],
        };
        let d = decompose(&input);
        // a: per(8, W₀ = 0) = 0; re-weighting 100 × 8/10 − 0 − 0 = 80.
        assert_eq!(d.parts.iter().map(|p| p.change).collect::<Vec<_>>(), [0.0, 80.0, 0.0, 0.0]);
    }

    /// robustness.md §3: "the rank it would have with only that part
    /// changed … competition ranking": a total equal to a peer's shares
    /// its rank (1, 2, 2, 4).
    #[test]
    fn a_part_that_ties_a_peer_shares_its_rank() {
        // Last year 60.00, 4th behind 80, 70, 70. a: +1 point of 10 at W₀
        // = 10 → +10.00 → 70.00: second with the two 70s, not fourth.
        let input = ChangeInput {
            indicators: vec![ind("a", Some((6.0, 10.0)), Some((7.0, 10.0)))],
            bonus_before: 0.0,
            bonus_after: 0.0,
            total_before: 60.0,
            total_after: 70.0,
            rank_before: Some(4),
            peers_before: vec![80.0, 70.0, 70.0],
        };
        let d = decompose(&input);
        assert_eq!((d.parts[0].change, d.parts[0].rank_alone), (10.0, Some(2)));
    }

    /// Parts are shown to the cent; a part that rounds to zero from below
    /// is shown as 0, not −0.
    #[test]
    fn a_part_rounding_to_zero_from_below_is_zero_not_minus_zero() {
        // a: 100 × 10 × (4.9996/10 − 5/10)/10 = −0.004 → −0.00 → 0.
        let input = ChangeInput {
            indicators: vec![ind("a", Some((5.0, 10.0)), Some((4.9996, 10.0)))],
            bonus_before: 0.0,
            bonus_after: 0.0,
            total_before: 50.0,
            total_after: 50.0,
            rank_before: None,
            peers_before: vec![],
        };
        let shown: Vec<String> = decompose(&input).parts.iter().map(|p| p.change.to_string()).collect();
        assert_eq!(shown, ["0", "0", "0", "0"]);
        // The rounding line too: parts 0.10 and 0.20 add up (in doubles)
        // to 0.30000000000000004, the change of total is 0.30, and what
        // is left, −5.6e−17, is shown as 0.
        let input = ChangeInput {
            indicators: vec![ind("a", Some((20.0, 50.0)), Some((20.1, 50.0))), ind("b", Some((20.0, 50.0)), Some((20.2, 50.0)))],
            total_before: 40.0,
            total_after: 40.3,
            ..input
        };
        let d = decompose(&input);
        assert_eq!((d.parts[0].change, d.parts[1].change, d.total_change), (0.1, 0.2, 0.3));
        assert_eq!(d.parts.last().unwrap().change.to_string(), "0");
    }

    /// robustness.md §3: "for each indicator, the group's median and best
    /// points": the median of an even group is the mean of its two middle
    /// values, of an odd group its middle value.
    #[test]
    fn the_median_of_even_and_odd_groups() {
        assert_eq!(peer_stats(&[10.0, 1.0, 3.0, 2.0], 1.0).unwrap().median, 2.5);
        let five = peer_stats(&[5.0, 1.0, 4.0, 2.0, 3.0], 5.0).unwrap();
        assert_eq!((five.median, five.best, five.percentile), (3.0, 5.0, 90.0));
    }

    /// robustness.md §3 as the module reads it: points "lost `−100 s₀ /
    /// W₀` where it no longer does" apply, and the bonus part is this
    /// year's bonus less last year's, which can be negative.
    #[test]
    fn points_lost_where_an_indicator_no_longer_applies_and_a_smaller_bonus() {
        // Last year a 8/10, b 4/10: W₀ = 20, base 60, bonus 2 → 62.00.
        // This year a 8/10 alone: base 80, bonus 1 → 81.00.
        let input = ChangeInput {
            indicators: vec![ind("a", Some((8.0, 10.0)), Some((8.0, 10.0))), ind("b", Some((4.0, 10.0)), None)],
            bonus_before: 2.0,
            bonus_after: 1.0,
            total_before: 62.0,
            total_after: 81.0,
            rank_before: None,
            peers_before: vec![],
        };
        let d = decompose(&input);
        // a: 10 × (8/10 − 8/10) → 0; b: −100 × 4/20 = −20; re-weighting
        // 80 − 60 − (0 − 20) = 40; bonus 1 − 2 = −1; 0 − 20 + 40 − 1 = 19.
        assert_eq!(d.total_change, 19.0);
        assert_eq!(d.parts.iter().map(|p| p.change).collect::<Vec<_>>(), [0.0, -20.0, 40.0, -1.0, 0.0]);
    }
}
