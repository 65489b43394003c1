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
    /// Why the last attempt did not sign in, if it did not.
    pub problem: Option<LoginProblem>,
    /// Where to go afterwards.
    pub next: String,
}

/// Why an attempt to sign in did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginProblem {
    /// Wrong name or password, or a disabled account (not told apart).
    Refused,
    /// Too many failed attempts: the next is checked after this many seconds.
    Wait(u64),
    /// Too many sign-ins at once: try again in a moment.
    Busy,
    /// The right password, but the account was unused for longer than the
    /// security policy allows: it is disabled now.
    Inactive,
    /// The right password, but an administrator's account from an address
    /// outside the networks the security policy allows.
    Network,
}

fn problem_text(lang: Lang, problem: LoginProblem) -> String {
    match problem {
        LoginProblem::Refused => lang.pick("用户名或密码不正确，或账号已停用。", "Wrong user name or password, or the account is disabled.").to_string(),
        LoginProblem::Wait(seconds) => match lang {
            Lang::Zh => format!("登录失败次数过多，请 {seconds} 秒后再试。"),
            Lang::En => format!("Too many failed sign-ins; try again in {seconds} s."),
        },
        LoginProblem::Busy => lang.pick("登录请求过多，请稍后再试。", "Too many sign-ins at once; try again in a moment.").to_string(),
        LoginProblem::Inactive => lang
            .pick("账号长期未使用，已按安全策略停用，请联系系统管理员重新启用。", "The account was unused for too long and is now disabled under the security policy; ask the system administrator to enable it.")
            .to_string(),
        LoginProblem::Network => lang.pick("按安全策略，管理员账号不能从此地址登录。", "Under the security policy, an administrator cannot sign in from this address.").to_string(),
    }
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
                    aria-describedby=[view.problem.map(|_| "login-error")];
                @if let Some(problem) = view.problem {
                    p #login-error .error role="alert" { (problem_text(lang, problem)) }
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
            problem: Some(LoginProblem::Refused),
            next: "/units/330302".into(),
        })
        .into_string();
        assert!(html.contains("name=\"csrf\" value=\"t0k\""));
        assert!(html.contains("value=\"wang&lt;script&gt;\""), "escaped");
        assert!(html.contains("aria-describedby=\"login-error\"") && html.contains("用户名或密码不正确"));
    }

    #[test]
    fn a_throttled_attempt_says_how_long_to_wait() {
        let view = |lang, problem| {
            render(&LoginView { lang, csrf: "t".into(), username: "wang".into(), problem: Some(problem), next: "/".into() }).into_string()
        };
        assert!(view(Lang::Zh, LoginProblem::Wait(16)).contains("请 16 秒后再试"));
        assert!(view(Lang::En, LoginProblem::Wait(16)).contains("try again in 16 s"));
        assert!(view(Lang::En, LoginProblem::Busy).contains("Too many sign-ins at once"));
    }
}
