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

use super::Input;
use super::report::ImportReport;
use crate::clock::now_cst;
use crate::db::audit::AuditLog;
use crate::db::uploads::{self, NewFile, UploadRow};
pub use crate::db::uploads::{Ending, UploadStatus};
use crate::db::{Db, DbError, Result};
use crate::sources::Source;

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
    pub status: UploadStatus,
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
    let files: Vec<NewFile<'_>> = inputs
        .iter()
        .enumerate()
        .map(|(position, input)| NewFile {
            file_name: &input.file_name,
            source: input.source.map(|s| s.spec().file_stem),
            size: sizes.get(position).map_or(input.bytes.len() as i64, |&n| n as i64),
            bytes: &input.bytes,
        })
        .collect();
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    let id = uploads::insert(&mut tx, actor, now_cst(), &files).await?;
    let names: Vec<&str> = inputs.iter().map(|i| i.file_name.as_str()).collect();
    audit.record(actor, "import_stage", "staged_imports", &id.to_string(), serde_json::json!({ "files": names }));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(id)
}

/// An upload's files as they will wait: only what the importer reads is
/// kept (see [`super::canonical`]), so a dropped column's values never
/// reach the database. Runs off the async workers.
pub async fn canonical(inputs: Vec<Input>) -> std::result::Result<Vec<Input>, tokio::task::JoinError> {
    tokio::task::spawn_blocking(move || {
        inputs
            .into_iter()
            .map(|mut input| {
                let spec = input.source.or_else(|| Source::from_file_name(&input.file_name)).map(Source::spec);
                input.bytes = super::canonical::canonical(&input.bytes, spec);
                input.staged = true;
                input
            })
            .collect()
    })
    .await
}

/// The files of a waiting upload, to check or import; empty once decided.
pub async fn inputs(db: &Db, id: i64) -> Result<Vec<Input>> {
    Ok(uploads::waiting_files(db, id)
        .await?
        .into_iter()
        .map(|f| Input { staged: true, file_name: f.file_name, source: f.source.as_deref().and_then(Source::parse), bytes: f.bytes })
        .collect())
}

/// A report as stored: JSON text.
fn report_text(report: &StoredReport) -> Result<String> {
    serde_json::to_string(report).map_err(|e| DbError::Corrupt(e.to_string()))
}

/// Keeps a report with a waiting upload (the check's).
pub async fn set_report(db: &Db, id: i64, report: &StoredReport) -> Result<()> {
    let text = report_text(report)?;
    let mut tx = db.begin_write().await?;
    uploads::set_report(&mut tx, id, &text).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends a waiting upload as committed (with the commit's report) or
/// discarded, and drops its bytes. False when it was not waiting.
pub async fn finish(db: &Db, id: i64, ending: Ending, report: Option<&StoredReport>, actor: &str) -> Result<bool> {
    let status = ending.status();
    let text = report.map(report_text).transpose()?;
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    if !uploads::finish(&mut tx, id, ending, text.as_deref(), actor, now_cst()).await? {
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
    let cutoff = now_cst() - chrono::Duration::hours(i64::from(hours));
    let mut expired = 0;
    for id in uploads::waiting_since(db, cutoff).await?.into_iter().filter(|id| !busy(*id)) {
        if finish(db, id, Ending::Discarded, None, "system:expiry").await? {
            expired += 1;
        }
    }
    Ok(expired)
}

/// One upload, with its files.
pub async fn get(db: &Db, id: i64) -> Result<Option<Staged>> {
    match uploads::one(db, id).await? {
        Some(row) => Ok(Some(with_files(db, row).await?)),
        None => Ok(None),
    }
}

/// The most recent uploads, newest first.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<Staged>> {
    let mut out = Vec::new();
    for row in uploads::recent(db, limit).await? {
        out.push(with_files(db, row).await?);
    }
    Ok(out)
}

async fn with_files(db: &Db, row: UploadRow) -> Result<Staged> {
    let files = uploads::files(db, row.id).await?.into_iter().map(|f| StagedFile { file_name: f.file_name, source: f.source, size: f.size }).collect();
    Ok(Staged {
        id: row.id,
        status: row.status,
        report: row.report.map(|t| serde_json::from_str(&t)).transpose().map_err(|e| DbError::Corrupt(e.to_string()))?,
        created_by: row.created_by,
        created_at: row.created_at,
        decided_by: row.decided_by,
        decided_at: row.decided_at,
        files,
    })
}
