//! What a unit's scorecard shows, read from stored versions: its result,
//! its indicators beside last year's points, and its result in every year.
//! The scorecard page, a unit's PDF report and the ZIP of every unit's
//! report read it alike; [`Cards`] reads a version once for many units.

use std::collections::HashMap;

use analytics::rulebook::Rulebook;

use super::ScoringError;
use super::results::{self, IndicatorResult, UnitResult, VersionInfo};
use crate::db::Db;

/// One unit's card.
#[derive(Debug, Clone)]
pub struct Card<'a> {
    pub unit: &'a UnitResult,
    /// The unit's group, in stored order.
    pub peers: Vec<&'a UnitResult>,
    /// Each indicator with the unit's points on it last year (the version
    /// last year's overview shows), in rulebook order.
    pub indicators: Vec<(&'a IndicatorResult, Option<f64>)>,
    /// The unit's result in every year that has one, oldest first.
    pub trend: Vec<TrendYear<'a>>,
}

/// One year of a unit's trend: the result of the version that year shows.
#[derive(Debug, Clone, Copy)]
pub struct TrendYear<'a> {
    pub year: i32,
    pub unit: &'a UnitResult,
    /// That version is not published: its figures are provisional (暂定)
    /// and must say so wherever they appear.
    pub provisional: bool,
}

/// A version's results with what cards need around them.
pub struct Cards {
    pub version: VersionInfo,
    pub rules: Rulebook,
    pub units: Vec<UnitResult>,
    indicators: HashMap<String, Vec<IndicatorResult>>,
    previous: HashMap<(String, String), Option<f64>>,
    /// Each other year's shown version's units, and whether that version
    /// is provisional (unpublished).
    years: Vec<(i32, bool, Vec<UnitResult>)>,
}

impl Cards {
    /// Reads `version` of `year` and, for trends and changes, the version
    /// each other year in `years` shows. `unit` narrows the indicators read
    /// to one unit's.
    pub async fn load(db: &Db, years: &[i32], version: VersionInfo, unit: Option<&str>) -> Result<Cards, ScoringError> {
        let year = version.year;
        let units = results::read_units(db, version.id).await?;
        let rules = Rulebook::parse(&results::rulebook_text(db, version.id).await?)?;
        let mut indicators: HashMap<String, Vec<IndicatorResult>> = HashMap::new();
        for r in results::read_indicators(db, version.id, unit).await? {
            indicators.entry(r.unit_code.clone()).or_default().push(r);
        }
        let mut previous = HashMap::new();
        if let Some(p) = results::default_version(&results::versions(db, year - 1).await?) {
            for r in results::read_indicators(db, p.id, unit).await? {
                previous.insert((r.unit_code, r.indicator), r.points);
            }
        }
        let mut other_years = Vec::new();
        for &y in years.iter().filter(|&&y| y != year) {
            if let Some(v) = results::default_version(&results::versions(db, y).await?) {
                other_years.push((y, v.published_at.is_none(), results::read_units(db, v.id).await?));
            }
        }
        Ok(Cards { version, rules, units, indicators, previous, years: other_years })
    }

    /// The card of unit `code`, if it has a result in this version.
    pub fn card(&self, code: &str) -> Option<Card<'_>> {
        let unit = self.units.iter().find(|u| u.unit_code == code)?;
        let peers = self.units.iter().filter(|u| u.group == unit.group).collect();
        let indicators = self
            .indicators
            .get(code)
            .map(|rows| rows.iter().map(|r| (r, self.previous.get(&(code.to_string(), r.indicator.clone())).copied().flatten())).collect())
            .unwrap_or_default();
        let year = self.version.year;
        let mut trend: Vec<TrendYear<'_>> = self
            .years
            .iter()
            .filter_map(|(y, provisional, units)| units.iter().find(|u| u.unit_code == code).map(|u| TrendYear { year: *y, unit: u, provisional: *provisional }))
            .collect();
        trend.push(TrendYear { year, unit, provisional: self.version.published_at.is_none() });
        trend.sort_by_key(|t| t.year);
        Some(Card { unit, peers, indicators, trend })
    }
}
