//! Importing source files (`import-formats.md`): CSV or XLSX, one file per
//! source, all files of one call kept together or not at all. On any error
//! the report lists every bad row and the database is left as it was.
//!
//! Reading and checking are CPU work and run on a blocking thread. Writing
//! overlaps them, in steps of at most half a second ([`crate::db::steps`])
//! so that sign-ins and objections never wait long behind an import: new
//! records go in under pending batches nobody reads, changed records wait
//! aside, and one last short step applies the changes, audits them and
//! marks the batches done. A failed or killed import's pending batches are
//! removed before the next import writes. Only one import runs at a time,
//! in any process ([`crate::db::claims`]).
//!
//! A hotline file's written rows are also kept as the batch's columnar
//! segment ([`crate::segments`]), sealed when the batch commits; the
//! import then writes the snapshots of the years it changed
//! ([`crate::scoring::load::refresh_snapshots`]) before it returns, so
//! the first scoring after it reads no ticket from the database.

pub mod canonical;
pub mod cells;
#[cfg(test)]
mod fuzz;
pub mod read;
pub mod refs;
pub mod report;
pub mod rules;
pub mod staging;
pub mod table;
pub mod xlsx;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use analytics::domain::PeerGroup;
use sha2::{Digest, Sha256};

use crate::db::audit::AuditLog;
use crate::hashing::to_hex;
use crate::db::batches::{self, Counts};
use crate::db::claims::{self, Origin, RunningJob};
use crate::db::steps::Steps;
use crate::db::{Db, DbError, Value, records, units};
use crate::segments;
use crate::sources::{Source, SourceSpec};
use refs::UnitIndex;
use report::{FileReport, ImportReport, Issue, IssueLog, Severity};

/// The largest file accepted (the web upload has its own, smaller limit).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// One file to import.
#[derive(Debug, Clone)]
pub struct Input {
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Given explicitly, or recognised from the file name.
    pub source: Option<Source>,
    /// The bytes are an upload's canonical form ([`canonical`]), as stored
    /// while it waits; never set for bytes from outside.
    pub staged: bool,
}

/// Progress of a long import, for a terminal or a page.
#[derive(Debug, Clone)]
pub enum Progress {
    Read {
        file: String,
        rows: usize,
    },
    /// Rows written so far; reading goes on meanwhile, so there is no total.
    Written {
        file: String,
        rows: usize,
    },
}

pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the import was interrupted: {0}")]
    Interrupted(String),
    /// Another import holds the claim.
    #[error("cannot import now: {0}")]
    Busy(RunningJob),
}

/// Rows written per statement: see [`Writer::take`].
const WRITE_PIECE: usize = 10_000;

/// The claim every import takes, whichever process runs it.
pub const CLAIM: &str = "import";

/// A file after its checks. Its rows have left for the writer as they were
/// read, except a unit register's and debt rows, which the checks across
/// files still need (they are small).
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
                        format!(
                            "the file is {} bytes, over the limit of {} MiB ({} bytes)",
                            m.len(),
                            MAX_FILE_BYTES >> 20,
                            MAX_FILE_BYTES
                        ),
                    ));
                }
                Ok(_) => match std::fs::read(&file) {
                    Ok(bytes) => inputs.push(Input {
                        file_name: display_name(&file),
                        bytes,
                        source,
                        staged: false,
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

/// What the checking thread hands the writer, file by file, as it reads.
enum Checked2Writer {
    /// A file begins: its source, name and content hash.
    File {
        spec: &'static SourceSpec,
        name: String,
        content_hash: String,
    },
    /// Rows of the current file that passed every check of their own.
    Rows(Vec<Vec<Value>>),
    /// The current file is done.
    End,
}

/// Imports `inputs` whole, or nothing at all.
///
/// Reading-and-checking and writing overlap on two threads: rows leave the
/// checker in chunks as they are read and are written at once, in steps,
/// under pending batches. Whether anything is kept is decided only at the
/// end, when every file has been read: any error in any file (including
/// the checks across files) removes what was written, so what is stored
/// is exactly what the one-pass importer stored before, and a failed
/// import leaves the database as it was.
pub async fn import(
    db: &Db,
    inputs: Vec<Input>,
    prior_issues: Vec<Issue>,
    actor: &str,
    origin: Origin,
    progress: ProgressFn,
) -> Result<ImportReport, ImportError> {
    let claim = match claims::claim(db, CLAIM, "an import", actor, origin).await? {
        Ok(claim) => claim,
        Err(running) => return Err(ImportError::Busy(running)),
    };
    // Holding the claim, nothing else writes pending batches: any there
    // are were left by an import that failed to finish.
    batches::remove_pending(db, &batches::pending(db).await?).await?;
    let started = std::time::Instant::now();
    let imported = import_claimed(db, inputs, prior_issues, actor, progress).await;
    claim.release().await?;
    counted(&imported, started.elapsed());
    let (report, years) = imported?;
    if report.ok && report.files.iter().any(|f| f.batch_id.is_some()) {
        // The import is done when the years it changed are ready to score:
        // the years its tickets fall in and those already snapshotted are
        // read now (the tickets from the segments just sealed), so the
        // first scoring after an import costs what a warm one costs.
        crate::scoring::load::refresh_snapshots(db, &years).await;
    }
    Ok(report)
}

/// An import's rows, time and failure in the process's metrics.
fn counted<T>(imported: &Result<(ImportReport, T), ImportError>, took: std::time::Duration) {
    let metrics = crate::metrics::get();
    metrics.import_seconds.observe(took.as_secs_f64());
    match imported {
        Ok((report, _)) if report.ok => {
            metrics.import_rows.inc_by(report.files.iter().filter_map(|f| f.counts.as_ref()).map(|c| c.total).sum());
        }
        _ => {
            metrics.import_failures.inc();
        }
    }
}

/// Removes what imports that failed to finish (killed, crashed) wrote,
/// unless an import is running now; returns how many batches went.
pub async fn recover(db: &Db) -> Result<usize, ImportError> {
    let Ok(claim) = claims::claim(db, CLAIM, "removing an interrupted import", "system", Origin::CommandLine).await? else {
        return Ok(0);
    };
    let pending = batches::pending(db).await?;
    batches::remove_pending(db, &pending).await?;
    claim.release().await?;
    Ok(pending.len())
}

/// The import, holding the claim; with the years its hotline segments hold.
async fn import_claimed(db: &Db, inputs: Vec<Input>, prior_issues: Vec<Issue>, actor: &str, progress: ProgressFn) -> Result<(ImportReport, Vec<i32>), ImportError> {
    let index = UnitIndex::new(units::all(db).await?);
    let doomed = prior_issues.iter().any(|i| i.severity == Severity::Error);
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Checked2Writer>(2);
    let check_progress = progress.clone();
    let checker = tokio::task::spawn_blocking(move || {
        let mut hand_over = |message: Checked2Writer| {
            // A writer that stopped (after a failed write) drops its end;
            // checking goes on, so the report still lists every problem.
            if !doomed {
                let _ = sender.blocking_send(message);
            }
        };
        check_all(inputs, index, &check_progress, &mut hand_over)
    });
    let mut writer = Writer::new(db, actor);
    let mut failed: Option<DbError> = None;
    loop {
        let message = match receiver.try_recv() {
            Ok(m) => m,
            Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {
                // Nothing to write yet: let the lock go while waiting.
                if failed.is_none()
                    && let Err(e) = writer.steps.commit().await
                {
                    failed = Some(e);
                    receiver.close();
                }
                match receiver.recv().await {
                    Some(m) => m,
                    None => break,
                }
            }
            Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => break,
        };
        if failed.is_none()
            && let Err(e) = writer.take(message, &progress).await
        {
            failed = Some(e);
            receiver.close();
        }
    }
    let (checked, mut issues) = checker.await.map_err(|e| ImportError::Interrupted(e.to_string()))?;
    issues.prepend(prior_issues);
    let mut files: Vec<FileReport> = checked.into_iter().map(|c| c.report).collect();
    if issues.errors() > 0 || failed.is_some() {
        // A write that failed on rows the checks refuse (a duplicate key)
        // is explained by the report, not by the database's error.
        writer.abandon().await?;
        return match failed {
            Some(e) if issues.errors() == 0 => Err(e.into()),
            _ => Ok((issues.into_report(false, files), Vec::new())),
        };
    }
    let done = match writer.finish().await {
        Ok(done) => done,
        Err(e) => {
            // The last step rolled back: take away what the others wrote.
            writer.abandon().await?;
            return Err(e.into());
        }
    };
    for (report, (counts, batch_id)) in files.iter_mut().zip(done) {
        report.counts = Some(counts);
        report.batch_id = batch_id;
    }
    // Holding the claim: the hotline segments go in place for the batches just committed.
    let years = segments::seal_all(db, std::mem::take(&mut writer.finished)).await;
    Ok((issues.into_report(true, files), years))
}

/// Checks `inputs` exactly as [`import`] would, against the units stored
/// now, and writes nothing: the web's import page shows this report before
/// the assessment team commits. `ok` means committing would be accepted
/// (unless the stored units change in between; committing checks again).
pub async fn check(db: &Db, inputs: Vec<Input>, prior_issues: Vec<Issue>, progress: ProgressFn) -> Result<ImportReport, ImportError> {
    let index = UnitIndex::new(units::all(db).await?);
    let (checked, mut issues) = tokio::task::spawn_blocking(move || check_all(inputs, index, &progress, &mut |_| {}))
        .await
        .map_err(|e| ImportError::Interrupted(e.to_string()))?;
    issues.prepend(prior_issues);
    Ok(issues.into_report(true, checked.into_iter().map(|c| c.report).collect()))
}

/// Reads and checks every file; files come back in import order.
fn check_all(mut inputs: Vec<Input>, mut index: UnitIndex, progress: &ProgressFn, hand_over: &mut dyn FnMut(Checked2Writer)) -> (Vec<Checked>, IssueLog) {
    let mut issues = IssueLog::default();
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
        // Hashed once: the writer's batch and the report carry the same hash.
        let hash = content_hash(&input);
        hand_over(Checked2Writer::File {
            spec,
            name: input.file_name.clone(),
            content_hash: hash.clone(),
        });
        let (file, file_issues) = check_file(spec, &input, hash, &index, progress, hand_over);
        if spec.source == Source::Units {
            for row in &file.rows {
                index.insert(unit_ref_of(row));
            }
        }
        if keeps_rows(spec) {
            for chunk in file.rows.chunks(table::STREAM_CHUNK) {
                hand_over(Checked2Writer::Rows(chunk.to_vec()));
            }
        }
        hand_over(Checked2Writer::End);
        issues.extend(file_issues);
        checked.push(file);
    }
    for file in &checked {
        check_references(file, &index, &mut issues);
    }
    (checked, issues)
}

/// The sources whose rows the checks across files need whole: the unit
/// register (townships' counties) and debt (counties only). They are small
/// and go to the writer once read; all others leave as they are read.
fn keeps_rows(spec: &SourceSpec) -> bool {
    matches!(spec.source, Source::Units | Source::Debt)
}

fn check_file(
    spec: &'static SourceSpec,
    input: &Input,
    content_hash: String,
    index: &UnitIndex,
    progress: &ProgressFn,
    hand_over: &mut dyn FnMut(Checked2Writer),
) -> (Checked, IssueLog) {
    let name = input.file_name.clone();
    let mut tick = |rows: usize| {
        if rows % 100_000 == 0 {
            progress(Progress::Read { file: name.clone(), rows });
        }
    };
    let mut send_rows = |rows: Vec<Vec<Value>>| hand_over(Checked2Writer::Rows(rows));
    let mut parser = table::TableParser::new(spec, &input.file_name, index, &mut tick);
    if !keeps_rows(spec) {
        parser = parser.streaming(&mut send_rows);
    }
    let format = if input.staged {
        canonical::read(&input.bytes, &mut parser)
    } else {
        read::read(&input.bytes, &mut parser)
    };
    parser.flush();
    let table::TableParser {
        rows,
        row_numbers,
        mut issues,
        kept,
        ..
    } = parser;
    let mut report = FileReport {
        file: input.file_name.clone(),
        source: Some(spec.source),
        format: None,
        content_hash,
        rows: kept as u64,
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
            if kept == 0 && issues.errors() == 0 {
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
        rows: kept,
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

/// The SHA-256 of the file as it was sent (for an upload waiting in its
/// canonical form: of the original).
fn content_hash(input: &Input) -> String {
    input
        .staged
        .then(|| canonical::original_hash(&input.bytes))
        .flatten()
        .unwrap_or_else(|| to_hex(&Sha256::digest(&input.bytes)))
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
fn check_references(file: &Checked, index: &UnitIndex, issues: &mut IssueLog) {
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
    // Groups as the vocabulary reads them (a row's group was checked
    // against it already; one that is not a group matches no case below).
    let group_of = |code: &str| index.get(code).and_then(|u| PeerGroup::parse(&u.group));
    match file.spec.source {
        Source::Units => {
            for (row, &n) in file.rows.iter().zip(&file.row_numbers) {
                let unit = unit_ref_of(row);
                match (PeerGroup::parse(&unit.group), unit.parent_code.as_deref()) {
                    (Some(PeerGroup::Township), None) => issue(
                        n,
                        "parent_code",
                        "",
                        "township_without_county",
                        "a township needs its county's code in parent_code",
                    ),
                    (Some(PeerGroup::Township), Some(p)) if group_of(p) != Some(PeerGroup::County) => issue(
                        n,
                        "parent_code",
                        p,
                        "township_without_county",
                        "a township's parent_code must be the code of a county",
                    ),
                    (_, Some(p)) if index.get(p).is_none() => issue(n, "parent_code", p, "unknown_unit", "no such unit"),
                    _ => {}
                }
            }
        }
        Source::Debt => {
            for (row, &n) in file.rows.iter().zip(&file.row_numbers) {
                let code = row[0].as_str().unwrap_or_default();
                if group_of(code) != Some(PeerGroup::County) {
                    issue(n, "unit_code", code, "not_a_county", "debt rows belong to counties (县市区) only");
                }
            }
        }
        _ => {}
    }
}

/// The writing side of [`import`]: steps that write new records under a
/// pending batch per file and set changed ones aside, then one last step
/// that applies the changes and makes the batches done.
struct Writer<'a> {
    db: &'a Db,
    steps: Steps,
    actor: &'a str,
    file: Option<WritingFile>,
    /// Every file written, in order.
    written: Vec<WritingFile>,
    /// The hotline files' segments, written, waiting for their batches to
    /// commit ([`crate::segments`]).
    finished: Vec<segments::Finished>,
}

struct WritingFile {
    spec: &'static SourceSpec,
    name: String,
    content_hash: String,
    batch_id: i64,
    stored: records::Stored,
    counts: Counts,
    /// Changed rows set aside so far (their last sequence number).
    deferred: i64,
    /// A hotline file's columnar segment, while it writes; none for other
    /// sources, without a snapshot folder, or after it failed (the year's
    /// tickets are then read from the database).
    segment: Option<segments::Holder>,
}

impl<'a> Writer<'a> {
    fn new(db: &'a Db, actor: &'a str) -> Writer<'a> {
        Writer {
            db,
            steps: Steps::new(db),
            actor,
            file: None,
            written: Vec::new(),
            finished: Vec::new(),
        }
    }

    async fn take(&mut self, message: Checked2Writer, progress: &ProgressFn) -> Result<(), DbError> {
        match message {
            Checked2Writer::File { spec, name, content_hash } => {
                let tx = self.steps.tx().await?;
                let batch_id = batches::start(tx, spec.file_stem, &name, &content_hash, self.actor).await?;
                // A file's keys are distinct (checked), so this holds for all its chunks.
                let stored = records::stored(tx, spec).await?;
                let segment = (spec.source == Source::Hotline).then(|| segments::Holder::start(self.db.snapshots(), batch_id));
                self.file = Some(WritingFile {
                    spec,
                    name,
                    content_hash,
                    batch_id,
                    stored,
                    counts: Counts::default(),
                    deferred: 0,
                    segment,
                });
            }
            Checked2Writer::Rows(mut rows) => {
                let Some(f) = self.file.as_mut() else { return Ok(()) };
                // In pieces, each a step's chance to end: a statement in
                // flight when the hold is up is what a waiting writer waits
                // for beyond it, and 50,000 rows into a table of millions
                // took over half a second.
                while !rows.is_empty() {
                    let rest = rows.split_off(rows.len().min(WRITE_PIECE));
                    let tx = self.steps.tx().await?;
                    let mut hold = |row: &[Value], changed: bool| {
                        if let Some(segment) = f.segment.as_mut() {
                            segment.hold(row, changed);
                        }
                    };
                    let counts = records::upsert_deferred(tx, f.spec, rows, f.batch_id, f.stored, &mut f.deferred, &mut hold).await?;
                    f.counts.add(&counts);
                    if let Some(segment) = f.segment.as_mut() {
                        segment.write_full_parts().await;
                    }
                    self.steps.next().await?;
                    rows = rest;
                }
                progress(Progress::Written {
                    file: f.name.clone(),
                    rows: f.counts.total as usize,
                });
            }
            Checked2Writer::End => {
                if let Some(f) = self.file.take() {
                    self.written.push(f);
                }
            }
        }
        self.steps.next().await
    }

    /// The last step: applies the changes set aside, makes every batch
    /// done (or removes it when its file changed nothing, so importing
    /// the same file twice leaves no trace) and audits each file.
    async fn finish(&mut self) -> Result<Vec<(Counts, Option<i64>)>, DbError> {
        self.steps.commit().await?;
        for f in &mut self.written {
            if let Some(segment) = f.segment.take() {
                self.finished.extend(segment.finish().await);
            }
        }
        let mut tx = self.db.begin_write().await?;
        let mut audit = AuditLog::open(&mut tx).await?;
        let mut done = Vec::new();
        for f in &self.written {
            if f.counts.inserted + f.counts.updated == 0 {
                batches::discard(&mut tx, f.batch_id).await?;
                done.push((f.counts.clone(), None));
                continue;
            }
            records::apply_deferred(&mut tx, &mut audit, f.spec, f.batch_id, self.actor).await?;
            batches::finish(&mut tx, f.batch_id, &f.counts).await?;
            let detail = serde_json::json!({ "file": f.name, "content_hash": f.content_hash, "counts": f.counts });
            audit.record(self.actor, "import", f.spec.table, &f.batch_id.to_string(), detail);
            done.push((f.counts.clone(), Some(f.batch_id)));
        }
        audit.flush(&mut tx).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Removes everything this import wrote: the open step is rolled back,
    /// the committed ones taken away.
    async fn abandon(mut self) -> Result<(), DbError> {
        self.steps.rollback();
        for f in self.written.iter_mut().chain(self.file.as_mut()) {
            if let Some(mut segment) = f.segment.take() {
                segment.discard();
            }
        }
        for finished in self.finished.drain(..) {
            finished.discard();
        }
        let ids: Vec<i64> = self.written.iter().chain(&self.file).map(|f| f.batch_id).collect();
        batches::remove_pending(self.db, &ids).await
    }
}
