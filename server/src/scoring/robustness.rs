//! How sure is a rank (robustness.md §1), from a stored version: its
//! rulebook and every unit's indicator values become the simulation's
//! model ([`analytics::robustness`]); the nominal result recomputed from
//! them must equal the stored totals, ranks, county ranks and grades, or
//! nothing is simulated. Nothing is stored; the answer is a function of
//! (version, factors, draws, seed), which the web caches.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use analytics::domain::Grade;
use analytics::robustness::{Model, Report, RobustnessError, Settings, Unit};
use analytics::rulebook::Rulebook;
use serde::Serialize;

use super::ScoringError;
use super::results::{ResultRows, VersionInfo};
use super::stored::Stored;
use crate::db::Db;

/// The answer: which version, and the simulation's report.
#[derive(Debug, Clone, Serialize)]
pub struct Robustness {
    pub year: i32,
    pub version: i64,
    #[serde(flatten)]
    pub report: Report,
}

impl Robustness {
    /// What a unit's own user may see: its own figures (interval, grade
    /// probabilities, its leave-one-out rows) and its group's counts, never
    /// another unit's figures or code.
    pub fn for_unit(&self, code: &str) -> Robustness {
        let mut r = self.clone();
        let group = r.report.units.iter().find(|u| u.unit_code == code).map(|u| u.group);
        r.report.units.retain(|u| u.unit_code == code);
        r.report.groups.retain(|g| Some(g.group) == group);
        for g in &mut r.report.groups {
            g.excellent_certain.retain(|c| c == code);
            g.excellent_contested.retain(|c| c == code);
        }
        for l in &mut r.report.leave_one_out {
            l.units.retain(|u| u.unit_code == code);
        }
        r.report.leave_one_out.retain(|l| !l.units.is_empty());
        r
    }
}

/// The model of `stored`, its nominal result checked against the stored
/// one.
pub fn checked_model(stored: &Stored) -> Result<Model, RobustnessError> {
    let model = model(&stored.rules, &stored.rows);
    check_nominal(&model, &stored.rows)?;
    Ok(model)
}

/// The simulation of `version` under `settings`. The version is read from
/// the database ([`Stored::read`]), not taken from what is kept: the
/// nominal check refuses values altered behind the application's back,
/// and one read beside thousands of draws costs nothing (the web keeps
/// each simulation).
pub async fn robustness(db: &Db, version: &VersionInfo, settings: Settings) -> Result<Robustness, ScoringError> {
    settings.check()?;
    let model = checked_model(&Stored::read(db, version).await?)?;
    let report = simulate(model, settings).await?;
    Ok(Robustness { year: version.year, version: version.version, report })
}

/// Simulations running now in this process.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// How many simulations are running now (on the blocking pool).
pub fn running() -> usize {
    RUNNING.load(Ordering::SeqCst)
}

/// Runs `model`'s simulation on the blocking pool. Dropping the returned
/// future (its request went away, or ran out of time) stops the
/// computation within [`analytics::robustness::STOP_CHECK_EVERY`] draws:
/// a blocking task is not cancelled with the future that awaits it, and
/// abandoned simulations would otherwise burn the cores the expensive
/// places are meant to share.
pub async fn simulate(model: Model, settings: Settings) -> Result<Report, ScoringError> {
    /// Sets the stop flag when the awaiting future is dropped (or ends).
    struct StopOnDrop(Arc<AtomicBool>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    /// Counts a simulation as running while it lives.
    struct Running;
    impl Drop for Running {
        fn drop(&mut self) {
            RUNNING.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_when_dropped = StopOnDrop(stop.clone());
    let run = tokio::task::spawn_blocking(move || {
        RUNNING.fetch_add(1, Ordering::SeqCst);
        let _running = Running;
        model.simulate_until(&settings, &stop)
    });
    Ok(run.await.map_err(|e| ScoringError::Interrupted(e.to_string()))??)
}

/// The version as the simulation sees it: the rulebook's indicators and,
/// per unit, each one's stored value where it applied.
pub fn model(rules: &Rulebook, rows: &ResultRows) -> Model {
    let indicators = Model::indicators_of(rules);
    let mut values: HashMap<(&str, &str), Option<f64>> = HashMap::new();
    for r in &rows.indicators {
        values.insert((r.unit_code.as_str(), r.indicator.as_str()), r.value.filter(|_| r.applicable));
    }
    let units = rows
        .units
        .iter()
        .map(|u| Unit {
            code: u.unit_code.clone(),
            name: u.unit_name.clone(),
            group: u.group,
            parent_code: u.parent_code.clone(),
            bonus: u.bonus,
            vetoed: u.vetoed,
            graded: u.grade != Grade::Ungraded,
            values: indicators.iter().map(|i| values.get(&(u.unit_code.as_str(), i.id.as_str())).copied().flatten()).collect(),
        })
        .collect();
    Model { indicators, units, grades: rules.grades.clone() }
}

/// Refuses a model whose nominal result is not the stored one.
fn check_nominal(model: &Model, rows: &ResultRows) -> Result<(), RobustnessError> {
    let nominal = model.nominal();
    let differing: Vec<String> = rows
        .units
        .iter()
        .enumerate()
        .filter(|(i, u)| {
            nominal.totals[*i].to_bits() != u.total.to_bits()
                || nominal.ranks[*i].map(i64::from) != u.rank
                || nominal.county_ranks[*i].map(i64::from) != u.county_rank
                || nominal.grades[*i] != u.grade
        })
        .map(|(_, u)| u.unit_code.clone())
        .take(10)
        .collect();
    if differing.is_empty() {
        Ok(())
    } else {
        Err(RobustnessError::Nominal(format!("recomputed from the stored values, these units differ: {}", differing.join(", "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use analytics::domain::PeerGroup;
    use analytics::robustness::{Factors, Indicator};
    use analytics::rulebook::GradeRules;

    /// 300 counties on 20 linear indicators: a simulation of many draws
    /// takes far longer than the test waits.
    fn big() -> Model {
        let indicators = (0..20).map(|i| Indicator { id: format!("x{i}"), weight: 5.0, kind: analytics::rulebook::FunctionKind::Linear, bad: 0.0, good: 1.0, groups: vec![PeerGroup::County] }).collect();
        let units = (0..300)
            .map(|u| Unit {
                code: format!("U{u:03}"),
                name: format!("U{u:03}"),
                group: PeerGroup::County,
                parent_code: None,
                bonus: 0.0,
                vetoed: false,
                graded: true,
                values: (0..20).map(|i| Some(((u * 7 + i * 13) % 100) as f64 / 100.0)).collect(),
            })
            .collect();
        Model { indicators, units, grades: GradeRules { excellent: 90.0, good: 80.0, pass: 60.0, excellent_quota: 0.3 } }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_simulation_stops_computing() {
        let settings = Settings { factors: Factors::default(), draws: analytics::robustness::MAX_DRAWS, seed: 1 };
        let abandoned = tokio::time::timeout(std::time::Duration::from_millis(300), simulate(big(), settings)).await;
        assert!(abandoned.is_err(), "the simulation was still running when its request went away");
        let started = std::time::Instant::now();
        while running() > 0 {
            assert!(started.elapsed() < std::time::Duration::from_secs(5), "the abandoned simulation keeps computing");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}
