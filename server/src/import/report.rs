//! The import report: every problem with its file, row, column, value and
//! reason, and what was written per file. Printed for people or as one JSON
//! document for scripts.

use std::collections::BTreeMap;

use serde::Serialize;

use super::read::Format;
use crate::db::batches::Counts;
use crate::sources::Source;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    pub severity: Severity,
    pub file: String,
    /// The row number a spreadsheet shows (header = 1); none for whole-file problems.
    pub row: Option<usize>,
    pub column: Option<String>,
    /// The offending cell as written (masked where it may be personal).
    pub value: Option<String>,
    /// A stable code such as `unknown_unit`, for programs.
    pub code: &'static str,
    pub message: String,
}

/// What happened to one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub file: String,
    pub source: Option<Source>,
    pub format: Option<Format>,
    pub content_hash: String,
    pub rows: u64,
    /// Filled in once written; absent when the import failed.
    pub counts: Option<Counts>,
    /// The import batch that records this file; absent when the import
    /// failed or the file changed nothing.
    pub batch_id: Option<i64>,
}

/// How many problems of one kind one file had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueCount {
    pub severity: Severity,
    pub file: String,
    pub column: Option<String>,
    pub code: &'static str,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// True when every file was valid and everything was written.
    pub ok: bool,
    pub files: Vec<FileReport>,
    /// The first [`KEEP_ISSUES`] errors in file order, in full.
    pub errors: Vec<Issue>,
    pub warnings: Vec<Issue>,
    /// Every error and warning, counted, also those not kept in full.
    pub error_count: u64,
    pub warning_count: u64,
    /// The counts per file, column and code, in that order.
    pub counts: Vec<IssueCount>,
}

/// How many problems a report keeps in full; past that they are counted.
/// A file whose every row is bad then costs linear time and bounded memory.
pub const KEEP_ISSUES: usize = 1_000;

/// Problems as they are found: the first [`KEEP_ISSUES`] in full, all of
/// them counted per file, column and code.
#[derive(Debug, Default)]
pub struct IssueLog {
    kept: Vec<Issue>,
    counts: BTreeMap<(String, Option<String>, &'static str, Severity), u64>,
    errors: u64,
    warnings: u64,
}

impl IssueLog {
    /// Whether the next problem will be kept in full; when not, its
    /// message need not be worded (suggestions cost time).
    pub fn wants_detail(&self) -> bool {
        self.kept.len() < KEEP_ISSUES
    }

    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// Counts a problem and keeps it while there is room.
    pub fn push(&mut self, issue: Issue) {
        self.count(issue.severity, &issue.file, issue.column.as_deref(), issue.code);
        if self.wants_detail() {
            self.kept.push(issue);
        }
    }

    /// Counts a problem that is not kept in full.
    pub fn count(&mut self, severity: Severity, file: &str, column: Option<&str>, code: &'static str) {
        match severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        let key = (file.to_string(), column.map(str::to_string), code, severity);
        *self.counts.entry(key).or_default() += 1;
    }

    /// Adds another log's problems after this one's.
    pub fn extend(&mut self, other: IssueLog) {
        for issue in other.kept {
            if self.wants_detail() {
                self.kept.push(issue);
            }
        }
        for (key, n) in other.counts {
            *self.counts.entry(key).or_default() += n;
        }
        self.errors += other.errors;
        self.warnings += other.warnings;
    }

    /// Puts problems found earlier (reading the folders) first.
    pub fn prepend(&mut self, earlier: Vec<Issue>) {
        let mut log = IssueLog::default();
        for issue in earlier {
            log.push(issue);
        }
        log.extend(std::mem::take(self));
        *self = log;
    }

    /// The report's parts: errors and warnings kept, totals, counts.
    pub fn into_report(self, ok_if_clean: bool, files: Vec<FileReport>) -> ImportReport {
        let (errors, warnings) = self.kept.into_iter().partition(|i| i.severity == Severity::Error);
        ImportReport {
            ok: ok_if_clean && self.errors == 0,
            files,
            errors,
            warnings,
            error_count: self.errors,
            warning_count: self.warnings,
            counts: self
                .counts
                .into_iter()
                .map(|((file, column, code, severity), count)| IssueCount { severity, file, column, code, count })
                .collect(),
        }
    }
}

/// How many error lines a human report shows before summarising.
const HUMAN_ERROR_LIMIT: usize = 200;

impl ImportReport {
    /// The report for people: one line per problem, then per file.
    pub fn human(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for issue in self.errors.iter().take(HUMAN_ERROR_LIMIT) {
            let _ = writeln!(out, "error: {}", describe(issue));
        }
        let listed = self.errors.len().min(HUMAN_ERROR_LIMIT) as u64;
        if self.error_count > listed {
            let _ = writeln!(out, "… and {} more errors; by file, column and problem:", self.error_count - listed);
            for c in self.counts.iter().filter(|c| c.severity == Severity::Error) {
                let column = c.column.as_deref().map(|c| format!(", column {c}")).unwrap_or_default();
                let _ = writeln!(out, "  {}{column}: {} × {}", c.file, c.count, c.code);
            }
        }
        for issue in &self.warnings {
            let _ = writeln!(out, "warning: {}", describe(issue));
        }
        for f in &self.files {
            match &f.counts {
                Some(c) => {
                    let batch = f.batch_id.map_or_else(|| "nothing changed".to_string(), |id| format!("batch {id}"));
                    let _ = writeln!(
                        out,
                        "{}: {} rows: {} new, {} updated, {} unchanged ({batch})",
                        f.file, c.total, c.inserted, c.updated, c.unchanged
                    );
                }
                None => {
                    let _ = writeln!(out, "{}: {} rows read, nothing written", f.file, f.rows);
                }
            }
        }
        if self.ok {
            out.push_str("import complete\n");
        } else {
            let _ = writeln!(out, "import failed: {} error(s); nothing was written", self.error_count);
        }
        out
    }
}

fn describe(issue: &Issue) -> String {
    let mut s = issue.file.clone();
    if let Some(r) = issue.row {
        s.push_str(&format!(", row {r}"));
    }
    if let Some(c) = &issue.column {
        s.push_str(&format!(", column {c}"));
    }
    if let Some(v) = &issue.value {
        s.push_str(&format!(", value {v:?}"));
    }
    format!("{s}: {} [{}]", issue.message, issue.code)
}
