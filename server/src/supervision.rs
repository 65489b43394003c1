//! Supervision of rectification (督办, integrity-records.md §3): records
//! with a rectification deadline that are not rectified, with the days
//! left or overdue, in the spec's bands. (The supervision page and the
//! notice follow; a unit sees its own open deadlines on its first page.)

use chrono::NaiveDate;

use analytics::domain::DishonestyType;

use crate::db::{Db, DbError};

/// The spec's bands of an open deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Band {
    /// More than 90 days past the deadline.
    LongOverdue,
    /// Past the deadline.
    Overdue,
    /// Due within 30 days (today included).
    DueSoon,
    /// Due later.
    Later,
}

impl Band {
    /// The band of a deadline `days_left` days away (negative: overdue).
    pub fn of(days_left: i64) -> Band {
        match days_left {
            d if d < -90 => Band::LongOverdue,
            d if d < 0 => Band::Overdue,
            d if d <= 30 => Band::DueSoon,
            _ => Band::Later,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Band::LongOverdue => "overdue_90",
            Band::Overdue => "overdue",
            Band::DueSoon => "due_30",
            Band::Later => "later",
        }
    }
}

/// One record awaiting rectification.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenDeadline {
    pub record_id: String,
    pub unit_code: String,
    pub kind: Option<DishonestyType>,
    pub occurred_on: NaiveDate,
    pub deadline: NaiveDate,
    /// Days from `today` to the deadline; negative when overdue.
    pub days_left: i64,
    pub band: Band,
}

/// The records of `unit` (or of every unit) awaiting rectification on
/// `today`, most urgent first; records voided by an accepted objection are
/// left out.
pub async fn open_deadlines(db: &Db, unit: Option<&str>, today: NaiveDate) -> Result<Vec<OpenDeadline>, DbError> {
    let voided = crate::db::objections::voided(db, "dishonesty").await?;
    let mut open: Vec<OpenDeadline> = crate::db::records::open_rectifications(db, unit)
        .await?
        .into_iter()
        .filter(|r| !voided.contains(&r.id))
        .map(|r| {
            let days_left = (r.rectify_deadline - today).num_days();
            OpenDeadline {
                kind: DishonestyType::parse(&r.record_type),
                band: Band::of(days_left),
                record_id: r.id,
                unit_code: r.unit_code,
                occurred_on: r.occurred_on,
                deadline: r.rectify_deadline,
                days_left,
            }
        })
        .collect();
    open.sort_by_key(|d| (d.band, d.days_left, d.record_id.clone()));
    Ok(open)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_the_spec() {
        assert_eq!(Band::of(31), Band::Later);
        assert_eq!(Band::of(30), Band::DueSoon);
        assert_eq!(Band::of(0), Band::DueSoon, "due today is not yet overdue");
        assert_eq!(Band::of(-1), Band::Overdue);
        assert_eq!(Band::of(-90), Band::Overdue);
        assert_eq!(Band::of(-91), Band::LongOverdue);
        assert!(Band::LongOverdue < Band::Overdue && Band::Overdue < Band::DueSoon, "most urgent first");
    }
}
