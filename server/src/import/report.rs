//! The import report: every problem with its file, row, column, value and
//! reason, and what was written per file. Printed for people or as one JSON
//! document for scripts.

use serde::Serialize;

use super::read::Format;
use crate::db::batches::Counts;
use crate::sources::Source;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// True when every file was valid and everything was written.
    pub ok: bool,
    pub files: Vec<FileReport>,
    pub errors: Vec<Issue>,
    pub warnings: Vec<Issue>,
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
        if self.errors.len() > HUMAN_ERROR_LIMIT {
            let _ = writeln!(
                out,
                "… and {} more errors (run with --json to list them all)",
                self.errors.len() - HUMAN_ERROR_LIMIT
            );
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
            let _ = writeln!(out, "import failed: {} error(s); nothing was written", self.errors.len());
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
