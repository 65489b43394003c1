//! The user register: adding, changing passwords, disabling, listing and
//! signing in. Every change is one transaction with its audit entry.

use serde::Serialize;

use super::{AuthError, Refusal, Role, User, passwords};
use crate::clock::now_cst;
use crate::db::accounts::{self, UserChange, UserRow};
use crate::db::audit::AuditLog;
use crate::db::{Db, DbError, units};

/// A user as `zhengxin user list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct UserInfo {
    pub username: String,
    pub role: Role,
    pub unit_code: Option<String>,
    pub disabled: bool,
    /// Signs in with a second factor (`auth::totp`).
    pub two_factor: bool,
}

fn valid_username(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// An account to add.
#[derive(Debug, Clone, Copy)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub role: Role,
    /// Required for (and only for) `unit` users.
    pub unit_code: Option<&'a str>,
    pub password: &'a str,
}

/// Adds a user; `unit_code` is required for (and only for) `unit` users.
pub async fn add(db: &Db, username: &str, role: Role, unit_code: Option<&str>, password: &str, actor: &str) -> Result<(), AuthError> {
    add_all(db, &[NewUser { username, role, unit_code, password }], actor).await
}

/// Adds every one of `users` in one transaction, or none of them (`init`'s
/// three administrators).
pub async fn add_all(db: &Db, users: &[NewUser<'_>], actor: &str) -> Result<(), AuthError> {
    for u in users {
        if !valid_username(u.username) {
            return Err(AuthError::Refused(Refusal::BadUsername));
        }
        match (u.role, u.unit_code) {
            (Role::Unit, None) => return Err(AuthError::Refused(Refusal::UnitNeeded)),
            (Role::Unit, Some(_)) | (_, None) => {}
            (_, Some(_)) => return Err(AuthError::Refused(Refusal::UnitNotAllowed)),
        }
    }
    let policy = rules(db).await?;
    if let Some(refusal) = users.iter().find_map(|u| policy.password_refusal(u.password)) {
        return Err(AuthError::Refused(refusal));
    }
    if users.iter().any(|u| u.password == crate::demo::DEMO_PASSWORD) {
        refuse_published(db).await?;
    }
    let hashes = users.iter().map(|u| passwords::hash(u.password)).collect::<Result<Vec<_>, _>>()?;
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    for (u, hash) in users.iter().zip(&hashes) {
        if let Some(code) = u.unit_code
            && !units::exists(&mut tx, code).await?
        {
            return Err(AuthError::Refused(Refusal::NoSuchUnit(code.to_string())));
        }
        match accounts::insert_user(&mut tx, u.username, hash, u.role.code(), u.unit_code, now_cst()).await {
            Err(DbError::Conflict(_)) => return Err(AuthError::Refused(Refusal::Exists(u.username.to_string()))),
            other => other?,
        }
        audit.record(actor, "user_add", "users", u.username, serde_json::json!({ "role": u.role.code(), "unit": u.unit_code }));
    }
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The demo accounts' password is published (README): outside a demo
/// install no account may have it.
async fn refuse_published(db: &Db) -> Result<(), AuthError> {
    if crate::db::settings::is_demo(db).await? {
        return Ok(());
    }
    Err(AuthError::Refused(Refusal::PublishedPassword))
}

/// The password rules in force (the idle time is not theirs to know).
async fn rules(db: &Db) -> Result<super::policy::Policy, AuthError> {
    super::policy::current(db, crate::config::DEFAULT_IDLE_MINUTES).await
}

/// Sets a new password (and signs the user out everywhere). It must meet
/// the security policy's rules and differ from the account's current
/// password and its earlier ones the policy remembers.
pub async fn set_password(db: &Db, username: &str, password: &str, actor: &str) -> Result<(), AuthError> {
    let policy = rules(db).await?;
    if let Some(refusal) = policy.password_refusal(password) {
        return Err(AuthError::Refused(refusal));
    }
    if password == crate::demo::DEMO_PASSWORD {
        refuse_published(db).await?;
    }
    let remembered = accounts::recent_password_hashes(db, username, i64::from(policy.password_history)).await?;
    let typed = password.to_string();
    let reused = tokio::task::spawn_blocking(move || remembered.iter().any(|h| passwords::verify(&typed, h))).await.unwrap_or(true);
    if reused && policy.password_history > 0 {
        return Err(AuthError::Refused(Refusal::ReusedPassword { last: policy.password_history }));
    }
    let hash = passwords::hash(password)?;
    update(db, username, actor, "user_passwd", UserChange::PasswordHash(&hash, now_cst())).await
}

/// Disables a user (and signs them out); nothing is deleted.
pub async fn disable(db: &Db, username: &str, actor: &str) -> Result<(), AuthError> {
    update(db, username, actor, "user_disable", UserChange::Disabled(true)).await
}

/// Enables a disabled user again, with the password they had.
pub async fn enable(db: &Db, username: &str, actor: &str) -> Result<(), AuthError> {
    update(db, username, actor, "user_enable", UserChange::Enabled(now_cst())).await
}

/// Lifts the sign-in delay of `username` (once the administrator has made
/// sure its owner, not a guesser, is the one locked out). The audit entry
/// is written first: no unlock goes unrecorded.
pub async fn unlock(db: &Db, throttle: &super::throttle::SignInThrottle, username: &str, actor: &str) -> Result<(), AuthError> {
    if !accounts::users(db).await?.iter().any(|u| u.username == username) {
        return Err(AuthError::Refused(Refusal::NoSuchUser(username.to_string())));
    }
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    audit.record(actor, "user_unlock", "users", username, serde_json::json!({}));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    throttle.unlock(username);
    Ok(())
}

/// One change to a user, with its audit entry; the user's sessions end.
async fn update(db: &Db, username: &str, actor: &str, action: &str, change: UserChange<'_>) -> Result<(), AuthError> {
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    if accounts::change_user(&mut tx, username, change).await? == 0 {
        return Err(AuthError::Refused(Refusal::NoSuchUser(username.to_string())));
    }
    audit.record(actor, action, "users", username, serde_json::json!({}));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// How many accounts there are (an empty database has none).
pub async fn count(db: &Db) -> Result<i64, AuthError> {
    Ok(accounts::user_count(db).await?)
}

pub async fn list(db: &Db) -> Result<Vec<UserInfo>, AuthError> {
    let enrolled = super::totp::enrolled(db).await?;
    accounts::users(db)
        .await?
        .into_iter()
        .map(|r| {
            let two_factor = enrolled.contains(&r.id);
            Ok(UserInfo { role: Role::stored(&r.role)?, username: r.username, unit_code: r.unit_code, disabled: r.disabled, two_factor })
        })
        .collect()
}

/// A stored user as the rest of the server knows them.
pub(super) fn user(row: UserRow) -> Result<User, AuthError> {
    Ok(User { id: row.id, role: Role::stored(&row.role)?, username: row.username, unit_code: row.unit_code })
}

/// The user with this name and password, if enabled; the same work is done
/// for unknown names, so timing does not tell them apart.
pub async fn authenticate(db: &Db, username: &str, password: &str) -> Result<Option<User>, AuthError> {
    let (user, hash) = match accounts::credentials(db, username).await? {
        Some(c) => (Some(user(c.user)?), c.password_hash),
        None => (None, passwords::decoy().to_string()),
    };
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || passwords::verify(&password, &hash)).await.unwrap_or(false);
    Ok(user.filter(|_| ok))
}

/// Whether an enabled user has this name (one indexed lookup, no hashing).
pub async fn exists_enabled(db: &Db, username: &str) -> Result<bool, AuthError> {
    Ok(accounts::enabled_user_exists(db, username).await?)
}

/// Reads a user by id (enabled ones only).
pub async fn by_id(db: &Db, id: i64) -> Result<Option<User>, AuthError> {
    accounts::enabled_user(db, id).await?.map(user).transpose()
}
