//! Sealing what was stored before sealing began, once per database: person
//! references a page at a time, each waiting upload, evidence file and
//! TOTP secret one at a time, every step its own short write transaction
//! (so sign-ins never wait behind it), the step's rows read inside it (so
//! no concurrent write is overwritten). When everything is sealed the
//! database says so (`sealed_at_rest`) and this never runs again: every
//! later write seals as it stores.

use super::super::audit::AuditLog;
use super::super::{Db, Result, Tx, settings};
use super::{Field, is_sealed_bytes};
use crate::on_tx;

/// The install setting saying everything stored is sealed.
const DONE: &str = "sealed_at_rest";
/// Person references sealed per step.
const PAGE: i64 = 1000;

/// How many values one run sealed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Sealed {
    pub person_refs: u64,
    pub staged_files: u64,
    pub evidence: u64,
    pub totp_secrets: u64,
}

/// Seals every value of `db` stored unsealed, unless that was done; the
/// last step records that it is done, with an audit entry when anything
/// was sealed.
pub async fn run(db: &Db) -> Result<Sealed> {
    if settings::read(db, DONE).await?.is_some() {
        return Ok(Sealed::default());
    }
    let mut sealed = Sealed::default();
    loop {
        let mut tx = db.begin_write().await?;
        let n = person_refs(&mut tx).await?;
        tx.commit().await?;
        sealed.person_refs += n;
        if n < PAGE as u64 {
            break;
        }
    }
    sealed.staged_files = blobs(db, Blob::Staged).await?;
    sealed.evidence = blobs(db, Blob::Evidence).await?;
    let mut tx = db.begin_write().await?;
    sealed.totp_secrets = totp_secrets(&mut tx).await?;
    settings::write(&mut tx, DONE, "v1").await?;
    if sealed != Sealed::default() {
        let mut audit = AuditLog::open(&mut tx).await?;
        audit.record("system", "data_sealed", "database", db.backend(), serde_json::to_value(sealed).expect("counts serialise"));
        audit.flush(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(sealed)
}

/// Seals a page of unsealed person references; how many.
async fn person_refs(tx: &mut Tx) -> Result<u64> {
    const READ: &str = "SELECT id, person_ref FROM dishonesty_records WHERE person_ref IS NOT NULL AND person_ref NOT LIKE 'zxs1:%' ORDER BY id LIMIT $1";
    const WRITE: &str = "UPDATE dishonesty_records SET person_ref = $1 WHERE id = $2";
    let rows: Vec<(String, String)> = on_tx!(tx, conn => sqlx::query_as(READ).bind(PAGE).fetch_all(conn).await?);
    let sealer = tx.sealer()?;
    let sealed: Vec<(String, String)> = rows.into_iter().map(|(id, r)| (id, sealer.seal_ref(&r))).collect();
    for (id, r) in &sealed {
        on_tx!(tx, conn => {
            sqlx::query(WRITE).bind(r).bind(id).execute(conn).await?;
        });
    }
    Ok(sealed.len() as u64)
}

async fn totp_secrets(tx: &mut Tx) -> Result<u64> {
    const READ: &str = "SELECT user_id, secret FROM totp_secrets WHERE secret NOT LIKE 'zxs1:%'";
    const WRITE: &str = "UPDATE totp_secrets SET secret = $1 WHERE user_id = $2";
    let rows: Vec<(i64, String)> = on_tx!(tx, conn => sqlx::query_as(READ).fetch_all(conn).await?);
    for (user, secret) in &rows {
        let sealed = tx.sealer()?.seal_text(Field::TotpSecret, secret).map_err(super::super::DbError::DataKey)?;
        on_tx!(tx, conn => {
            sqlx::query(WRITE).bind(sealed).bind(user).execute(conn).await?;
        });
    }
    Ok(rows.len() as u64)
}

/// The tables whose rows hold a file's bytes, keyed by an id and a
/// position.
#[derive(Clone, Copy)]
enum Blob {
    Staged,
    Evidence,
}

impl Blob {
    fn sql(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Blob::Staged => (
                "SELECT staged_id, position FROM staged_import_files WHERE bytes IS NOT NULL ORDER BY staged_id, position",
                "SELECT bytes FROM staged_import_files WHERE staged_id = $1 AND position = $2 AND bytes IS NOT NULL",
                "UPDATE staged_import_files SET bytes = $1 WHERE staged_id = $2 AND position = $3",
            ),
            Blob::Evidence => (
                "SELECT repair_id, position FROM repair_evidence ORDER BY repair_id, position",
                "SELECT bytes FROM repair_evidence WHERE repair_id = $1 AND position = $2",
                "UPDATE repair_evidence SET bytes = $1 WHERE repair_id = $2 AND position = $3",
            ),
        }
    }

    fn field(self) -> Field {
        match self {
            Blob::Staged => Field::StagedFile,
            Blob::Evidence => Field::Evidence,
        }
    }
}

/// Seals each unsealed file of `blob`'s table, one a step (files may be
/// megabytes); how many.
async fn blobs(db: &Db, blob: Blob) -> Result<u64> {
    let (keys, read, write) = blob.sql();
    let keys: Vec<(i64, i32)> = crate::on_db!(db, pool => sqlx::query_as(keys).fetch_all(pool).await?);
    let mut n = 0;
    for (a, b) in keys {
        let mut tx = db.begin_write().await?;
        let bytes: Option<Vec<u8>> = on_tx!(&mut tx, conn => sqlx::query_scalar(read).bind(a).bind(b).fetch_optional(conn).await?);
        if let Some(bytes) = bytes.filter(|b| !is_sealed_bytes(b)) {
            let sealed = tx.sealer()?.seal_bytes(blob.field(), &bytes).map_err(super::super::DbError::DataKey)?;
            on_tx!(&mut tx, conn => {
                sqlx::query(write).bind(sealed).bind(a).bind(b).execute(conn).await?;
            });
            n += 1;
        }
        tx.commit().await?;
    }
    Ok(n)
}
