//! What a unit's scorecard shows, read from stored versions: its result,
//! its indicators beside last year's points, and its result in every year.
//! The scorecard page, a unit's PDF report and the ZIP of every unit's
//! report read it alike; [`Cards`] holds each version it shows once
//! ([`stored::load`]), however many units' cards are taken from it.

use std::collections::HashMap;
use std::sync::Arc;

use super::ScoringError;
use super::results::{IndicatorResult, UnitResult};
use super::stored::{self, Stored};
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
    /// The version the cards are of.
    pub stored: Arc<Stored>,
    /// The version last year shows, if any.
    previous: Option<Arc<Stored>>,
    /// The version each other year asked for shows.
    years: Vec<(i32, Arc<Stored>)>,
}

impl Cards {
    /// Cards of `stored` with, for trends, the version each other year in
    /// `years` shows, and for changes the version last year shows.
    pub async fn load(db: &Db, years: &[i32], stored: Arc<Stored>) -> Result<Cards, ScoringError> {
        let year = stored.info.year;
        let previous = stored::shown(db, year - 1).await?;
        let mut other_years = Vec::new();
        for &y in years.iter().filter(|&&y| y != year) {
            let shown = match &previous {
                Some(p) if y == year - 1 => Some(p.clone()),
                _ => stored::shown(db, y).await?,
            };
            other_years.extend(shown.map(|s| (y, s)));
        }
        Ok(Cards { stored, previous, years: other_years })
    }

    /// The version last year shows (what a change is measured from).
    pub fn previous(&self) -> Option<&Stored> {
        self.previous.as_deref()
    }

    /// The card of unit `code`, if it has a result in this version.
    pub fn card(&self, code: &str) -> Option<Card<'_>> {
        let unit = self.stored.unit(code)?;
        let units = &self.stored.rows.units;
        let peers = units.iter().filter(|u| u.group == unit.group).collect();
        let before: HashMap<&str, Option<f64>> = self
            .previous
            .iter()
            .flat_map(|p| p.rows.indicators.iter().filter(|r| r.unit_code == code).map(|r| (r.indicator.as_str(), r.points)))
            .collect();
        let indicators =
            self.stored.rows.indicators.iter().filter(|r| r.unit_code == code).map(|r| (r, before.get(r.indicator.as_str()).copied().flatten())).collect();
        let mut trend: Vec<TrendYear<'_>> = self
            .years
            .iter()
            .filter_map(|(y, s)| s.unit(code).map(|u| TrendYear { year: *y, unit: u, provisional: s.info.published_at.is_none() }))
            .collect();
        trend.push(TrendYear { year: self.stored.info.year, unit, provisional: self.stored.info.published_at.is_none() });
        trend.sort_by_key(|t| t.year);
        Some(Card { unit, peers, indicators, trend })
    }
}
