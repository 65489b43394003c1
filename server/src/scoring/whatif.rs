//! What-if under another rulebook (robustness.md §2): a year's stored
//! inputs scored under another rulebook (another year's, or an edited
//! file) beside a stored version, nothing stored. The alternative is
//! scored as of the stored version's as_of, so the rulebook is the only
//! thing that differs, unless the data changed since the version was
//! computed, which the answer says.

use analytics::domain::{Grade, PeerGroup};
use analytics::rulebook::Rulebook;
use analytics::window::Window;
use serde::Serialize;

use super::results::{self, ResultRows};
use super::stored::Stored;
use super::{ScoringError, load};
use crate::clock::now_cst;
use crate::db::Db;

/// One unit under both rulebooks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIfRow {
    pub unit_code: String,
    pub unit_name: String,
    pub group: PeerGroup,
    pub stored_total: f64,
    pub stored_rank: Option<i64>,
    pub stored_grade: Grade,
    pub total: f64,
    pub rank: Option<i64>,
    pub grade: Grade,
    /// Places moved up (positive) or down; none when either is ungraded.
    pub rank_change: Option<i64>,
}

/// The comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIf {
    pub year: i32,
    /// The stored version compared with.
    pub version: i64,
    /// The alternative rulebook's own title and year.
    pub rulebook_title: String,
    pub rulebook_year: i32,
    /// The data changed since the version was computed: the differences
    /// include those changes, not only the rulebook's.
    pub data_changed: bool,
    /// Rank changes first, the largest first; then the rest by group and
    /// rank.
    pub units: Vec<WhatIfRow>,
}

/// Scores the stored version's year's inputs under `rules` (its year set
/// to that year: a rulebook of another year is tried as this year's) as of
/// the version's as_of, and sets the result beside the version's.
pub async fn whatif(db: &Db, stored: &Stored, mut rules: Rulebook) -> Result<WhatIf, ScoringError> {
    let version = &stored.info;
    let year = version.year;
    let (rulebook_title, rulebook_year) = (rules.title.clone(), rules.year);
    rules.year = year;
    rules.validate()?;
    let window = Window::new(year, Some(version.as_of), now_cst())?;
    let loaded = load::current(db, year).await?;
    let (loaded, assessment) = load::run(db, year, loaded, move |inputs| analytics::score::assess(inputs, &rules, &window, None)).await?;
    let data_changed = loaded.fingerprint != version.inputs_fingerprint;
    let alternative = ResultRows::from_assessment(&assessment)?;
    Ok(WhatIf { year, version: version.version, rulebook_title, rulebook_year, data_changed, units: compare(&stored.rows, &alternative) })
}

/// Each stored unit beside its alternative result, sorted for reading.
fn compare(stored: &ResultRows, alternative: &ResultRows) -> Vec<WhatIfRow> {
    let mut rows: Vec<WhatIfRow> = stored
        .units
        .iter()
        .filter_map(|s| {
            let a = alternative.units.iter().find(|a| a.unit_code == s.unit_code)?;
            Some(WhatIfRow {
                unit_code: s.unit_code.clone(),
                unit_name: s.unit_name.clone(),
                group: s.group,
                stored_total: s.total,
                stored_rank: s.rank,
                stored_grade: s.grade,
                total: a.total,
                rank: a.rank,
                grade: a.grade,
                rank_change: s.rank.zip(a.rank).map(|(before, after)| before - after),
            })
        })
        .collect();
    rows.sort_by_key(|r| {
        let moved = r.rank_change.unwrap_or(0).abs();
        (std::cmp::Reverse(moved), results::group_order(r.group.code()), r.stored_rank.unwrap_or(i64::MAX), r.unit_code.clone())
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::results::UnitResult;

    fn unit(code: &str, total: f64, rank: Option<i64>, grade: Grade) -> UnitResult {
        UnitResult {
            unit_code: code.into(),
            unit_name: code.into(),
            group: PeerGroup::County,
            parent_code: None,
            total,
            base: total,
            bonus: 0.0,
            rank,
            county_rank: None,
            group_size: 3,
            grade,
            vetoed: false,
            veto_reason: None,
            prev_total: None,
            prev_rank: None,
            total_change: None,
            rank_change: None,
        }
    }

    fn rows(units: Vec<UnitResult>) -> ResultRows {
        ResultRows { units, indicators: Vec::new(), quality: Vec::new() }
    }

    #[test]
    fn the_largest_moves_come_first_and_ungraded_units_have_no_change() {
        let stored = rows(vec![unit("A", 95.0, Some(1), Grade::Excellent), unit("B", 90.0, Some(2), Grade::Good), unit("C", 80.0, Some(3), Grade::Good), unit("U", 100.0, None, Grade::Ungraded)]);
        let other = rows(vec![unit("A", 85.0, Some(3), Grade::Good), unit("B", 92.0, Some(1), Grade::Excellent), unit("C", 88.0, Some(2), Grade::Good), unit("U", 100.0, None, Grade::Ungraded)]);
        let out = compare(&stored, &other);
        let order: Vec<(&str, Option<i64>)> = out.iter().map(|r| (r.unit_code.as_str(), r.rank_change)).collect();
        assert_eq!(order, [("A", Some(-2)), ("B", Some(1)), ("C", Some(1)), ("U", None)]);
        assert_eq!((out[1].stored_grade, out[1].grade), (Grade::Good, Grade::Excellent));
    }
}
