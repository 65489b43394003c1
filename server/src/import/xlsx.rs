//! Reading the first sheet of an XLSX workbook, safely.
//!
//! A workbook is a zip of XML parts, and both layers can be turned into
//! weapons: a 5 KB file whose only cells are A1 and XFD1048576 asks a dense
//! reader for 17 billion cells, and a zip member can unpack to gigabytes.
//! So a workbook is read in two steps:
//!
//! 1. [`guard`] unpacks every member once into nothing, counting: the
//!    number of members, each member's unpacked size against its budget
//!    (see [`Limits`]), the longest run of XML between two `<`/`>` (what
//!    the XML reader would have to buffer at once), and the shared-string
//!    count a workbook announces (calamine reserves room for it up front).
//!    Nothing is kept, so this costs time proportional to the unpacked size
//!    and constant memory.
//! 2. [`read`] streams the sheet cell by cell (calamine's cell reader, never
//!    its dense `Range`) and hands the visitor one row at a time, with at
//!    most [`MAX_COLUMNS`] cells.
//!
//! Every refusal names the part and the limit, so the person who sent the
//! file knows what to change (usually: save it as CSV).

use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};

use super::cells::Cell;
use super::read::{FileError, RowVisitor, file_err, normalize_header};

/// The widest table accepted, in columns; every source has fewer than 20.
pub const MAX_COLUMNS: usize = 1_000;

/// The longest XML token (a tag or the text between two tags) accepted.
/// One cell's text is one token, so this also bounds a cell.
pub const MAX_XML_TOKEN: u64 = 1 << 20;

/// The most members a workbook may have (a real export has about ten).
pub const MAX_MEMBERS: usize = 10_000;

const MIB: u64 = 1 << 20;

/// How far a workbook of `file_len` bytes may unpack.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A worksheet is streamed, so it only costs time: 1 GiB, or 64 × the
    /// file for larger files.
    pub sheet: u64,
    /// The shared-string table is held in memory whole (about 1.5 × its
    /// XML): 64 MiB, or 4 × the file for larger files.
    pub shared_strings: u64,
    /// Any other part (styles, workbook, relationships) is small in a real
    /// workbook.
    pub other: u64,
    /// All members together.
    pub total: u64,
}

impl Limits {
    pub fn for_file(file_len: u64) -> Limits {
        let sheet = (1024 * MIB).max(file_len.saturating_mul(64));
        Limits {
            sheet,
            shared_strings: (64 * MIB).max(file_len.saturating_mul(4)),
            other: 32 * MIB,
            total: sheet.saturating_add(128 * MIB),
        }
    }

    fn for_member(&self, name: &str) -> u64 {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with("sharedstrings.xml") {
            self.shared_strings
        } else if lower.contains("worksheets/") {
            self.sheet
        } else {
            self.other
        }
    }
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes.div_ceil(MIB))
}

/// Unpacks every member once, counting, and refuses a workbook that would
/// cost more memory or time than a real one of its size.
pub fn guard(bytes: &[u8]) -> Result<(), FileError> {
    let limits = Limits::for_file(bytes.len() as u64);
    let bad = |e: &dyn std::fmt::Display| file_err("bad_xlsx", format!("the workbook cannot be read: {e}"));
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(&e))?;
    if zip.len() > MAX_MEMBERS {
        return Err(file_err(
            "xlsx_too_complex",
            format!("the workbook has {} parts; the limit is {MAX_MEMBERS}", zip.len()),
        ));
    }
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).map_err(|e| bad(&e))?;
        let name = member.name().map_or_else(|_| format!("part {}", i + 1), |n| n.to_string());
        let limit = limits.for_member(&name);
        let mut scan = XmlScan::default();
        let mut size = 0u64;
        loop {
            let n = member.read(&mut buf).map_err(|e| bad(&format!("{name}: {e}")))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            total += n as u64;
            if size > limit {
                return Err(file_err(
                    "xlsx_too_large",
                    format!("the workbook part {name} unpacks to more than {}; the limit is {} (save the sheet as CSV instead)", mib(limit), mib(limit)),
                ));
            }
            if total > limits.total {
                return Err(file_err(
                    "xlsx_too_large",
                    format!("the workbook unpacks to more than {}; the limit is {} (save the sheet as CSV instead)", mib(limits.total), mib(limits.total)),
                ));
            }
            scan.feed(&buf[..n]);
            if scan.longest > MAX_XML_TOKEN {
                return Err(file_err(
                    "xlsx_too_large",
                    format!("the workbook part {name} holds a cell or tag longer than {}; the limit is {}", mib(MAX_XML_TOKEN), mib(MAX_XML_TOKEN)),
                ));
            }
        }
        // A real shared string takes at least `<si><t>x</t></si>`, 17 bytes.
        if limit == limits.shared_strings && scan.unreadable {
            return Err(file_err("bad_xlsx", format!("the workbook part {name} has a uniqueCount that cannot be read")));
        }
        if limit == limits.shared_strings
            && let Some(announced) = scan.unique_count
            && announced > size / 12 + 1
        {
            return Err(file_err(
                "bad_xlsx",
                format!("the workbook part {name} announces {announced} shared strings but holds room for at most {}", size / 12 + 1),
            ));
        }
    }
    Ok(())
}

/// Counts, over a stream of XML bytes, the longest run between two `<` or
/// `>`, and reads the first `uniqueCount` attribute (the shared-string
/// table's, which comes first in its part), however it is spaced or
/// quoted; one that cannot be read is remembered as such. A short tail is
/// kept across chunk edges.
#[derive(Debug, Default)]
struct XmlScan {
    run: u64,
    longest: u64,
    tail: Vec<u8>,
    unique_count: Option<u64>,
    /// An attribute `uniqueCount` whose value could not be read.
    unreadable: bool,
}

/// What follows an attribute's name.
enum AttributeValue {
    Number(u64),
    /// Not enough bytes yet.
    Incomplete,
    Unreadable,
}

/// The bytes after an attribute name within which its value must be read.
const ATTRIBUTE_REACH: usize = 256;

fn attribute_value(rest: &[u8]) -> AttributeValue {
    // Only the reach is read: a value further away is as good as none.
    let rest = &rest[..rest.len().min(ATTRIBUTE_REACH)];
    let mut i = 0;
    let skip_space = |i: &mut usize| {
        while *i < rest.len() && rest[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    let incomplete = || if rest.len() >= ATTRIBUTE_REACH { AttributeValue::Unreadable } else { AttributeValue::Incomplete };
    skip_space(&mut i);
    match rest.get(i) {
        None => return incomplete(),
        Some(b'=') => i += 1,
        Some(_) => return AttributeValue::Unreadable,
    }
    skip_space(&mut i);
    let quote = match rest.get(i) {
        None => return incomplete(),
        Some(&q) if q == b'"' || q == b'\'' => q,
        Some(_) => return AttributeValue::Unreadable,
    };
    let digits_start = i + 1;
    let digits = rest[digits_start..].iter().take_while(|b| b.is_ascii_digit()).count();
    match rest.get(digits_start + digits) {
        None => incomplete(),
        Some(&end) if end == quote && digits > 0 => {
            let text = std::str::from_utf8(&rest[digits_start..digits_start + digits]).unwrap_or("");
            AttributeValue::Number(text.parse().unwrap_or(u64::MAX))
        }
        Some(_) => AttributeValue::Unreadable,
    }
}

impl XmlScan {
    const ATTRIBUTE: &'static [u8] = b"uniqueCount";

    fn feed(&mut self, chunk: &[u8]) {
        let mut last = 0usize;
        for at in memchr::memchr2_iter(b'<', b'>', chunk) {
            self.longest = self.longest.max(self.run + (at - last) as u64);
            self.run = 0;
            last = at + 1;
        }
        self.run += (chunk.len() - last) as u64;
        self.longest = self.longest.max(self.run);

        if self.unique_count.is_some() || self.unreadable {
            return;
        }
        let mut window = std::mem::take(&mut self.tail);
        window.extend_from_slice(chunk);
        if let Some(at) = memchr::memmem::find(&window, Self::ATTRIBUTE) {
            match attribute_value(&window[at + Self::ATTRIBUTE.len()..]) {
                AttributeValue::Number(n) => self.unique_count = Some(n),
                AttributeValue::Unreadable => self.unreadable = true,
                // Keep from the name on; the next chunk completes it.
                AttributeValue::Incomplete => self.tail = window.split_off(at),
            }
            return;
        }
        let keep = window.len().min(Self::ATTRIBUTE.len());
        self.tail = window.split_off(window.len() - keep);
    }
}

/// Streams the first sheet's rows to `visitor`. Call [`guard`] first.
pub fn read(bytes: &[u8], visitor: &mut dyn RowVisitor) -> Result<(), FileError> {
    let bad = |e: &dyn std::fmt::Display| file_err("bad_xlsx", format!("the workbook cannot be read: {e}"));
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| bad(&e))?;
    let Some(first) = book.sheet_names().first().cloned() else {
        return Err(file_err("no_header", "the workbook has no sheet"));
    };
    let mut cells = book.worksheet_cells_reader(&first).map_err(|e| bad(&e))?;
    let mut rows = RowAssembler::default();
    let mut header_width: Option<usize> = None;
    loop {
        let next = cells.next_cell_with_formula_metadata().map_err(|e| bad(&e))?;
        let finished_row = match &next {
            Some(cell) => {
                let (row, column) = cell.pos;
                // A formula's cached value may be stale, absent or a payload
                // meant for whoever opens an export: the import takes values.
                if cell.formula.is_some() {
                    return Err(file_err(
                        "formula_cell",
                        format!("cell {} holds a formula; the import reads values only: copy the sheet and paste it as values, or save it as CSV", cell_name(row, column)),
                    ));
                }
                if matches!(cell.value, DataRef::Empty) {
                    continue;
                }
                rows.push(row as usize, column as usize, cell.value.clone())?
            }
            None => rows.take(),
        };
        if let Some((row, values)) = finished_row {
            let texts: Vec<String> = values.iter().map(text_of).collect();
            let row_cells: Vec<Cell<'_>> = values.iter().zip(&texts).map(|(v, t)| cell_of(v, t)).collect();
            match header_width {
                None => {
                    header_width = Some(row_cells.len());
                    let header = texts.iter().map(|t| normalize_header(t)).collect();
                    visitor.header(header)?;
                }
                Some(width) => {
                    // Pad a short row to the header's width; a row with a
                    // value beyond the header keeps it, and the visitor
                    // reports the width.
                    let mut row_cells = row_cells;
                    if row_cells.len() < width {
                        row_cells.resize(width, Cell::Empty);
                    }
                    visitor.row(row + 1, &row_cells);
                }
            }
        }
        if next.is_none() {
            break;
        }
    }
    if header_width.is_none() {
        return Err(file_err("no_header", "the first sheet has no header row"));
    }
    Ok(())
}

/// Gathers the non-empty cells of one row as they stream past.
#[derive(Default)]
struct RowAssembler<'a> {
    row: Option<usize>,
    values: Vec<DataRef<'a>>,
}

impl<'a> RowAssembler<'a> {
    /// Adds a cell; returns the previous row when this cell starts a new one.
    fn push(&mut self, row: usize, column: usize, value: DataRef<'a>) -> Result<Option<(usize, Vec<DataRef<'a>>)>, FileError> {
        if column >= MAX_COLUMNS {
            return Err(file_err(
                "too_many_columns",
                format!("row {} has a value in column {}; the limit is {MAX_COLUMNS} columns", row + 1, column + 1),
            ));
        }
        let finished = match self.row {
            Some(current) if current == row => None,
            Some(current) if row < current => {
                return Err(file_err(
                    "bad_xlsx",
                    format!("the sheet's rows are out of order (row {} after row {}); save it again from Excel or as CSV", row + 1, current + 1),
                ));
            }
            _ => self.take(),
        };
        self.row = Some(row);
        if self.values.len() <= column {
            self.values.resize(column + 1, DataRef::Empty);
        }
        self.values[column] = value;
        Ok(finished)
    }

    fn take(&mut self) -> Option<(usize, Vec<DataRef<'a>>)> {
        let row = self.row.take()?;
        Some((row, std::mem::take(&mut self.values)))
    }
}

/// A cell's name as a spreadsheet shows it (row and column from 0): C2.
fn cell_name(row: u32, column: u32) -> String {
    let mut letters = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8(letters).expect("ASCII"), row + 1)
}

fn text_of(value: &DataRef<'_>) -> String {
    match value {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Error(e) => format!("#{e:?}"),
        DataRef::Int(n) => n.to_string(),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => dt.as_datetime().map_or_else(|| dt.as_f64().to_string(), |d| d.to_string()),
        DataRef::Empty => String::new(),
    }
}

fn cell_of<'t>(value: &DataRef<'_>, text: &'t str) -> Cell<'t> {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::Int(n) => Cell::Number(*n as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => dt.as_datetime().map_or(Cell::Number(dt.as_f64()), Cell::DateTime),
        _ => Cell::Text(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A workbook written by hand: `sheet` is the worksheet's `sheetData`
    /// content; `strings` the shared-string part, if any.
    pub(crate) fn workbook(sheet: &str, strings: Option<&str>) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let mut part = |name: &str, body: &str| {
            zip.start_file(name, options).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        };
        part(
            "[Content_Types].xml",
            r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#,
        );
        part(
            "_rels/.rels",
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        );
        part(
            "xl/workbook.xml",
            r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        );
        part(
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        );
        if let Some(strings) = strings {
            part("xl/sharedStrings.xml", strings);
        }
        part(
            "xl/worksheets/sheet1.xml",
            &format!(r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet}</sheetData></worksheet>"#),
        );
        zip.finish().unwrap().into_inner()
    }

    #[derive(Debug, Default)]
    struct Collect {
        header: Vec<String>,
        rows: Vec<(usize, usize)>,
    }

    impl RowVisitor for Collect {
        fn header(&mut self, headers: Vec<String>) -> Result<(), FileError> {
            self.header = headers;
            Ok(())
        }
        fn row(&mut self, row: usize, cells: &[Cell<'_>]) {
            self.rows.push((row, cells.len()));
        }
    }

    fn read_all(bytes: &[u8]) -> Result<Collect, FileError> {
        guard(bytes)?;
        let mut c = Collect::default();
        read(bytes, &mut c).map(|_| c)
    }

    fn inline(cell: &str, text: &str) -> String {
        format!(r#"<c r="{cell}" t="inlineStr"><is><t>{text}</t></is></c>"#)
    }

    #[test]
    fn rows_stream_with_their_sheet_row_numbers_and_the_header_width() {
        let sheet = format!(
            r#"<row r="2">{}{}</row><row r="3">{}</row><row r="7">{}{}</row>"#,
            inline("A2", "code"),
            inline("B2", "name"),
            inline("A3", "330302"),
            inline("A7", "1"),
            inline("B7", "x")
        );
        let c = read_all(&workbook(&sheet, None)).unwrap();
        assert_eq!(c.header, ["code", "name"]);
        assert_eq!(c.rows, [(3, 2), (7, 2)]);
    }

    #[test]
    fn a_far_cell_is_refused_without_building_the_range() {
        // The hostile file of issue 10: A1 and XFD1048576 only.
        let sheet = format!(r#"<row r="1">{}</row><row r="1048576">{}</row>"#, inline("A1", "code"), inline("XFD1048576", "x"));
        let e = read_all(&workbook(&sheet, None)).unwrap_err();
        assert_eq!(e.code, "too_many_columns");
        assert!(e.message.contains("row 1048576") && e.message.contains("column 16384"), "{}", e.message);
        // A far row in a narrow column is fine: nothing is built for the gap.
        let sheet = format!(r#"<row r="1">{}</row><row r="1048576">{}</row>"#, inline("A1", "code"), inline("A1048576", "x"));
        assert_eq!(read_all(&workbook(&sheet, None)).unwrap().rows, [(1_048_576, 1)]);
    }

    #[test]
    fn a_formula_cell_is_refused_by_its_name() {
        let sheet = format!(r#"<row r="1">{}</row><row r="2"><c r="AB2" t="str"><f>1+1</f><v>2</v></c></row>"#, inline("A1", "code"));
        let e = read_all(&workbook(&sheet, None)).unwrap_err();
        assert_eq!(e.code, "formula_cell");
        assert!(e.message.starts_with("cell AB2 holds a formula"), "{}", e.message);
        assert_eq!((cell_name(0, 0), cell_name(9, 25), cell_name(0, 26), cell_name(1_048_575, 16_383)), ("A1".into(), "Z10".into(), "AA1".into(), "XFD1048576".into()));
    }

    #[test]
    fn rows_out_of_order_are_refused() {
        let sheet = format!(r#"<row r="5">{}</row><row r="2">{}</row>"#, inline("A5", "code"), inline("A2", "x"));
        assert_eq!(read_all(&workbook(&sheet, None)).unwrap_err().code, "bad_xlsx");
    }

    #[test]
    fn a_zip_bomb_is_refused_by_its_unpacked_size() {
        // 33 MiB of one repeated row compresses to a few dozen kilobytes.
        let row = r#"<row r="2"><c r="A2"/></row>"#;
        let mut sheet = String::with_capacity(33 << 20);
        while sheet.len() < (33 << 20) {
            sheet.push_str(row);
        }
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/styles.xml", options).unwrap();
        zip.write_all(sheet.as_bytes()).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let e = guard(&bytes).unwrap_err();
        assert_eq!(e.code, "xlsx_too_large");
        assert!(e.message.contains("xl/styles.xml") && e.message.contains("32 MiB"), "{}", e.message);
    }

    #[test]
    fn a_huge_cell_and_a_lying_shared_string_count_are_refused() {
        let long = "x".repeat((MAX_XML_TOKEN + 1) as usize);
        let sheet = format!(r#"<row r="1">{}</row>"#, inline("A1", &long));
        assert_eq!(read_all(&workbook(&sheet, None)).unwrap_err().code, "xlsx_too_large");

        let strings = r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="999999999999"><si><t>code</t></si></sst>"#;
        let sheet = r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#;
        let e = read_all(&workbook(sheet, Some(strings))).unwrap_err();
        assert!(e.message.contains("999999999999"), "{}", e.message);
        let honest = strings.replace("999999999999", "1");
        assert_eq!(read_all(&workbook(sheet, Some(&honest))).unwrap().header, ["code"]);
    }

    #[test]
    fn the_scan_finds_runs_and_counts_across_chunk_edges() {
        let mut scan = XmlScan::default();
        scan.feed(b"<sst uniqueCo");
        scan.feed(b"unt=\"42\"><si>abc");
        scan.feed(b"def</si>");
        assert_eq!(scan.unique_count, Some(42));
        assert_eq!(scan.longest, "sst uniqueCount=\"42\"".len() as u64);
    }

    #[test]
    fn a_spaced_or_single_quoted_count_is_read_and_a_garbled_one_refused() {
        // calamine reads all of these; so must the guard.
        for (xml, expected) in [
            ("<sst uniqueCount =\"10000000000000\">", Some(10_000_000_000_000)),
            ("<sst uniqueCount\n=\n'7'>", Some(7)),
            ("<sst uniqueCount = \"99999999999999999999999\">", Some(u64::MAX)),
        ] {
            let mut scan = XmlScan::default();
            for piece in xml.as_bytes().chunks(3) {
                scan.feed(piece);
            }
            assert_eq!(scan.unique_count, expected, "{xml}");
        }
        let mut scan = XmlScan::default();
        scan.feed(b"<sst uniqueCount=\"12x\">");
        assert!(scan.unreadable);
        let mut padded = XmlScan::default();
        padded.feed(format!("<sst uniqueCount{}=\"5\">", " ".repeat(300)).as_bytes());
        assert!(padded.unreadable, "padding past the reach is refused, not skipped");
        let strings = r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount = "999999999999"><si><t>code</t></si></sst>"#;
        let sheet = r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#;
        assert_eq!(read_all(&workbook(sheet, Some(strings))).unwrap_err().code, "bad_xlsx");
    }
}
