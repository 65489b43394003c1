//! The security policy (安全策略), set by the security administrator
//! alone: the password rules, how long an idle session lives, when an
//! unused account is disabled, and the networks the three administrators
//! may sign in from (GB/T 22239-2019 level 3, 身份鉴别 and 访问控制).
//!
//! One policy per install, stored as a JSON document in the install's
//! settings; with none stored, [`Policy::default_for`] applies. Every
//! change is checked whole ([`Policy::check`]) and audited with the
//! policy before and after.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::{AuthError, Role};
use crate::db::Db;
use crate::db::audit::AuditLog;

/// The rules every account signs in under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The shortest password, in characters ([`super::passwords::MIN_LENGTH`]
    /// at the least).
    pub password_min_length: u32,
    /// How many of the four kinds of character (lower-case, upper-case,
    /// digits, anything else: a Chinese character or a space counts as the
    /// last) a password mixes at the least.
    pub password_classes: u32,
    /// A new password may not be any of the account's last this many.
    pub password_history: u32,
    /// A password this many days old must be changed at the next sign-in
    /// before a session opens; 0: never. A policy stored before this rule
    /// existed gets the default.
    #[serde(default = "max_age_by_default")]
    pub password_max_age_days: u32,
    /// A session unused for this many minutes ends.
    pub idle_minutes: u32,
    /// An account not signed in to for this many days (counted from its
    /// creation if never) is disabled at its next sign-in; 0: never.
    pub inactive_days: u32,
    /// The networks the three administrators may sign in from; empty:
    /// anywhere.
    pub admin_networks: Vec<IpNet>,
    /// The roles that must sign in with two factors (`auth::totp`); the
    /// others may. A policy stored before this rule existed gets the
    /// default.
    #[serde(default = "two_factor_by_default")]
    pub two_factor_roles: Vec<Role>,
}

fn max_age_by_default() -> u32 {
    90
}

/// Who must use two factors unless the policy says otherwise: the
/// assessment team, the personnel office and the three administrators,
/// the accounts that decide, see personal files or hold the keys.
fn two_factor_by_default() -> Vec<Role> {
    vec![Role::Assessor, Role::Personnel, Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin]
}

/// Why a policy is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyRefusal {
    #[error("the shortest password is {min}–{max} characters", min = super::passwords::MIN_LENGTH, max = MAX_PASSWORD_LENGTH)]
    MinLength,
    #[error("a password mixes 1–4 kinds of character")]
    Classes,
    #[error("0–24 earlier passwords are remembered")]
    History,
    #[error("a password expires after 0 (never) or 7–3650 days")]
    MaxAge,
    #[error("an idle session lives 1–1440 minutes")]
    Idle,
    #[error("an unused account is disabled after 0 (never) or 7–3650 days")]
    Inactive,
    #[error("{0} is not a network (write 10.0.0.0/8, 192.168.1.5 or fd00::/8)")]
    Network(String),
    #[error("the networks leave out {0}, the address this change comes from: the administrators would be locked out")]
    LocksOut(IpAddr),
}

/// The longest password the policy may ask for at the least.
pub const MAX_PASSWORD_LENGTH: u32 = 64;

/// The settings key the policy is stored under.
pub const SETTING: &str = "security_policy";

impl Policy {
    /// The policy of an install whose security administrator has set none:
    /// level 3's usual rules, and the idle time `serve` was given.
    pub fn default_for(idle_minutes: u32) -> Policy {
        Policy {
            password_min_length: super::passwords::MIN_LENGTH as u32,
            password_classes: 2,
            password_history: 5,
            password_max_age_days: max_age_by_default(),
            idle_minutes,
            inactive_days: 90,
            admin_networks: Vec::new(),
            two_factor_roles: two_factor_by_default(),
        }
    }

    /// The first rule this policy breaks, if any. `from` is the address
    /// the change comes from: networks that leave it out are refused, so
    /// no one locks the administrators out by a typing slip.
    pub fn check(&self, from: Option<IpAddr>) -> Result<(), PolicyRefusal> {
        if !(super::passwords::MIN_LENGTH as u32..=MAX_PASSWORD_LENGTH).contains(&self.password_min_length) {
            return Err(PolicyRefusal::MinLength);
        }
        if !(1..=4).contains(&self.password_classes) {
            return Err(PolicyRefusal::Classes);
        }
        if self.password_history > 24 {
            return Err(PolicyRefusal::History);
        }
        if self.password_max_age_days != 0 && !(7..=3650).contains(&self.password_max_age_days) {
            return Err(PolicyRefusal::MaxAge);
        }
        if !(1..=1440).contains(&self.idle_minutes) {
            return Err(PolicyRefusal::Idle);
        }
        if self.inactive_days != 0 && !(7..=3650).contains(&self.inactive_days) {
            return Err(PolicyRefusal::Inactive);
        }
        if let Some(address) = from
            && !self.admits(Role::SecurityAdmin, address)
        {
            return Err(PolicyRefusal::LocksOut(address));
        }
        Ok(())
    }

    /// Parses networks typed one per line or separated by commas or
    /// spaces; a bare address is a network of one.
    pub fn parse_networks(text: &str) -> Result<Vec<IpNet>, PolicyRefusal> {
        text.split([',', '\n', '\r', ' ', '\t', '，'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<IpNet>().or_else(|_| s.parse::<IpAddr>().map(IpNet::from)).map_err(|_| PolicyRefusal::Network(s.chars().take(64).collect())))
            .collect()
    }

    /// Whether `role` may sign in from `address`: the administrators only
    /// from the networks, everyone else from anywhere.
    pub fn admits(&self, role: Role, address: IpAddr) -> bool {
        !role.is_administrator() || self.admin_networks.is_empty() || self.admin_networks.iter().any(|n| n.contains(&canonical(address)))
    }

    /// The first password rule `password` breaks, if any (the history is
    /// checked against the stored hashes by `users`).
    pub fn password_refusal(&self, password: &str) -> Option<super::Refusal> {
        if password.chars().count() < self.password_min_length as usize {
            return Some(super::Refusal::ShortPassword { min: self.password_min_length as usize });
        }
        if classes(password) < self.password_classes {
            return Some(super::Refusal::SimplePassword { classes: self.password_classes });
        }
        None
    }
}

/// An IPv4 address carried in IPv6 (`::ffff:10.0.0.1`, how a dual-stack
/// socket reports it) as the IPv4 address it is.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// How many kinds of character `password` mixes.
pub fn classes(password: &str) -> u32 {
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    kinds.iter().filter(|k| **k).count() as u32
}

/// The policy in force: the stored one, or the default for `idle_minutes`.
pub async fn current(db: &Db, idle_minutes: u32) -> Result<Policy, AuthError> {
    match crate::db::settings::read(db, SETTING).await? {
        Some(json) => serde_json::from_str(&json).map_err(|e| AuthError::Db(crate::db::DbError::Corrupt(format!("{SETTING}: {e}")))),
        None => Ok(Policy::default_for(idle_minutes)),
    }
}

/// When and by whom the policy was last set, if ever.
pub async fn last_set(db: &Db) -> Result<Option<(chrono::NaiveDateTime, String)>, AuthError> {
    Ok(crate::db::audit::review::newest(db, "security_policy_set", "install_settings", SETTING).await?)
}

/// Replaces the policy, checked whole, with its audit entry (before and
/// after) in the same transaction.
pub async fn set(db: &Db, before: &Policy, policy: &Policy, actor: &str, from: IpAddr) -> Result<(), AuthError> {
    policy.check(Some(from)).map_err(|r| AuthError::Refused(super::Refusal::Policy(r)))?;
    let json = serde_json::to_string(policy).map_err(|e| AuthError::Hash(e.to_string()))?;
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    crate::db::settings::write(&mut tx, SETTING, &json).await?;
    // Sessions the new policy would not have opened end now (the actor's
    // own excepted): those of roles newly held to two factors, without
    // one, and the administrators' when their networks change.
    let mut ended = 0;
    for role in policy.two_factor_roles.iter().filter(|r| !before.two_factor_roles.contains(r)) {
        ended += crate::db::accounts::end_sessions_of_role(&mut tx, role.code(), actor, true).await?;
    }
    if policy.admin_networks != before.admin_networks && !policy.admin_networks.is_empty() {
        for role in Role::ALL.into_iter().filter(|r| r.is_administrator()) {
            ended += crate::db::accounts::end_sessions_of_role(&mut tx, role.code(), actor, false).await?;
        }
    }
    let detail = serde_json::json!({ "before": before, "after": policy, "address": from.to_string(), "sessions_ended": ended });
    audit.record(actor, "security_policy_set", "install_settings", SETTING, detail);
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_policy_is_checked_whole() {
        let ok = Policy::default_for(30);
        assert_eq!(ok.check(None), Ok(()));
        let with = |change: fn(&mut Policy)| {
            let mut p = ok.clone();
            change(&mut p);
            p.check(None)
        };
        assert_eq!(with(|p| p.password_min_length = 7), Err(PolicyRefusal::MinLength));
        assert_eq!(with(|p| p.password_min_length = 65), Err(PolicyRefusal::MinLength));
        assert_eq!(with(|p| p.password_min_length = 64), Ok(()));
        assert_eq!(with(|p| p.password_classes = 0), Err(PolicyRefusal::Classes));
        assert_eq!(with(|p| p.password_classes = 5), Err(PolicyRefusal::Classes));
        assert_eq!(with(|p| p.password_history = 25), Err(PolicyRefusal::History));
        assert_eq!(with(|p| p.password_history = 24), Ok(()));
        assert_eq!(with(|p| p.password_max_age_days = 6), Err(PolicyRefusal::MaxAge));
        assert_eq!(with(|p| p.password_max_age_days = 3651), Err(PolicyRefusal::MaxAge));
        assert_eq!(with(|p| p.password_max_age_days = 0), Ok(()));
        assert_eq!(with(|p| p.password_max_age_days = 7), Ok(()));
        assert_eq!(with(|p| p.idle_minutes = 0), Err(PolicyRefusal::Idle));
        assert_eq!(with(|p| p.idle_minutes = 1441), Err(PolicyRefusal::Idle));
        assert_eq!(with(|p| p.inactive_days = 6), Err(PolicyRefusal::Inactive));
        assert_eq!(with(|p| p.inactive_days = 0), Ok(()));
        assert_eq!(with(|p| p.inactive_days = 3651), Err(PolicyRefusal::Inactive));
    }

    #[test]
    fn administrators_sign_in_only_from_their_networks() {
        let mut p = Policy::default_for(30);
        assert!(p.admits(Role::SystemAdmin, ip("203.0.113.9")), "no networks: anywhere");
        p.admin_networks = Policy::parse_networks("10.0.0.0/8, 192.168.1.5\nfd00::/8").unwrap();
        for admin in [Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin] {
            assert!(p.admits(admin, ip("10.20.30.40")) && p.admits(admin, ip("192.168.1.5")) && p.admits(admin, ip("fd00::1")));
            assert!(!p.admits(admin, ip("192.168.1.6")) && !p.admits(admin, ip("203.0.113.9")), "{admin:?}");
            assert!(p.admits(admin, ip("::ffff:10.0.0.1")), "an IPv4 address on a dual-stack socket");
        }
        assert!(p.admits(Role::Assessor, ip("203.0.113.9")), "others: anywhere");
        assert_eq!(Policy::parse_networks("10.0.0.0/33"), Err(PolicyRefusal::Network("10.0.0.0/33".into())));
        assert_eq!(p.check(Some(ip("203.0.113.9"))), Err(PolicyRefusal::LocksOut(ip("203.0.113.9"))));
        assert_eq!(p.check(Some(ip("10.1.1.1"))), Ok(()));
    }

    #[test]
    fn a_policy_from_before_two_factors_and_expiry_gets_their_defaults() {
        let old = r#"{"password_min_length":8,"password_classes":2,"password_history":5,"idle_minutes":30,"inactive_days":90,"admin_networks":[]}"#;
        let p: Policy = serde_json::from_str(old).unwrap();
        assert_eq!(p.two_factor_roles, [Role::Assessor, Role::Personnel, Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin]);
        assert_eq!(p.password_max_age_days, 90);
        assert_eq!(p, Policy::default_for(30));
        let chosen: Policy = serde_json::from_str(&old.replace("]}", r#"],"two_factor_roles":["leader","audit-admin"]}"#)).unwrap();
        assert_eq!(chosen.two_factor_roles, [Role::Leader, Role::AuditAdmin]);
    }

    #[test]
    fn passwords_follow_the_rules() {
        let mut p = Policy::default_for(30);
        assert_eq!(classes("abcdefgh"), 1);
        assert_eq!(classes("zhengxin-demo"), 2);
        assert_eq!(classes("Ab1-"), 4);
        assert_eq!(classes("密码很长很长"), 1);
        assert_eq!(p.password_refusal("abcdefgh"), Some(super::super::Refusal::SimplePassword { classes: 2 }));
        assert_eq!(p.password_refusal("abcdefg1"), None);
        assert_eq!(p.password_refusal("abc-1"), Some(super::super::Refusal::ShortPassword { min: 8 }));
        p.password_min_length = 12;
        p.password_classes = 3;
        assert_eq!(p.password_refusal("abcdefghij-k"), Some(super::super::Refusal::SimplePassword { classes: 3 }));
        assert_eq!(p.password_refusal("abcdefgh-123"), None);
        assert_eq!(p.password_refusal("Abcdefgh-123"), None);
        assert_eq!(p.password_refusal("Abcdefg-123"), Some(super::super::Refusal::ShortPassword { min: 12 }));
    }
}
