//! The leadership overview of a year: one ranking board per peer group
//! (table and bar chart), grade distribution, red flags, biggest movers,
//! data-quality alerts, and whether the result is published.

use maud::{Markup, PreEscaped, html};

use crate::parts::{VersionBadge, fixed, grade_label, group_label, rank_change};
use crate::charts::bars::{self, Bar};
use crate::charts::grades;
use crate::layout::{Lang, Nav, link, signed_in};

/// One unit on a board.
#[derive(Debug, Clone, PartialEq)]
pub struct RankRow {
    pub unit_code: String,
    pub unit_name: String,
    pub total: f64,
    pub rank: Option<i64>,
    pub grade: String,
    pub vetoed: bool,
    pub rank_change: Option<i64>,
    /// A township's rank among its county's townships.
    pub county_rank: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    pub group: String,
    pub rows: Vec<RankRow>,
}

/// The townships, too many for one board: the city's first and last ten,
/// and one county's townships at a time, chosen on the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Townships {
    /// (code, name) of every county, in code order.
    pub counties: Vec<(String, String)>,
    /// The county chosen, with its townships in county-rank order.
    pub chosen: Option<(String, Vec<RankRow>)>,
    /// The ten ranked first in the city, and the ten ranked last.
    pub top: Vec<RankRow>,
    pub bottom: Vec<RankRow>,
    /// Townships in all.
    pub count: usize,
}

/// A red flag: a veto, an overdue court listing, missing debt data.
#[derive(Debug, Clone, PartialEq)]
pub struct RedFlag {
    pub unit_code: String,
    pub unit_name: String,
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OverviewView {
    /// Rank intervals (leadership and the assessment team only).
    pub robustness: Option<RobustnessView>,
    pub lang: Lang,
    pub nav: Nav,
    pub years: Vec<i32>,
    pub year: i32,
    /// None: the year has no result yet.
    pub version: Option<VersionBadge>,
    /// The counties' and departments' boards (townships: `townships`).
    pub boards: Vec<Board>,
    pub townships: Option<Townships>,
    /// (grade, count) in grade order.
    pub grades: Vec<(String, usize)>,
    /// Each year's (grade, count), oldest first, from the version each
    /// year shows.
    pub grade_history: Vec<(i32, Vec<(String, usize)>)>,
    pub red_flags: Vec<RedFlag>,
    /// Units whose rank moved most against last year.
    pub movers: Vec<(String, RankRow)>,
    /// (kind, count) of data-quality findings.
    pub quality: Vec<(String, usize)>,
    /// The assessment team: rescore and publish forms.
    pub can_manage: bool,
    /// A newer, unpublished version than the one shown (its number).
    pub pending_version: Option<i64>,
    /// Leadership and the assessment team download the full table.
    pub can_export: bool,
}

fn quality_label(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "no_records" => lang.pick("数据源无记录", "No records in a source"),
        "missing_debt" => lang.pick("缺少债务数据", "Debt data missing"),
        "unknown_unit" => lang.pick("未知单位", "Unknown unit"),
        "impossible_date" => lang.pick("日期矛盾", "Impossible dates"),
        "ungraded" => lang.pick("未评定单位", "Ungraded units"),
        _ => lang.pick("其他", "Other"),
    }
}

/// A board: the group's ranking table and chart, and (for those who may
/// download) the group's rows in the export format of `version`.
fn board(lang: Lang, year: i32, b: &Board, export: Option<i64>) -> Markup {
    let title = format!("{} · {}", group_label(lang, &b.group), lang.pick("排名", "ranking"));
    let export = export.map(|version| (version, format!("group={}", b.group)));
    ranking(lang, year, &format!("board-{}", b.group), &title, &b.rows, false, export)
}

/// A ranking table with its bar chart beside it: `county_ranks` adds a
/// township's rank in its county before its rank in the city; `export`
/// is (version, query) of the download of these rows.
fn ranking(lang: Lang, year: i32, id: &str, title: &str, rows: &[RankRow], county_ranks: bool, export: Option<(i64, String)>) -> Markup {
    let b = Board { group: String::new(), rows: rows.to_vec() };
    let bars: Vec<Bar> = b
        .rows
        .iter()
        .map(|r| Bar {
            label: r.unit_name.clone(),
            value: r.total,
            grade: r.grade.clone(),
        })
        .collect();
    let description = b
        .rows
        .iter()
        .map(|r| format!("{} {:.2} {}", r.unit_name, r.total, grade_label(lang, &r.grade)))
        .collect::<Vec<_>>()
        .join(lang.pick("；", "; "));
    html! {
        section.board aria-labelledby=(id) {
            table {
                caption #(id) { (title) }
                thead { tr {
                    @if county_ranks { th scope="col" { (lang.pick("县内排名", "In county")) } }
                    th scope="col" { (lang.pick(if county_ranks { "全市排名" } else { "排名" }, if county_ranks { "In city" } else { "Rank" })) }
                    th scope="col" { (lang.pick("单位", "Unit")) }
                    th scope="col" { (lang.pick("总分", "Total")) }
                    th scope="col" { (lang.pick("等次", "Grade")) }
                    th scope="col" { (lang.pick("名次变化", "Rank change")) }
                } }
                tbody {
                    @for r in &b.rows {
                        tr class={ "grade-" (r.grade) } {
                            @if county_ranks { td.num { (r.county_rank.map_or("–".to_string(), |v| v.to_string())) } }
                            td.num { (r.rank.map_or("–".to_string(), |v| v.to_string())) }
                            th scope="row" { a href=(link(lang, &format!("/units/{}", r.unit_code), &format!("year={year}"))) { (r.unit_name) } }
                            td.num { (format!("{:.2}", r.total)) }
                            td { (grade_label(lang, &r.grade)) @if r.vetoed { " " span.flag { (lang.pick("（一票否决）", "(veto)")) } } }
                            td.num { (rank_change(r.rank_change)) }
                        }
                    }
                }
            }
            figure {
                (PreEscaped(bars::render(title, &description, &bars)))
                figcaption.note {
                    (lang.pick("条形颜色表示等次：", "Bar colours show the grade: "))
                    (crate::parts::colour_key(&["excellent", "good", "pass", "fail", "ungraded"].map(|g| (g, grade_label(lang, g)))))
                    (lang.pick("。各单位的数值见本组排名表。", ". Each unit's figures are in this group's ranking table."))
                }
                @if let Some((version, query)) = export {
                    p.note.screen-only {
                        (lang.pick("下载本组：", "Download this group: "))
                        a href={ "/exports/" (year) "/rankings.xlsx?version=" (version) "&" (query) } { "Excel" }
                        " · "
                        a href={ "/exports/" (year) "/rankings.csv?version=" (version) "&" (query) } { "CSV" }
                    }
                }
            }
        }
    }
}

/// The townships: the city's first and last ten, and the townships of one
/// county, chosen with a form that keeps the year and the language.
fn townships(v: &OverviewView, t: &Townships, export: Option<i64>) -> Markup {
    let lang = v.lang;
    let group = group_label(lang, "township");
    html! {
        h2 #townships { (group) }
        p.note { (lang.pick("共 ", "")) (t.count) (lang.pick(" 个乡镇（街道）。下表为全市前十名与后十名；各县（市、区）的乡镇请在下方选择。", " townships. Below: the city's first ten and last ten; choose a county further down for its townships.")) }
        (ranking(lang, v.year, "board-township-top", &format!("{group} · {}", lang.pick("全市前十名", "the city's first ten")), &t.top, true, export.map(|version| (version, "group=township".to_string()))))
        (ranking(lang, v.year, "board-township-bottom", &format!("{group} · {}", lang.pick("全市后十名", "the city's last ten")), &t.bottom, true, None))
        form.screen-only method="get" action="/#townships" {
            input type="hidden" name="year" value=(v.year);
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            label for="county" { (lang.pick("查看某县（市、区）的乡镇（街道）", "Townships of a county")) }
            select #county name="county" {
                option value="" { (lang.pick("（选择）", "(choose)")) }
                @for (code, name) in &t.counties {
                    option value=(code) selected[t.chosen.as_ref().is_some_and(|(c, _)| c == code)] { (name) }
                }
            }
            " " button type="submit" { (lang.pick("查看", "Show")) }
        }
        @if let Some((code, rows)) = &t.chosen {
            @let name = t.counties.iter().find(|(c, _)| c == code).map_or(code.as_str(), |(_, n)| n.as_str());
            (ranking(lang, v.year, "board-township-county", &format!("{name} · {}", lang.pick("乡镇（街道）排名", "townships")), rows, true, None))
        }
    }
}

/// How the grades were spread in each year: a table and its chart.
fn grade_history(v: &OverviewView) -> Markup {
    let lang = v.lang;
    let grades: Vec<String> = v.grade_history.first().map(|(_, g)| g.iter().map(|(code, _)| code.clone()).collect()).unwrap_or_default();
    let years: Vec<grades::YearGrades> = v.grade_history.iter().map(|(year, counts)| grades::YearGrades { year: *year, counts: counts.clone() }).collect();
    let legend: Vec<(String, String)> = grades.iter().map(|g| (g.clone(), grade_label(lang, g).to_string())).collect();
    let description = v
        .grade_history
        .iter()
        .map(|(year, counts)| format!("{year}: {}", counts.iter().map(|(g, n)| format!("{} {n}", grade_label(lang, g))).collect::<Vec<_>>().join(", ")))
        .collect::<Vec<_>>()
        .join(lang.pick("；", "; "));
    let title = lang.pick("历年等次分布", "Grades by year");
    html! {
        section.board aria-labelledby="grade-history" {
            table {
                caption #grade-history { (title) }
                thead { tr { th scope="col" { (lang.pick("年度", "Year")) } @for g in &grades { th scope="col" { (grade_label(lang, g)) } } } }
                tbody { @for (year, counts) in &v.grade_history { tr { th scope="row" { (year) } @for (_, n) in counts { td.num { (n) } } } } }
            }
            figure { (PreEscaped(grades::render(title, &description, &years, &legend))) }
        }
    }
}

/// One of a unit's records awaiting rectification.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadlineRow {
    pub href: String,
    /// The record's type, in the page's language.
    pub kind: String,
    pub deadline: String,
    /// Days to the deadline; negative when overdue.
    pub days_left: i64,
    /// `overdue_90`, `overdue`, `due_30` or `later`.
    pub band: String,
}

/// One unit's rank interval and grade probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalRow {
    pub unit_name: String,
    pub nominal: u32,
    pub median: u32,
    pub p5: u32,
    pub p95: u32,
    /// Probabilities of excellent, good, pass, fail.
    pub grades: [f64; 4],
}

/// A group's rank intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalGroup {
    pub group: String,
    pub graded: usize,
    pub narrow: usize,
    /// Names of the units whose excellence is certain / contested.
    pub certain: Vec<String>,
    pub contested: Vec<String>,
    /// Graded units in nominal order (townships: the chosen county's).
    pub rows: Vec<IntervalRow>,
    /// Ranks run from 1 to this.
    pub places: u32,
}

/// The overview's robustness section.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustnessView {
    pub draws: u32,
    pub weights: f64,
    pub thresholds: f64,
    pub groups: Vec<IntervalGroup>,
    /// Why there is nothing to show (a version that does not recompute).
    pub problem: Option<String>,
}

/// The robustness section: per group the summary, the interval chart and
/// its table, with the spec's wording and caveat.
pub fn robustness(lang: Lang, r: &RobustnessView) -> Markup {
    let grade_names = ["excellent", "good", "pass", "fail"];
    html! {
        section.robustness aria-labelledby="robustness" {
            h2 #robustness { (lang.pick("排名稳健区间 (90%)", "Rank robustness interval (90%)")) }
            p.note {
                (lang.pick("这是对评分方法的模拟，不是数据误差。", "A simulation of the method, not a data error. "))
                (lang.pick(
                    &format!("在 {} 次模拟中，各指标权重在 ±{:.0}% 内、线性指标的阈值在 ±{:.0}% 区间范围内随机变动，其余（数据、扣分、加分、一票否决）不变；区间为 5%–95% 分位名次，圆点为中位名次，竖线为实际名次。两个单位的区间不重叠才可说名次确有差别；相差 2–3 名不是有意义的差别。",
                        r.draws, r.weights * 100.0, r.thresholds * 100.0),
                    &format!("Over {} draws every weight varies within ±{:.0}% and a linear indicator's thresholds within ±{:.0}% of their range; data, deductions, bonus and vetoes stay. The whisker is the 5th–95th percentile rank, the dot the median, the tick the actual rank. Two units differ only when their intervals do not overlap; a gap of 2–3 places is not a meaningful difference.",
                        r.draws, r.weights * 100.0, r.thresholds * 100.0)))
            }
            @if let Some(problem) = &r.problem {
                p.error role="status" { (problem) }
            }
            @for g in &r.groups {
                h3 { (group_label(lang, &g.group)) }
                p { (lang.pick(&format!("{} 个单位中 {} 个的区间不超过 3 个名次。", g.graded, g.narrow), &format!("{} of {} units have an interval of at most 3 places.", g.narrow, g.graded))) }
                ul {
                    li { (names(lang, lang.pick("优秀确定（≥95%）", "Excellent for certain (≥ 95%)"), &g.certain)) }
                    li { (names(lang, lang.pick("优秀存疑（5%–95%）", "Excellent contested (5–95%)"), &g.contested)) }
                }
                @if g.rows.is_empty() {
                    p.note { (lang.pick("在上方乡镇街道排名中选择县（市、区），查看其乡镇街道的区间。", "Choose a county in the township ranking above to see its townships' intervals.")) }
                } @else {
                    @let bars: Vec<crate::charts::intervals::Interval> = g.rows.iter().map(|r| crate::charts::intervals::Interval { label: r.unit_name.clone(), nominal: r.nominal, median: r.median, p5: r.p5, p95: r.p95 }).collect();
                    @let title = format!("{} · {}", group_label(lang, &g.group), lang.pick("排名稳健区间", "rank intervals"));
                    @let desc = g.rows.iter().map(|r| format!("{} {}–{}", r.unit_name, r.p5, r.p95)).collect::<Vec<_>>().join("; ");
                    div.board {
                        figure { (PreEscaped(crate::charts::intervals::render(&title, &desc, &bars, g.places))) }
                        div.scroll role="region" tabindex="0" aria-label=(title) { table {
                            caption { (title) }
                            thead { tr {
                                th scope="col" { (lang.pick("单位", "Unit")) }
                                th scope="col" { (lang.pick("名次", "Rank")) }
                                th scope="col" { (lang.pick("中位", "Median")) }
                                th scope="col" { "P5–P95" }
                                @for gname in grade_names { th scope="col" { (grade_label(lang, gname)) } }
                            } }
                            tbody { @for r in &g.rows {
                                tr {
                                    th scope="row" { (r.unit_name) }
                                    td.num { (r.nominal) }
                                    td.num { (r.median) }
                                    td.num { (r.p5) "–" (r.p95) }
                                    @for p in r.grades { td.num { (crate::parts::share(p)) } }
                                }
                            } }
                        } }
                    }
                }
            }
        }
    }
}

/// A unit's open rectification deadlines, first on its page after signing
/// in (nothing when it has none).
pub fn deadlines(lang: Lang, rows: &[DeadlineRow]) -> Markup {
    html! {
        @if !rows.is_empty() {
            section.deadlines aria-labelledby="deadlines" {
                h2 #deadlines { (lang.pick("本单位待整改事项", "Your open rectification deadlines")) " (" (rows.len()) ")" }
                table {
                    caption { (lang.pick("整改期限未到或已逾期、尚未整改完成的失信记录，最紧迫的在前", "Records not yet rectified, the most urgent first")) }
                    thead { tr {
                        th scope="col" { (lang.pick("失信类型", "Type")) }
                        th scope="col" { (lang.pick("整改期限", "Deadline")) }
                        th scope="col" { (lang.pick("剩余 / 逾期", "Left / overdue")) }
                    } }
                    tbody { @for r in rows { tr class={ "band-" (r.band) } {
                        th scope="row" { a href=(r.href) { (r.kind) } }
                        td { (r.deadline) }
                        td {
                            @if r.days_left < 0 {
                                span.flag { (lang.pick("已逾期 ", "overdue by ")) (-r.days_left) (lang.pick(" 天", " days")) }
                            } @else if r.days_left == 0 {
                                span.flag { (lang.pick("今天到期", "due today")) }
                            } @else {
                                (lang.pick("还剩 ", "")) (r.days_left) (lang.pick(" 天", " days left"))
                            }
                        }
                    } } }
                }
            }
        }
    }
}

/// The assessment team's forms: rescore the year; when its latest version
/// is not published, the way to the publication page, which shows what
/// changed before anything is published.
fn manage(lang: Lang, nav: &Nav, year: i32, publishable: bool) -> Markup {
    html! {
        form.inline method="post" action="/score" {
            input type="hidden" name="csrf" value=(nav.csrf);
            input type="hidden" name="year" value=(year);
            button type="submit" { (lang.pick("重新评分", "Rescore")) }
        }
        @if publishable {
            " " a href=(crate::layout::link(lang, "/publication", &format!("year={year}"))) { (lang.pick("查看变化并发布最新版本", "Review the changes and publish the latest version")) }
        }
    }
}

/// The page title of the overview of `year`.
pub fn title(lang: Lang, year: i32) -> String {
    format!("{} {}", year, lang.pick("年度政务诚信考核总览", "integrity assessment overview"))
}

/// A list of unit names after its label: in full when short; a long one
/// (seventy townships) as a count whose names open on request, so that it
/// never becomes a paragraph nobody reads.
fn names(lang: Lang, label: &str, names: &[String]) -> Markup {
    const SHOWN: usize = 8;
    html! {
        @if names.is_empty() {
            (label) (lang.pick("：无", ": none"))
        } @else if names.len() <= SHOWN {
            (label) (lang.pick("：", ": ")) (names.join(lang.pick("、", ", ")))
        } @else {
            details {
                summary { (label) (lang.pick("：", ": ")) (names.len()) (lang.pick(" 个单位（展开名单）", " units (show the list)")) }
                p { (names.join(lang.pick("、", ", "))) }
            }
        }
    }
}

pub fn render(v: &OverviewView) -> Markup {
    signed_in(v.lang, &title(v.lang, v.year), "/", &v.nav, body(v))
}

/// The page without its shell: the same for every user of a role, so it
/// can be kept per result version (the forms' CSRF token is `v.nav.csrf`;
/// a cached body is rendered with a placeholder and filled in per request).
pub fn body(v: &OverviewView) -> Markup {
    let lang = v.lang;
    let title = title(lang, v.year);
    {
        html! {
            h1 { (title) }
            form method="get" action="/" {
                label for="year" { (lang.pick("考核年度", "Year")) }
                select #year name="year" {
                    @for y in &v.years { option value=(y) selected[*y == v.year] { (y) } }
                }
                @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                " " button type="submit" { (lang.pick("查看", "Show")) }
            }
            @match &v.version {
                None => {
                    p.note role="status" { (lang.pick("该年度尚无考核结果。考核组可运行 zhengxin score --year 计算。", "No result for this year yet. The assessment team can compute one with zhengxin score --year.")) }
                }
                Some(ver) => {
                    p role="status" {
                        @if ver.published {
                            span.badge { (lang.pick("已发布", "Published")) }
                        } @else {
                            span.badge { (lang.pick("暂定结果（未发布）", "Provisional (not published)")) }
                        }
                        " " (lang.pick("第", "Version ")) (ver.version) (lang.pick("版，截至 ", ", as of ")) (ver.as_of)
                        " · " small { (lang.pick("内容哈希 ", "content hash ")) code { (&ver.content_hash[..16.min(ver.content_hash.len())]) } }
                    }
                    @if let Some(n) = v.pending_version {
                        p.note role="status" {
                            (lang.pick("已有更新的第 ", "A newer version ")) (n)
                            (lang.pick(" 版结果（未发布），本页显示已发布版本。", " exists (not published); this page shows the published one."))
                        }
                    }
                    @if v.can_manage { (manage(lang, &v.nav, v.year, !ver.published || v.pending_version.is_some())) }
                    @if v.can_export {
                        p.screen-only {
                            (lang.pick("下载结果表：", "Download the result table: "))
                            a href={ "/exports/" (v.year) "/rankings.xlsx?version=" (ver.version) } { "Excel" }
                            " · "
                            a href={ "/exports/" (v.year) "/rankings.csv?version=" (ver.version) } { "CSV" }
                            " · " a href={ "/reports/" (v.year) "/notice.pdf?version=" (ver.version) } { (lang.pick("结果通报（PDF）", "Results notice (PDF)")) }
                            @if v.can_manage {
                                " · " a href={ "/reports/" (v.year) "/unit-reports.zip?version=" (ver.version) } { (lang.pick("各单位考核报告（ZIP）", "Every unit's report (ZIP)")) }
                            }
                            " · " (lang.pick("打印本页即为 A4 报告。", "Printing this page gives the A4 report."))
                        }
                    }
                    h2 { (lang.pick("等次分布", "Grades")) }
                    table {
                        caption { (lang.pick("各等次单位数", "Units per grade")) }
                        thead { tr { @for (g, _) in &v.grades { th scope="col" { (grade_label(lang, g)) } } } }
                        tbody { tr { @for (_, n) in &v.grades { td.num { (n) } } } }
                    }
                    @if v.grade_history.len() > 1 { (grade_history(v)) }
                    h2 { (lang.pick("风险提示", "Red flags")) }
                    @if v.red_flags.is_empty() {
                        p.note { (lang.pick("无一票否决、逾期未整改或缺失债务数据。", "No vetoes, overdue rectifications or missing debt data.")) }
                    } @else {
                        ul { @for f in &v.red_flags {
                            li { span.flag { (f.unit_name) } " (" (f.unit_code) ")" (lang.pick("：", ": ")) (lang.pick(&f.zh, &f.en)) }
                        } }
                    }
                    @for b in &v.boards { h2 { (group_label(lang, &b.group)) } (board(lang, v.year, b, v.can_export.then_some(ver.version))) }
                    @if let Some(t) = &v.townships { (townships(v, t, v.can_export.then_some(ver.version))) }
                    @if let Some(r) = &v.robustness { (robustness(lang, r)) }
                    h2 { (lang.pick("名次变化最大", "Biggest movers")) }
                    @if v.movers.is_empty() {
                        p.note { (lang.pick("无上年结果可比。", "No previous year to compare with.")) }
                    } @else {
                        table {
                            caption { (lang.pick("与上年相比", "Against last year")) }
                            thead { tr { th scope="col" { (lang.pick("组别", "Group")) } th scope="col" { (lang.pick("单位", "Unit")) } th scope="col" { (lang.pick("名次变化", "Rank change")) } th scope="col" { (lang.pick("总分", "Total")) } } }
                            tbody { @for (g, r) in &v.movers {
                                tr { td { (group_label(lang, g)) } th scope="row" { (r.unit_name) } td.num { (rank_change(r.rank_change)) } td.num { (fixed(Some(r.total), 2)) } }
                            } }
                        }
                    }
                    h2 { (lang.pick("数据质量提示", "Data-quality alerts")) }
                    @if v.quality.is_empty() {
                        p.note { (lang.pick("未发现数据质量问题。", "No data-quality findings.")) }
                    } @else {
                        ul { @for (k, n) in &v.quality { li { (quality_label(lang, k)) "：" (n) } } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_of_names_is_a_count_that_opens() {
        let few: Vec<String> = ["鹿城区", "龙湾区"].map(String::from).to_vec();
        assert_eq!(names(Lang::Zh, "优秀存疑", &few).into_string(), "优秀存疑：鹿城区、龙湾区");
        assert_eq!(names(Lang::Zh, "优秀确定", &[]).into_string(), "优秀确定：无");
        let many: Vec<String> = (1..=70).map(|i| format!("街道{i}")).collect();
        let html = names(Lang::Zh, "优秀存疑", &many).into_string();
        assert!(html.starts_with("<details><summary>优秀存疑：70 个单位（展开名单）</summary>") && html.contains("街道70"), "{html}");
    }
}
