//! 指标统计 (the assessment team): per group the distribution of each
//! indicator's points, the correlations between indicators (Pearson, with
//! Spearman beside it) and the warnings: two indicators that measure the
//! same thing, an indicator that does not separate units.

use maud::{Markup, html};

use crate::parts::group_label;
use crate::layout::{Lang, Nav, signed_in};

/// One indicator's distribution in a group.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionRow {
    pub indicator: String,
    pub weight: f64,
    pub units: usize,
    /// Min, q1, median, q3, max.
    pub five: [f64; 5],
    pub share_full: f64,
    pub share_zero: f64,
    pub does_not_separate: bool,
}

/// A group's statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStatistics {
    pub group: String,
    pub rows: Vec<DistributionRow>,
    /// The indicators of the matrix, in order.
    pub indicators: Vec<String>,
    /// (Pearson, Spearman, |ρ| ≥ 0.9) per cell, row-major; none on the
    /// diagonal or where it cannot be computed.
    pub matrix: Vec<Vec<Option<(Coefficient, Coefficient)>>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatisticsView {
    pub lang: Lang,
    pub nav: Nav,
    pub years: Vec<i32>,
    pub year: i32,
    pub version: Option<i64>,
    /// Warnings, in words.
    pub warnings: Vec<String>,
    pub groups: Vec<GroupStatistics>,
}

/// A correlation coefficient, and whether it reaches the warning's |ρ|.
pub type Coefficient = (Option<f64>, bool);

/// A coefficient cut (not rounded) to two decimals, so that what is shown
/// agrees with the warning: 0.8951 is shown 0.89 and is under 0.9.
fn r(v: Option<f64>) -> String {
    crate::parts::fixed(v.map(|x| (x * 100.0).trunc() / 100.0), 2)
}

/// A coefficient, in bold red when it reaches the warning.
fn coefficient((value, warns): &Coefficient) -> Markup {
    html! { @if *warns { strong.flag { (r(*value)) } } @else { (r(*value)) } }
}

pub fn render(v: &StatisticsView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("指标统计", "Indicator statistics");
    signed_in(
        lang,
        title,
        "/statistics",
        &v.nav,
        html! {
            h1 { (title) }
            form.screen-only method="get" action="/statistics" {
                @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                label for="stat-year" { (lang.pick("考核年度", "Year")) }
                select #stat-year name="year" { @for y in &v.years { option value=(y) selected[*y == v.year] { (y) } } }
                " " button type="submit" { (lang.pick("查看", "Show")) }
            }
            @match v.version {
                None => { p.note role="status" { (lang.pick("该年度尚无考核结果。", "No result for this year yet.")) } }
                Some(version) => {
                    p.note { (lang.pick(
                        &format!("第 {version} 版结果中各组各指标的得分分布（最低、四分位、最高；满分和零分的占比）和指标之间的相关系数（皮尔逊，括号内为斯皮尔曼；仅计两项指标都适用的单位）。同一 Excel 结果表的“指标统计”“指标相关”两表有相同数字。"),
                        &format!("Version {version}: each indicator's points per group (min, quartiles, max; shares at full points and at zero) and the correlations between indicators (Pearson, Spearman in brackets; over the units to which both apply). The result workbook's sheets 指标统计 and 指标相关 hold the same figures."))) }
                    h2 { (lang.pick("提示", "Warnings")) }
                    @if v.warnings.is_empty() {
                        p.note { (lang.pick("没有 |ρ| ≥ 0.9 的指标对，也没有 90% 以上单位满分的指标。", "No pair with |ρ| ≥ 0.9 and no indicator at full points for 90% of the units or more.")) }
                    } @else {
                        ul { @for w in &v.warnings { li.flag { (w) } } }
                    }
                    @for g in &v.groups {
                        h2 { (group_label(lang, &g.group)) }
                        div.scroll role="region" tabindex="0" aria-label=(format!("{} · {}", group_label(lang, &g.group), lang.pick("得分分布", "distribution of points"))) { table.records {
                            caption { (lang.pick("得分分布", "Distribution of points")) }
                            thead { tr {
                                th scope="col" { (lang.pick("指标", "Indicator")) }
                                th scope="col" { (lang.pick("分值", "Weight")) }
                                th scope="col" { (lang.pick("单位数", "Units")) }
                                th scope="col" { (lang.pick("最低", "Min")) }
                                th scope="col" { (lang.pick("下四分位", "Q1")) }
                                th scope="col" { (lang.pick("中位", "Median")) }
                                th scope="col" { (lang.pick("上四分位", "Q3")) }
                                th scope="col" { (lang.pick("最高", "Max")) }
                                th scope="col" { (lang.pick("满分占比", "At full")) }
                                th scope="col" { (lang.pick("零分占比", "At zero")) }
                            } }
                            tbody { @for d in &g.rows {
                                tr {
                                    th scope="row" { (d.indicator) @if d.does_not_separate { " " span.flag { (lang.pick("（不能区分单位）", "(does not separate)")) } } }
                                    td.num { (d.weight) }
                                    td.num { (d.units) }
                                    @for x in d.five { td.num { (crate::parts::fixed(Some(x), 2)) } }
                                    td.num { (crate::parts::share(d.share_full)) }
                                    td.num { (crate::parts::share(d.share_zero)) }
                                }
                            } }
                        } }
                        div.scroll role="region" tabindex="0" aria-label=(format!("{} · {}", group_label(lang, &g.group), lang.pick("相关系数", "correlations"))) { table.records {
                            caption { (lang.pick("相关系数：皮尔逊（斯皮尔曼），截取两位小数；红色加粗为 |ρ| ≥ 0.9", "Correlations: Pearson (Spearman), cut to two decimals; bold red: |ρ| ≥ 0.9")) }
                            thead { tr { th scope="col" { "" } @for i in &g.indicators { th scope="col" { (i) } } } }
                            tbody { @for (row, name) in g.matrix.iter().zip(&g.indicators) {
                                tr {
                                    th scope="row" { (name) }
                                    @for cell in row {
                                        @match cell {
                                            None => { td.num { "" } }
                                            Some((p, s)) => { td.num { (coefficient(p)) " (" (coefficient(s)) ")" } }
                                        }
                                    }
                                }
                            } }
                        } }
                    }
                }
            }
        },
    )
}
