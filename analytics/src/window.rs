//! The assessment window (§2): year `Y` as of an instant, in China Standard
//! Time. Records dated after `as_of` have not happened yet; rates count
//! only items due by it.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use polars::prelude::*;

use crate::EngineError;

/// Year `Y` seen as of `as_of` (CST wall-clock time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub year: i32,
    pub as_of: NaiveDateTime,
}

impl Window {
    /// The window for `year` as of `as_of`, or by default the end of the
    /// year (`Y-12-31 23:59:59`) or `now` if that is earlier. An `as_of`
    /// before the year starts is refused: nothing of `Y` has happened yet.
    pub fn new(year: i32, as_of: Option<NaiveDateTime>, now: NaiveDateTime) -> Result<Window, EngineError> {
        let start = year_start(year).ok_or(EngineError::BadWindow(format!("{year} is not a valid year")))?;
        let end = start.date().with_year_end();
        let as_of = as_of.unwrap_or_else(|| end.min(now));
        if as_of < start {
            return Err(EngineError::BadWindow(format!(
                "as_of {as_of} is before {year} begins: nothing of {year} can have happened yet"
            )));
        }
        // The engine sees the world as it stood at as_of; a later instant
        // has not been seen yet (unfulfilled commitments would count as
        // late, unrectified listings as vetoes, before their time).
        if as_of > now {
            return Err(EngineError::BadWindow(format!("as_of {as_of} is in the future (now is {now})")));
        }
        Ok(Window { year, as_of })
    }

    /// A date alone means the end of that day (23:59:59).
    pub fn end_of_day(day: NaiveDate) -> NaiveDateTime {
        day.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid time"))
    }

    /// `as_of`'s calendar day: a plain date is "by as_of" when on or before it.
    pub fn as_of_day(&self) -> NaiveDate {
        self.as_of.date()
    }

    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, 1, 1).expect("validated year")
    }

    pub fn last_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, 12, 31).expect("validated year")
    }

    // Literals typed like the columns they are compared with (a bare
    // `lit(NaiveDate)` is a nanosecond Datetime in polars 0.55).

    pub fn lit_as_of_day(&self) -> Expr {
        date_lit(self.as_of_day())
    }

    pub fn lit_as_of(&self) -> Expr {
        datetime_lit(self.as_of)
    }

    pub fn lit_first_day(&self) -> Expr {
        date_lit(self.first_day())
    }

    pub fn lit_last_day(&self) -> Expr {
        date_lit(self.last_day())
    }

    /// `date` (a Date column) falls in calendar year `Y`.
    pub fn date_in_year(&self, date: Expr) -> Expr {
        date.clone().gt_eq(self.lit_first_day()).and(date.lt_eq(self.lit_last_day()))
    }

    /// `at` (a Datetime column) falls in calendar year `Y` and by `as_of`.
    pub fn instant_in_year_by_as_of(&self, at: Expr) -> Expr {
        let start = year_start(self.year).expect("validated year");
        let next = year_start(self.year + 1).expect("validated year");
        at.clone()
            .gt_eq(datetime_lit(start))
            .and(at.clone().lt(datetime_lit(next)))
            .and(at.lt_eq(self.lit_as_of()))
    }

    /// A plain date that is by `as_of` (null is never by anything).
    pub fn date_by_as_of(&self, date: Expr) -> Expr {
        date.lt_eq(self.lit_as_of_day()).fill_null(lit(false))
    }

    /// A date that has happened by `as_of`, or null: later dates count as
    /// not (yet) done.
    pub fn date_if_by_as_of(&self, date: Expr) -> Expr {
        when(self.date_by_as_of(date.clone())).then(date).otherwise(lit(NULL).cast(DataType::Date))
    }
}

trait YearEnd {
    fn with_year_end(self) -> NaiveDateTime;
}

impl YearEnd for NaiveDate {
    fn with_year_end(self) -> NaiveDateTime {
        use chrono::Datelike;
        Window::end_of_day(NaiveDate::from_ymd_opt(self.year(), 12, 31).expect("valid date"))
    }
}

fn year_start(year: i32) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(year, 1, 1).map(|d| d.and_time(NaiveTime::MIN))
}

pub fn date_lit(d: NaiveDate) -> Expr {
    lit(d).cast(DataType::Date)
}

pub fn datetime_lit(t: NaiveDateTime) -> Expr {
    lit(t).cast(DataType::Datetime(TimeUnit::Milliseconds, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn default_as_of_is_year_end_or_now() {
        let now = at("2026-11-25 10:00:00");
        assert_eq!(Window::new(2025, None, now).unwrap().as_of, at("2025-12-31 23:59:59"));
        assert_eq!(Window::new(2026, None, now).unwrap().as_of, now);
    }

    #[test]
    fn as_of_in_the_future_is_refused() {
        let now = at("2026-11-25 10:00:00");
        assert!(matches!(Window::new(2026, Some(at("2026-12-31 23:59:59")), now), Err(EngineError::BadWindow(_))));
        assert!(Window::new(2026, Some(now), now).is_ok());
    }

    #[test]
    fn as_of_before_the_year_is_refused() {
        let now = at("2026-11-25 10:00:00");
        assert!(matches!(Window::new(2026, Some(at("2025-12-31 23:59:59")), now), Err(EngineError::BadWindow(_))));
        assert!(Window::new(2026, Some(at("2026-01-01 00:00:00")), now).is_ok());
    }
}
