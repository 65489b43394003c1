//! 指标明细: the records behind one indicator of one unit (those that cost
//! points, all counted, or those voided by objections), filterable,
//! paginated and exportable; and one record with its fields and history.

use maud::{Markup, html};

use crate::parts::fixed;
use crate::layout::{Lang, Nav, encode, link, signed_in};

/// Which records of an indicator are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    Cost,
    Counted,
    Voided,
}

impl Show {
    pub fn parse(text: Option<&str>) -> Show {
        match text {
            Some("counted") => Show::Counted,
            Some("voided") => Show::Voided,
            _ => Show::Cost,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Show::Cost => "cost",
            Show::Counted => "counted",
            Show::Voided => "voided",
        }
    }

    fn label(self, lang: Lang) -> &'static str {
        match self {
            Show::Cost => lang.pick("造成失分的记录", "Records that cost points"),
            Show::Counted => lang.pick("计入的全部记录", "All records counted"),
            Show::Voided => lang.pick("异议成立、已作废的记录", "Records voided by accepted objections"),
        }
    }
}

/// One record in the list: its id and its fields as text, in column order.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    pub id: String,
    pub cells: Vec<String>,
    pub costs: bool,
    pub voided: bool,
    /// How late it met its deadline, or how far past it it still was at
    /// the version's as-of time.
    pub late: Option<Late>,
    /// Its latest objection, shown instead of a form while it stands.
    pub objection: Option<RecordObjection>,
    /// The unit may object to it now: it costs points and no objection
    /// to it is open or accepted.
    pub may_object: bool,
}

/// A record's latest objection, as its row in the list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordObjection {
    pub id: i64,
    /// `open|accepted|rejected`
    pub status: String,
    pub filed_at: String,
    pub decided_at: Option<String>,
    pub decision_reason: Option<String>,
}

/// A deadline missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Late {
    pub minutes: i64,
    /// Not met at all by the as-of time.
    pub open: bool,
    /// The deadline is a date, so lateness counts in whole days.
    pub days: bool,
}

impl Late {
    /// "晚 3 天", "晚 5 小时"; open: "逾期 12 天，仍未完成".
    pub fn text(&self, lang: Lang) -> String {
        let m = self.minutes;
        let amount = if self.days || m >= 48 * 60 {
            format!("{}{}", m / (24 * 60), lang.pick(" 天", if m / (24 * 60) == 1 { " day" } else { " days" }))
        } else if m >= 60 {
            format!("{}{}", m / 60, lang.pick(" 小时", if m / 60 == 1 { " hour" } else { " hours" }))
        } else {
            format!("{}{}", m, lang.pick(" 分钟", if m == 1 { " minute" } else { " minutes" }))
        };
        match (self.open, lang) {
            (true, Lang::Zh) => format!("逾期 {amount}，仍未完成"),
            (true, Lang::En) => format!("{amount} overdue, still open"),
            (false, Lang::Zh) => format!("晚 {amount}"),
            (false, Lang::En) => format!("{amount} late"),
        }
    }
}

/// How an indicator's points came about.
#[derive(Debug, Clone, PartialEq)]
pub struct Computation {
    pub formula: String,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub points: Option<f64>,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordsView {
    pub lang: Lang,
    pub nav: Nav,
    pub year: i32,
    pub unit_code: String,
    pub unit_name: String,
    pub indicator: String,
    pub name_zh: String,
    pub name_en: String,
    pub computation: Computation,
    /// False when data changed after the version was computed.
    pub data_unchanged: bool,
    /// The source the records come from (`hotline`…); None for indicators
    /// computed from a yearly row.
    pub source: Option<String>,
    pub show: Show,
    /// Records in each list: (cost, counted, voided).
    pub sizes: (usize, usize, usize),
    pub filter: String,
    /// Column headers (Chinese, English).
    pub columns: Vec<(String, String)>,
    /// The records have deadlines: a column says how late each was.
    pub deadlines: bool,
    pub rows: Vec<RecordRow>,
    /// Records matching the filter, over all pages.
    pub matching: usize,
    pub page: usize,
    pub pages: usize,
    /// The unit itself may object to records that cost points.
    pub can_object: bool,
}

/// The objection column: where the unit objects, or anyone sees a
/// record's objection. It comes first, so that it is in view however
/// wide the record's other columns make the table.
fn objection_cell(v: &RecordsView, r: &RecordRow) -> Markup {
    let lang = v.lang;
    html! { td.objection {
        @if let Some(o) = &r.objection {
            @let decided = o.decided_at.clone().unwrap_or_default();
            @match o.status.as_str() {
                "open" => {
                    strong { (lang.pick("异议处理中", "Objection pending")) }
                    br; small.note { a href=(link(lang, "/objections", "")) { "#" (o.id) } (lang.pick("，提出于 ", ", filed on ")) (o.filed_at) }
                }
                "accepted" => {
                    strong { (lang.pick("异议成立", "Objection accepted")) }
                    @if !r.voided { " " (lang.pick("（重新评分后作废）", "(voided from the next scoring)")) }
                    br; small.note { "#" (o.id) " · " (decided) (lang.pick("：", ": ")) (o.decision_reason.clone().unwrap_or_default()) }
                }
                _ => {
                    strong { (lang.pick("异议不成立", "Objection rejected")) }
                    br; small.note { "#" (o.id) " · " (decided) (lang.pick("：", ": ")) (o.decision_reason.clone().unwrap_or_default()) }
                }
            }
        }
        @if r.may_object {
            form method="post" action="/objections" {
                input type="hidden" name="csrf" value=(v.nav.csrf);
                input type="hidden" name="source" value=(v.source.as_deref().unwrap_or_default());
                input type="hidden" name="record_id" value=(r.id);
                @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                input type="text" name="reason" required maxlength="1000"
                    aria-label={ (lang.pick("对记录提出异议的理由：", "Reason to object to record ")) (r.id) }
                    placeholder=(lang.pick("异议理由", "Reason"));
                " " button type="submit" { (lang.pick("提出异议", "Object")) }
            }
        } @else if r.objection.is_none() { "–" }
    } }
}

fn records_path(v: &RecordsView) -> String {
    format!("/units/{}/indicators/{}", v.unit_code, v.indicator)
}

/// The query of this list with another page (filter and list kept).
fn query(v: &RecordsView, show: Show, page: usize) -> String {
    let mut q = format!("year={}&show={}", v.year, show.code());
    if !v.filter.is_empty() {
        q.push_str("&q=");
        q.push_str(&encode(&v.filter));
    }
    if page > 1 {
        q.push_str(&format!("&page={page}"));
    }
    q
}

pub fn title(v: &RecordsView) -> String {
    let lang = v.lang;
    format!("{}{}{}{} · {}", v.unit_name, lang.pick("（", " ("), v.unit_code, lang.pick("）", ")"), lang.pick(&v.name_zh, &v.name_en))
}

pub fn render(v: &RecordsView) -> Markup {
    let lang = v.lang;
    let path = records_path(v);
    let c = &v.computation;
    let title = title(v);
    let objections = v.can_object || v.rows.iter().any(|r| r.objection.is_some());
    signed_in(lang, &title, &path, &v.nav, html! {
        p.screen-only { a href=(link(lang, &format!("/units/{}", v.unit_code), &format!("year={}", v.year))) { "← " (lang.pick("返回单位考核结果", "Back to the scorecard")) } }
        h1 { (title) }
        @if !v.data_unchanged {
            p.note role="status" { (lang.pick("注意：本版本计算后数据有变动，以下记录按当前数据列出。", "Note: data changed after this version was computed; records reflect today's data.")) }
        }
        table {
            caption { (lang.pick("计分依据", "How the points were computed")) }
            tbody {
                tr { th scope="row" { (lang.pick("计分公式", "Formula")) } td { code { (c.formula) } } }
                tr { th scope="row" { (lang.pick("数值", "Value")) } td.num { (fixed(c.value, 4)) } }
                tr { th scope="row" { (lang.pick("分子/分母", "Numerator / denominator")) } td.num { (fixed(c.numerator, 2)) " / " (fixed(c.denominator, 2)) } }
                tr { th scope="row" { (lang.pick("得分", "Points")) } td.num { (fixed(c.points, 4)) " / " (c.weight) } }
            }
        }
        @if v.source.is_none() {
            p.note { (lang.pick("该指标按年度数据行计分，无逐条记录。", "This indicator comes from the year's row, not from individual records.")) }
        } @else {
            nav.lists aria-label=(lang.pick("记录范围", "Which records")) {
                @for (show, size) in [(Show::Cost, v.sizes.0), (Show::Counted, v.sizes.1), (Show::Voided, v.sizes.2)] {
                    @if show == v.show { strong aria-current="true" { (show.label(lang)) " (" (size) ")" } }
                    @else { a href=(link(lang, &path, &query(v, show, 1))) { (show.label(lang)) " (" (size) ")" } }
                    " "
                }
            }
            form method="get" action=(path) {
                input type="hidden" name="year" value=(v.year);
                input type="hidden" name="show" value=(v.show.code());
                @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                label for="q" { (lang.pick("筛选（编号或任一字段包含）", "Filter (id or any field contains)")) }
                input #q type="text" name="q" value=(v.filter) maxlength="100";
                " " button type="submit" { (lang.pick("筛选", "Filter")) }
                @if !v.filter.is_empty() { " " a href=(link(lang, &path, &query(&RecordsView { filter: String::new(), ..v.clone() }, v.show, 1))) { (lang.pick("清除筛选", "Clear")) } }
            }
            p.screen-only {
                a href=(link(lang, &format!("{path}/records.csv"), &query(v, v.show, 1))) download { (lang.pick("导出这些记录（CSV）", "Export these records (CSV)")) }
            }
            @if v.rows.is_empty() {
                p.note role="status" { @if v.filter.is_empty() { (lang.pick("没有这类记录。", "No such records.")) } @else { (lang.pick("没有符合筛选条件的记录。", "No record matches the filter.")) } }
            } @else {
                div.scroll role="region" tabindex="0" aria-label=(v.show.label(lang)) {
                table.records {
                    caption { (v.show.label(lang)) " · " (v.matching) (lang.pick(" 条 · 第 ", " records · page ")) (v.page) (lang.pick(" 页，共 ", " of ")) (v.pages) (lang.pick(" 页", "")) }
                    thead { tr {
                        @if objections { th scope="col" { (lang.pick("异议", "Objection")) } }
                        @for (zh, en) in &v.columns { th scope="col" { (lang.pick(zh, en)) } }
                        th scope="col" { (lang.pick("计分", "Scoring")) }
                        @if v.deadlines { th scope="col" { (lang.pick("逾期", "Late by")) } }
                    } }
                    tbody { @for r in &v.rows { tr {
                        @if objections { (objection_cell(v, r)) }
                        @for (n, cell) in r.cells.iter().enumerate() {
                            @if n == 0 {
                                th scope="row" { a href=(link(lang, &format!("/units/{}/records/{}/{}", v.unit_code, v.source.as_deref().unwrap_or_default(), encode(&r.id)), &format!("year={}", v.year))) { code { (cell) } } }
                            } @else if cell.chars().count() > 24 { td.long { (cell) } } @else { td { (cell) } }
                        }
                        td { @if r.voided { (lang.pick("已作废", "Voided")) } @else if r.costs { span.flag { (lang.pick("失分", "Cost points")) } } @else { (lang.pick("计入", "Counted")) } }
                        @if v.deadlines { td { @if let Some(late) = r.late { (late.text(lang)) } @else { "–" } } }
                    } } }
                }
                }
                @if v.pages > 1 {
                    nav aria-label=(lang.pick("分页", "Pages")) {
                        @if v.page > 1 { a href=(link(lang, &path, &query(v, v.show, v.page - 1))) { (lang.pick("上一页", "Previous")) } " " }
                        @if v.page < v.pages { a href=(link(lang, &path, &query(v, v.show, v.page + 1))) { (lang.pick("下一页", "Next")) } }
                    }
                }
            }
        }
    })
}

/// One change of one field in a record's history.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// One event of a record's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub at: String,
    pub actor: String,
    /// What happened, in both languages.
    pub what_zh: String,
    pub what_en: String,
    pub changes: Vec<FieldChange>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordView {
    pub lang: Lang,
    pub nav: Nav,
    pub year: i32,
    pub unit_code: String,
    pub unit_name: String,
    pub source_zh: String,
    pub source_en: String,
    pub id: String,
    /// (Chinese header, English header, value)
    pub fields: Vec<(String, String, String)>,
    /// How late it met its deadline (as on the list of records).
    pub late: Option<Late>,
    /// Oldest first: the import that brought it, changes, objections.
    pub history: Vec<HistoryRow>,
}

pub fn record(v: &RecordView) -> Markup {
    let lang = v.lang;
    let title = format!("{}{}{}{} · {} {}", v.unit_name, lang.pick("（", " ("), v.unit_code, lang.pick("）", ")"), lang.pick(&v.source_zh, &v.source_en), v.id);
    let path = format!("/units/{}/records/{}/{}", v.unit_code, v.source_en, encode(&v.id));
    signed_in(lang, &title, &path, &v.nav, html! {
        p.screen-only { a href=(link(lang, &format!("/units/{}", v.unit_code), &format!("year={}", v.year))) { "← " (lang.pick("返回单位考核结果", "Back to the scorecard")) } }
        h1 { (title) }
        table {
            caption { (lang.pick("记录内容", "Fields")) }
            tbody {
                @for (zh, en, value) in &v.fields { tr { th scope="row" { (lang.pick(zh, en)) } td { (value) } } }
                @if let Some(late) = v.late { tr { th scope="row" { (lang.pick("逾期", "Late by")) } td { (late.text(lang)) } } }
            }
        }
        h2 { (lang.pick("变更记录", "History")) }
        @if v.history.is_empty() {
            p.note { (lang.pick("没有变更记录。", "No history.")) }
        } @else {
            table {
                caption { (lang.pick("导入、修改与异议（按时间）", "Imports, changes and objections, in order")) }
                thead { tr {
                    th scope="col" { (lang.pick("时间", "When")) }
                    th scope="col" { (lang.pick("操作人", "By")) }
                    th scope="col" { (lang.pick("事项", "What")) }
                    th scope="col" { (lang.pick("字段变化", "Fields changed")) }
                } }
                tbody { @for h in &v.history { tr {
                    td { (h.at) }
                    td { (h.actor) }
                    td { (lang.pick(&h.what_zh, &h.what_en)) }
                    td { @for (n, c) in h.changes.iter().enumerate() {
                        @if n > 0 { br; }
                        (c.field) ": " del { (c.before) } " → " ins { (c.after) }
                    } }
                } } }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lateness_reads_in_the_unit_that_suits_it() {
        let late = |minutes, open, days| Late { minutes, open, days };
        assert_eq!(late(45, false, false).text(Lang::Zh), "晚 45 分钟");
        assert_eq!(late(5 * 60 + 59, false, false).text(Lang::Zh), "晚 5 小时");
        assert_eq!(late(47 * 60, false, false).text(Lang::En), "47 hours late");
        assert_eq!(late(49 * 60, false, false).text(Lang::En), "2 days late");
        assert_eq!(late(24 * 60, false, true).text(Lang::En), "1 day late");
        assert_eq!(late(12 * 24 * 60, true, true).text(Lang::Zh), "逾期 12 天，仍未完成");
        assert_eq!(late(60, true, false).text(Lang::En), "1 hour overdue, still open");
    }
}
