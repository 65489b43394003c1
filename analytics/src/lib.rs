//! Zhengxin's analytics crate: the domain model of the government-integrity
//! assessment (政务诚信考核) and, in later work, the rulebook and the polars
//! scoring engine. It is pure: no HTTP, no SQL, no files it did not get handed.
//!
//! # Brief overview
//! - [`domain`]: the closed vocabularies of the method and the import formats
//!   (`PeerGroup`, `CommitmentStatus`, `Satisfaction`, ...), each with its
//!   English code and Chinese label, parsed from either.
//! - [`records`]: one plain struct per source record (`Commitment`,
//!   `HotlineTicket`, `DishonestyRecord`, ...), shared by the importer, the
//!   demo-data generator and the engine.

pub mod domain;
pub mod records;
