//! Scheduled backups while serving (`serve --backup-every 24h --backup-dir
//! DIR --backup-keep N [--backup-copy-to DIR2]`), as an IT team keeps them:
//! each one taken consistently while the server goes on writing
//! ([`crate::upkeep::backup`]), **verified by restoring it** into a scratch
//! database (the audit chain, every result version's hash, the data key
//! opening what it sealed), kept with the newest N, and copied to a second
//! directory, a mounted off-site store (等保 level 3, 8.1.4.9 b 异地备份),
//! where the newest N are kept too.
//!
//! A backup is written as `….checking` and takes its name, one that sorts
//! by time (`zhengxin-20261205T220000.db`, `.pgdump` for PostgreSQL), only
//! once verified, so it is one of the N only then: a copy that does not
//! restore is renamed `….unverified` and kept apart (never pruned, never
//! copied), and the failure is logged and audited. The first backup after a start is
//! due when the newest verified one in the directory is `every` old (at
//! once if there is none), so a restart neither skips nor doubles one.
//!
//! The scratch database: for SQLite a file in a hidden folder of the
//! backup directory, removed afterwards; for PostgreSQL a database named
//! after the live one with `_verify` appended, created and dropped on the
//! same server (the role needs CREATEDB; without it the backup is kept
//! unverified and says why).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDateTime;

use crate::db::Db;
use crate::upkeep::{self, BackupKind, UpkeepError};

/// Who the log and the audit entries name for scheduled backups.
pub const ACTOR: &str = "system:backup";

/// What `serve` was told to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub every: Duration,
    pub dir: PathBuf,
    /// Verified backups kept in each directory.
    pub keep: usize,
    /// The second, off-site directory, if any.
    pub copy_to: Option<PathBuf>,
}

/// One scheduled backup's outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Taken {
    pub file: PathBuf,
    pub kind: BackupKind,
    pub bytes: u64,
    pub seconds: f64,
    /// `None` when verified; else why not (the file is then `….unverified`).
    pub unverified: Option<String>,
    /// The off-site copy.
    pub copied: Option<PathBuf>,
    /// Older backups removed, in either directory.
    pub removed: Vec<PathBuf>,
}

/// The file name of a backup taken at `at` (China Standard Time).
pub fn file_name(at: NaiveDateTime, kind: BackupKind) -> String {
    let ext = match kind {
        BackupKind::Sqlite => "db",
        BackupKind::PgDump => "pgdump",
    };
    format!("zhengxin-{}.{ext}", at.format("%Y%m%dT%H%M%S"))
}

/// `name` with `suffix` appended (`zhengxin-….db.checking`).
fn suffixed(dir: &Path, name: &str, suffix: &str) -> PathBuf {
    dir.join(format!("{name}.{suffix}"))
}

/// When the backup named `name` was taken, if it is one of ours.
pub fn taken_at(name: &str) -> Option<NaiveDateTime> {
    let stamp = name.strip_prefix("zhengxin-")?;
    let stamp = stamp.strip_suffix(".db").or_else(|| stamp.strip_suffix(".pgdump"))?;
    NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S").ok()
}

/// The verified backups in `dir`, oldest first.
pub fn verified(dir: &Path) -> Vec<(NaiveDateTime, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<(NaiveDateTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            taken_at(&name).map(|at| (at, e.path()))
        })
        .collect();
    found.sort();
    found
}

/// When the next backup is due: `every` after the newest verified one in
/// `dir`, or `now` if there is none (or it is overdue).
pub fn next_due(dir: &Path, every: Duration, now: NaiveDateTime) -> NaiveDateTime {
    let every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
    match verified(dir).last() {
        Some((at, _)) => (*at + every).max(now),
        None => now,
    }
}

/// Removes all but the newest `keep` verified backups of `dir`; what it
/// removed.
fn prune(dir: &Path, keep: usize) -> Vec<PathBuf> {
    let all = verified(dir);
    let excess = all.len().saturating_sub(keep);
    all.into_iter().take(excess).filter(|(_, p)| std::fs::remove_file(p).is_ok()).map(|(_, p)| p).collect()
}

/// Copies `file` into `dir` whole or not at all (a partial name, synced,
/// then renamed).
fn copy_whole(file: &Path, dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let name = file.file_name().ok_or_else(|| std::io::Error::other("a backup file has a name"))?;
    let target = dir.join(name);
    let partial = dir.join(format!(".{}.partial", name.to_string_lossy()));
    std::fs::copy(file, &partial)?;
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, &target)?;
    Ok(target)
}

/// Takes one backup of `db` (reached at `url`) into `s.dir` at `now`,
/// verifies it, keeps the newest `s.keep`, and copies it off-site.
pub async fn take(db: &Db, url: &str, s: &Schedule, now: NaiveDateTime) -> Result<Taken, UpkeepError> {
    let started = std::time::Instant::now();
    std::fs::create_dir_all(&s.dir).map_err(|source| crate::db::backup::BackupError::Io { path: s.dir.clone(), source })?;
    let kind = if db.backend() == "sqlite" { BackupKind::Sqlite } else { BackupKind::PgDump };
    let name = file_name(now, kind);
    // Written and checked under another name: only a verified backup ever
    // carries a backup's name, even if the process stops half-way.
    let checking = suffixed(&s.dir, &name, "checking");
    let _ = std::fs::remove_file(&checking);
    upkeep::backup(db, url, &checking, ACTOR).await?;
    let bytes = std::fs::metadata(&checking).map(|m| m.len()).unwrap_or(0);
    let unverified = upkeep::verify_backup(db, url, &checking, &s.dir).await.err();
    let file = match &unverified {
        None => s.dir.join(&name),
        Some(_) => suffixed(&s.dir, &name, "unverified"),
    };
    std::fs::rename(&checking, &file).map_err(|source| crate::db::backup::BackupError::Io { path: file.clone(), source })?;
    let mut taken = Taken { file, kind, bytes, seconds: 0.0, unverified, copied: None, removed: Vec::new() };
    if let Some(why) = &taken.unverified {
        tracing::error!(file = %taken.file.display(), reason = %why, "a scheduled backup did not restore: kept apart as unverified");
    } else {
        taken.removed = prune(&s.dir, s.keep);
        if let Some(dir) = &s.copy_to {
            match copy_whole(&taken.file, dir) {
                Ok(copy) => {
                    taken.copied = Some(copy);
                    taken.removed.extend(prune(dir, s.keep));
                }
                Err(e) => tracing::error!(dir = %dir.display(), error = %e, "a scheduled backup was not copied off-site"),
            }
        }
    }
    taken.seconds = started.elapsed().as_secs_f64();
    // (The newest verified backup's time is read from the folder when
    // the metrics are scraped.)
    if taken.unverified.is_some() {
        crate::metrics::get().backups_unverified.inc();
    }
    let detail = serde_json::to_value(&taken).unwrap_or_default();
    let action = if taken.unverified.is_none() { "backup_verified" } else { "backup_unverified" };
    crate::db::audit::record_one(db, ACTOR, action, "database", db.backend(), detail).await?;
    Ok(taken)
}

/// Runs `s` until aborted: each backup when due ([`next_due`]); after one
/// that failed or did not verify, the next try waits `every` or an hour,
/// whichever is shorter (a full disk is not hammered, nor a day lost).
pub fn spawn(db: Db, url: String, s: Schedule) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let retry = s.every.min(Duration::from_secs(3600));
        loop {
            let now = crate::clock::now_cst();
            let wait = (next_due(&s.dir, s.every, now) - now).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            let verified = match take(&db, &url, &s, crate::clock::now_cst()).await {
                Ok(t) => {
                    if t.unverified.is_none() {
                        tracing::info!(file = %t.file.display(), bytes = t.bytes, seconds = t.seconds, copied = t.copied.is_some(), removed = t.removed.len(), "scheduled backup verified");
                    }
                    t.unverified.is_none()
                }
                Err(e) => {
                    tracing::error!(error = %e, "a scheduled backup failed");
                    false
                }
            };
            if !verified {
                tokio::time::sleep(retry).await;
            }
        }
    })
}
