//! Turning one file's rows into typed rows of its source: header mapping,
//! cell parsing, unit resolution, row rules and duplicate keys. Collects
//! every problem instead of stopping at the first.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::cells::{self, Cell};
use super::read::{FileError, RowVisitor};
use super::refs::{Resolved, UnitIndex};
use super::report::{Issue, IssueLog, Severity};
use super::rules;
use crate::db::Value;
use crate::db::records::key_of;
use crate::sources::{Kind, SourceSpec};

/// Where a file column's cells go.
#[derive(Debug, Clone, Copy)]
enum Target {
    Column(usize),
    /// The name alias of the unit-reference column at this index.
    UnitName(usize),
}

/// Where a header's cells go, if anywhere.
fn target_of(spec: &SourceSpec, header: &str) -> Option<Target> {
    spec.columns.iter().enumerate().find_map(|(i, c)| {
        if header.eq_ignore_ascii_case(c.name) || header == c.zh {
            Some(Target::Column(i))
        } else if c.name_alias.is_some_and(|(en, zh)| header.eq_ignore_ascii_case(en) || header == zh) {
            Some(Target::UnitName(i))
        } else {
            None
        }
    })
}

/// Whether a file column with this header is read at all (an extra column
/// is dropped unread).
pub fn is_read(spec: &SourceSpec, header: &str) -> bool {
    target_of(spec, header).is_some()
}

/// Columns whose cell values never appear in a report.
const MASKED: &[&str] = &["person_ref"];

pub struct TableParser<'a> {
    spec: &'static SourceSpec,
    file: String,
    units: &'a UnitIndex,
    targets: Vec<Option<Target>>,
    width: usize,
    pub rows: Vec<Vec<Value>>,
    /// Row number of each kept row, parallel to `rows`.
    pub row_numbers: Vec<usize>,
    pub issues: IssueLog,
    /// Keys seen so far, with their row. Hashed with foldhash, a fifth of
    /// SipHash's cost on a 6 M-row file; its `quality` variant with a
    /// per-process random seed still spreads keys an uploader chooses.
    seen: HashMap<String, usize, foldhash::quality::RandomState>,
    /// The message for each distinct unknown unit cell (by name or by
    /// code), so suggestions are computed once per value.
    unit_messages: HashMap<(bool, String), String>,
    on_progress: &'a mut dyn FnMut(usize),
    /// Rows kept so far (also those already handed to `sink`).
    pub kept: usize,
    /// When set, kept rows leave in chunks of [`STREAM_CHUNK`] as they are
    /// read (and `rows`/`row_numbers` hold only the rest).
    sink: Option<&'a mut dyn FnMut(Vec<Vec<Value>>)>,
}

/// Rows handed to a sink at once.
pub const STREAM_CHUNK: usize = 50_000;

impl<'a> TableParser<'a> {
    pub fn new(spec: &'static SourceSpec, file: &str, units: &'a UnitIndex, on_progress: &'a mut dyn FnMut(usize)) -> Self {
        TableParser {
            spec,
            file: file.to_string(),
            units,
            targets: Vec::new(),
            width: 0,
            rows: Vec::new(),
            row_numbers: Vec::new(),
            issues: IssueLog::default(),
            seen: HashMap::default(),
            unit_messages: HashMap::new(),
            on_progress,
            kept: 0,
            sink: None,
        }
    }

    /// Hands kept rows to `sink` in chunks as they are read.
    pub fn streaming(mut self, sink: &'a mut dyn FnMut(Vec<Vec<Value>>)) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Hands what is left to the sink, if there is one.
    pub fn flush(&mut self) {
        if let Some(sink) = self.sink.as_mut()
            && !self.rows.is_empty()
        {
            self.row_numbers.clear();
            sink(std::mem::take(&mut self.rows));
        }
    }

    fn issue(&mut self, severity: Severity, row: Option<usize>, column: Option<&str>, value: Option<&str>, code: &'static str, message: String) {
        if !self.issues.wants_detail() {
            self.issues.count(severity, &self.file, column, code);
            return;
        }
        let masked = column.is_some_and(|c| MASKED.contains(&c));
        self.issues.push(Issue {
            severity,
            file: self.file.clone(),
            row,
            column: column.map(str::to_string),
            value: value.map(|v| if masked { "(masked)".to_string() } else { v.to_string() }),
            code,
            message,
        });
    }

    fn error_count(&self) -> u64 {
        self.issues.errors()
    }

    /// Resolves a unit cell (by code, or by exact name) to its code.
    fn resolve_unit(&mut self, row: usize, column: usize, by_name: bool, text: &str) -> Option<String> {
        let spec_column = &self.spec.columns[column];
        let header = if by_name { spec_column.name_alias.map_or(spec_column.name, |a| a.0) } else { spec_column.name };
        let resolved = if by_name { self.units.by_name_exact(text) } else { self.units.get(text).map(|u| u.code.as_str()) };
        if let Some(code) = resolved {
            return Some(code.to_string());
        }
        let message = if !self.issues.wants_detail() {
            String::new()
        } else if let Some(m) = self.unit_messages.get(&(by_name, text.to_string())) {
            m.clone()
        } else {
            let resolved = if by_name { self.units.by_name(text) } else { self.units.by_code(text) };
            let m = match resolved {
                Resolved::Found(u) => return Some(u.code.clone()),
                Resolved::Unknown { suggestions } if suggestions.is_empty() => "no such unit".to_string(),
                Resolved::Unknown { suggestions } => format!("no such unit; did you mean {}?", suggestions.join(", ")),
                Resolved::Ambiguous { codes } => format!("several units have this name ({}); give unit_code instead", codes.join(", ")),
            };
            self.unit_messages.insert((by_name, text.to_string()), m.clone());
            m
        };
        self.issue(Severity::Error, Some(row), Some(header), Some(text), "unknown_unit", message);
        None
    }

    /// A second row with a key already seen in this file is an error that
    /// names the first row.
    fn check_duplicate(&mut self, row_number: usize, row: &[Value]) {
        let spec = self.spec;
        let duplicate_of = match self.seen.entry(key_of(spec, row)) {
            Entry::Occupied(first) => Some((*first.get(), first.key().replace('\u{1f}', "/"))),
            Entry::Vacant(slot) => {
                slot.insert(row_number);
                None
            }
        };
        if let Some((first, key)) = duplicate_of {
            let key_names = spec.key.iter().map(|&k| spec.columns[k].name).collect::<Vec<_>>().join("+");
            let message = format!("duplicate {key_names}: the same record is already on row {first}");
            self.issue(
                Severity::Error,
                Some(row_number),
                Some(spec.columns[spec.key[0]].name),
                Some(&key),
                "duplicate_key",
                message,
            );
        }
    }
}

fn cell_text(cell: &Cell<'_>) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(t) => t.to_string(),
        Cell::Number(n) => n.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::DateTime(d) => d.to_string(),
    }
}

impl RowVisitor for TableParser<'_> {
    fn header(&mut self, headers: Vec<String>) -> Result<(), FileError> {
        let spec = self.spec;
        self.width = headers.len();
        self.targets = headers.iter().map(|h| target_of(spec, h)).collect();
        let mut problems = Vec::new();
        let mut seen_columns: HashMap<String, &str> = HashMap::new();
        for (h, t) in headers.iter().zip(&self.targets) {
            let key = match t {
                Some(Target::Column(i)) => spec.columns[*i].name.to_string(),
                Some(Target::UnitName(i)) => format!("{}#name", spec.columns[*i].name),
                None => continue,
            };
            if let Some(first) = seen_columns.insert(key, h) {
                problems.push(format!("columns {first:?} and {h:?} are the same column"));
            }
        }
        let missing: Vec<String> = spec
            .columns
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                c.required
                    && !self.targets.iter().any(|t| match t {
                        Some(Target::Column(j)) | Some(Target::UnitName(j)) => j == i,
                        None => false,
                    })
            })
            .map(|(_, c)| format!("{} ({})", c.name, c.zh))
            .collect();
        if !missing.is_empty() {
            problems.push(format!("missing required column(s): {}", missing.join(", ")));
        }
        if !problems.is_empty() {
            return Err(FileError {
                code: "bad_header",
                message: problems.join("; "),
            });
        }
        let unknown: Vec<&str> = headers
            .iter()
            .zip(&self.targets)
            .filter(|(_, t)| t.is_none())
            .map(|(h, _)| h.as_str())
            .collect();
        if !unknown.is_empty() {
            // Only the names: an extra column may hold callers' personal data,
            // which is dropped unread.
            let message = format!("extra column(s) ignored and not stored: {}", unknown.join(", "));
            self.issue(Severity::Warning, Some(1), None, None, "extra_columns", message);
        }
        Ok(())
    }

    fn row(&mut self, row_number: usize, cells: &[Cell<'_>]) {
        let spec = self.spec;
        let errors_before = self.error_count();
        if cells.len() != self.width {
            let message = format!("this row has {} cells but the header has {}", cells.len(), self.width);
            self.issue(Severity::Error, Some(row_number), None, None, "wrong_width", message);
            return;
        }
        let mut row = vec![Value::Null; spec.columns.len()];
        let mut unit_names: Vec<(usize, String)> = Vec::new();
        for (cell, target) in cells.iter().zip(self.targets.clone()) {
            let Some(target) = target else { continue };
            match target {
                Target::UnitName(i) => {
                    if let Ok(Value::Text(name)) = cells::parse(cell, Kind::Text) {
                        unit_names.push((i, name));
                    }
                }
                Target::Column(i) => {
                    let column = &spec.columns[i];
                    match cells::parse(cell, column.kind) {
                        Ok(v) => row[i] = v,
                        Err(e) => self.issue(Severity::Error, Some(row_number), Some(column.name), Some(&cell_text(cell)), e.code, e.message),
                    }
                }
            }
        }
        for (i, column) in spec.columns.iter().enumerate() {
            if column.kind == Kind::UnitRef {
                if let Value::Text(code) = row[i].clone() {
                    row[i] = self.resolve_unit(row_number, i, false, &code).map_or(Value::Null, Value::Text);
                    continue;
                }
                if let Some((_, name)) = unit_names.iter().find(|(j, _)| *j == i) {
                    row[i] = self.resolve_unit(row_number, i, true, name).map_or(Value::Null, Value::Text);
                    continue;
                }
            }
            if column.required && row[i] == Value::Null && self.error_count() == errors_before {
                self.issue(
                    Severity::Error,
                    Some(row_number),
                    Some(column.name),
                    Some(""),
                    "required",
                    format!("{} ({}) is required", column.name, column.zh),
                );
            }
        }
        if self.error_count() > errors_before {
            return;
        }
        for (column, e) in rules::check(spec, &mut row) {
            let value = row[spec.column_index(column).expect("known")].to_canonical();
            self.issue(Severity::Error, Some(row_number), Some(column), Some(&value), e.code, e.message);
        }
        self.check_duplicate(row_number, &row);
        if self.error_count() == errors_before {
            self.rows.push(row);
            self.row_numbers.push(row_number);
            self.kept += 1;
            (self.on_progress)(self.kept);
            if self.rows.len() >= STREAM_CHUNK {
                self.flush();
            }
        }
    }
}
