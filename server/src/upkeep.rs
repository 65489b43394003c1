//! Keeping the stored data trustworthy, as the IT team runs it: backups
//! and restores (each audited, a restore checked), the audit chain's key,
//! its verification against printed heads and its rotation. The command
//! line and start-up reach these here, not in `db/` (ARCHITECTURE.md).

use std::path::{Path, PathBuf};

pub use crate::db::audit::{Rotation, Verification};
pub use crate::db::backup::{BackupError, BackupKind};
pub use crate::db::seal::Cipher;
use crate::db::{Db, DbError};

#[derive(Debug, thiserror::Error)]
pub enum UpkeepError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Backup(#[from] BackupError),
    #[error(transparent)]
    Scoring(#[from] crate::scoring::ScoringError),
}

/// Backs the database up to `file`; the backup is audited first (so the
/// copy holds its own entry).
pub async fn backup(db: &Db, url: &str, file: &Path, actor: &str) -> Result<BackupKind, UpkeepError> {
    let detail = serde_json::json!({ "file": file.display().to_string() });
    crate::db::audit::record_one(db, actor, "backup", "database", db.backend(), detail).await?;
    Ok(crate::db::backup::backup(db, url, file).await?)
}

/// A restored database and what its checks found.
pub struct Restored {
    pub kind: BackupKind,
    pub db: Db,
    /// The audit chain's verification.
    pub chain: Verification,
    /// Result versions checked against their content hashes.
    pub versions: usize,
    /// (year, version) of each that does not match.
    pub mismatched: Vec<(i32, i64)>,
    /// Why the sealed personal data cannot be read, if it cannot (the data
    /// key was not given to the restored copy).
    pub unreadable: Option<String>,
}

/// Restores `file` into the empty database at `url`, then verifies the
/// audit chain and every result version's hash, and that its data key
/// opens what it sealed.
pub async fn restore(url: &str, file: &Path) -> Result<Restored, UpkeepError> {
    restore_keyed(url, file, (None, None)).await
}

/// [`restore`] opening the restored database with the audit and data key
/// files `keys` (else its defaults). Its checks never write snapshots.
async fn restore_keyed(url: &str, file: &Path, keys: (Option<PathBuf>, Option<PathBuf>)) -> Result<Restored, UpkeepError> {
    let (kind, db) = crate::db::backup::restore(url, file, keys.0, keys.1).await?;
    let db = db.with_snapshots(None);
    let chain = crate::db::audit::verify(&db).await?;
    let (mut versions, mut mismatched) = (0, Vec::new());
    for year in crate::db::results::year_states(&db).await?.into_iter().map(|s| s.year) {
        for v in crate::db::results::versions(&db, year).await? {
            versions += 1;
            if !crate::scoring::verify(&db, &v).await? {
                mismatched.push((year, v.version));
            }
        }
    }
    let unreadable = db.sealer().err().map(|e| e.to_string());
    Ok(Restored { kind, db, chain, versions, mismatched, unreadable })
}

/// Verifies the backup `file` of `db` (reached at `url`) by restoring it
/// into a scratch database beside it (SQLite: a hidden folder of
/// `scratch_dir`; PostgreSQL: `<database>_verify` on the same server),
/// with `db`'s audit and data keys, and checking what [`restore`] checks;
/// the scratch database is removed whatever the outcome. The error says
/// what did not hold.
pub async fn verify_backup(db: &Db, url: &str, file: &Path, scratch_dir: &Path) -> Result<(), String> {
    let scratch = crate::db::backup::Scratch::create(url, scratch_dir).await.map_err(|e| format!("no scratch database to restore into: {e}"))?;
    let keys = (db.audit_key().map(Path::to_path_buf), db.data_key().map(Path::to_path_buf));
    let outcome = match restore_keyed(scratch.url(), file, keys).await {
        Ok(r) => {
            r.db.close().await;
            match (&r.chain.problem, r.mismatched.first(), &r.unreadable) {
                (None, None, None) => Ok(()),
                (Some(p), _, _) => Err(format!("the restored audit log is broken at entry {}: {}", p.id, p.message)),
                (_, Some((year, version)), _) => Err(format!("result {year} version {version} does not match its content hash")),
                (_, _, Some(why)) => Err(why.clone()),
            }
        }
        Err(e) => Err(format!("it does not restore: {e}")),
    };
    scratch.remove().await;
    outcome
}

/// Verifies the chain and finds each printed head (`--anchor`) in it.
pub async fn verify_anchored(db: &Db, anchors: &[String]) -> Result<Verification, DbError> {
    crate::db::audit::verify_anchored(db, anchors).await
}

/// A new audit key from the next entry on; with `key_lost`, after the old
/// key file was lost (what it keyed can then only be checked by its links).
pub async fn rotate_key(db: &Db, key_lost: bool, actor: &str) -> Result<Rotation, DbError> {
    if key_lost { crate::db::audit::replace_lost_key(db, actor).await } else { crate::db::audit::rotate_key(db, actor).await }
}

/// Uses the key file `path` (`--audit-key-file`) for every database this
/// process opens; the command line sets it once, before connecting.
pub fn use_audit_key_file(path: PathBuf) {
    crate::db::audit::key::set_flag(path);
}

/// Uses the data key file `path` (`--data-key-file`) and, for a new key,
/// `cipher` (`--data-cipher`) for every database this process opens; the
/// command line sets them once, before connecting.
pub fn use_data_key(path: Option<PathBuf>, cipher: Option<Cipher>) {
    crate::db::seal::key::set_flags(path, cipher);
}

/// Makes sure the audit chain's key is there (created for a new chain,
/// required for a keyed one) and the data key opens this database's
/// sealed data, before anything is served.
pub async fn prepare(db: &Db) -> Result<(), DbError> {
    db.sealer()?;
    crate::db::audit::ensure_key(db).await
}

/// Verifies the whole audit chain.
pub async fn verify_chain(db: &Db) -> Result<Verification, DbError> {
    crate::db::audit::verify(db).await
}
