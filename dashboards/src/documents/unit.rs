//! A unit's own report: its scorecard, its rank among its peers, where it
//! lost points, and its trend over the years (table and chart).

use serde::Serialize;

use super::{DocumentError, Typesetter};

const TEMPLATE: &str = include_str!("templates/unit.typ");

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitReportView {
    pub office: String,
    pub title: String,
    pub status: String,
    /// (label, value) of the headline: total, base, bonus, ranks, grade.
    pub headline: Vec<(String, String)>,
    /// Sentences on the unit's place among its peers.
    pub peers: Vec<String>,
    pub indicator_head: Vec<String>,
    /// Each indicator: name, value, points / weight, lost, against last year.
    pub indicators: Vec<Vec<String>>,
    pub trend_head: Vec<String>,
    pub trend: Vec<Vec<String>>,
    /// Whether `trend.svg` comes with the data.
    pub trend_chart: bool,
    pub date: String,
    pub footer: String,
    pub provenance: String,
}

/// The report as PDF; `trend_svg` is the trend chart (when there is one).
pub fn pdf(setter: &Typesetter, view: &UnitReportView, trend_svg: Option<String>, today: (i32, u8, u8), ident: &str) -> Result<Vec<u8>, DocumentError> {
    let files = trend_svg.map(|svg| vec![("trend.svg", svg.into_bytes())]).unwrap_or_default();
    setter.pdf(TEMPLATE, view, files, today, ident)
}
