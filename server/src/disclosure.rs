//! What the public may see (integrity-records.md §1, 信用公示): the
//! results of published versions only, never a provisional one; indicator
//! points only where the year's rulebook says `[disclosure] results_detail
//! = true`. (Disclosure of records follows with `analytics::disclosure`.)

use analytics::rulebook::Rulebook;

use crate::db::Db;
use crate::scoring::ScoringError;
use crate::scoring::results::{self, IndicatorResult, UnitResult, VersionInfo};

/// A year's published result as the public sees it.
pub struct PublishedResults {
    pub version: VersionInfo,
    pub units: Vec<UnitResult>,
    /// Every unit's indicator rows, when the rulebook discloses them;
    /// empty otherwise.
    pub indicators: Vec<IndicatorResult>,
    pub rules: Rulebook,
}

/// Years with a published version, newest first.
pub async fn published_years(db: &Db) -> Result<Vec<i32>, ScoringError> {
    let mut years: Vec<i32> = results::year_states(db).await?.into_iter().filter(|s| s.published > 0).map(|s| s.year).collect();
    years.reverse();
    Ok(years)
}

/// The latest published version of `year` (a correction is a newer
/// published version), or `None` when nothing of the year is published.
pub async fn results(db: &Db, year: i32) -> Result<Option<PublishedResults>, ScoringError> {
    let versions = results::versions(db, year).await?;
    let Some(version) = versions.into_iter().filter(|v| v.published_at.is_some()).max_by_key(|v| v.version) else {
        return Ok(None);
    };
    let rules = Rulebook::parse(&results::rulebook_text(db, version.id).await?)?;
    let units = results::read_units(db, version.id).await?;
    let indicators = if rules.disclosure.results_detail { results::read_indicators(db, version.id, None).await? } else { Vec::new() };
    Ok(Some(PublishedResults { version, units, indicators, rules }))
}
