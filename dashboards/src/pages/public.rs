//! The public's pages (信用公示, under `/public/`): published results per
//! year and group, with a search by unit name, paginated. No session, no
//! forms that write; the same numbers are open data as CSV and JSON.

use maud::{Markup, html};

use crate::parts::{grade_label, group_label};
use crate::layout::{Lang, encode, link, page};

/// One unit on the public ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicRow {
    pub unit_name: String,
    pub total: f64,
    pub rank: Option<i64>,
    pub grade: String,
    pub vetoed: bool,
    /// Indicator points, when the year's rulebook discloses them.
    pub points: Vec<Option<f64>>,
}

/// A year's published results, one group at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicResultsView {
    pub lang: Lang,
    /// Years with a published result, newest first.
    pub years: Vec<i32>,
    pub year: i32,
    pub version: i64,
    pub published_at: String,
    pub as_of: String,
    pub group: String,
    pub groups: Vec<String>,
    pub query: String,
    /// (Chinese, English) names of the disclosed indicators (none: totals only).
    pub indicators: Vec<(String, String)>,
    pub rows: Vec<PublicRow>,
    /// Units matching the search in the group, over all pages.
    pub matching: usize,
    pub page: usize,
    pub pages: usize,
    /// The audit chain's head at publication, as the notice prints it.
    pub audit_head: Option<String>,
}

/// The search by unit name, keeping the group (if any) and the language.
fn search(lang: Lang, path: &str, group: Option<&str>, query: &str) -> Markup {
    html! {
        form method="get" action=(path) {
            @if let Some(group) = group { input type="hidden" name="group" value=(group); }
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            label for="q" { (lang.pick("按单位名称查找", "Find a unit by name")) }
            input #q type="text" name="q" value=(query) maxlength="50";
            " " button type="submit" { (lang.pick("查找", "Find")) }
        }
    }
}

pub fn title(lang: Lang, year: i32) -> String {
    format!("{year} {}", lang.pick("年度政务诚信考核结果公示", "integrity assessment results"))
}

fn query(v: &PublicResultsView, group: &str, page: usize) -> String {
    let mut q = format!("group={group}");
    if !v.query.is_empty() {
        q.push_str("&q=");
        q.push_str(&encode(&v.query));
    }
    if page > 1 {
        q.push_str(&format!("&page={page}"));
    }
    q
}

pub fn results(v: &PublicResultsView) -> Markup {
    let lang = v.lang;
    let path = format!("/public/results/{}", v.year);
    let title = title(lang, v.year);
    page(lang, &title, &path, html! {
        h1 { (title) }
        p role="status" {
            (lang.pick("公示第 ", "Showing version ")) (v.version)
            (lang.pick(" 版结果，", " of the results, published ")) (lang.pick("发布于 ", "")) (v.published_at)
            (lang.pick("，数据截至 ", "; data as of ")) (v.as_of) (lang.pick("。如有更正，以最新发布的版本为准。", ". A correction is published as a new version."))
        }
        nav.lists aria-label=(lang.pick("公示内容", "Disclosure")) {
            strong { (lang.pick("考核结果", "Results")) }
            a href=(link(lang, "/public/records", "")) { (lang.pick("失信记录", "Dishonesty records")) }
        }
        nav.lists aria-label=(lang.pick("年度", "Years")) {
            @for y in &v.years {
                @if *y == v.year { strong { (y) } } @else { a href=(link(lang, &format!("/public/results/{y}"), &format!("group={}", v.group))) { (y) } }
            }
        }
        nav.lists aria-label=(lang.pick("考核组别", "Groups")) {
            @for g in &v.groups {
                @if *g == v.group { strong { (group_label(lang, g)) } } @else { a href=(link(lang, &path, &format!("group={g}"))) { (group_label(lang, g)) } }
            }
        }
        (search(lang, &path, Some(&v.group), &v.query))
        @if v.rows.is_empty() {
            p.note role="status" { (lang.pick("没有符合条件的单位。", "No unit matches.")) }
        } @else {
            div.scroll role="region" tabindex="0" aria-label=(group_label(lang, &v.group)) {
                table.records {
                    caption { (group_label(lang, &v.group)) " · " (v.matching) (lang.pick(" 个单位 · 第 ", " units · page ")) (v.page) (lang.pick(" 页，共 ", " of ")) (v.pages) (lang.pick(" 页", "")) }
                    thead { tr {
                        th scope="col" { (lang.pick("排名", "Rank")) }
                        th scope="col" { (lang.pick("单位", "Unit")) }
                        th scope="col" { (lang.pick("总分", "Total")) }
                        th scope="col" { (lang.pick("等次", "Grade")) }
                        @for (zh, en) in &v.indicators { th scope="col" { (lang.pick(zh, en)) } }
                    } }
                    tbody { @for r in &v.rows { tr class={ "grade-" (r.grade) } {
                        td.num { (r.rank.map_or("–".to_string(), |x| x.to_string())) }
                        th scope="row" { (r.unit_name) }
                        td.num { (format!("{:.2}", r.total)) }
                        td { (grade_label(lang, &r.grade)) @if r.vetoed { " " span.flag { (lang.pick("（一票否决）", "(veto)")) } } }
                        @for p in &r.points { td.num { (p.map_or("–".to_string(), |x| format!("{x:.4}"))) } }
                    } } }
                }
            }
            @if v.pages > 1 {
                nav aria-label=(lang.pick("分页", "Pages")) {
                    @if v.page > 1 { a href=(link(lang, &path, &query(v, &v.group, v.page - 1))) { (lang.pick("上一页", "Previous")) } " " }
                    @if v.page < v.pages { a href=(link(lang, &path, &query(v, &v.group, v.page + 1))) { (lang.pick("下一页", "Next")) } }
                }
            }
        }
        p.screen-only {
            (lang.pick("开放数据：", "Open data: "))
            a href={ "/public/data/results-" (v.year) ".csv" } { "CSV" } " · "
            a href={ "/public/data/results-" (v.year) ".json" } { "JSON" }
        }
        @if let Some(head) = &v.audit_head {
            p.note { small { (lang.pick("审计链头（与通报所印一致）：", "Audit chain head (as printed on the notice): ")) code { (head) } } }
        }
    })
}

/// One disclosed dishonesty record of a government body.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicRecord {
    pub unit_name: String,
    /// The type's label in the page's language.
    pub kind: String,
    pub occurred_on: String,
    /// 整改中 / 已整改 / 已修复, in the page's language.
    pub status: String,
    pub rectify_deadline: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PublicRecordsView {
    pub lang: Lang,
    /// The day the list holds for.
    pub day: String,
    pub query: String,
    pub rows: Vec<PublicRecord>,
    pub matching: usize,
    pub page: usize,
    pub pages: usize,
}

/// The government bodies' dishonesty records within their publicity period.
pub fn records(v: &PublicRecordsView) -> Markup {
    let lang = v.lang;
    let path = "/public/records";
    let title = lang.pick("政府机构失信记录公示", "Dishonesty records of government bodies");
    let with_query = |page: usize| {
        let mut q = String::new();
        if !v.query.is_empty() {
            q.push_str("q=");
            q.push_str(&encode(&v.query));
        }
        if page > 1 {
            if !q.is_empty() {
                q.push('&');
            }
            q.push_str(&format!("page={page}"));
        }
        q
    };
    page(lang, title, path, html! {
        h1 { (title) }
        p.note {
            (lang.pick("公示政府机构（不含个人）在公示期内的失信记录，截至 ", "Records of government bodies (never of persons) within their publicity period, as of "))
            (v.day) (lang.pick("。异议成立已作废的记录不予公示。", ". Records voided by an accepted objection are not shown."))
        }
        nav.lists aria-label=(lang.pick("公示内容", "Disclosure")) {
            a href=(link(lang, "/public", "")) { (lang.pick("考核结果", "Results")) }
            strong { (lang.pick("失信记录", "Dishonesty records")) }
        }
        (search(lang, path, None, &v.query))
        @if v.rows.is_empty() {
            p.note role="status" { (lang.pick("没有在公示期内的记录。", "No record is within its publicity period.")) }
        } @else {
            div.scroll role="region" tabindex="0" aria-label=(title) {
                table.records {
                    caption { (v.matching) (lang.pick(" 条 · 第 ", " records · page ")) (v.page) (lang.pick(" 页，共 ", " of ")) (v.pages) (lang.pick(" 页", "")) }
                    thead { tr {
                        th scope="col" { (lang.pick("单位", "Unit")) }
                        th scope="col" { (lang.pick("失信类型", "Type")) }
                        th scope="col" { (lang.pick("认定日期", "Occurred")) }
                        th scope="col" { (lang.pick("状态", "Status")) }
                        th scope="col" { (lang.pick("整改期限", "Rectify by")) }
                    } }
                    tbody { @for r in &v.rows { tr {
                        th scope="row" { (r.unit_name) }
                        td { (r.kind) }
                        td { (r.occurred_on) }
                        td { (r.status) }
                        td { (r.rectify_deadline.as_deref().unwrap_or("–")) }
                    } } }
                }
            }
            @if v.pages > 1 {
                nav aria-label=(lang.pick("分页", "Pages")) {
                    @if v.page > 1 { a href=(link(lang, path, &with_query(v.page - 1))) { (lang.pick("上一页", "Previous")) } " " }
                    @if v.page < v.pages { a href=(link(lang, path, &with_query(v.page + 1))) { (lang.pick("下一页", "Next")) } }
                }
            }
        }
        p.screen-only {
            (lang.pick("开放数据：", "Open data: "))
            a href="/public/data/records.csv" { "CSV" } " · "
            a href="/public/data/records.json" { "JSON" }
        }
    })
}

/// No published result at all yet.
pub fn nothing(lang: Lang) -> Markup {
    let title = lang.pick("政务诚信考核结果公示", "Integrity assessment results");
    page(lang, title, "/public", html! {
        h1 { (title) }
        p.note role="status" { (lang.pick("尚无已发布的考核结果。", "No result has been published yet.")) }
    })
}
