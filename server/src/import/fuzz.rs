//! Property tests of every cell parser and a mutation fuzzer for reading
//! CSV and XLSX files, on stable Rust (cargo-fuzz needs a nightly
//! toolchain this project does not use).
//!
//! The fuzzer starts from the example files (and a workbook made from one),
//! mutates them at random (byte flips, insertions, deletions, splices,
//! duplicated and truncated ranges) and reads each mutant exactly as an
//! import does: the reader, the table checks, and the canonical form's
//! round trip. Whatever the bytes, nothing may panic, and the canonical
//! form must read back to what the original read. It runs for
//! `ZHENGXIN_FUZZ_SECONDS` (2 by default, so every test run fuzzes a
//! little; `scripts/fuzz-import` runs it for ten minutes and more) from the
//! seed `ZHENGXIN_FUZZ_SEED` (default: fixed, so a failure repeats). A
//! failing input is written to `$CARGO_TARGET_DIR/tmp/fuzz-failure.bin`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::cells::{self, Cell};
use super::read::{self, FileError, RowVisitor};
use super::refs::UnitIndex;
use super::table::TableParser;
use crate::db::Value;
use crate::sources::{self, Kind, Vocabulary};

/// xorshift64*: small, fast, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn seed() -> u64 {
    std::env::var("ZHENGXIN_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5EED_2026)
}

const KINDS: [Kind; 13] = [
    Kind::Text,
    Kind::UnitRef,
    Kind::Date,
    Kind::DateTime,
    Kind::Bool,
    Kind::Int,
    Kind::Decimal,
    Kind::Enum(Vocabulary::Group),
    Kind::Enum(Vocabulary::CommitmentCategory),
    Kind::Enum(Vocabulary::CommitmentStatus),
    Kind::Enum(Vocabulary::ProposalKind),
    Kind::Enum(Vocabulary::Satisfaction),
    Kind::Text,
];

/// Text made of the characters cells are made of, and some they are not.
fn random_text(rng: &mut Rng) -> String {
    const PIECES: [&str; 24] = [
        "0", "1", "9", "2025", "-", "/", ":", " ", ".", "+", "e", "年", "月", "日", "是", "否", "Ｙ", "\u{3000}", "满意", "T", "\t", "\u{0}", "🙂", "330302",
    ];
    (0..rng.below(12)).map(|_| *rng.pick(&PIECES)).collect()
}

#[test]
fn no_cell_of_any_kind_makes_a_parser_panic() {
    let mut rng = Rng(seed());
    let floats = [0.0, -0.0, 1.0, 0.5, -1.0, 45_723.25, 2_958_465.9, 2_958_466.0, 1e15, -1e300, f64::NAN, f64::INFINITY, f64::MIN_POSITIVE];
    for _ in 0..20_000 {
        let text = random_text(&mut rng);
        let date = NaiveDate::from_ymd_opt(1900 + rng.below(300) as i32, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32).unwrap();
        let at = date.and_hms_opt(rng.below(24) as u32, rng.below(60) as u32, 0).unwrap();
        let cells = [Cell::Empty, Cell::Text(&text), Cell::Number(*rng.pick(&floats)), Cell::Bool(rng.below(2) == 1), Cell::DateTime(at)];
        for cell in &cells {
            for kind in KINDS {
                // The answer is a value or a reason; either way no panic,
                // and a reason always has a code and words.
                if let Err(e) = cells::parse(cell, kind) {
                    assert!(!e.code.is_empty() && !e.message.is_empty(), "{cell:?} as {kind:?}");
                }
            }
        }
    }
}

#[test]
fn every_written_date_time_and_number_reads_back() {
    let mut rng = Rng(seed() ^ 1);
    for _ in 0..20_000 {
        let date = NaiveDate::from_ymd_opt(1900 + rng.below(300) as i32, 1 + rng.below(12) as u32, 1 + rng.below(31) as u32);
        let Some(date) = date else { continue };
        for spelling in [date.format("%Y-%m-%d").to_string(), date.format("%Y/%-m/%-d").to_string(), date.format("%Y年%-m月%-d日").to_string()] {
            assert_eq!(cells::parse_date(&spelling).unwrap(), date, "{spelling}");
        }
        let time = NaiveTime::from_hms_opt(rng.below(24) as u32, rng.below(60) as u32, rng.below(60) as u32).unwrap();
        let at = NaiveDateTime::new(date, time);
        for spelling in [at.format("%Y-%m-%d %H:%M:%S").to_string(), at.format("%Y/%-m/%-d %-H:%M:%S").to_string(), at.format("%Y-%m-%dT%H:%M:%S").to_string()] {
            assert_eq!(cells::parse_datetime(&spelling).unwrap(), at, "{spelling}");
        }
        let n = (rng.next() as i64) >> rng.below(63);
        assert_eq!(cells::parse_int(&n.to_string()).unwrap(), n);
        let x = (rng.next() % 10_000_000) as f64 / 100.0;
        assert_eq!(cells::parse_decimal(&x.to_string()).unwrap(), x);
        // A typed cell means what its text means.
        assert_eq!(cells::parse(&Cell::DateTime(at), Kind::DateTime).unwrap(), Value::DateTime(at));
        assert_eq!(cells::parse(&Cell::Number(n as f64), Kind::Int).is_ok(), (n as f64).abs() < 1e15 && (n as f64) as i64 == n);
    }
    // Full-width digits are the digits; other full-width characters (the
    // hyphen －) are kept as written (import-formats.md), so not a date.
    assert_eq!(cells::parse_date(&cells::normalize_width("２０２５年３月７日")).unwrap(), NaiveDate::from_ymd_opt(2025, 3, 7).unwrap());
    assert!(cells::parse_date(&cells::normalize_width("２０２５－０３－０７")).is_err());
}

/// Reads `bytes` as a file of every source, as an import does, and
/// through the canonical form; panics are the caller's to catch.
fn read_every_way(bytes: &[u8], units: &UnitIndex) {
    #[derive(Default, PartialEq, Debug)]
    struct Collect(Vec<String>, Vec<(usize, String)>);
    impl RowVisitor for Collect {
        fn header(&mut self, h: Vec<String>) -> Result<(), FileError> {
            self.0 = h;
            Ok(())
        }
        fn row(&mut self, r: usize, c: &[Cell<'_>]) {
            self.1.push((r, format!("{c:?}")));
        }
    }
    for spec in sources::ALL {
        let mut tick = |_| {};
        let mut parser = TableParser::new(spec, "fuzz", units, &mut tick);
        let _ = read::read(bytes, &mut parser);
        let staged = super::canonical::canonical(bytes, Some(spec));
        let (mut original, mut again) = (Collect::default(), Collect::default());
        let first = read::read(bytes, &mut original).map_err(|e| e.code);
        let second = super::canonical::read(&staged, &mut again).map_err(|e| e.code);
        assert_eq!(first.is_ok(), second.is_ok(), "canonical form reads like the original: {first:?} {second:?}");
        if first.is_ok() {
            assert_eq!(original.0, again.0, "same header");
            assert_eq!(original.1.len(), again.1.len(), "same rows");
        }
    }
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = rng.pick(seeds).clone();
    for _ in 0..1 + rng.below(8) {
        let len = bytes.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                bytes[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1);
                let b = *rng.pick(b",\"\n\r\t\0<>&;=0129\xE4\xB8\xAD\xFF\xFE PK");
                bytes.insert(i, b);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below(len - i).min(64) + 1;
                bytes.drain(i..(i + n).min(len));
            }
            3 if len > 0 => {
                let other = rng.pick(seeds);
                let (i, j) = (rng.below(len), rng.below(other.len()));
                bytes.truncate(i);
                bytes.extend_from_slice(&other[j..]);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below(len - i).min(256) + 1;
                let piece = bytes[i..(i + n).min(len)].to_vec();
                let at = rng.below(bytes.len() + 1);
                bytes.splice(at..at, piece);
            }
            5 => bytes.truncate(rng.below(len + 1)),
            _ => {
                let i = rng.below(len + 1);
                bytes.splice(i..i, std::iter::repeat_n(b',', rng.below(40)));
            }
        }
    }
    bytes
}

/// A workbook of the example units, for the XLSX seeds.
fn units_workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let text = include_str!("../../../seeds/examples/units.csv");
    for (r, line) in text.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            match cell.parse::<f64>() {
                Ok(n) if r > 0 => sheet.write_number(r as u32, c as u16, n).map(|_| ()),
                _ => sheet.write_string(r as u32, c as u16, cell).map(|_| ()),
            }
            .unwrap();
        }
    }
    sheet.write_datetime(20, 0, rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 3, 7).unwrap()).unwrap();
    book.save_to_buffer().unwrap()
}

#[test]
fn mutated_files_never_make_reading_panic() {
    let seconds: f64 = std::env::var("ZHENGXIN_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let mut seeds: Vec<Vec<u8>> = [
        include_str!("../../../seeds/examples/units.csv"),
        include_str!("../../../seeds/examples/hotline.csv"),
        include_str!("../../../seeds/examples/dishonesty.csv"),
        include_str!("../../../seeds/examples/commitments.csv"),
        include_str!("../../../seeds/examples/debt.csv"),
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    seeds.push(units_workbook());
    let unit = |code: &str, name: &str, group: &str, parent: Option<&str>| crate::db::units::UnitRef {
        code: code.into(),
        name: name.into(),
        group: group.into(),
        parent_code: parent.map(str::to_string),
    };
    let units = UnitIndex::new([
        unit("330302", "鹿城区", "county", None),
        unit("330303", "龙湾区", "county", None),
        unit("330302006", "五马街道", "township", Some("330302")),
        unit("D010", "市财政局", "department", None),
    ]);
    let mut rng = Rng(seed());
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let (mut runs, mut xlsx_runs) = (0u64, 0u64);
    while Instant::now() < deadline {
        let bytes = mutate(&mut rng, &seeds);
        xlsx_runs += u64::from(bytes.starts_with(b"PK"));
        if catch_unwind(AssertUnwindSafe(|| read_every_way(&bytes, &units))).is_err() {
            let dir = std::path::PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into())).join("tmp");
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join("fuzz-failure.bin");
            let _ = std::fs::write(&path, &bytes);
            panic!("reading a mutated file panicked after {runs} runs; the input is in {}", path.display());
        }
        runs += 1;
    }
    eprintln!("fuzz: {runs} mutated files ({xlsx_runs} workbooks) read in {seconds} s without a panic");
    assert!(runs > 0);
}
