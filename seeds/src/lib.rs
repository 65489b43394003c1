//! Seeds: Wenzhou's real units and a deterministic generator of plausible
//! source records for the demo dataset.
//!
//! # Brief overview
//! - [`units`]: the 12 county-level divisions with their 185 townships and
//!   streets (statistical division codes) and 35 city departments, from
//!   `seeds/units/` (see its README for sources).
//! - [`demo`]: [`demo::Generator`] makes commitments, proposals, hotline
//!   tickets, debt rows, dishonesty records, ratings and honours for any
//!   year, from a fixed seed, as of a cut-off instant. Each unit, year and
//!   source draws from its own random stream, so the data of one unit never
//!   depends on the scale or on which other units are generated.
//! - [`rulebooks`]: the shipped rulebook of each assessment year.

pub mod demo;
pub mod rulebooks;
pub mod units;
