//! The sign-in form.

use maud::{Markup, html};

use crate::layout::{Lang, page};

#[derive(Debug, Clone, PartialEq)]
pub struct LoginView {
    pub lang: Lang,
    /// The CSRF token the form carries.
    pub csrf: String,
    /// What was typed, kept after a failed attempt.
    pub username: String,
    pub failed: bool,
    /// Where to go afterwards.
    pub next: String,
}

pub fn render(view: &LoginView) -> Markup {
    let lang = view.lang;
    let title = lang.pick("登录", "Sign in");
    page(
        lang,
        title,
        "/login",
        html! {
            h1 { (title) }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(view.csrf);
                input type="hidden" name="next" value=(view.next);
                input type="hidden" name="lang" value=(if lang == Lang::En { "en" } else { "zh" });
                label for="username" { (lang.pick("用户名", "User name")) }
                input #username type="text" name="username" value=(view.username) autocomplete="username" required autofocus;
                label for="password" { (lang.pick("密码", "Password")) }
                input #password type="password" name="password" autocomplete="current-password" required
                    aria-describedby=[view.failed.then_some("login-error")];
                @if view.failed {
                    p #login-error .error role="alert" { (lang.pick("用户名或密码不正确，或账号已停用。", "Wrong user name or password, or the account is disabled.")) }
                }
                p { button type="submit" { (title) } }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_attempt_keeps_the_name_and_says_why_next_to_the_field() {
        let html = render(&LoginView {
            lang: Lang::Zh,
            csrf: "t0k".into(),
            username: "wang<script>".into(),
            failed: true,
            next: "/units/330302".into(),
        })
        .into_string();
        assert!(html.contains("name=\"csrf\" value=\"t0k\""));
        assert!(html.contains("value=\"wang&lt;script&gt;\""), "escaped");
        assert!(html.contains("aria-describedby=\"login-error\"") && html.contains("用户名或密码不正确"));
    }
}
