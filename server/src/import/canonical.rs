//! The canonical form an upload waits in: only the columns the importer
//! reads, with every cell's type and every row's number and width, so that
//! checking or committing it later gives exactly what the original file
//! gives, while a column the importer drops (a caller's phone number, say)
//! never reaches the database.
//!
//! The form is JSON lines. The first line describes the file:
//! `{"zhengxin_staged":1,"format":"xlsx","sha256":"…"}`, or, for a file
//! that cannot be read at all, the same with `"error":{"code":…,"message":…}`.
//! The second line is the header (every name, also of dropped columns:
//! names are not personal data and the report names them). Each further
//! line is one row: `[row number, width, [[column, cell], …]]` with only
//! the read columns' non-empty cells, a cell being `{"t":text}`,
//! `{"n":number}`, `{"b":bool}` or `{"d":"YYYY-MM-DDTHH:MM:SS"}`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::cells::Cell;
use super::read::{self, FileError, Format, RowVisitor, file_err};
use super::table::is_read;
use crate::hashing::to_hex;
use crate::sources::SourceSpec;

/// How a canonical file starts.
pub const MAGIC: &[u8] = b"{\"zhengxin_staged\":1";

#[derive(Debug, Serialize, Deserialize)]
struct Head {
    zhengxin_staged: u32,
    format: Option<Format>,
    sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<HeadError>,
}

#[derive(Debug, Serialize, Deserialize)]
struct HeadError {
    code: String,
    message: String,
}

#[derive(Debug, Serialize, Deserialize)]
enum StagedCell {
    #[serde(rename = "t")]
    Text(String),
    #[serde(rename = "n")]
    Number(f64),
    #[serde(rename = "b")]
    Bool(bool),
    #[serde(rename = "d")]
    DateTime(chrono::NaiveDateTime),
}

/// The canonical form of `bytes`, a file of `spec`'s source (none: the
/// source is unknown, and no cell is kept).
pub fn canonical(bytes: &[u8], spec: Option<&'static SourceSpec>) -> Vec<u8> {
    let mut writer = Writer { spec, kept: Vec::new(), out: Vec::new() };
    let result = read::read(bytes, &mut writer);
    let head = Head {
        zhengxin_staged: 1,
        format: result.as_ref().ok().copied(),
        sha256: to_hex(&Sha256::digest(bytes)),
        error: result.err().map(|e| HeadError { code: e.code.to_string(), message: e.message }),
    };
    let mut out = serde_json::to_vec(&head).expect("serialisable");
    debug_assert!(out.starts_with(MAGIC));
    out.push(b'\n');
    if head.error.is_none() {
        out.extend_from_slice(&writer.out);
    }
    out
}

/// The SHA-256 of the file a canonical form was made from (what the
/// import batch records), or none for other bytes.
pub fn original_hash(bytes: &[u8]) -> Option<String> {
    if !bytes.starts_with(MAGIC) {
        return None;
    }
    let line = bytes.split(|&b| b == b'\n').next()?;
    serde_json::from_slice::<Head>(line).ok().map(|h| h.sha256)
}

struct Writer {
    spec: Option<&'static SourceSpec>,
    kept: Vec<bool>,
    out: Vec<u8>,
}

impl RowVisitor for Writer {
    fn header(&mut self, headers: Vec<String>) -> Result<(), FileError> {
        self.kept = headers.iter().map(|h| self.spec.is_some_and(|s| is_read(s, h))).collect();
        serde_json::to_writer(&mut self.out, &headers).expect("serialisable");
        self.out.push(b'\n');
        Ok(())
    }

    fn row(&mut self, row: usize, cells: &[Cell<'_>]) {
        let kept: Vec<(usize, StagedCell)> = cells
            .iter()
            .enumerate()
            .filter(|(i, _)| self.kept.get(*i).copied().unwrap_or(false))
            .filter_map(|(i, c)| {
                let cell = match c {
                    Cell::Empty => return None,
                    Cell::Text(t) => StagedCell::Text(t.to_string()),
                    Cell::Number(n) => StagedCell::Number(*n),
                    Cell::Bool(b) => StagedCell::Bool(*b),
                    Cell::DateTime(d) => StagedCell::DateTime(*d),
                };
                Some((i, cell))
            })
            .collect();
        serde_json::to_writer(&mut self.out, &(row, cells.len(), kept)).expect("serialisable");
        self.out.push(b'\n');
    }
}

/// Reads a canonical form back: the original's format, header and rows.
/// Only for bytes this program stored (see [`super::Input::staged`]).
pub fn read(bytes: &[u8], visitor: &mut dyn RowVisitor) -> Result<Format, FileError> {
    let bad = || file_err("bad_staged", "the staged upload is damaged; upload the file again");
    let mut lines = bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    let head: Head = lines.next().and_then(|l| serde_json::from_slice(l).ok()).ok_or_else(bad)?;
    if let Some(e) = head.error {
        // The codes are the reader's own, all static; an unknown one means
        // the bytes were altered.
        let code = read::FILE_ERROR_CODES.iter().find(|c| **c == e.code).ok_or_else(bad)?;
        return Err(file_err(code, e.message));
    }
    let format = head.format.ok_or_else(bad)?;
    let header: Vec<String> = lines.next().and_then(|l| serde_json::from_slice(l).ok()).ok_or_else(bad)?;
    visitor.header(header)?;
    for line in lines {
        let (row, width, kept): (usize, usize, Vec<(usize, StagedCell)>) = serde_json::from_slice(line).map_err(|_| bad())?;
        // Only this program writes the form; a width past any real row is
        // damage, not data.
        if width > (1 << 20) || kept.iter().any(|(i, _)| *i >= width) {
            return Err(bad());
        }
        let mut cells = vec![Cell::Empty; width];
        for (i, cell) in &kept {
            cells[*i] = match cell {
                StagedCell::Text(t) => Cell::Text(t),
                StagedCell::Number(n) => Cell::Number(*n),
                StagedCell::Bool(b) => Cell::Bool(*b),
                StagedCell::DateTime(d) => Cell::DateTime(*d),
            };
        }
        visitor.row(row, &cells);
    }
    Ok(format)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::read::tests::Collect;
    use crate::sources::Source;

    #[test]
    fn dropped_columns_leave_no_value_and_everything_else_reads_the_same() {
        let file = "id,unit_code,caller_phone,received_at\nH1,330302,13800138000,2025-03-07 09:00\n\n\"H,2\",330303,13900139000,\n";
        let spec = Source::Hotline.spec();
        let staged = canonical(file.as_bytes(), Some(spec));
        let text = String::from_utf8(staged.clone()).unwrap();
        assert!(!text.contains("13800138000") && !text.contains("13900139000"), "{text}");
        assert!(text.contains("caller_phone"), "the header keeps the name");
        assert_eq!(original_hash(&staged).unwrap(), to_hex(&Sha256::digest(file.as_bytes())));

        let mut original = Collect::default();
        let format = read::read(file.as_bytes(), &mut original).unwrap();
        let mut again = Collect::default();
        assert_eq!(read(&staged, &mut again).unwrap(), format);
        // From outside, the same bytes are just text, never the form.
        assert!(read::read(&staged, &mut Collect::default()).is_ok_and(|f| f != Format::Xlsx));
        let blank = |cells: &[String]| cells.iter().enumerate().map(|(i, c)| if i == 2 { "Empty".to_string() } else { c.clone() }).collect::<Vec<_>>();
        assert_eq!(again.header, original.header);
        assert_eq!(again.rows, original.rows.iter().map(|(r, c)| (*r, blank(c))).collect::<Vec<_>>());
        assert_eq!(again.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 4], "row numbers survive");
    }

    #[test]
    fn an_unreadable_file_stays_unreadable_for_the_same_reason() {
        let staged = canonical(b"\xFF\xFEc\0o\0", Some(Source::Units.spec()));
        let e = read(&staged, &mut Collect::default()).unwrap_err();
        assert_eq!(e.code, "unsupported_encoding");
        let damaged = [MAGIC, b",garbage\n"].concat();
        assert_eq!(read(&damaged, &mut Collect::default()).unwrap_err().code, "bad_staged");
        let wide = [&canonical(b"code\n1\n", Some(Source::Units.spec()))[..], b"[3,99999999,[]]\n"].concat();
        assert_eq!(read(&wide, &mut Collect::default()).unwrap_err().code, "bad_staged", "a damaged width allocates nothing");
    }
}
