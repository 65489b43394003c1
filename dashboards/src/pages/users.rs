//! 用户管理 (the administrator): every account with its role and unit;
//! adding one, setting a new password, disabling and enabling one.
//! Nothing is deleted.

use maud::{Markup, html};

use crate::layout::{Lang, Nav, bilingual, signed_in};

#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub username: String,
    /// `leader|assessor|unit|personnel|admin`
    pub role: String,
    pub unit: Option<String>,
    pub disabled: bool,
    /// Sign-in is throttled after failed attempts: (failures, seconds to wait).
    pub locked: Option<(u32, u64)>,
    /// Signs in with a second factor.
    pub two_factor: bool,
    /// Changed on this page; `false`: the security or audit
    /// administrator's account, changed only from the server's console.
    pub managed: bool,
}

/// A form's bad input: which form and field, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct FormError {
    /// `add`, or the user name whose password form failed.
    pub form: String,
    pub field: String,
    pub message: String,
}

/// What was typed into the add form, kept after an error (never the password).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Typed {
    pub username: String,
    pub role: String,
    pub unit_code: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UsersView {
    pub lang: Lang,
    pub nav: Nav,
    pub users: Vec<UserRow>,
    /// Units for the add form: (code, name).
    pub units: Vec<(String, String)>,
    /// What the last action did, for the status line.
    pub notice: Option<String>,
    pub error: Option<FormError>,
    pub typed: Typed,
    pub min_password: usize,
    /// Every role an account may have, in the add form's order; the server
    /// hands them over, so a new role needs no change here.
    pub roles: Vec<RoleName>,
}

/// A role's code and names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleName {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    /// Offered by the add form (the server says which).
    pub addable: bool,
}

fn role_label<'a>(lang: Lang, roles: &'a [RoleName], code: &str) -> &'a str {
    roles.iter().find(|r| r.code == code).map_or_else(|| lang.pick("未知角色", "Unknown role"), |r| lang.pick(r.zh, r.en))
}

pub fn render(v: &UsersView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("用户管理", "Users");
    let error_for = |form: &str, field: &str| v.error.as_ref().filter(|e| e.form == form && e.field == field).map(|e| bilingual(lang, &e.message).to_string());
    signed_in(lang, title, "/admin/users", &v.nav, html! {
        h1 { (title) }
        @if let Some(notice) = &v.notice { p role="status" { strong { (bilingual(lang, notice)) } } }
        @if let Some(e) = v.error.as_ref().filter(|e| e.field.is_empty()) { p.error role="alert" { (bilingual(lang, &e.message)) } }
        table {
            caption { (lang.pick("全部用户", "All users")) " (" (v.users.len()) ")" }
            thead { tr {
                th scope="col" { (lang.pick("用户名", "User name")) }
                th scope="col" { (lang.pick("角色", "Role")) }
                th scope="col" { (lang.pick("所属单位", "Unit")) }
                th scope="col" { (lang.pick("状态", "Status")) }
                th scope="col" { (lang.pick("操作", "Actions")) }
            } }
            tbody { @for u in &v.users { tr {
                th scope="row" { (u.username) }
                td { (role_label(lang, &v.roles, &u.role)) }
                td { (u.unit.clone().unwrap_or_else(|| "–".into())) }
                td {
                    @if u.disabled { span.note { (lang.pick("已停用", "Disabled")) } } @else { (lang.pick("启用", "Enabled")) }
                    @if u.two_factor {
                        br;
                        (lang.pick("两步验证已开启", "Two-step verification on"))
                        @if u.managed { form method="post" action={ "/admin/users/" (u.username) "/two-factor/reset" } {
                            input type="hidden" name="csrf" value=(v.nav.csrf);
                            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                            button type="submit" { (lang.pick("重置两步验证", "Reset two-step verification")) }
                        } }
                    }
                    @if let Some((failures, wait)) = u.locked {
                        br;
                        strong.error {
                            @match lang {
                                Lang::Zh => { "登录已锁定：连续失败 " (failures) " 次，" (wait) " 秒后可再试" },
                                Lang::En => { "Sign-in locked: " (failures) " failures, next attempt in " (wait) " s" },
                            }
                        }
                        @if u.managed { form method="post" action={ "/admin/users/" (u.username) "/unlock" } {
                            input type="hidden" name="csrf" value=(v.nav.csrf);
                            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                            button type="submit" { (lang.pick("解除锁定", "Unlock")) }
                        } }
                    }
                }
                td { @if !u.managed {
                    span.note { (lang.pick("由服务器命令行管理（zhengxin user）", "Managed on the server's console (zhengxin user)")) }
                } @else if u.disabled {
                    form method="post" action={ "/admin/users/" (u.username) "/enable" } {
                        input type="hidden" name="csrf" value=(v.nav.csrf);
                        @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                        button type="submit" { (lang.pick("重新启用", "Enable")) }
                    }
                } @else {
                    form method="post" action={ "/admin/users/" (u.username) "/password" } {
                        input type="hidden" name="csrf" value=(v.nav.csrf);
                        @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                        @let id = format!("password-{}", u.username);
                        label for=(id) { (lang.pick("新密码", "New password")) }
                        @if let Some(message) = error_for(&u.username, "password") {
                            input id=(id) type="password" name="password" required minlength=(v.min_password) autocomplete="new-password" aria-invalid="true" aria-describedby={ (id) "-error" };
                            p id={ (id) "-error" } .error role="alert" { (message) }
                        } @else {
                            input id=(id) type="password" name="password" required minlength=(v.min_password) autocomplete="new-password";
                        }
                        " " button type="submit" { (lang.pick("设置密码", "Set password")) }
                    }
                    @if u.username != v.nav.username {
                        form method="post" action={ "/admin/users/" (u.username) "/disable" } {
                            input type="hidden" name="csrf" value=(v.nav.csrf);
                            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                            button type="submit" { (lang.pick("停用", "Disable")) }
                        }
                    }
                } }
            } } }
        }
        h2 { (lang.pick("新增用户", "Add a user")) }
        form method="post" action="/admin/users" {
            input type="hidden" name="csrf" value=(v.nav.csrf);
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            (field("username", lang.pick("用户名", "User name"), error_for("add", "username"), html! {
                input #username type="text" name="username" value=(v.typed.username) required maxlength="64" pattern="[A-Za-z0-9._-]+" autocomplete="off";
            }))
            label for="role" { (lang.pick("角色", "Role")) }
            select #role name="role" {
                @for role in v.roles.iter().filter(|r| r.addable) { option value=(role.code) selected[v.typed.role == role.code] { (lang.pick(role.zh, role.en)) } }
            }
            (field("unit_code", lang.pick("所属单位（仅被考核单位用户）", "Unit (unit users only)"), error_for("add", "unit_code"), html! {
                select #unit_code name="unit_code" {
                    option value="" { "–" }
                    @for (code, name) in &v.units { option value=(code) selected[v.typed.unit_code == *code] { (code) " " (name) } }
                }
            }))
            (field("new-password", lang.pick("初始密码", "Initial password"), error_for("add", "password"), html! {
                input #new-password type="password" name="password" required minlength=(v.min_password) autocomplete="new-password";
            }))
            p.note { (lang.pick("密码至少 ", "Passwords have at least ")) (v.min_password) (lang.pick(" 个字符。", " characters.")) }
            p { button type="submit" { (lang.pick("新增", "Add")) } }
        }
    })
}

/// A labelled field with its error message beneath when there is one.
fn field(id: &str, label: &str, error: Option<String>, input: Markup) -> Markup {
    html! {
        label for=(id) { (label) }
        (input)
        @if let Some(message) = error { p id={ (id) "-error" } .error role="alert" { (message) } }
    }
}
