//! API tokens for machine clients: shown once at creation, stored as a
//! hash, acting with their user's role and unit until they expire or are
//! revoked, and never for a disabled user.

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;
use sqlx::Row;

use super::{AuthError, User, random_secret, secret_hash, users};
use crate::db::audit::AuditLog;
use crate::clock::now_cst;
use crate::db::Db;
use crate::{on_db, on_tx};

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
        return Err(AuthError::Invalid(format!("the expiry {expires_at} has passed")));
    }
    let token = format!("zx_{}", random_secret()?);
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    const SQL: &str = "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) SELECT id, $1, $2, $3, $4 FROM users WHERE username = $5 AND disabled = $6 RETURNING id";
    let id: Option<i64> = on_tx!(&mut tx, conn => {
        sqlx::query(SQL).bind(name).bind(secret_hash(&token)).bind(now).bind(expires_at).bind(username).bind(false)
            .fetch_optional(conn).await?.map(|r| r.try_get(0)).transpose()?
    });
    let id = id.ok_or_else(|| AuthError::Invalid(format!("no enabled user {username}")))?;
    let detail = serde_json::json!({ "user": username, "name": name, "expires_at": expires_at.to_string() });
    audit.record(actor, "token_create", "api_tokens", &id.to_string(), detail);
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(NewToken { id, token })
}

pub async fn revoke(db: &Db, id: i64, actor: &str) -> Result<(), AuthError> {
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    let changed = on_tx!(&mut tx, conn => {
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL").bind(now_cst()).bind(id).execute(conn).await?.rows_affected()
    });
    if changed == 0 {
        return Err(AuthError::Invalid(format!("no active token {id}")));
    }
    audit.record(actor, "token_revoke", "api_tokens", &id.to_string(), serde_json::json!({}));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Every token, newest first.
pub async fn list(db: &Db) -> Result<Vec<TokenInfo>, AuthError> {
    const SQL: &str = "SELECT t.id, u.username, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, u.disabled \
                       FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC";
    let mut out = Vec::new();
    on_db!(db, pool => {
        for r in sqlx::query(SQL).fetch_all(pool).await? {
            let created_at: NaiveDateTime = r.try_get(3)?;
            out.push(TokenInfo {
                id: r.try_get(0)?,
                owner: r.try_get(1)?,
                name: r.try_get(2)?,
                created_at,
                expires_at: expiry(created_at, r.try_get(4)?),
                last_used_at: r.try_get(5)?,
                revoked_at: r.try_get(6)?,
                owner_disabled: r.try_get(7)?,
            });
        }
    });
    Ok(out)
}

/// The user a bearer token acts for, if the token is live (not revoked,
/// not expired) and its user enabled. The time of use is written at most
/// once a minute, off the request's path.
pub async fn user_for(db: &Db, token: &str) -> Result<Option<User>, AuthError> {
    const SQL: &str = "SELECT user_id, created_at, expires_at, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL";
    type Found = (i64, NaiveDateTime, Option<NaiveDateTime>, Option<NaiveDateTime>);
    let hash = secret_hash(token);
    let found: Option<Found> = on_db!(db, pool => {
        match sqlx::query(SQL).bind(&hash).fetch_optional(pool).await? {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)),
            None => None,
        }
    });
    let now = now_cst();
    let Some((user_id, _, _, last_used_at)) = found.filter(|f| expiry(f.1, f.2) > now) else {
        return Ok(None);
    };
    if last_used_at.is_none_or(|t| now - t >= crate::db::USE_RECORDED_EVERY) {
        crate::db::record_use_later(db, "UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2", now, hash);
    }
    users::by_id(db, user_id).await
}
