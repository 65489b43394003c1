//! One assessment year's inputs for the engine: from the year's columnar
//! snapshot when one matches the stored data ([`crate::snapshot`]), else
//! from the database (the source records `db::inputs` reads) and the
//! tickets from the import batches' segments ([`crate::segments`]) or,
//! without them, from the database's ticket columns; made into the
//! engine's frames and checked off the async workers, and then written
//! as the year's snapshot.

use analytics::inputs::Inputs;
use serde::Serialize;

use super::{ScoringError, digest};
use crate::db::Db;
use crate::db::inputs::{hotline_columns, records};
use crate::snapshot::{self, Meta};

pub use crate::db::inputs::{fingerprint, state};

/// Where a year's inputs were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputSource {
    Snapshot,
    /// The database's smaller tables, and the tickets from the import
    /// batches' segments ([`crate::segments`]).
    Segments,
    Database,
}

/// A year's inputs as they are stored now.
pub struct Loaded {
    pub inputs: Inputs,
    /// The fingerprint the inputs match.
    pub fingerprint: String,
    /// Their content digest ([`digest::digest`]).
    pub digest: String,
    pub source: InputSource,
    /// The snapshot key of the state they were read in.
    pub key: String,
}

/// The year's inputs as stored now, with the fingerprint they match: from
/// the snapshot under the data's current key, else from the database.
///
/// The database is read by several statements; an import or an objection
/// decision that lands between them changes the state, and the reading
/// starts again. A snapshot is written only from a reading the state did
/// not change under, and under the key of that state.
pub async fn current(db: &Db, year: i32) -> Result<Loaded, ScoringError> {
    const ATTEMPTS: usize = 5;
    for _ in 0..ATTEMPTS {
        let before = state(db).await?;
        let key = snapshot::key(&before.detail);
        if let Some(found) = read_snapshot(db, year, &key, None).await {
            return Ok(Loaded { inputs: found.inputs, fingerprint: before.fingerprint, digest: found.meta.digest, source: InputSource::Snapshot, key });
        }
        let (inputs, source) = inputs_now(db, year, &before).await?;
        if state(db).await? != before {
            continue;
        }
        let (inputs, digest) = blocking(move || {
            let digest = digest::digest(&inputs)?;
            Ok((inputs, digest))
        })
        .await?;
        let meta = Meta {
            format: snapshot::FORMAT.to_string(),
            year,
            key: key.clone(),
            fingerprint: before.fingerprint.clone(),
            digest: digest.clone(),
            rows: analytics::inputs::SOURCES.iter().map(|s| (s.to_string(), inputs.height(s))).collect(),
        };
        let inputs = write_snapshot(db, meta, inputs).await;
        return Ok(Loaded { inputs, fingerprint: before.fingerprint, digest, source, key });
    }
    Err(ScoringError::Interrupted(format!("the data changed each of {ATTEMPTS} times it was read; score again later")))
}

/// The year's inputs as stored now, restricted to `unit`'s records where
/// they come from the snapshot (the register and yearly rows whole): what
/// explaining one unit needs, read in milliseconds. Without a matching
/// snapshot, [`current`] (which writes one).
pub async fn for_unit(db: &Db, year: i32, unit: &str) -> Result<Loaded, ScoringError> {
    let before = state(db).await?;
    let key = snapshot::key(&before.detail);
    if let Some(found) = read_snapshot(db, year, &key, Some(unit)).await {
        return Ok(Loaded { inputs: found.inputs, fingerprint: before.fingerprint, digest: found.meta.digest, source: InputSource::Snapshot, key });
    }
    current(db, year).await
}

/// Runs `work` (the engine) off the async workers on `loaded`, the year's
/// inputs as [`current`] read them, and gives them back with its result.
///
/// A snapshot's tickets are read while `work` runs (see
/// [`analytics::inputs::Tickets`]); opening it checked its footer and row
/// count, not every page. So when `work` fails on a snapshot's inputs
/// with a polars error (a page damaged on disk), the snapshot is removed
/// and `work` runs once more on the inputs read again, from the database
/// and the segments, which also writes the snapshot anew. An error of
/// the engine itself fails the second run the same way, and is returned.
pub async fn run<T: Send + 'static>(
    db: &Db,
    year: i32,
    loaded: Loaded,
    work: impl Fn(&Inputs) -> Result<T, analytics::EngineError> + Send + Sync + 'static,
) -> Result<(Loaded, T), ScoringError> {
    let work = std::sync::Arc::new(work);
    let (inputs, first) = (loaded.inputs.clone(), work.clone());
    match blocking(move || first(&inputs)).await {
        Err(ScoringError::Engine(analytics::EngineError::Polars(e))) if loaded.source == InputSource::Snapshot => {
            tracing::warn!(error = %e, year, "snapshot unreadable while scoring; removed, reading the database");
            if let Some(folder) = db.snapshots().map(|f| f.to_path_buf()) {
                let key = loaded.key.clone();
                let _ = tokio::task::spawn_blocking(move || snapshot::discard(&folder, year, &key)).await;
            }
            let loaded = current(db, year).await?;
            let inputs = loaded.inputs.clone();
            let out = blocking(move || work(&inputs)).await?;
            Ok((loaded, out))
        }
        outcome => Ok((loaded, outcome?)),
    }
}

/// Brings every year that has a snapshot, and the `also` years, up to
/// date with the stored data (reading each once), so that the first
/// scoring or drill-down after a change does not pay for it. Run by an
/// import as it ends; failures are logged.
pub async fn refresh_snapshots(db: &Db, also: &[i32]) {
    let Some(folder) = db.snapshots().map(|f| f.to_path_buf()) else {
        return;
    };
    let mut years = tokio::task::spawn_blocking(move || snapshot::years(&folder)).await.unwrap_or_default();
    years.extend(also);
    years.sort_unstable();
    years.dedup();
    for year in years.into_iter().rev() {
        let started = std::time::Instant::now();
        match current(db, year).await {
            Ok(loaded) => tracing::info!(year, from = ?loaded.source, seconds = started.elapsed().as_secs_f64(), "snapshot refreshed"),
            Err(e) => tracing::warn!(year, error = %e, "snapshot not refreshed"),
        }
    }
}

/// The snapshot under `key` (with only `unit`'s records, if one is
/// given), if the database has a snapshot folder and it reads; one that
/// does not is logged and removed, so the next reading of the database
/// writes it again.
async fn read_snapshot(db: &Db, year: i32, key: &str, unit: Option<&str>) -> Option<snapshot::Snapshot> {
    let folder = db.snapshots()?.to_path_buf();
    let key = key.to_string();
    let unit = unit.map(str::to_string);
    let read = move || {
        let found = match &unit {
            Some(unit) => snapshot::read_unit(&folder, year, &key, unit),
            None => snapshot::read(&folder, year, &key),
        };
        if found.is_err() {
            snapshot::discard(&folder, year, &key);
        }
        found
    };
    match tokio::task::spawn_blocking(read).await {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, year, "snapshot unreadable; removed, reading the database");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, year, "snapshot reader stopped; reading the database");
            None
        }
    }
}

/// Writes the year's snapshot, best effort: a failure (a full disk, a
/// read-only folder) is logged, and the next reading goes to the database
/// again. Gives the inputs back.
async fn write_snapshot(db: &Db, meta: Meta, inputs: Inputs) -> Inputs {
    let Some(folder) = db.snapshots().map(|f| f.to_path_buf()) else {
        return inputs;
    };
    let year = meta.year;
    let kept = inputs.clone();
    match tokio::task::spawn_blocking(move || snapshot::write(&folder, &meta, &inputs)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, year, "snapshot not written"),
        Err(e) => tracing::warn!(error = %e, year, "snapshot writer stopped"),
    }
    kept
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, analytics::EngineError> + Send + 'static) -> Result<T, ScoringError> {
    Ok(tokio::task::spawn_blocking(f).await.map_err(|e| ScoringError::Interrupted(e.to_string()))??)
}

/// The year's inputs as stored now, in the state `now`: the tickets from
/// the live hotline batches' segments when every one has its segment
/// ([`crate::segments::tickets`]), else from the database; everything
/// else from the database (thousands of rows, not millions).
async fn inputs_now(db: &Db, year: i32, now: &crate::db::inputs::InputsState) -> Result<(Inputs, InputSource), ScoringError> {
    let (set, voided) = records(db, year, None).await?;
    let from_segments = match db.snapshots().map(|f| f.to_path_buf()) {
        Some(folder) => {
            let (live, void) = (now.hotline.clone(), voided.hotline.clone());
            match tokio::task::spawn_blocking(move || crate::segments::tickets(&folder, year, &live, &void)).await {
                Ok(Ok(found)) => found,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, year, "segments unreadable; reading the tickets from the database");
                    None
                }
                Err(e) => {
                    tracing::warn!(error = %e, year, "segment reader stopped; reading the tickets from the database");
                    None
                }
            }
        }
        None => None,
    };
    let (tickets, source) = match from_segments {
        Some(frame) => (Tickets::Frame(frame), InputSource::Segments),
        None => (Tickets::Columns(hotline_columns(db, year, &voided.hotline).await?), InputSource::Database),
    };
    Ok((assemble(set, voided, tickets).await?, source))
}

/// A year's tickets as read: a frame from the segments, or the database's columns.
enum Tickets {
    Frame(analytics::polars::prelude::DataFrame),
    Columns(crate::db::inputs::TicketColumns),
}

/// The engine's inputs from the records and the tickets, checked, in
/// [`snapshot::canonical_order`].
async fn assemble(set: analytics::inputs::RecordSet, voided: analytics::inputs::Voided, tickets: Tickets) -> Result<Inputs, ScoringError> {
    blocking(move || {
        let mut inputs = Inputs::from_records(&set, &voided)?;
        inputs.hotline = match tickets {
            Tickets::Frame(frame) => frame,
            Tickets::Columns(columns) => columns.into_frame()?,
        }
        .into();
        inputs.check()?;
        snapshot::canonical_order(inputs)
    })
    .await
}

/// Reads the year's inputs from the database as engine DataFrames.
pub async fn inputs(db: &Db, year: i32) -> Result<Inputs, ScoringError> {
    inputs_voided_until(db, year, None).await
}

/// [`inputs`] with only the objections accepted by `voids_until` applied
/// (none: all accepted ones): the inputs a version computed then saw.
/// Always from the database, the source of truth; records in
/// [`snapshot::canonical_order`], as a snapshot holds them.
pub async fn inputs_voided_until(db: &Db, year: i32, voids_until: Option<chrono::NaiveDateTime>) -> Result<Inputs, ScoringError> {
    let (set, voided) = records(db, year, voids_until).await?;
    let tickets = hotline_columns(db, year, &voided.hotline).await?;
    assemble(set, voided, Tickets::Columns(tickets)).await
}
