//! 公务人员诚信档案: the personnel office's look-up of one person's
//! records across all units, with the appointment check, each look-up
//! with a stated purpose.

use maud::{Markup, html};

use crate::layout::{Lang, Nav, signed_in};

/// One record of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRecordRow {
    pub id: String,
    pub kind: String,
    pub unit_name: String,
    pub occurred_on: String,
    pub mitigation: String,
    pub repair: String,
    pub objection: String,
    pub voided: bool,
    /// One of the records that restrict.
    pub restricts: bool,
}

/// The answer to one look-up.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonFile {
    pub person_ref: String,
    /// What the look-up is for, in words (任用审查, 晋升, 评优评先, or the
    /// text given for another purpose): the check's heading.
    pub purpose: String,
    /// Any record carries the reference.
    pub found: bool,
    pub records: Vec<PersonRecordRow>,
    pub restricted: bool,
    pub lookback: String,
    pub since: String,
    pub today: String,
    pub advice: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PersonsView {
    pub lang: Lang,
    pub nav: Nav,
    /// (code, label) of each purpose.
    pub purposes: Vec<(String, String)>,
    /// What was asked: reference, purpose code, other text.
    pub asked: (String, String, String),
    pub error: Option<String>,
    pub file: Option<PersonFile>,
}

pub fn render(v: &PersonsView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("公务人员诚信档案", "Civil servants' integrity files");
    signed_in(
        lang,
        title,
        "/persons",
        &v.nav,
        html! {
            h1 { (title) }
            p.note { (lang.pick(
                "每次查询须说明用途，查询人、用途、人员编号和时间均记入审计日志。人员以编号标识，不含姓名和身份证号。",
                "Every look-up states its purpose; the user, purpose, person reference and time go into the audit log. A person is known by a reference, never a name or ID number.")) }
            // A POST: the person reference stays out of addresses, browser
            // history and proxies' logs.
            form method="post" action="/persons" {
                input type="hidden" name="csrf" value=(v.nav.csrf);
                @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                p {
                    label for="person-ref" { (lang.pick("人员编号", "Person reference")) }
                    br;
                    input #person-ref type="text" name="ref" value=(v.asked.0) required maxlength="64";
                }
                p {
                    label for="person-purpose" { (lang.pick("查询用途", "Purpose")) }
                    br;
                    select #person-purpose name="purpose" required {
                        option value="" { (lang.pick("请选择", "Choose")) }
                        @for (code, label) in &v.purposes {
                            option value=(code) selected[*code == v.asked.1] { (label) }
                        }
                    }
                    " "
                    label for="person-purpose-text" { (lang.pick("其他用途说明", "Other purpose")) }
                    " "
                    input #person-purpose-text type="text" name="purpose_text" value=(v.asked.2) maxlength="200";
                }
                button type="submit" { (lang.pick("查询", "Look up")) }
            }
            @if let Some(e) = &v.error {
                p.error role="alert" { (crate::layout::bilingual(lang, e)) }
            }
            @if let Some(f) = &v.file {
                section aria-labelledby="check-title" {
                    h2 #check-title { (f.purpose) " · " (lang.pick("审查意见", "check")) " · " code { (f.person_ref) } }
                    @if !f.found {
                        p.verdict.unknown role="status" {
                            span.icon aria-hidden="true" { "?" } " "
                            strong { (lang.pick("未找到档案", "No file found")) } " — "
                            (lang.pick(
                                "本系统没有任何记录使用此人员编号。请先核对编号是否有误；编号无误时，表示本系统未收录该人员的失信记录，不能据此作出“不受限”的结论。",
                                "no record in this system carries this reference. Check it for a typing error first; if it is right, this system holds no records of the person, which is not a finding of “not restricted”."))
                        }
                    } @else if f.restricted {
                        p.verdict.restricted role="status" {
                            span.icon aria-hidden="true" { "✕" } " "
                            strong { (lang.pick("受限", "Restricted")) } " — "
                            (lang.pick(&format!("{} 至 {} 期间（回溯 {}）有未免于惩戒的纪律处分或问责处理，见下表标“致限”的记录。", f.since, f.today, f.lookback),
                                &format!("a discipline or accountability record not exempted between {} and {} (look-back {}); see the records marked “restricts” below.", f.since, f.today, f.lookback)))
                        }
                    } @else {
                        p.verdict.clear role="status" {
                            span.icon aria-hidden="true" { "✓" } " "
                            strong { (lang.pick("不受限", "Not restricted")) } " — "
                            (lang.pick(&format!("{} 至 {} 期间（回溯 {}）无致限记录。", f.since, f.today, f.lookback),
                                &format!("no restricting record between {} and {} (look-back {}).", f.since, f.today, f.lookback)))
                        }
                    }
                    p.note { (crate::layout::bilingual(lang, &f.advice)) }
                }
                h2 { (lang.pick("档案记录", "Records")) }
                @if f.records.is_empty() {
                    p.note { (lang.pick("无使用此编号的记录。", "No record carries this reference.")) }
                } @else {
                    table.records {
                        thead { tr {
                            th scope="col" { (lang.pick("记录", "Record")) }
                            th scope="col" { (lang.pick("类型", "Type")) }
                            th scope="col" { (lang.pick("单位", "Unit")) }
                            th scope="col" { (lang.pick("发生日期", "Occurred")) }
                            th scope="col" { (lang.pick("从轻/免于惩戒", "Mitigation")) }
                            th scope="col" { (lang.pick("信用修复", "Repair")) }
                            th scope="col" { (lang.pick("异议", "Objection")) }
                        } }
                        tbody {
                            @for r in &f.records {
                                tr.voided[r.voided] {
                                    td { code { (r.id) } @if r.restricts { " " strong { (lang.pick("致限", "restricts")) } } }
                                    td { (r.kind) }
                                    td { (r.unit_name) }
                                    td { (r.occurred_on) }
                                    td { (r.mitigation) }
                                    td { (r.repair) }
                                    td { (r.objection) @if r.voided { " · " strong { (lang.pick("已作废", "voided")) } } }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
