//! Reading one assessment year's source records from storage as the
//! engine's record types and ticket columns, and the fingerprint that says
//! whether they changed. `scoring::load` turns them into the engine's
//! inputs. The tickets are read differently per back-end (see
//! [`hotline_columns`]).
//!
//! Only what can matter for year `Y` is read: commitments due or made in
//! `Y`, proposals assigned in `Y`, tickets received in `Y`, dishonesty
//! records up to the end of `Y` (a court listing stays active until
//! rectified), and the yearly rows of `Y`.

use std::collections::HashSet;

use analytics::domain::*;
use analytics::inputs::{RecordSet, Voided};
use analytics::records::*;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use sha2::{Digest, Sha256};

use analytics::polars::prelude::StringChunkedBuilder;

use crate::hashing::to_hex;
use super::{Db, DbError, Result, Value};
use crate::{on_db, visible_records};

fn bad(what: &str, value: &str) -> DbError {
    DbError::Corrupt(format!("stored {what} {value:?} is not a known code"))
}

fn parse<T>(what: &str, text: &str, f: fn(&str) -> Option<T>) -> Result<T> {
    f(text).ok_or_else(|| bad(what, text))
}

fn opt<T>(what: &str, text: Option<String>, f: fn(&str) -> Option<T>) -> Result<Option<T>> {
    text.map(|t| parse(what, &t, f)).transpose()
}

/// The year's bounds as bind values.
struct Bounds {
    first: NaiveDate,
    last: NaiveDate,
    start: NaiveDateTime,
    next: NaiveDateTime,
}

fn bounds(year: i32) -> Bounds {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year");
    let next_first = NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("valid year");
    Bounds {
        first,
        last: next_first.pred_opt().expect("valid date"),
        start: first.and_time(NaiveTime::MIN),
        next: next_first.and_time(NaiveTime::MIN),
    }
}

const UNITS: &str = concat!("SELECT code, name, grp, parent_code FROM units WHERE ", visible_records!(), " ORDER BY code");
const COMMITMENTS: &str = concat!(
    "SELECT id, unit_code, category, title, made_on, due_on, status, fulfilled_on FROM commitments WHERE ((due_on >= $1 AND due_on <= $2) OR (made_on >= $1 AND made_on <= $2)) AND ",
    visible_records!()
);
const PROPOSALS: &str = concat!(
    "SELECT id, kind, title, lead_unit_code, assigned_on, due_on, replied_on, satisfaction, resolution FROM proposals WHERE assigned_on >= $1 AND assigned_on <= $2 AND ",
    visible_records!()
);
const DEBT: &str = concat!(
    "SELECT unit_code, year, debt_limit, balance, capacity, due_amount, overdue_amount, violations FROM debt WHERE year = $1 AND ",
    visible_records!()
);
const DISHONESTY: &str = concat!(
    "SELECT id, unit_code, subject, record_type, occurred_on, rectify_deadline, rectified_on, mitigation FROM dishonesty_records WHERE occurred_on <= $1 AND ",
    visible_records!()
);
const RATINGS: &str = concat!("SELECT unit_code, year, score FROM ratings WHERE year = $1 AND ", visible_records!());
const HONOURS: &str = concat!("SELECT id, unit_code, year, level, title FROM honours WHERE year = $1 AND ", visible_records!());
const VOIDED: &str = "SELECT source, record_id FROM objections WHERE status = 'accepted'";
const VOIDED_UNTIL: &str = "SELECT source, record_id FROM objections WHERE status = 'accepted' AND decided_at <= $1";

/// The stored rows of each source, one struct per row shape; codes are
/// parsed into the engine's vocabularies as a row becomes the engine's
/// record, and an unknown stored code is named ("stored category "gift"
/// is not a known code"). The engine's record types live in the pure
/// `analytics` crate, which knows nothing of sqlx, hence the pairs.
/// (sqlx 0.9's `try_from` would lose the value: its errors print as
/// "unprintable error".)
#[derive(sqlx::FromRow)]
struct UnitRow {
    code: String,
    name: String,
    #[sqlx(rename = "grp")]
    group: String,
    parent_code: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CommitmentRow {
    id: String,
    unit_code: String,
    category: String,
    title: String,
    made_on: NaiveDate,
    due_on: NaiveDate,
    status: String,
    fulfilled_on: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct ProposalRow {
    id: String,
    kind: String,
    title: String,
    lead_unit_code: String,
    assigned_on: NaiveDate,
    due_on: Option<NaiveDate>,
    replied_on: Option<NaiveDate>,
    satisfaction: Option<String>,
    resolution: Option<String>,
}

#[derive(sqlx::FromRow)]
struct DishonestyRow {
    id: String,
    unit_code: String,
    subject: String,
    #[sqlx(rename = "record_type")]
    kind: String,
    occurred_on: NaiveDate,
    rectify_deadline: Option<NaiveDate>,
    rectified_on: Option<NaiveDate>,
    mitigation: String,
}

#[derive(sqlx::FromRow)]
struct DebtRowStored {
    unit_code: String,
    #[sqlx(try_from = "i64")]
    year: i32,
    #[sqlx(rename = "debt_limit")]
    limit: f64,
    balance: f64,
    capacity: f64,
    due_amount: f64,
    overdue_amount: f64,
    violations: i64,
}

#[derive(sqlx::FromRow)]
struct RatingRow {
    unit_code: String,
    #[sqlx(try_from = "i64")]
    year: i32,
    score: f64,
}

#[derive(sqlx::FromRow)]
struct HonourRow {
    id: String,
    unit_code: String,
    #[sqlx(try_from = "i64")]
    year: i32,
    level: String,
    title: String,
}

impl ProposalRow {
    fn record(self) -> Result<Proposal> {
        Ok(Proposal {
            id: self.id,
            kind: parse("kind", &self.kind, ProposalKind::parse)?,
            title: self.title,
            lead_unit_code: self.lead_unit_code,
            assigned_on: self.assigned_on,
            due_on: self.due_on,
            replied_on: self.replied_on,
            satisfaction: opt("satisfaction", self.satisfaction, Satisfaction::parse)?,
            resolution: opt("resolution", self.resolution, Resolution::parse)?,
        })
    }
}

/// Reads every record that can matter for `year`, but the hotline
/// tickets: those are millions and go straight into columns
/// ([`hotline_frame`]).
pub async fn records(db: &Db, year: i32, voids_until: Option<chrono::NaiveDateTime>) -> Result<(RecordSet, Voided)> {
    let mut set = RecordSet::default();
    read_dated(db, year, &mut set).await?;
    read_yearly(db, year, &mut set).await?;
    apply_repairs(&mut set.dishonesty, &super::repairs::accepted(db, voids_until).await?)?;
    Ok((set, voids(db, voids_until).await?))
}

/// Gives each record the mitigation (and rectified_on, where the decision
/// set one) of its latest accepted credit repair: a repair, like an
/// objection's void, applies to every reading after its decision, while
/// the record's imported values stay as imported.
fn apply_repairs(records: &mut [DishonestyRecord], repairs: &[super::repairs::AcceptedRepair]) -> Result<()> {
    if repairs.is_empty() {
        return Ok(());
    }
    let mut latest = std::collections::HashMap::new();
    for r in repairs {
        latest.insert(r.record_id.as_str(), r);
    }
    for record in records.iter_mut() {
        if let Some(r) = latest.get(record.id.as_str()) {
            record.mitigation = r.mitigation;
            if r.rectified_on.is_some() {
                record.rectified_on = r.rectified_on;
            }
        }
    }
    Ok(())
}

/// The unit register and the records dated within (or, for dishonesty,
/// up to the end of) the year.
async fn read_dated(db: &Db, year: i32, set: &mut RecordSet) -> Result<()> {
    let b = bounds(year);
    let (units, commitments, proposals, dishonesty) = on_db!(db, pool => (
        sqlx::query_as::<_, UnitRow>(UNITS).fetch_all(pool).await?,
        sqlx::query_as::<_, CommitmentRow>(COMMITMENTS).bind(b.first).bind(b.last).fetch_all(pool).await?,
        sqlx::query_as::<_, ProposalRow>(PROPOSALS).bind(b.first).bind(b.last).fetch_all(pool).await?,
        sqlx::query_as::<_, DishonestyRow>(DISHONESTY).bind(b.last).fetch_all(pool).await?,
    ));
    for r in units {
        let group = parse("group", &r.group, PeerGroup::parse)?;
        set.units.push(Unit { code: r.code, name: r.name, group, parent_code: r.parent_code });
    }
    for r in commitments {
        set.commitments.push(Commitment {
            category: parse("category", &r.category, CommitmentCategory::parse)?,
            status: parse("status", &r.status, CommitmentStatus::parse)?,
            id: r.id,
            unit_code: r.unit_code,
            title: r.title,
            made_on: r.made_on,
            due_on: r.due_on,
            fulfilled_on: r.fulfilled_on,
        });
    }
    for r in proposals {
        set.proposals.push(r.record()?);
    }
    for r in dishonesty {
        set.dishonesty.push(DishonestyRecord {
            subject: parse("subject", &r.subject, Subject::parse)?,
            kind: parse("type", &r.kind, DishonestyType::parse)?,
            mitigation: parse("mitigation", &r.mitigation, Mitigation::parse)?,
            id: r.id,
            unit_code: r.unit_code,
            // Sealed in storage and never read by scoring: not opened here.
            person_ref: None,
            occurred_on: r.occurred_on,
            rectify_deadline: r.rectify_deadline,
            rectified_on: r.rectified_on,
        });
    }
    Ok(())
}

/// The yearly rows of `year`: debt, ratings, honours.
async fn read_yearly(db: &Db, year: i32, set: &mut RecordSet) -> Result<()> {
    let y = i64::from(year);
    let (debt, ratings, honours) = on_db!(db, pool => (
        sqlx::query_as::<_, DebtRowStored>(DEBT).bind(y).fetch_all(pool).await?,
        sqlx::query_as::<_, RatingRow>(RATINGS).bind(y).fetch_all(pool).await?,
        sqlx::query_as::<_, HonourRow>(HONOURS).bind(y).fetch_all(pool).await?,
    ));
    set.debt.extend(debt.into_iter().map(|r| DebtRow {
        unit_code: r.unit_code,
        year: r.year,
        limit: r.limit,
        balance: r.balance,
        capacity: r.capacity,
        due_amount: r.due_amount,
        overdue_amount: r.overdue_amount,
        violations: r.violations,
    }));
    set.ratings.extend(ratings.into_iter().map(|r| Rating { unit_code: r.unit_code, year: r.year, score: r.score }));
    for r in honours {
        let level = parse("level", &r.level, HonourLevel::parse)?;
        set.honours.push(Honour { id: r.id, unit_code: r.unit_code, year: r.year, level, title: r.title });
    }
    Ok(())
}

/// The records voided by objections accepted by `until` (none: all).
async fn voids(db: &Db, until: Option<chrono::NaiveDateTime>) -> Result<Voided> {
    let rows: Vec<(String, String)> = on_db!(db, pool => match until {
        None => sqlx::query_as(VOIDED).fetch_all(pool).await?,
        Some(until) => sqlx::query_as(VOIDED_UNTIL).bind(until).fetch_all(pool).await?,
    });
    let mut voided = Voided::default();
    for (source, record_id) in rows {
        if let Some(set) = voided.of_mut(&source) {
            set.insert(record_id);
        }
    }
    Ok(voided)
}

/// The year's tickets as columns (date-times in epoch milliseconds of CST
/// wall-clock time, as polars stores a naive Datetime). Text goes straight
/// into polars' string builders: no allocation per cell.
pub struct TicketColumns {
    id: StringChunkedBuilder,
    unit_code: StringChunkedBuilder,
    received_at: Vec<i64>,
    due_at: Vec<i64>,
    closed_at: Vec<Option<i64>>,
    integrity_related: Vec<bool>,
    verified: Vec<bool>,
    satisfaction: StringChunkedBuilder,
    repeat: Vec<bool>,
    voided: Vec<bool>,
}

impl Default for TicketColumns {
    fn default() -> Self {
        Self::new()
    }
}

impl TicketColumns {
    pub fn new() -> TicketColumns {
        use analytics::columns::*;
        TicketColumns {
            id: StringChunkedBuilder::new(ID.into(), 0),
            unit_code: StringChunkedBuilder::new(UNIT_CODE.into(), 0),
            received_at: Vec::new(),
            due_at: Vec::new(),
            closed_at: Vec::new(),
            integrity_related: Vec::new(),
            verified: Vec::new(),
            satisfaction: StringChunkedBuilder::new(SATISFACTION.into(), 0),
            repeat: Vec::new(),
            voided: Vec::new(),
        }
    }

    /// Records a ticket's id (and whether an accepted objection voided it).
    fn push_id(&mut self, id: &str, voided: &HashSet<String>) {
        self.voided.push(!voided.is_empty() && voided.contains(id));
        self.id.append_value(id);
    }

    /// Tickets held so far.
    pub fn len(&self) -> usize {
        self.received_at.len()
    }

    pub fn is_empty(&self) -> bool {
        self.received_at.is_empty()
    }

    /// Records one ticket as the import writes it: a row in the columns of
    /// [`crate::sources::HOTLINE`], the very values stored, so a ticket
    /// held here reads as the database gives it back. Not voided: an
    /// import's segment is read with the voids of its reading.
    pub fn push_row(&mut self, row: &[Value]) -> Result<()> {
        let [id, unit, received, due, closed, _category, integrity, verified, satisfaction, repeat] = row else {
            return Err(DbError::Corrupt(format!("a ticket row has {} columns", row.len())));
        };
        let bad = |what: &str| DbError::Corrupt(format!("ticket {id:?}: {what} is not as stored"));
        fn text(v: &Value) -> Option<Option<&str>> {
            match v {
                Value::Text(s) => Some(Some(s.as_str())),
                Value::Null => Some(None),
                _ => None,
            }
        }
        let instant = |v: &Value| match v {
            Value::DateTime(t) => Some(Some(millis(*t))),
            Value::Null => Some(None),
            _ => None,
        };
        let flag = |v: &Value, what: &str| match v {
            Value::Bool(b) => Ok(*b),
            _ => Err(bad(what)),
        };
        let id = text(id).flatten().ok_or_else(|| bad("id"))?;
        let unit = text(unit).flatten().ok_or_else(|| bad("unit_code"))?;
        let received = instant(received).flatten().ok_or_else(|| bad("received_at"))?;
        let due = instant(due).flatten().ok_or_else(|| bad("due_at"))?;
        let closed = instant(closed).ok_or_else(|| bad("closed_at"))?;
        let satisfaction = text(satisfaction).ok_or_else(|| bad("satisfaction"))?;
        let (integrity, verified, repeat) = (flag(integrity, "integrity_related")?, flag(verified, "verified")?, flag(repeat, "repeat")?);
        self.voided.push(false);
        self.id.append_value(id);
        self.unit_code.append_value(unit);
        self.received_at.push(received);
        self.due_at.push(due);
        self.closed_at.push(closed);
        self.integrity_related.push(integrity);
        self.verified.push(verified);
        self.satisfaction.append_option(satisfaction);
        self.repeat.push(repeat);
        Ok(())
    }

    pub fn into_frame(self) -> std::result::Result<analytics::polars::prelude::DataFrame, analytics::EngineError> {
        use analytics::columns::*;
        use analytics::polars::prelude::*;
        let datetime = DataType::Datetime(TimeUnit::Milliseconds, None);
        let height = self.received_at.len();
        let columns = vec![
            self.id.finish().into_column(),
            self.unit_code.finish().into_column(),
            Column::new(RECEIVED_AT.into(), self.received_at).cast(&datetime)?,
            Column::new(DUE_AT.into(), self.due_at).cast(&datetime)?,
            Column::new(CLOSED_AT.into(), self.closed_at).cast(&datetime)?,
            Column::new(INTEGRITY_RELATED.into(), self.integrity_related),
            Column::new(VERIFIED.into(), self.verified),
            self.satisfaction.finish().into_column(),
            Column::new(REPEAT.into(), self.repeat),
            Column::new(VOIDED.into(), self.voided),
        ];
        Ok(DataFrame::new(height, columns)?)
    }
}

fn millis(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_millis()
}

/// Reads the tickets received in `year` into columns.
///
/// This is the one read of millions of rows, and the drivers differ most
/// here. sqlx's SQLite driver hands every row across a channel from its
/// worker thread (15 s for 3 M tickets, measured), so on SQLite a
/// read-only rusqlite connection to the same file reads them directly
/// (WAL mode lets it read beside the pool). On PostgreSQL `COPY … TO
/// STDOUT` streams them as text (row-by-row fetching took 4–5 s).
pub async fn hotline_columns(db: &Db, year: i32, voided: &HashSet<String>) -> Result<TicketColumns> {
    let b = bounds(year);
    match &db.pool {
        super::Pool::Sqlite(pool) => {
            let path = pool.connect_options().get_filename().to_path_buf();
            let voided = voided.clone();
            tokio::task::spawn_blocking(move || read_tickets_sqlite(&path, &b, &voided))
                .await
                .map_err(|e| DbError::Corrupt(format!("ticket reader stopped: {e}")))?
        }
        super::Pool::Postgres(pool) => {
            use futures_util::TryStreamExt;
            use sqlx::postgres::PgPoolCopyExt;
            let mut stream = pool.copy_out_raw(&super::dialect::hotline_year_copy(b.start, b.next)).await?;
            let mut c = TicketColumns::new();
            let mut carry: Vec<u8> = Vec::new();
            while let Some(chunk) = stream.try_next().await? {
                carry.extend_from_slice(&chunk);
                let complete = carry.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                for line in carry[..complete].split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                    c.push_copy_line(line, voided)?;
                }
                carry.drain(..complete);
            }
            if !carry.is_empty() {
                c.push_copy_line(&carry, voided)?;
            }
            Ok(c)
        }
    }
}

impl TicketColumns {
    /// One row of PostgreSQL's COPY text format: tab-separated, `\N` for
    /// null, `t`/`f` for booleans, backslash escapes in text.
    fn push_copy_line<'l>(&mut self, line: &'l [u8], voided: &HashSet<String>) -> Result<()> {
        let bad = || DbError::Corrupt(format!("unexpected COPY row {:?}", String::from_utf8_lossy(line)));
        let fields: Vec<&'l [u8]> = line.split(|&b| b == b'\t').collect();
        let [id, unit, received, due, closed, integrity, verified, satisfaction, repeat] = fields[..] else {
            return Err(bad());
        };
        let text = |f: &'l [u8]| copy_field(f).ok_or_else(bad);
        let required = |f: &'l [u8]| text(f)?.ok_or_else(bad);
        let instant = |f: &'l [u8]| -> Result<Option<i64>> {
            text(f)?.map(|s| parse_stored_datetime(&s).ok_or_else(bad)).transpose()
        };
        let boolean = |f: &[u8]| match f {
            b"t" => Ok(true),
            b"f" => Ok(false),
            _ => Err(bad()),
        };
        self.push_id(&required(id)?, voided);
        self.unit_code.append_value(required(unit)?);
        self.received_at.push(instant(received)?.ok_or_else(bad)?);
        self.due_at.push(instant(due)?.ok_or_else(bad)?);
        self.closed_at.push(instant(closed)?);
        self.integrity_related.push(boolean(integrity)?);
        self.verified.push(boolean(verified)?);
        self.satisfaction.append_option(text(satisfaction)?.as_deref());
        self.repeat.push(boolean(repeat)?);
        Ok(())
    }
}

/// A COPY text field: `None` when it is not UTF-8, `Some(None)` for null.
fn copy_field(f: &[u8]) -> Option<Option<std::borrow::Cow<'_, str>>> {
    if f == b"\\N" {
        return Some(None);
    }
    let s = std::str::from_utf8(f).ok()?;
    Some(Some(if s.contains('\\') { unescape_copy(s).into() } else { s.into() }))
}

/// Undoes COPY text escapes (`\\`, `\t`, `\n`, `\r` and friends).
fn unescape_copy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn read_tickets_sqlite(path: &std::path::Path, b: &Bounds, voided: &HashSet<String>) -> Result<TicketColumns> {
    use rusqlite::{Connection, OpenFlags};
    let fail = |e: rusqlite::Error| DbError::Corrupt(format!("reading hotline tickets: {e}"));
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(fail)?;
    conn.busy_timeout(std::time::Duration::from_secs(15)).map_err(fail)?;
    let mut statement = conn.prepare(&crate::db::dialect::hotline_year_sqlite()).map_err(fail)?;
    let stored = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let mut rows = statement.query([stored(b.start), stored(b.next)]).map_err(fail)?;
    let mut c = TicketColumns::new();
    fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r str>> {
        r.get_ref(i)
            .and_then(|v| Ok(v.as_str_or_null()?))
            .map_err(|e| DbError::Corrupt(format!("reading hotline tickets: {e}")))
    }
    let instant = |text: &str| parse_stored_datetime(text).ok_or_else(|| DbError::Corrupt(format!("stored date-time {text:?}")));
    while let Some(r) = rows.next().map_err(fail)? {
        let required = |i: usize| text(r, i)?.ok_or_else(|| DbError::Corrupt("a required ticket field is empty".into()));
        c.push_id(required(0)?, voided);
        c.unit_code.append_value(required(1)?);
        c.received_at.push(instant(required(2)?)?);
        c.due_at.push(instant(required(3)?)?);
        c.closed_at.push(text(r, 4)?.map(instant).transpose()?);
        c.integrity_related.push(r.get(5).map_err(fail)?);
        c.verified.push(r.get(6).map_err(fail)?);
        c.satisfaction.append_option(text(r, 7)?);
        c.repeat.push(r.get(8).map_err(fail)?);
    }
    Ok(c)
}

/// Epoch milliseconds of a date-time as sqlx stores it in SQLite
/// (`YYYY-MM-DD HH:MM:SS`, optionally with a fraction): the fixed layout is
/// read by position, anything else through chrono.
fn parse_stored_datetime(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range)?.iter().try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    if b.len() == 19 && b[4] == b'-' && b[7] == b'-' && b[10] == b' ' && b[13] == b':' && b[16] == b':' {
        let date = NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)?;
        let time = NaiveTime::from_hms_opt(digits(11..13)?, digits(14..16)?, digits(17..19)?)?;
        return Some(millis(date.and_time(time)));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").ok().map(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_datetimes_parse_by_position_and_with_fractions() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap();
        assert_eq!(parse_stored_datetime("2025-03-07 09:15:00"), Some(millis(t("2025-03-07 09:15:00"))));
        assert_eq!(parse_stored_datetime("2025-03-07 09:15:00.250"), Some(millis(t("2025-03-07 09:15:00.250"))));
        assert_eq!(parse_stored_datetime("2025-02-30 09:15:00"), None);
        assert_eq!(parse_stored_datetime("garbage"), None);
    }

    #[test]
    fn copy_rows_are_parsed_with_nulls_booleans_and_escapes() {
        let mut c = TicketColumns::new();
        let voided: HashSet<String> = ["H2".to_string()].into();
        c.push_copy_line(b"H1\t330302\t2025-03-07 09:15:00\t2025-03-10 09:15:00\t\\N\tt\tf\tsatisfied\tf", &voided).unwrap();
        c.push_copy_line(b"H2\ta\\tb\t2025-03-07 09:15:00\t2025-03-10 09:15:00\t2025-03-08 10:00:00\tf\tf\t\\N\tt", &voided).unwrap();
        assert!(c.push_copy_line(b"H3\tonly three\tfields", &voided).is_err());
        let df = c.into_frame().unwrap();
        assert_eq!(df.height(), 2);
        let cell = |name: &str, i: usize| df.column(name).unwrap().get(i).unwrap().str_value().to_string();
        assert_eq!(cell("unit_code", 1), "a\tb");
        assert_eq!(cell("closed_at", 0), "null");
        assert_eq!(cell("integrity_related", 0), "true");
        assert_eq!(cell("satisfaction", 1), "null");
        assert_eq!(cell("voided", 1), "true");
    }
}

/// What the stored inputs are, read in three small queries: the import
/// batches that changed something, the accepted objections and the
/// accepted credit repairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputsState {
    /// Identifies the stored inputs; what a result version records. Every
    /// insert or change of a record is written by an import batch that
    /// counts it (and nothing is ever deleted), so the list of batches
    /// that changed something, plus the accepted objections, identifies
    /// the stored inputs exactly; reading it costs two small queries
    /// instead of a pass over the data.
    pub fingerprint: String,
    /// The same lists with each batch's file name, content hash and time
    /// and each objection's record and time of decision: two databases (or one
    /// restored from a backup and written since) whose batches happen to
    /// share ids and counts still differ here. Snapshots are keyed by it.
    pub detail: String,
    /// The hotline batches that changed something, in order, each with
    /// its line of `detail`: what an import's columnar segment of tickets
    /// must match to stand for the batch ([`crate::segments`]).
    pub hotline: Vec<BatchLine>,
}

/// One import batch as the state sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchLine {
    pub id: i64,
    /// Its id, source, counts, file, content hash and time, as hashed into
    /// [`InputsState::detail`].
    pub text: String,
}

#[derive(sqlx::FromRow)]
struct BatchState {
    id: i64,
    source: String,
    rows_inserted: i64,
    rows_updated: i64,
    file_name: String,
    content_hash: String,
    imported_at: NaiveDateTime,
}

#[derive(sqlx::FromRow)]
struct VoidState {
    id: i64,
    source: String,
    record_id: String,
    decided_at: Option<NaiveDateTime>,
}

/// The stored inputs' [`InputsState`].
pub async fn state(db: &Db) -> Result<InputsState> {
    const BATCHES: &str = "SELECT id, source, rows_inserted, rows_updated, file_name, content_hash, imported_at FROM import_batches \
         WHERE (rows_inserted > 0 OR rows_updated > 0) AND state = 'done' ORDER BY id";
    const ACCEPTED: &str = "SELECT id, source, record_id, decided_at FROM objections WHERE status = 'accepted' ORDER BY id";
    const REPAIRED: &str = "SELECT id, record_id, mitigation, rectified_on, decided_at FROM repairs WHERE status = 'accepted' ORDER BY id";
    let (batches, voids, repairs) = on_db!(db, pool => (
        sqlx::query_as::<_, BatchState>(BATCHES).fetch_all(pool).await?,
        sqlx::query_as::<_, VoidState>(ACCEPTED).fetch_all(pool).await?,
        sqlx::query_as::<_, super::repairs::AcceptedRepair>(REPAIRED).fetch_all(pool).await?,
    ));
    let mut fingerprint = Sha256::new();
    let mut detail = Sha256::new();
    let mut hotline = Vec::new();
    for b in batches {
        let line = format!("batch {} {} +{} ~{};", b.id, b.source, b.rows_inserted, b.rows_updated);
        let more = format!("{} {:?} {:?} {};", b.content_hash.len(), b.content_hash, b.file_name, b.imported_at);
        fingerprint.update(&line);
        detail.update(&line);
        detail.update(&more);
        if b.source == crate::sources::HOTLINE.file_stem {
            hotline.push(BatchLine { id: b.id, text: format!("{line}{more}") });
        }
    }
    for v in voids {
        let line = format!("void {};", v.id);
        fingerprint.update(&line);
        detail.update(&line);
        detail.update(format!("{:?} {:?} {:?};", v.source, v.record_id, v.decided_at));
    }
    // Accepted credit repairs change records as voids do; none leaves the
    // fingerprints of databases without repairs as they were.
    for r in repairs {
        let line = format!("repair {};", r.id);
        fingerprint.update(&line);
        detail.update(&line);
        // The code, quoted as the text column was: the state's text must not
        // change with the row's type, or every stored state would look stale.
        detail.update(format!("{:?} {:?} {:?} {:?};", r.record_id, r.mitigation.code(), r.rectified_on, r.decided_at));
    }
    Ok(InputsState { fingerprint: to_hex(&fingerprint.finalize()), detail: to_hex(&detail.finalize()), hotline })
}

/// The stored inputs' fingerprint ([`InputsState::fingerprint`]).
pub async fn fingerprint(db: &Db) -> Result<String> {
    Ok(state(db).await?.fingerprint)
}
