//! 审计日志 (the audit administrator): the log's entries filtered by
//! time, actor, action and object, newest first, a page at a time; a CSV
//! of what the filter matches; and the chain's verification.

use maud::{Markup, html};

use crate::layout::{Lang, Nav, encode, link, signed_in};
use crate::parts::count;

/// What the filter form holds, as typed (dates as `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    pub from: String,
    pub to: String,
    pub actor: String,
    pub action: String,
    pub object: String,
}

impl Filter {
    /// The filter as a query string (encoded, without `?`), for the pages'
    /// links and the CSV's.
    pub fn query(&self) -> String {
        [("from", &self.from), ("to", &self.to), ("actor", &self.actor), ("action", &self.action), ("object", &self.object)]
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// One entry as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_key: String,
    pub detail: String,
}

/// What a verification of the chain found.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub entries: u64,
    pub head: String,
    /// The first problem, in plain words; `None`: the chain is whole.
    pub problem: Option<String>,
    /// Entries keyed under a lost key: linked, contents not checkable.
    pub unverifiable: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditView {
    pub lang: Lang,
    pub nav: Nav,
    pub filter: Filter,
    /// A filter field that could not be read (`from` or `to`) and why.
    pub error: Option<(String, String)>,
    pub entries: Vec<Entry>,
    pub matching: i64,
    pub page: i64,
    pub pages: i64,
    /// Every action the log holds, for the filter's choices.
    pub actions: Vec<String>,
    /// The oldest entry's time, if any.
    pub oldest: Option<String>,
    pub kept_days: i64,
    pub verified: Option<Verified>,
}

pub fn render(v: &AuditView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("审计日志", "Audit log");
    let f = &v.filter;
    let error_for = |field: &str| v.error.as_ref().filter(|(name, _)| name == field).map(|(_, m)| m.clone());
    let date = |id: &str, name: &str, label: &str, value: &str| {
        html! {
            label for=(id) { (label) }
            @if let Some(message) = error_for(name) {
                input id=(id) type="date" name=(name) value=(value) aria-invalid="true" aria-describedby={ (id) "-error" };
                p id={ (id) "-error" } .error role="alert" { (message) }
            } @else {
                input id=(id) type="date" name=(name) value=(value);
            }
        }
    };
    let query = f.query();
    let page_link = |page: i64| {
        let q = if query.is_empty() { format!("page={page}") } else { format!("{query}&page={page}") };
        link(lang, "/admin/audit", &q)
    };
    signed_in(lang, title, "/admin/audit", &v.nav, html! {
        h1 { (title) }
        p.note {
            @match lang {
                Lang::Zh => { "日志只增不改：任何条目都不能修改，保存不足 " (v.kept_days) " 天的条目任何人都不能删除。" }
                Lang::En => { "The log is append-only: no entry can be changed, and none younger than " (v.kept_days) " days can be removed, by anyone." }
            }
            @if let Some(oldest) = &v.oldest { " " (lang.pick("最早的条目：", "Oldest entry: ")) (oldest) }
        }
        h2 { (lang.pick("完整性验证", "Integrity")) }
        @if let Some(check) = &v.verified {
            @if let Some(problem) = &check.problem {
                p.error role="alert" { strong { (lang.pick("审计链不完整：", "The chain is broken: ")) } (problem) }
            } @else {
                p role="status" {
                    strong { (lang.pick("审计链完整", "The chain is whole")) }
                    @match lang {
                        Lang::Zh => { "：已核验 " (count(check.entries)) " 条，链头 " }
                        Lang::En => { ": " (count(check.entries)) " entries checked, head " }
                    }
                    code { (check.head) }
                    @if check.unverifiable > 0 {
                        @match lang {
                            Lang::Zh => { "；其中 " (check.unverifiable) " 条的密钥已丢失，内容无法核验" }
                            Lang::En => { "; " (check.unverifiable) " of them were keyed under a lost key and cannot be checked" }
                        }
                    }
                }
            }
        }
        form method="post" action="/admin/audit/verify" {
            input type="hidden" name="csrf" value=(v.nav.csrf);
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            button type="submit" { (lang.pick("验证审计链", "Verify the chain")) }
        }
        h2 { (lang.pick("检索", "Search")) }
        form method="get" action="/admin/audit" {
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            (date("f-from", "from", lang.pick("起始日期", "From"), &f.from))
            (date("f-to", "to", lang.pick("截止日期（含）", "To (inclusive)"), &f.to))
            label for="f-actor" { (lang.pick("操作人", "Actor")) }
            input #f-actor type="text" name="actor" value=(f.actor) maxlength="128";
            label for="f-action" { (lang.pick("操作", "Action")) }
            select #f-action name="action" {
                option value="" { (lang.pick("全部", "All")) }
                @for a in &v.actions { option value=(a) selected[*a == f.action] { (a) } }
            }
            label for="f-object" { (lang.pick("对象（表名或编号）", "Object (table or key)")) }
            input #f-object type="text" name="object" value=(f.object) maxlength="256";
            " " button type="submit" { (lang.pick("检索", "Search")) }
        }
        p { a href=(link(lang, "/admin/audit/audit.csv", &query)) { (lang.pick("下载所选条目（CSV）", "Download the matching entries (CSV)")) } }
        @if v.entries.is_empty() {
            p.note role="status" { (lang.pick("没有符合条件的条目。", "No entry matches.")) }
        } @else {
            div.scroll role="region" tabindex="0" aria-label=(title) { table {
                caption {
                    @match lang {
                        Lang::Zh => { (count(v.matching as u64)) " 条 · 第 " (v.page) " 页，共 " (v.pages) " 页" }
                        Lang::En => { (count(v.matching as u64)) " entries · page " (v.page) " of " (v.pages) }
                    }
                }
                thead { tr {
                    th scope="col" { "#" }
                    th scope="col" { (lang.pick("时间", "Time")) }
                    th scope="col" { (lang.pick("操作人", "Actor")) }
                    th scope="col" { (lang.pick("操作", "Action")) }
                    th scope="col" { (lang.pick("对象", "Object")) }
                    th scope="col" { (lang.pick("内容", "Detail")) }
                } }
                tbody { @for e in &v.entries { tr {
                    th scope="row" { (e.id) }
                    td { (e.at) }
                    td { (e.actor) }
                    td { (e.action) }
                    td { (e.entity) " " (e.entity_key) }
                    td { code { (e.detail) } }
                } } }
            } }
            @if v.pages > 1 {
                nav aria-label=(lang.pick("翻页", "Pages")) {
                    @if v.page > 1 { a href=(page_link(v.page - 1)) { (lang.pick("上一页", "Previous")) } " " }
                    @if v.page < v.pages { a href=(page_link(v.page + 1)) { (lang.pick("下一页", "Next")) } }
                }
            }
        }
    })
}
