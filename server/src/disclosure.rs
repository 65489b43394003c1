//! What the public may see (integrity-records.md §1, 信用公示): the
//! results of published versions only, never a provisional one; indicator
//! points only where the year's rulebook says `[disclosure] results_detail
//! = true`. (Disclosure of records follows with `analytics::disclosure`.)

use analytics::rulebook::Rulebook;

use crate::db::{Db, DbError};
use crate::scoring::ScoringError;
use crate::scoring::results::{IndicatorResult, UnitResult, VersionInfo};

/// What disclosure fails at: storage, or a stored rulebook that no longer
/// reads (never a refusal: everything here is public).
#[derive(Debug, thiserror::Error)]
pub enum DisclosureError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Rulebook(#[from] analytics::rulebook::RulebookError),
    /// A published version could not be read.
    #[error(transparent)]
    Stored(#[from] ScoringError),
}

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
pub async fn published_years(db: &Db) -> Result<Vec<i32>, DisclosureError> {
    let mut years: Vec<i32> = crate::db::results::year_states(db).await?.into_iter().filter(|s| s.published > 0).map(|s| s.year).collect();
    years.reverse();
    Ok(years)
}

/// The latest published version of `year` (a correction is a newer
/// published version), or `None` when nothing of the year is published.
pub async fn results(db: &Db, year: i32) -> Result<Option<PublishedResults>, DisclosureError> {
    let versions = crate::db::results::versions(db, year).await?;
    let Some(version) = versions.into_iter().filter(|v| v.published_at.is_some()).max_by_key(|v| v.version) else {
        return Ok(None);
    };
    let stored = crate::scoring::stored::load(db, &version).await?;
    let rules = stored.rules.clone();
    let units = stored.rows.units.clone();
    let indicators = if rules.disclosure.results_detail { stored.rows.indicators.clone() } else { Vec::new() };
    Ok(Some(PublishedResults { version, units, indicators, rules }))
}

/// A record's state as the public reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordStatus {
    /// 整改中: not rectified.
    Rectifying,
    /// 已整改
    Rectified,
    /// 已修复: credit repaired (mitigation reduced or exempt).
    Repaired,
}

impl RecordStatus {
    pub fn code(self) -> &'static str {
        match self {
            RecordStatus::Rectifying => "rectifying",
            RecordStatus::Rectified => "rectified",
            RecordStatus::Repaired => "repaired",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RecordStatus::Rectifying => "整改中",
            RecordStatus::Rectified => "已整改",
            RecordStatus::Repaired => "已修复",
        }
    }
}

/// One disclosed record: never its id, a person, notes or evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct DisclosedRecord {
    /// A lighter treatment decided with the record itself (imported), not
    /// through a credit repair: shown beside the status, never as 已修复.
    pub decided_mitigation: Option<analytics::domain::Mitigation>,
    pub unit_code: String,
    pub unit_name: String,
    pub kind: analytics::domain::DishonestyType,
    pub occurred_on: chrono::NaiveDate,
    pub rectify_deadline: Option<chrono::NaiveDate>,
    pub status: RecordStatus,
}

/// The rulebook whose `[disclosure]` periods apply on `day`: that year's,
/// else the newest earlier one.
pub fn rules_on(day: chrono::NaiveDate) -> Option<analytics::disclosure::DisclosureRules> {
    crate::scoring::rulebook_in_force(day).map(|r| r.disclosure)
}

/// The government bodies' dishonesty records the public sees on `day`,
/// newest first: within their type's publicity period, never voided by an
/// accepted objection, never a person's.
pub async fn records(db: &Db, day: chrono::NaiveDate) -> Result<Vec<DisclosedRecord>, DisclosureError> {
    use analytics::disclosure::RecordFacts;
    use analytics::domain::Mitigation;
    let Some(rules) = rules_on(day) else { return Ok(Vec::new()) };
    let voided = crate::db::objections::voided(db, "dishonesty").await?;
    let names = crate::db::units::names(db).await?;
    let mut shown = Vec::new();
    let repairs = crate::repairs::effective(db).await?;
    for mut r in crate::db::records::of_bodies(db).await? {
        let kind = r.record_type;
        // An accepted repair (integrity-records.md §2) brings its decision
        // day and its values; a mitigation imported with the record has no
        // decision day and does not end disclosure.
        let repair = repairs.get(&r.id);
        if let Some(a) = repair {
            r.mitigation = a.mitigation;
            r.rectified_on = a.rectified_on.or(r.rectified_on);
        }
        let facts = RecordFacts {
            kind,
            of_a_body: true,
            occurred_on: r.occurred_on,
            rectified_on: r.rectified_on,
            voided: voided.contains(&r.id),
            repaired_on: repair.map(|a| a.decided_at.date()),
        };
        if !rules.shown_on(&facts, day) {
            continue;
        }
        // 已修复 only for an accepted repair application; a mitigation
        // decided with the record (imported) is named for what it is.
        let status = match (repair.is_some(), r.rectified_on) {
            (true, _) => RecordStatus::Repaired,
            (false, Some(_)) => RecordStatus::Rectified,
            (false, None) => RecordStatus::Rectifying,
        };
        let decided_mitigation = match r.mitigation {
            m @ (Mitigation::Reduced | Mitigation::Exempt) if repair.is_none() => Some(m),
            _ => None,
        };
        shown.push(DisclosedRecord {
            unit_name: names.of(&r.unit_code),
            unit_code: r.unit_code,
            kind,
            occurred_on: r.occurred_on,
            rectify_deadline: r.rectify_deadline,
            status,
            decided_mitigation,
        });
    }
    Ok(shown)
}
