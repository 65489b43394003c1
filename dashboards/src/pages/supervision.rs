//! 整改督办: for leadership and the assessment team, every record awaiting
//! rectification in the spec's bands, rolled up per county (townships
//! included) and per department, with filters and downloads; the issued
//! supervision notices (通报) and, for the assessment team, the form that
//! issues one. Also the printable page of an issued notice.

use maud::{Markup, html};

use crate::documents::supervision::SupervisionNoticeView;
use crate::layout::{Lang, Nav, link, signed_in};

/// One open deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadlineRow {
    pub unit_name: String,
    pub area_name: String,
    pub kind: String,
    pub record_id: String,
    /// A person's record (shown without the person).
    pub of_person: bool,
    pub occurred_on: String,
    pub deadline: String,
    pub days_left: i64,
    /// `overdue_90|overdue|due_30|later`
    pub band: String,
    pub band_label: String,
}

/// One county's or department's counts, per band.
#[derive(Debug, Clone, PartialEq)]
pub struct RollupRow {
    pub code: String,
    pub name: String,
    /// Over 90 days overdue, overdue, due within 30 days, later.
    pub counts: [usize; 4],
}

/// An issued notice in the list.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeRow {
    pub id: i64,
    /// 督办通报〔2026〕第 1 号: what the notice prints, and how it is found.
    pub number: String,
    pub as_of: String,
    pub issued_by: String,
    pub issued_at: String,
    pub content_hash: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SupervisionView {
    pub lang: Lang,
    pub nav: Nav,
    pub today: String,
    /// Filters as chosen: band code, area code, type code ("" for all).
    pub band: String,
    pub area: String,
    pub kind: String,
    /// (code, label) choices of each filter.
    pub bands: Vec<(String, String)>,
    pub areas: Vec<(String, String)>,
    pub kinds: Vec<(String, String)>,
    /// The query of the filters, for the download links.
    pub query: String,
    pub rows: Vec<DeadlineRow>,
    /// How many rows the filter keeps (the page shows at most `rows.len()`).
    pub matching: usize,
    pub counties: Vec<RollupRow>,
    pub departments: Vec<RollupRow>,
    pub band_labels: [String; 4],
    pub notices: Vec<NoticeRow>,
    pub can_issue: bool,
}

fn rollup_table(v: &SupervisionView, caption: &str, rows: &[RollupRow]) -> Markup {
    let lang = v.lang;
    html! {
        table.records {
            caption { (caption) }
            thead { tr {
                th scope="col" { (lang.pick("单位", "Unit")) }
                @for l in &v.band_labels { th scope="col" { (l) } }
                th scope="col" { (lang.pick("合计", "Total")) }
            } }
            tbody {
                @for r in rows.iter().filter(|r| r.counts.iter().sum::<usize>() > 0) {
                    tr {
                        th scope="row" { a href=(link(lang, "/supervision", &format!("area={}", crate::layout::encode(&r.code)))) { (r.name) } }
                        @for (i, c) in r.counts.iter().enumerate() {
                            td.num.flag[i < 2 && *c > 0] { (c) }
                        }
                        td.num { (r.counts.iter().sum::<usize>()) }
                    }
                }
            }
        }
    }
}

fn select(id: &str, name: &str, label: &str, all: &str, chosen: &str, options: &[(String, String)]) -> Markup {
    html! {
        label for=(id) { (label) }
        select id=(id) name=(name) {
            option value="" { (all) }
            @for (code, text) in options { option value=(code) selected[code == chosen] { (text) } }
        }
    }
}

pub fn render(v: &SupervisionView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("整改督办", "Supervision of rectification");
    signed_in(
        lang,
        title,
        "/supervision",
        &v.nav,
        html! {
            h1 { (title) }
            p.note { (lang.pick(
                &format!("截至 {}：所有设有整改期限、尚未整改的失信记录（因异议作废的除外；经信用修复确认已整改的视为已整改）。县（市、区）的统计含其所辖乡镇街道。个人记录只显示所属单位，不显示人员。", v.today),
                &format!("On {}: every dishonesty record with a rectification deadline that is not rectified (voided records left out; a repair that confirmed rectification counts). A county's counts include its townships. A person's record shows its unit only, never the person.", v.today))) }
            h2 { (lang.pick("分布", "Rollups")) }
            @let counties = lang.pick("各县（市、区）（含乡镇街道）", "Per county (townships included)");
            @let departments = lang.pick("市直单位", "Per department");
            div.scroll role="region" tabindex="0" aria-label=(counties) { (rollup_table(v, counties, &v.counties)) }
            div.scroll role="region" tabindex="0" aria-label=(departments) { (rollup_table(v, departments, &v.departments)) }
            h2 #list { (lang.pick("待整改记录", "Records awaiting rectification")) " (" (v.matching) ")" }
            form.screen-only method="get" action="/supervision#list" {
                @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                (select("f-band", "band", lang.pick("督办等级", "Band"), lang.pick("全部", "All"), &v.band, &v.bands))
                (select("f-area", "area", lang.pick("县（市、区）或市直单位", "County or department"), lang.pick("全部", "All"), &v.area, &v.areas))
                (select("f-kind", "kind", lang.pick("记录类型", "Type"), lang.pick("全部", "All"), &v.kind, &v.kinds))
                " " button type="submit" { (lang.pick("筛选", "Filter")) }
            }
            p.screen-only { (lang.pick("下载所选记录：", "Download the chosen records: "))
                a href={ "/supervision/deadlines.xlsx" (v.query) } { "Excel" } " · "
                a href={ "/supervision/deadlines.csv" (v.query) } { "CSV" } }
            @if v.rows.is_empty() {
                p.note role="status" { (lang.pick("没有符合条件的记录。", "No record matches.")) }
            } @else {
                @if v.rows.len() < v.matching {
                    p.note { (lang.pick(&format!("页面显示最紧急的 {} 条；全部记录请下载。", v.rows.len()), &format!("The {} most urgent are shown; download for all of them.", v.rows.len()))) }
                }
                div.scroll role="region" tabindex="0" aria-labelledby="list" { table.records {
                    thead { tr {
                        th scope="col" { (lang.pick("单位", "Unit")) }
                        th scope="col" { (lang.pick("所属", "Under")) }
                        th scope="col" { (lang.pick("类型", "Type")) }
                        th scope="col" { (lang.pick("记录", "Record")) }
                        th scope="col" { (lang.pick("发生日期", "Occurred")) }
                        th scope="col" { (lang.pick("整改期限", "Deadline")) }
                        th scope="col" { (lang.pick("剩余/逾期", "Days left / overdue")) }
                        th scope="col" { (lang.pick("督办等级", "Band")) }
                    } }
                    tbody {
                        @for r in &v.rows {
                            tr {
                                td { (r.unit_name) }
                                td { (r.area_name) }
                                td { (r.kind) @if r.of_person { " " small.note { (lang.pick("（个人）", "(person)")) } } }
                                td { code { (r.record_id) } }
                                td { (r.occurred_on) }
                                td { (r.deadline) }
                                td.num.flag[r.days_left < 0] {
                                    @if r.days_left < 0 { (lang.pick(&format!("逾期 {} 天", -r.days_left), &format!("{} days overdue", -r.days_left))) }
                                    @else { (lang.pick(&format!("剩余 {} 天", r.days_left), &format!("{} days left", r.days_left))) }
                                }
                                td { (r.band_label) }
                            }
                        }
                    }
                } }
            }
            h2 #notices { (lang.pick("督办通报", "Supervision notices")) }
            p.note { (lang.pick("通报列出指定日期在失信被执行人名单中的政府机构和逾期未整改的失信记录（仅政府机构的记录）。签发后原样存档，之后可再次导出同一份文件。",
                "A notice lists, on a chosen date, the government bodies on the courts' list and the overdue rectifications (government bodies' records only). An issued notice is kept as issued and can be handed out again, the same file.")) }
            form.screen-only method="get" action="/supervision/notice.pdf" {
                label for="preview-date" { (lang.pick("预览通报（不签发）：情况截至", "Preview a notice (not issued), as of")) }
                input #preview-date type="date" name="as_of" value=(v.today) required;
                " " button type="submit" { (lang.pick("预览 PDF", "Preview PDF")) }
            }
            @if v.can_issue {
                form.screen-only method="post" action="/supervision/notices" {
                    input type="hidden" name="csrf" value=(v.nav.csrf);
                    label for="issue-date" { (lang.pick("签发通报：情况截至", "Issue a notice, as of")) }
                    input #issue-date type="date" name="as_of" value=(v.today) required;
                    " " button type="submit" { (lang.pick("签发", "Issue")) }
                }
            }
            @if v.notices.is_empty() {
                p.note role="status" { (lang.pick("尚未签发通报。", "No notice issued yet.")) }
            } @else {
                table.records {
                    thead { tr {
                        th scope="col" { (lang.pick("编号", "No.")) }
                        th scope="col" { (lang.pick("情况截至", "As of")) }
                        th scope="col" { (lang.pick("签发", "Issued")) }
                        th scope="col" { (lang.pick("文件", "Document")) }
                        th scope="col" { "SHA-256" }
                    } }
                    tbody {
                        @for n in &v.notices {
                            tr {
                                td { (n.number) }
                                td { (n.as_of) }
                                td { (n.issued_by) " · " (n.issued_at) }
                                td { a href=(link(lang, &format!("/supervision/notices/{}", n.id), "")) { (lang.pick("打印版", "Printable")) } " · " a href={ "/supervision/notices/" (n.id) "/notice.pdf" } { "PDF" } }
                                td { code { (n.content_hash.get(..16).unwrap_or(&n.content_hash)) "…" } }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// An issued notice as a printable A4 page, from the content stored with it.
pub fn render_notice(lang: Lang, nav: &Nav, id: i64, n: &SupervisionNoticeView) -> Markup {
    let path = format!("/supervision/notices/{id}");
    signed_in(
        lang,
        &n.title,
        &path,
        nav,
        html! {
            p.screen-only { a href=(link(lang, "/supervision", "")) { "← " (lang.pick("整改督办", "Supervision")) } " · " a href={ (path) "/notice.pdf" } { "PDF" } " · " (lang.pick("打印本页即为 A4 通报。", "Print this page for the A4 notice.")) }
            p.office { strong { (n.office) } }
            h1 { (n.title) }
            @if let Some(number) = &n.number { p { (number) } }
            p.note { (n.status) }
            @for p in &n.intro { p { (p) } }
            @for s in &n.sections {
                h2 { (s.heading) }
                p { (s.summary) }
                @if !s.rows.is_empty() {
                    table.records {
                        thead { tr { @for h in &s.head { th scope="col" { (h) } } } }
                        tbody { @for row in &s.rows { tr { @for (i, c) in row.iter().enumerate() { @if s.numeric.contains(&i) { td.num { (c) } } @else { td { (c) } } } } } }
                    }
                }
            }
            p style="text-align:right;margin-top:2rem" { (n.office) br; (n.date) }
            p.note { small { (n.provenance) } }
        },
    )
}
