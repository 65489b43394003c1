//! Zhengxin's analytics crate: the domain model of the government-integrity
//! assessment (政务诚信考核), the rulebook and the polars scoring engine. It
//! is pure: DataFrames and a rulebook in, results and explanations out; no
//! HTTP, no SQL, no files it did not get handed.
//!
//! # Brief overview
//! - [`domain`]: the closed vocabularies of the method and the import formats
//!   (`PeerGroup`, `CommitmentStatus`, `Satisfaction`, ...), each with its
//!   English code and Chinese label, parsed from either.
//! - [`records`]: one plain struct per source record (`Commitment`,
//!   `HotlineTicket`, `DishonestyRecord`, ...), shared by the importer, the
//!   demo-data generator and the engine's tests.
//! - [`rulebook::Rulebook`]: one year's rules as data, validated;
//!   [`edits`]: its weights, thresholds and grade lines by key, named in
//!   words, as the what-if form changes them.
//! - [`inputs::Inputs`]: one DataFrame per source; [`window::Window`]: the
//!   year and its as_of instant.
//! - [`score::assess`]: the engine; [`Assessment`] its result: per unit,
//!   per unit and indicator, and the data-quality findings ([`quality`]).
//! - [`explain`]: the formula and the records behind an indicator's points.

pub mod change;
pub mod columns;
pub mod disclosure;
pub mod domain;
pub mod edits;
pub mod explain;
pub mod indicators;
pub mod inputs;
pub mod personnel;
pub mod quality;
pub mod records;
pub mod robustness;
pub mod rulebook;
pub mod score;
pub mod statistics;
pub mod window;

#[cfg(test)]
mod tests;

pub use polars;
use polars::prelude::{DataFrame, PolarsError};

/// A year's assessment result.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// One row per unit: `unit_code, unit_name, group, parent_code, total,
    /// base, bonus, rank, county_rank, group_size, grade, graded, vetoed,
    /// veto_reason, points_sum, weight_sum, prev_total, prev_rank,
    /// total_change, rank_change`; by group, then rank.
    pub units: DataFrame,
    /// One row per unit and rulebook indicator: `unit_code, indicator,
    /// dimension, kind, weight, bad, good, numerator, denominator, value,
    /// applicable, points`; by unit, then the rulebook's order.
    pub indicators: DataFrame,
    /// The data-quality findings ([`quality`]).
    pub quality: DataFrame,
}

/// Why the engine could not score.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    BadWindow(String),
    #[error("input does not have the engine's schema: {0}")]
    Schema(String),
    #[error("unknown indicator {0}")]
    UnknownIndicator(String),
    #[error(transparent)]
    Rulebook(#[from] rulebook::RulebookError),
    #[error("polars: {0}")]
    Polars(#[from] PolarsError),
}
