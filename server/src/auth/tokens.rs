//! API tokens for machine clients: shown once at creation, stored as a
//! hash, acting with their user's role and unit until revoked.

use serde::Serialize;
use sqlx::Row;

use super::{AuthError, User, random_secret, secret_hash, users};
use crate::db::audit::AuditLog;
use crate::db::{Db, now_cst};
use crate::{on_db, on_tx};

/// A newly created token: its id (for revoking) and the secret itself.
#[derive(Debug, Clone, Serialize)]
pub struct NewToken {
    pub id: i64,
    pub token: String,
}

pub async fn create(db: &Db, username: &str, name: &str, actor: &str) -> Result<NewToken, AuthError> {
    let token = format!("zx_{}", random_secret()?);
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    const SQL: &str = "INSERT INTO api_tokens (user_id, name, token_hash, created_at) SELECT id, $1, $2, $3 FROM users WHERE username = $4 AND disabled = $5 RETURNING id";
    let id: Option<i64> = on_tx!(&mut tx, conn => {
        sqlx::query(SQL).bind(name).bind(secret_hash(&token)).bind(now_cst()).bind(username).bind(false)
            .fetch_optional(conn).await?.map(|r| r.try_get(0)).transpose()?
    });
    let id = id.ok_or_else(|| AuthError::Invalid(format!("no enabled user {username}")))?;
    audit.record(actor, "token_create", "api_tokens", &id.to_string(), serde_json::json!({ "user": username, "name": name }));
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

/// The user a bearer token acts for, if it is live.
pub async fn user_for(db: &Db, token: &str) -> Result<Option<User>, AuthError> {
    const SQL: &str = "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL";
    let user_id: Option<i64> = on_db!(db, pool => {
        sqlx::query(SQL).bind(secret_hash(token)).fetch_optional(pool).await?.map(|r| r.try_get(0)).transpose()?
    });
    match user_id {
        Some(id) => users::by_id(db, id).await,
        None => Ok(None),
    }
}
