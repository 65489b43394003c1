//! Who may do what: users with one role each (and a unit for `unit`
//! users), argon2 password hashes, server-side sessions with a CSRF token,
//! and API tokens for machine clients. Secrets (session ids, tokens) are
//! stored only as SHA-256 hashes.
//!
//! Roles (enforced on the server for pages, exports and API alike):
//! - `leader`: everything, read-only;
//! - `assessor`: everything, plus import, scoring, objection decisions,
//!   publication, exports;
//! - `unit`: its own unit in full; other units only as name, group, total,
//!   rank and grade;
//! - `admin`: user management;
//! - `personnel` (组织人事部门): civil servants' integrity files only, each
//!   look-up with a stated purpose (no results, no unit records).

pub mod devices;
pub mod passwords;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

use serde::Serialize;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Leader,
    Assessor,
    Unit,
    Admin,
    Personnel,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Leader, Role::Assessor, Role::Unit, Role::Admin, Role::Personnel];

    pub fn code(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Assessor => "assessor",
            Role::Unit => "unit",
            Role::Admin => "admin",
            Role::Personnel => "personnel",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == text)
    }

    /// A role as stored; anything else means the database was altered.
    pub fn stored(text: &str) -> Result<Role, crate::db::DbError> {
        Role::parse(text).ok_or_else(|| crate::db::DbError::Corrupt(format!("role {text}")))
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Leader => "领导",
            Role::Assessor => "考核组",
            Role::Unit => "被考核单位",
            Role::Admin => "系统管理员",
            Role::Personnel => "组织人事部门",
        }
    }
}

/// A signed-in user, as every request sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// The unit a `unit` user belongs to.
    pub unit_code: Option<String>,
}

impl User {
    /// May see everything of `unit_code` (indicators, explanations, records)?
    pub fn sees_unit_in_full(&self, unit_code: &str) -> bool {
        match self.role {
            Role::Leader | Role::Assessor => true,
            Role::Unit => self.unit_code.as_deref() == Some(unit_code),
            Role::Admin | Role::Personnel => false,
        }
    }

    /// May see rankings (every unit's name, group, total, rank, grade)?
    /// Not the administrator, who manages accounts, nor the personnel
    /// office, which sees person files only.
    pub fn sees_rankings(&self) -> bool {
        matches!(self.role, Role::Leader | Role::Assessor | Role::Unit)
    }

    /// The page a user lands on: the results, or the one page family a
    /// role without results has.
    pub fn home(&self) -> &'static str {
        match self.role {
            Role::Admin => "/admin/users",
            Role::Personnel => "/persons",
            _ => "/",
        }
    }

    /// What this user may see, as a cache key part: two users with the
    /// same scope may share a rendered page, two with different ones never.
    pub fn view_scope(&self) -> String {
        match self.role {
            Role::Leader | Role::Assessor => "all".to_string(),
            Role::Unit => format!("unit:{}", self.unit_code.as_deref().unwrap_or("")),
            Role::Admin | Role::Personnel => "none".to_string(),
        }
    }

    pub fn is_assessor(&self) -> bool {
        self.role == Role::Assessor
    }
}

/// Auth failures the layers above tell apart.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error("{0}")]
    Invalid(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("no secure random numbers: {0}")]
    Random(String),
}

/// A fresh secret: 32 random bytes as hex.
pub fn random_secret() -> Result<String, AuthError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(crate::hashing::to_hex(&bytes))
}

/// Constant-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How a secret is stored.
pub fn secret_hash(secret: &str) -> String {
    crate::hashing::sha256(secret)
}
