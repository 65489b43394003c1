//! The user register: adding, changing passwords, disabling, listing and
//! signing in. Every change is one transaction with its audit entry.

use serde::Serialize;
use sqlx::Row;

use super::{AuthError, Role, User, passwords};
use crate::db::audit::AuditLog;
use crate::clock::now_cst;
use crate::db::{Db, DbError};
use crate::{on_db, on_tx};

/// A user as `zhengxin user list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct UserInfo {
    pub username: String,
    pub role: Role,
    pub unit_code: Option<String>,
    pub disabled: bool,
}

fn valid_username(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Adds a user; `unit_code` is required for (and only for) `unit` users.
pub async fn add(db: &Db, username: &str, role: Role, unit_code: Option<&str>, password: &str, actor: &str) -> Result<(), AuthError> {
    if !valid_username(username) {
        return Err(AuthError::Invalid("用户名为 1–64 个字母、数字或 . _ - / a user name is 1–64 letters, digits, '.', '_' or '-'".into()));
    }
    match (role, unit_code) {
        (Role::Unit, None) => return Err(AuthError::Invalid("单位用户须指定所属单位 / a unit user needs --unit UNIT_CODE".into())),
        (Role::Unit, Some(_)) | (_, None) => {}
        (_, Some(_)) => return Err(AuthError::Invalid("只有单位用户属于某个单位 / only unit users belong to a unit".into())),
    }
    let hash = passwords::hash(password)?;
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    if let Some(code) = unit_code {
        let known: Option<String> = on_tx!(&mut tx, conn => {
            sqlx::query(concat!("SELECT code FROM units WHERE code = $1 AND ", crate::visible_records!())).bind(code).fetch_optional(conn).await?.map(|r| r.try_get(0)).transpose()?
        });
        if known.is_none() {
            return Err(AuthError::Invalid(format!("没有单位 {code} / no unit {code}")));
        }
    }
    const INSERT: &str = "INSERT INTO users (username, password_hash, role, unit_code, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
    let inserted = on_tx!(&mut tx, conn => {
        sqlx::query(INSERT).bind(username).bind(&hash).bind(role.code()).bind(unit_code).bind(false).bind(now_cst()).execute(conn).await.map(|_| ())
    });
    match inserted.map_err(DbError::from) {
        Err(DbError::Conflict(_)) => return Err(AuthError::Invalid(format!("用户 {username} 已存在 / user {username} already exists"))),
        other => {
            other?;
        }
    }
    audit.record(actor, "user_add", "users", username, serde_json::json!({ "role": role.code(), "unit": unit_code }));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password (and signs the user out everywhere).
pub async fn set_password(db: &Db, username: &str, password: &str, actor: &str) -> Result<(), AuthError> {
    let hash = passwords::hash(password)?;
    update(db, username, actor, "user_passwd", Change::Password(hash)).await
}

/// Disables a user (and signs them out); nothing is deleted.
pub async fn disable(db: &Db, username: &str, actor: &str) -> Result<(), AuthError> {
    update(db, username, actor, "user_disable", Change::Disabled(true)).await
}

/// Enables a disabled user again, with the password they had.
pub async fn enable(db: &Db, username: &str, actor: &str) -> Result<(), AuthError> {
    update(db, username, actor, "user_enable", Change::Disabled(false)).await
}

enum Change {
    Password(String),
    Disabled(bool),
}

/// One change to a user, with its audit entry; the user's sessions end.
async fn update(db: &Db, username: &str, actor: &str, action: &str, change: Change) -> Result<(), AuthError> {
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    let changed = on_tx!(&mut tx, conn => {
        let q = match &change {
            Change::Password(hash) => sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2").bind(hash.as_str()),
            Change::Disabled(disabled) => sqlx::query("UPDATE users SET disabled = $1 WHERE username = $2").bind(*disabled),
        };
        let changed = q.bind(username).execute(&mut *conn).await?.rows_affected();
        sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = $1)").bind(username).execute(&mut *conn).await?;
        changed
    });
    if changed == 0 {
        return Err(AuthError::Invalid(format!("没有用户 {username} / no user {username}")));
    }
    audit.record(actor, action, "users", username, serde_json::json!({}));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list(db: &Db) -> Result<Vec<UserInfo>, AuthError> {
    let mut out = Vec::new();
    on_db!(db, pool => {
        for r in sqlx::query("SELECT username, role, unit_code, disabled FROM users ORDER BY username").fetch_all(pool).await? {
            let role: String = r.try_get(1)?;
            out.push(UserInfo {
                username: r.try_get(0)?,
                role: Role::stored(&role)?,
                unit_code: r.try_get(2)?,
                disabled: r.try_get(3)?,
            });
        }
    });
    Ok(out)
}

/// The user with this name and password, if enabled; the same work is done
/// for unknown names, so timing does not tell them apart.
pub async fn authenticate(db: &Db, username: &str, password: &str) -> Result<Option<User>, AuthError> {
    const SQL: &str = "SELECT id, username, role, unit_code, password_hash FROM users WHERE username = $1 AND disabled = $2";
    let row: Option<(User, String)> = on_db!(db, pool => {
        match sqlx::query(SQL).bind(username).bind(false).fetch_optional(pool).await? {
            None => None,
            Some(r) => {
                let role: String = r.try_get(2)?;
                let user = User {
                    id: r.try_get(0)?,
                    username: r.try_get(1)?,
                    role: Role::stored(&role)?,
                    unit_code: r.try_get(3)?,
                };
                Some((user, r.try_get::<String, _>(4)?))
            }
        }
    });
    let password = password.to_string();
    let (user, hash) = match row {
        Some((u, h)) => (Some(u), h),
        None => (None, passwords::decoy().to_string()),
    };
    let ok = tokio::task::spawn_blocking(move || passwords::verify(&password, &hash)).await.unwrap_or(false);
    Ok(user.filter(|_| ok))
}

/// Whether an enabled user has this name (one indexed lookup, no hashing).
pub async fn exists_enabled(db: &Db, username: &str) -> Result<bool, AuthError> {
    const SQL: &str = "SELECT 1 FROM users WHERE username = $1 AND disabled = $2";
    Ok(on_db!(db, pool => sqlx::query(SQL).bind(username).bind(false).fetch_optional(pool).await?.is_some()))
}

/// Reads a user by id (enabled ones only).
pub async fn by_id(db: &Db, id: i64) -> Result<Option<User>, AuthError> {
    const SQL: &str = "SELECT id, username, role, unit_code FROM users WHERE id = $1 AND disabled = $2";
    Ok(on_db!(db, pool => {
        match sqlx::query(SQL).bind(id).bind(false).fetch_optional(pool).await? {
            None => None,
            Some(r) => {
                let role: String = r.try_get(2)?;
                Some(User {
                    id: r.try_get(0)?,
                    username: r.try_get(1)?,
                    role: Role::stored(&role)?,
                    unit_code: r.try_get(3)?,
                })
            }
        }
    }))
}
