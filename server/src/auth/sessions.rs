//! Server-side sessions: the browser holds a random id in an `HttpOnly`,
//! `SameSite=Strict` cookie; the database holds its hash, the user, the
//! session's CSRF token and when it expires.

use chrono::{Duration, NaiveDateTime};
use sqlx::Row;

use super::{AuthError, User, random_secret, secret_hash, users};
use crate::db::{Db, now_cst};
use crate::{on_db, on_tx};

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

/// Opens a session for `user`.
pub async fn create(db: &Db, user: &User) -> Result<Session, AuthError> {
    let id = random_secret()?;
    let csrf = random_secret()?;
    let now = now_cst();
    let mut tx = db.begin_write().await?;
    const SQL: &str = "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
    on_tx!(&mut tx, conn => {
        sqlx::query(SQL).bind(secret_hash(&id)).bind(user.id).bind(&csrf).bind(now).bind(now + Duration::hours(LIFETIME_HOURS)).execute(&mut *conn).await?;
        // Expired sessions of anyone are swept on the way.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(&mut *conn).await?;
    });
    tx.commit().await?;
    Ok(Session { id, csrf, user: user.clone() })
}

/// The live session with this cookie value, if any.
pub async fn find(db: &Db, id: &str) -> Result<Option<Session>, AuthError> {
    const SQL: &str = "SELECT user_id, csrf, expires_at FROM sessions WHERE id_hash = $1";
    let row: Option<(i64, String, NaiveDateTime)> = on_db!(db, pool => {
        match sqlx::query(SQL).bind(secret_hash(id)).fetch_optional(pool).await? {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)),
            None => None,
        }
    });
    let Some((user_id, csrf, _)) = row.filter(|r| r.2 > now_cst()) else {
        return Ok(None);
    };
    Ok(users::by_id(db, user_id).await?.map(|user| Session { id: id.to_string(), csrf, user }))
}

/// Ends a session.
pub async fn end(db: &Db, id: &str) -> Result<(), AuthError> {
    let mut tx = db.begin_write().await?;
    on_tx!(&mut tx, conn => {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(secret_hash(id)).execute(conn).await?;
    });
    tx.commit().await?;
    Ok(())
}
