//! 异议: a unit objects to a record that cost it points; the assessment
//! team accepts (the record is voided for every later scoring, kept and
//! marked) or rejects it, each with a reason. Nothing is deleted; every
//! step is audited. Rescoring makes a new result version.

use std::collections::HashMap;

use analytics::domain::ObjectionStatus;

use crate::auth::{Capability, Scope, User};
use crate::clock::now_cst;
use crate::db::audit::AuditLog;
use crate::db::objections as stored;
use crate::db::{Db, DbError};

pub use crate::db::objections::{ObjectionRow as Objection, record_source};

/// The longest reason accepted.
pub const MAX_REASON: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum ObjectionError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// The reason is missing or too long (the adapter words it).
    #[error("the reason: {0}")]
    Reason(TextRefusal),
    /// Unknown, or not the user's to touch.
    #[error("not found")]
    NotFound,
    /// The user's role may not do this (`auth::access`).
    #[error("not allowed for this role")]
    Forbidden,
    /// The record already has an objection that stands (open, or
    /// accepted): filing again could never change anything.
    #[error("record {} already has objection #{} ({})", .0.record_id, .0.id, .0.status)]
    Standing(Objection),
}

/// Whether a record whose latest objection is `latest` may receive a new
/// one: never objected to, or its last objection was rejected. An open
/// objection is still pending; an accepted one has voided the record.
pub fn open_to_objection(latest: Option<&Objection>) -> bool {
    latest.is_none_or(|o| o.status == ObjectionStatus::Rejected)
}

/// Why a required text (an objection's or a decision's reason, a repair's
/// statement) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextRefusal {
    #[error("it is required")]
    Missing,
    #[error("at most {max} characters")]
    TooLong { max: usize },
}

/// A required text of at most `max` characters, trimmed.
pub(crate) fn required_text(text: &str, max: usize) -> Result<String, TextRefusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err(TextRefusal::Missing);
    }
    if text.chars().count() > max {
        return Err(TextRefusal::TooLong { max });
    }
    Ok(text.to_string())
}

fn check_reason(reason: &str) -> Result<String, ObjectionError> {
    required_text(reason, MAX_REASON).map_err(ObjectionError::Reason)
}

/// A unit user objects to one of its unit's records.
pub async fn file(db: &Db, user: &User, source: &str, record_id: &str, reason: &str) -> Result<i64, ObjectionError> {
    if !user.may(Capability::FileObjections) {
        return Err(ObjectionError::Forbidden);
    }
    let reason = check_reason(reason)?;
    let unit = user.own_unit().ok_or(ObjectionError::NotFound)?.to_string();
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    if stored::owner(&mut tx, source, record_id).await?.as_deref() != Some(unit.as_str()) {
        return Err(ObjectionError::NotFound);
    }
    let latest = stored::latest(&mut tx, source, record_id).await?;
    if !open_to_objection(latest.as_ref()) {
        return Err(ObjectionError::Standing(latest.expect("a record never objected to is open to objection")));
    }
    let id = stored::insert(&mut tx, source, record_id, &unit, &reason, &user.username, now_cst()).await?;
    audit.record(&user.username, "objection_file", "objections", &id.to_string(), serde_json::json!({ "source": source, "record": record_id, "reason": reason }));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(id)
}

/// The assessment team accepts or rejects an open objection.
pub async fn decide(db: &Db, assessor: &User, id: i64, accept: bool, reason: &str) -> Result<(), ObjectionError> {
    if !assessor.may(Capability::DecideObjections) {
        return Err(ObjectionError::Forbidden);
    }
    let reason = check_reason(reason)?;
    let status = if accept { ObjectionStatus::Accepted } else { ObjectionStatus::Rejected }.code();
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    if !stored::decide(&mut tx, id, status, &assessor.username, now_cst(), &reason).await? {
        return Err(ObjectionError::NotFound);
    }
    audit.record(&assessor.username, &format!("objection_{status}"), "objections", &id.to_string(), serde_json::json!({ "status": status, "reason": reason }));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The latest objection to each of a unit's records of `source`, by
/// record id: what the unit's list of records shows beside each record.
pub async fn latest_by_record(db: &Db, unit_code: &str, source: &str) -> Result<HashMap<String, Objection>, ObjectionError> {
    let mut latest = HashMap::new();
    // Newest first: the first seen of a record is its latest.
    for o in stored::list(db, Some(unit_code)).await?.into_iter().filter(|o| o.source == source) {
        latest.entry(o.record_id.clone()).or_insert(o);
    }
    Ok(latest)
}

/// The objections `viewer` may see, newest first: every unit's, or a
/// unit's own.
pub async fn list(db: &Db, viewer: &User) -> Result<Vec<Objection>, ObjectionError> {
    if !viewer.may(Capability::SeeObjections) {
        return Err(ObjectionError::Forbidden);
    }
    match viewer.scope() {
        Scope::Every => Ok(stored::list(db, None).await?),
        Scope::Unit(code) => Ok(stored::list(db, Some(code)).await?),
        Scope::None => Err(ObjectionError::Forbidden),
    }
}
