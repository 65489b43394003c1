//! Each hotline import batch's tickets as columnar segments, written by the
//! import as it writes the rows, so that a year's tickets are read from
//! Parquet after an import instead of from the database (issue 28: the
//! first scoring after an import read millions of rows back that the
//! import had just held).
//!
//! A batch's segment is the rows the batch wrote (inserted or changed,
//! never the unchanged ones), one group of Parquet files per year a
//! ticket was received in, plus the ids of the tickets it changed. The
//! database keeps, for every ticket, the row of the last batch that wrote
//! it (`batch_id`), so a year's tickets are exactly:
//!
//! > every live batch's rows of that year, less the rows whose ticket a
//! > later live batch changed (in whatever year the change put it).
//!
//! "Live" is the state's list of hotline batches that changed something
//! ([`crate::db::inputs::InputsState::hotline`]): a pending, killed or
//! removed batch is not in it, so its segment is never read. A segment
//! stands for a batch only when its meta holds the batch's very line of
//! the state (id, counts, file, content hash and time): a batch id that
//! SQLite hands out again after a failed import, or a database restored
//! from a backup, does not match. When any live batch has no matching
//! segment (batches written before segments existed, a segment that
//! failed to write), [`tickets`] gives `None` and the year's tickets are
//! read from the database as before. Segments, like snapshots, are a
//! cache: the database stays the truth, `results --verify` reads it, and
//! the tests compare the two readings row for row.
//!
//! Layout: `<snapshots>/segments/<batch id>/` holds `meta.json`,
//! `<year>-<part>.parquet` (at most [`PART_ROWS`] rows each, so an import
//! holds at most that many tickets per year in memory) and
//! `changed.parquet`. A segment is written in a `.writing-…` folder and
//! renamed into place only after its batch committed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use analytics::columns::{ID, VOIDED};
use analytics::polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::Value;
use crate::db::inputs::{BatchLine, TicketColumns};

/// The layout of a segment's files.
pub const FORMAT: &str = "zhengxin-segment-1";

/// Tickets of one year held before they are written as a part.
pub const PART_ROWS: usize = 1 << 18;

#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    #[error("segment {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("segment {path}: {0}", path = .1)]
    Polars(PolarsError, String),
}

type Result<T> = std::result::Result<T, SegmentError>;

fn io(path: &Path) -> impl Fn(std::io::Error) -> SegmentError + '_ {
    move |e| SegmentError::Io { path: path.display().to_string(), reason: e.to_string() }
}

fn other(path: &Path, reason: impl ToString) -> SegmentError {
    SegmentError::Io { path: path.display().to_string(), reason: reason.to_string() }
}

/// What a sealed segment says about itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Meta {
    format: String,
    batch: i64,
    /// The batch's line of the state ([`BatchLine::text`]).
    line: String,
    /// Per year: its parts and rows.
    years: Vec<YearParts>,
    /// Tickets the batch changed (rows of `changed.parquet`).
    changed: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct YearParts {
    year: i32,
    parts: usize,
    rows: usize,
}

fn root(folder: &Path) -> PathBuf {
    folder.join("segments")
}

/// A batch's segment being written: the import hands it every row it
/// writes ([`Self::push`]) and writes full parts off the async workers
/// ([`Self::full_parts`], [`Part::write`]).
pub struct SegmentWriter {
    batch: i64,
    /// Tickets of a year held before they go out as a part ([`PART_ROWS`]).
    part_rows: usize,
    temp: PathBuf,
    open: BTreeMap<i32, TicketColumns>,
    years: BTreeMap<i32, YearParts>,
    changed: Vec<String>,
}

/// Tickets of one year ready to be written as one Parquet file.
pub struct Part {
    path: PathBuf,
    tickets: TicketColumns,
}

impl Part {
    /// Writes the part. Blocking.
    pub fn write(self) -> Result<()> {
        let mut frame = self.tickets.into_frame().map_err(|e| other(&self.path, e))?;
        write_parquet(&self.path, &mut frame)
    }
}

fn write_parquet(path: &Path, frame: &mut DataFrame) -> Result<()> {
    let file = File::create(path).map_err(io(path))?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Lz4Raw)
        .finish(frame)
        .map_err(|e| SegmentError::Polars(e, path.display().to_string()))?;
    Ok(())
}

impl SegmentWriter {
    /// Opens the segment of `batch` in a fresh temporary folder under
    /// `folder` (the database's snapshot folder).
    pub fn start(folder: &Path, batch: i64) -> Result<SegmentWriter> {
        let root = root(folder);
        fs::create_dir_all(&root).map_err(io(&root))?;
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| other(&root, e))?;
        let temp = root.join(format!(".writing-{batch}-{}", crate::hashing::to_hex(&nonce)));
        fs::create_dir(&temp).map_err(io(&temp))?;
        Ok(SegmentWriter { batch, part_rows: PART_ROWS, temp, open: BTreeMap::new(), years: BTreeMap::new(), changed: Vec::new() })
    }

    /// Holds one row the batch writes (in the columns of
    /// [`crate::sources::HOTLINE`]); `changed`: it replaces a stored ticket.
    pub fn push(&mut self, row: &[Value], changed: bool) -> Result<()> {
        let year = match row.get(2) {
            Some(Value::DateTime(t)) => chrono::Datelike::year(t),
            _ => return Err(other(&self.temp, "a ticket row without its received time")),
        };
        self.open.entry(year).or_insert_with(TicketColumns::new).push_row(row).map_err(|e| other(&self.temp, e))?;
        if changed && let Some(Value::Text(id)) = row.first() {
            self.changed.push(id.clone());
        }
        Ok(())
    }

    /// The years holding [`PART_ROWS`] tickets, taken out as parts to write.
    pub fn full_parts(&mut self) -> Vec<Part> {
        let full: Vec<i32> = self.open.iter().filter(|(_, t)| t.len() >= self.part_rows).map(|(y, _)| *y).collect();
        full.into_iter().map(|year| self.part(year)).collect()
    }

    fn part(&mut self, year: i32) -> Part {
        let tickets = self.open.remove(&year).unwrap_or_else(TicketColumns::new);
        let entry = self.years.entry(year).or_insert(YearParts { year, parts: 0, rows: 0 });
        let path = self.temp.join(format!("{year}-{}.parquet", entry.parts));
        entry.parts += 1;
        entry.rows += tickets.len();
        Part { path, tickets }
    }

    /// Writes what is left and the changed ids. Blocking. The segment is
    /// not read until [`Finished::seal`] puts it in place.
    pub fn finish(mut self) -> Result<Finished> {
        let years: Vec<i32> = self.open.keys().copied().collect();
        for year in years {
            self.part(year).write()?;
        }
        let path = self.temp.join("changed.parquet");
        let mut ids = DataFrame::new(self.changed.len(), vec![Column::new(ID.into(), std::mem::take(&mut self.changed))])
            .map_err(|e| SegmentError::Polars(e, path.display().to_string()))?;
        write_parquet(&path, &mut ids)?;
        let changed = ids.height();
        Ok(Finished { batch: self.batch, temp: self.temp, years: self.years.into_values().collect(), changed })
    }

    /// Removes the unfinished segment. Best effort.
    pub fn discard(self) {
        let _ = fs::remove_dir_all(&self.temp);
    }
}

/// A segment whose files are written, waiting for its batch to commit.
pub struct Finished {
    batch: i64,
    temp: PathBuf,
    years: Vec<YearParts>,
    changed: usize,
}

impl Finished {
    pub fn batch(&self) -> i64 {
        self.batch
    }

    /// The years it holds tickets of.
    pub fn years(&self) -> Vec<i32> {
        self.years.iter().map(|y| y.year).collect()
    }

    /// Puts the segment in place for its committed batch, whose line of
    /// the state is `line`. Blocking.
    pub fn seal(self, line: &BatchLine) -> Result<()> {
        if line.id != self.batch {
            return Err(other(&self.temp, format!("sealed with batch {}'s line", line.id)));
        }
        let meta = Meta { format: FORMAT.into(), batch: self.batch, line: line.text.clone(), years: self.years, changed: self.changed };
        let meta_path = self.temp.join("meta.json");
        fs::write(&meta_path, serde_json::to_vec_pretty(&meta).expect("meta serialises")).map_err(io(&meta_path))?;
        let target = self.temp.with_file_name(self.batch.to_string());
        // A folder of the same id is a batch that never committed (SQLite
        // hands its id out again) or one of a database since restored.
        if target.exists() {
            fs::remove_dir_all(&target).map_err(io(&target))?;
        }
        fs::rename(&self.temp, &target).map_err(io(&target))
    }

    /// Removes the segment (its batch did not commit). Best effort.
    pub fn discard(self) {
        let _ = fs::remove_dir_all(&self.temp);
    }
}

/// The tickets received in `year`, assembled from the segments of the
/// `live` hotline batches, with `voided` marked: the frame the database
/// reading gives ([`crate::db::inputs::hotline_columns`]), in another row
/// order ([`crate::snapshot::canonical_order`] sorts both). `None` when a
/// live batch has no segment that matches it. Blocking.
pub fn tickets(folder: &Path, year: i32, live: &[BatchLine], voided: &HashSet<String>) -> Result<Option<DataFrame>> {
    let root = root(folder);
    let mut metas = Vec::with_capacity(live.len());
    for batch in live {
        let path = root.join(batch.id.to_string()).join("meta.json");
        let meta: Meta = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| other(&path, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&path)(e)),
        };
        if meta.format != FORMAT || meta.batch != batch.id || meta.line != batch.text {
            return Ok(None);
        }
        metas.push(meta);
    }
    // The last live batch that changed each ticket.
    let mut changed_by: HashMap<String, i64> = HashMap::new();
    for meta in metas.iter().filter(|m| m.changed > 0) {
        let path = root.join(meta.batch.to_string()).join("changed.parquet");
        let ids = read_parquet(&path)?;
        if ids.height() != meta.changed {
            return Err(other(&path, format!("{} ids, its meta says {}", ids.height(), meta.changed)));
        }
        let ids = ids.column(ID).and_then(|c| c.str().cloned()).map_err(|e| SegmentError::Polars(e, path.display().to_string()))?;
        for id in ids.iter().flatten() {
            changed_by.insert(id.to_string(), meta.batch);
        }
    }
    let mut frames = Vec::new();
    for meta in &metas {
        let Some(parts) = meta.years.iter().find(|y| y.year == year) else { continue };
        let mut rows = 0;
        for part in 0..parts.parts {
            let path = root.join(meta.batch.to_string()).join(format!("{year}-{part}.parquet"));
            let frame = read_parquet(&path)?;
            rows += frame.height();
            frames.push(keep_latest(frame, meta.batch, &changed_by).map_err(|e| SegmentError::Polars(e, path.display().to_string()))?);
        }
        if rows != parts.rows {
            return Err(other(&root.join(meta.batch.to_string()), format!("{year} has {rows} tickets, its meta says {}", parts.rows)));
        }
    }
    let failed = |e: PolarsError| SegmentError::Polars(e, root.display().to_string());
    let mut frame = match frames.len() {
        0 => TicketColumns::new().into_frame().map_err(|e| other(&root, e))?,
        1 => frames.pop().expect("one"),
        _ => concat_frames(frames).map_err(failed)?,
    };
    if !voided.is_empty() {
        let marks: BooleanChunked = frame.column(ID).and_then(|c| c.str().cloned()).map_err(failed)?.iter().map(|id| Some(id.is_some_and(|id| voided.contains(id)))).collect();
        frame.with_column(marks.with_name(VOIDED.into()).into_column()).map_err(failed)?;
    }
    Ok(Some(frame))
}

/// `frame` (written by `batch`) without the tickets a later batch changed.
fn keep_latest(frame: DataFrame, batch: i64, changed_by: &HashMap<String, i64>) -> PolarsResult<DataFrame> {
    if changed_by.is_empty() {
        return Ok(frame);
    }
    let keep: BooleanChunked = frame.column(ID)?.str()?.iter().map(|id| Some(id.and_then(|id| changed_by.get(id)).is_none_or(|&by| by <= batch))).collect();
    frame.filter(&keep)
}

fn concat_frames(frames: Vec<DataFrame>) -> PolarsResult<DataFrame> {
    let mut frames = frames.into_iter();
    let mut all = frames.next().expect("at least one");
    for f in frames {
        all.vstack_mut_owned(f)?;
    }
    all.rechunk_mut();
    Ok(all)
}

fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).map_err(io(path))?;
    ParquetReader::new(file).finish().map_err(|e| SegmentError::Polars(e, path.display().to_string()))
}

/// Removes the segments of batches not in `live` (ones that never
/// committed, or were removed) and temporary folders over an hour old.
/// Best effort; call it holding the import's claim, so that no segment
/// is being sealed meanwhile.
pub fn prune(folder: &Path, live: &[i64]) {
    let Ok(entries) = fs::read_dir(root(folder)) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stale_temp = name.starts_with(".writing-")
            && entry.metadata().and_then(|m| m.modified()).ok().is_some_and(|t| t.elapsed().is_ok_and(|age| age.as_secs() > 3600));
        let dead = name.parse::<i64>().is_ok_and(|id| !live.contains(&id));
        if stale_temp || dead {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// A batch's segment as a writer in async code holds it: rows go in
/// through [`Self::hold`], full parts are written off the async workers,
/// and any failure gives the segment up (logged) rather than the write:
/// the batch's tickets are then read from the database, as before
/// segments existed.
pub struct Holder {
    segment: Option<SegmentWriter>,
    failed: Option<SegmentError>,
    /// Parts being written while the rows go on into the database: at
    /// most one such write at a time, so at most two parts' tickets are
    /// held beyond the open ones.
    writing: Option<tokio::task::JoinHandle<Result<()>>>,
}

impl Holder {
    /// A segment for `batch` in `folder` (none: no snapshot folder, and
    /// nothing is held).
    pub fn start(folder: Option<&Path>, batch: i64) -> Holder {
        let segment = folder.and_then(|folder| {
            SegmentWriter::start(folder, batch).inspect_err(|e| tracing::warn!(error = %e, batch, "no segment for this batch; its tickets will be read from the database")).ok()
        });
        Holder { segment, failed: None, writing: None }
    }

    /// Holds one written row (the callback of `db::records::upsert…`).
    pub fn hold(&mut self, row: &[Value], changed: bool) {
        if let (Some(segment), None) = (self.segment.as_mut(), &self.failed) {
            self.failed = segment.push(row, changed).err();
        }
    }

    /// Starts writing the full parts off the async workers, once the
    /// previous ones are written (or gives the segment up after a failure).
    pub async fn write_full_parts(&mut self) {
        let Some(segment) = self.segment.as_mut() else { return };
        let parts = segment.full_parts();
        if self.failed.is_none() && !parts.is_empty() {
            self.wait_for_parts().await;
            self.writing = Some(tokio::task::spawn_blocking(move || parts.into_iter().try_for_each(Part::write)));
        }
        self.give_up_if_failed();
    }

    /// Waits for the parts being written.
    async fn wait_for_parts(&mut self) {
        if let Some(writing) = self.writing.take() {
            let written = writing.await.unwrap_or_else(|e| Err(SegmentError::Io { path: "a segment part".into(), reason: e.to_string() }));
            if self.failed.is_none() {
                self.failed = written.err();
            }
        }
    }

    fn give_up_if_failed(&mut self) {
        if let Some(e) = self.failed.take() {
            tracing::warn!(error = %e, "segment given up; its batch's tickets will be read from the database");
            self.discard();
        }
    }

    /// Writes the rest; the segment then waits for its batch to commit.
    pub async fn finish(mut self) -> Option<Finished> {
        self.write_full_parts().await;
        self.wait_for_parts().await;
        self.give_up_if_failed();
        let segment = self.segment.take()?;
        match tokio::task::spawn_blocking(move || segment.finish()).await {
            Ok(Ok(finished)) => Some(finished),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "segment not written; its batch's tickets will be read from the database");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "segment writer stopped");
                None
            }
        }
    }

    /// Removes what was written. Best effort.
    pub fn discard(&mut self) {
        if let Some(segment) = self.segment.take() {
            segment.discard();
        }
    }
}

/// Puts `finished` segments in place for their batches as `db`'s state
/// now lists them, removes those whose batch is not live and the
/// segments of batches no longer live; gives the years the sealed ones
/// hold tickets of. Call it after the batches committed, holding the
/// import's claim. Failures are logged: the years' tickets are then read
/// from the database.
pub async fn seal_all(db: &crate::db::Db, finished: Vec<Finished>) -> Vec<i32> {
    let Some(folder) = db.snapshots().filter(|_| !finished.is_empty()).map(Path::to_path_buf) else {
        return Vec::new();
    };
    let live = match crate::db::inputs::state(db).await {
        Ok(state) => state.hotline,
        Err(e) => {
            tracing::warn!(error = %e, "segments not sealed; their batches' tickets will be read from the database");
            finished.into_iter().for_each(Finished::discard);
            return Vec::new();
        }
    };
    let sealed = tokio::task::spawn_blocking(move || {
        let mut years = Vec::new();
        for segment in finished {
            match live.iter().find(|line| line.id == segment.batch()) {
                Some(line) => {
                    let held = segment.years();
                    match segment.seal(line) {
                        Ok(()) => years.extend(held),
                        Err(e) => tracing::warn!(error = %e, "segment not sealed; its batch's tickets will be read from the database"),
                    }
                }
                None => segment.discard(),
            }
        }
        prune(&folder, &live.iter().map(|l| l.id).collect::<Vec<_>>());
        years
    });
    let mut years = sealed.await.unwrap_or_default();
    years.sort_unstable();
    years.dedup();
    years
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn at(text: &str) -> Value {
        Value::DateTime(NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap())
    }

    /// A ticket row in the columns of `sources::HOTLINE`.
    fn ticket(id: &str, received: &str, verified: bool) -> Vec<Value> {
        vec![
            Value::text(id),
            Value::text("330302"),
            at(received),
            at(received),
            Value::Null,
            Value::text("complaint"),
            Value::Bool(false),
            Value::Bool(verified),
            Value::Null,
            Value::Bool(false),
        ]
    }

    fn line(id: i64) -> BatchLine {
        BatchLine { id, text: format!("batch {id} hotline;") }
    }

    /// Writes a segment for `batch` from `(row, changed)`, three tickets a part.
    fn segment(folder: &Path, batch: i64, rows: &[(Vec<Value>, bool)]) -> Finished {
        let mut writer = SegmentWriter::start(folder, batch).unwrap();
        writer.part_rows = 3;
        for (row, changed) in rows {
            writer.push(row, *changed).unwrap();
            for part in writer.full_parts() {
                part.write().unwrap();
            }
        }
        writer.finish().unwrap()
    }

    /// The frame's (id, verified, voided), sorted by id.
    fn rows(frame: &DataFrame) -> Vec<(String, bool, bool)> {
        let ids = frame.column(ID).unwrap().str().unwrap().clone();
        let verified = frame.column(analytics::columns::VERIFIED).unwrap().bool().unwrap().clone();
        let voided = frame.column(VOIDED).unwrap().bool().unwrap().clone();
        let mut out: Vec<_> = (0..frame.height()).map(|i| (ids.get(i).unwrap().to_string(), verified.get(i).unwrap(), voided.get(i).unwrap())).collect();
        out.sort();
        out
    }

    fn ids(list: &[(&str, bool, bool)]) -> Vec<(String, bool, bool)> {
        list.iter().map(|(id, v, x)| (id.to_string(), *v, *x)).collect()
    }

    #[test]
    fn a_year_is_every_live_batch_less_what_a_later_batch_changed() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path();
        let first: Vec<(Vec<Value>, bool)> = (1..=7)
            .map(|i| (ticket(&format!("H{i}"), if i <= 4 { "2024-03-01 09:00:00" } else { "2025-03-01 09:00:00" }, false), false))
            .collect();
        let one = segment(folder, 1, &first);
        assert_eq!(one.years(), vec![2024, 2025]);
        one.seal(&line(1)).unwrap();
        // Batch 2 changes H1 (staying in 2024), moves H2 to 2025 and H5 to
        // 2024, and brings H8.
        let second = vec![
            (ticket("H1", "2024-04-01 09:00:00", true), true),
            (ticket("H2", "2025-01-02 09:00:00", true), true),
            (ticket("H5", "2024-12-31 23:59:59", true), true),
            (ticket("H8", "2025-06-01 09:00:00", false), false),
        ];
        segment(folder, 2, &second).seal(&line(2)).unwrap();
        let live = [line(1), line(2)];
        let none = HashSet::new();

        let y2024 = tickets(folder, 2024, &live, &none).unwrap().expect("both segments");
        assert_eq!(rows(&y2024), ids(&[("H1", true, false), ("H3", false, false), ("H4", false, false), ("H5", true, false)]));
        let voided: HashSet<String> = ["H8".to_string(), "H3".to_string()].into();
        let y2025 = tickets(folder, 2025, &live, &voided).unwrap().expect("both segments");
        assert_eq!(rows(&y2025), ids(&[("H2", true, false), ("H6", false, false), ("H7", false, false), ("H8", false, true)]));
        assert_eq!(tickets(folder, 2023, &live, &none).unwrap().expect("both segments").height(), 0, "a year without tickets");

        // Batch 2 alone live (batch 1 not in the state): only its rows.
        let y2025 = tickets(folder, 2025, &[line(2)], &none).unwrap().unwrap();
        assert_eq!(rows(&y2025), ids(&[("H2", true, false), ("H8", false, false)]));

        // A live batch without its segment, or whose segment is another
        // batch's under the same id, is read from the database.
        assert!(tickets(folder, 2025, &[line(1), line(2), line(3)], &none).unwrap().is_none());
        let other = BatchLine { id: 2, text: "batch 2 hotline; another file".into() };
        assert!(tickets(folder, 2025, &[line(1), other], &none).unwrap().is_none());
        // An unsealed segment is not read either.
        let unsealed = segment(folder, 3, &[(ticket("H9", "2025-01-01 00:00:00", false), false)]);
        assert!(tickets(folder, 2025, &[line(1), line(2), line(3)], &none).unwrap().is_none());

        // A part missing rows is an error, not a smaller year.
        let part = folder.join("segments/1/2024-0.parquet");
        let mut short = read_parquet(&part).unwrap().slice(0, 1);
        write_parquet(&part, &mut short).unwrap();
        let e = tickets(folder, 2024, &live, &none).err().expect("refused");
        assert!(e.to_string().contains("2024 has 2 tickets, its meta says 4"), "{e}");

        // Pruning keeps the live batches' segments only.
        unsealed.discard();
        prune(folder, &[2]);
        let mut left: Vec<String> = fs::read_dir(folder.join("segments")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        assert_eq!(left, vec!["2"]);
    }

    #[test]
    fn a_row_not_as_stored_gives_the_segment_up() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = SegmentWriter::start(dir.path(), 1).unwrap();
        let mut row = ticket("H1", "2025-01-01 00:00:00", false);
        row[7] = Value::text("yes");
        let e = writer.push(&row, false).err().expect("refused");
        assert!(e.to_string().contains("verified is not as stored"), "{e}");
        assert!(writer.push(&row[..5], false).is_err());
        writer.discard();
        assert_eq!(fs::read_dir(dir.path().join("segments")).unwrap().count(), 0);
    }
}
