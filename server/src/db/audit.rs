//! The append-only audit log. Entries are only inserted, never updated or
//! deleted; each carries its predecessor's hash and a SHA-256 over both, so
//! an edit anywhere breaks the chain from that entry on.
//!
//! Entries are collected in an [`AuditLog`] during a write transaction and
//! written with it: the chain's head is read under the writer lock of
//! [`super::Db::begin_write`], so two writers can never fork it.

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{Result, Tx, now_cst};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry as stored.
#[derive(Debug, Clone, PartialEq)]
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
}

impl AuditEntry {
    /// The hash of an entry over every field and its predecessor's hash.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.prev_hash.as_str(),
            &self.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            &self.actor,
            &self.action,
            &self.entity,
            &self.entity_key,
            &self.detail,
        ] {
            h.update(part.as_bytes());
            h.update([0x1f]);
        }
        to_hex(&h.finalize())
    }
}

pub fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
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
            sqlx::query("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
                .fetch_optional(conn)
                .await?
                .map(|r| r.try_get::<String, _>(0))
                .transpose()?
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
        };
        entry.hash = entry.compute_hash();
        self.head = entry.hash.clone();
        self.pending.push(entry);
    }

    /// Writes the pending entries into the transaction.
    pub async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        const INSERT: &str = "INSERT INTO audit_log (at, actor, action, entity, entity_key, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        for e in self.pending.drain(..) {
            crate::on_tx!(tx, conn => {
                sqlx::query(INSERT)
                    .bind(e.at).bind(&e.actor).bind(&e.action).bind(&e.entity)
                    .bind(&e.entity_key).bind(&e.detail).bind(&e.prev_hash).bind(&e.hash)
                    .execute(conn)
                    .await?;
            });
        }
        Ok(())
    }
}

/// The changes of one record, oldest first (imports audit their batch
/// under the same table name, keyed by batch id: those are left out).
pub async fn history(db: &super::Db, entity: &str, key: &str) -> Result<Vec<AuditEntry>> {
    const SQL: &str = "SELECT at, actor, action, entity, entity_key, detail, prev_hash, hash FROM audit_log WHERE entity = $1 AND entity_key = $2 AND action = 'update' ORDER BY id";
    let mut out = Vec::new();
    crate::on_db!(db, pool => {
        for r in sqlx::query(SQL).bind(entity).bind(key).fetch_all(pool).await? {
            out.push(AuditEntry {
                at: r.try_get(0)?,
                actor: r.try_get(1)?,
                action: r.try_get(2)?,
                entity: r.try_get(3)?,
                entity_key: r.try_get(4)?,
                detail: r.try_get(5)?,
                prev_hash: r.try_get(6)?,
                hash: r.try_get(7)?,
            });
        }
    });
    Ok(out)
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
}
