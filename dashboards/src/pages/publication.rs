//! 结果发布: a year's result versions, what a later version changed
//! against the published one (unit by unit, down to the indicators), and
//! for the assessment team the button that publishes the latest version.

use maud::{Markup, html};

use crate::parts::{fixed, grade_label, group_label};
use crate::layout::{Lang, Nav, link, signed_in};

#[derive(Debug, Clone, PartialEq)]
pub struct VersionRow {
    pub number: i64,
    pub computed_at: String,
    pub computed_by: String,
    pub as_of: String,
    pub content_hash: String,
    /// The audit chain's head when the version was stored, and once it is
    /// published the head at publication (as the notice prints it): if the
    /// log is later cut before it, `zhengxin audit verify` says so, and a
    /// printed copy of this page shows what the head was.
    pub audit_head: Option<String>,
    pub published_at: Option<String>,
    pub published_by: Option<String>,
}

/// One indicator whose points moved.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorChange {
    pub name_zh: String,
    pub name_en: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
}

/// One unit whose result differs between the two versions.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitChange {
    pub code: String,
    pub name: String,
    pub group: String,
    pub before_total: Option<f64>,
    pub after_total: Option<f64>,
    pub before_rank: Option<i64>,
    pub after_rank: Option<i64>,
    pub before_grade: Option<String>,
    pub after_grade: Option<String>,
    pub indicators: Vec<IndicatorChange>,
}

/// Two versions compared: `base` (the published one, else the one before)
/// and `target`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub base: i64,
    pub base_published: bool,
    pub target: i64,
    pub changes: Vec<UnitChange>,
    pub unchanged: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PublicationView {
    pub lang: Lang,
    pub nav: Nav,
    pub year: i32,
    pub years: Vec<i32>,
    /// Oldest first.
    pub versions: Vec<VersionRow>,
    pub comparison: Option<Comparison>,
    /// The latest version, when it is unpublished and the user may publish.
    pub publishable: Option<i64>,
}

pub fn title(lang: Lang, year: i32) -> String {
    match lang {
        Lang::Zh => format!("{year} 年度结果发布"),
        Lang::En => format!("Publication of {year}"),
    }
}

pub fn render(v: &PublicationView) -> Markup {
    let lang = v.lang;
    let title = title(lang, v.year);
    signed_in(lang, &title, "/publication", &v.nav, html! {
        h1 { (title) }
        form method="get" action="/publication" {
            label for="year" { (lang.pick("年度", "Year")) }
            select #year name="year" { @for y in &v.years { option value=(y) selected[*y == v.year] { (y) } } }
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            " " button type="submit" { (lang.pick("查看", "Show")) }
        }
        p.note { (lang.pick(
            "每次评分生成一个编号的结果版本，带有内容哈希；发布后的版本冻结，不再改变。新的数据或认定成立的异议只会生成新的版本。",
            "Every scoring run makes a numbered result version with a content hash; a published version is frozen. New data or accepted objections only ever make a new version.")) }
        @if v.versions.is_empty() {
            p.note role="status" { (lang.pick("该年度尚未评分。", "This year has not been scored yet.")) }
        } @else {
            table {
                caption { (lang.pick("结果版本", "Result versions")) }
                thead { tr {
                    th scope="col" { (lang.pick("版本", "Version")) }
                    th scope="col" { (lang.pick("计算时间", "Computed")) }
                    th scope="col" { (lang.pick("数据截至", "Data as of")) }
                    th scope="col" { (lang.pick("内容哈希", "Content hash")) }
                    th scope="col" { (lang.pick("审计链头", "Audit chain head")) }
                    th scope="col" { (lang.pick("发布", "Published")) }
                } }
                tbody { @for r in &v.versions { tr {
                    th scope="row" { (lang.pick("第 ", "v")) (r.number) (lang.pick(" 版", "")) }
                    td { (r.computed_at) br; small.note { (r.computed_by) } }
                    td { (r.as_of) }
                    td { code title=(r.content_hash) { (r.content_hash.get(..12).unwrap_or(&r.content_hash)) "…" } }
                    td { @match &r.audit_head {
                        Some(head) => code title=(head) { (head.get(..12).unwrap_or(head)) "…" },
                        None => span.note { "—" },
                    } }
                    td { @match (&r.published_at, &r.published_by) {
                        (Some(at), Some(by)) => { strong { (lang.pick("已发布", "Published")) } br; small.note { (by) " · " (at) } },
                        _ => span.note { (lang.pick("未发布", "Not published")) },
                    } }
                } } }
            }
        }
        @if let Some(number) = v.publishable {
            form method="post" action="/publish" {
                input type="hidden" name="csrf" value=(v.nav.csrf);
                input type="hidden" name="year" value=(v.year);
                input type="hidden" name="version" value=(number);
                @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                p { button type="submit" { (lang.pick("发布第 ", "Publish version ")) (number) (lang.pick(" 版", "")) } " "
                    small.note { (lang.pick("发布后该版本冻结，作为正式结果。", "Once published the version is frozen as the official result.")) } }
            }
        }
        @if let Some(c) = &v.comparison { (comparison(lang, v.year, c)) }
    })
}

/// What version `c.target` changed; each unit links to its scorecard of
/// `year` (the page shows that year's current version).
fn comparison(lang: Lang, year: i32, c: &Comparison) -> Markup {
    let base_label = if c.base_published { lang.pick("已发布的", "the published ") } else { lang.pick("上一", "the previous ") };
    html! {
        h2 {
            (lang.pick("第 ", "What version ")) (c.target) (lang.pick(" 版与", " changed against ")) (base_label)
            (lang.pick("第 ", "version ")) (c.base) (lang.pick(" 版相比的变化", ""))
        }
        @if c.changes.is_empty() {
            p role="status" { (lang.pick("各单位的得分、排名和等次都没有变化。", "No unit's score, rank or grade changed.")) }
        } @else {
            p.note { (c.changes.len()) (lang.pick(" 个单位有变化，", " units changed, ")) (c.unchanged) (lang.pick(" 个单位不变。", " unchanged.")) }
            table {
                caption { (lang.pick("有变化的单位", "Units that changed")) }
                thead { tr {
                    th scope="col" { (lang.pick("单位", "Unit")) }
                    th scope="col" { (lang.pick("类别", "Group")) }
                    th scope="col" { (lang.pick("总分", "Total")) }
                    th scope="col" { (lang.pick("排名", "Rank")) }
                    th scope="col" { (lang.pick("等次", "Grade")) }
                    th scope="col" { (lang.pick("得分变化的指标", "Indicators whose points moved")) }
                } }
                tbody { @for u in &c.changes { tr {
                    th scope="row" { a href=(link(lang, &format!("/units/{}", u.code), &format!("year={year}"))) { (u.name) } }
                    td { (group_label(lang, &u.group)) }
                    td.num { (change(fixed(u.before_total, 2), fixed(u.after_total, 2))) }
                    td.num { (change(opt(u.before_rank), opt(u.after_rank))) }
                    td { (change(
                        u.before_grade.as_deref().map_or("–", |g| grade_label(lang, g)).to_string(),
                        u.after_grade.as_deref().map_or("–", |g| grade_label(lang, g)).to_string(),
                    )) }
                    td { @for (n, i) in u.indicators.iter().enumerate() {
                        @if n > 0 { br; }
                        (lang.pick(&i.name_zh, &i.name_en)) " " (change(fixed(i.before, 4), fixed(i.after, 4)))
                    } }
                } } }
            }
        }
    }
}

fn opt(v: Option<i64>) -> String {
    v.map_or_else(|| "–".to_string(), |v| v.to_string())
}

/// `before → after`, marked up as a deletion and an insertion when they differ.
fn change(before: String, after: String) -> Markup {
    html! {
        @if before == after { (after) } @else { del { (before) } " → " ins { (after) } }
    }
}
