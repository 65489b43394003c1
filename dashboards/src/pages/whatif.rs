//! 规则模拟 (what-if): a year's stored inputs under another rulebook, beside
//! the stored version: every unit's total, rank and grade under both, the
//! rank changes first, the largest first. For leadership and the
//! assessment team; nothing is stored.

use maud::{Markup, html};

use crate::parts::{grade_label, group_label};
use crate::layout::{Lang, Nav, signed_in};

/// One unit under both rulebooks.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatIfRow {
    pub unit_name: String,
    pub group: String,
    pub stored_total: f64,
    pub stored_rank: Option<i64>,
    pub stored_grade: String,
    pub total: f64,
    pub rank: Option<i64>,
    pub grade: String,
    pub rank_change: Option<i64>,
}

/// The comparison shown.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatIfResult {
    pub version: i64,
    pub published: bool,
    /// The alternative rulebook, named for the page's language.
    pub rulebook: String,
    /// The form's changes, one line each ("指标「万人评议」的权重：10 → 30").
    pub changes: Vec<String>,
    pub data_changed: bool,
    pub changed: usize,
    pub rows: Vec<WhatIfRow>,
}

/// A version of the year to compare with.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionChoice {
    pub version: i64,
    pub published: bool,
    pub as_of: String,
}

/// One number of the form: its field name, its words (the label read
/// aloud, and the start of its error in the list above the form), the
/// value shown (as submitted), the rulebook's, and why the submitted one
/// cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub name: String,
    pub label: String,
    pub value: String,
    pub original: String,
    pub changed: bool,
    pub error: Option<String>,
}

/// One indicator of the form, with only the numbers its function has.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRow {
    pub dimension: String,
    pub indicator: String,
    /// `linear`, `deduct` or `pass_fail`.
    pub kind: String,
    pub weight: Input,
    pub good: Option<Input>,
    pub bad: Option<Input>,
    pub per_item: Option<Input>,
}

/// The rulebook's numbers as a form: the indicators, then the grade lines
/// (excellent, good, pass, excellent quota).
#[derive(Debug, Clone, PartialEq)]
pub struct RulesForm {
    pub rows: Vec<RuleRow>,
    pub grades: Vec<Input>,
    /// The weights' sum as submitted (none while one is not a number) and
    /// in the rulebook.
    pub weight_sum: Option<f64>,
    pub original_weight_sum: f64,
}

impl RulesForm {
    fn inputs(&self) -> impl Iterator<Item = &Input> {
        self.rows.iter().flat_map(|r| std::iter::once(&r.weight).chain(r.good.iter()).chain(r.bad.iter()).chain(r.per_item.iter())).chain(self.grades.iter())
    }
}

/// The rulebook of the version compared with, as stored with it.
#[derive(Debug, Clone, PartialEq)]
pub struct RulebookInUse {
    pub title: String,
    pub year: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WhatIfView {
    pub lang: Lang,
    pub nav: Nav,
    /// Years with a result, and the one chosen.
    pub years: Vec<i32>,
    pub year: i32,
    /// The year's versions, and the one compared with (none: no result).
    pub versions: Vec<VersionChoice>,
    pub version: Option<i64>,
    pub rulebook: Option<RulebookInUse>,
    /// The form, prefilled from the version's rulebook (or as submitted).
    pub form: Option<RulesForm>,
    /// Years with a shipped rulebook, and the one chosen.
    pub rulebook_years: Vec<i32>,
    pub rulebook_year: Option<i32>,
    /// The largest rulebook upload, in KiB.
    pub max_kib: usize,
    /// A rulebook that could not be used, and why.
    pub error: Option<String>,
    pub result: Option<WhatIfResult>,
}

fn rank(r: Option<i64>) -> String {
    r.map_or_else(|| "–".to_string(), |r| r.to_string())
}

pub fn render(v: &WhatIfView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("规则模拟", "What-if under another rulebook");
    signed_in(
        lang,
        title,
        "/whatif",
        &v.nav,
        html! {
            h1 { (title) }
            p.note { (lang.pick(
                "修改各指标的权重、计分阈值和等次分数线（或采用其他年度的规则、上传规则文件），用修改后的规则对所选结果版本的数据重新计分，与该版本逐一对照；不保存任何结果。",
                "Change the indicators' weights, scoring thresholds and grade lines (or take another year's rulebook, or upload a rulebook file) and score the chosen version's data under them, beside that version; nothing is stored.")) }
            (chooser(v))
            @if let Some(e) = &v.error {
                p #whatif-error .error role="alert" { (crate::layout::bilingual(lang, e)) }
            }
            @if let Some(form) = &v.form { (error_summary(lang, form)) }
            @if let Some(r) = &v.result { (result(v, r)) }
            @if let Some(form) = &v.form { (rules_form(v, form)) }
            @if v.version.is_some() { (other_ways(v)) }
        },
    )
}

/// The year and the version compared with, and the rulebook it used.
fn chooser(v: &WhatIfView) -> Markup {
    let lang = v.lang;
    html! {
        form.screen-only.choose method="get" action="/whatif" {
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            span {
                label for="whatif-year" { (lang.pick("考核年度", "Year")) }
                select #whatif-year name="year" { @for y in &v.years { option value=(y) selected[*y == v.year] { (y) } } }
            }
            @if !v.versions.is_empty() {
                span {
                    label for="whatif-version" { (lang.pick("对照的结果版本", "Compare with version")) }
                    select #whatif-version name="version" {
                        @for c in v.versions.iter().rev() {
                            option value=(c.version) selected[Some(c.version) == v.version] { (version_label(lang, c)) }
                        }
                    }
                }
            }
            span { button type="submit" { (lang.pick("查看", "Show")) } }
        }
        @match (&v.rulebook, v.version) {
            (Some(book), Some(n)) => p #whatif-rulebook {
                (lang.pick(&format!("第 {n} 版采用的规则："), &format!("Version {n} was computed under: ")))
                strong { (lang.pick(&format!("《{}》", book.title), &format!("“{}”", book.title))) }
                (lang.pick(&format!("（{} 年度）", book.year), &format!(" ({})", book.year)))
            },
            _ => p.note role="status" { (lang.pick(&format!("{} 年度尚无结果，先计分后才能模拟。", v.year), &format!("{} has no result yet: score it before trying other rules.", v.year))) },
        }
    }
}

fn version_label(lang: Lang, c: &VersionChoice) -> String {
    match (lang, c.published) {
        (Lang::Zh, true) => format!("第 {} 版 · 已发布 · 截至 {}", c.version, c.as_of),
        (Lang::Zh, false) => format!("第 {} 版 · 未发布 · 截至 {}", c.version, c.as_of),
        (Lang::En, true) => format!("Version {} · published · as of {}", c.version, c.as_of),
        (Lang::En, false) => format!("Version {} · not published · as of {}", c.version, c.as_of),
    }
}

fn field_id(name: &str) -> String {
    format!("f-{}", name.replace('.', "-"))
}

/// Every refused value, each a link to its field.
fn error_summary(lang: Lang, form: &RulesForm) -> Markup {
    let refused: Vec<&Input> = form.inputs().filter(|i| i.error.is_some()).collect();
    html! {
        @if !refused.is_empty() {
            div #whatif-errors .error role="alert" {
                p { strong { (lang.pick(&format!("有 {} 处填写不能使用，未模拟：", refused.len()), &if refused.len() == 1 { "1 value cannot be used; nothing was scored:".to_string() } else { format!("{} values cannot be used; nothing was scored:", refused.len()) })) } }
                ul { @for i in &refused { li { a href=(format!("#{}", field_id(&i.name))) { (i.label) (lang.pick("：", ": ")) (i.error.as_deref().unwrap_or_default()) } } } }
            }
        }
    }
}

fn result(v: &WhatIfView, r: &WhatIfResult) -> Markup {
    let lang = v.lang;
    let state = if r.published { lang.pick("（已发布）", " (published)") } else { lang.pick("（未发布）", " (not published)") };
    html! {
        section #whatif-result {
            h2 #whatif-result-title { (lang.pick(&format!("{} 年度第 {} 版{} 与 {}", v.year, r.version, state, r.rulebook), &format!("{} version {}{} beside {}", v.year, r.version, state, r.rulebook))) }
            @if !r.changes.is_empty() {
                p { (lang.pick("改动：", "Changes: ")) }
                ul.changes { @for c in &r.changes { li { (c) } } }
            }
            @if r.data_changed {
                p.note role="status" { (lang.pick("注意：该版本计算之后数据有变化，下表的差异也包含数据变化。", "Note: the data changed since this version was computed; the differences include those changes.")) }
            }
            p {
                strong { (lang.pick(&format!("{} 个单位中 {} 个的名次或等次有变化。", r.rows.len(), r.changed), &format!("{} of {} units change rank or grade.", r.changed, r.rows.len()))) }
                @if v.form.is_some() { " " a.screen-only href="#whatif-form" { (lang.pick("调整规则后再模拟 ↓", "Adjust the values and compare again ↓")) } }
            }
            (result_table(lang, r))
        }
    }
}

fn result_table(lang: Lang, r: &WhatIfResult) -> Markup {
    html! {
        div.scroll role="region" tabindex="0" aria-labelledby="whatif-result-title" { table.records {
            thead {
                tr {
                    th scope="col" rowspan="2" { (lang.pick("单位", "Unit")) }
                    th scope="col" rowspan="2" { (lang.pick("组别", "Group")) }
                    th scope="colgroup" colspan="3" { (lang.pick("现行结果", "Stored version")) }
                    th scope="colgroup" colspan="3" { (lang.pick("模拟结果", "Under the other rulebook")) }
                    th scope="col" rowspan="2" { (lang.pick("名次变化", "Rank change")) }
                }
                tr {
                    th scope="col" { (lang.pick("总分", "Total")) } th scope="col" { (lang.pick("名次", "Rank")) } th scope="col" { (lang.pick("等次", "Grade")) }
                    th scope="col" { (lang.pick("总分", "Total")) } th scope="col" { (lang.pick("名次", "Rank")) } th scope="col" { (lang.pick("等次", "Grade")) }
                }
            }
            tbody { @for row in &r.rows {
                tr {
                    th scope="row" { (row.unit_name) }
                    td { (group_label(lang, &row.group)) }
                    td.num { (format!("{:.2}", row.stored_total)) }
                    td.num { (rank(row.stored_rank)) }
                    td { (grade_label(lang, &row.stored_grade)) }
                    td.num { (format!("{:.2}", row.total)) }
                    td.num { (rank(row.rank)) }
                    td { @if row.grade != row.stored_grade { strong { (grade_label(lang, &row.grade)) } } @else { (grade_label(lang, &row.grade)) } }
                    td.num { (row.rank_change.filter(|c| *c != 0).map_or_else(String::new, |c| format!("{c:+}"))) }
                }
            } }
        } }
    }
}

/// A number input in a cell, marked when it differs from the rulebook's,
/// its error beside it; a dash where the function has no such number.
fn input_cell(lang: Lang, i: Option<&Input>) -> Markup {
    match i {
        None => html! { td.none { span.note aria-hidden="true" { "—" } } },
        Some(i) => html! { td class=[marks(i)] { (input(lang, i)) } },
    }
}

/// The classes that mark a changed or refused value.
fn marks(i: &Input) -> Option<&'static str> {
    match (i.changed, i.error.is_some()) {
        (_, true) => Some("changed invalid"),
        (true, false) => Some("changed"),
        (false, false) => None,
    }
}

fn input(lang: Lang, i: &Input) -> Markup {
    let id = field_id(&i.name);
    let error_id = format!("{id}-error");
    html! {
        input #(id) type="text" inputmode="decimal" name=(i.name) value=(i.value) aria-label=(i.label)
            aria-invalid=[i.error.is_some().then_some("true")] aria-describedby=[i.error.is_some().then_some(error_id.as_str())];
        @if i.changed { small.was { (lang.pick("原 ", "was ")) (i.original) } }
        @if let Some(e) = &i.error { span.error id=(error_id) { (e) } }
    }
}

fn kind_label(lang: Lang, kind: &str, per_item: bool) -> &'static str {
    match (kind, per_item) {
        ("linear", _) => lang.pick("线性计分", "Linear"),
        ("deduct", true) => lang.pick("扣分制", "Deduction"),
        ("deduct", false) => lang.pick("扣分制（按记录类型扣分）", "Deduction (by record type)"),
        ("pass_fail", _) => lang.pick("达标得满分", "Pass or fail"),
        _ => lang.pick("其他", "Other"),
    }
}

/// The indicators' numbers and the grade lines as a form.
fn rules_form(v: &WhatIfView, form: &RulesForm) -> Markup {
    let lang = v.lang;
    html! {
        form #whatif-form .screen-only.rules method="post" action="/whatif/rules" {
            h2 { (lang.pick("修改权重、阈值和等次分数线", "Weights, thresholds and grade lines")) }
            p.note { (lang.pick(
                "已按该版本采用的规则填好；改动的项以底色标出并注明原值。线性计分：指标值达到“满分值”得满分，达到或劣于“零分值”得 0 分，其间按比例得分。",
                "Filled in from the version's rulebook; changed values are shaded, with the rulebook's value beside them. Linear: a value at the “full points” value earns the whole weight, one at or beyond the “zero points” value earns nothing, in between in proportion.")) }
            input type="hidden" name="csrf" value=(v.nav.csrf);
            input type="hidden" name="year" value=(v.year);
            @if let Some(n) = v.version { input type="hidden" name="version" value=(n); }
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            (indicator_table(lang, form))
            (weight_note(lang, form))
            fieldset.grades {
                legend { (lang.pick("等次", "Grades")) }
                @for g in &form.grades {
                    div class=(marks(g).map_or_else(|| "grade".to_string(), |m| format!("grade {m}"))) {
                        label for=(field_id(&g.name)) { (g.label) }
                        (input(lang, g))
                    }
                }
            }
            p.actions {
                button type="submit" { (lang.pick("按以上规则模拟", "Compare under these values")) }
                " "
                a href=(crate::layout::link(lang, "/whatif", &format!("year={}&version={}", v.year, v.version.unwrap_or_default()))) { (lang.pick("恢复为该版本的规则", "Back to the version's rulebook")) }
            }
        }
    }
}

fn indicator_table(lang: Lang, form: &RulesForm) -> Markup {
    html! {
        div.scroll role="region" tabindex="0" aria-label=(lang.pick("各指标的权重与阈值", "Each indicator's weight and thresholds")) { table.records.rules {
            thead { tr {
                th scope="col" { (lang.pick("维度", "Dimension")) }
                th scope="col" { (lang.pick("指标", "Indicator")) }
                th scope="col" { (lang.pick("计分方式", "Scoring")) }
                th scope="col" { (lang.pick("权重（分）", "Weight (points)")) }
                th scope="col" { (lang.pick("满分值", "Full points at")) }
                th scope="col" { (lang.pick("零分值", "Zero points at")) }
                th scope="col" { (lang.pick("每项扣分", "Deduction per item")) }
            } }
            tbody { @for (n, row) in form.rows.iter().enumerate() {
                tr {
                    @if n == 0 || form.rows[n - 1].dimension != row.dimension {
                        th scope="rowgroup" rowspan=(form.rows[n..].iter().take_while(|r| r.dimension == row.dimension).count()) { (row.dimension) }
                    }
                    th scope="row" { (row.indicator) }
                    td { (kind_label(lang, &row.kind, row.per_item.is_some())) }
                    (input_cell(lang, Some(&row.weight)))
                    (input_cell(lang, row.good.as_ref()))
                    (input_cell(lang, row.bad.as_ref()))
                    (input_cell(lang, row.per_item.as_ref()))
                }
            } }
        } }
    }
}

/// What the weights' sum means: the method scores out of 100 whatever
/// they add up to, so only their proportions count.
fn weight_note(lang: Lang, form: &RulesForm) -> Markup {
    let sum = |v: f64| format!("{}", (v * 1e6).round() / 1e6);
    html! {
        p #whatif-weights .note {
            @match form.weight_sum {
                Some(s) if s.to_bits() != form.original_weight_sum.to_bits() => {
                    strong { (lang.pick(&format!("权重合计 {}（原为 {}）。", sum(s), sum(form.original_weight_sum)), &format!("The weights add up to {} (were {}). ", sum(s), sum(form.original_weight_sum)))) }
                }
                Some(s) => { (lang.pick(&format!("权重合计 {}。", sum(s)), &format!("The weights add up to {}. ", sum(s)))) }
                None => {}
            }
            (lang.pick(
                "合计不必为 100：各单位的基础分 = 100 × 适用指标得分之和 ÷ 适用指标权重之和，起作用的是各指标权重之间的比例（各组适用的指标不同）。",
                "They need not add up to 100: a unit's base = 100 × the points of its applicable indicators ÷ their weights, so what counts is the weights' proportions (each group has its own applicable indicators)."))
        }
    }
}

/// Another year's shipped rulebook, or an edited file: the ways of
/// before, for those who edit TOML.
fn other_ways(v: &WhatIfView) -> Markup {
    let lang = v.lang;
    html! {
        details.screen-only.other-ways open[v.rulebook_year.is_some() || (v.error.is_some() && v.form.as_ref().is_none_or(|f| f.inputs().all(|i| i.error.is_none())))] {
            summary { (lang.pick("其他方式：采用其他年度的规则，或上传规则文件", "Other ways: another year's rulebook, or a rulebook file")) }
            form method="get" action="/whatif" {
                @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                input type="hidden" name="year" value=(v.year);
                @if let Some(n) = v.version { input type="hidden" name="version" value=(n); }
                label for="whatif-rules" { (lang.pick("采用哪一年度的规则", "The rulebook of year")) }
                select #whatif-rules name="rulebook_year" { @for y in &v.rulebook_years { option value=(y) selected[Some(*y) == v.rulebook_year] { (y) } } }
                " " button type="submit" { (lang.pick("模拟", "Compare")) }
            }
            form method="post" action="/whatif" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(v.nav.csrf);
                input type="hidden" name="year" value=(v.year);
                @if let Some(n) = v.version { input type="hidden" name="version" value=(n); }
                @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                label for="whatif-file" { (lang.pick(&format!("上传修改后的规则文件（TOML，不超过 {} KiB）", v.max_kib), &format!("Upload an edited rulebook (TOML, at most {} KiB)", v.max_kib))) }
                input #whatif-file type="file" name="rulebook" required accept=".toml,text/plain";
                " " button type="submit" { (lang.pick("上传并模拟", "Upload and compare")) }
            }
        }
    }
}
