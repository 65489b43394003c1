//! 安全策略 (the security administrator): the rules every account signs
//! in under, changed in one form, and the rules that are fixed.

use maud::{Markup, html};

use crate::layout::{Lang, Nav, bilingual, signed_in};

/// The policy's fields as the form holds them (typed text kept after an
/// error).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyForm {
    pub password_min_length: String,
    pub password_classes: String,
    pub password_history: String,
    pub password_max_age_days: String,
    pub idle_minutes: String,
    pub inactive_days: String,
    /// One network per line.
    pub admin_networks: String,
    /// The codes of the roles that must use two factors.
    pub two_factor_roles: Vec<String>,
}

/// A rule that is not the policy's to change, in both languages.
#[derive(Debug, Clone, PartialEq)]
pub struct Fixed {
    pub zh: String,
    pub en: String,
    pub value_zh: String,
    pub value_en: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SecurityView {
    pub lang: Lang,
    pub nav: Nav,
    pub form: PolicyForm,
    /// The field a refusal is about (empty: the whole form) and its text,
    /// "中文 / English".
    pub error: Option<(String, String)>,
    /// The policy was saved.
    pub saved: bool,
    /// The address this page was asked from (networks must include it).
    pub address: String,
    /// When and by whom the policy was last set; `None`: the defaults.
    pub set_by: Option<String>,
    pub fixed: Vec<Fixed>,
    pub min_password: usize,
    pub max_password: u32,
    /// Every role: (code, 中文, English), for the two-factor choices.
    pub roles: Vec<(&'static str, &'static str, &'static str)>,
}

pub fn render(v: &SecurityView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("安全策略", "Security policy");
    let f = &v.form;
    let error_for = |field: &str| v.error.as_ref().filter(|(name, _)| name == field).map(|(_, m)| bilingual(lang, m).to_string());
    let number = |id: &str, label: &str, value: &str, min: String, max: String, hint: &str| {
        let hint_id = format!("{id}-hint");
        html! {
            label for=(id) { (label) }
            @if let Some(message) = error_for(id) {
                input id=(id) type="number" name=(id) value=(value) min=(min) max=(max) required aria-invalid="true" aria-describedby={ (id) "-error " (hint_id) };
                p id={ (id) "-error" } .error role="alert" { (message) }
            } @else {
                input id=(id) type="number" name=(id) value=(value) min=(min) max=(max) required aria-describedby=(hint_id);
            }
            p.note id=(hint_id) { (hint) }
        }
    };
    signed_in(lang, title, "/admin/security", &v.nav, html! {
        h1 { (title) }
        @if v.saved { p role="status" { strong { (lang.pick("安全策略已保存并立即生效。", "The security policy is saved and in force.")) } } }
        @if let Some(message) = error_for("") { p.error role="alert" { (message) } }
        p.note {
            @match &v.set_by {
                Some(by) => { (lang.pick("最近一次设置：", "Last set: ")) (by) }
                None => { (lang.pick("尚未设置，以下为默认策略。", "Not set yet: these are the defaults.")) }
            }
        }
        form method="post" action="/admin/security" {
            input type="hidden" name="csrf" value=(v.nav.csrf);
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            h2 { (lang.pick("密码", "Passwords")) }
            (number("password_min_length", lang.pick("最短长度（字符）", "Shortest (characters)"), &f.password_min_length, v.min_password.to_string(), v.max_password.to_string(), lang.pick("至少 8 个字符。", "At least 8.")))
            (number("password_classes", lang.pick("至少包含几类字符", "Kinds of character mixed, at least"), &f.password_classes, "1".into(), "4".into(),
                lang.pick("小写字母、大写字母、数字、其他字符（含汉字、空格）共四类。", "Of four: lower-case letters, upper-case letters, digits, anything else (a Chinese character or a space counts).")))
            (number("password_history", lang.pick("不得重复最近几个密码", "May not repeat the last"), &f.password_history, "0".into(), "24".into(),
                lang.pick("含当前密码；0 表示不限制。", "Counting the current one; 0: no limit.")))
            (number("password_max_age_days", lang.pick("密码有效期（天）", "Passwords expire after (days)"), &f.password_max_age_days, "0".into(), "3650".into(),
                lang.pick("到期后下次登录须先修改密码；0 表示不过期，否则 7–3650 天。", "Then the next sign-in changes it first; 0: never, else 7–3650 days.")))
            h2 { (lang.pick("会话与账号", "Sessions and accounts")) }
            (number("idle_minutes", lang.pick("闲置多少分钟后退出登录", "Signed out after idle minutes"), &f.idle_minutes, "1".into(), "1440".into(), lang.pick("1–1440 分钟。", "1–1440 minutes.")))
            (number("inactive_days", lang.pick("多少天未登录的账号停用", "Disable accounts unused for days"), &f.inactive_days, "0".into(), "3650".into(),
                lang.pick("在该账号下一次登录时停用；0 表示不停用，否则 7–3650 天。", "Disabled at the account's next sign-in; 0: never, else 7–3650 days.")))
            fieldset {
                legend { (lang.pick("须使用两步验证的角色（其余角色可自愿开启）", "Roles that must use two-step verification (others may choose to)")) }
                @for (code, zh, en) in &v.roles {
                    @let id = format!("two-factor-{code}");
                    input id=(id) type="checkbox" name="two_factor_roles" value=(code) checked[f.two_factor_roles.iter().any(|c| c == code)];
                    label.inline for=(id) { (lang.pick(zh, en)) }
                    " "
                }
            }
            h2 { (lang.pick("管理员登录地址", "Where administrators sign in from")) }
            label for="admin_networks" { (lang.pick("允许的网段（每行一个；留空表示不限）", "Networks allowed (one per line; empty: anywhere)")) }
            @if let Some(message) = error_for("admin_networks") {
                textarea #admin_networks name="admin_networks" rows="4" cols="40" aria-invalid="true" aria-describedby="admin_networks-error admin_networks-hint" { (f.admin_networks) }
                p #admin_networks-error .error role="alert" { (message) }
            } @else {
                textarea #admin_networks name="admin_networks" rows="4" cols="40" aria-describedby="admin_networks-hint" { (f.admin_networks) }
            }
            p.note #admin_networks-hint {
                (lang.pick("适用于系统管理员、安全管理员和审计管理员，例如 10.0.0.0/8 或 192.168.1.5。本次访问来自 ", "For the system, security and audit administrators, e.g. 10.0.0.0/8 or 192.168.1.5. This page was asked from "))
                code { (v.address) }
                (lang.pick("，所填网段必须包含它。", "; the networks must include it."))
            }
            p { button type="submit" { (lang.pick("保存", "Save")) } }
        }
        h2 { (lang.pick("固定规则", "Fixed rules")) }
        table {
            caption { (lang.pick("不在策略中设置的规则", "Rules the policy does not set")) }
            thead { tr {
                th scope="col" { (lang.pick("规则", "Rule")) }
                th scope="col" { (lang.pick("设置", "Setting")) }
            } }
            tbody { @for s in &v.fixed { tr {
                th scope="row" { (lang.pick(&s.zh, &s.en)) }
                td { (lang.pick(&s.value_zh, &s.value_en)) }
            } } }
        }
    })
}
