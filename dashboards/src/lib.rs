//! Zhengxin's pages and documents: pure functions from plain view models to
//! HTML (maud) and PDF (typst), Chinese first with English available. No
//! database, no polars, no files.
//!
//! # Brief overview
//! - [`layout`]: the page shell, navigation and the language switch
//!   ([`layout::Lang`]).
//! - [`pages`]: one module per page; each takes its view model and returns
//!   `Markup`; what pages share is in [`parts`].
//! - [`charts`]: SVG charts (plotters), each with a title and a text
//!   alternative.
//! - [`documents`]: PDF documents (the results notice, a unit's report),
//!   typeset by typst with the Chinese font built in.

pub mod charts;
pub mod documents;
pub mod layout;
pub mod pages;
pub mod parts;

#[cfg(test)]
mod snapshots;
