//! Server-side sessions: the browser holds a random id in an `HttpOnly`,
//! `SameSite=Strict` cookie; the database holds its hash, the user, the
//! session's CSRF token and when it expires.

use std::net::IpAddr;

use chrono::{Duration, NaiveDateTime};
use sqlx::Row;

use super::{AuthError, Role, User, random_secret, secret_hash};
use crate::db::audit::AuditLog;
use crate::clock::now_cst;
use crate::db::Db;
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

/// Opens a session for `user`, signed in from `address`; the sign-in is
/// audited in the same transaction.
pub async fn create(db: &Db, user: &User, address: IpAddr) -> Result<Session, AuthError> {
    let id = random_secret()?;
    let csrf = random_secret()?;
    let now = now_cst();
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    const SQL: &str = "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $4)";
    on_tx!(&mut tx, conn => {
        sqlx::query(SQL).bind(secret_hash(&id)).bind(user.id).bind(&csrf).bind(now).bind(now + Duration::hours(LIFETIME_HOURS)).execute(&mut *conn).await?;
        // Expired sessions of anyone are swept on the way.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(&mut *conn).await?;
    });
    audit.record(&user.username, "sign_in", "users", &user.username, serde_json::json!({ "address": address.to_string() }));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(Session { id, csrf, user: user.clone() })
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

/// The live session with this cookie value, if any: not expired and used
/// within the last `idle_minutes`. One query: every page view asks it; the
/// time of use is written at most once a minute, off the request's path.
pub async fn find(db: &Db, id: &str, idle_minutes: u32) -> Result<Option<Session>, AuthError> {
    const SQL: &str = "SELECT s.csrf, s.expires_at, COALESCE(s.last_seen_at, s.created_at), u.id, u.username, u.role, u.unit_code \
                       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND u.disabled = $2";
    type Found = (String, NaiveDateTime, NaiveDateTime, i64, String, String, Option<String>);
    let hash = secret_hash(id);
    let row: Option<Found> = on_db!(db, pool => {
        match sqlx::query(SQL).bind(&hash).bind(false).fetch_optional(pool).await? {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?, r.try_get(6)?)),
            None => None,
        }
    });
    let now = now_cst();
    let idle = Duration::minutes(i64::from(idle_minutes));
    let Some((csrf, _, last_seen, user_id, username, role, unit_code)) = row.filter(|r| r.1 > now && r.2 + idle > now) else {
        return Ok(None);
    };
    if now - last_seen >= crate::db::USE_RECORDED_EVERY {
        crate::db::record_use_later(db, "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2", now, hash);
    }
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
