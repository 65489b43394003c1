//! Uploads from the import page, waiting for a decision. An upload is
//! stored as it came (its files' bytes), checked exactly as `zhengxin
//! import` would check it, and its report kept; the assessment team then
//! commits it (the normal import, in one transaction, checking again) or
//! discards it. Either way the bytes are dropped and the row stays, with
//! its report, as history; each step has its audit entry.
//!
//! Committing and marking the upload committed are two transactions: a
//! crash between them leaves an upload that can be committed again, which
//! changes nothing the second time (re-imports are idempotent).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::Input;
use super::report::ImportReport;
use crate::db::audit::AuditLog;
use crate::clock::now_cst;
use crate::db::{Db, DbError, Result};
use crate::sources::Source;
use crate::{on_db, on_tx};

/// Problems kept per stored report; a file where every row is wrong would
/// otherwise store (and show) a million lines. The total is kept too.
pub const STORED_ISSUES: usize = 1000;

/// One problem of a stored report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredIssue {
    pub severity: String,
    pub file: String,
    pub row: Option<usize>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCounts {
    pub total: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFile {
    pub file: String,
    pub source: Option<String>,
    pub format: Option<String>,
    pub rows: u64,
    pub counts: Option<StoredCounts>,
}

/// An import report as stored with an upload: the check's, then the
/// commit's (which has the counts of what was written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredReport {
    pub ok: bool,
    /// True for a commit's report: something was (or would have been) written.
    pub committed: bool,
    pub files: Vec<StoredFile>,
    pub errors: Vec<StoredIssue>,
    pub errors_total: usize,
    pub warnings: Vec<StoredIssue>,
    pub warnings_total: usize,
}

impl StoredReport {
    pub fn from_report(report: &ImportReport, committed: bool) -> StoredReport {
        let issues = |list: &[super::report::Issue]| -> Vec<StoredIssue> {
            list.iter()
                .take(STORED_ISSUES)
                .map(|i| StoredIssue {
                    severity: format!("{:?}", i.severity).to_lowercase(),
                    file: i.file.clone(),
                    row: i.row,
                    column: i.column.clone(),
                    value: i.value.clone(),
                    code: i.code.to_string(),
                    message: i.message.clone(),
                })
                .collect()
        };
        StoredReport {
            ok: report.ok,
            committed,
            files: report
                .files
                .iter()
                .map(|f| StoredFile {
                    file: f.file.clone(),
                    source: f.source.map(|s| s.spec().file_stem.to_string()),
                    format: f.format.map(|f| serde_json::to_value(f).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()),
                    rows: f.rows,
                    counts: f.counts.as_ref().map(|c| StoredCounts {
                        total: c.total,
                        inserted: c.inserted,
                        updated: c.updated,
                        unchanged: c.unchanged,
                    }),
                })
                .collect(),
            errors: issues(&report.errors),
            errors_total: report.error_count as usize,
            warnings: issues(&report.warnings),
            warnings_total: report.warning_count as usize,
        }
    }
}

/// A file of an upload (without its bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct StagedFile {
    pub file_name: String,
    pub source: Option<String>,
    pub size: i64,
}

/// An upload and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Staged {
    pub id: i64,
    /// `staged|committed|discarded`
    pub status: String,
    pub report: Option<StoredReport>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub files: Vec<StagedFile>,
}

/// Stores an upload's files (in their canonical form, see
/// [`super::canonical`]; `sizes` are the files' sizes as sent); it waits,
/// unchecked, as `staged`.
pub async fn stage(db: &Db, inputs: &[Input], sizes: &[u64], actor: &str) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    const INSERT: &str = "INSERT INTO staged_imports (status, created_by, created_at) VALUES ('staged', $1, $2) RETURNING id";
    const FILE: &str = "INSERT INTO staged_import_files (staged_id, position, file_name, source, size, bytes) VALUES ($1, $2, $3, $4, $5, $6)";
    let id: i64 = on_tx!(&mut tx, conn => {
        let id: i64 = sqlx::query(INSERT).bind(actor).bind(now_cst()).fetch_one(&mut *conn).await?.try_get(0)?;
        for (position, input) in inputs.iter().enumerate() {
            sqlx::query(FILE)
                .bind(id)
                .bind(position as i32)
                .bind(&input.file_name)
                .bind(input.source.map(|s| s.spec().file_stem))
                .bind(sizes.get(position).map_or(input.bytes.len() as i64, |&n| n as i64))
                .bind(input.bytes.as_slice())
                .execute(&mut *conn)
                .await?;
        }
        id
    });
    let files: Vec<&str> = inputs.iter().map(|i| i.file_name.as_str()).collect();
    audit.record(actor, "import_stage", "staged_imports", &id.to_string(), serde_json::json!({ "files": files }));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(id)
}

/// The files of a waiting upload, to check or import; empty once decided.
pub async fn inputs(db: &Db, id: i64) -> Result<Vec<Input>> {
    const SQL: &str = "SELECT file_name, source, bytes FROM staged_import_files WHERE staged_id = $1 AND bytes IS NOT NULL ORDER BY position";
    let mut out = Vec::new();
    on_db!(db, pool => {
        for r in sqlx::query(SQL).bind(id).fetch_all(pool).await? {
            let source: Option<String> = r.try_get(1)?;
            out.push(Input {
                staged: true,
                file_name: r.try_get(0)?,
                source: source.as_deref().and_then(Source::parse),
                bytes: r.try_get(2)?,
            });
        }
    });
    Ok(out)
}

/// Keeps a report with a waiting upload (the check's).
pub async fn set_report(db: &Db, id: i64, report: &StoredReport) -> Result<()> {
    let text = serde_json::to_string(report).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let mut tx = db.begin_write().await?;
    on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE staged_imports SET report = $1 WHERE id = $2 AND status = 'staged'").bind(&text).bind(id).execute(conn).await?;
    });
    tx.commit().await?;
    Ok(())
}

/// Ends a waiting upload as `committed` (with the commit's report) or
/// `discarded`, and drops its bytes. False when it was not waiting.
pub async fn finish(db: &Db, id: i64, status: &str, report: Option<&StoredReport>, actor: &str) -> Result<bool> {
    debug_assert!(matches!(status, "committed" | "discarded"));
    let text = report.map(serde_json::to_string).transpose().map_err(|e| DbError::Corrupt(e.to_string()))?;
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    const END: &str = "UPDATE staged_imports SET status = $1, report = COALESCE($2, report), decided_by = $3, decided_at = $4 WHERE id = $5 AND status = 'staged'";
    let changed = on_tx!(&mut tx, conn => {
        let changed = sqlx::query(END).bind(status).bind(&text).bind(actor).bind(now_cst()).bind(id).execute(&mut *conn).await?.rows_affected();
        sqlx::query("UPDATE staged_import_files SET bytes = NULL WHERE staged_id = $1").bind(id).execute(&mut *conn).await?;
        changed
    });
    if changed == 0 {
        return Ok(false);
    }
    audit.record(actor, &format!("import_{status}"), "staged_imports", &id.to_string(), serde_json::json!({}));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(true)
}

/// Discards the uploads that have waited longer than `hours` (their bytes
/// dropped, the decision audited as the system's), but those `busy` says a
/// job is checking or committing; returns how many.
pub async fn expire(db: &Db, hours: u32, busy: &(dyn Fn(i64) -> bool + Send + Sync)) -> Result<usize> {
    const WAITING: &str = "SELECT id FROM staged_imports WHERE status = 'staged' AND created_at < $1 ORDER BY id";
    let cutoff = now_cst() - chrono::Duration::hours(i64::from(hours));
    let ids: Vec<i64> = on_db!(db, pool => {
        sqlx::query(WAITING).bind(cutoff).fetch_all(pool).await?.iter().map(|r| r.try_get(0)).collect::<std::result::Result<_, _>>()?
    });
    let mut expired = 0;
    for id in ids.into_iter().filter(|id| !busy(*id)) {
        if finish(db, id, "discarded", None, "system:expiry").await? {
            expired += 1;
        }
    }
    Ok(expired)
}

const SELECT: &str = "SELECT id, status, report, created_by, created_at, decided_by, decided_at FROM staged_imports";

/// One upload, with its files.
pub async fn get(db: &Db, id: i64) -> Result<Option<Staged>> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1"));
    let mut found = read(db, sql, Some(id)).await?;
    Ok(found.pop())
}

/// The most recent uploads, newest first.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<Staged>> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY id DESC LIMIT {limit}"));
    read(db, sql, None).await
}

async fn read(db: &Db, sql: sqlx::AssertSqlSafe<String>, id: Option<i64>) -> Result<Vec<Staged>> {
    let mut out = Vec::new();
    on_db!(db, pool => {
        let q = sqlx::query(sql);
        let q = match id { Some(id) => q.bind(id), None => q };
        for r in q.fetch_all(pool).await? {
            let report: Option<String> = r.try_get(2)?;
            out.push(Staged {
                id: r.try_get(0)?,
                status: r.try_get(1)?,
                report: report.map(|t| serde_json::from_str(&t)).transpose().map_err(|e| DbError::Corrupt(e.to_string()))?,
                created_by: r.try_get(3)?,
                created_at: r.try_get(4)?,
                decided_by: r.try_get(5)?,
                decided_at: r.try_get(6)?,
                files: Vec::new(),
            });
        }
    });
    const FILES: &str = "SELECT file_name, source, size FROM staged_import_files WHERE staged_id = $1 ORDER BY position";
    for s in &mut out {
        on_db!(db, pool => {
            for r in sqlx::query(FILES).bind(s.id).fetch_all(pool).await? {
                s.files.push(StagedFile { file_name: r.try_get(0)?, source: r.try_get(1)?, size: r.try_get(2)? });
            }
        });
    }
    Ok(out)
}
