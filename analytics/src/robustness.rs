//! How sure is a rank (robustness.md §1): a Monte Carlo over the method.
//!
//! Each draw perturbs, independently per indicator, the weight
//! `w' = w × (1 + φ_W × (2U − 1))` and, for `linear(bad, good)`, both
//! thresholds `bad' = bad + φ_T × (2U − 1) × (good − bad)` (and `good'`
//! likewise), then recomputes points, base, total, group ranks and grades
//! exactly as the method's §5 does. "Not perturbed: `pass_fail` indicators
//! (neither their weight nor their outcome)": they keep their weight and
//! draw no uniform. Data, deductions, bonus, vetoes and ungraded status
//! stay as they are. Per unit: the nominal and median rank,
//! the 5th–95th percentile interval and the probability of each grade; per
//! group the narrow intervals and the excellence that is certain or
//! contested; and leave-one-out (each indicator's weight set to 0 in turn).
//!
//! Plain Rust over a version's indicator values: one draw is a small dense
//! computation (units × indicators, a sort per group), and a DataFrame per
//! draw would cost more than the arithmetic.
//!
//! The uniforms come from ChaCha8 seeded with the seed, draw after draw, in
//! [`Model::uniform_layout`] order, so the same version, factors, draws and
//! seed give the same report byte for byte; [`Model::uniforms`] hands them
//! out for an independent implementation to check against.
//!
//! Readings of the spec, stated here and in the README:
//! - percentiles are the inverted empirical CDF (Hyndman–Fan type 1): the
//!   smallest rank whose cumulative share reaches p, computed in integers
//!   (`ceil(n × p)`-th smallest), so every bound is a rank that occurred;
//! - an interval "spans ≤ 3 places" when `rank_p95 − rank_p5 ≤ 3`;
//! - excellence is certain at a probability ≥ 0.95 and contested from 0.05
//!   up to 0.95;
//! - ranks (and county ranks) of every draw follow §5, but only group
//!   ranks and grades are reported: county ranks enter no figure, so a draw
//!   does not compute them; the nominal gate checks them all;
//! - leave-one-out keeps the nominal thresholds and each unit's graded
//!   status (applicability does not change; a weight of 0 only leaves the
//!   indicator out of both sums).

use std::collections::BTreeMap;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::domain::{Grade, PeerGroup};
use crate::rulebook::{Function, FunctionKind, GradeRules, Rulebook};
use crate::score::round_half_away;

/// The variation of the method: φ_W and φ_T.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Factors {
    pub weights: f64,
    pub thresholds: f64,
}

impl Default for Factors {
    fn default() -> Factors {
        Factors { weights: DEFAULT_WEIGHT_FACTOR, thresholds: DEFAULT_THRESHOLD_FACTOR }
    }
}

/// The default φ_W ("default φ_W = 0.25").
pub const DEFAULT_WEIGHT_FACTOR: f64 = 0.25;
/// The default φ_T ("default φ_T = 0.10").
pub const DEFAULT_THRESHOLD_FACTOR: f64 = 0.10;

/// One simulation's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub factors: Factors,
    pub draws: u32,
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { factors: Factors::default(), draws: DEFAULT_DRAWS, seed: DEFAULT_SEED }
    }
}

/// The default number of draws.
pub const DEFAULT_DRAWS: u32 = 10_000;
/// The most draws one simulation may run.
pub const MAX_DRAWS: u32 = 1_000_000;
/// Draws between two looks at a simulation's stop flag.
pub const STOP_CHECK_EVERY: u32 = 64;
/// The default seed.
pub const DEFAULT_SEED: u64 = 20_171_231;

/// Settings that cannot make a simulation, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RobustnessError {
    #[error("draws must be between 1 and {MAX_DRAWS}, not {0}")]
    Draws(u32),
    /// φ_W must keep every weight positive.
    #[error("the weight factor must be at least 0 and below 1, not {0}")]
    WeightFactor(f64),
    /// φ_T must keep bad′ ≠ good′.
    #[error("the threshold factor must be at least 0 and below 0.5, not {0}")]
    ThresholdFactor(f64),
    /// The nominal result recomputed from the version's values is not the
    /// stored one: the simulation would not be about this version.
    #[error("the nominal result does not match the stored version: {0}")]
    Nominal(String),
    /// The caller asked the simulation to stop (its requester went away).
    #[error("the simulation was stopped before it finished")]
    Stopped,
}

impl Settings {
    pub fn check(&self) -> Result<(), RobustnessError> {
        if !(1..=MAX_DRAWS).contains(&self.draws) {
            return Err(RobustnessError::Draws(self.draws));
        }
        let w = self.factors.weights;
        if !(0.0..1.0).contains(&w) || w.is_nan() {
            return Err(RobustnessError::WeightFactor(w));
        }
        let t = self.factors.thresholds;
        if !(0.0..0.5).contains(&t) || t.is_nan() {
            return Err(RobustnessError::ThresholdFactor(t));
        }
        Ok(())
    }
}

/// An indicator as the simulation varies it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    pub id: String,
    pub weight: f64,
    pub kind: crate::rulebook::FunctionKind,
    /// Thresholds of a `linear` one.
    pub bad: f64,
    pub good: f64,
    pub groups: Vec<PeerGroup>,
}

/// A unit as a stored version holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unit {
    pub code: String,
    pub name: String,
    pub group: PeerGroup,
    pub parent_code: Option<String>,
    pub bonus: f64,
    pub vetoed: bool,
    pub graded: bool,
    /// Per indicator, in the model's order: the value (for `deduct` the
    /// deduction sum, for `pass_fail` 1 or 0), or `None` when n/a.
    pub values: Vec<Option<f64>>,
}

/// The version as the simulation sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    pub indicators: Vec<Indicator>,
    pub units: Vec<Unit>,
    pub grades: GradeRules,
}

/// What one evaluation of the method gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub totals: Vec<f64>,
    pub ranks: Vec<Option<u32>>,
    pub county_ranks: Vec<Option<u32>>,
    pub grades: Vec<Grade>,
}

/// One method: a weight and thresholds per indicator.
#[derive(Debug, Clone, PartialEq)]
struct Method {
    weights: Vec<f64>,
    bads: Vec<f64>,
    goods: Vec<f64>,
}

/// A unit's figures over the draws.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitRobustness {
    pub unit_code: String,
    pub unit_name: String,
    pub group: PeerGroup,
    pub nominal_rank: Option<u32>,
    pub median_rank: Option<u32>,
    pub rank_p5: Option<u32>,
    pub rank_p95: Option<u32>,
    /// Share of draws per grade (all 0 for an ungraded unit).
    pub grades: GradeShares,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct GradeShares {
    pub excellent: f64,
    pub good: f64,
    pub pass: f64,
    pub fail: f64,
}

/// A group's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRobustness {
    pub group: PeerGroup,
    /// Graded units.
    pub units: usize,
    /// Units whose interval spans at most 3 places (`rank_p95 − rank_p5 ≤ 3`).
    pub narrow: usize,
    /// Units excellent in at least 95 % of the draws.
    pub excellent_certain: Vec<String>,
    /// Units excellent in at least 5 % and under 95 % of the draws.
    pub excellent_contested: Vec<String>,
}

/// One indicator left out: every unit of a group it applies to, with its
/// rank and grade then.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftOut {
    pub indicator: String,
    pub units: Vec<LeftOutUnit>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftOutUnit {
    pub unit_code: String,
    pub rank: Option<u32>,
    pub grade: Grade,
}

/// The simulation's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub draws: u32,
    pub seed: u64,
    pub weights: f64,
    pub thresholds: f64,
    pub units: Vec<UnitRobustness>,
    pub groups: Vec<GroupRobustness>,
    pub leave_one_out: Vec<LeftOut>,
}

impl Model {
    /// The rulebook's indicators (in its order) with `units` whose values
    /// follow that order.
    pub fn indicators_of(rules: &Rulebook) -> Vec<Indicator> {
        rules
            .indicators
            .iter()
            .map(|r| {
                let (bad, good) = match r.function {
                    Function::Linear { bad, good } => (bad, good),
                    Function::Deduct { .. } | Function::PassFail => (0.0, 0.0),
                };
                let kind = r.function.kind();
                Indicator { id: r.id.clone(), weight: r.weight, kind, bad, good, groups: r.groups.clone() }
            })
            .collect()
    }

    fn nominal_method(&self) -> Method {
        Method {
            weights: self.indicators.iter().map(|i| i.weight).collect(),
            bads: self.indicators.iter().map(|i| i.bad).collect(),
            goods: self.indicators.iter().map(|i| i.good).collect(),
        }
    }

    /// The method's result with its own weights and thresholds.
    pub fn nominal(&self) -> Outcome {
        let mut out = self.empty_outcome();
        self.evaluate(&self.nominal_method(), &mut out, true);
        out
    }

    fn empty_outcome(&self) -> Outcome {
        let n = self.units.len();
        Outcome { totals: vec![0.0; n], ranks: vec![None; n], county_ranks: vec![None; n], grades: vec![Grade::Ungraded; n] }
    }

    /// How many uniforms one draw takes, and for each indicator the index
    /// of its first: the weight's, then (linear ones) bad's and good's. A
    /// `pass_fail` indicator takes none (its weight is not perturbed); its
    /// index is where the next indicator's start.
    pub fn uniform_layout(&self) -> (usize, Vec<usize>) {
        let mut at = Vec::with_capacity(self.indicators.len());
        let mut k = 0;
        for i in &self.indicators {
            at.push(k);
            k += match i.kind {
                FunctionKind::Linear => 3,
                FunctionKind::Deduct => 1,
                FunctionKind::PassFail => 0,
            };
        }
        (k, at)
    }

    /// The uniforms of every draw, draw after draw: what the simulation
    /// uses, for an independent implementation to use too.
    pub fn uniforms(&self, s: &Settings) -> impl Iterator<Item = f64> + use<> {
        let (k, _) = self.uniform_layout();
        let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
        (0..k * s.draws as usize).map(move |_| rng.random::<f64>())
    }

    fn perturbed(&self, u: &[f64], at: &[usize], f: Factors, m: &mut Method) {
        for (j, ind) in self.indicators.iter().enumerate() {
            let k = at[j];
            if ind.kind == FunctionKind::PassFail {
                m.weights[j] = ind.weight;
                continue;
            }
            m.weights[j] = ind.weight * (1.0 + f.weights * (2.0 * u[k] - 1.0));
            if ind.kind == FunctionKind::Linear {
                let span = ind.good - ind.bad;
                m.bads[j] = ind.bad + f.thresholds * (2.0 * u[k + 1] - 1.0) * span;
                m.goods[j] = ind.good + f.thresholds * (2.0 * u[k + 2] - 1.0) * span;
            }
        }
    }

    /// Totals, group ranks, grades (and county ranks when asked) under `m`.
    fn evaluate(&self, m: &Method, out: &mut Outcome, county: bool) {
        for (u, unit) in self.units.iter().enumerate() {
            let (mut points, mut weights) = (0.0, 0.0);
            for (j, value) in unit.values.iter().enumerate() {
                let Some(v) = *value else { continue };
                let w = m.weights[j];
                points += match self.indicators[j].kind {
                    FunctionKind::Linear => w * ((v - m.bads[j]) / (m.goods[j] - m.bads[j])).clamp(0.0, 1.0),
                    // "`s = max(0, w − D)`"
                    FunctionKind::Deduct => (w - v).max(0.0),
                    FunctionKind::PassFail => w * v,
                };
                weights += w;
            }
            let base = if weights > 0.0 { 100.0 * points / weights } else { 0.0 };
            out.totals[u] = round_half_away(base + unit.bonus, 2);
        }
        for group in PeerGroup::ALL {
            let members: Vec<usize> = (0..self.units.len()).filter(|&u| self.units[u].group == *group && self.units[u].graded).collect();
            competition_ranks(&members, &out.totals, &mut out.ranks);
            let n = members.len() as f64;
            let quota = ((self.grades.excellent_quota * n + 1e-9).floor()).max(1.0);
            for u in (0..self.units.len()).filter(|&u| self.units[u].group == *group) {
                out.grades[u] = self.grade(u, out.totals[u], out.ranks[u], quota);
            }
        }
        if county {
            let mut parents: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for (u, unit) in self.units.iter().enumerate() {
                if unit.group == PeerGroup::Township && unit.graded {
                    parents.entry(unit.parent_code.as_deref().unwrap_or("")).or_default().push(u);
                }
            }
            for members in parents.values() {
                competition_ranks(members, &out.totals, &mut out.county_ranks);
            }
        }
    }

    fn grade(&self, u: usize, total: f64, rank: Option<u32>, quota: f64) -> Grade {
        let g = &self.grades;
        let unit = &self.units[u];
        if unit.vetoed {
            Grade::Fail
        } else if !unit.graded {
            Grade::Ungraded
        } else if total >= g.excellent && rank.is_some_and(|r| f64::from(r) <= quota) {
            Grade::Excellent
        } else if total >= g.good {
            Grade::Good
        } else if total >= g.pass {
            Grade::Pass
        } else {
            Grade::Fail
        }
    }

    /// Runs the simulation: the leave-one-out table and `draws` perturbed
    /// methods. The caller has checked the nominal result ([`Model::nominal`]).
    pub fn simulate(&self, s: &Settings) -> Result<Report, RobustnessError> {
        self.simulate_until(s, &std::sync::atomic::AtomicBool::new(false))
    }

    /// [`Model::simulate`], giving up with [`RobustnessError::Stopped`] as
    /// soon as `stop` is set (checked every [`STOP_CHECK_EVERY`] draws):
    /// the server sets it when the request that asked goes away.
    pub fn simulate_until(&self, s: &Settings, stop: &std::sync::atomic::AtomicBool) -> Result<Report, RobustnessError> {
        s.check()?;
        let n = self.units.len();
        let (k, at) = self.uniform_layout();
        let mut histograms: Vec<Vec<u32>> = self.units.iter().map(|_| Vec::new()).collect();
        let mut grade_counts = vec![[0u32; 4]; n];
        let mut method = self.nominal_method();
        let mut out = self.empty_outcome();
        let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
        let mut u = vec![0.0; k];
        for draw in 0..s.draws {
            if draw % STOP_CHECK_EVERY == 0 && stop.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(RobustnessError::Stopped);
            }
            for x in u.iter_mut() {
                *x = rng.random::<f64>();
            }
            self.perturbed(&u, &at, s.factors, &mut method);
            self.evaluate(&method, &mut out, false);
            for i in 0..n {
                if let Some(r) = out.ranks[i] {
                    let h = &mut histograms[i];
                    if h.len() <= r as usize {
                        h.resize(r as usize + 1, 0);
                    }
                    h[r as usize] += 1;
                }
                let g = match out.grades[i] {
                    Grade::Excellent => 0,
                    Grade::Good => 1,
                    Grade::Pass => 2,
                    Grade::Fail => 3,
                    Grade::Ungraded => continue,
                };
                grade_counts[i][g] += 1;
            }
        }
        let nominal = self.nominal();
        let share = |c: u32| f64::from(c) / f64::from(s.draws);
        let units: Vec<UnitRobustness> = self
            .units
            .iter()
            .enumerate()
            .map(|(i, unit)| {
                let h = &histograms[i];
                let graded = nominal.ranks[i].is_some();
                let at = |p: u32| graded.then(|| percentile(h, s.draws, p));
                let c = grade_counts[i];
                UnitRobustness {
                    unit_code: unit.code.clone(),
                    unit_name: unit.name.clone(),
                    group: unit.group,
                    nominal_rank: nominal.ranks[i],
                    median_rank: at(50),
                    rank_p5: at(5),
                    rank_p95: at(95),
                    grades: GradeShares { excellent: share(c[0]), good: share(c[1]), pass: share(c[2]), fail: share(c[3]) },
                }
            })
            .collect();
        let groups = PeerGroup::ALL.iter().map(|g| group_summary(*g, &units)).collect();
        Ok(Report {
            draws: s.draws,
            seed: s.seed,
            weights: s.factors.weights,
            thresholds: s.factors.thresholds,
            units,
            groups,
            leave_one_out: self.leave_one_out(),
        })
    }

    /// Each indicator's weight set to 0 in turn, the rest as they are.
    pub fn leave_one_out(&self) -> Vec<LeftOut> {
        let mut out = self.empty_outcome();
        self.indicators
            .iter()
            .enumerate()
            .map(|(j, ind)| {
                let mut m = self.nominal_method();
                m.weights[j] = 0.0;
                self.evaluate(&m, &mut out, false);
                let units = self
                    .units
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| ind.groups.contains(&u.group))
                    .map(|(i, u)| LeftOutUnit { unit_code: u.code.clone(), rank: out.ranks[i], grade: out.grades[i] })
                    .collect();
                LeftOut { indicator: ind.id.clone(), units }
            })
            .collect()
    }
}

/// A group's summary over its graded units: "how many units' intervals
/// span ≤ 3 places; units whose excellence is certain (≥ 95%) or contested
/// (5–95%)" (5 % included, 95 % already certain).
fn group_summary(group: PeerGroup, units: &[UnitRobustness]) -> GroupRobustness {
    let members: Vec<&UnitRobustness> = units.iter().filter(|u| u.group == group && u.nominal_rank.is_some()).collect();
    let codes = |keep: &dyn Fn(f64) -> bool| members.iter().filter(|u| keep(u.grades.excellent)).map(|u| u.unit_code.clone()).collect();
    GroupRobustness {
        group,
        units: members.len(),
        narrow: members.iter().filter(|u| matches!((u.rank_p5, u.rank_p95), (Some(a), Some(b)) if b - a <= 3)).count(),
        excellent_certain: codes(&|p| p >= 0.95),
        excellent_contested: codes(&|p| (0.05..0.95).contains(&p)),
    }
}

/// Competition ranks (1, 2, 2, 4) of `members` by total, highest first.
fn competition_ranks(members: &[usize], totals: &[f64], ranks: &mut [Option<u32>]) {
    let mut order: Vec<usize> = members.to_vec();
    order.sort_by(|&a, &b| totals[b].total_cmp(&totals[a]));
    let mut rank = 0;
    for (pos, &u) in order.iter().enumerate() {
        if pos == 0 || totals[u] != totals[order[pos - 1]] {
            rank = pos as u32 + 1;
        }
        ranks[u] = Some(rank);
    }
}

/// The `p`-th percentile (p in whole percent) of the ranks counted in
/// `histogram` over `draws`: the smallest rank whose cumulative count
/// reaches `ceil(draws × p / 100)`.
fn percentile(histogram: &[u32], draws: u32, p: u32) -> u32 {
    let needed = (u64::from(draws) * u64::from(p)).div_ceil(100).max(1);
    let mut seen = 0u64;
    for (rank, &count) in histogram.iter().enumerate() {
        seen += u64::from(count);
        if seen >= needed {
            return rank as u32;
        }
    }
    histogram.len().saturating_sub(1) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> GradeRules {
        GradeRules { excellent: 90.0, good: 80.0, pass: 60.0, excellent_quota: 0.30 }
    }

    fn unit(code: &str, values: Vec<Option<f64>>) -> Unit {
        Unit { code: code.into(), name: format!("{code}县"), group: PeerGroup::County, parent_code: None, bonus: 0.0, vetoed: false, graded: true, values }
    }

    /// Three counties, two indicators: `a` linear(0, 1) weighted 10, `d`
    /// deduct weighted 10.
    fn three() -> Model {
        let groups = vec![PeerGroup::County];
        Model {
            indicators: vec![
                Indicator { id: "a".into(), weight: 10.0, kind: FunctionKind::Linear, bad: 0.0, good: 1.0, groups: groups.clone() },
                Indicator { id: "d".into(), weight: 10.0, kind: FunctionKind::Deduct, bad: 0.0, good: 0.0, groups },
            ],
            // A: a = 1.0, D = 2 → (10 + 8)/20 = 90.00
            // B: a = 0.9, D = 0 → (9 + 10)/20 = 95.00
            // C: a = 0.5, D = 1 → (5 + 9)/20 = 70.00
            units: vec![unit("A", vec![Some(1.0), Some(2.0)]), unit("B", vec![Some(0.9), Some(0.0)]), unit("C", vec![Some(0.5), Some(1.0)])],
            grades: rules(),
        }
    }

    #[test]
    fn the_nominal_result_follows_the_method_by_hand() {
        let m = three();
        let o = m.nominal();
        assert_eq!(o.totals, [90.0, 95.0, 70.0]);
        assert_eq!(o.ranks, [Some(2), Some(1), Some(3)]);
        // Quota max(1, floor(0.3 × 3)) = 1: only B is excellent; A is good.
        assert_eq!(o.grades, [Grade::Good, Grade::Excellent, Grade::Pass]);
    }

    #[test]
    fn a_hand_computed_draw_and_leave_one_out() {
        let m = three();
        // Weights only (φ_T = 0): U = 1 for `a` (w = 10 × 1.25 = 12.5), U = 0
        // for `d` (w = 10 × 0.75 = 7.5). A: (12.5 + 5.5)/20 = 90.00;
        // B: (11.25 + 7.5)/20 = 93.75; C: (6.25 + 6.5)/20 = 63.75.
        let (k, at) = m.uniform_layout();
        assert_eq!((k, at.as_slice()), (4, [0, 3].as_slice()));
        let mut method = m.nominal_method();
        m.perturbed(&[1.0, 0.5, 0.5, 0.0], &at, Factors { weights: 0.25, thresholds: 0.1 }, &mut method);
        assert_eq!((method.weights.as_slice(), method.bads[0], method.goods[0]), ([12.5, 7.5].as_slice(), 0.0, 1.0));
        let mut o = m.empty_outcome();
        m.evaluate(&method, &mut o, false);
        assert_eq!(o.totals, [90.0, 93.75, 63.75]);
        // Thresholds: U_bad = 1, U_good = 0 with φ_T = 0.1: bad' = 0.1,
        // good' = 0.9; A's a = 1.0 → full 10; B's 0.9 → full 10; C's 0.5 →
        // 10 × 0.4/0.8 = 5.
        m.perturbed(&[0.5, 1.0, 0.0, 0.5], &at, Factors { weights: 0.25, thresholds: 0.1 }, &mut method);
        m.evaluate(&method, &mut o, false);
        assert_eq!(o.totals, [90.0, 100.0, 70.0]);
        // Leave `d` out: A 100, B 90, C 50 → A excellent, B good, C fail.
        let loo = m.leave_one_out();
        let d: Vec<_> = loo[1].units.iter().map(|u| (u.rank, u.grade)).collect();
        assert_eq!(d, [(Some(1), Grade::Excellent), (Some(2), Grade::Good), (Some(3), Grade::Fail)]);
    }

    /// robustness.md §1: "Not perturbed: `pass_fail` indicators (neither
    /// their weight nor their outcome)". A pass_fail indicator draws no
    /// uniform and keeps its weight whatever the draw.
    #[test]
    fn pass_fail_weights_are_not_perturbed() {
        let groups = vec![PeerGroup::County];
        let m = Model {
            indicators: vec![
                Indicator { id: "p".into(), weight: 10.0, kind: FunctionKind::PassFail, bad: 0.0, good: 0.0, groups: groups.clone() },
                Indicator { id: "a".into(), weight: 10.0, kind: FunctionKind::Linear, bad: 0.0, good: 1.0, groups },
            ],
            units: vec![unit("A", vec![Some(1.0), Some(0.5)]), unit("B", vec![Some(0.0), Some(1.0)])],
            grades: rules(),
        };
        // `p` takes no uniform: `a`'s weight, bad and good take 0, 1, 2.
        let (k, at) = m.uniform_layout();
        assert_eq!((k, at.as_slice()), (3, [0, 0].as_slice()));
        let mut method = m.nominal_method();
        m.perturbed(&[1.0, 0.5, 0.5], &at, Factors { weights: 0.25, thresholds: 0.1 }, &mut method);
        // p keeps 10; a: 10 × (1 + 0.25 × (2 × 1 − 1)) = 12.5.
        assert_eq!(method.weights, [10.0, 12.5]);
        let mut o = m.empty_outcome();
        m.evaluate(&method, &mut o, false);
        // A: (10 + 12.5 × 0.5)/22.5 = 72.22…; B: (0 + 12.5)/22.5 = 55.55….
        assert_eq!(o.totals, [72.22, 55.56]);
        // A whole simulation without threshold variation: p stays at 10,
        // a's weight w runs over [7.5, 12.5], so A's total 100 × (10 +
        // 0.5 w)/(10 + w) stays within 72.22–78.57 (pass) and B's 100 w/(10
        // + w) within 42.86–55.56: A is first in every draw.
        let s = Settings { factors: Factors { weights: 0.25, thresholds: 0.0 }, draws: 200, seed: 3 };
        let r = m.simulate(&s).unwrap();
        assert_eq!((r.units[0].rank_p5, r.units[0].rank_p95), (Some(1), Some(1)));
        assert_eq!((r.units[0].grades.pass, r.units[1].grades.fail), (1.0, 1.0));
    }

    /// robustness.md §1: "`bad' = bad + φ_T × (2U − 1) × (good − bad)` and
    /// likewise `good'`": the move is a share of the threshold span,
    /// whatever its length or direction (`linear(60, 95)`, span 35, and
    /// the lower-is-better `linear(0.15, 0.02)`, span −0.13).
    #[test]
    fn threshold_draws_move_by_a_share_of_the_span() {
        let groups = vec![PeerGroup::County];
        let linear = |id: &str, bad: f64, good: f64| Indicator { id: id.into(), weight: 10.0, kind: FunctionKind::Linear, bad, good, groups: groups.clone() };
        let m = Model { indicators: vec![linear("r", 60.0, 95.0), linear("q", 0.15, 0.02)], units: vec![unit("A", vec![Some(80.0), Some(0.05)])], grades: rules() };
        let (_, at) = m.uniform_layout();
        let mut method = m.nominal_method();
        m.perturbed(&[0.5, 0.75, 0.25, 0.0, 1.0, 0.0], &at, Factors { weights: 0.25, thresholds: 0.1 }, &mut method);
        // r: bad' = 60 + 0.1 × 0.5 × 35 = 61.75; good' = 95 + 0.1 × (−0.5) × 35 = 93.25.
        // q: bad' = 0.15 + 0.1 × 1 × (−0.13) = 0.137; good' = 0.02 + 0.1 × (−1) × (−0.13) = 0.033.
        let near = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(near(method.bads[0], 61.75) && near(method.goods[0], 93.25), "{method:?}");
        assert!(near(method.bads[1], 0.137) && near(method.goods[1], 0.033), "{method:?}");
        // Weights: U = 0.5 leaves r at 10; U = 0 takes q to 10 × 0.75.
        assert_eq!(method.weights, [10.0, 7.5]);
    }

    /// robustness.md §1: "default φ_W = 0.25", "default φ_T = 0.10",
    /// "Default N = 10,000 draws", and "a fixed seed": what the API and the
    /// pages use when they are not told otherwise.
    #[test]
    fn the_defaults_are_the_methods() {
        let s = Settings::default();
        assert_eq!((s.factors.weights, s.factors.thresholds, s.draws, s.seed), (0.25, 0.10, 10_000, DEFAULT_SEED));
        assert_eq!(s.factors, Factors::default());
        assert!(s.check().is_ok());
    }

    /// robustness.md §1: "Each draw recomputes … group ranks (competition
    /// ranking)": two units equal in every value tie in every draw, share
    /// rank 1 and are both excellent (ties at the quota all qualify); the
    /// third is 3rd, never 2nd.
    #[test]
    fn ties_inside_a_draw_share_the_best_rank() {
        let mut m = three();
        // A and B: a = 1.0, D = 0 → 100 in every draw; C: a = 0.5, D = 1.
        m.units[0].values = vec![Some(1.0), Some(0.0)];
        m.units[1].values = vec![Some(1.0), Some(0.0)];
        let r = m.simulate(&Settings { draws: 300, seed: 11, ..Settings::default() }).unwrap();
        for (i, rank) in [(0, 1), (1, 1), (2, 3)] {
            let u = &r.units[i];
            assert_eq!((u.nominal_rank, u.rank_p5, u.median_rank, u.rank_p95), (Some(rank), Some(rank), Some(rank), Some(rank)), "{}", u.unit_code);
        }
        assert_eq!((r.units[0].grades.excellent, r.units[1].grades.excellent), (1.0, 1.0));
        assert_eq!(r.groups[0].excellent_certain, ["A", "B"]);
    }

    fn figures(code: &str, group: PeerGroup, ranks: Option<(u32, u32)>, excellent: f64) -> UnitRobustness {
        UnitRobustness {
            unit_code: code.into(),
            unit_name: code.into(),
            group,
            nominal_rank: ranks.map(|r| r.0),
            median_rank: ranks.map(|r| r.0),
            rank_p5: ranks.map(|r| r.0),
            rank_p95: ranks.map(|r| r.1),
            grades: GradeShares { excellent, good: 1.0 - excellent, pass: 0.0, fail: 0.0 },
        }
    }

    /// robustness.md §1: per group "how many units' intervals span ≤ 3
    /// places; units whose excellence is certain (≥ 95%) or contested
    /// (5–95%)". Read: 95 % is certain (not contested), 5 % is contested;
    /// ungraded units and other groups' units are not counted.
    #[test]
    fn the_contested_band_runs_from_5_to_under_95_percent() {
        let county = PeerGroup::County;
        let units = [
            figures("C95", county, Some((1, 4)), 0.95),
            figures("C949", county, Some((1, 5)), 0.9499),
            figures("C05", county, Some((2, 5)), 0.05),
            figures("C0499", county, Some((3, 6)), 0.0499),
            figures("U", county, None, 0.5),
            figures("D1", PeerGroup::Department, Some((1, 1)), 0.5),
        ];
        let g = group_summary(county, &units);
        assert_eq!(g.units, 4);
        // Spans 3 (narrow), 4, 3 (narrow), 3 (narrow).
        assert_eq!(g.narrow, 3);
        assert_eq!(g.excellent_certain, ["C95"]);
        assert_eq!(g.excellent_contested, ["C949", "C05"]);
    }

    /// A unit of `group` with a linear value `a` and a deduction `d`.
    fn member(code: &str, group: PeerGroup, parent: Option<&str>, a: Option<f64>, d: Option<f64>) -> Unit {
        Unit { group, parent_code: parent.map(Into::into), ..unit(code, vec![a, d]) }
    }

    /// The model of [`three`] for every group.
    fn everywhere(units: Vec<Unit>) -> Model {
        let mut m = three();
        for i in &mut m.indicators {
            i.groups = PeerGroup::ALL.to_vec();
        }
        m.units = units;
        m
    }

    /// robustness.md §1: each draw "recomputes base, total, group ranks
    /// (competition ranking), county ranks, grades with the quota rule
    /// exactly as §5 of the method"; §5: "rank ≤ max(1, floor(0.30 × n))
    /// where n is the number of graded units in the group", and an
    /// ungraded unit "does not count in its group's size `n`". Checked on
    /// the nominal result, which every draw computes the same way.
    #[test]
    fn the_quota_counts_each_groups_graded_units_only() {
        // Ten departments at 100, 99, 98, 97, then 75 (a = 1, .98, .96,
        // .94, .5 with D = 0: 100 × (10a + 10)/20): quota floor(3.0) = 3.
        let mut units: Vec<Unit> = [1.0, 0.98, 0.96, 0.94, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
            .iter()
            .enumerate()
            .map(|(i, a)| member(&format!("D{i}"), PeerGroup::Department, None, Some(*a), Some(0.0)))
            .collect();
        // Six graded counties (100, 99, then 75) and a seventh without a
        // rate (ungraded): n = 6, quota floor(1.8) = 1, not floor(2.1) = 2.
        for (i, a) in [1.0, 0.98, 0.5, 0.5, 0.5, 0.5].iter().enumerate() {
            units.push(member(&format!("C{i}"), PeerGroup::County, None, Some(*a), Some(0.0)));
        }
        units.push(Unit { graded: false, ..member("CU", PeerGroup::County, None, None, Some(0.0)) });
        // A township to which nothing applies: no weight, base 0 (the
        // engine's reading where Σw = 0), ungraded.
        units.push(Unit { graded: false, ..member("TU", PeerGroup::Township, Some("C0"), None, None) });
        let m = everywhere(units);
        let o = m.nominal();
        let grade_of = |code: &str| o.grades[m.units.iter().position(|u| u.code == code).unwrap()];
        for (code, g) in [("D0", Grade::Excellent), ("D2", Grade::Excellent), ("D3", Grade::Good), ("C0", Grade::Excellent), ("C1", Grade::Good), ("CU", Grade::Ungraded)] {
            assert_eq!(grade_of(code), g, "{code}");
        }
        let cu = m.units.len() - 2;
        assert_eq!((o.totals[cu], o.ranks[cu]), (100.0, None), "CU: D = 0 of 10 → 100, unranked");
        assert_eq!((o.totals[cu + 1], o.ranks[cu + 1], o.grades[cu + 1]), (0.0, None, Grade::Ungraded));
    }

    /// §5: "Townships also get a rank among the graded townships of their
    /// county"; the bonus is added before rounding and ranking; a vetoed
    /// unit is `fail` and keeps its rank.
    #[test]
    fn county_ranks_bonus_and_veto_in_the_nominal_result() {
        let town = |code: &str, parent: &str, a: f64| member(code, PeerGroup::Township, Some(parent), Some(a), Some(0.0));
        let units = vec![
            // 100, and 75 + bonus 2 = 77, in county A; 90 (vetoed) in B.
            town("A1", "A", 1.0),
            Unit { bonus: 2.0, ..town("A2", "A", 0.5) },
            Unit { vetoed: true, ..town("B1", "B", 0.8) },
            member("A", PeerGroup::County, None, Some(1.0), Some(0.0)),
        ];
        let m = everywhere(units);
        let o = m.nominal();
        assert_eq!(o.totals, [100.0, 77.0, 90.0, 100.0]);
        assert_eq!(o.ranks, [Some(1), Some(3), Some(2), Some(1)]);
        assert_eq!(o.county_ranks, [Some(1), Some(2), Some(1), None]);
        assert_eq!(o.grades, [Grade::Excellent, Grade::Pass, Grade::Fail, Grade::Excellent]);
    }

    /// A simulation stops when asked while it runs, not only before its
    /// first draw ("checked every [`STOP_CHECK_EVERY`] draws").
    #[test]
    fn a_simulation_stops_when_asked_midway() {
        let m = three();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let asker = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let s = Settings { draws: MAX_DRAWS, ..Settings::default() };
        assert_eq!(m.simulate_until(&s, &stop).err(), Some(RobustnessError::Stopped));
        asker.join().unwrap();
    }

    /// The model reads the rulebook's indicators in its order: weight,
    /// kind, and for `linear` its thresholds; and the uniforms handed out
    /// for an independent check are `per_draw × draws` of the
    /// simulation's stream.
    #[test]
    fn the_model_is_the_rulebooks_and_its_uniforms_the_simulations() {
        let rules = Rulebook::parse(include_str!("../../seeds/rulebooks/2025.toml")).unwrap();
        let inds = Model::indicators_of(&rules);
        assert_eq!(inds.len(), 15);
        let ratio = &inds[9];
        assert_eq!((ratio.id.as_str(), ratio.weight, ratio.kind, ratio.bad, ratio.good), ("debt_ratio", 5.0, FunctionKind::Linear, 1.5, 1.0));
        let limit = &inds[10];
        assert_eq!((limit.id.as_str(), limit.kind, limit.groups.as_slice()), ("debt_limit", FunctionKind::PassFail, [PeerGroup::County].as_slice()));
        let m = Model { indicators: inds, units: Vec::new(), grades: rules.grades.clone() };
        // 11 linear × 3 + 3 deduct × 1 + 1 pass_fail × 0 = 36 per draw.
        assert_eq!(m.uniform_layout().0, 36);
        let s = Settings { draws: 3, seed: 5, ..Settings::default() };
        let u: Vec<f64> = m.uniforms(&s).collect();
        assert_eq!(u.len(), 108);
        assert!(u.iter().all(|x| (0.0..1.0).contains(x)));
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        assert_eq!(u[..3], [rng.random::<f64>(), rng.random::<f64>(), rng.random::<f64>()]);
    }

    #[test]
    fn without_variation_every_interval_is_the_nominal_rank() {
        let m = three();
        let s = Settings { factors: Factors { weights: 0.0, thresholds: 0.0 }, draws: 500, seed: 7 };
        let r = m.simulate(&s).unwrap();
        for u in &r.units {
            assert_eq!((u.median_rank, u.rank_p5, u.rank_p95), (u.nominal_rank, u.nominal_rank, u.nominal_rank), "{}", u.unit_code);
            for p in [u.grades.excellent, u.grades.good, u.grades.pass, u.grades.fail] {
                assert!(p == 0.0 || p == 1.0);
            }
        }
        assert_eq!(r.units[1].grades.excellent, 1.0);
        assert_eq!(r.groups[0].narrow, 3);
        assert_eq!(r.groups[0].excellent_certain, ["B"]);
    }

    #[test]
    fn a_simulation_stops_when_asked_and_runs_whole_when_not() {
        let m = three();
        let s = Settings { factors: Factors::default(), draws: 500, seed: 7 };
        let stop = std::sync::atomic::AtomicBool::new(true);
        assert_eq!(m.simulate_until(&s, &stop).err(), Some(RobustnessError::Stopped));
        stop.store(false, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(format!("{:?}", m.simulate_until(&s, &stop).unwrap()), format!("{:?}", m.simulate(&s).unwrap()));
    }

    #[test]
    fn the_same_settings_give_the_same_report_and_another_seed_another() {
        // Two linear indicators of equal weight: A leads on x, B on y, by
        // about as much, so the weights decide between them; C is far
        // behind on both.
        let groups = vec![PeerGroup::County];
        let linear = |id: &str| Indicator { id: id.into(), weight: 10.0, kind: FunctionKind::Linear, bad: 0.0, good: 1.0, groups: groups.clone() };
        let m = Model {
            indicators: vec![linear("x"), linear("y")],
            units: vec![unit("A", vec![Some(1.0), Some(0.72)]), unit("B", vec![Some(0.7), Some(1.0)]), unit("C", vec![Some(0.2), Some(0.2)])],
            grades: rules(),
        };
        assert_eq!(m.nominal().ranks, [Some(1), Some(2), Some(3)]);
        let s = Settings { factors: Factors::default(), draws: 2000, seed: 1 };
        let a = format!("{:?}", m.simulate(&s).unwrap());
        assert_eq!(a, format!("{:?}", m.simulate(&s).unwrap()));
        let b = format!("{:?}", m.simulate(&Settings { seed: 2, ..s }).unwrap());
        assert_ne!(a, b);
        let r = m.simulate(&s).unwrap();
        assert_eq!((r.units[0].rank_p5, r.units[0].rank_p95), (Some(1), Some(2)));
        assert_eq!((r.units[1].rank_p5, r.units[1].rank_p95), (Some(1), Some(2)));
        assert_eq!((r.units[2].rank_p5, r.units[2].median_rank, r.units[2].rank_p95), (Some(3), Some(3), Some(3)));
        assert_eq!(r.units[2].grades.fail, 1.0);
    }

    #[test]
    fn percentiles_are_ranks_that_occurred() {
        // 10 draws: rank 1 three times, rank 2 six times, rank 5 once.
        let h = [0, 3, 6, 0, 0, 1];
        assert_eq!(percentile(&h, 10, 5), 1);
        assert_eq!(percentile(&h, 10, 30), 1, "ceil(3) = 3rd smallest");
        assert_eq!(percentile(&h, 10, 31), 2);
        assert_eq!(percentile(&h, 10, 50), 2);
        assert_eq!(percentile(&h, 10, 95), 5);
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        let ok = Settings { factors: Factors::default(), draws: 10, seed: 0 };
        assert!(ok.check().is_ok());
        assert_eq!(Settings { draws: 0, ..ok }.check(), Err(RobustnessError::Draws(0)));
        assert!(Settings { factors: Factors { weights: 1.0, thresholds: 0.1 }, ..ok }.check().is_err());
        assert!(Settings { factors: Factors { weights: 0.2, thresholds: 0.5 }, ..ok }.check().is_err());
        assert!(Settings { factors: Factors { weights: f64::NAN, thresholds: 0.1 }, ..ok }.check().is_err());
    }
}
