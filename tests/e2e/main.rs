//! End-to-end tests: real databases (a SQLite file, a fresh PostgreSQL
//! database), the real importer, the real HTTP server and the real binary.
//! Every test body runs once per back-end through [`e2e!`].

mod support;


mod access;
mod accessibility;
mod administrators;
mod audit;
mod backups;
mod browser;

mod cli;
mod hardening;
mod import_bad_input;
mod import_formats;
mod import_steps;
mod import_updates;
mod metrics;
mod migrations;
mod persons;
mod public;
mod repairs;
mod reports;
mod robustness;
mod sealing;
mod scoring;
mod serve;
mod snapshots;
mod supervision;
mod trust;
mod two_factor;
mod web;
mod web_work;
mod whatif;
