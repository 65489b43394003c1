//! Reading one assessment year's source records from storage into the
//! engine's inputs, and the fingerprint that says whether they changed.
//!
//! Only what can matter for year `Y` is read: commitments due or made in
//! `Y`, proposals assigned in `Y`, tickets received in `Y`, dishonesty
//! records up to the end of `Y` (a court listing stays active until
//! rectified), and the yearly rows of `Y`.

use std::collections::HashSet;

use analytics::domain::*;
use analytics::inputs::{Inputs, RecordSet};
use analytics::records::*;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::db::audit::to_hex;
use crate::db::{Db, DbError, Result};
use crate::on_db;

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

const UNITS: &str = "SELECT code, name, grp, parent_code FROM units ORDER BY code";
const COMMITMENTS: &str = "SELECT id, unit_code, category, title, made_on, due_on, status, fulfilled_on FROM commitments WHERE (due_on >= $1 AND due_on <= $2) OR (made_on >= $1 AND made_on <= $2)";
const PROPOSALS: &str = "SELECT id, kind, title, lead_unit_code, assigned_on, due_on, replied_on, satisfaction, resolution FROM proposals WHERE assigned_on >= $1 AND assigned_on <= $2";
const HOTLINE: &str = "SELECT id, unit_code, received_at, due_at, closed_at, category, integrity_related, verified, satisfaction, is_repeat FROM hotline_tickets WHERE received_at >= $1 AND received_at < $2";
const DEBT: &str = "SELECT unit_code, year, debt_limit, balance, capacity, due_amount, overdue_amount, violations FROM debt WHERE year = $1";
const DISHONESTY: &str = "SELECT id, unit_code, subject, person_ref, record_type, occurred_on, rectify_deadline, rectified_on, mitigation FROM dishonesty_records WHERE occurred_on <= $1";
const RATINGS: &str = "SELECT unit_code, year, score FROM ratings WHERE year = $1";
const HONOURS: &str = "SELECT id, unit_code, year, level, title FROM honours WHERE year = $1";
const VOIDED: &str = "SELECT record_id FROM objections WHERE status = 'accepted'";

/// Reads every record that can matter for `year`.
pub async fn records(db: &Db, year: i32) -> Result<(RecordSet, HashSet<String>)> {
    let b = bounds(year);
    let y = i64::from(year);
    let mut set = RecordSet::default();
    let mut voided = HashSet::new();
    on_db!(db, pool => {
        for r in sqlx::query(UNITS).fetch_all(pool).await? {
            set.units.push(Unit {
                code: r.try_get(0)?,
                name: r.try_get(1)?,
                group: parse("group", &r.try_get::<String, _>(2)?, PeerGroup::parse)?,
                parent_code: r.try_get(3)?,
            });
        }
        for r in sqlx::query(COMMITMENTS).bind(b.first).bind(b.last).fetch_all(pool).await? {
            set.commitments.push(Commitment {
                id: r.try_get(0)?,
                unit_code: r.try_get(1)?,
                category: parse("category", &r.try_get::<String, _>(2)?, CommitmentCategory::parse)?,
                title: r.try_get(3)?,
                made_on: r.try_get(4)?,
                due_on: r.try_get(5)?,
                status: parse("status", &r.try_get::<String, _>(6)?, CommitmentStatus::parse)?,
                fulfilled_on: r.try_get(7)?,
            });
        }
        for r in sqlx::query(PROPOSALS).bind(b.first).bind(b.last).fetch_all(pool).await? {
            set.proposals.push(Proposal {
                id: r.try_get(0)?,
                kind: parse("kind", &r.try_get::<String, _>(1)?, ProposalKind::parse)?,
                title: r.try_get(2)?,
                lead_unit_code: r.try_get(3)?,
                assigned_on: r.try_get(4)?,
                due_on: r.try_get(5)?,
                replied_on: r.try_get(6)?,
                satisfaction: opt("satisfaction", r.try_get(7)?, Satisfaction::parse)?,
                resolution: opt("resolution", r.try_get(8)?, Resolution::parse)?,
            });
        }
        let mut tickets = sqlx::query(HOTLINE).bind(b.start).bind(b.next).fetch(pool);
        use futures_util::TryStreamExt;
        while let Some(r) = tickets.try_next().await? {
            set.hotline.push(HotlineTicket {
                id: r.try_get(0)?,
                unit_code: r.try_get(1)?,
                received_at: r.try_get(2)?,
                due_at: r.try_get(3)?,
                closed_at: r.try_get(4)?,
                category: parse("category", &r.try_get::<String, _>(5)?, TicketCategory::parse)?,
                integrity_related: r.try_get(6)?,
                verified: r.try_get(7)?,
                satisfaction: opt("satisfaction", r.try_get(8)?, Satisfaction::parse)?,
                repeat: r.try_get(9)?,
            });
        }
        drop(tickets);
        for r in sqlx::query(DEBT).bind(y).fetch_all(pool).await? {
            set.debt.push(DebtRow {
                unit_code: r.try_get(0)?,
                year: r.try_get::<i64, _>(1)? as i32,
                limit: r.try_get(2)?,
                balance: r.try_get(3)?,
                capacity: r.try_get(4)?,
                due_amount: r.try_get(5)?,
                overdue_amount: r.try_get(6)?,
                violations: r.try_get(7)?,
            });
        }
        for r in sqlx::query(DISHONESTY).bind(b.last).fetch_all(pool).await? {
            set.dishonesty.push(DishonestyRecord {
                id: r.try_get(0)?,
                unit_code: r.try_get(1)?,
                subject: parse("subject", &r.try_get::<String, _>(2)?, Subject::parse)?,
                person_ref: r.try_get(3)?,
                kind: parse("type", &r.try_get::<String, _>(4)?, DishonestyType::parse)?,
                occurred_on: r.try_get(5)?,
                rectify_deadline: r.try_get(6)?,
                rectified_on: r.try_get(7)?,
                mitigation: parse("mitigation", &r.try_get::<String, _>(8)?, Mitigation::parse)?,
            });
        }
        for r in sqlx::query(RATINGS).bind(y).fetch_all(pool).await? {
            set.ratings.push(Rating { unit_code: r.try_get(0)?, year: r.try_get::<i64, _>(1)? as i32, score: r.try_get(2)? });
        }
        for r in sqlx::query(HONOURS).bind(y).fetch_all(pool).await? {
            set.honours.push(Honour {
                id: r.try_get(0)?,
                unit_code: r.try_get(1)?,
                year: r.try_get::<i64, _>(2)? as i32,
                level: parse("level", &r.try_get::<String, _>(3)?, HonourLevel::parse)?,
                title: r.try_get(4)?,
            });
        }
        for r in sqlx::query(VOIDED).fetch_all(pool).await? {
            voided.insert(r.try_get::<String, _>(0)?);
        }
    });
    Ok((set, voided))
}

/// Reads the year's inputs as engine DataFrames.
pub async fn inputs(db: &Db, year: i32) -> std::result::Result<Inputs, crate::scoring::ScoringError> {
    let (set, voided) = records(db, year).await?;
    let inputs = tokio::task::spawn_blocking(move || Inputs::from_records(&set, &voided))
        .await
        .map_err(|e| crate::scoring::ScoringError::Interrupted(e.to_string()))??;
    Ok(inputs)
}

/// A fingerprint of everything stored that scoring reads: per table its
/// row count and newest batch (every insert or change of a record stamps
/// it with a new batch, and nothing is ever deleted), and the objection
/// decisions. Equal fingerprints mean equal inputs; computing it costs a
/// few indexed aggregates, not a pass over the data.
pub async fn fingerprint(db: &Db) -> Result<String> {
    let mut h = Sha256::new();
    for table in ["units", "commitments", "proposals", "hotline_tickets", "debt", "dishonesty_records", "ratings", "honours"] {
        let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*), COALESCE(MAX(batch_id), 0) FROM {table}"));
        let (count, batch): (i64, i64) = on_db!(db, pool => {
            let r = sqlx::query(sql).fetch_one(pool).await?;
            (r.try_get(0)?, r.try_get(1)?)
        });
        h.update(format!("{table}:{count}:{batch};"));
    }
    let decided: Vec<String> = on_db!(db, pool => {
        sqlx::query("SELECT id, status FROM objections WHERE status = 'accepted' ORDER BY id")
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| Ok::<_, sqlx::Error>(format!("{}:{}", r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?)))
            .collect::<std::result::Result<_, _>>()?
    });
    h.update(decided.join(",").as_bytes());
    Ok(to_hex(&h.finalize()))
}
