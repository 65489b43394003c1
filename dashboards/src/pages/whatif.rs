//! 规则模拟 (what-if): a year's stored inputs under another rulebook, beside
//! the stored version: every unit's total, rank and grade under both, the
//! rank changes first, the largest first. For leadership and the
//! assessment team; nothing is stored.

use maud::{Markup, html};

use super::{grade_label, group_label};
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
    pub rulebook: String,
    pub data_changed: bool,
    pub changed: usize,
    pub rows: Vec<WhatIfRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WhatIfView {
    pub lang: Lang,
    pub nav: Nav,
    /// Years with a result, and the one chosen.
    pub years: Vec<i32>,
    pub year: i32,
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
                "用另一套规则（其他年度的规则，或修改后的规则文件）对所选年度已存储的数据重新计分，与该年度的结果版本逐一对照；不保存任何结果。",
                "Score a year's stored data under another rulebook (another year's, or an edited file) beside the year's result version; nothing is stored.")) }
            form.screen-only method="get" action="/whatif" {
                @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                label for="whatif-year" { (lang.pick("考核年度", "Year")) }
                select #whatif-year name="year" { @for y in &v.years { option value=(y) selected[*y == v.year] { (y) } } }
                label for="whatif-rules" { (lang.pick("采用哪一年度的规则", "The rulebook of year")) }
                select #whatif-rules name="rulebook_year" { @for y in &v.rulebook_years { option value=(y) selected[Some(*y) == v.rulebook_year] { (y) } } }
                " " button type="submit" { (lang.pick("模拟", "Compare")) }
            }
            form.screen-only method="post" action="/whatif" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(v.nav.csrf);
                input type="hidden" name="year" value=(v.year);
                @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                label for="whatif-file" { (lang.pick(&format!("或上传修改后的规则文件（TOML，不超过 {} KiB）", v.max_kib), &format!("Or upload an edited rulebook (TOML, at most {} KiB)", v.max_kib))) }
                input #whatif-file type="file" name="rulebook" required accept=".toml,text/plain";
                " " button type="submit" { (lang.pick("上传并模拟", "Upload and compare")) }
            }
            @if let Some(e) = &v.error {
                p #whatif-error .error role="alert" { (crate::layout::bilingual(lang, e)) }
            }
            @if let Some(r) = &v.result {
                h2 #whatif-result { (lang.pick(&format!("{} 年度第 {} 版 与 「{}」", v.year, r.version, r.rulebook), &format!("{} version {} beside “{}”", v.year, r.version, r.rulebook))) }
                @if r.data_changed {
                    p.note role="status" { (lang.pick("注意：该版本计算之后数据有变化，下表的差异也包含数据变化。", "Note: the data changed since this version was computed; the differences include those changes.")) }
                }
                p { (lang.pick(&format!("{} 个单位中 {} 个的名次或等次有变化。", r.rows.len(), r.changed), &format!("{} of {} units change rank or grade.", r.changed, r.rows.len()))) }
                div.scroll role="region" tabindex="0" aria-labelledby="whatif-result" { table.records {
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
        },
    )
}
