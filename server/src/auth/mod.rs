//! Who may do what: users with one role each (and a unit for `unit`
//! users), argon2 password hashes, server-side sessions with a CSRF token,
//! and API tokens for machine clients. Secrets (session ids, tokens) are
//! stored only as SHA-256 hashes.
//!
//! What each role may do is one table, [`access::GRANTS`]; nothing else
//! grants a permission (see `docs/access.md`, generated from it):
//! - `leader`: rankings and every unit in full, read-only;
//! - `assessor`: everything, plus import, scoring, objection decisions,
//!   publication, exports;
//! - `unit`: its own unit in full; other units only as name, group, total,
//!   rank and grade;
//! - `personnel` (组织人事部门): civil servants' integrity files only, each
//!   look-up with a stated purpose (no results, no unit records);
//! - three administrators kept apart (三员分立, 等保 level 3): the system
//!   administrator (`system-admin`) manages accounts, the security
//!   administrator (`security-admin`) the security policy, the audit
//!   administrator (`audit-admin`) reads and verifies the audit log. An
//!   account has one role, so no account holds two of them.

pub mod access;
pub mod devices;
pub mod passwords;
pub mod policy;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod totp;
pub mod users;

use serde::{Deserialize, Serialize};

pub use access::{Capability, Scope};

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Leader,
    Assessor,
    Unit,
    Personnel,
    /// 系统管理员: accounts.
    SystemAdmin,
    /// 安全管理员: the security policy.
    SecurityAdmin,
    /// 审计管理员: the audit log.
    AuditAdmin,
}

impl Role {
    /// Every role, in the order forms and tables list them.
    pub const ALL: [Role; 7] = [Role::Leader, Role::Assessor, Role::Unit, Role::Personnel, Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin];

    pub fn code(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Assessor => "assessor",
            Role::Unit => "unit",
            Role::Personnel => "personnel",
            Role::SystemAdmin => "system-admin",
            Role::SecurityAdmin => "security-admin",
            Role::AuditAdmin => "audit-admin",
        }
    }

    /// A role as a person or script names it. `admin` is read as
    /// `system-admin`: the customer's interfaces.md (its contract)
    /// promises `zhengxin user add --role admin`, and the administrator it
    /// meant is the one who manages accounts.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::SystemAdmin),
            _ => Role::ALL.into_iter().find(|r| r.code() == text),
        }
    }

    /// A role as stored; anything else means the database was altered.
    /// Only the codes themselves are stored (migration 0009 renamed
    /// `admin`), so the alias is not accepted here.
    pub fn stored(text: &str) -> Result<Role, crate::db::DbError> {
        Role::ALL.into_iter().find(|r| r.code() == text).ok_or_else(|| crate::db::DbError::Corrupt(format!("role {text}")))
    }

    /// One of the three administrators (三员).
    pub fn is_administrator(self) -> bool {
        matches!(self, Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin)
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Leader => "Leadership",
            Role::Assessor => "Assessment team",
            Role::Unit => "Assessed unit",
            Role::Personnel => "Personnel office",
            Role::SystemAdmin => "System administrator",
            Role::SecurityAdmin => "Security administrator",
            Role::AuditAdmin => "Audit administrator",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Leader => "领导",
            Role::Assessor => "考核组",
            Role::Unit => "被考核单位",
            Role::Personnel => "组织人事部门",
            Role::SystemAdmin => "系统管理员",
            Role::SecurityAdmin => "安全管理员",
            Role::AuditAdmin => "审计管理员",
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

/// Auth failures the layers above tell apart.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    /// What an account or token change cannot be (the adapters word it).
    #[error("{0}")]
    Refused(Refusal),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("no secure random numbers: {0}")]
    Random(String),
}

/// Why a change to accounts or tokens is refused. `Display` is a plain
/// English line (logs); the pages and the command line word it for their
/// readers (`http::users`, `cli::accounts`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("a user name is 1–64 letters, digits, '.', '_' or '-'")]
    BadUsername,
    #[error("a unit user needs its unit")]
    UnitNeeded,
    #[error("only unit users belong to a unit")]
    UnitNotAllowed,
    #[error("no unit {0}")]
    NoSuchUnit(String),
    #[error("user {0} already exists")]
    Exists(String),
    #[error("no user {0}")]
    NoSuchUser(String),
    #[error("a password needs at least {min} characters")]
    ShortPassword { min: usize },
    #[error("a password mixes at least {classes} of: lower-case letters, upper-case letters, digits, other characters")]
    SimplePassword { classes: u32 },
    #[error("a new password must differ from the last {last}")]
    ReusedPassword { last: u32 },
    #[error("that password is the demo accounts' published one")]
    PublishedPassword,
    #[error("{0}")]
    Policy(policy::PolicyRefusal),
    #[error("the expiry {0} has passed")]
    ExpiryPassed(chrono::NaiveDateTime),
    #[error("no enabled user {0}")]
    NoEnabledUser(String),
    #[error("no active token {0}")]
    NoSuchToken(i64),
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
