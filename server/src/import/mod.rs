//! Importing source files (`import-formats.md`): CSV or XLSX, one file per
//! source, all files of one call in one transaction. Every file is read and
//! checked completely before anything is written; on any error the report
//! lists every bad row and the database is left as it was.
//!
//! Reading and checking are CPU work and run on a blocking thread; writing
//! goes through [`crate::db::records::upsert`], the same path demo seeding
//! uses, so re-imports change nothing and changed values are audited.

pub mod cells;
pub mod read;
pub mod refs;
pub mod report;
pub mod rules;
pub mod staging;
pub mod table;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::db::audit::{AuditLog, to_hex};
use crate::db::batches::{self, Counts};
use crate::db::{Db, DbError, Value, records, units};
use crate::sources::{Source, SourceSpec};
use refs::UnitIndex;
use report::{FileReport, ImportReport, Issue, Severity};

/// The largest file accepted (the web upload has its own, smaller limit).
pub const MAX_FILE_BYTES: u64 = 1 << 30;
/// Rows written per upsert step; bounds statement sizes and shows progress.
const WRITE_CHUNK: usize = 50_000;

/// One file to import.
#[derive(Debug, Clone)]
pub struct Input {
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Given explicitly, or recognised from the file name.
    pub source: Option<Source>,
}

/// Progress of a long import, for a terminal or a page.
#[derive(Debug, Clone)]
pub enum Progress {
    Read { file: String, rows: usize },
    Written { file: String, rows: usize, of: usize },
}

pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the import was interrupted: {0}")]
    Interrupted(String),
}

/// A file that passed every check, ready to write.
struct Checked {
    report: FileReport,
    spec: &'static SourceSpec,
    rows: Vec<Vec<Value>>,
    /// The file row number of each of `rows`.
    row_numbers: Vec<usize>,
}

/// Reads `paths` (files, or folders whose files are named for a source;
/// units first) into inputs. Problems reading them become report issues.
pub fn collect(paths: &[PathBuf], source: Option<Source>) -> (Vec<Input>, Vec<Issue>) {
    let mut inputs = Vec::new();
    let mut issues = Vec::new();
    let issue = |file: &Path, severity, code, message: String| Issue {
        severity,
        file: file.display().to_string(),
        row: None,
        column: None,
        value: None,
        code,
        message,
    };
    for path in paths {
        let files: Vec<PathBuf> = if path.is_dir() {
            let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect(),
                Err(e) => {
                    issues.push(issue(path, Severity::Error, "unreadable", format!("cannot read the folder: {e}")));
                    continue;
                }
            };
            entries.sort();
            entries
                .into_iter()
                .filter(|p| {
                    let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                    if name.starts_with('.') {
                        return false;
                    }
                    let known = source.is_some() || Source::from_file_name(&name).is_some();
                    if !known {
                        issues.push(issue(
                            p,
                            Severity::Warning,
                            "skipped",
                            "skipped: the file name names no source (units, commitments, proposals, hotline, debt, dishonesty, ratings, honours)".into(),
                        ));
                    }
                    known
                })
                .collect()
        } else {
            vec![path.clone()]
        };
        for file in files {
            match std::fs::metadata(&file) {
                Ok(m) if m.len() > MAX_FILE_BYTES => {
                    issues.push(issue(
                        &file,
                        Severity::Error,
                        "too_large",
                        format!("the file is {} MiB; the limit is {} MiB", m.len() >> 20, MAX_FILE_BYTES >> 20),
                    ));
                }
                Ok(_) => match std::fs::read(&file) {
                    Ok(bytes) => inputs.push(Input {
                        file_name: display_name(&file),
                        bytes,
                        source,
                    }),
                    Err(e) => issues.push(issue(&file, Severity::Error, "unreadable", format!("cannot read the file: {e}"))),
                },
                Err(e) => issues.push(issue(&file, Severity::Error, "unreadable", format!("cannot read the file: {e}"))),
            }
        }
    }
    (inputs, issues)
}

fn display_name(path: &Path) -> String {
    path.display().to_string()
}

/// Imports `inputs` in one transaction, or nothing at all.
pub async fn import(db: &Db, inputs: Vec<Input>, prior_issues: Vec<Issue>, actor: &str, progress: ProgressFn) -> Result<ImportReport, ImportError> {
    let (checked, errors, warnings) = check_against_storage(db, inputs, prior_issues, &progress).await?;
    if !errors.is_empty() {
        let files = checked.into_iter().map(|c| c.report).collect();
        return Ok(ImportReport {
            ok: false,
            files,
            errors,
            warnings,
        });
    }
    let files = write_all(db, checked, actor, &progress).await?;
    Ok(ImportReport {
        ok: true,
        files,
        errors,
        warnings,
    })
}

/// Checks `inputs` exactly as [`import`] would, against the units stored
/// now, and writes nothing: the web's import page shows this report before
/// the assessment team commits. `ok` means committing would be accepted
/// (unless the stored units change in between; committing checks again).
pub async fn check(db: &Db, inputs: Vec<Input>, progress: ProgressFn) -> Result<ImportReport, ImportError> {
    let (checked, errors, warnings) = check_against_storage(db, inputs, Vec::new(), &progress).await?;
    Ok(ImportReport {
        ok: errors.is_empty(),
        files: checked.into_iter().map(|c| c.report).collect(),
        errors,
        warnings,
    })
}

/// Reads and checks `inputs` on a blocking thread; the issues come back
/// split into errors and warnings, `prior_issues` first.
async fn check_against_storage(db: &Db, inputs: Vec<Input>, prior_issues: Vec<Issue>, progress: &ProgressFn) -> Result<(Vec<Checked>, Vec<Issue>, Vec<Issue>), ImportError> {
    let index = UnitIndex::new(units::all(db).await?);
    let check_progress = progress.clone();
    let (checked, mut issues) = tokio::task::spawn_blocking(move || check_all(inputs, index, &check_progress))
        .await
        .map_err(|e| ImportError::Interrupted(e.to_string()))?;
    issues.splice(0..0, prior_issues);
    let (errors, warnings) = issues.into_iter().partition(|i| i.severity == Severity::Error);
    Ok((checked, errors, warnings))
}

/// Reads and checks every file; files come back in import order.
fn check_all(mut inputs: Vec<Input>, mut index: UnitIndex, progress: &ProgressFn) -> (Vec<Checked>, Vec<Issue>) {
    let mut issues = Vec::new();
    let mut checked = Vec::new();
    let mut unrecognised = Vec::new();
    inputs.retain(|i| {
        let known = i.source.or_else(|| Source::from_file_name(&i.file_name)).is_some();
        if !known {
            unrecognised.push(i.file_name.clone());
        }
        known
    });
    for file in unrecognised {
        issues.push(Issue {
            severity: Severity::Error,
            file,
            row: None,
            column: None,
            value: None,
            code: "unknown_source",
            message: "cannot tell which source this is: name the file units, commitments, proposals, hotline, debt, dishonesty, ratings or honours (e.g. hotline-2025.csv), or pass --source".into(),
        });
    }
    inputs.sort_by_key(|i| (i.source.or_else(|| Source::from_file_name(&i.file_name)), i.file_name.clone()));
    for input in inputs {
        let spec = input
            .source
            .or_else(|| Source::from_file_name(&input.file_name))
            .expect("filtered above")
            .spec();
        let (file, file_issues) = check_file(spec, &input, &index, progress);
        if spec.source == Source::Units {
            for row in &file.rows {
                index.insert(unit_ref_of(row));
            }
        }
        issues.extend(file_issues);
        checked.push(file);
    }
    for file in &checked {
        issues.extend(check_references(file, &index));
    }
    (checked, issues)
}

fn check_file(spec: &'static SourceSpec, input: &Input, index: &UnitIndex, progress: &ProgressFn) -> (Checked, Vec<Issue>) {
    let name = input.file_name.clone();
    let mut tick = |rows: usize| {
        if rows % 100_000 == 0 {
            progress(Progress::Read { file: name.clone(), rows });
        }
    };
    let mut parser = table::TableParser::new(spec, &input.file_name, index, &mut tick);
    let format = read::read(&input.bytes, &mut parser);
    let table::TableParser {
        rows, row_numbers, mut issues, ..
    } = parser;
    let mut report = FileReport {
        file: input.file_name.clone(),
        source: Some(spec.source),
        format: None,
        content_hash: to_hex(&Sha256::digest(&input.bytes)),
        rows: rows.len() as u64,
        counts: None,
        batch_id: None,
    };
    let file_issue = |severity, code, message: String| Issue {
        severity,
        file: input.file_name.clone(),
        row: None,
        column: None,
        value: None,
        code,
        message,
    };
    match format {
        Ok(f) => {
            report.format = Some(f);
            if rows.is_empty() && issues.iter().all(|i| i.severity != Severity::Error) {
                issues.push(file_issue(
                    Severity::Warning,
                    "no_rows",
                    "the file has a header but no data rows; nothing to import".into(),
                ));
            }
        }
        Err(e) => issues.push(file_issue(Severity::Error, e.code, e.message)),
    }
    progress(Progress::Read {
        file: input.file_name.clone(),
        rows: rows.len(),
    });
    (
        Checked {
            report,
            spec,
            rows,
            row_numbers,
        },
        issues,
    )
}

fn unit_ref_of(row: &[Value]) -> units::UnitRef {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    units::UnitRef {
        code: text(&row[0]),
        name: text(&row[1]),
        group: text(&row[2]),
        parent_code: row[3].as_str().map(str::to_string),
    }
}

/// Checks that need the whole unit register: a township's county, and
/// debt rows belonging to counties.
fn check_references(file: &Checked, index: &UnitIndex) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut issue = |row: usize, column: &str, value: &str, code, message: &str| {
        issues.push(Issue {
            severity: Severity::Error,
            file: file.report.file.clone(),
            row: Some(row),
            column: Some(column.to_string()),
            value: Some(value.to_string()),
            code,
            message: message.to_string(),
        })
    };
    let group_of = |code: &str| index.get(code).map(|u| u.group.as_str());
    match file.spec.source {
        Source::Units => {
            for (row, &n) in file.rows.iter().zip(&file.row_numbers) {
                let unit = unit_ref_of(row);
                match (unit.group.as_str(), unit.parent_code.as_deref()) {
                    ("township", None) => issue(
                        n,
                        "parent_code",
                        "",
                        "township_without_county",
                        "a township needs its county's code in parent_code",
                    ),
                    ("township", Some(p)) if group_of(p) != Some("county") => issue(
                        n,
                        "parent_code",
                        p,
                        "township_without_county",
                        "a township's parent_code must be the code of a county",
                    ),
                    (_, Some(p)) if group_of(p).is_none() => issue(n, "parent_code", p, "unknown_unit", "no such unit"),
                    _ => {}
                }
            }
        }
        Source::Debt => {
            for (row, &n) in file.rows.iter().zip(&file.row_numbers) {
                let code = row[0].as_str().unwrap_or_default();
                if group_of(code) != Some("county") {
                    issue(n, "unit_code", code, "not_a_county", "debt rows belong to counties (县市区) only");
                }
            }
        }
        _ => {}
    }
    issues
}

async fn write_all(db: &Db, checked: Vec<Checked>, actor: &str, progress: &ProgressFn) -> Result<Vec<FileReport>, ImportError> {
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    let mut reports = Vec::new();
    for file in checked {
        let mut report = file.report;
        let batch_id = batches::start(&mut tx, file.spec.file_stem, &report.file, &report.content_hash, actor).await?;
        let mut counts = Counts::default();
        // A file's keys are distinct (checked), so this holds for all its chunks.
        let stored = records::stored(&mut tx, file.spec).await?;
        let of = file.rows.len();
        let mut rows = file.rows.into_iter();
        loop {
            let chunk: Vec<Vec<Value>> = rows.by_ref().take(WRITE_CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            counts.add(&records::upsert(&mut tx, &mut audit, file.spec, chunk, batch_id, actor, stored).await?);
            progress(Progress::Written {
                file: report.file.clone(),
                rows: counts.total as usize,
                of,
            });
        }
        if counts.inserted + counts.updated == 0 {
            // Nothing new (a re-import, or a header-only file): leave no
            // trace, so importing the same file twice changes nothing.
            batches::discard(&mut tx, batch_id).await?;
        } else {
            batches::finish(&mut tx, batch_id, &counts).await?;
            let detail = serde_json::json!({ "file": report.file, "content_hash": report.content_hash, "counts": counts });
            audit.record(actor, "import", file.spec.table, &batch_id.to_string(), detail);
            report.batch_id = Some(batch_id);
        }
        report.counts = Some(counts);
        reports.push(report);
    }
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(reports)
}
