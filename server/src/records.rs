//! A unit's source records as its readers may see them: the records behind
//! one indicator (the drill-down's page, CSV and API) and one record with
//! the import that last wrote it and its history. Redacted for the viewer
//! here, not in the adapters: only a viewer who sees the unit in full gets
//! anything, a record of another unit is never handed out, and personal
//! columns (person references, names) come back masked unless the viewer
//! may see them (`auth::access`).

use std::collections::HashSet;

use crate::auth::{Capability, User};
use crate::db::batches::{self, BatchInfo};
use crate::db::records as stored;
use crate::db::{Db, DbError};
use crate::scoring::explain::IndicatorExplanation;
use crate::sources::{Kind, Source, SourceSpec};

pub use crate::db::Value;

/// How a masked personal value reads, everywhere.
pub const MASKED: &str = "***";

#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// The viewer does not see this unit in full.
    #[error("not allowed to see this unit's records")]
    Forbidden,
    /// No such source or record, or not the unit's.
    #[error("not found")]
    NotFound,
}

/// Which of an indicator's records to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Those that cost the unit points.
    Cost,
    /// Every record counted.
    Counted,
    /// Those voided by an accepted objection.
    Voided,
}

impl Listing {
    pub fn code(self) -> &'static str {
        match self {
            Listing::Cost => "cost",
            Listing::Counted => "counted",
            Listing::Voided => "voided",
        }
    }
}

/// How late a record met its deadline, or, not met by the version's
/// as-of time, how far past it it was then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lateness {
    pub minutes: i64,
    /// Not met at all by the as-of time.
    pub open: bool,
    /// The deadline is a date, so lateness counts in whole days.
    pub days: bool,
}

/// The records of one indicator's list, filtered, for one viewer.
pub struct Drill {
    pub unit_code: String,
    pub explanation: IndicatorExplanation,
    /// The version's as-of time: how far past its deadline an open record was.
    pub as_of: chrono::NaiveDateTime,
    /// The source of the records (none for an indicator without records).
    pub spec: Option<&'static SourceSpec>,
    pub listing: Listing,
    /// How many records cost points, were counted, were voided.
    pub sizes: (usize, usize, usize),
    cost: HashSet<String>,
    voided: HashSet<String>,
    /// The ids listed, when unfiltered (rows are read a page at a time).
    ids: Vec<String>,
    /// The rows listed, when filtered (all had to be read to filter).
    filtered: Option<Vec<Vec<Value>>>,
    mask: bool,
}

/// The source whose records an indicator counts.
fn spec_of(indicator: &str) -> Option<&'static SourceSpec> {
    analytics::indicators::record_source(indicator).and_then(Source::parse).map(Source::spec)
}

impl Drill {
    /// The records behind `explanation` (of unit `code`, in a version as
    /// of `as_of`), listed as `listing` asks and kept to those containing
    /// `filter` (in a column the viewer may read), for `viewer`.
    pub async fn load(db: &Db, viewer: &User, code: &str, explanation: IndicatorExplanation, as_of: chrono::NaiveDateTime, listing: Listing, filter: &str) -> Result<Drill, RecordsError> {
        if !viewer.sees_unit_in_full(code) {
            return Err(RecordsError::Forbidden);
        }
        let list = |l: &Option<Vec<String>>| l.clone().unwrap_or_default();
        let (cost, counted, voided) = (list(&explanation.cost_points), list(&explanation.counted), list(&explanation.voided));
        let sizes = (cost.len(), counted.len(), voided.len());
        let ids = match listing {
            Listing::Cost => cost.clone(),
            Listing::Counted => counted,
            Listing::Voided => voided.clone(),
        };
        let spec = spec_of(&explanation.indicator).filter(|_| explanation.counted.is_some());
        let mask = !viewer.may(Capability::SeePersonalDetails);
        let filter = filter.trim().to_lowercase();
        let filtered = match (spec, filter.is_empty()) {
            (Some(spec), false) => {
                let rows = stored::by_ids(db, spec, &ids).await?;
                let readable = |c: &crate::sources::Column| !(mask && stored::is_personal(c.name));
                Some(
                    rows.into_iter()
                        .map(|(values, _)| values)
                        .filter(|values| belongs_to(spec, values, code))
                        .filter(|values| spec.columns.iter().zip(values).any(|(c, v)| readable(c) && v.to_canonical().to_lowercase().contains(&filter)))
                        .map(|values| masked(spec, values, mask))
                        .collect(),
                )
            }
            _ => None,
        };
        Ok(Drill {
            unit_code: code.to_string(),
            as_of,
            explanation,
            spec,
            listing,
            sizes,
            cost: cost.into_iter().collect(),
            voided: voided.into_iter().collect(),
            ids,
            filtered,
            mask,
        })
    }

    /// Records matching, over all pages.
    pub fn matching(&self) -> usize {
        self.filtered.as_ref().map_or(self.ids.len(), Vec::len)
    }

    /// The rows of page `page` (1-based) of `per_page`, masked for the viewer.
    pub async fn page(&self, db: &Db, page: usize, per_page: usize) -> Result<Vec<Vec<Value>>, RecordsError> {
        let skip = page.saturating_sub(1).saturating_mul(per_page);
        match (&self.filtered, self.spec) {
            (Some(rows), _) => Ok(rows.iter().skip(skip).take(per_page).cloned().collect()),
            (None, Some(spec)) => {
                let ids: Vec<String> = self.ids.iter().skip(skip).take(per_page).cloned().collect();
                Ok(self.owned(spec, stored::by_ids(db, spec, &ids).await?))
            }
            (None, None) => Ok(Vec::new()),
        }
    }

    /// Keeps only rows of the unit asked for (the ids come from the unit's
    /// explanation, and this holds even if data changed since), masked.
    fn owned(&self, spec: &SourceSpec, rows: Vec<(Vec<Value>, Option<i64>)>) -> Vec<Vec<Value>> {
        rows.into_iter().map(|(values, _)| values).filter(|values| belongs_to(spec, values, &self.unit_code)).map(|values| masked(spec, values, self.mask)).collect()
    }

    /// Every row listed.
    pub async fn all(&self, db: &Db) -> Result<Vec<Vec<Value>>, RecordsError> {
        self.page(db, 1, usize::MAX).await
    }

    pub fn id_of(&self, row: &[Value]) -> String {
        self.spec.map(|s| row[s.key[0]].to_canonical()).unwrap_or_default()
    }

    /// How record `id` was scored: voided, cost points, or only counted
    /// (the list it is in, narrowest first).
    pub fn scoring(&self, id: &str) -> Listing {
        if self.voided.contains(id) {
            Listing::Voided
        } else if self.cost.contains(id) {
            Listing::Cost
        } else {
            Listing::Counted
        }
    }

    /// How late a listed row was ([`lateness`]).
    pub fn late(&self, row: &[Value]) -> Option<Lateness> {
        self.spec.and_then(|s| lateness(s, row, self.as_of))
    }
}

/// One record as its page shows it.
pub struct OneRecord {
    pub spec: &'static SourceSpec,
    /// Its values in the source's columns, masked for the viewer.
    pub values: Vec<Value>,
    /// The import batch that last wrote it.
    pub batch: Option<BatchInfo>,
    pub history: Vec<crate::history::Entry>,
}

/// Record `id` of `source` belonging to unit `code`, for `viewer`.
pub async fn one(db: &Db, viewer: &User, code: &str, source: &str, id: &str) -> Result<OneRecord, RecordsError> {
    if !viewer.sees_unit_in_full(code) {
        return Err(RecordsError::Forbidden);
    }
    let spec = Source::parse(source)
        .map(Source::spec)
        .filter(|s| s.key.len() == 1 && crate::objections::record_source(s.file_stem))
        .ok_or(RecordsError::NotFound)?;
    let (values, batch) = stored::by_ids(db, spec, &[id.to_string()]).await?.pop().ok_or(RecordsError::NotFound)?;
    if !belongs_to(spec, &values, code) {
        return Err(RecordsError::NotFound);
    }
    let batch = match batch {
        Some(b) => batches::info(db, b).await?,
        None => None,
    };
    let history = crate::history::of_record(db, spec, code, id).await?;
    Ok(OneRecord { spec, values: masked(spec, values, !viewer.may(Capability::SeePersonalDetails)), batch, history })
}

/// `values` with every personal value (not a missing one) masked, when `mask`.
fn masked(spec: &SourceSpec, values: Vec<Value>, mask: bool) -> Vec<Value> {
    if !mask {
        return values;
    }
    spec.columns.iter().zip(values).map(|(c, v)| if stored::is_personal(c.name) && !v.is_null() { Value::Text(MASKED.into()) } else { v }).collect()
}

/// Whether a record (`spec`'s columns) belongs to unit `code`: its unit
/// column (each record source has exactly one) names it.
fn belongs_to(spec: &SourceSpec, values: &[Value], code: &str) -> bool {
    spec.columns.iter().zip(values).find(|(c, _)| c.kind == Kind::UnitRef).is_some_and(|(_, v)| v.as_str() == Some(code))
}

/// How late a record met its deadline, or, not met by `as_of`, how far
/// past it it was then. A date deadline is met on its day, so dates count
/// whole days (as of the as-of day).
pub fn lateness(spec: &SourceSpec, row: &[Value], as_of: chrono::NaiveDateTime) -> Option<Lateness> {
    let (due, done) = spec.deadline()?;
    let days = matches!(row[due], Value::Date(_));
    let instant = |v: &Value| match v {
        Value::Date(d) => Some(d.and_time(chrono::NaiveTime::MIN)),
        Value::DateTime(t) => Some(*t),
        _ => None,
    };
    let deadline = instant(&row[due])?;
    let open = row[done].is_null();
    let met = if open {
        if days { as_of.date().and_time(chrono::NaiveTime::MIN) } else { as_of }
    } else {
        instant(&row[done])?
    };
    let minutes = (met - deadline).num_minutes();
    (minutes > 0).then_some(Lateness { minutes, open, days })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::{COMMITMENTS, HOTLINE, PROPOSALS};

    fn at(d: u32, h: u32, m: u32) -> Value {
        Value::DateTime(chrono::NaiveDate::from_ymd_opt(2025, 3, d).unwrap().and_hms_opt(h, m, 0).unwrap())
    }

    fn day(d: u32) -> Value {
        Value::Date(chrono::NaiveDate::from_ymd_opt(2025, 3, d).unwrap())
    }

    #[test]
    fn lateness_counts_from_the_deadline_to_the_work_done_or_to_as_of() {
        let as_of = chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap().and_hms_opt(23, 59, 59).unwrap();
        let mut ticket = vec![Value::Null; HOTLINE.columns.len()];
        let (due, done) = HOTLINE.deadline().unwrap();
        ticket[due] = at(7, 9, 0);
        ticket[done] = at(7, 14, 30);
        assert_eq!(lateness(&HOTLINE, &ticket, as_of), Some(Lateness { minutes: 5 * 60 + 30, open: false, days: false }));
        ticket[done] = at(7, 8, 0);
        assert_eq!(lateness(&HOTLINE, &ticket, as_of), None, "closed in time");
        ticket[done] = Value::Null;
        let open = lateness(&HOTLINE, &ticket, as_of).unwrap();
        assert!(open.open && open.minutes == (24 * 24 + 14) * 60 + 59, "{open:?}");
        // Dates: met on the day is in time; open ones count to the as-of day.
        let mut commitment = vec![Value::Null; COMMITMENTS.columns.len()];
        let (due, done) = COMMITMENTS.deadline().unwrap();
        commitment[due] = day(10);
        commitment[done] = day(10);
        assert_eq!(lateness(&COMMITMENTS, &commitment, as_of), None);
        commitment[done] = day(13);
        assert_eq!(lateness(&COMMITMENTS, &commitment, as_of), Some(Lateness { minutes: 3 * 24 * 60, open: false, days: true }));
        commitment[done] = Value::Null;
        assert_eq!(lateness(&COMMITMENTS, &commitment, as_of), Some(Lateness { minutes: 21 * 24 * 60, open: true, days: true }));
        // A proposal without a deadline is never late.
        let proposal = vec![Value::Null; PROPOSALS.columns.len()];
        assert_eq!(lateness(&PROPOSALS, &proposal, as_of), None);
    }

    #[test]
    fn personal_values_are_masked_for_those_who_may_not_see_them() {
        let spec = &crate::sources::DISHONESTY;
        let mut row = vec![Value::Text("x".into()); spec.columns.len()];
        let personal: Vec<usize> = spec.columns.iter().enumerate().filter(|(_, c)| stored::is_personal(c.name)).map(|(i, _)| i).collect();
        assert!(!personal.is_empty(), "dishonesty records carry a person reference");
        for &i in &personal {
            row[i] = Value::Text("P-0001".into());
        }
        let masked_row = masked(spec, row.clone(), true);
        for (i, v) in masked_row.iter().enumerate() {
            assert_eq!(*v, if personal.contains(&i) { Value::Text(MASKED.into()) } else { row[i].clone() }, "column {i}");
        }
        assert_eq!(masked(spec, row.clone(), false), row, "the assessment team sees them");
        row[personal[0]] = Value::Null;
        assert_eq!(masked(spec, row.clone(), true)[personal[0]], Value::Null, "a missing value stays missing");
    }
}
