//! Server-side sessions: the browser holds a random id in an `HttpOnly`,
//! `SameSite=Strict` cookie; the database holds its hash, the user, the
//! session's CSRF token and when it expires.

use std::net::IpAddr;

use chrono::Duration;

use super::{AuthError, User, random_secret, secret_hash};
use crate::clock::now_cst;
use crate::db::Db;
use crate::db::accounts;
use crate::db::audit::AuditLog;

/// How long a session lasts without signing in again.
pub const LIFETIME_HOURS: i64 = 12;

/// A session as the browser and the forms need it.
#[derive(Debug, Clone)]
pub struct Session {
    /// The cookie value (never stored).
    pub id: String,
    pub csrf: String,
    pub user: User,
}

/// Opens a session for `user`, signed in from `address` with `factors`
/// (`password`, `password+totp`, `password+recovery_code`); the sign-in is
/// audited in the same transaction.
pub async fn create(db: &Db, user: &User, address: IpAddr, factors: &str) -> Result<Session, AuthError> {
    let id = random_secret()?;
    let csrf = random_secret()?;
    let now = now_cst();
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    accounts::insert_session(&mut tx, &secret_hash(&id), user.id, &csrf, now, now + Duration::hours(LIFETIME_HOURS)).await?;
    audit.record(&user.username, "sign_in", "users", &user.username, serde_json::json!({ "address": address.to_string(), "factors": factors }));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(Session { id, csrf, user: user.clone() })
}

/// Why the right password still opens no session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Barred {
    /// The account was unused for longer than the policy allows; it is
    /// disabled now.
    Inactive,
    /// An administrator from outside the policy's networks.
    Network,
}

/// Whether `user`, who gave the right password from `address`, may have a
/// session under `policy`. An account found unused too long is disabled
/// here (by `system:security-policy`, audited); a refused network is
/// audited too.
pub async fn admit(db: &Db, user: &User, address: IpAddr, policy: &super::policy::Policy) -> Result<Option<Barred>, AuthError> {
    let refuse = |action: &'static str, detail: serde_json::Value| async move {
        crate::db::audit::record_one(db, "system:security-policy", action, "users", &user.username, detail).await
    };
    if !policy.admits(user.role, address) {
        refuse("sign_in_refused_network", serde_json::json!({ "address": address.to_string() })).await?;
        return Ok(Some(Barred::Network));
    }
    let now = now_cst();
    if policy.inactive_days > 0
        && let Some(last) = accounts::last_activity(db, user.id).await?
        && now - last > Duration::days(i64::from(policy.inactive_days))
    {
        let mut tx = db.begin_write().await?;
        let mut audit = AuditLog::open(&mut tx).await?;
        accounts::change_user(&mut tx, &user.username, accounts::UserChange::Disabled(true)).await?;
        let detail = serde_json::json!({ "reason": "inactive", "last_active": last.to_string(), "inactive_days": policy.inactive_days });
        audit.record("system:security-policy", "user_disable", "users", &user.username, detail);
        audit.flush(&mut tx).await?;
        tx.commit().await?;
        return Ok(Some(Barred::Inactive));
    }
    Ok(None)
}

/// Whether `user`'s password is older than `policy` allows: the sign-in
/// then chooses a new one before anything else (`/login/password`).
pub async fn password_expired(db: &Db, user: &User, policy: &super::policy::Policy) -> Result<bool, AuthError> {
    if policy.password_max_age_days == 0 {
        return Ok(false);
    }
    let set = accounts::password_set_at(db, user.id).await?;
    Ok(set.is_some_and(|at| now_cst() - at > Duration::days(i64::from(policy.password_max_age_days))))
}

/// Audits a failed sign-in: the account (only when one has that name:
/// people sometimes type their password into the name field, and the audit
/// log keeps what it is given for good) and the address, never a password.
pub async fn record_failure(db: &Db, typed_name: &str, known: bool, address: IpAddr) -> Result<(), AuthError> {
    let name: String = if known { typed_name.chars().take(64).collect() } else { "(no such account)".to_string() };
    let detail = serde_json::json!({ "address": address.to_string() });
    crate::db::audit::record_one(db, &format!("web:{name}"), "sign_in_failed", "users", &name, detail).await?;
    Ok(())
}

/// Audits the start of a sign-in delay (see [`super::throttle`]): the
/// account (for browsers it was not signed in from), the client address,
/// or one trusted browser of the account.
pub async fn record_lock(db: &Db, lock: &super::throttle::Lock) -> Result<(), AuthError> {
    use super::throttle::Lock;
    let delay = "delays double from 1 s with each further failure, up to 15 min";
    let (entity, key, detail) = match lock {
        Lock::Account { username, failures } => ("users", username.clone(), serde_json::json!({ "scope": "account", "failures": failures, "applies_to": "browsers not signed in to this account before", "delay": delay })),
        Lock::Address { address, failures } => ("addresses", address.to_string(), serde_json::json!({ "scope": "address", "failures": failures, "delay": delay })),
        Lock::Device { username, failures } => ("users", username.clone(), serde_json::json!({ "scope": "device", "failures": failures, "applies_to": "one browser signed in to this account before", "delay": delay })),
    };
    crate::db::audit::record_one(db, "system:sign-in-throttle", "sign_in_locked", entity, &key, detail).await?;
    Ok(())
}

/// The live session with this cookie value, if any: not expired and used
/// within the last `idle_minutes`. One query: every page view asks it; the
/// time of use is written at most once a minute, off the request's path.
pub async fn find(db: &Db, id: &str, idle_minutes: u32) -> Result<Option<Session>, AuthError> {
    let hash = secret_hash(id);
    let now = now_cst();
    let idle = Duration::minutes(i64::from(idle_minutes));
    let Some(row) = accounts::session(db, &hash).await?.filter(|r| r.expires_at > now && r.last_seen_at + idle > now) else {
        return Ok(None);
    };
    if now - row.last_seen_at >= crate::db::USE_RECORDED_EVERY {
        accounts::session_used_later(db, hash, now);
    }
    Ok(Some(Session { id: id.to_string(), csrf: row.csrf, user: super::users::user(row.user)? }))
}

/// Ends a session.
pub async fn end(db: &Db, id: &str) -> Result<(), AuthError> {
    let mut tx = db.begin_write().await?;
    accounts::delete_session(&mut tx, &secret_hash(id)).await?;
    tx.commit().await?;
    Ok(())
}
