//! The account tables: `users`, `sessions` and `api_tokens`. Secrets are
//! stored only as hashes, computed by `auth`; roles travel as their stored
//! codes and `auth` turns them into its `Role`.

use chrono::NaiveDateTime;

use super::{Db, Result, Tx};
use crate::{on_db, on_tx};

/// A row of `users` without its password hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub unit_code: Option<String>,
    pub disabled: bool,
}

/// An enabled user with the hash their password must match.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub password_hash: String,
}

/// A new user, enabled. A taken name is `DbError::Conflict`.
pub async fn insert_user(tx: &mut Tx, username: &str, password_hash: &str, role: &str, unit_code: Option<&str>, at: NaiveDateTime) -> Result<()> {
    const SQL: &str = "INSERT INTO users (username, password_hash, role, unit_code, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
    on_tx!(tx, conn => {
        sqlx::query(SQL).bind(username).bind(password_hash).bind(role).bind(unit_code).bind(false).bind(at).execute(conn).await?;
    });
    Ok(())
}

/// A change to one user.
pub enum UserChange<'a> {
    /// A new password's hash, and when it was set.
    PasswordHash(&'a str, NaiveDateTime),
    Disabled(bool),
    /// Enabled again at this time, which counts as the account's last use
    /// (else an account disabled as unused would be disabled again at once).
    Enabled(NaiveDateTime),
}

/// Applies `change` to `username` and ends all their sessions; how many
/// users changed (0: no such user).
pub async fn change_user(tx: &mut Tx, username: &str, change: UserChange<'_>) -> Result<u64> {
    const SIGN_OUT: &str = "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = $1)";
    // A replaced password's hash is kept, whoever replaces it: the policy's
    // history (`recent_password_hashes`) sees every earlier password.
    const REMEMBER: &str = "INSERT INTO password_history (user_id, password_hash, replaced_at) SELECT id, password_hash, $2 FROM users WHERE username = $1";
    Ok(on_tx!(tx, conn => {
        if let UserChange::PasswordHash(_, at) = &change {
            sqlx::query(REMEMBER).bind(username).bind(at).execute(&mut *conn).await?;
        }
        let q = match change {
            UserChange::PasswordHash(hash, at) => sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE username = $3").bind(hash).bind(at),
            UserChange::Disabled(disabled) => sqlx::query("UPDATE users SET disabled = $1 WHERE username = $2").bind(disabled),
            UserChange::Enabled(at) => sqlx::query("UPDATE users SET disabled = $1, last_sign_in_at = $2 WHERE username = $3").bind(false).bind(at),
        };
        let changed = q.bind(username).execute(&mut *conn).await?.rows_affected();
        sqlx::query(SIGN_OUT).bind(username).execute(&mut *conn).await?;
        changed
    }))
}

/// When `user_id` last signed in, or was created if never since the
/// upgrade that began recording it.
pub async fn last_activity(db: &Db, user_id: i64) -> Result<Option<NaiveDateTime>> {
    const SQL: &str = "SELECT COALESCE(last_sign_in_at, created_at) FROM users WHERE id = $1";
    Ok(on_db!(db, pool => sqlx::query_scalar::<_, NaiveDateTime>(SQL).bind(user_id).fetch_optional(pool).await?))
}

/// When `user_id`'s password was set (its creation if never changed).
pub async fn password_set_at(db: &Db, user_id: i64) -> Result<Option<NaiveDateTime>> {
    const SQL: &str = "SELECT COALESCE(password_changed_at, created_at) FROM users WHERE id = $1";
    Ok(on_db!(db, pool => sqlx::query_scalar::<_, NaiveDateTime>(SQL).bind(user_id).fetch_optional(pool).await?))
}

/// The account's password hash now and its earlier ones, newest first, at
/// most `count` in all.
pub async fn recent_password_hashes(db: &Db, username: &str, count: i64) -> Result<Vec<String>> {
    const SQL: &str = "SELECT password_hash FROM (\
        SELECT u.password_hash, 0 AS age, 0 AS id FROM users u WHERE u.username = $1 \
        UNION ALL SELECT h.password_hash, 1 AS age, h.id FROM password_history h JOIN users u ON u.id = h.user_id WHERE u.username = $1\
        ) hashes ORDER BY age, id DESC LIMIT $2";
    Ok(on_db!(db, pool => sqlx::query_scalar::<_, String>(SQL).bind(username).bind(count).fetch_all(pool).await?))
}

/// Ends every session of `user_id`.
pub async fn end_sessions(tx: &mut Tx, user_id: i64) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(conn).await?;
    });
    Ok(())
}

/// Ends the sessions of every account of `role` but `except`'s; with
/// `without_second_factor`, only of those without a confirmed one.
pub async fn end_sessions_of_role(tx: &mut Tx, role: &str, except: &str, without_second_factor: bool) -> Result<u64> {
    const ALL: &str = "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE role = $1 AND username <> $2)";
    const WITHOUT: &str = "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE role = $1 AND username <> $2) \
                           AND user_id NOT IN (SELECT user_id FROM totp_secrets WHERE confirmed_at IS NOT NULL)";
    let sql = if without_second_factor { WITHOUT } else { ALL };
    Ok(on_tx!(tx, conn => sqlx::query(sql).bind(role).bind(except).execute(conn).await?.rows_affected()))
}

/// How many users there are, enabled or not.
pub async fn user_count(db: &Db) -> Result<i64> {
    db.count("users").await
}

/// Every user, by name.
pub async fn users(db: &Db) -> Result<Vec<UserRow>> {
    const SQL: &str = "SELECT id, username, role, unit_code, disabled FROM users ORDER BY username";
    Ok(on_db!(db, pool => sqlx::query_as::<_, UserRow>(SQL).fetch_all(pool).await?))
}

/// The enabled user with this name, and their password hash.
pub async fn credentials(db: &Db, username: &str) -> Result<Option<Credentials>> {
    const SQL: &str = "SELECT id, username, role, unit_code, disabled, password_hash FROM users WHERE username = $1 AND disabled = $2";
    Ok(on_db!(db, pool => sqlx::query_as::<_, Credentials>(SQL).bind(username).bind(false).fetch_optional(pool).await?))
}

/// Whether an enabled user has this name (one indexed lookup).
pub async fn enabled_user_exists(db: &Db, username: &str) -> Result<bool> {
    const SQL: &str = "SELECT 1 FROM users WHERE username = $1 AND disabled = $2";
    Ok(on_db!(db, pool => sqlx::query(SQL).bind(username).bind(false).fetch_optional(pool).await?.is_some()))
}

/// The enabled user with this id.
pub async fn enabled_user(db: &Db, id: i64) -> Result<Option<UserRow>> {
    const SQL: &str = "SELECT id, username, role, unit_code, disabled FROM users WHERE id = $1 AND disabled = $2";
    Ok(on_db!(db, pool => sqlx::query_as::<_, UserRow>(SQL).bind(id).bind(false).fetch_optional(pool).await?))
}

/// A session's row joined with its (enabled) user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub csrf: String,
    pub expires_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    #[sqlx(flatten)]
    pub user: UserRow,
}

/// A new session, and the user's time of signing in; expired sessions of
/// anyone are swept on the way.
pub async fn insert_session(tx: &mut Tx, id_hash: &str, user_id: i64, csrf: &str, at: NaiveDateTime, expires_at: NaiveDateTime) -> Result<()> {
    const SQL: &str = "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $4)";
    on_tx!(tx, conn => {
        sqlx::query(SQL).bind(id_hash).bind(user_id).bind(csrf).bind(at).bind(expires_at).execute(&mut *conn).await?;
        sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2").bind(at).bind(user_id).execute(&mut *conn).await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(at).execute(&mut *conn).await?;
    });
    Ok(())
}

/// The session with this id hash, if its user is enabled.
pub async fn session(db: &Db, id_hash: &str) -> Result<Option<SessionRow>> {
    const SQL: &str = "SELECT s.csrf, s.expires_at, COALESCE(s.last_seen_at, s.created_at) AS last_seen_at, \
                       u.id, u.username, u.role, u.unit_code, u.disabled \
                       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND u.disabled = $2";
    Ok(on_db!(db, pool => sqlx::query_as::<_, SessionRow>(SQL).bind(id_hash).bind(false).fetch_optional(pool).await?))
}

/// Writes a session's time of use later, off the request's path.
pub fn session_used_later(db: &Db, id_hash: String, at: NaiveDateTime) {
    super::record_use_later(db, "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2", at, id_hash);
}

pub async fn delete_session(tx: &mut Tx, id_hash: &str) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(conn).await?;
    });
    Ok(())
}

/// A token row joined with its owner, as listed (never the hash).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub owner: String,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub owner_disabled: bool,
}

/// What a bearer token's hash finds, if it is not revoked.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenUse {
    pub user_id: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

/// A new token for the enabled user `username`; its id, or `None` when
/// there is no such user.
pub async fn insert_token(tx: &mut Tx, username: &str, name: &str, token_hash: &str, at: NaiveDateTime, expires_at: NaiveDateTime) -> Result<Option<i64>> {
    const SQL: &str = "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) \
                       SELECT id, $1, $2, $3, $4 FROM users WHERE username = $5 AND disabled = $6 RETURNING id";
    Ok(on_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(name).bind(token_hash).bind(at).bind(expires_at).bind(username).bind(false).fetch_optional(conn).await?
    }))
}

/// Revokes an active token; whether one was.
pub async fn revoke_token(tx: &mut Tx, id: i64, at: NaiveDateTime) -> Result<bool> {
    const SQL: &str = "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";
    Ok(on_tx!(tx, conn => sqlx::query(SQL).bind(at).bind(id).execute(conn).await?.rows_affected()) > 0)
}

/// Every token, newest first.
pub async fn tokens(db: &Db) -> Result<Vec<TokenRow>> {
    const SQL: &str = "SELECT t.id, u.username AS owner, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, u.disabled AS owner_disabled \
                       FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC";
    Ok(on_db!(db, pool => sqlx::query_as::<_, TokenRow>(SQL).fetch_all(pool).await?))
}

/// The unrevoked token with this hash.
pub async fn token(db: &Db, token_hash: &str) -> Result<Option<TokenUse>> {
    const SQL: &str = "SELECT user_id, created_at, expires_at, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL";
    Ok(on_db!(db, pool => sqlx::query_as::<_, TokenUse>(SQL).bind(token_hash).fetch_optional(pool).await?))
}

/// Writes a token's time of use later, off the request's path.
pub fn token_used_later(db: &Db, token_hash: String, at: NaiveDateTime) {
    super::record_use_later(db, "UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2", at, token_hash);
}
