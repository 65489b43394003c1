//! The `zhengxin` server: command line, configuration, storage (SQLite or
//! PostgreSQL), import of source files, demo data and HTTP. It wires the
//! pure `analytics` and `dashboards` crates to the outside world.
//!
//! # Brief overview
//! - [`auth`]: users, roles, sessions and API tokens.
//! - [`cli`]: the command line: its grammar (clap) and one small module per
//!   family of commands.
//! - [`config::Config`]: resolved settings; its `Debug` hides passwords.
//! - [`db::Db`]: one pool over either back-end; [`db::records`] is the one
//!   write path for source records, [`db::audit`] the hash-chained log.
//! - [`sources`]: the import formats as data.
//! - [`import`]: files → checked rows → one transaction.
//! - [`demo`]: the demo dataset, seeded or written as files.
//! - [`objections`]: 异议, filed by units, decided by the assessment team.
//! - [`history`]: a source record's history (imports, objections).
//! - [`scoring`]: scoring a year from storage into numbered result
//!   versions, publication, exports.
//! - [`jobs`]: long work started from the web, with its progress.
//! - [`http`]: the router and pages; [`startup::serve`] runs it.
//! - [`clock`]: the server's clock (settable for demos and tests).
//!
//! ARCHITECTURE.md says which layer may use which, and where new things go.

pub mod audit_review;
pub mod auth;
pub mod backups;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod disclosure;
pub mod hashing;
pub mod history;
pub mod http;
pub mod import;
pub mod jobs;
pub mod metrics;
pub mod objections;
pub mod persons;
pub mod records;
pub mod repairs;
pub mod scoring;
pub mod segments;
pub mod snapshot;
pub mod sources;
pub mod supervision;
pub mod typeset;
pub mod units;
pub mod upkeep;
pub mod wording;
pub mod startup;

pub use startup::serve;
