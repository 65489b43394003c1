//! Zhengxin's pages: pure functions from plain view models to HTML (maud),
//! Chinese first with English available. No database, no polars.
//!
//! # Brief overview
//! - [`layout`]: the page shell, navigation and the language switch
//!   ([`layout::Lang`]).
//! - [`pages`]: one module per page; each takes its view model and returns
//!   `Markup`.
//! - [`charts`]: SVG charts (plotters), each with a title and a text
//!   alternative.

pub mod charts;
pub mod layout;
pub mod pages;

#[cfg(test)]
mod snapshots;
