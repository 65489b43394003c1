//! Resolved settings: command-line flag, then environment, then default,
//! validated once at start-up.

use std::net::SocketAddr;

/// The SQLite file used when no database URL is given.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/zhengxin.db";

/// Requests per client address and minute on the public pages, by default.
pub const PUBLIC_PER_MINUTE: u32 = 120;

/// How long a client has to send a request's headers, counted from its
/// accept (or from the end of its previous request), by default.
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    /// Load the demo data at this scale into an empty database; `None` to
    /// start empty.
    pub demo_scale: Option<f64>,
    /// Serve a non-loopback address although demo accounts with the
    /// published password exist.
    pub demo_on_network: bool,
    /// The address people use, when it differs from `bind` (behind a
    /// proxy). An `https://` address turns on `Secure` cookies with the
    /// `__Host-` prefix and HSTS.
    pub public_url: Option<String>,
    /// A reverse proxy whose `X-Forwarded-For` and `X-Forwarded-Proto` are
    /// believed (only requests from this address).
    pub trusted_proxy: Option<std::net::IpAddr>,
    /// A session ends after this many minutes without a request.
    pub idle_minutes: u32,
    /// An upload waiting for a decision is discarded after this many hours.
    pub staged_hours: u32,
    /// Where the columnar snapshots go, instead of the database's default
    /// ([`crate::snapshot::default_folder`]).
    pub snapshots: Option<std::path::PathBuf>,
    /// The issuing office printed on PDF reports.
    pub report_office: String,
    /// Requests each client address may make to the public pages a minute.
    pub public_per_minute: u32,
    /// Connections held at once; `None`: as many as the open-files limit
    /// allows ([`crate::http::listen::Limits::for_open_files`]).
    pub max_connections: Option<usize>,
    /// How long a client has to send a request's headers after connecting
    /// ([`HEADER_TIMEOUT`]; tests shorten it).
    pub header_timeout: std::time::Duration,
    /// The audit chain's key file, instead of the database's default
    /// ([`crate::db::audit::key::default_path`]).
    pub audit_key_file: Option<std::path::PathBuf>,
    /// The data key file, instead of the database's default
    /// ([`crate::db::seal::key::default_path`]).
    pub data_key_file: Option<std::path::PathBuf>,
    /// The bearer token a remote scraper sends for `/metrics` (a local one
    /// needs none).
    pub metrics_token: Option<String>,
    /// Scheduled backups while serving, if asked for.
    pub backups: Option<crate::backups::Schedule>,
}

/// Minutes without a request after which a session ends, by default.
pub const DEFAULT_IDLE_MINUTES: u32 = 30;

/// Hours an upload may wait for a decision, by default.
pub const DEFAULT_STAGED_HOURS: u32 = 24;

impl Config {
    /// A configuration for `database_url` with every other setting at its
    /// default (loopback, no demo data).
    pub fn new(database_url: String, bind: SocketAddr) -> Config {
        Config {
            database_url,
            bind,
            demo_scale: None,
            demo_on_network: false,
            public_url: None,
            trusted_proxy: None,
            idle_minutes: DEFAULT_IDLE_MINUTES,
            staged_hours: DEFAULT_STAGED_HOURS,
            snapshots: None,
            report_office: crate::scoring::reports::DEFAULT_OFFICE.to_string(),
            public_per_minute: PUBLIC_PER_MINUTE,
            max_connections: None,
            header_timeout: HEADER_TIMEOUT,
            audit_key_file: None,
            data_key_file: None,
            backups: None,
            metrics_token: None,
        }
    }

    /// Whether people reach the site over HTTPS.
    pub fn https(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &crate::db::redact(&self.database_url))
            .field("bind", &self.bind)
            .field("demo_scale", &self.demo_scale)
            .field("demo_on_network", &self.demo_on_network)
            .field("public_url", &self.public_url)
            .field("trusted_proxy", &self.trusted_proxy)
            .field("idle_minutes", &self.idle_minutes)
            .field("staged_hours", &self.staged_hours)
            .field("snapshots", &self.snapshots)
            .field("report_office", &self.report_office)
            .field("public_per_minute", &self.public_per_minute)
            .field("max_connections", &self.max_connections)
            .field("header_timeout", &self.header_timeout)
            .field("audit_key_file", &self.audit_key_file)
            .field("data_key_file", &self.data_key_file)
            .field("backups", &self.backups)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .finish()
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_password() {
        let c = Config::new("postgres://zx:hunter2@db/zx".into(), "127.0.0.1:8080".parse().unwrap());
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2") && shown.contains("zx:***@db"));
    }
}

/// The variable naming the configuration file.
pub const CONFIG_SETTING: &str = "ZHENGXIN_CONFIG";
/// The configuration file read when [`CONFIG_SETTING`] is not set, if it
/// exists (the package installs it).
pub const DEFAULT_CONFIG_FILE: &str = "/etc/zhengxin/zhengxin.conf";

/// Reads the configuration file (`VARIABLE=value` lines, the variables the
/// command line reads; see deploy/zhengxin.conf) into the environment, so
/// that every command (`serve`, `init`, `backup`, …) sees the same
/// settings the service does. A variable already set, or a flag, wins.
/// A variable that is not one of `known` is refused with its line: a
/// misspelt setting must not be silently ignored. Returns the file read.
///
/// Called by `main` first of all, before any thread exists (it sets
/// environment variables).
pub fn load_file(known: &[String]) -> Result<Option<std::path::PathBuf>, String> {
    let (path, named) = match std::env::var_os(CONFIG_SETTING).filter(|p| !p.is_empty()) {
        Some(p) => (std::path::PathBuf::from(p), true),
        None => (std::path::PathBuf::from(DEFAULT_CONFIG_FILE), false),
    };
    if !named && !path.exists() {
        return Ok(None);
    }
    let shown = path.display();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{shown}: {e}"))?;
    let mut settings = Vec::new();
    for line in dotenvy::from_read_iter(text.as_bytes()) {
        let (key, value) = line.map_err(|e| format!("{shown}: {e}"))?;
        if !known.contains(&key) {
            let at = text.lines().position(|l| l.trim_start().trim_start_matches("export ").starts_with(&format!("{key}="))).map_or(0, |i| i + 1);
            let near = known.iter().max_by(|a, b| strsim::jaro_winkler(&key, a).total_cmp(&strsim::jaro_winkler(&key, b)));
            let hint = near.filter(|k| strsim::jaro_winkler(&key, k) > 0.85).map(|k| format!(" (did you mean {k}?)")).unwrap_or_default();
            return Err(format!("{shown}, line {at}: {key} is not a setting zhengxin reads{hint}"));
        }
        settings.push((key, value));
    }
    for (key, value) in settings {
        if std::env::var_os(&key).is_none() {
            // SAFETY: `main` calls this before the runtime or any other
            // thread exists, so nothing reads the environment meanwhile.
            unsafe { std::env::set_var(key, value) };
        }
    }
    Ok(Some(path))
}
