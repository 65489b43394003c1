//! The append-only audit log. Entries are only inserted, never updated or
//! deleted; each carries its predecessor's hash and a SHA-256 over both, so
//! an edit anywhere breaks the chain from that entry on.
//!
//! Entries are collected in an [`AuditLog`] during a write transaction and
//! written with it: the chain's head is read under the writer lock of
//! [`super::Db::begin_write`], so two writers can never fork it.
//!
//! [`verify`] walks the whole chain and names the first entry that was
//! edited, inserted or removed. Removing the newest entries leaves a
//! shorter chain that is still whole; to catch that, every result version
//! stores the head it saw (`result_versions.audit_head`), and a chain that
//! no longer contains one of those heads was cut.

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use super::{Result, Tx};
use crate::clock::now_cst;
use crate::hashing::to_hex;

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AuditEntry {
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_key: String,
    /// JSON text.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
    /// How the hash is computed: [`FORMAT`] for new entries, 1 for those
    /// written before it.
    pub format: i32,
}

/// The hash format of new entries: every field prefixed by its length.
pub const FORMAT: i32 = 2;

impl AuditEntry {
    /// The hash of an entry over every field and its predecessor's hash.
    ///
    /// Format 2 prefixes each field with its length in bytes (8 bytes, big
    /// endian), so no choice of field contents can shift a boundary. Format
    /// 1 joined fields with 0x1F, which a composite key also contains: two
    /// different entries could hash alike. It is kept only to verify
    /// entries written before format 2.
    pub fn compute_hash(&self) -> String {
        let at = self.at.format("%Y-%m-%d %H:%M:%S").to_string();
        let parts = [self.prev_hash.as_str(), &at, &self.actor, &self.action, &self.entity, &self.entity_key, &self.detail];
        let mut h = Sha256::new();
        if self.format == 1 {
            for part in parts {
                h.update(part.as_bytes());
                h.update([0x1f]);
            }
        } else {
            h.update(b"zhengxin-audit-v2");
            for part in parts {
                h.update((part.len() as u64).to_be_bytes());
                h.update(part.as_bytes());
            }
        }
        to_hex(&h.finalize())
    }
}

/// Entries being appended within one write transaction.
pub struct AuditLog {
    head: String,
    pending: Vec<AuditEntry>,
    at: NaiveDateTime,
}

impl AuditLog {
    /// Reads the chain's head; call inside the write transaction.
    pub async fn open(tx: &mut Tx) -> Result<AuditLog> {
        let head: Option<String> = crate::on_tx!(tx, conn => {
            sqlx::query_scalar::<_, String>("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetch_optional(conn).await?
        });
        Ok(AuditLog {
            head: head.unwrap_or_else(|| GENESIS.to_string()),
            pending: Vec::new(),
            at: now_cst(),
        })
    }

    /// Appends an entry; `detail` must not hold personal data.
    pub fn record(&mut self, actor: &str, action: &str, entity: &str, entity_key: &str, detail: serde_json::Value) {
        let mut entry = AuditEntry {
            at: self.at,
            actor: actor.to_string(),
            action: action.to_string(),
            entity: entity.to_string(),
            entity_key: entity_key.to_string(),
            detail: detail.to_string(),
            prev_hash: std::mem::take(&mut self.head),
            hash: String::new(),
            format: FORMAT,
        };
        entry.hash = entry.compute_hash();
        self.head = entry.hash.clone();
        self.pending.push(entry);
    }

    /// The chain's head once the pending entries are written.
    pub fn head(&self) -> &str {
        &self.head
    }

    /// Writes the pending entries into the transaction.
    pub async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        const INSERT: &str = "INSERT INTO audit_log (at, actor, action, entity, entity_key, detail, prev_hash, hash, format) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        for e in self.pending.drain(..) {
            crate::on_tx!(tx, conn => {
                sqlx::query(INSERT)
                    .bind(e.at).bind(&e.actor).bind(&e.action).bind(&e.entity)
                    .bind(&e.entity_key).bind(&e.detail).bind(&e.prev_hash).bind(&e.hash).bind(e.format)
                    .execute(conn)
                    .await?;
            });
        }
        Ok(())
    }
}

/// Writes one entry in a transaction of its own: for what a person does
/// that changes nothing else (an export, say).
pub async fn record_one(db: &super::Db, actor: &str, action: &str, entity: &str, entity_key: &str, detail: serde_json::Value) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let mut log = AuditLog::open(&mut tx).await?;
    log.record(actor, action, entity, entity_key, detail);
    log.flush(&mut tx).await?;
    tx.commit().await
}

/// The changes of one record, oldest first (imports audit their batch
/// under the same table name, keyed by batch id: those are left out).
pub async fn history(db: &super::Db, entity: &str, key: &str) -> Result<Vec<AuditEntry>> {
    const SQL: &str = "SELECT at, actor, action, entity, entity_key, detail, prev_hash, hash, format FROM audit_log WHERE entity = $1 AND entity_key = $2 AND action = 'update' ORDER BY id";
    Ok(crate::on_db!(db, pool => sqlx::query_as::<_, AuditEntry>(SQL).bind(entity).bind(key).fetch_all(pool).await?))
}

/// An entry with its id, as the chain is walked.
#[derive(sqlx::FromRow)]
struct NumberedEntry {
    #[sqlx(flatten)]
    entry: AuditEntry,
    id: i64,
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verification {
    /// Entries read.
    pub entries: u64,
    /// The last entry's hash (the genesis hash for an empty log).
    pub head: String,
    /// The first problem, if any.
    pub problem: Option<ChainProblem>,
}

/// The first place the chain is not what was written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainProblem {
    /// The entry's id (for a cut chain: the last entry's, or 0).
    pub id: i64,
    /// `edited`, `broken_link` (an entry inserted or removed before it), or `cut`.
    pub kind: &'static str,
    pub message: String,
}

/// Walks the chain in order, checking each entry's hash and link, then that
/// every head a result version recorded is still in it.
pub async fn verify(db: &super::Db) -> Result<Verification> {
    use futures_util::TryStreamExt;
    const ENTRIES: &str = "SELECT at, actor, action, entity, entity_key, detail, prev_hash, hash, format, id FROM audit_log ORDER BY id";
    const ANCHORS: &str = "SELECT year, version, audit_head FROM result_versions WHERE audit_head IS NOT NULL ORDER BY id";
    let rows: Vec<(i64, i64, String)> = crate::on_db!(db, pool => sqlx::query_as(ANCHORS).fetch_all(pool).await?);
    let anchors: Vec<(String, String)> = rows.into_iter().map(|(year, version, head)| (head, format!("{year} version {version}"))).collect();
    let mut found = vec![false; anchors.len()];
    let mut expected_prev = GENESIS.to_string();
    let mut entries = 0u64;
    let mut last_id = 0i64;
    let mut problem = None;
    crate::on_db!(db, pool => {
        let mut rows = sqlx::query_as::<_, NumberedEntry>(ENTRIES).fetch(pool);
        while let Some(NumberedEntry { entry, id }) = rows.try_next().await? {
            entries += 1;
            if entry.prev_hash != expected_prev {
                problem = Some(ChainProblem {
                    id,
                    kind: "broken_link",
                    message: format!("audit entry {id} does not follow the entry before it: an entry was inserted or removed before it (or the one before was altered)"),
                });
                break;
            }
            if entry.compute_hash() != entry.hash {
                problem = Some(ChainProblem {
                    id,
                    kind: "edited",
                    message: format!("audit entry {id} ({} {} {}) was altered after it was written", entry.action, entry.entity, entry.entity_key),
                });
                break;
            }
            for (i, (head, _)) in anchors.iter().enumerate() {
                if *head == entry.hash {
                    found[i] = true;
                }
            }
            expected_prev = entry.hash;
            last_id = id;
        }
    });
    if problem.is_none()
        && let Some(i) = found.iter().position(|f| !f)
    {
        problem = Some(ChainProblem {
            id: last_id,
            kind: "cut",
            message: format!(
                "the audit log was cut: the chain ends at entry {last_id}, but {} recorded the head {} which is no longer in it",
                anchors[i].1, anchors[i].0
            ),
        });
    }
    Ok(Verification { entries, head: expected_prev, problem })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let base = AuditEntry {
            at: chrono::NaiveDate::from_ymd_opt(2025, 1, 2).unwrap().and_hms_opt(3, 4, 5).unwrap(),
            actor: "cli:root".into(),
            action: "import".into(),
            entity: "hotline".into(),
            entity_key: "H1".into(),
            detail: "{}".into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
            format: FORMAT,
        };
        let h = base.compute_hash();
        assert_eq!(h.len(), 64);
        let mut changed = base.clone();
        changed.detail = "{\"a\":1}".into();
        assert_ne!(changed.compute_hash(), h);
        let mut changed = base.clone();
        changed.prev_hash = "1".repeat(64);
        assert_ne!(changed.compute_hash(), h);
    }

    #[test]
    fn field_boundaries_cannot_shift_in_format_2() {
        // A composite key holds 0x1F; in format 1, moving it from the key
        // into the entity gave the same hash.
        let entry = |format, entity: &str, key: &str| AuditEntry {
            at: chrono::NaiveDate::from_ymd_opt(2025, 1, 2).unwrap().and_hms_opt(3, 4, 5).unwrap(),
            actor: "a".into(),
            action: "update".into(),
            entity: entity.into(),
            entity_key: key.into(),
            detail: "{}".into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
            format,
        };
        assert_eq!(entry(1, "debt", "330302\u{1f}2025").compute_hash(), entry(1, "debt\u{1f}330302", "2025").compute_hash());
        assert_ne!(entry(2, "debt", "330302\u{1f}2025").compute_hash(), entry(2, "debt\u{1f}330302", "2025").compute_hash());
        assert_ne!(entry(1, "debt", "k").compute_hash(), entry(2, "debt", "k").compute_hash());
    }
}
