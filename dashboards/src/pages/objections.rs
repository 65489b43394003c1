//! 异议: the objections a user may see, with their history, and for the
//! assessment team the forms that accept or reject an open one.

use maud::{Markup, html};

use crate::layout::{Lang, Nav, encode, link, signed_in};

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectionRow {
    pub id: i64,
    pub unit_code: String,
    pub unit_name: String,
    /// The record's source (`dishonesty`…): named by its label, and part
    /// of the link to the record.
    pub source: String,
    pub record_id: String,
    pub reason: String,
    /// `open|accepted|rejected`
    pub status: String,
    pub filed_by: String,
    pub filed_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectionsView {
    pub lang: Lang,
    pub nav: Nav,
    pub rows: Vec<ObjectionRow>,
    /// The assessment team: decision forms and the rescoring form.
    pub can_decide: bool,
    /// The year the rescoring form proposes.
    pub year: i32,
}

pub(crate) fn status_label(lang: Lang, status: &str) -> &'static str {
    match status {
        "open" => lang.pick("待处理", "Open"),
        "accepted" => lang.pick("异议成立（记录已作废）", "Accepted (record voided)"),
        _ => lang.pick("异议不成立", "Rejected"),
    }
}

pub(crate) fn source_label(lang: Lang, source: &str) -> &'static str {
    match source {
        "commitments" => lang.pick("承诺事项", "Commitment"),
        "proposals" => lang.pick("建议提案", "Proposal"),
        "hotline" => lang.pick("12345热线工单", "Hotline ticket"),
        _ => lang.pick("失信记录", "Dishonesty record"),
    }
}

pub fn render(v: &ObjectionsView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("异议处理", "Objections");
    signed_in(
        lang,
        title,
        "/objections",
        &v.nav,
        html! {
            h1 { (title) }
            p.note { (lang.pick("单位可在指标明细中对造成失分的记录提出异议；考核组认定异议成立后，该记录在之后的评分中作废（记录本身保留），需重新评分生成新版本结果。",
                "A unit objects to a record that cost it points from the indicator's records page; once the assessment team accepts, the record is voided in every later scoring (the record itself is kept), and rescoring makes a new result version.")) }
            @if v.can_decide {
                form method="post" action="/score" {
                    input type="hidden" name="csrf" value=(v.nav.csrf);
                    label for="rescore-year" { (lang.pick("重新评分年度", "Year to rescore")) }
                    input #rescore-year type="text" inputmode="numeric" name="year" value=(v.year) required;
                    " " button type="submit" { (lang.pick("重新评分", "Rescore")) }
                }
            }
            @if v.rows.is_empty() {
                p.note role="status" { (lang.pick("暂无异议。", "No objections yet.")) }
            } @else {
                table {
                    caption { (lang.pick("异议及处理记录", "Objections and decisions")) }
                    thead { tr {
                        th scope="col" { "#" }
                        th scope="col" { (lang.pick("单位", "Unit")) }
                        th scope="col" { (lang.pick("记录", "Record")) }
                        th scope="col" { (lang.pick("理由", "Reason")) }
                        th scope="col" { (lang.pick("状态", "Status")) }
                        th scope="col" { (lang.pick("处理", "Decision")) }
                    } }
                    tbody {
                        @for o in &v.rows {
                            tr {
                                td.num { (o.id) }
                                td { (o.unit_name) }
                                td { (source_label(lang, &o.source)) " " a href=(record_link(lang, o)) { code { (o.record_id) } } }
                                td { (o.reason) br; small.note { (o.filed_by) " · " (o.filed_at) } }
                                td { (status_label(lang, &o.status)) }
                                td {
                                    @if let Some(by) = &o.decided_by {
                                        (o.decision_reason.clone().unwrap_or_default()) br;
                                        small.note { (by) " · " (o.decided_at.clone().unwrap_or_default()) }
                                    } @else if v.can_decide {
                                        form method="post" action={ "/objections/" (o.id) "/decide" } {
                                            input type="hidden" name="csrf" value=(v.nav.csrf);
                                            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                                            label for={ "decision-reason-" (o.id) } { (lang.pick("处理意见", "Reason for the decision")) }
                                            input id={ "decision-reason-" (o.id) } type="text" name="reason" required maxlength="1000";
                                            button type="submit" name="decision" value="accept" { (lang.pick("异议成立", "Accept")) }
                                            " "
                                            button type="submit" name="decision" value="reject" { (lang.pick("不成立", "Reject")) }
                                        }
                                    } @else {
                                        span.note { (lang.pick("等待考核组处理", "Awaiting the assessment team")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The page of a record's own objection, where its records list links.
fn record_link(lang: Lang, o: &ObjectionRow) -> String {
    link(lang, &format!("/units/{}/records/{}/{}", o.unit_code, o.source, encode(&o.record_id)), "")
}

/// The answer to a second objection while `existing` stands: what it is
/// and where to follow it, and no form (filing again cannot succeed).
pub fn standing(lang: Lang, nav: &Nav, existing: &ObjectionRow) -> Markup {
    let title = lang.pick("该记录已有异议，无需重复提出", "This record already has an objection");
    let o = existing;
    let record = html! { (source_label(lang, &o.source)) " " a href=(record_link(lang, o)) { code { (o.record_id) } } };
    signed_in(
        lang,
        title,
        "/objections",
        nav,
        html! {
            h1 { (title) }
            p.error role="alert" {
                @match (o.status.as_str(), lang) {
                    ("open", Lang::Zh) => { (record) " 已有待处理的异议 #" (o.id) "（" (o.filed_by) " 于 " (o.filed_at) " 提出），考核组处理前不能再次提出。" }
                    ("open", Lang::En) => { (record) " already has objection #" (o.id) ", filed by " (o.filed_by) " on " (o.filed_at) " and still open: it cannot be filed again before the assessment team decides." }
                    (_, Lang::Zh) => { (record) " 的异议 #" (o.id) " 已于 " (o.decided_at.clone().unwrap_or_default()) " 认定成立，该记录已作废（重新评分后生效）。" }
                    (_, Lang::En) => { (record) ": objection #" (o.id) " was accepted on " (o.decided_at.clone().unwrap_or_default()) " and the record is voided (from the next scoring on)." }
                }
            }
            p { a href=(link(lang, "/objections", "")) { (lang.pick("查看异议处理情况", "See the objections and their decisions")) } }
        },
    )
}

/// A form page shown again after bad input, with the message next to the
/// field and what was typed kept.
pub fn form_error(lang: Lang, nav: &Nav, action: &str, hidden: &[(&str, String)], field: &str, typed: &str, message: &str) -> Markup {
    signed_in(
        lang,
        lang.pick("请修改后重新提交", "Please correct and resubmit"),
        action,
        nav,
        html! {
            h1 { (lang.pick("请修改后重新提交", "Please correct and resubmit")) }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(nav.csrf);
                @for (name, value) in hidden { input type="hidden" name=(name) value=(value); }
                label for="field" { (lang.pick("理由", "Reason")) }
                input #field type="text" name=(field) value=(typed) required maxlength="1000" aria-describedby="field-error" aria-invalid="true";
                p #field-error .error role="alert" { (crate::layout::bilingual(lang, message)) }
                button type="submit" { (lang.pick("提交", "Submit")) }
            }
        },
    )
}
