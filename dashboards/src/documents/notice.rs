//! The year's results notice (通报): issued by the assessment office with
//! its name and date, the version and its hash, each group's ranking and
//! grade distribution, and the vetoes.

use serde::Serialize;

use super::{DocumentError, Typesetter};

const TEMPLATE: &str = include_str!("templates/notice.typ");

/// One group's part of the notice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeGroup {
    /// "一、县（市、区）（12 个）"
    pub heading: String,
    /// A sentence on the group's grades.
    pub summary: String,
    /// (grade label, count) in grade order.
    pub grades: Vec<(String, String)>,
    pub head: Vec<String>,
    /// Cells as shown, one array per unit, in rank order.
    pub rows: Vec<Vec<String>>,
    /// "auto" or "1fr" per column.
    pub widths: Vec<String>,
    /// Columns of numbers (right-aligned).
    pub numeric: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeView {
    /// The issuing office (configuration).
    pub office: String,
    pub title: String,
    /// "已发布 · 第 1 版 · 数据截至 …" or the provisional warning.
    pub status: String,
    /// Paragraphs before the tables.
    pub intro: Vec<String>,
    pub vetoes: Vec<String>,
    pub groups: Vec<NoticeGroup>,
    /// "2026年1月15日"
    pub date: String,
    /// The running footer's text.
    pub footer: String,
    /// Version, as-of time and content hash in small print.
    pub provenance: String,
    /// The audit chain's head at publication (empty: none recorded),
    /// printed so that it exists outside the database:
    /// `zhengxin audit verify --anchor HEAD` checks the chain against it.
    pub audit_head: String,
}

/// The notice as PDF, dated `today`; `ident` names the version.
pub fn pdf(setter: &Typesetter, view: &NoticeView, today: (i32, u8, u8), ident: &str) -> Result<Vec<u8>, DocumentError> {
    setter.pdf(TEMPLATE, view, Vec::new(), today, ident)
}
