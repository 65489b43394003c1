//! Charts as SVG strings (plotters' SVG backend), one module per kind.
//! Every chart has a title and a text alternative, and the page shows the
//! same numbers in a table beside it.

pub mod bars;
