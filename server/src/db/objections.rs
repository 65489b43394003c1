//! The `objections` table, and the owner lookup an objection starts with.

use analytics::domain::ObjectionStatus;
use chrono::NaiveDateTime;

use super::{Db, Result, Tx};
use crate::{on_db, on_tx};

/// An objection as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct ObjectionRow {
    pub id: i64,
    pub source: String,
    pub record_id: String,
    pub unit_code: String,
    pub reason: String,
    #[sqlx(try_from = "String")]
    pub status: ObjectionStatus,
    pub filed_by: String,
    pub filed_at: NaiveDateTime,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_reason: Option<String>,
}

/// The record sources an objection may name: (source, table, the column
/// of the unit a record belongs to).
const SOURCES: [(&str, &str, &str); 4] = [
    ("commitments", "commitments", "unit_code"),
    ("proposals", "proposals", "lead_unit_code"),
    ("hotline", "hotline_tickets", "unit_code"),
    ("dishonesty", "dishonesty_records", "unit_code"),
];

/// Whether `source` holds individual records a unit may object to.
pub fn record_source(source: &str) -> bool {
    SOURCES.iter().any(|(s, _, _)| *s == source)
}

/// The unit a visible record of `source` belongs to (`None`: no such
/// record, or not a source of records).
pub async fn owner(tx: &mut Tx, source: &str, record_id: &str) -> Result<Option<String>> {
    let Some((_, table, unit_column)) = SOURCES.iter().find(|(s, _, _)| *s == source) else {
        return Ok(None);
    };
    let sql = sqlx::AssertSqlSafe(format!("SELECT {unit_column} FROM {table} WHERE id = $1 AND {}", super::batches::VISIBLE));
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, String>(sql).bind(record_id).fetch_optional(conn).await?))
}

/// The record's latest objection, if any.
pub async fn latest(tx: &mut Tx, source: &str, record_id: &str) -> Result<Option<ObjectionRow>> {
    const SQL: &str = "SELECT id, source, record_id, unit_code, reason, status, filed_by, filed_at, decided_by, decided_at, decision_reason FROM objections \
         WHERE source = $1 AND record_id = $2 ORDER BY id DESC LIMIT 1";
    Ok(on_tx!(tx, conn => sqlx::query_as::<_, ObjectionRow>(SQL).bind(source).bind(record_id).fetch_optional(conn).await?))
}

/// Files an open objection; its id.
pub async fn insert(tx: &mut Tx, source: &str, record_id: &str, unit_code: &str, reason: &str, filed_by: &str, at: NaiveDateTime) -> Result<i64> {
    const SQL: &str = "INSERT INTO objections (source, record_id, unit_code, reason, status, filed_by, filed_at) VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING id";
    Ok(on_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(source).bind(record_id).bind(unit_code).bind(reason).bind(filed_by).bind(at).fetch_one(conn).await?
    }))
}

/// Decides an open objection (`status`: accepted or rejected); whether
/// one was open.
pub async fn decide(tx: &mut Tx, id: i64, status: &str, decided_by: &str, at: NaiveDateTime, reason: &str) -> Result<bool> {
    const SQL: &str = "UPDATE objections SET status = $1, decided_by = $2, decided_at = $3, decision_reason = $4 WHERE id = $5 AND status = 'open'";
    Ok(on_tx!(tx, conn => sqlx::query(SQL).bind(status).bind(decided_by).bind(at).bind(reason).bind(id).execute(conn).await?.rows_affected()) > 0)
}

/// Objections, newest first: all of them, or one unit's.
pub async fn list(db: &Db, unit_code: Option<&str>) -> Result<Vec<ObjectionRow>> {
    const COLUMNS: &str = "SELECT id, source, record_id, unit_code, reason, status, filed_by, filed_at, decided_by, decided_at, decision_reason FROM objections";
    Ok(on_db!(db, pool => match unit_code {
        Some(code) => sqlx::query_as::<_, ObjectionRow>(sqlx::AssertSqlSafe(format!("{COLUMNS} WHERE unit_code = $1 ORDER BY id DESC"))).bind(code).fetch_all(pool).await?,
        None => sqlx::query_as::<_, ObjectionRow>(sqlx::AssertSqlSafe(format!("{COLUMNS} ORDER BY id DESC"))).fetch_all(pool).await?,
    }))
}

/// The ids of `source`'s records voided by an accepted objection.
pub async fn voided(db: &Db, source: &str) -> Result<std::collections::HashSet<String>> {
    const SQL: &str = "SELECT record_id FROM objections WHERE status = 'accepted' AND source = $1";
    let ids: Vec<(String,)> = on_db!(db, pool => sqlx::query_as(SQL).bind(source).fetch_all(pool).await?);
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// The objections to one record, the newest first.
pub async fn of_record(db: &Db, source: &str, record_id: &str) -> Result<Vec<ObjectionRow>> {
    const SQL: &str = "SELECT id, source, record_id, unit_code, reason, status, filed_by, filed_at, decided_by, decided_at, decision_reason FROM objections \
         WHERE source = $1 AND record_id = $2 ORDER BY id DESC";
    Ok(on_db!(db, pool => sqlx::query_as::<_, ObjectionRow>(SQL).bind(source).bind(record_id).fetch_all(pool).await?))
}
