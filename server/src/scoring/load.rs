//! One assessment year's inputs for the engine: the source records and
//! ticket columns `db::inputs` reads, made into the engine's frames and
//! checked, off the async workers.

use analytics::inputs::Inputs;

use super::ScoringError;
use crate::db::Db;
use crate::db::inputs::{hotline_columns, records};

pub use crate::db::inputs::fingerprint;

/// Reads the year's inputs as engine DataFrames.
pub async fn inputs(db: &Db, year: i32) -> Result<Inputs, ScoringError> {
    inputs_voided_until(db, year, None).await
}

/// [`inputs`] with only the objections accepted by `voids_until` applied
/// (none: all accepted ones): the inputs a version computed then saw.
pub async fn inputs_voided_until(db: &Db, year: i32, voids_until: Option<chrono::NaiveDateTime>) -> Result<Inputs, ScoringError> {
    let (set, voided) = records(db, year, voids_until).await?;
    let tickets = hotline_columns(db, year, &voided.hotline).await?;
    let inputs = tokio::task::spawn_blocking(move || -> std::result::Result<Inputs, analytics::EngineError> {
        let mut inputs = Inputs::from_records(&set, &voided)?;
        inputs.hotline = tickets.into_frame()?;
        inputs.check()?;
        Ok(inputs)
    })
    .await
    .map_err(|e| ScoringError::Interrupted(e.to_string()))??;
    Ok(inputs)
}

