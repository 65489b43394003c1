//! What the public may see of a dishonesty record, and until when
//! (integrity-records.md §1, 信用公示).
//!
//! A record of a government body (subject `unit`; a person's record never)
//! is disclosed from its `occurred_on` until the end of its type's
//! publicity period, set in the rulebook's `[disclosure.period]` table:
//!
//! ```toml
//! [disclosure]
//! results_detail = false          # indicator points on the public pages
//!
//! [disclosure.period]
//! court_listing = { length = "1y", from = "rectified_on" }  # while active, then 1 year
//! judgment = { length = "1y" }                             # from occurred_on
//! penalty = { length = "1y", minimum = "3m" }
//! discipline = "never"
//! accountability = "never"
//! ```
//!
//! Readings where the spec is silent, as a careful credit office would:
//! - a period ends at the start of its last day's successor: "1 year from
//!   2025-03-01" shows through 2026-02-28 and not on 2026-03-01; months
//!   are calendar months clamped to the month's end (31 January + 1 month
//!   is 28/29 February);
//! - a court listing counted from `rectified_on` stays disclosed for as
//!   long as it is not rectified;
//! - an accepted repair ends disclosure on its decision day, or, for a type
//!   with a `minimum`, when that minimum from `occurred_on` has passed,
//!   whichever is later, never later than the period's own end;
//! - a voided record (an accepted objection) is never disclosed;
//! - a record is not disclosed before it occurred.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::DishonestyType;

/// A length of time: whole years, months or days (`"1y"`, `"3m"`, `"90d"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Span {
    pub amount: u32,
    pub unit: SpanUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanUnit {
    Years,
    Months,
    Days,
}

/// The longest span a rulebook may set: a century, in any unit.
const MAX_YEARS: u32 = 100;

impl TryFrom<String> for Span {
    type Error = String;

    /// A whole number then `y`, `m` or `d`. Read character by character,
    /// not at byte offsets: `"3年"` is a mistake to name, not a panic.
    fn try_from(text: String) -> Result<Span, String> {
        let text = text.trim();
        let bad = || format!("{text:?} is not a whole number of years, months or days such as \"3y\", \"6m\" or \"180d\"");
        let mut chars = text.chars();
        let unit = match chars.next_back() {
            Some('y') => SpanUnit::Years,
            Some('m') => SpanUnit::Months,
            Some('d') => SpanUnit::Days,
            _ => return Err(bad()),
        };
        let number = chars.as_str();
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let most = match unit {
            SpanUnit::Years => MAX_YEARS,
            SpanUnit::Months => MAX_YEARS * 12,
            SpanUnit::Days => MAX_YEARS * 366,
        };
        match number.parse::<u32>() {
            Ok(amount) if (1..=most).contains(&amount) => Ok(Span { amount, unit }),
            _ => Err(format!("{text:?} is not a length of time from 1 day to {MAX_YEARS} years (\"1d\" to \"{MAX_YEARS}y\", \"{}m\" or \"{}d\")", MAX_YEARS * 12, MAX_YEARS * 366)),
        }
    }
}

impl From<Span> for String {
    fn from(s: Span) -> String {
        let unit = match s.unit {
            SpanUnit::Years => "y",
            SpanUnit::Months => "m",
            SpanUnit::Days => "d",
        };
        format!("{}{unit}", s.amount)
    }
}

impl Span {
    /// `date` plus this span; `None` beyond the calendar's end.
    pub fn after(self, date: NaiveDate) -> Option<NaiveDate> {
        match self.unit {
            SpanUnit::Years => date.checked_add_months(Months::new(self.amount.checked_mul(12)?)),
            SpanUnit::Months => date.checked_add_months(Months::new(self.amount)),
            SpanUnit::Days => date.checked_add_days(chrono::Days::new(u64::from(self.amount))),
        }
    }

    /// `date` minus this span; `None` before the calendar's start.
    pub fn before(self, date: NaiveDate) -> Option<NaiveDate> {
        match self.unit {
            SpanUnit::Years => date.checked_sub_months(Months::new(self.amount.checked_mul(12)?)),
            SpanUnit::Months => date.checked_sub_months(Months::new(self.amount)),
            SpanUnit::Days => date.checked_sub_days(chrono::Days::new(u64::from(self.amount))),
        }
    }
}

/// Where a publicity period is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    #[default]
    OccurredOn,
    /// From rectification: the record stays disclosed while it is not
    /// rectified.
    RectifiedOn,
}

/// One type's publicity period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Period {
    /// `"never"`: internal matters, not disclosed.
    Never(Never),
    Span {
        length: Span,
        #[serde(default)]
        from: Anchor,
        /// With a repair, disclosure lasts at least this long from
        /// `occurred_on`.
        #[serde(default)]
        minimum: Option<Span>,
    },
}

/// The table form of [`Period::Span`], read with its own field names so a
/// mistake inside it is named (serde's untagged enums only say that
/// nothing matched).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpanPeriod {
    length: Span,
    #[serde(default)]
    from: Anchor,
    #[serde(default)]
    minimum: Option<Span>,
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Period, D::Error> {
        use serde::de::{self, MapAccess, Unexpected, Visitor};
        struct Expect;
        impl<'de> Visitor<'de> for Expect {
            type Value = Period;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("\"never\" or a table such as { length = \"1y\" }, { length = \"1y\", from = \"rectified_on\" } or { length = \"1y\", minimum = \"3m\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Period, E> {
                if v == "never" { Ok(Period::Never(Never::Never)) } else { Err(E::invalid_value(Unexpected::Str(v), &self)) }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Period, A::Error> {
                let p = SpanPeriod::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Period::Span { length: p.length, from: p.from, minimum: p.minimum })
            }
        }
        d.deserialize_any(Expect)
    }
}

/// The word `never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Never {
    Never,
}

/// `[disclosure]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureRules {
    /// Indicator points on the public result pages.
    #[serde(default)]
    pub results_detail: bool,
    /// Publicity period per record type; a type left out takes the
    /// default of [`DisclosureRules::default`].
    #[serde(default)]
    pub period: BTreeMap<DishonestyType, Period>,
}

impl Default for DisclosureRules {
    fn default() -> DisclosureRules {
        DisclosureRules { results_detail: false, period: BTreeMap::new() }
    }
}

/// The spec's default period of a type.
fn default_period(kind: DishonestyType) -> Period {
    let year = Span { amount: 1, unit: SpanUnit::Years };
    match kind {
        DishonestyType::CourtListing => Period::Span { length: year, from: Anchor::RectifiedOn, minimum: None },
        DishonestyType::Judgment => Period::Span { length: year, from: Anchor::OccurredOn, minimum: None },
        DishonestyType::Penalty => Period::Span { length: year, from: Anchor::OccurredOn, minimum: Some(Span { amount: 3, unit: SpanUnit::Months }) },
        DishonestyType::Discipline | DishonestyType::Accountability => Period::Never(Never::Never),
    }
}

/// What decides a record's disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordFacts {
    pub kind: DishonestyType,
    /// Subject `unit` (a government body); a person's record is never
    /// disclosed.
    pub of_a_body: bool,
    pub occurred_on: NaiveDate,
    pub rectified_on: Option<NaiveDate>,
    /// Voided by an accepted objection.
    pub voided: bool,
    /// The day an accepted credit repair was decided.
    pub repaired_on: Option<NaiveDate>,
}

/// How long a record is shown to the public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Never,
    /// From the first day to the day it stops (`None`: for as long as it
    /// is not rectified).
    From { first: NaiveDate, stops: Option<NaiveDate> },
}

impl DisclosureRules {
    /// The period of `kind`: the rulebook's, or the spec's default.
    pub fn period(&self, kind: DishonestyType) -> Period {
        self.period.get(&kind).copied().unwrap_or_else(|| default_period(kind))
    }

    /// When a record is shown to the public.
    pub fn window(&self, r: &RecordFacts) -> Window {
        if !r.of_a_body || r.voided {
            return Window::Never;
        }
        let Period::Span { length, from, minimum } = self.period(r.kind) else {
            return Window::Never;
        };
        let anchor = match from {
            Anchor::OccurredOn => Some(r.occurred_on),
            Anchor::RectifiedOn => r.rectified_on,
        };
        // Beyond the calendar's end counts as never stopping.
        let mut stops = anchor.and_then(|a| length.after(a.max(r.occurred_on)));
        if let Some(repaired) = r.repaired_on {
            let floor = minimum.and_then(|m| m.after(r.occurred_on)).unwrap_or(repaired);
            let repair_end = repaired.max(floor);
            stops = Some(stops.map_or(repair_end, |s| s.min(repair_end)));
        }
        Window::From { first: r.occurred_on, stops }
    }

    /// Whether the public sees the record on `day`.
    pub fn shown_on(&self, r: &RecordFacts, day: NaiveDate) -> bool {
        match self.window(r) {
            Window::Never => false,
            Window::From { first, stops } => first <= day && stops.is_none_or(|s| day < s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn record(kind: DishonestyType, occurred: &str) -> RecordFacts {
        RecordFacts { kind, of_a_body: true, occurred_on: d(occurred), rectified_on: None, voided: false, repaired_on: None }
    }

    #[test]
    fn the_defaults_are_the_specs_table() {
        let rules = DisclosureRules::default();
        // A judgment: one year from occurred_on, not before it.
        let judgment = record(DishonestyType::Judgment, "2025-03-01");
        assert!(!rules.shown_on(&judgment, d("2025-02-28")));
        assert!(rules.shown_on(&judgment, d("2025-03-01")));
        assert!(rules.shown_on(&judgment, d("2026-02-28")));
        assert!(!rules.shown_on(&judgment, d("2026-03-01")));
        // Internal matters are never disclosed.
        for kind in [DishonestyType::Discipline, DishonestyType::Accountability] {
            assert_eq!(rules.window(&record(kind, "2025-03-01")), Window::Never);
        }
        // A court listing: while active, then one year after rectification.
        let mut listing = record(DishonestyType::CourtListing, "2023-05-10");
        assert!(rules.shown_on(&listing, d("2030-01-01")), "active: shown however old");
        listing.rectified_on = Some(d("2025-06-30"));
        assert!(rules.shown_on(&listing, d("2026-06-29")));
        assert!(!rules.shown_on(&listing, d("2026-06-30")));
    }

    #[test]
    fn persons_voided_records_are_never_shown() {
        let rules = DisclosureRules::default();
        let mut r = record(DishonestyType::Penalty, "2025-03-01");
        r.of_a_body = false;
        assert_eq!(rules.window(&r), Window::Never);
        let mut r = record(DishonestyType::Penalty, "2025-03-01");
        r.voided = true;
        assert_eq!(rules.window(&r), Window::Never);
    }

    #[test]
    fn a_repair_ends_disclosure_on_its_day_or_when_the_minimum_has_passed() {
        let rules = DisclosureRules::default();
        // A penalty repaired a month after it occurred stays until its
        // three-month minimum has passed.
        let mut penalty = record(DishonestyType::Penalty, "2025-01-31");
        penalty.repaired_on = Some(d("2025-02-28"));
        assert_eq!(rules.window(&penalty), Window::From { first: d("2025-01-31"), stops: Some(d("2025-04-30")) }, "months clamp to the month's end");
        // Repaired after the minimum: ends on the decision day.
        penalty.repaired_on = Some(d("2025-07-01"));
        assert!(rules.shown_on(&penalty, d("2025-06-30")) && !rules.shown_on(&penalty, d("2025-07-01")));
        // A judgment has no minimum: it ends on the decision day.
        let mut judgment = record(DishonestyType::Judgment, "2025-03-01");
        judgment.repaired_on = Some(d("2025-03-15"));
        assert!(!rules.shown_on(&judgment, d("2025-03-15")));
        // An active court listing repaired: it ends then too.
        let mut listing = record(DishonestyType::CourtListing, "2024-01-01");
        listing.repaired_on = Some(d("2025-05-05"));
        assert!(!rules.shown_on(&listing, d("2025-05-05")));
        // A repair never extends the period.
        let mut late = record(DishonestyType::Judgment, "2023-01-01");
        late.repaired_on = Some(d("2025-01-01"));
        assert!(!rules.shown_on(&late, d("2024-06-01")));
    }

    #[test]
    fn a_span_is_read_by_characters_and_bounded() {
        let span = |t: &str| Span::try_from(t.to_string());
        assert_eq!(span(" 3y "), Ok(Span { amount: 3, unit: SpanUnit::Years }));
        assert_eq!(span("1200m"), Ok(Span { amount: 1200, unit: SpanUnit::Months }));
        assert_eq!(span("36600d"), Ok(Span { amount: 36600, unit: SpanUnit::Days }));
        // "3年" is four bytes: the old split at len − 1 cut 年 and panicked.
        for bad in ["3年", "年", "", "y", "+3y", "-3y", "3 y", "３y", "1.5y", "3Y"] {
            let e = span(bad).unwrap_err();
            assert!(e.contains("is not a whole number of years, months or days such as \"3y\", \"6m\" or \"180d\""), "{bad}: {e}");
        }
        for long in ["0y", "101y", "1201m", "36601d", "99999999999y"] {
            assert!(span(long).unwrap_err().contains("from 1 day to 100 years"), "{long}");
        }
    }

    #[test]
    fn a_rulebook_sets_its_own_periods() {
        let text = r#"
            results_detail = true
            [period]
            judgment = { length = "6m" }
            discipline = { length = "90d" }
            penalty = "never"
        "#;
        let rules: DisclosureRules = toml::from_str(text).unwrap();
        assert!(rules.results_detail);
        let judgment = record(DishonestyType::Judgment, "2025-03-01");
        assert!(!rules.shown_on(&judgment, d("2025-09-01")) && rules.shown_on(&judgment, d("2025-08-31")));
        assert!(rules.shown_on(&record(DishonestyType::Discipline, "2025-03-01"), d("2025-05-29")));
        assert!(!rules.shown_on(&record(DishonestyType::Discipline, "2025-03-01"), d("2025-05-30")));
        assert_eq!(rules.window(&record(DishonestyType::Penalty, "2025-03-01")), Window::Never);
        // A type left out keeps the spec's default.
        assert_eq!(rules.period(DishonestyType::CourtListing), default_period(DishonestyType::CourtListing));
        for bad in [r#"[period]
judgment = { length = "1w" }"#, r#"[period]
judgment = "sometimes""#, r#"[period]
judgment = { length = "0y" }"#] {
            assert!(toml::from_str::<DisclosureRules>(bad).is_err(), "{bad}");
        }
    }
}
