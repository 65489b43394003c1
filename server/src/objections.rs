//! 异议: a unit objects to a record that cost it points; the assessment
//! team accepts (the record is voided for every later scoring, kept and
//! marked) or rejects it, each with a reason. Nothing is deleted; every
//! step is audited. Rescoring makes a new result version.

use chrono::NaiveDateTime;
use serde::Serialize;
use sqlx::Row;

use crate::auth::User;
use crate::db::audit::AuditLog;
use crate::clock::now_cst;
use crate::db::{Db, DbError};
use crate::{on_db, on_tx};

/// The longest reason accepted.
pub const MAX_REASON: usize = 1000;

/// The record sources an objection may name, with their table and the
/// column of the unit they belong to.
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

/// The source of an indicator's records, for the drill-down's forms.
pub fn source_of_indicator(indicator: &str) -> Option<&'static str> {
    match indicator.split('_').next() {
        Some("commit") => Some("commitments"),
        Some("proposal") => Some("proposals"),
        Some("hotline") => Some("hotline"),
        Some("dishonesty") => Some("dishonesty"),
        _ => None,
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Objection {
    pub id: i64,
    pub source: String,
    pub record_id: String,
    pub unit_code: String,
    pub reason: String,
    pub status: String,
    pub filed_by: String,
    pub filed_at: NaiveDateTime,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_reason: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ObjectionError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// Bad input, worded for the form.
    #[error("{0}")]
    Invalid(String),
    /// Unknown, or not the user's to touch.
    #[error("not found")]
    NotFound,
}

impl From<sqlx::Error> for ObjectionError {
    fn from(e: sqlx::Error) -> Self {
        ObjectionError::Db(e.into())
    }
}

fn check_reason(reason: &str) -> Result<String, ObjectionError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ObjectionError::Invalid("请填写理由 / a reason is required".into()));
    }
    if reason.chars().count() > MAX_REASON {
        return Err(ObjectionError::Invalid(format!("理由不超过 {MAX_REASON} 字 / at most {MAX_REASON} characters")));
    }
    Ok(reason.to_string())
}

/// A unit user objects to one of its unit's records.
pub async fn file(db: &Db, user: &User, source: &str, record_id: &str, reason: &str) -> Result<i64, ObjectionError> {
    let reason = check_reason(reason)?;
    let unit = user.unit_code.clone().ok_or(ObjectionError::NotFound)?;
    let (_, table, unit_column) = SOURCES.iter().find(|(s, _, _)| *s == source).ok_or(ObjectionError::NotFound)?;
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    let owner_sql = sqlx::AssertSqlSafe(format!("SELECT {unit_column} FROM {table} WHERE id = $1 AND {}", crate::db::batches::VISIBLE));
    let owner: Option<String> = on_tx!(&mut tx, conn => {
        sqlx::query(owner_sql).bind(record_id).fetch_optional(conn).await?.map(|r| r.try_get(0)).transpose()?
    });
    if owner.as_deref() != Some(unit.as_str()) {
        return Err(ObjectionError::NotFound);
    }
    const OPEN: &str = "SELECT id FROM objections WHERE source = $1 AND record_id = $2 AND status = 'open'";
    let open: Option<i64> = on_tx!(&mut tx, conn => {
        sqlx::query(OPEN).bind(source).bind(record_id).fetch_optional(conn).await?.map(|r| r.try_get(0)).transpose()?
    });
    if open.is_some() {
        return Err(ObjectionError::Invalid("该记录已有待处理的异议 / this record already has an open objection".into()));
    }
    const INSERT: &str = "INSERT INTO objections (source, record_id, unit_code, reason, status, filed_by, filed_at) VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING id";
    let id: i64 = on_tx!(&mut tx, conn => {
        sqlx::query(INSERT).bind(source).bind(record_id).bind(&unit).bind(&reason).bind(&user.username).bind(now_cst())
            .fetch_one(conn).await?.try_get(0)?
    });
    audit.record(&user.username, "objection_file", "objections", &id.to_string(), serde_json::json!({ "source": source, "record": record_id, "reason": reason }));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(id)
}

/// The assessment team accepts or rejects an open objection.
pub async fn decide(db: &Db, assessor: &User, id: i64, accept: bool, reason: &str) -> Result<(), ObjectionError> {
    let reason = check_reason(reason)?;
    let status = if accept { "accepted" } else { "rejected" };
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    const DECIDE: &str = "UPDATE objections SET status = $1, decided_by = $2, decided_at = $3, decision_reason = $4 WHERE id = $5 AND status = 'open'";
    let changed = on_tx!(&mut tx, conn => {
        sqlx::query(DECIDE).bind(status).bind(&assessor.username).bind(now_cst()).bind(&reason).bind(id).execute(conn).await?.rows_affected()
    });
    if changed == 0 {
        return Err(ObjectionError::NotFound);
    }
    audit.record(&assessor.username, &format!("objection_{status}"), "objections", &id.to_string(), serde_json::json!({ "status": status, "reason": reason }));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Objections, newest first: all of them, or one unit's.
pub async fn list(db: &Db, unit_code: Option<&str>) -> Result<Vec<Objection>, ObjectionError> {
    const ALL: &str = "SELECT id, source, record_id, unit_code, reason, status, filed_by, filed_at, decided_by, decided_at, decision_reason FROM objections ORDER BY id DESC";
    const OF_UNIT: &str = "SELECT id, source, record_id, unit_code, reason, status, filed_by, filed_at, decided_by, decided_at, decision_reason FROM objections WHERE unit_code = $1 ORDER BY id DESC";
    let mut out = Vec::new();
    on_db!(db, pool => {
        let q = match unit_code {
            Some(code) => sqlx::query(OF_UNIT).bind(code),
            None => sqlx::query(ALL),
        };
        for r in q.fetch_all(pool).await? {
            out.push(Objection {
                id: r.try_get(0)?, source: r.try_get(1)?, record_id: r.try_get(2)?, unit_code: r.try_get(3)?,
                reason: r.try_get(4)?, status: r.try_get(5)?, filed_by: r.try_get(6)?, filed_at: r.try_get(7)?,
                decided_by: r.try_get(8)?, decided_at: r.try_get(9)?, decision_reason: r.try_get(10)?,
            });
        }
    });
    Ok(out)
}
