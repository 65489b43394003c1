//! API tokens for machine clients: shown once at creation, stored as a
//! hash, acting with their user's role and unit until they expire or are
//! revoked, and never for a disabled user.

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

use super::{AuthError, Refusal, User, random_secret, secret_hash, users};
use crate::clock::now_cst;
use crate::db::Db;
use crate::db::accounts;
use crate::db::audit::AuditLog;

/// A newly created token: its id (for revoking) and the secret itself.
#[derive(Debug, Clone, Serialize)]
pub struct NewToken {
    pub id: i64,
    pub token: String,
}

/// How long a token lives unless told otherwise; tokens made before expiry
/// existed (no `expires_at`) also end this long after their creation.
pub const DEFAULT_LIFETIME_DAYS: i64 = 365;

/// A token as `zhengxin token list` shows it (never the secret).
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub owner: String,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    /// The owner is disabled: the token does not work.
    pub owner_disabled: bool,
}

impl TokenInfo {
    /// Whether the token works now.
    pub fn live(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && !self.owner_disabled && self.expires_at > now
    }
}

fn expiry(created_at: NaiveDateTime, expires_at: Option<NaiveDateTime>) -> NaiveDateTime {
    expires_at.unwrap_or(created_at + Duration::days(DEFAULT_LIFETIME_DAYS))
}

/// Creates a token for `username` that works until `expires_at`.
pub async fn create(db: &Db, username: &str, name: &str, expires_at: NaiveDateTime, actor: &str) -> Result<NewToken, AuthError> {
    let now = now_cst();
    if expires_at <= now {
        return Err(AuthError::Refused(Refusal::ExpiryPassed(expires_at)));
    }
    let token = format!("zx_{}", random_secret()?);
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    let id = accounts::insert_token(&mut tx, username, name, &secret_hash(&token), now, expires_at).await?;
    let id = id.ok_or_else(|| AuthError::Refused(Refusal::NoEnabledUser(username.to_string())))?;
    let detail = serde_json::json!({ "user": username, "name": name, "expires_at": expires_at.to_string() });
    audit.record(actor, "token_create", "api_tokens", &id.to_string(), detail);
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(NewToken { id, token })
}

pub async fn revoke(db: &Db, id: i64, actor: &str) -> Result<(), AuthError> {
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    if !accounts::revoke_token(&mut tx, id, now_cst()).await? {
        return Err(AuthError::Refused(Refusal::NoSuchToken(id)));
    }
    audit.record(actor, "token_revoke", "api_tokens", &id.to_string(), serde_json::json!({}));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Every token, newest first.
pub async fn list(db: &Db) -> Result<Vec<TokenInfo>, AuthError> {
    Ok(accounts::tokens(db)
        .await?
        .into_iter()
        .map(|r| TokenInfo {
            id: r.id,
            owner: r.owner,
            name: r.name,
            created_at: r.created_at,
            expires_at: expiry(r.created_at, r.expires_at),
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
            owner_disabled: r.owner_disabled,
        })
        .collect())
}

/// The user a bearer token acts for, if the token is live (not revoked,
/// not expired) and its user enabled. The time of use is written at most
/// once a minute, off the request's path.
pub async fn user_for(db: &Db, token: &str) -> Result<Option<User>, AuthError> {
    let hash = secret_hash(token);
    let now = now_cst();
    let Some(found) = accounts::token(db, &hash).await?.filter(|t| expiry(t.created_at, t.expires_at) > now) else {
        return Ok(None);
    };
    if found.last_used_at.is_none_or(|t| now - t >= crate::db::USE_RECORDED_EVERY) {
        accounts::token_used_later(db, hash, now);
    }
    users::by_id(db, found.user_id).await
}
