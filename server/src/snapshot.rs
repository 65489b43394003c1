//! Columnar snapshots of a year's inputs: the engine's DataFrames as
//! Parquet files, so that scoring and drill-downs read a year in a fraction
//! of a second however many years the database holds.
//!
//! The database stays the source of truth; a snapshot is a cache of what
//! it held, and is only ever read under the key it was written with:
//! [`crate::db::inputs::InputsState::detail`], a hash of every import
//! batch that changed data (its id, file, content hash, counts and time)
//! and every accepted objection (id, record and time of decision), plus
//! this module's [`FORMAT`], the release and the executable ([`key`]).
//! Every change of a record scoring reads goes through one of those (imports write records, objections void them; repairs and
//! corrections are imports), so a changed record changes the key and an old
//! snapshot is never read again: the next reading falls back to the
//! database and writes a new one ([`crate::scoring::load`]). An import
//! writes the new snapshots of the years it changed as it ends, reading
//! the tickets from its own segments ([`crate::segments`]).
//!
//! Layout: `<folder>/<year>/<key>/` holds `meta.json` and one
//! `<source>.parquet` per input, but the tickets, which are kept in parts
//! of [`TICKETS_PER_PART`] (`hotline-0.parquet`, `hotline-1.parquet`, …). A snapshot is written into a temporary
//! folder beside it and renamed into place, so a reader sees a whole
//! snapshot or none; older keys of the year are then removed. A snapshot
//! that cannot be read (removed meanwhile, damaged) is removed and the
//! database is read instead, which writes it again.
//!
//! Reading a whole year ([`read`]) decodes every input but the tickets: the
//! tickets' files are opened and left to the engine, which streams through
//! the columns it needs, one part after another
//! ([`analytics::inputs::Tickets`]), so a scoring never holds a year's
//! millions of tickets decoded, nor all their file mapped. The open files
//! stay readable when a newer snapshot removes them meanwhile. Reading
//! counts each part's rows from its footer; a page damaged beyond that
//! fails the scoring, which then removes the snapshot and scores from the
//! database ([`crate::scoring::load::run`]).
//!
//! Where: under `ZHENGXIN_SNAPSHOT_DIR` in a sub-folder per database when
//! it is set, else beside a SQLite file (`<file>.snapshots/`), else (for
//! PostgreSQL, which has no file to sit beside) under `data/snapshots/` of
//! the working directory, in a sub-folder per database.
//! `ZHENGXIN_SNAPSHOT_DIR=off` turns snapshots off: every reading goes to
//! the database.
//!
//! What a snapshot does not catch: a record edited behind the
//! application's back (with `sqlite3` or `psql`) changes no key. Scoring
//! then goes on from the snapshot, as it was before the edit; `zhengxin
//! results --verify` recomputes from the database and reports the
//! difference (method §7), as it did before snapshots.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use analytics::inputs::{Inputs, SOURCES, Tickets};
use analytics::polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::hashing::sha256;

/// The layout of a snapshot's files; part of every key, so a build that
/// writes another layout never reads an older one.
pub const FORMAT: &str = "zhengxin-snapshot-2";

/// The setting that places (or, `off`, disables) snapshots.
pub const FOLDER_SETTING: &str = "ZHENGXIN_SNAPSHOT_DIR";

/// Where PostgreSQL's snapshots go without the setting, relative to the
/// working directory.
pub const DEFAULT_ROOT: &str = "data/snapshots";

/// What a snapshot says about itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    pub format: String,
    pub year: i32,
    pub key: String,
    /// The inputs' fingerprint when it was written (what a result version
    /// records).
    pub fingerprint: String,
    /// The content digest of the inputs it holds
    /// ([`crate::scoring::digest`]), computed as it was written.
    pub digest: String,
    /// Rows per input, in [`SOURCES`] order.
    pub rows: Vec<(String, usize)>,
}

/// A year's inputs read from a snapshot.
pub struct Snapshot {
    pub meta: Meta,
    pub inputs: Inputs,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("snapshot {path}: {0}", path = .1)]
    Polars(PolarsError, String),
}

type Result<T> = std::result::Result<T, SnapshotError>;

fn io(path: &Path) -> impl Fn(std::io::Error) -> SnapshotError + '_ {
    move |e| SnapshotError::Io { path: path.display().to_string(), reason: e.to_string() }
}

/// The folder a database's snapshots go in by default: the setting's
/// sub-folder for this database, else beside the SQLite file, else (for
/// PostgreSQL) a sub-folder of `data/snapshots` in the working directory,
/// where the default SQLite file lives too; none for an in-memory SQLite
/// database or with the setting `off`.
///
/// `database` names the database: its file for SQLite, its host, port
/// and name for PostgreSQL (never the password).
pub fn default_folder(sqlite_file: Option<&Path>, database: &str) -> Option<Arc<Path>> {
    folder_for(std::env::var(FOLDER_SETTING).ok().as_deref(), sqlite_file, database)
}

/// [`default_folder`] with the setting's value given.
fn folder_for(setting: Option<&str>, sqlite_file: Option<&Path>, database: &str) -> Option<Arc<Path>> {
    let per_database = |root: &Path| -> Arc<Path> { root.join(&sha256(database)[..16]).into() };
    match (setting.map(str::trim).filter(|s| !s.is_empty()), sqlite_file) {
        (Some("off"), _) => None,
        (Some(root), _) => Some(per_database(Path::new(root))),
        (None, Some(file)) if file.as_os_str() != ":memory:" && !file.as_os_str().is_empty() => {
            let mut name = file.file_name()?.to_os_string();
            name.push(".snapshots");
            Some(file.with_file_name(name).into())
        }
        (None, Some(_)) => None,
        (None, None) => Some(per_database(Path::new(DEFAULT_ROOT))),
    }
}

/// The years that have a snapshot folder, in order.
pub fn years(folder: &Path) -> Vec<i32> {
    let mut years: Vec<i32> = fs::read_dir(folder)
        .map(|entries| entries.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default();
    years.sort_unstable();
    years
}

fn year_folder(folder: &Path, year: i32) -> PathBuf {
    folder.join(year.to_string())
}

/// The key's folder name: the key is hex already, but is checked to be.
fn key_folder(folder: &Path, year: i32, key: &str) -> Option<PathBuf> {
    key.bytes().all(|b| b.is_ascii_hexdigit()).then(|| year_folder(folder, year).join(key))
}

/// The snapshot of `year` written under `key`, if there is one that reads.
/// Blocking: call it off the async workers.
pub fn read(folder: &Path, year: i32, key: &str) -> Result<Option<Snapshot>> {
    read_with(folder, year, key, None)
}

/// [`read`] with only `unit`'s records (its commitments, proposals,
/// tickets and dishonesty records; the register and yearly rows whole):
/// what a drill-down into one unit needs. Records are written in unit
/// order in row groups of [`ROW_GROUP`] rows, so the reader skips the
/// row groups whose statistics exclude the unit.
pub fn read_unit(folder: &Path, year: i32, key: &str, unit: &str) -> Result<Option<Snapshot>> {
    read_with(folder, year, key, Some(unit))
}

fn read_with(folder: &Path, year: i32, key: &str, unit: Option<&str>) -> Result<Option<Snapshot>> {
    let Some(dir) = key_folder(folder, year, key) else {
        return Ok(None);
    };
    let meta_path = dir.join("meta.json");
    let meta: Meta = match fs::read(&meta_path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| SnapshotError::Io { path: meta_path.display().to_string(), reason: e.to_string() })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&meta_path)(e)),
    };
    if meta.format != FORMAT || meta.year != year || meta.key != key {
        return Ok(None);
    }
    let read = |source: &str| match unit {
        Some(unit) if RECORDS.contains(&source) => read_frame_of(&dir, source, unit),
        _ => read_frame(&dir, source),
    };
    let inputs = Inputs {
        units: read("units")?,
        commitments: read("commitments")?,
        proposals: read("proposals")?,
        // A whole year's tickets are left in their files for the engine to
        // stream through: scoring never holds them all decoded at once.
        hotline: match unit {
            Some(unit) => Tickets::Frame(read_frame_of(&dir, "hotline", unit)?),
            None => open_tickets(&dir)?,
        },
        debt: read("debt")?,
        dishonesty: read("dishonesty")?,
        ratings: read("ratings")?,
        honours: read("honours")?,
    };
    if !meta.rows.iter().map(|(s, _)| s.as_str()).eq(SOURCES) {
        return Err(SnapshotError::Io { path: dir.display().to_string(), reason: "its meta does not list the inputs".into() });
    }
    for (source, rows) in &meta.rows {
        let read = inputs.height(source);
        let whole = unit.is_none() || !RECORDS.contains(&source.as_str());
        if (whole && read != *rows) || read > *rows {
            return Err(SnapshotError::Io { path: dir.display().to_string(), reason: format!("{source} has {read} rows, its meta says {rows}") });
        }
    }
    inputs.check().map_err(|e| SnapshotError::Io { path: dir.display().to_string(), reason: e.to_string() })?;
    Ok(Some(Snapshot { meta, inputs }))
}

/// The inputs with one row per record of a unit, written in unit order.
pub const RECORDS: [&str; 4] = ["commitments", "proposals", "hotline", "dishonesty"];

/// Rows per Parquet row group: a unit's tickets (up to about 120,000 at
/// Wenzhou's scale) span a few groups, so a drill-down decodes little
/// beyond them, and a year's file has enough groups for both cores.
/// Measured (BENCHMARKS.md): 65,536 gave a county's first drill-down view
/// 61-68 ms at 3 M tickets, 32,768 gives 33-34 ms; a whole year reads in
/// the same 0.08-0.09 s with either.
pub const ROW_GROUP: usize = 32_768;

/// Tickets per file of a snapshot: 32 row groups. A scoring maps a file
/// only while it reads it, so its memory is that of a part or two, not of
/// the year (at 6 M tickets, measured: 122-135 MiB in parts against
/// 184-196 MiB for one file, at 0.17 s against 0.15-0.19 s).
pub const TICKETS_PER_PART: usize = 32 * ROW_GROUP;

/// The year's ticket files in order (`hotline-0.parquet`, `hotline-1`, …),
/// opened.
fn ticket_parts(dir: &Path) -> Result<Vec<File>> {
    let mut numbered = Vec::new();
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let name = entry.map_err(io(dir))?.file_name();
        let part = name.to_str().and_then(|n| n.strip_prefix("hotline-")).and_then(|n| n.strip_suffix(".parquet")).and_then(|n| n.parse::<usize>().ok());
        if let Some(part) = part {
            numbered.push(part);
        }
    }
    numbered.sort_unstable();
    if numbered.is_empty() || numbered.iter().enumerate().any(|(i, n)| i != *n) {
        return Err(SnapshotError::Io { path: dir.display().to_string(), reason: format!("its ticket files are not parts 0 to n: {numbered:?}") });
    }
    numbered
        .into_iter()
        .map(|n| {
            let path = dir.join(format!("hotline-{n}.parquet"));
            File::open(&path).map_err(io(&path))
        })
        .collect()
}

/// The year's tickets, opened (each part's footer read and rows counted):
/// the engine reads the rest as it scores.
fn open_tickets(dir: &Path) -> Result<Tickets> {
    Tickets::parquet(ticket_parts(dir)?).map_err(|e| SnapshotError::Polars(e, dir.join("hotline-*.parquet").display().to_string()))
}

fn read_frame_of(dir: &Path, source: &str, unit: &str) -> Result<DataFrame> {
    let of_unit = |lf: LazyFrame| lf.filter(col(analytics::columns::UNIT_CODE).eq(lit(unit))).collect();
    if source == "hotline" {
        let path = dir.join("hotline-*.parquet").display().to_string();
        return ticket_parts(dir).and_then(|parts| analytics::inputs::scan_tickets(parts).and_then(of_unit).map_err(|e| SnapshotError::Polars(e, path)));
    }
    let path = dir.join(format!("{source}.parquet"));
    let failed = |e: PolarsError| SnapshotError::Polars(e, path.display().to_string());
    let file = PlRefPath::try_from_path(&path).map_err(failed)?;
    if !path.exists() {
        return Err(io(&path)(std::io::Error::from(std::io::ErrorKind::NotFound)));
    }
    LazyFrame::scan_parquet(file, ScanArgsParquet::default()).and_then(of_unit).map_err(failed)
}

fn read_frame(dir: &Path, source: &str) -> Result<DataFrame> {
    let path = dir.join(format!("{source}.parquet"));
    let file = File::open(&path).map_err(io(&path))?;
    ParquetReader::new(file).finish().map_err(|e| SnapshotError::Polars(e, path.display().to_string()))
}

/// Sorts the record inputs by unit and id: the order the engine always
/// sees them in, from the database or a snapshot. Sums of points are
/// then the same floating-point sums on every path, whatever order
/// storage returned the rows in, and a snapshot's row groups each hold
/// a few units.
pub fn canonical_order(mut inputs: Inputs) -> std::result::Result<Inputs, analytics::EngineError> {
    use analytics::columns::{ID, UNIT_CODE};
    let sort = |df: &DataFrame| df.sort([UNIT_CODE, ID], SortMultipleOptions::default().with_multithreaded(true).with_maintain_order(true));
    inputs.commitments = sort(&inputs.commitments)?;
    inputs.proposals = sort(&inputs.proposals)?;
    let tickets = sort(inputs.hotline.frame()?.as_ref())?;
    inputs.hotline = tickets.into();
    inputs.dishonesty = sort(&inputs.dishonesty)?;
    Ok(inputs)
}

/// Removes the snapshot of `year` under `key`: it did not read. Best
/// effort; the next reading of the database writes it again.
pub fn discard(folder: &Path, year: i32, key: &str) {
    if let Some(dir) = key_folder(folder, year, key) {
        let _ = fs::remove_dir_all(dir);
    }
}

/// Writes `inputs` as the snapshot of `meta.year` under `meta.key`, then
/// removes the year's older snapshots. Blocking. The record inputs must be
/// in [`canonical_order`] (a unit's read relies on it).
pub fn write(folder: &Path, meta: &Meta, inputs: &Inputs) -> Result<()> {
    let Some(target) = key_folder(folder, meta.year, &meta.key) else {
        return Err(SnapshotError::Io { path: folder.display().to_string(), reason: format!("key {:?} is not hex", meta.key) });
    };
    let parent = year_folder(folder, meta.year);
    fs::create_dir_all(&parent).map_err(io(&parent))?;
    if target.join("meta.json").exists() {
        return Ok(());
    }
    // Random, so that no other writer (another process, another machine
    // sharing the folder) has the same; created here, so only this call
    // ever removes it.
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).map_err(|e| SnapshotError::Io { path: parent.display().to_string(), reason: e.to_string() })?;
    let temp = parent.join(format!(".writing-{}", crate::hashing::to_hex(&nonce)));
    fs::create_dir(&temp).map_err(io(&temp))?;
    let written = write_files(&temp, meta, inputs).and_then(|()| match fs::rename(&temp, &target) {
        Ok(()) => Ok(()),
        // Another process wrote the same snapshot first.
        Err(_) if target.join("meta.json").exists() => Ok(()),
        Err(e) => Err(io(&target)(e)),
    });
    if temp.exists() {
        let _ = fs::remove_dir_all(&temp);
    }
    written?;
    remove_older(&parent, &meta.key);
    Ok(())
}

fn write_files(temp: &Path, meta: &Meta, inputs: &Inputs) -> Result<()> {
    write_files_in_parts(temp, meta, inputs, TICKETS_PER_PART)
}

fn write_files_in_parts(temp: &Path, meta: &Meta, inputs: &Inputs, tickets_per_part: usize) -> Result<()> {
    let write = |path: PathBuf, frame: &mut DataFrame, compression: ParquetCompression| -> Result<()> {
        let file = File::create(&path).map_err(io(&path))?;
        ParquetWriter::new(file)
            .with_compression(compression)
            .with_row_group_size(Some(ROW_GROUP))
            .finish(frame)
            .map(|_| ())
            .map_err(|e| SnapshotError::Polars(e, path.display().to_string()))
    };
    for source in SOURCES {
        let frame = inputs.frame(source).map_err(|e| SnapshotError::Polars(e, temp.display().to_string()))?;
        if source == "hotline" {
            // At least one part, so that an empty year still has its columns.
            // Not compressed: three of their columns are millisecond times,
            // which LZ4 shrinks by a fifth only, and whose decompression was
            // a fifth of a warm scoring's time. At 3 M tickets: 0.12-0.13 s
            // against 0.14-0.15 s, 123-128 MiB against 120-127 MiB, and
            // 135 MB of files against 72 MB.
            let parts = frame.height().div_ceil(tickets_per_part).max(1);
            for n in 0..parts {
                let mut part = frame.slice((n * tickets_per_part) as i64, tickets_per_part);
                write(temp.join(format!("hotline-{n}.parquet")), &mut part, ParquetCompression::Uncompressed)?;
            }
        } else {
            write(temp.join(format!("{source}.parquet")), &mut frame.into_owned(), ParquetCompression::Lz4Raw)?;
        }
    }
    let meta_path = temp.join("meta.json");
    let text = serde_json::to_vec_pretty(meta).expect("meta serialises");
    fs::write(&meta_path, text).map_err(io(&meta_path))?;
    Ok(())
}

/// Removes the year's snapshots older than the one under `keep`, and
/// abandoned temporary folders, best effort (a reader holding one open
/// falls back to the database). Only older ones: a slower writer of an
/// older state must not remove a newer snapshot.
fn remove_older(parent: &Path, keep: &str) {
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let Some(kept) = modified(&parent.join(keep)) else { return };
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let when = modified(&entry.path());
        let stale_temp = name.starts_with(".writing-") && when.is_some_and(|t| t.elapsed().is_ok_and(|age| age.as_secs() > 3600));
        let older_key = !name.starts_with('.') && name != keep && when.is_some_and(|t| t <= kept);
        if stale_temp || older_key {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// The key of a snapshot: [`FORMAT`], the release, the executable (its
/// size and time) and the data's state. A new build never reads what an
/// older one wrote: how stored rows become frames, or the digest in a
/// snapshot's meta, may have changed with it.
pub fn key(state_hash: &str) -> String {
    sha256(&format!("{FORMAT}\n{}\n{}\n{state_hash}", env!("CARGO_PKG_VERSION"), build()))
}

/// The running executable's size and modification time, read once.
fn build() -> &'static str {
    static BUILD: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BUILD.get_or_init(|| {
        let meta = std::env::current_exe().and_then(fs::metadata);
        match meta.as_ref().map(|m| (m.len(), m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()))) {
            Ok((len, Some(at))) => format!("{len} {}.{:09}", at.as_secs(), at.subsec_nanos()),
            _ => "unknown".to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use analytics::columns::UNIT_CODE;

    fn inputs() -> Inputs {
        crate::demo::sample_inputs(0.02)
    }

    fn meta(inputs: &Inputs, key: &str) -> Meta {
        Meta {
            format: FORMAT.into(),
            year: 2025,
            key: key.into(),
            fingerprint: "f".into(),
            digest: "d".into(),
            rows: SOURCES.iter().map(|s| (s.to_string(), inputs.height(s))).collect(),
        }
    }

    #[test]
    fn a_snapshot_reads_back_what_was_written_and_only_under_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = canonical_order(inputs()).unwrap();
        let key = "ab12";
        write(dir.path(), &meta(&inputs, key), &inputs).unwrap();
        let back = read(dir.path(), 2025, key).unwrap().expect("written");
        assert_eq!(back.meta, meta(&inputs, key));
        for source in SOURCES {
            // The same rows in the same (canonical) order.
            assert!(back.inputs.frame(source).unwrap().equals_missing(&inputs.frame(source).unwrap()), "{source}");
        }
        assert!(read(dir.path(), 2025, "cd34").unwrap().is_none(), "another key");
        assert!(read(dir.path(), 2024, key).unwrap().is_none(), "another year");
        assert!(read(dir.path(), 2025, "../2025/ab12").unwrap().is_none(), "a key is hex, never a path");

        // One unit's records: exactly that unit's rows of each record input.
        let unit = read_unit(dir.path(), 2025, key, "330302").unwrap().expect("written");
        for source in RECORDS {
            let expected = inputs.frame(source).unwrap().into_owned().lazy().filter(col(UNIT_CODE).eq(lit("330302"))).collect().unwrap();
            assert!(expected.height() > 0, "{source}");
            assert!(unit.inputs.frame(source).unwrap().equals_missing(&expected), "{source}");
        }
        assert_eq!(unit.inputs.units.height(), inputs.units.height());

        // A newer key replaces the year's older snapshot.
        write(dir.path(), &meta(&inputs, "cd34"), &inputs).unwrap();
        assert!(read(dir.path(), 2025, key).unwrap().is_none());
        assert!(read(dir.path(), 2025, "cd34").unwrap().is_some());
        // A year's tickets are left in their file for the engine to stream,
        // through the handle the reading opened: the snapshot removed since
        // is still read whole.
        assert!(matches!(back.inputs.hotline, Tickets::Parquet { .. }), "{:?}", back.inputs.hotline);
        assert!(!dir.path().join("2025").join(key).exists());
        assert!(back.inputs.hotline.frame().unwrap().equals_missing(&inputs.hotline.frame().unwrap()));
        assert_eq!(years(dir.path()), vec![2025]);
    }

    #[test]
    fn a_damaged_snapshot_is_an_error_not_a_result() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = inputs();
        write(dir.path(), &meta(&inputs, "ab12"), &inputs).unwrap();
        let hotline = dir.path().join("2025/ab12/hotline-0.parquet");
        let bytes = std::fs::read(&hotline).unwrap();
        std::fs::write(&hotline, &bytes[..bytes.len() / 2]).unwrap();
        assert!(read(dir.path(), 2025, "ab12").is_err());
        // Rows missing from a whole file (one rewritten shorter) are caught by the meta.
        let mut short = inputs.clone();
        short.hotline = inputs.hotline.frame().unwrap().slice(0, 10).into();
        std::fs::create_dir(dir.path().join("short")).unwrap();
        write_files(&dir.path().join("short"), &meta(&inputs, "ef56"), &short).unwrap();
        std::fs::rename(dir.path().join("short"), dir.path().join("2025/ef56")).unwrap();
        let e = read(dir.path(), 2025, "ef56").err().expect("refused");
        assert!(e.to_string().contains("hotline has 10 rows"), "{e}");
        // A meta that leaves an input out is refused, not trusted.
        let mut partial = meta(&inputs, "ef56");
        partial.rows.retain(|(s, _)| s != "hotline");
        std::fs::write(dir.path().join("2025/ef56/meta.json"), serde_json::to_vec(&partial).unwrap()).unwrap();
        let e = read(dir.path(), 2025, "ef56").err().expect("refused");
        assert!(e.to_string().contains("does not list the inputs"), "{e}");
    }

    /// A year's tickets in several files read back whole and per unit, in
    /// order; a missing part is an error, not fewer tickets.
    #[test]
    fn the_tickets_in_parts_read_back_in_order_and_whole() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = canonical_order(inputs()).unwrap();
        let tickets = inputs.hotline.frame().unwrap().into_owned();
        assert!(tickets.height() > 2_500, "{}", tickets.height());
        let folder = dir.path().join("2025/ab12");
        std::fs::create_dir_all(&folder).unwrap();
        write_files_in_parts(&folder, &meta(&inputs, "ab12"), &inputs, 1_000).unwrap();
        let parts = tickets.height().div_ceil(1_000);
        assert!(folder.join(format!("hotline-{}.parquet", parts - 1)).exists() && !folder.join(format!("hotline-{parts}.parquet")).exists());
        let back = read(dir.path(), 2025, "ab12").unwrap().expect("written");
        assert!(back.inputs.hotline.frame().unwrap().equals_missing(&tickets));
        let unit = read_unit(dir.path(), 2025, "ab12", "330302").unwrap().expect("written");
        let expected = tickets.clone().lazy().filter(col(UNIT_CODE).eq(lit("330302"))).collect().unwrap();
        assert!(expected.height() > 0 && unit.inputs.hotline.frame().unwrap().equals_missing(&expected));
        std::fs::remove_file(folder.join("hotline-1.parquet")).unwrap();
        let e = read(dir.path(), 2025, "ab12").err().expect("refused");
        assert!(e.to_string().contains("not parts 0 to n"), "{e}");
    }

    #[test]
    fn the_folder_follows_the_setting_then_the_file_then_data() {
        let file = Path::new("/srv/zx/zhengxin.db");
        assert_eq!(folder_for(None, Some(file), "x").as_deref(), Some(Path::new("/srv/zx/zhengxin.db.snapshots")));
        assert_eq!(folder_for(Some("off"), Some(file), "x"), None);
        assert_eq!(folder_for(None, Some(Path::new(":memory:")), "x"), None);
        let a = folder_for(Some("/snap"), None, "postgres://zx@db/a").unwrap();
        let b = folder_for(Some("/snap"), None, "postgres://zx@db/b").unwrap();
        assert!(a.starts_with("/snap") && b.starts_with("/snap") && a != b, "one folder per database");
        assert!(folder_for(None, None, "postgres://zx@db/a").unwrap().starts_with(DEFAULT_ROOT));
    }
}
