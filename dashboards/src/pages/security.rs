//! 安全策略 (the security administrator): the rules every account signs
//! in under.

use maud::{Markup, html};

use crate::layout::{Lang, Nav, signed_in};

/// One rule of the policy and its value, in both languages.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub zh: String,
    pub en: String,
    pub value_zh: String,
    pub value_en: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SecurityView {
    pub lang: Lang,
    pub nav: Nav,
    pub settings: Vec<Setting>,
}

pub fn render(v: &SecurityView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("安全策略", "Security policy");
    signed_in(lang, title, "/admin/security", &v.nav, html! {
        h1 { (title) }
        table {
            caption { (lang.pick("现行策略", "The policy in force")) }
            thead { tr {
                th scope="col" { (lang.pick("规则", "Rule")) }
                th scope="col" { (lang.pick("设置", "Setting")) }
            } }
            tbody { @for s in &v.settings { tr {
                th scope="row" { (lang.pick(&s.zh, &s.en)) }
                td { (lang.pick(&s.value_zh, &s.value_en)) }
            } } }
        }
    })
}
