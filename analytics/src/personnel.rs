//! The appointment check of civil servants' integrity files
//! (integrity-records.md §4): which of a person's records restrict an
//! appointment, promotion or award.
//!
//! A person is restricted when a record of type `discipline` or
//! `accountability`, not voided, whose mitigation is not `exempt`,
//! occurred within the look-back period counted back from today. Read, as
//! a careful personnel office would: the period runs from the same
//! calendar day `lookback` before today up to today, both ends included
//! (a record dated after today is a data error and restricts nothing).
//! The answer is advice to the personnel office, not a decision.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::disclosure::{Span, SpanUnit};
use crate::domain::{DishonestyType, Mitigation};

/// `[personnel]` of a rulebook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonnelRules {
    /// How far back a record restricts (`"3y"` by default).
    #[serde(default = "three_years")]
    pub lookback: Span,
}

fn three_years() -> Span {
    Span { amount: 3, unit: SpanUnit::Years }
}

impl Default for PersonnelRules {
    fn default() -> PersonnelRules {
        PersonnelRules { lookback: three_years() }
    }
}

/// What decides whether a record restricts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonRecordFacts {
    pub kind: DishonestyType,
    pub occurred_on: NaiveDate,
    /// After any accepted repair.
    pub mitigation: Mitigation,
    pub voided: bool,
}

impl PersonnelRules {
    /// The first day of the look-back period ending `today`.
    pub fn since(&self, today: NaiveDate) -> NaiveDate {
        self.lookback.before(today).unwrap_or(NaiveDate::MIN)
    }

    /// Whether the record restricts on `today`.
    pub fn restricts(&self, r: &PersonRecordFacts, today: NaiveDate) -> bool {
        matches!(r.kind, DishonestyType::Discipline | DishonestyType::Accountability)
            && !r.voided
            && r.mitigation != Mitigation::Exempt
            && r.occurred_on >= self.since(today)
            && r.occurred_on <= today
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn record(kind: DishonestyType, occurred: &str) -> PersonRecordFacts {
        PersonRecordFacts { kind, occurred_on: d(occurred), mitigation: Mitigation::None, voided: false }
    }

    #[test]
    fn discipline_and_accountability_within_three_years_restrict() {
        let rules = PersonnelRules::default();
        let today = d("2026-12-01");
        assert_eq!(rules.since(today), d("2023-12-01"));
        assert!(rules.restricts(&record(DishonestyType::Discipline, "2023-12-01"), today), "the first day of the period counts");
        assert!(!rules.restricts(&record(DishonestyType::Discipline, "2023-11-30"), today), "the day before it does not");
        assert!(rules.restricts(&record(DishonestyType::Accountability, "2026-12-01"), today));
        assert!(!rules.restricts(&record(DishonestyType::Accountability, "2026-12-02"), today), "a future date restricts nothing");
        // Other types never restrict; a voided or exempt record neither;
        // a reduced one still does.
        assert!(!rules.restricts(&record(DishonestyType::Penalty, "2026-01-01"), today));
        let mut voided = record(DishonestyType::Discipline, "2026-01-01");
        voided.voided = true;
        assert!(!rules.restricts(&voided, today));
        let mut exempt = record(DishonestyType::Discipline, "2026-01-01");
        exempt.mitigation = Mitigation::Exempt;
        assert!(!rules.restricts(&exempt, today));
        exempt.mitigation = Mitigation::Reduced;
        assert!(rules.restricts(&exempt, today));
    }

    #[test]
    fn a_rulebook_sets_its_own_lookback() {
        let rules: PersonnelRules = toml::from_str("lookback = \"5y\"").unwrap();
        assert_eq!(rules.since(d("2026-02-28")), d("2021-02-28"));
        let rules: PersonnelRules = toml::from_str("").unwrap();
        assert_eq!(rules, PersonnelRules::default());
        assert!(toml::from_str::<PersonnelRules>("lookback = \"soon\"").is_err());
    }
}
