//! 两步验证 (two-factor sign-in): the code asked for after the password,
//! setting up an authenticator app (its QR code drawn here, from the
//! `otpauth://` URI, with no outside service), the recovery codes shown
//! once, and an account's own page saying where it stands.

use maud::{Markup, PreEscaped, html};

use crate::layout::{Lang, Nav, page, signed_in};

/// The code asked for after the right password.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeView {
    pub lang: Lang,
    pub csrf: String,
    pub username: String,
    /// After a wrong code: the tries left.
    pub wrong: Option<i32>,
    /// Too many failed sign-ins: the code was not checked.
    pub wait: bool,
}

/// Setting up an authenticator app: at sign-in (no navigation yet) or
/// from the account's own page.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrolView {
    pub lang: Lang,
    pub nav: Option<Nav>,
    pub csrf: String,
    pub username: String,
    /// The secret in Base32, for typing in by hand.
    pub secret: String,
    /// The `otpauth://` URI the QR code carries.
    pub uri: String,
    /// Where the code is posted.
    pub action: &'static str,
    /// The last code was wrong.
    pub wrong: bool,
    /// The security policy requires it of this role.
    pub required: bool,
}

/// The recovery codes, shown once.
#[derive(Debug, Clone, PartialEq)]
pub struct CodesView {
    pub lang: Lang,
    pub nav: Option<Nav>,
    pub codes: Vec<String>,
    /// Where to go on.
    pub next: String,
}

/// A new password, asked for when the old one expired.
#[derive(Debug, Clone, PartialEq)]
pub struct PasswordView {
    pub lang: Lang,
    pub csrf: String,
    pub username: String,
    pub min_password: usize,
    /// Why the last try was refused, "中文 / English".
    pub error: Option<String>,
}

/// The account's own page.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountView {
    pub lang: Lang,
    pub nav: Nav,
    /// Unused recovery codes, when a second factor is set up.
    pub enrolled: Option<i64>,
    /// The security policy requires two factors of this role.
    pub required: bool,
}

/// The QR code of `uri` as inline SVG (dark modules on white, with the
/// quiet zone), or nothing if the text cannot be one.
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(220, 220).quiet_zone(true).build();
    // The renderer starts with an XML declaration, which HTML does not take.
    Some(svg.find("<svg").map_or(svg.clone(), |at| svg[at..].to_string()))
}

/// The secret in groups of four, as apps ask for it.
fn grouped(secret: &str) -> String {
    secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

pub fn code(v: &CodeView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("两步验证", "Two-step verification");
    page(lang, title, "/login/code", html! {
        h1 { (title) }
        p { (lang.pick("密码正确。请输入身份验证器应用中 ", "Password accepted. Enter the code your authenticator app shows for ")) strong { (v.username) } (lang.pick(" 的 6 位验证码，或一个恢复码。", ", or one of your recovery codes.")) }
        @if v.wait { p.error role="alert" { (lang.pick("登录失败次数过多，请稍后再试。", "Too many failed sign-ins; try again in a moment.")) } }
        form method="post" action="/login/code" {
            input type="hidden" name="csrf" value=(v.csrf);
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            label for="code" { (lang.pick("验证码", "Code")) }
            @if let Some(left) = v.wrong {
                input #code type="text" name="code" required autofocus autocomplete="one-time-code" maxlength="16" aria-invalid="true" aria-describedby="code-error";
                p #code-error .error role="alert" {
                    @match lang {
                        Lang::Zh => { "验证码不正确，还可尝试 " (left) " 次。" }
                        Lang::En => { "Wrong code; " (left) " tries left." }
                    }
                }
            } @else {
                input #code type="text" name="code" required autofocus autocomplete="one-time-code" maxlength="16";
            }
            " " button type="submit" { (lang.pick("验证", "Verify")) }
        }
        p.note { (lang.pick("手机丢失且没有恢复码时，请联系系统管理员重置两步验证。", "Lost your phone and your recovery codes? Ask the system administrator to reset your two-step verification.")) }
    })
}

pub fn enrol(v: &EnrolView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("设置两步验证", "Set up two-step verification");
    let body = html! {
        h1 { (title) }
        @if v.required {
            p { (lang.pick("按安全策略，本账号须使用两步验证，设置完成后才能登录。", "The security policy requires two-step verification of this account: it signs in once this is set up.")) }
        }
        ol {
            li { (lang.pick("在手机上打开身份验证器应用（任何支持 TOTP 的应用均可），扫描下面的二维码：", "Open an authenticator app on your phone (any that supports TOTP) and scan this code:")) }
        }
        @if let Some(svg) = qr_svg(&v.uri) {
            figure.qr role="img" aria-label=(lang.pick("二维码：政信两步验证密钥", "QR code: the Zhengxin two-step verification secret")) { (PreEscaped(svg)) }
        }
        p { (lang.pick("无法扫描时，在应用中手动输入账号 ", "If you cannot scan it, enter the account ")) strong { (v.username) } (lang.pick(" 和密钥：", " and the secret by hand: ")) code { (grouped(&v.secret)) } }
        ol start="2" {
            li { (lang.pick("输入应用显示的 6 位验证码，确认设置：", "Enter the six-digit code the app shows to confirm:")) }
        }
        form method="post" action=(v.action) {
            input type="hidden" name="csrf" value=(v.csrf);
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            label for="code" { (lang.pick("验证码", "Code")) }
            @if v.wrong {
                input #code type="text" name="code" required inputmode="numeric" autocomplete="one-time-code" maxlength="8" aria-invalid="true" aria-describedby="code-error";
                p #code-error .error role="alert" { (lang.pick("验证码不正确，请核对手机时间后重试。", "Wrong code; check the phone's time and try again.")) }
            } @else {
                input #code type="text" name="code" required inputmode="numeric" autocomplete="one-time-code" maxlength="8";
            }
            " " button type="submit" { (lang.pick("确认", "Confirm")) }
        }
    };
    match &v.nav {
        Some(nav) => signed_in(lang, title, v.action, nav, body),
        None => page(lang, title, v.action, body),
    }
}

pub fn codes(v: &CodesView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("恢复码", "Recovery codes");
    let body = html! {
        h1 { (title) }
        p role="status" { strong { (lang.pick("两步验证已开启。", "Two-step verification is on.")) } }
        p { (lang.pick("以下恢复码只显示这一次。请打印或抄写后妥善保管：手机不在身边时，每个恢复码可代替验证码使用一次。", "These recovery codes are shown this once. Print or write them down and keep them safe: without your phone, each one stands in for a code once.")) }
        ul.codes { @for c in &v.codes { li { code { (c) } } } }
        p { a href=(v.next) { (lang.pick("继续", "Continue")) } }
    };
    match &v.nav {
        Some(nav) => signed_in(lang, title, "/account", nav, body),
        None => page(lang, title, "/login/enrol", body),
    }
}

pub fn account(v: &AccountView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("我的账号", "My account");
    signed_in(lang, title, "/account", &v.nav, html! {
        h1 { (title) }
        h2 { (lang.pick("两步验证", "Two-step verification")) }
        @match v.enrolled {
            Some(left) => p {
                (lang.pick("已开启。未使用的恢复码：", "On. Unused recovery codes: ")) (left)
                (lang.pick("。需要更换手机或恢复码时，请联系系统管理员重置。", ". To move to another phone or get new recovery codes, ask the system administrator to reset it."))
            },
            None => {
                p { (if v.required { lang.pick("按安全策略须开启，尚未设置。", "Required by the security policy, and not set up yet.") } else { lang.pick("未开启（可选）。", "Off (optional).") }) }
                p { a href=(crate::layout::link(lang, "/account/two-factor", "")) { (lang.pick("设置两步验证", "Set up two-step verification")) } }
            }
        }
    })
}

pub fn password(v: &PasswordView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("修改密码", "Choose a new password");
    page(lang, title, "/login/password", html! {
        h1 { (title) }
        p { strong { (v.username) } (lang.pick(" 的密码已超过安全策略规定的有效期，请设置新密码后继续。", "'s password is older than the security policy allows: choose a new one to go on.")) }
        form method="post" action="/login/password" {
            input type="hidden" name="csrf" value=(v.csrf);
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            label for="new-password" { (lang.pick("新密码", "New password")) }
            @if let Some(message) = &v.error {
                input #new-password type="password" name="password" required minlength=(v.min_password) autocomplete="new-password" aria-invalid="true" aria-describedby="password-error";
                p #password-error .error role="alert" { (crate::layout::bilingual(lang, message)) }
            } @else {
                input #new-password type="password" name="password" required minlength=(v.min_password) autocomplete="new-password";
            }
            label for="repeat-password" { (lang.pick("再次输入", "Repeat it")) }
            input #repeat-password type="password" name="repeat" required minlength=(v.min_password) autocomplete="new-password";
            " " button type="submit" { (lang.pick("保存并继续", "Save and go on")) }
        }
    })
}
