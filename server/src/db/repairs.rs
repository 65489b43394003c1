//! The `repairs` and `repair_evidence` tables: credit repair applications
//! (信用修复), their evidence files, and the accepted repairs every later
//! reading of the dishonesty records applies.

use analytics::domain::{DishonestyType, Mitigation, RepairStatus};
use chrono::{NaiveDate, NaiveDateTime};

use super::seal::Field;
use super::{Db, Result, Tx};
use crate::{on_db, on_tx};

/// An application as stored, with the record it is about.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RepairRow {
    pub id: i64,
    pub record_id: String,
    pub unit_code: String,
    pub statement: String,
    pub claimed_rectified_on: Option<NaiveDate>,
    #[sqlx(try_from = "String")]
    pub status: RepairStatus,
    pub filed_by: String,
    pub filed_at: NaiveDateTime,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_reason: Option<String>,
    pub mitigation: Option<String>,
    pub rectified_on: Option<NaiveDate>,
    /// The record's type, occurred_on, deadline and imported values.
    #[sqlx(try_from = "String")]
    pub record_type: DishonestyType,
    pub subject: String,
    pub occurred_on: NaiveDate,
    pub rectify_deadline: Option<NaiveDate>,
    #[sqlx(try_from = "String")]
    pub record_mitigation: Mitigation,
    pub record_rectified_on: Option<NaiveDate>,
}

const SELECT: &str = "SELECT r.id, r.record_id, r.unit_code, r.statement, r.claimed_rectified_on, r.status, r.filed_by, r.filed_at, \
     r.decided_by, r.decided_at, r.decision_reason, r.mitigation, r.rectified_on, \
     d.record_type, d.subject, d.occurred_on, d.rectify_deadline, d.mitigation AS record_mitigation, d.rectified_on AS record_rectified_on \
     FROM repairs r JOIN dishonesty_records d ON d.id = r.record_id";

/// A dishonesty record as an application starts from.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RepairableRecord {
    pub id: String,
    pub unit_code: String,
    #[sqlx(try_from = "String")]
    pub record_type: DishonestyType,
    pub occurred_on: NaiveDate,
    pub rectify_deadline: Option<NaiveDate>,
    pub rectified_on: Option<NaiveDate>,
    #[sqlx(try_from = "String")]
    pub mitigation: Mitigation,
}

/// The visible dishonesty record `id`, if there is one.
pub async fn record(tx: &mut Tx, id: &str) -> Result<Option<RepairableRecord>> {
    const SQL: &str = concat!(
        "SELECT id, unit_code, record_type, occurred_on, rectify_deadline, rectified_on, mitigation FROM dishonesty_records WHERE id = $1 AND ",
        crate::visible_records!()
    );
    Ok(on_tx!(tx, conn => sqlx::query_as::<_, RepairableRecord>(SQL).bind(id).fetch_optional(conn).await?))
}

/// Every visible dishonesty record of `unit`, the newest first.
pub async fn of_unit(db: &Db, unit: &str) -> Result<Vec<RepairableRecord>> {
    const SQL: &str = concat!(
        "SELECT id, unit_code, record_type, occurred_on, rectify_deadline, rectified_on, mitigation FROM dishonesty_records WHERE unit_code = $1 AND ",
        crate::visible_records!(),
        " ORDER BY occurred_on DESC, id"
    );
    Ok(on_db!(db, pool => sqlx::query_as::<_, RepairableRecord>(SQL).bind(unit).fetch_all(pool).await?))
}

/// Whether an accepted objection voided the record.
pub async fn is_voided(tx: &mut Tx, record_id: &str) -> Result<bool> {
    const SQL: &str = "SELECT id FROM objections WHERE source = 'dishonesty' AND record_id = $1 AND status = 'accepted'";
    Ok(on_tx!(tx, conn => sqlx::query(SQL).bind(record_id).fetch_optional(conn).await?.is_some()))
}

/// Whether the record has an open application.
pub async fn has_open(tx: &mut Tx, record_id: &str) -> Result<bool> {
    const SQL: &str = "SELECT id FROM repairs WHERE record_id = $1 AND status = 'open'";
    Ok(on_tx!(tx, conn => sqlx::query(SQL).bind(record_id).fetch_optional(conn).await?.is_some()))
}

/// A new application.
pub struct NewRepair<'a> {
    pub record_id: &'a str,
    pub unit_code: &'a str,
    pub statement: &'a str,
    pub claimed_rectified_on: Option<NaiveDate>,
    pub filed_by: &'a str,
    pub filed_at: NaiveDateTime,
}

/// Files an open application; its id.
pub async fn insert(tx: &mut Tx, r: &NewRepair<'_>) -> Result<i64> {
    const SQL: &str = "INSERT INTO repairs (record_id, unit_code, statement, claimed_rectified_on, status, filed_by, filed_at) \
         VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING id";
    Ok(on_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL)
            .bind(r.record_id)
            .bind(r.unit_code)
            .bind(r.statement)
            .bind(r.claimed_rectified_on)
            .bind(r.filed_by)
            .bind(r.filed_at)
            .fetch_one(conn)
            .await?
    }))
}

/// An evidence file's description (its bytes are read one at a time).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EvidenceInfo {
    pub position: i32,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
}

/// Stores one evidence file of application `repair_id`.
pub async fn insert_evidence(tx: &mut Tx, repair_id: i64, info: &EvidenceInfo, bytes: &[u8]) -> Result<()> {
    const SQL: &str = "INSERT INTO repair_evidence (repair_id, position, file_name, media_type, size, sha256, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let bytes = tx.sealer()?.seal_bytes(Field::Evidence, bytes).map_err(super::DbError::DataKey)?;
    on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(repair_id)
            .bind(info.position)
            .bind(&info.file_name)
            .bind(&info.media_type)
            .bind(info.size)
            .bind(&info.sha256)
            .bind(&bytes)
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// The open application `id`, read inside the deciding transaction.
pub async fn open_one(tx: &mut Tx, id: i64) -> Result<Option<RepairRow>> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.id = $1 AND r.status = 'open'"));
    Ok(on_tx!(tx, conn => sqlx::query_as::<_, RepairRow>(sql).bind(id).fetch_optional(conn).await?))
}

/// A decision on an open application.
pub struct Decision<'a> {
    pub status: RepairStatus,
    pub decided_by: &'a str,
    pub decided_at: NaiveDateTime,
    pub reason: &'a str,
    pub mitigation: Option<Mitigation>,
    pub rectified_on: Option<NaiveDate>,
}

/// Decides an open application; whether it was open.
pub async fn decide(tx: &mut Tx, id: i64, d: &Decision<'_>) -> Result<bool> {
    const SQL: &str = "UPDATE repairs SET status = $1, decided_by = $2, decided_at = $3, decision_reason = $4, mitigation = $5, rectified_on = $6 \
         WHERE id = $7 AND status = 'open'";
    let changed = on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(d.status.code())
            .bind(d.decided_by)
            .bind(d.decided_at)
            .bind(d.reason)
            .bind(d.mitigation.map(Mitigation::code))
            .bind(d.rectified_on)
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(changed > 0)
}

/// Applications, the newest first: all of them, or one unit's.
pub async fn list(db: &Db, unit_code: Option<&str>) -> Result<Vec<RepairRow>> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE ($1 IS NULL OR r.unit_code = $1) ORDER BY r.id DESC"));
    Ok(on_db!(db, pool => sqlx::query_as::<_, RepairRow>(sql).bind(unit_code).fetch_all(pool).await?))
}

/// One application.
pub async fn get(db: &Db, id: i64) -> Result<Option<RepairRow>> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.id = $1"));
    Ok(on_db!(db, pool => sqlx::query_as::<_, RepairRow>(sql).bind(id).fetch_optional(pool).await?))
}

/// Every application about one record, the newest first.
pub async fn of_record(db: &Db, record_id: &str) -> Result<Vec<RepairRow>> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.record_id = $1 ORDER BY r.id DESC"));
    Ok(on_db!(db, pool => sqlx::query_as::<_, RepairRow>(sql).bind(record_id).fetch_all(pool).await?))
}

/// The descriptions of an application's evidence files, in order.
pub async fn evidence_list(db: &Db, repair_id: i64) -> Result<Vec<EvidenceInfo>> {
    const SQL: &str = "SELECT position, file_name, media_type, size, sha256 FROM repair_evidence WHERE repair_id = $1 ORDER BY position";
    Ok(on_db!(db, pool => sqlx::query_as::<_, EvidenceInfo>(SQL).bind(repair_id).fetch_all(pool).await?))
}

/// One evidence file: its description and bytes (stored sealed: they may
/// name people).
pub async fn evidence(db: &Db, repair_id: i64, position: i32) -> Result<Option<(EvidenceInfo, Vec<u8>)>> {
    const SQL: &str = "SELECT position, file_name, media_type, size, sha256, bytes FROM repair_evidence WHERE repair_id = $1 AND position = $2";
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        info: EvidenceInfo,
        bytes: Vec<u8>,
    }
    let row: Option<Row> = on_db!(db, pool => sqlx::query_as::<_, Row>(SQL).bind(repair_id).bind(position).fetch_optional(pool).await?);
    let Some(row) = row else { return Ok(None) };
    Ok(Some((row.info, db.sealer()?.open_bytes(Field::Evidence, row.bytes)?)))
}

/// An accepted repair: what it changes and when it was decided.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AcceptedRepair {
    pub id: i64,
    pub record_id: String,
    #[sqlx(try_from = "String")]
    pub mitigation: Mitigation,
    pub rectified_on: Option<NaiveDate>,
    pub decided_at: NaiveDateTime,
}

/// A record's latest accepted repair, read inside a write.
pub async fn latest_accepted(tx: &mut Tx, record_id: &str) -> Result<Option<AcceptedRepair>> {
    const SQL: &str = "SELECT id, record_id, mitigation, rectified_on, decided_at FROM repairs \
         WHERE status = 'accepted' AND record_id = $1 ORDER BY decided_at DESC, id DESC LIMIT 1";
    Ok(on_tx!(tx, conn => sqlx::query_as::<_, AcceptedRepair>(SQL).bind(record_id).fetch_optional(conn).await?))
}

/// The accepted repairs decided by `until` (none: all), in the order they
/// were decided: a later one replaces an earlier one of the same record.
pub async fn accepted(db: &Db, until: Option<NaiveDateTime>) -> Result<Vec<AcceptedRepair>> {
    const SQL: &str = "SELECT id, record_id, mitigation, rectified_on, decided_at FROM repairs \
         WHERE status = 'accepted' AND ($1 IS NULL OR decided_at <= $1) ORDER BY decided_at, id";
    Ok(on_db!(db, pool => sqlx::query_as::<_, AcceptedRepair>(SQL).bind(until).fetch_all(pool).await?))
}
