//! The append-only audit log. Entries are only inserted, never updated or
//! deleted; each carries its predecessor's hash and a MAC over both, keyed
//! with a secret kept outside the database ([`key`]), so an edit anywhere
//! breaks the chain from that entry on, even for someone who can write the
//! database and recompute hashes.
//!
//! Entries are collected in an [`AuditLog`] during a write transaction and
//! written with it: the chain's head and the key file are read under the
//! writer lock of [`super::Db::begin_write`], so two writers can never fork
//! the chain, and no entry is written under a key being rotated away.
//!
//! [`verify`] walks the whole chain and names the first entry that was
//! edited, inserted or removed. Removing the newest entries leaves a
//! shorter chain that is still whole; to catch that, every result version
//! stores the head it saw (`result_versions.audit_head`, at publication the
//! head then), and a chain that no longer contains one of those heads was
//! cut. Since the database can be rewritten, heads printed outside it (on
//! the results notice, the public page) are checked by [`verify_anchored`].

pub mod key;
pub mod review;

use chrono::NaiveDateTime;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use super::{DbError, Result, Tx};
use crate::clock::now_cst;
use crate::hashing::to_hex;
use key::KeyFile;

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
    /// How the hash is computed: [`FORMAT`] for new entries, 1 or 2 for
    /// those written before the chain was keyed.
    pub format: i32,
}

/// The hash format of new entries: HMAC-SHA-256 under the key file's key
/// over every field prefixed by its length.
pub const FORMAT: i32 = 3;

impl AuditEntry {
    /// The unkeyed hash of an entry of format 1 or 2 over every field and
    /// its predecessor's hash.
    ///
    /// Format 2 prefixes each field with its length in bytes (8 bytes, big
    /// endian), so no choice of field contents can shift a boundary. Format
    /// 1 joined fields with 0x1F, which a composite key also contains: two
    /// different entries could hash alike. Both are kept only to verify
    /// entries written before the chain was keyed.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        if self.format == 1 {
            for part in self.parts() {
                Digest::update(&mut h, part.as_bytes());
                Digest::update(&mut h, [0x1f]);
            }
        } else {
            self.feed(&mut h, b"zhengxin-audit-v2");
        }
        to_hex(&h.finalize())
    }

    /// The keyed hash of format 3: HMAC-SHA-256 under `key` over the same
    /// length-prefixed fields as format 2, under its own domain string.
    pub fn compute_mac(&self, key: &[u8; 32]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
        self.feed(&mut mac, b"zhengxin-audit-v3");
        to_hex(&mac.finalize().into_bytes())
    }

    fn parts(&self) -> [String; 7] {
        let at = self.at.format("%Y-%m-%d %H:%M:%S").to_string();
        [&self.prev_hash, &at, &self.actor, &self.action, &self.entity, &self.entity_key, &self.detail].map(|p| p.to_string())
    }

    /// The domain, then each field after its length.
    fn feed(&self, h: &mut impl sha2::digest::Update, domain: &[u8]) {
        h.update(domain);
        for part in self.parts() {
            h.update(&(part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
    }
}

/// Entries being appended within one write transaction.
pub struct AuditLog {
    head: String,
    pending: Vec<AuditEntry>,
    at: NaiveDateTime,
    /// The current epoch's key.
    key: [u8; 32],
}

impl AuditLog {
    /// Reads the chain's head and the key file; call inside the write
    /// transaction. Creates the key file on first use. A key epoch no entry
    /// was written under yet gets its first entry now (`audit_key_created`
    /// by `system`), so that removing every keyed entry shows.
    pub async fn open(tx: &mut Tx) -> Result<AuditLog> {
        Self::open_sealing(tx, None).await
    }

    /// [`Self::open`], with a new epoch's first entry by `actor` as `action`.
    async fn open_sealing(tx: &mut Tx, seal: Option<(&str, &str)>) -> Result<AuditLog> {
        const LAST: &str = "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1";
        let last: Option<(i64, String)> = crate::on_tx!(tx, conn => sqlx::query_as(LAST).fetch_optional(conn).await?);
        let (last_id, head) = last.unwrap_or_else(|| (0, GENESIS.to_string()));
        let file = key_for_writing(tx, last_id).await?;
        let epoch = file.current();
        let mut log = AuditLog {
            head,
            pending: Vec::new(),
            at: now_cst(),
            key: epoch.key.expect("the newest epoch has a key (checked when parsed)"),
        };
        if last_id < epoch.from {
            let n = file.epochs.len();
            let (actor, action) = seal.unwrap_or(("system", if n == 1 { "audit_key_created" } else { "audit_key_epoch" }));
            log.record(actor, action, "audit_log", &epoch.from.to_string(), serde_json::json!({ "epoch": n, "from": epoch.from }));
        }
        Ok(log)
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
        entry.hash = entry.compute_mac(&self.key);
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

/// The key file of the transaction's database, created (keying entries
/// from `last_id + 1` on) if there is none and the log holds no keyed
/// entry: with keyed entries, a missing file was lost or misplaced, and
/// a new one would hide that.
async fn key_for_writing(tx: &mut Tx, last_id: i64) -> Result<KeyFile> {
    let path = key_path(tx.audit_key())?;
    if let Some(file) = key::read(&path).map_err(DbError::AuditKey)? {
        return Ok(file);
    }
    if keyed_entries(tx).await? > 0 {
        return Err(DbError::AuditKey(format!(
            "the audit log holds keyed entries but there is no key file at {}: point --audit-key-file (or {}) at it; if it is lost, see RELIABILITY.md (zhengxin audit rotate-key --key-lost)",
            path.display(),
            key::SETTING
        )));
    }
    let fresh = KeyFile::fresh(last_id + 1).map_err(DbError::AuditKey)?;
    let file = key::create(&path, &fresh).map_err(DbError::AuditKey)?;
    tracing::info!(path = %path.display(), from = last_id + 1, "audit key file created: back it up apart from the database");
    Ok(file)
}

fn key_path(path: Option<&std::path::Path>) -> Result<std::path::PathBuf> {
    path.map(std::path::Path::to_path_buf)
        .ok_or_else(|| DbError::AuditKey(format!("an in-memory database has no default audit key file: set --audit-key-file (or {})", key::SETTING)))
}

async fn keyed_entries(tx: &mut Tx) -> Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM audit_log WHERE format >= 3";
    Ok(crate::on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(SQL).fetch_one(conn).await?))
}

/// The id the next entry will have at the least.
async fn next_id(tx: &mut Tx) -> Result<i64> {
    const SQL: &str = "SELECT COALESCE(MAX(id), 0) FROM audit_log";
    Ok(crate::on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(SQL).fetch_one(conn).await?) + 1)
}

/// Makes sure the key file exists and its epoch has begun (at start-up
/// and `zhengxin init`): the key is created before anyone relies on it.
pub async fn ensure_key(db: &super::Db) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let mut log = AuditLog::open(&mut tx).await?;
    if log.pending.is_empty() {
        return Ok(());
    }
    log.flush(&mut tx).await?;
    tx.commit().await
}

/// What a rotation did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rotation {
    pub key_file: String,
    /// The new epoch's number (1 for the first).
    pub epoch: usize,
    /// The first entry it keys.
    pub from: i64,
    /// Where the earlier, now unverifiable, keyed entries begin (`--key-lost`).
    pub lost_from: Option<i64>,
}

/// `zhengxin audit rotate-key`: after the chain verifies under the current
/// key, appends a fresh epoch keying every entry from the next one on and
/// writes that entry (`audit_key_rotated` by `actor`) under it. No entry is
/// rehashed. Holds the writer lock throughout, so no writer appends under
/// the old key meanwhile.
pub async fn rotate_key(db: &super::Db, actor: &str) -> Result<Rotation> {
    let path = key_path(db.audit_key())?;
    let mut tx = db.begin_write().await?;
    let current = key::read(&path).map_err(DbError::AuditKey)?.ok_or_else(|| {
        DbError::AuditKey(format!("there is no key file at {} to rotate (zhengxin creates one on its first write)", path.display()))
    })?;
    refuse_unless_intact(db, Some(&current)).await?;
    let from = next_id(&mut tx).await?;
    let rotated = current.rotated(from).map_err(DbError::AuditKey)?;
    key::replace(&path, &rotated).map_err(DbError::AuditKey)?;
    seal(tx, actor, "audit_key_rotated").await?;
    Ok(Rotation { key_file: path.display().to_string(), epoch: rotated.epochs.len(), from, lost_from: None })
}

/// `zhengxin audit rotate-key --key-lost`: the key file is gone (and no
/// backup of it exists). A new file marks every keyed entry so far as
/// keyed under a lost key (their links are still checked, their contents
/// no longer can be) and keys the entries from the next one on afresh;
/// `audit_key_replaced` by `actor` is the first of them. Refused while a
/// key file is there, or when what can still be checked does not verify.
pub async fn replace_lost_key(db: &super::Db, actor: &str) -> Result<Rotation> {
    const FIRST_KEYED: &str = "SELECT MIN(id) FROM audit_log WHERE format >= 3";
    let path = key_path(db.audit_key())?;
    let mut tx = db.begin_write().await?;
    if key::read(&path).map_err(DbError::AuditKey)?.is_some() {
        return Err(DbError::AuditKey(format!("{} is there: rotate it without --key-lost", path.display())));
    }
    let first_keyed: Option<i64> = crate::on_tx!(&mut tx, conn => sqlx::query_scalar(FIRST_KEYED).fetch_one(conn).await?);
    // What can still be checked: the unkeyed part, every link, and that
    // the keyed part is keyed.
    let lost = first_keyed.map(|from| KeyFile { epochs: vec![key::Epoch { from, key: None }] });
    refuse_unless_intact(db, lost.as_ref()).await?;
    let from = next_id(&mut tx).await?;
    let mut file = KeyFile::fresh(from).map_err(DbError::AuditKey)?;
    if let Some(lost) = lost {
        file.epochs.splice(0..0, lost.epochs);
    }
    let file = key::create(&path, &file).map_err(DbError::AuditKey)?;
    seal(tx, actor, "audit_key_replaced").await?;
    Ok(Rotation { key_file: path.display().to_string(), epoch: file.epochs.len(), from, lost_from: first_keyed })
}

async fn refuse_unless_intact(db: &super::Db, file: Option<&KeyFile>) -> Result<()> {
    match verify_with(db, file, &[]).await?.problem {
        None => Ok(()),
        Some(p) => Err(DbError::AuditKey(format!("the chain does not verify, so its key is left as it is: entry {} ({}): {}", p.id, p.kind, p.message))),
    }
}

/// Writes the new epoch's first entry and commits.
async fn seal(mut tx: Tx, actor: &str, action: &str) -> Result<()> {
    let mut log = AuditLog::open_sealing(&mut tx, Some((actor, action))).await?;
    log.flush(&mut tx).await?;
    tx.commit().await
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
    /// The key file the chain was checked with, if there is one.
    pub key_file: Option<String>,
    /// The first entry keyed (none: no key file, the chain is unkeyed).
    pub keyed_from: Option<i64>,
    /// Entries keyed under a lost key: linked, but their contents cannot
    /// be checked.
    pub unverifiable: u64,
    /// The heads given to [`verify_anchored`] and where each was found.
    pub anchors: Vec<AnchorCheck>,
}

/// A printed head and the entry whose hash it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AnchorCheck {
    pub head: String,
    /// `None`: not in the chain.
    pub entry: Option<i64>,
}

/// The first place the chain is not what was written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainProblem {
    /// The entry's id (for a cut chain: the last entry's, or 0).
    pub id: i64,
    /// `edited`, `broken_link` (an entry inserted or removed before it),
    /// `unkeyed` (an entry not keyed as the key file says it must be),
    /// `no_key` (keyed entries but no key file), `cut`, or `anchor` (a
    /// printed head that is not in the chain).
    pub kind: &'static str,
    pub message: String,
}

/// Walks the chain in order, checking each entry's link and its hash (keyed
/// with its epoch's key from the key file), then that every head a result
/// version recorded is still in it.
pub async fn verify(db: &super::Db) -> Result<Verification> {
    verify_anchored(db, &[]).await
}

/// [`verify`], and that each of `printed` (heads printed on a results
/// notice or noted down from an earlier verification) is the hash of an
/// entry of the intact chain: nothing up to it was changed or removed.
pub async fn verify_anchored(db: &super::Db, printed: &[String]) -> Result<Verification> {
    let read = || match db.audit_key() {
        Some(path) => key::read(path).map_err(DbError::AuditKey),
        None => Ok(None),
    };
    let file = read()?;
    let mut found = verify_with(db, file.as_ref(), printed).await?;
    // A key made or rotated while the walk ran keys entries the walk saw
    // under the file read before it: check once more with the new file.
    if found.problem.is_some() {
        let again = read()?;
        if again != file {
            found = verify_with(db, again.as_ref(), printed).await?;
        }
    }
    found.key_file = db.audit_key().map(|p| p.display().to_string());
    Ok(found)
}

/// The chain checked against `file` (its epochs) and `printed` heads.
async fn verify_with(db: &super::Db, file: Option<&KeyFile>, printed: &[String]) -> Result<Verification> {
    use futures_util::TryStreamExt;
    const ENTRIES: &str = "SELECT at, actor, action, entity, entity_key, detail, prev_hash, hash, format, id FROM audit_log ORDER BY id";
    const ANCHORS: &str = "SELECT year, version, audit_head FROM result_versions WHERE audit_head IS NOT NULL ORDER BY id";
    let rows: Vec<(i64, i64, String)> = crate::on_db!(db, pool => sqlx::query_as(ANCHORS).fetch_all(pool).await?);
    let recorded: Vec<(String, String)> = rows.into_iter().map(|(year, version, head)| (head, format!("{year} version {version}"))).collect();
    let mut seen = vec![false; recorded.len()];
    let mut anchors: Vec<AnchorCheck> = printed.iter().map(|h| AnchorCheck { head: h.trim().to_ascii_lowercase(), entry: None }).collect();
    let mut walk = Walk { expected_prev: GENESIS.to_string(), entries: 0, last_id: 0, unverifiable: 0 };
    let mut problem = None;
    crate::on_db!(db, pool => {
        let mut rows = sqlx::query_as::<_, NumberedEntry>(ENTRIES).fetch(pool);
        while let Some(NumberedEntry { entry, id }) = rows.try_next().await? {
            if let Some(p) = walk.step(&entry, id, file) {
                problem = Some(p);
                break;
            }
            for (i, (head, _)) in recorded.iter().enumerate() {
                seen[i] |= *head == entry.hash;
            }
            for a in anchors.iter_mut().filter(|a| a.head == entry.hash) {
                a.entry = Some(id);
            }
            walk.expected_prev = entry.hash;
        }
    });
    let last_id = walk.last_id;
    if problem.is_none()
        && let Some(i) = seen.iter().position(|f| !f)
    {
        problem = Some(ChainProblem {
            id: last_id,
            kind: "cut",
            message: format!(
                "the audit log was cut: the chain ends at entry {last_id}, but {} recorded the head {} which is no longer in it",
                recorded[i].1, recorded[i].0
            ),
        });
    }
    if problem.is_none()
        && let Some(epoch) = file.map(KeyFile::current).filter(|e| e.from > last_id)
    {
        problem = Some(ChainProblem {
            id: last_id,
            kind: "cut",
            message: format!(
                "the audit log was cut: the key file keys the entries from {} on, but the chain ends at entry {last_id} (every entry under that key was removed)",
                epoch.from
            ),
        });
    }
    if problem.is_none()
        && let Some(a) = anchors.iter().find(|a| a.entry.is_none())
    {
        problem = Some(ChainProblem {
            id: last_id,
            kind: "anchor",
            message: format!("the printed head {} is not in the chain: entries up to it were changed or removed", a.head),
        });
    }
    Ok(Verification {
        entries: walk.entries,
        head: walk.expected_prev,
        problem,
        key_file: None,
        keyed_from: file.map(|f| f.epochs[0].from),
        unverifiable: walk.unverifiable,
        anchors,
    })
}

/// The state of a walk along the chain.
struct Walk {
    expected_prev: String,
    entries: u64,
    last_id: i64,
    unverifiable: u64,
}

impl Walk {
    /// Checks the next entry: its link, then its hash as its epoch says.
    fn step(&mut self, entry: &AuditEntry, id: i64, file: Option<&KeyFile>) -> Option<ChainProblem> {
        self.entries += 1;
        let problem = |kind, message| Some(ChainProblem { id, kind, message });
        if entry.prev_hash != self.expected_prev {
            return problem(
                "broken_link",
                format!("audit entry {id} does not follow the entry before it: an entry was inserted or removed before it (or the one before was altered)"),
            );
        }
        let edited = || format!("audit entry {id} ({} {} {}) was altered after it was written", entry.action, entry.entity, entry.entity_key);
        let epoch = file.and_then(|f| f.epoch_for(id));
        let keyed = entry.format >= 3;
        match (epoch, keyed) {
            (None, false) if entry.compute_hash() != entry.hash => return problem("edited", edited()),
            (None, false) => {}
            (None, true) if file.is_none() => {
                return problem("no_key", format!("audit entry {id} is keyed, but there is no key file to check it with: point --audit-key-file (or {}) at it", key::SETTING));
            }
            (None, true) => {
                return problem("unkeyed", format!("audit entry {id} is keyed although the key file keys only the entries from {} on", file.map_or(0, |f| f.epochs[0].from)));
            }
            (Some(e), false) => {
                return problem(
                    "unkeyed",
                    format!("audit entry {id} carries an unkeyed hash although the key file keys every entry from {} on: it was rewritten by someone without the key", e.from),
                );
            }
            (Some(e), true) => match &e.key {
                Some(key) if entry.compute_mac(key) != entry.hash => return problem("edited", edited()),
                Some(_) => {}
                None => self.unverifiable += 1,
            },
        }
        self.last_id = id;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(format: i32) -> AuditEntry {
        AuditEntry {
            at: chrono::NaiveDate::from_ymd_opt(2025, 1, 2).unwrap().and_hms_opt(3, 4, 5).unwrap(),
            actor: "cli:root".into(),
            action: "import".into(),
            entity: "hotline".into(),
            entity_key: "H1".into(),
            detail: "{}".into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
            format,
        }
    }

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let base = entry(2);
        let h = base.compute_hash();
        assert_eq!(h.len(), 64);
        let mut changed = base.clone();
        changed.detail = "{\"a\":1}".into();
        assert_ne!(changed.compute_hash(), h);
        let mut changed = base.clone();
        changed.prev_hash = "1".repeat(64);
        assert_ne!(changed.compute_hash(), h);
        let key = [7u8; 32];
        let mut changed = base.clone();
        changed.actor = "cli:other".into();
        assert_ne!(changed.compute_mac(&key), base.compute_mac(&key));
    }

    #[test]
    fn field_boundaries_cannot_shift_in_format_2() {
        // A composite key holds 0x1F; in format 1, moving it from the key
        // into the entity gave the same hash.
        let entry = |format, entity: &str, key: &str| AuditEntry { entity: entity.into(), entity_key: key.into(), ..entry(format) };
        assert_eq!(entry(1, "debt", "330302\u{1f}2025").compute_hash(), entry(1, "debt\u{1f}330302", "2025").compute_hash());
        assert_ne!(entry(2, "debt", "330302\u{1f}2025").compute_hash(), entry(2, "debt\u{1f}330302", "2025").compute_hash());
        assert_ne!(entry(1, "debt", "k").compute_hash(), entry(2, "debt", "k").compute_hash());
        assert_ne!(entry(3, "debt", "330302\u{1f}2025").compute_mac(&[1; 32]), entry(3, "debt\u{1f}330302", "2025").compute_mac(&[1; 32]));
    }

    #[test]
    fn the_keyed_hash_is_hmac_sha256_over_the_length_prefixed_fields() {
        // Computed independently (Python's hmac module) from the format's
        // description: key 00 01 … 1f, "zhengxin-audit-v3", then each field
        // after its length as 8 bytes big endian.
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        assert_eq!(entry(3).compute_mac(&key), "7bf50280b57adf1f57c488afb870c1a539093a8f0190eb2386cc7c33c3c06467");
    }

    #[test]
    fn the_keyed_hash_differs_per_key_and_from_the_unkeyed_one() {
        let e = entry(3);
        assert_ne!(e.compute_mac(&[1; 32]), e.compute_mac(&[2; 32]));
        assert_ne!(e.compute_mac(&[1; 32]), AuditEntry { format: 2, ..e.clone() }.compute_hash());
    }

    fn file(epochs: &[(i64, Option<[u8; 32]>)]) -> KeyFile {
        KeyFile { epochs: epochs.iter().map(|&(from, key)| key::Epoch { from, key }).collect() }
    }

    /// The first problem of entry `id` as the walk sees it.
    fn check(e: &AuditEntry, id: i64, f: Option<&KeyFile>) -> Option<&'static str> {
        let mut walk = Walk { expected_prev: GENESIS.to_string(), entries: 0, last_id: 0, unverifiable: 0 };
        walk.step(e, id, f).map(|p| p.kind)
    }

    #[test]
    fn a_keyed_entry_verifies_with_its_epochs_key_and_no_other() {
        let (a, b) = ([0xaa; 32], [0xbb; 32]);
        let mut keyed = entry(3);
        keyed.hash = keyed.compute_mac(&a);
        assert_eq!(check(&keyed, 5, Some(&file(&[(1, Some(a))]))), None);
        assert_eq!(check(&keyed, 5, Some(&file(&[(1, Some(b))]))), Some("edited"), "another key");
        assert_eq!(check(&keyed, 5, Some(&file(&[(1, Some(a)), (5, Some(b))]))), Some("edited"), "the epoch that keys id 5 is the second");
        assert_eq!(check(&keyed, 4, Some(&file(&[(1, Some(a)), (5, Some(b))]))), None, "id 4 is still the first epoch's");
        assert_eq!(check(&keyed, 5, Some(&file(&[(6, Some(a))]))), Some("unkeyed"), "a keyed entry before the key existed");
        assert_eq!(check(&keyed, 5, None), Some("no_key"));

        // Rewritten by someone with the database but not the key: a
        // correct plain SHA-256 of format 2 where a key is required.
        let mut forged = entry(2);
        forged.hash = forged.compute_hash();
        assert_eq!(check(&forged, 5, None), None, "an unkeyed chain accepts it: the attack this prevents");
        assert_eq!(check(&forged, 5, Some(&file(&[(6, Some(a))]))), None, "before the key existed: unkeyed is right");
        assert_eq!(check(&forged, 6, Some(&file(&[(6, Some(a))]))), Some("unkeyed"));

        // Under a lost key: counted, not checked.
        let mut walk = Walk { expected_prev: GENESIS.to_string(), entries: 0, last_id: 0, unverifiable: 0 };
        assert_eq!(walk.step(&keyed, 5, Some(&file(&[(3, None), (9, Some(b))]))).map(|p| p.kind), None);
        assert_eq!(walk.unverifiable, 1);
    }
}
