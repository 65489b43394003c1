//! Keeping the stored data trustworthy, as the IT team runs it: the audit
//! chain's key and its verification. The command line and start-up reach
//! the audit log here, not in `db/` (ARCHITECTURE.md).

use std::path::PathBuf;

pub use crate::db::audit::Verification;
use crate::db::{Db, DbError};

/// Uses the key file `path` (`--audit-key-file`) for every database this
/// process opens; the command line sets it once, before connecting.
pub fn use_audit_key_file(path: PathBuf) {
    crate::db::audit::key::set_flag(path);
}

/// Makes sure the audit chain's key is there (created for a new chain,
/// required for a keyed one) before anything is served.
pub async fn prepare(db: &Db) -> Result<(), DbError> {
    crate::db::audit::ensure_key(db).await
}

/// Verifies the whole audit chain.
pub async fn verify_chain(db: &Db) -> Result<Verification, DbError> {
    crate::db::audit::verify(db).await
}
