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
        other => other.to_string(),
    }
}
