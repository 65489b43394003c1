//! A unit's scorecard: total, rank, grade and veto; points per dimension
//! and per indicator with what was lost; the trend over the years; and the
//! change of each indicator's points against last year ("why did my rank
//! change"). Other units' users see only the headline.

use maud::{Markup, PreEscaped, html};

use crate::parts::VersionBadge;
use crate::parts::{fixed, grade_label, group_label};
use crate::charts::bars::{self, Bar};
use crate::charts::trend;
use crate::layout::{Lang, Nav, link, signed_in};

#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorRow {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub dimension: String,
    pub formula: String,
    pub weight: f64,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    /// None: not applicable.
    pub points: Option<f64>,
    /// Last year's points, for the change.
    pub previous_points: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    pub year: i32,
    pub total: f64,
    pub rank: Option<i64>,
    pub grade: String,
    /// The year's figures are not published yet (暂定).
    pub provisional: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScorecardView {
    pub lang: Lang,
    pub nav: Nav,
    pub year: i32,
    pub version: VersionBadge,
    pub unit_code: String,
    pub unit_name: String,
    pub group: String,
    pub total: f64,
    pub base: f64,
    pub bonus: f64,
    pub rank: Option<i64>,
    pub county_rank: Option<i64>,
    pub group_size: i64,
    pub grade: String,
    pub vetoed: bool,
    pub veto_reason: Option<String>,
    /// False for another unit's user: headline only.
    pub full: bool,
    pub indicators: Vec<IndicatorRow>,
    /// (key, Chinese name) of each dimension, in order.
    pub dimensions: Vec<(String, String)>,
    /// The version's grade lines (excellent, good, pass) in points of 100,
    /// from its rulebook: the dimension chart's rate bands borrow them.
    pub grade_lines: [f64; 3],
    pub trend: Vec<TrendPoint>,
    /// The unit's own rank interval (those who see it in full).
    pub robustness: Option<UnitInterval>,
    /// Why the rank changed, and the unit among its peers.
    pub change: Option<ChangeView>,
}

/// One part of the change of total.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangePart {
    /// The indicator's name, or "re-weighting", "bonus", "rounding".
    pub label: String,
    pub change: f64,
    pub rank_alone: Option<u32>,
}

/// One indicator among the unit's peers.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerRow {
    pub label: String,
    pub points: f64,
    pub weight: f64,
    pub median: f64,
    pub best: f64,
    pub percentile: f64,
}

/// The change analysis shown.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeView {
    /// (year, version) compared with.
    pub previous: Option<(i32, i64)>,
    pub total_change: f64,
    pub rank_before: Option<u32>,
    pub parts: Vec<ChangePart>,
    pub peers: Vec<PeerRow>,
}

/// A unit's rank interval, grade probabilities and leave-one-out.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitInterval {
    pub draws: u32,
    pub weights: f64,
    pub thresholds: f64,
    /// (nominal, median, P5, P95) for a graded unit.
    pub ranks: Option<(u32, u32, u32, u32)>,
    pub graded: usize,
    /// Probabilities of excellent, good, pass, fail.
    pub grades: [f64; 4],
    /// (indicator name, rank, grade code) with that indicator left out.
    pub leave_one_out: Vec<(String, Option<u32>, String)>,
    /// Why there is nothing to show.
    pub problem: Option<String>,
}

/// The page title of a unit's scorecard.
pub fn title(lang: Lang, unit_name: &str, year: i32) -> String {
    format!("{} · {} {}", unit_name, year, lang.pick("年度考核", "assessment"))
}

pub fn render(v: &ScorecardView) -> Markup {
    let path = format!("/units/{}", v.unit_code);
    signed_in(v.lang, &title(v.lang, &v.unit_name, v.year), &path, &v.nav, body(v))
}

/// The page without its shell (no per-user content: cacheable per version).
pub fn body(v: &ScorecardView) -> Markup {
    let lang = v.lang;
    {
        html! {
            p.screen-only { a href=(link(lang, "/", &format!("year={}", v.year))) { "← " (lang.pick("返回总览", "Back to the overview")) } }
            h1 { (v.unit_name) " " small.note { (v.unit_code) " · " (group_label(lang, &v.group)) } }
            p role="status" {
                span.badge { @if v.version.published { (lang.pick("已发布", "Published")) } @else { (lang.pick("暂定结果（未发布）", "Provisional (not published)")) } }
                " " (lang.pick("第", "Version ")) (v.version.version) (lang.pick("版，截至 ", ", as of ")) (v.version.as_of)
            }
            table {
                caption { (v.year) " " (lang.pick("考核结果", "result")) }
                tbody {
                    tr { th scope="row" { (lang.pick("总分", "Total")) } td.num { (format!("{:.2}", v.total)) } }
                    @if v.full {
                        tr { th scope="row" { (lang.pick("基础得分", "Base")) } td.num { (format!("{:.4}", v.base)) } }
                        tr { th scope="row" { (lang.pick("加分", "Bonus")) } td.num { (v.bonus) } }
                    }
                    tr { th scope="row" { (lang.pick("组内排名", "Rank in group")) } td.num { (v.rank.map_or("–".into(), |r| format!("{r} / {}", v.group_size))) } }
                    @if let Some(r) = v.county_rank { tr { th scope="row" { (lang.pick("县内排名", "Rank in county")) } td.num { (r) } } }
                    tr class={ "grade-" (v.grade) } { th scope="row" { (lang.pick("等次", "Grade")) } td { (grade_label(lang, &v.grade)) } }
                    @if v.vetoed && v.full {
                        tr { th scope="row" { (lang.pick("一票否决", "Veto")) } td.flag { (lang.pick("失信被执行人逾期未整改：", "Court listing not rectified by its deadline: ")) (v.veto_reason.clone().unwrap_or_default()) } }
                    } @else if v.vetoed {
                        // Another unit's card: the veto, as the overview
                        // shows it, without the record behind it.
                        tr { th scope="row" { (lang.pick("一票否决", "Veto")) } td.flag { (lang.pick("本年度考核一票否决（具体记录仅该单位和考核组可见）", "Vetoed this year (the record behind it is shown to that unit and the assessment team only)")) } }
                    }
                }
            }
            @if v.full { (details(v)) } @else {
                p.note { (lang.pick("其他单位的指标明细仅对本单位、考核组和领导可见。", "Indicator details of other units are visible only to that unit, the assessment team and leadership.")) }
            }
        }
    }
}

/// The band of a score rate (0–1) under grade lines in points of 100.
fn band(rate: f64, [excellent, good, pass]: [f64; 3]) -> &'static str {
    if rate >= excellent / 100.0 {
        "excellent"
    } else if rate >= good / 100.0 {
        "good"
    } else if rate >= pass / 100.0 {
        "pass"
    } else {
        "fail"
    }
}

fn details(v: &ScorecardView) -> Markup {
    let lang = v.lang;
    let [e, g, p] = v.grade_lines;
    let bands = [
        ("excellent", lang.pick(&format!("{e}% 及以上"), &format!("{e}% or more")).to_string()),
        ("good", lang.pick(&format!("{g}% 至 {e}%"), &format!("{g}% to {e}%")).to_string()),
        ("pass", lang.pick(&format!("{p}% 至 {g}%"), &format!("{p}% to {g}%")).to_string()),
        ("fail", lang.pick(&format!("不足 {p}%"), &format!("below {p}%")).to_string()),
    ];
    let per_dimension: Vec<(String, String, f64, f64)> = v
        .dimensions
        .iter()
        .map(|(key, name)| {
            let rows = v.indicators.iter().filter(|i| &i.dimension == key && i.points.is_some());
            let (points, weight) = rows.fold((0.0, 0.0), |(p, w), i| (p + i.points.unwrap_or(0.0), w + i.weight));
            (key.clone(), name.clone(), points, weight)
        })
        .filter(|d| d.3 > 0.0)
        .collect();
    let bars: Vec<Bar> = per_dimension
        .iter()
        .map(|(_, name, p, w)| Bar {
            label: name.clone(),
            value: 100.0 * p / w,
            grade: band(p / w, v.grade_lines).into(),
        })
        .collect();
    let chart_title = lang.pick("各维度得分率（%）", "Score rate per dimension (%)");
    let description = per_dimension
        .iter()
        .map(|(_, name, p, w)| format!("{name} {:.1}%", 100.0 * p / w))
        .collect::<Vec<_>>()
        .join("; ");
    html! {
        h2 { (lang.pick("维度得分", "Points per dimension")) }
        section.board {
            table {
                // The table holds the chart's numbers (the rate) and what they
                // are made of (points of the applicable weight).
                caption { (lang.pick("各维度得分、适用分值与得分率", "Points, applicable weight and score rate per dimension")) }
                thead { tr {
                    th scope="col" { (lang.pick("维度", "Dimension")) }
                    th scope="col" { (lang.pick("得分", "Points")) }
                    th scope="col" { (lang.pick("适用分值", "Applicable weight")) }
                    th scope="col" { (lang.pick("得分率（%）", "Score rate (%)")) }
                } }
                tbody { @for (_, name, p, w) in &per_dimension { tr {
                    th scope="row" { (name) }
                    td.num { (format!("{p:.4}")) }
                    td.num { (w) }
                    td.num { (format!("{:.1}", 100.0 * p / w)) }
                } } }
            }
            figure {
                (PreEscaped(bars::render(chart_title, &description, &bars)))
                // The rate bands borrow the grade lines and their colours.
                figcaption.note {
                    (lang.pick("条形颜色表示得分率：", "Bar colours show the score rate: "))
                    (crate::parts::colour_key(&bands.iter().map(|(grade, label)| (*grade, label.as_str())).collect::<Vec<_>>()))
                    (lang.pick("。", "."))
                }
            }
        }
        // Printed, the indicators start a page of their own: the table is
        // then read whole, not split after its first rows.
        h2.page-start { (lang.pick("指标明细", "Indicators")) }
        p.note.screen-only {
            (lang.pick("下载本单位得分（结果表格式）：", "Download this unit's points (result table format): "))
            a href={ "/exports/" (v.year) "/rankings.xlsx?version=" (v.version.version) "&unit=" (v.unit_code) } { "Excel" }
            " · "
            a href={ "/exports/" (v.year) "/rankings.csv?version=" (v.version.version) "&unit=" (v.unit_code) } { "CSV" }
            " · " a href={ "/reports/" (v.year) "/units/" (v.unit_code) ".pdf?version=" (v.version.version) } { (lang.pick("本单位考核报告（PDF）", "This unit's report (PDF)")) }
        }
        // Fits 1024 px in both languages; scrolls sideways, reachable by
        // keyboard, only where a screen is narrower still.
        @let caption = lang.pick("每项指标的数值、阈值与失分", "Each indicator's value, thresholds and points lost");
        div.scroll role="region" tabindex="0" aria-label=(caption) { table.indicators {
            caption { (caption) }
            thead { tr {
                th scope="col" { (lang.pick("指标", "Indicator")) }
                th scope="col" { (lang.pick("数值", "Value")) }
                th scope="col" { (lang.pick("分子/分母", "Numerator / denominator")) }
                th scope="col" { (lang.pick("计分方法", "How it is scored")) }
                th scope="col" { (lang.pick("得分", "Points")) }
                th scope="col" { (lang.pick("失分", "Lost")) }
                th scope="col" { (lang.pick("较上年", "vs last year")) }
            } }
            tbody {
                @for i in &v.indicators {
                    tr {
                        th scope="row" { a href=(link(lang, &format!("/units/{}/indicators/{}", v.unit_code, i.id), &format!("year={}", v.year))) { (lang.pick(&i.name_zh, &i.name_en)) } }
                        @match i.points {
                            None => { td colspan="6" .note { (lang.pick("不适用（不计分值）", "Not applicable (no weight)")) } }
                            Some(p) => {
                                td.num { (fixed(i.value, 4)) }
                                td.num { (crate::parts::quantity(i.numerator)) " / " (crate::parts::quantity(i.denominator)) }
                                td.method { (i.formula) }
                                td.num { (format!("{p:.4}")) " / " (i.weight) }
                                td.num { (format!("{:.4}", i.weight - p)) }
                                td.num { (i.previous_points.map_or("–".into(), |q| crate::parts::signed(p - q, 4))) }
                            }
                        }
                    }
                }
            }
        } }
        h2 { (lang.pick("历年走势", "Trend")) }
        table {
            caption { (lang.pick("历年总分与排名", "Total and rank by year")) }
            thead { tr { th scope="col" { (lang.pick("年度", "Year")) } th scope="col" { (lang.pick("总分", "Total")) } th scope="col" { (lang.pick("排名", "Rank")) } th scope="col" { (lang.pick("等次", "Grade")) } } }
            tbody { @for t in &v.trend { tr { th scope="row" { (t.year) @if t.provisional { " " span.badge { (lang.pick("暂定（未发布）", "provisional (not published)")) } } } td.num { (format!("{:.2}", t.total)) } td.num { (t.rank.map_or("–".into(), |r| r.to_string())) } td { (grade_label(lang, &t.grade)) } } } }
        }
        @if !v.trend.is_empty() { figure { (PreEscaped(trend_chart(v))) } }
        @if let Some(c) = &v.change { (change_section(lang, v, c)) }
        @if let Some(r) = &v.robustness { (interval(lang, r)) }
    }
}

/// Why the rank changed: the change of total in parts that add up to it,
/// each part's effect on the rank; then the unit's points among its peers.
fn change_section(lang: Lang, v: &ScorecardView, c: &ChangeView) -> Markup {
    let signed = |x: f64| crate::parts::signed(x, 2);
    html! {
        h2 #change { (lang.pick("名次变化分解", "Why the rank changed")) }
        @match c.previous {
            None => { p.note { (lang.pick("没有上一年度的结果可比。", "No result of the previous year to compare with.")) } }
            Some((year, version)) => {
                p {
                    (lang.pick(&format!("与 {year} 年度第 {version} 版相比，总分变化 {}", signed(c.total_change)), &format!("Against {year} version {version}, the total changed by {}", signed(c.total_change))))
                    @if let (Some(before), Some(now)) = (c.rank_before, v.rank) {
                        (lang.pick(&format!("，名次由第 {before} 名变为第 {now} 名。", ), &format!("; the rank went from {before} to {now}.")))
                    } @else { (lang.pick("。", ".")) }
                    " " (lang.pick("各部分相加正好等于总分变化；“仅此变化时的名次”是只改变这一部分、其余与上年相同时本单位在上年同组中的名次。",
                        "The parts add up to the change exactly; “rank with only this change” is the unit's rank among last year's group with only that part changed and all else as last year."))
                }
                table {
                    caption { (lang.pick("总分变化的组成", "The change of total, part by part")) }
                    thead { tr { th scope="col" { (lang.pick("部分", "Part")) } th scope="col" { (lang.pick("总分变化", "Change of total")) } th scope="col" { (lang.pick("仅此变化时的名次", "Rank with only this change")) } } }
                    tbody {
                        @for p in &c.parts {
                            tr { th scope="row" { (p.label) } td.num { (signed(p.change)) } td.num { (p.rank_alone.map_or("–".into(), |r| r.to_string())) } }
                        }
                        tr { th scope="row" { strong { (lang.pick("合计", "Total")) } } td.num { strong { (signed(c.total_change)) } } td.num { (v.rank.map_or("–".into(), |r| r.to_string())) } }
                    }
                }
            }
        }
        @if !c.peers.is_empty() {
            table {
                caption { (lang.pick("与同组单位比较（本年度）", "Against the group (this year)")) }
                thead { tr {
                    th scope="col" { (lang.pick("指标", "Indicator")) }
                    th scope="col" { (lang.pick("本单位得分", "Points")) }
                    th scope="col" { (lang.pick("组内中位", "Group median")) }
                    th scope="col" { (lang.pick("组内最高", "Group best")) }
                    th scope="col" { (lang.pick("百分位", "Percentile")) }
                } }
                tbody { @for p in &c.peers {
                    tr {
                        th scope="row" { (p.label) }
                        td.num { (format!("{:.4}", p.points)) " / " (p.weight) }
                        td.num { (format!("{:.4}", p.median)) }
                        td.num { (format!("{:.4}", p.best)) }
                        td.num { (format!("{:.0}", p.percentile)) }
                    }
                } }
            }
        }
    }
}

/// The unit's own rank interval: how sure its rank is.
fn interval(lang: Lang, r: &UnitInterval) -> Markup {
    html! {
        h2 #robustness { (lang.pick("排名稳健区间 (90%)", "Rank robustness interval (90%)")) }
        p.note {
            (lang.pick("这是对评分方法的模拟，不是数据误差。", "A simulation of the method, not a data error. "))
            (lang.pick(&format!("在 {} 次模拟中，各指标权重在 ±{:.0}% 内、线性指标的阈值在 ±{:.0}% 区间范围内随机变动。相差 2–3 名不是有意义的差别。", r.draws, r.weights * 100.0, r.thresholds * 100.0),
                &format!("Over {} draws every weight varies within ±{:.0}% and a linear indicator's thresholds within ±{:.0}% of their range. A gap of 2–3 places is not a meaningful difference.", r.draws, r.weights * 100.0, r.thresholds * 100.0)))
        }
        @if let Some(problem) = &r.problem {
            p.error role="status" { (problem) }
        } @else {
            @match r.ranks {
                Some((nominal, median, p5, p95)) => {
                    p { (lang.pick(&format!("名次 {nominal}，模拟中位名次 {median}，90% 的模拟落在第 {p5}–{p95} 名之间（组内共 {} 个单位）。", r.graded),
                        &format!("Rank {nominal}; median rank {median}; 90% of the draws fall between {p5} and {p95} (of {} units in the group).", r.graded))) }
                }
                None => { p.note { (lang.pick("未评定单位没有名次。", "An ungraded unit has no rank.")) } }
            }
            table {
                caption { (lang.pick("各等次的模拟概率", "Probability of each grade")) }
                thead { tr { @for g in ["excellent", "good", "pass", "fail"] { th scope="col" { (grade_label(lang, g)) } } } }
                tbody { tr { @for p in r.grades { td.num { (crate::parts::share(p)) } } } }
            }
            @if !r.leave_one_out.is_empty() {
                table {
                    caption { (lang.pick("逐一去掉一个指标（权重为 0）后的名次和等次", "Rank and grade with each indicator left out (weight 0)")) }
                    thead { tr { th scope="col" { (lang.pick("去掉的指标", "Left out")) } th scope="col" { (lang.pick("名次", "Rank")) } th scope="col" { (lang.pick("等次", "Grade")) } } }
                    tbody { @for (name, rank, grade) in &r.leave_one_out {
                        tr { th scope="row" { (name) } td.num { (rank.map_or("–".into(), |r| r.to_string())) } td { (grade_label(lang, grade)) } }
                    } }
                }
            }
        }
    }
}

/// The trend table as a chart: total and rank per year.
fn trend_chart(v: &ScorecardView) -> String {
    let lang = v.lang;
    let years: Vec<trend::Year> = v
        .trend
        .iter()
        .map(|t| trend::Year { year: t.year, total: t.total, rank: t.rank, grade: t.grade.clone(), provisional: t.provisional })
        .collect();
    let description = v
        .trend
        .iter()
        .map(|t| {
            let rank = t.rank.map_or_else(|| lang.pick("不排名", "unranked").to_string(), |r| format!("{}{r}{}", lang.pick("第 ", "rank "), lang.pick(" 名", "")));
            let mark = if t.provisional { lang.pick("（暂定）", " (provisional)") } else { "" };
            format!("{}{mark} {:.2} {rank} {}", t.year, t.total, grade_label(lang, &t.grade))
        })
        .collect::<Vec<_>>()
        .join(lang.pick("；", "; "));
    trend::render(
        lang.pick("历年总分与排名", "Total and rank by year"),
        &description,
        &years,
        v.group_size,
        trend::Labels { total: lang.pick("总分", "Total"), rank: lang.pick("组内排名（第 1 名在上）", "Rank in group (first at the top)"), provisional: lang.pick("暂定", " prov.") },
    )
}
