//! One plain struct per source record of `import-formats.md`. Dates are
//! calendar dates and date-times are China Standard Time wall-clock times
//! (the method works in CST throughout), so they are naive on purpose.

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::*;

/// 单位: an assessed body.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub code: String,
    pub name: String,
    pub group: PeerGroup,
    /// The county of a township; empty for others.
    pub parent_code: Option<String>,
}

/// 承诺事项.
#[derive(Debug, Clone, PartialEq)]
pub struct Commitment {
    pub id: String,
    pub unit_code: String,
    pub category: CommitmentCategory,
    pub title: String,
    pub made_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: CommitmentStatus,
    pub fulfilled_on: Option<NaiveDate>,
}

/// 建议提案, led (主办) by one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub id: String,
    pub kind: ProposalKind,
    pub title: String,
    pub lead_unit_code: String,
    pub assigned_on: NaiveDate,
    /// As given; when absent the method's default (assigned_on + 3 months,
    /// clamped to the month's end) applies at scoring time.
    pub due_on: Option<NaiveDate>,
    pub replied_on: Option<NaiveDate>,
    pub satisfaction: Option<Satisfaction>,
    pub resolution: Option<Resolution>,
}

/// 12345 热线工单. Callers' personal data is never part of it.
#[derive(Debug, Clone, PartialEq)]
pub struct HotlineTicket {
    pub id: String,
    pub unit_code: String,
    pub received_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub category: TicketCategory,
    pub integrity_related: bool,
    pub verified: bool,
    pub satisfaction: Option<Satisfaction>,
    pub repeat: bool,
}

/// 政府债务: one row per county and year, amounts in 亿元.
#[derive(Debug, Clone, PartialEq)]
pub struct DebtRow {
    pub unit_code: String,
    pub year: i32,
    pub limit: f64,
    pub balance: f64,
    pub capacity: f64,
    pub due_amount: f64,
    pub overdue_amount: f64,
    pub violations: i64,
}

/// 失信记录 of a body or of one of its civil servants.
#[derive(Debug, Clone, PartialEq)]
pub struct DishonestyRecord {
    pub id: String,
    pub unit_code: String,
    pub subject: Subject,
    /// An opaque reference, never a name or ID number. Scoring never reads
    /// it (only that the subject is a person): the server leaves it sealed
    /// in storage and hands the engine `None`.
    pub person_ref: Option<String>,
    pub kind: DishonestyType,
    pub occurred_on: NaiveDate,
    pub rectify_deadline: Option<NaiveDate>,
    pub rectified_on: Option<NaiveDate>,
    pub mitigation: Mitigation,
}

/// 万人评议 score of a unit for a year.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub unit_code: String,
    pub year: i32,
    pub score: f64,
}

/// 诚信荣誉.
#[derive(Debug, Clone, PartialEq)]
pub struct Honour {
    pub id: String,
    pub unit_code: String,
    pub year: i32,
    pub level: HonourLevel,
    pub title: String,
}
