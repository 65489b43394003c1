//! 信用修复: a unit's applications to repair its records and the form to
//! apply; for the assessment team every application, the overdue first,
//! and one application's statement, evidence and decision form.

use maud::{Markup, html};

use crate::layout::{Lang, Nav, link, signed_in};

/// One application in the list.
#[derive(Debug, Clone, PartialEq)]
pub struct RepairRow {
    pub id: i64,
    pub unit_name: String,
    pub record_id: String,
    /// The record's type, in the page's language.
    pub kind: String,
    pub occurred_on: String,
    /// `open|accepted|rejected`
    pub status: String,
    pub filed_at: String,
    pub due_on: String,
    pub overdue: bool,
    /// The accepted mitigation, in the page's language.
    pub mitigation: Option<String>,
    pub decision_reason: Option<String>,
}

/// A record the unit may apply for, as the form's choice shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RepairableRecord {
    pub id: String,
    pub label: String,
}

/// What a failed application typed, shown again with the reason.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApplyForm {
    pub record_id: String,
    pub statement: String,
    pub rectified_on: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RepairsView {
    pub lang: Lang,
    pub nav: Nav,
    pub rows: Vec<RepairRow>,
    /// A unit user: the records it may apply for (empty: no form).
    pub records: Vec<RepairableRecord>,
    pub form: ApplyForm,
    pub max_statement: usize,
}

pub fn status_label(lang: Lang, status: &str, overdue: bool) -> &'static str {
    match (status, overdue) {
        ("open", true) => lang.pick("待处理（已逾期）", "Open (overdue)"),
        ("open", false) => lang.pick("待处理", "Open"),
        ("accepted", _) => lang.pick("已同意修复", "Accepted"),
        _ => lang.pick("不予修复", "Rejected"),
    }
}

pub fn render(v: &RepairsView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("信用修复", "Credit repair");
    signed_in(
        lang,
        title,
        "/repairs",
        &v.nav,
        html! {
            h1 { (title) }
            p.note { (lang.pick(
                "记录有误请提出异议；记录属实但已整改、已履行或已消除影响的，可申请信用修复（从轻或免于惩戒）。考核组在 5 个工作日内处理；同意后，修复自决定之日起用于此后的评分，已发布的结果不变。",
                "A record that is wrong calls for an objection. A record that is right but corrected (rectified, paid, the harm stopped) may be repaired: reduced or exempt. The assessment team decides within 5 working days; an accepted repair applies to every scoring from its decision on, and published results never change.")) }
            @if let Some(e) = &v.form.error {
                p #apply-error .error role="alert" { (crate::layout::bilingual(lang, e)) }
            }
            @if !v.records.is_empty() {
                section aria-labelledby="apply-title" {
                    h2 #apply-title { (lang.pick("申请信用修复", "Apply for a repair")) }
                    form method="post" action="/repairs" enctype="multipart/form-data" {
                        input type="hidden" name="csrf" value=(v.nav.csrf);
                        @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                        p {
                            label for="repair-record" { (lang.pick("记录", "Record")) }
                            br;
                            select #repair-record name="record_id" required {
                                @for r in &v.records {
                                    option value=(r.id) selected[r.id == v.form.record_id] { (r.label) }
                                }
                            }
                        }
                        p {
                            label for="repair-statement" { (lang.pick("情况说明（不超过 2000 字）", "Statement (at most 2,000 characters)")) }
                            br;
                            textarea #repair-statement name="statement" rows="6" cols="70" required maxlength=(v.max_statement) { (v.form.statement) }
                        }
                        p {
                            label for="repair-rectified" { (lang.pick("整改完成日期：失信被执行人记录（移出名单之日）必填；设有整改期限的记录可填，填写后该期限视为已完成", "Date rectified: required for a court listing (the day it left the list); for a record with a rectification deadline, optional, and it closes the deadline")) }
                            br;
                            input #repair-rectified type="date" name="rectified_on" value=(v.form.rectified_on);
                        }
                        p {
                            label for="repair-files" { (lang.pick("证明材料：PDF、JPEG 或 PNG，每份不超过 10 MB，最多 5 份", "Evidence: PDF, JPEG or PNG, at most 10 MB each, at most 5 files")) }
                            br;
                            input #repair-files type="file" name="files" multiple required accept="application/pdf,image/jpeg,image/png";
                        }
                        button type="submit" { (lang.pick("提交申请", "Apply")) }
                    }
                }
            }
            h2 { (lang.pick("申请及处理", "Applications and decisions")) }
            @if v.rows.is_empty() {
                p.note role="status" { (lang.pick("暂无修复申请。", "No repair applications yet.")) }
            } @else {
                table.records {
                    thead { tr {
                        th scope="col" { "#" }
                        th scope="col" { (lang.pick("单位", "Unit")) }
                        th scope="col" { (lang.pick("记录", "Record")) }
                        th scope="col" { (lang.pick("申请时间", "Filed")) }
                        th scope="col" { (lang.pick("办理期限", "Due")) }
                        th scope="col" { (lang.pick("状态", "Status")) }
                        th scope="col" { (lang.pick("处理结果", "Decision")) }
                    } }
                    tbody {
                        @for r in &v.rows {
                            tr.overdue[r.overdue] {
                                td.num { a href=(link(lang, &format!("/repairs/{}", r.id), "")) { (r.id) } }
                                td { (r.unit_name) }
                                td { (r.kind) " " code { (r.record_id) } br; small.note { (r.occurred_on) } }
                                td { (r.filed_at) }
                                td { (r.due_on) }
                                td { @if r.overdue { strong { (status_label(lang, &r.status, true)) } } @else { (status_label(lang, &r.status, false)) } }
                                td {
                                    @if let Some(m) = &r.mitigation { (m) br; }
                                    @if let Some(reason) = &r.decision_reason { small.note { (reason) } }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// One evidence file as the application page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceRow {
    pub position: i32,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RepairView {
    pub lang: Lang,
    pub nav: Nav,
    pub row: RepairRow,
    pub statement: String,
    pub claimed_rectified_on: Option<String>,
    pub rectified_on: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub evidence: Vec<EvidenceRow>,
    /// The assessment team on an open application: the decision form, with
    /// the rectified date to confirm where the record takes one.
    pub can_decide: bool,
    /// A court listing or a record with a rectification deadline.
    pub takes_date: bool,
    pub error: Option<String>,
}

pub fn render_one(v: &RepairView) -> Markup {
    let lang = v.lang;
    let r = &v.row;
    let title = format!("{} #{}", lang.pick("信用修复申请", "Repair application"), r.id);
    let path = format!("/repairs/{}", r.id);
    signed_in(
        lang,
        &title,
        &path,
        &v.nav,
        html! {
            p { a href=(link(lang, "/repairs", "")) { "← " (lang.pick("全部申请", "All applications")) } }
            h1 { (title) }
            dl {
                dt { (lang.pick("单位", "Unit")) } dd { (r.unit_name) }
                dt { (lang.pick("记录", "Record")) } dd { (r.kind) " " code { (r.record_id) } " · " (r.occurred_on) }
                dt { (lang.pick("申请时间", "Filed")) } dd { (r.filed_at) }
                dt { (lang.pick("办理期限（5 个工作日）", "Due (5 working days)")) } dd { (r.due_on) }
                dt { (lang.pick("状态", "Status")) } dd { strong { (status_label(lang, &r.status, r.overdue)) } }
                @if let Some(day) = &v.claimed_rectified_on {
                    dt { (lang.pick("申请人所述整改完成日期", "Rectified on, as the unit says")) } dd { (day) }
                }
                @if let Some(m) = &r.mitigation {
                    dt { (lang.pick("修复结果", "Mitigation")) } dd { (m) @if let Some(day) = &v.rectified_on { " · " (lang.pick("整改完成日期 ", "rectified on ")) (day) } }
                }
                @if let Some(reason) = &r.decision_reason {
                    dt { (lang.pick("处理意见", "Reason")) } dd { (reason) br; small.note { (v.decided_by.clone().unwrap_or_default()) " · " (v.decided_at.clone().unwrap_or_default()) } }
                }
            }
            h2 { (lang.pick("情况说明", "Statement")) }
            p.statement { (v.statement) }
            h2 { (lang.pick("证明材料", "Evidence")) }
            p.note { (lang.pick("证明材料仅考核组和申请单位可见。", "Evidence is shown only to the assessment team and the applying unit.")) }
            ul {
                @for e in &v.evidence {
                    li { a href={ (path) "/evidence/" (e.position) } { (e.file_name) } " " small.note { "(" (e.media_type) ", " (format!("{:.1}", e.size as f64 / 1024.0)) " KB)" } }
                }
            }
            @if v.can_decide {
                h2 #decide-title { (lang.pick("处理", "Decide")) }
                @if let Some(e) = &v.error {
                    p #decide-error .error role="alert" { (crate::layout::bilingual(lang, e)) }
                }
                form method="post" action={ (path) "/decide" } aria-labelledby="decide-title" {
                    input type="hidden" name="csrf" value=(v.nav.csrf);
                    @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                    fieldset {
                        legend { (lang.pick("同意时的修复方式", "If accepted")) }
                        label { input type="radio" name="mitigation" value="reduced" checked; " " (lang.pick("从轻（扣分减半）", "Reduced (half the deduction)")) }
                        " "
                        label { input type="radio" name="mitigation" value="exempt"; " " (lang.pick("免于惩戒（不扣分）", "Exempt (no deduction)")) }
                    }
                    @if v.takes_date {
                        p {
                            label for="decide-rectified" { (lang.pick("核实的整改完成日期", "Rectified on, as verified")) }
                            br;
                            input #decide-rectified type="date" name="rectified_on" value=(v.claimed_rectified_on.clone().unwrap_or_default());
                        }
                    }
                    p {
                        label for="decide-reason" { (lang.pick("处理意见（必填）", "Reason (required)")) }
                        br;
                        input #decide-reason type="text" name="reason" required maxlength="1000" size="60";
                    }
                    button type="submit" name="decision" value="accept" { (lang.pick("同意修复", "Accept")) }
                    " "
                    button type="submit" name="decision" value="reject" { (lang.pick("不予修复", "Reject")) }
                }
            }
        },
    )
}
