//! What more than one adapter says alike, in Chinese and English: an
//! account refusal reads the same on the users page and from `zhengxin
//! user` (each adds only what is its own: the page the field, the command
//! line its `--unit` flag). The use cases name refusals; they never word
//! them (ARCHITECTURE.md).

use crate::auth::Refusal;

/// An account or token refusal, "中文 / English".
pub fn account(r: &Refusal) -> String {
    match r {
        Refusal::BadUsername => "用户名为 1–64 个字母、数字或 . _ - / a user name is 1–64 letters, digits, '.', '_' or '-'".into(),
        Refusal::UnitNeeded => "单位用户须选择所属单位 / a unit user needs its unit".into(),
        Refusal::UnitNotAllowed => "只有单位用户属于某个单位 / only unit users belong to a unit".into(),
        Refusal::NoSuchUnit(c) => format!("没有单位 {c} / no unit {c}"),
        Refusal::Exists(u) => format!("用户 {u} 已存在 / user {u} already exists"),
        Refusal::NoSuchUser(u) => format!("没有用户 {u} / no user {u}"),
        Refusal::ShortPassword { min } => format!("密码至少 {min} 个字符 / a password needs at least {min} characters"),
        Refusal::SimplePassword { classes } => format!(
            "密码须至少包含小写字母、大写字母、数字、其他字符中的 {classes} 类 / a password mixes at least {classes} of: lower-case letters, upper-case letters, digits, other characters"
        ),
        Refusal::ReusedPassword { last } => format!("新密码不能与最近 {last} 个密码相同 / a new password must differ from the last {last}"),
        Refusal::Policy(p) => format!("{} / {p}", policy(p)),
        Refusal::PublishedPassword => "该密码是公开的演示密码，不能使用 / that password is the demo accounts' published one".into(),
        other => other.to_string(),
    }
}

/// A refused security policy, in Chinese (its `Display` is the English).
fn policy(r: &crate::auth::policy::PolicyRefusal) -> String {
    use crate::auth::policy::{MAX_PASSWORD_LENGTH, PolicyRefusal as P};
    match r {
        P::MinLength => format!("密码最短长度应为 {}–{MAX_PASSWORD_LENGTH} 个字符", crate::auth::passwords::MIN_LENGTH),
        P::Classes => "密码应包含 1–4 类字符".into(),
        P::History => "可记住 0–24 个以前的密码".into(),
        P::MaxAge => "密码有效期应为 0（不过期）或 7–3650 天".into(),
        P::Idle => "闲置退出时间应为 1–1440 分钟".into(),
        P::Inactive => "账号闲置停用天数应为 0（不停用）或 7–3650 天".into(),
        P::Network(n) => format!("{n} 不是网段（例如 10.0.0.0/8、192.168.1.5 或 fd00::/8）"),
        P::LocksOut(a) => format!("所填网段不包含本次修改的来源地址 {a}，管理员将无法登录"),
    }
}
