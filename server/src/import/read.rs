//! Reading a source file's bytes into a header and rows of [`Cell`]s:
//! CSV in UTF-8 (with or without BOM) or GB18030/GBK, and XLSX (first
//! sheet). Whatever the bytes, the result is rows or a clear refusal; the
//! reader never panics on input.

use std::borrow::Cow;

use super::cells::Cell;
use super::xlsx::{self, MAX_COLUMNS};

/// A whole-file problem: the file cannot be read as a table at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub code: &'static str,
    pub message: String,
}

pub(super) fn file_err(code: &'static str, message: impl Into<String>) -> FileError {
    FileError { code, message: message.into() }
}

/// Every code a whole-file problem of the readers can have.
pub const FILE_ERROR_CODES: [&str; 13] = [
    "empty_file",
    "unsupported_encoding",
    "bad_encoding",
    "not_a_table",
    "no_header",
    "bad_csv",
    "bad_xlsx",
    "xlsx_too_large",
    "xlsx_too_complex",
    "too_many_columns",
    "bad_staged",
    "bad_header",
    "formula_cell",
];

/// What a file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    CsvUtf8,
    CsvUtf8Bom,
    CsvGb18030,
    Xlsx,
}

/// Receives a file's header and then its rows, one at a time, so a large
/// file is never held as cells.
pub trait RowVisitor {
    /// The header cells, trimmed and width-normalised. Returning an error
    /// stops the read.
    fn header(&mut self, headers: Vec<String>) -> Result<(), FileError>;
    /// One data row; `row` is the row number a spreadsheet shows (the
    /// header is row 1 of a plain file).
    fn row(&mut self, row: usize, cells: &[Cell<'_>]);
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// Reads `bytes` as CSV or XLSX (decided by content, not by name). Bytes
/// from outside are never taken for an upload's canonical form, which only
/// [`super::canonical::read`] reads.
pub fn read(bytes: &[u8], visitor: &mut dyn RowVisitor) -> Result<Format, FileError> {
    if bytes.is_empty() {
        return Err(file_err("empty_file", "the file is empty (0 bytes)"));
    }
    if bytes.starts_with(ZIP_MAGIC) {
        xlsx::guard(bytes)?;
        xlsx::read(bytes, &mut WidthLimit(visitor))?;
        return Ok(Format::Xlsx);
    }
    let (text, format) = decode_text(bytes)?;
    read_csv(&text, &mut WidthLimit(visitor))?;
    Ok(format)
}

/// Refuses a header wider than [`MAX_COLUMNS`] before the visitor sees it,
/// whatever the format: a row of 100,000 columns is a hostile file, not a
/// source export.
struct WidthLimit<'v>(&'v mut dyn RowVisitor);

impl RowVisitor for WidthLimit<'_> {
    fn header(&mut self, headers: Vec<String>) -> Result<(), FileError> {
        if headers.len() > MAX_COLUMNS {
            return Err(file_err(
                "too_many_columns",
                format!("the header has {} columns; the limit is {MAX_COLUMNS}", headers.len()),
            ));
        }
        self.0.header(headers)
    }
    fn row(&mut self, row: usize, cells: &[Cell<'_>]) {
        self.0.row(row, cells)
    }
}

/// Decodes CSV bytes: UTF-8 (BOM optional) when valid, else GB18030 (a
/// superset of GBK, what Excel on a Chinese Windows writes).
pub fn decode_text(bytes: &[u8]) -> Result<(Cow<'_, str>, Format), FileError> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(file_err(
            "unsupported_encoding",
            "the file is UTF-16; save it as CSV UTF-8 or as CSV (GB18030/GBK)",
        ));
    }
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        return std::str::from_utf8(rest)
            .map(|s| (Cow::Borrowed(s), Format::CsvUtf8Bom))
            .map_err(|e| file_err("bad_encoding", format!("the file says it is UTF-8 but byte {} is not", e.valid_up_to() + 3)));
    }
    let looks_binary = |t: &str| t.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
    let binary = || file_err("not_a_table", "the file is not a CSV text file or an XLSX workbook (it looks like binary data)");
    if let Ok(s) = std::str::from_utf8(bytes) {
        return if looks_binary(s) {
            Err(binary())
        } else {
            Ok((Cow::Borrowed(s), Format::CsvUtf8))
        };
    }
    let (decoded, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors || looks_binary(&decoded) {
        return Err(binary());
    }
    Ok((decoded, Format::CsvGb18030))
}

pub(super) fn normalize_header(h: &str) -> String {
    super::cells::normalize_width(h).trim().to_string()
}

fn read_csv(text: &str, visitor: &mut dyn RowVisitor) -> Result<(), FileError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = loop {
        match records.next() {
            None => return Err(file_err("no_header", "the file has no header row")),
            Some(Err(e)) => return Err(csv_error(&e)),
            Some(Ok(r)) if r.iter().all(|c| c.trim().is_empty()) => continue,
            Some(Ok(r)) => break r,
        }
    };
    visitor.header(header.iter().map(normalize_header).collect())?;
    // The csv crate's own line count skips blank lines; count newlines
    // up to each record's byte offset instead, so row numbers match an editor.
    let (mut line, mut counted_to) = (1usize, 0usize);
    for record in records {
        let record = record.map_err(|e| csv_error(&e))?;
        let mut offset = record.position().map_or(counted_to, |p| p.byte() as usize).min(text.len());
        // A record's position includes the blank lines before it.
        while offset < text.len() && matches!(text.as_bytes()[offset], b'\r' | b'\n') {
            offset += 1;
        }
        line += text.as_bytes()[counted_to..offset].iter().filter(|&&b| b == b'\n').count();
        counted_to = offset;
        let row = line;
        if record.len() == 1 && record[0].trim().is_empty() {
            continue;
        }
        let cells: Vec<Cell<'_>> = record.iter().map(|c| if c.is_empty() { Cell::Empty } else { Cell::Text(c) }).collect();
        // A short or long row is reported by the visitor through its width.
        visitor.row(row, &cells);
    }
    Ok(())
}

fn csv_error(e: &csv::Error) -> FileError {
    let at = e.position().map(|p| format!(" at row {}", p.line())).unwrap_or_default();
    file_err("bad_csv", format!("the CSV cannot be read{at}: {e}"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A visitor that keeps the header and each row's number and cells
    /// (as their debug text), for tests of the readers.
    #[derive(Debug, Default, PartialEq)]
    pub(crate) struct Collect {
        pub header: Vec<String>,
        pub rows: Vec<(usize, Vec<String>)>,
    }

    impl RowVisitor for Collect {
        fn header(&mut self, headers: Vec<String>) -> Result<(), FileError> {
            self.header = headers;
            Ok(())
        }
        fn row(&mut self, row: usize, cells: &[Cell<'_>]) {
            self.rows.push((row, cells.iter().map(|c| format!("{c:?}")).collect()));
        }
    }

    fn read_all(bytes: &[u8]) -> Result<(Format, Collect), FileError> {
        let mut c = Collect::default();
        read(bytes, &mut c).map(|f| (f, c))
    }

    #[test]
    fn utf8_with_and_without_bom() {
        let (f, c) = read_all("code,name\n330302,鹿城区\n".as_bytes()).unwrap();
        assert_eq!(f, Format::CsvUtf8);
        assert_eq!(c.header, ["code", "name"]);
        assert_eq!(c.rows, [(2, vec!["Text(\"330302\")".to_string(), "Text(\"鹿城区\")".to_string()])]);
        let (f, c) = read_all("\u{feff}code,name\n1,鹿城区\n".as_bytes()).unwrap();
        assert_eq!(f, Format::CsvUtf8Bom);
        assert_eq!(c.header[0], "code");
    }

    #[test]
    fn gbk_bytes_are_decoded_as_gb18030() {
        let (bytes, _, _) = encoding_rs::GBK.encode("单位编码,单位名称\n330302,鹿城区\n");
        let (f, c) = read_all(&bytes).unwrap();
        assert_eq!(f, Format::CsvGb18030);
        assert_eq!(c.header, ["单位编码", "单位名称"]);
        assert!(c.rows[0].1[1].contains("鹿城区"));
    }

    #[test]
    fn empty_and_binary_files_are_refused() {
        assert_eq!(read_all(b"").unwrap_err().code, "empty_file");
        assert_eq!(read_all(b"\n\n").unwrap_err().code, "no_header");
        assert_eq!(read_all(&[0u8, 159, 146, 150, 7, 0, 1]).unwrap_err().code, "not_a_table");
        assert_eq!(read_all(b"\xFF\xFEc\0o\0").unwrap_err().code, "unsupported_encoding");
        assert_eq!(read_all(b"PK\x03\x04garbage").unwrap_err().code, "bad_xlsx");
    }

    #[test]
    fn row_numbers_are_file_lines_and_blank_lines_are_skipped() {
        let (_, c) = read_all(b"a,b\n1,2\n\n3,4\n").unwrap();
        assert_eq!(c.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 4]);
    }
}
