//! Resolved settings: command-line flag, then environment, then default,
//! validated once at start-up.

use std::net::SocketAddr;

/// The SQLite file used when no database URL is given.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/zhengxin.db";

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    /// Load the demo data at this scale into an empty database; `None` to
    /// start empty.
    pub demo_scale: Option<f64>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &crate::db::redact(&self.database_url))
            .field("bind", &self.bind)
            .field("demo_scale", &self.demo_scale)
            .finish()
    }
}

/// Now in China Standard Time: the method's clock.
pub fn now_cst() -> chrono::NaiveDateTime {
    crate::db::now_cst()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_password() {
        let c = Config {
            database_url: "postgres://zx:hunter2@db/zx".into(),
            bind: "127.0.0.1:8080".parse().unwrap(),
            demo_scale: None,
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2") && shown.contains("zx:***@db"));
    }
}
