//! Server-side sessions: the browser holds a random id in an `HttpOnly`,
//! `SameSite=Strict` cookie; the database holds its hash, the user, the
//! session's CSRF token and when it expires.

use chrono::{Duration, NaiveDateTime};
use sqlx::Row;

use super::{AuthError, Role, User, random_secret, secret_hash};
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
/// One query: every page view asks it.
pub async fn find(db: &Db, id: &str) -> Result<Option<Session>, AuthError> {
    const SQL: &str = "SELECT s.csrf, s.expires_at, u.id, u.username, u.role, u.unit_code FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND u.disabled = $2";
    let row: Option<(String, NaiveDateTime, i64, String, String, Option<String>)> = on_db!(db, pool => {
        match sqlx::query(SQL).bind(secret_hash(id)).bind(false).fetch_optional(pool).await? {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?)),
            None => None,
        }
    });
    let Some((csrf, _, user_id, username, role, unit_code)) = row.filter(|r| r.1 > now_cst()) else {
        return Ok(None);
    };
    let role = Role::stored(&role)?;
    Ok(Some(Session {
        id: id.to_string(),
        csrf,
        user: User { id: user_id, username, role, unit_code },
    }))
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
