//! The command line's grammar: one variant per command, with the help
//! text the IT team reads. Parsing only; the sibling modules run them.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::DEFAULT_DATABASE_URL;

/// Zhengxin (政信): Wenzhou's annual government-integrity assessment
/// (政务诚信考核) — import source data, score it, serve the dashboards.
#[derive(Debug, Parser)]
// No `about` argument: it would show the package description instead of
// the doc comment above.
#[command(name = "zhengxin", version)]
#[command(
    after_help = "Examples:\n  zhengxin serve                          # http://127.0.0.1:8080, demo data on first start\n  zhengxin import data/2025/              # every known source file in the folder\n  zhengxin import hotline-2025.csv --json\n  DATABASE_URL=postgres://zx@localhost/zx zhengxin serve\n\nLog level: RUST_LOG (e.g. RUST_LOG=debug). Logs go to stderr, results to stdout."
)]
pub struct Cli {
    /// Database: sqlite://FILE or postgres://USER@HOST/DB. The SQLite file and
    /// its folder are created on first use.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
    pub database_url: String,

    /// The audit chain's secret key file, created on first use (mode 0600).
    /// Default: beside the SQLite file (data/zhengxin.audit-key); for
    /// PostgreSQL data/zhengxin-<hash>.audit-key in the working directory.
    /// Back it up apart from the database.
    #[arg(long, global = true, env = "ZHENGXIN_AUDIT_KEY_FILE", value_name = "FILE")]
    pub audit_key_file: Option<PathBuf>,

    /// The data key file that seals person references, waiting uploads,
    /// repair evidence and TOTP secrets, created with the database (mode
    /// 0600). Default: beside the SQLite file (data/zhengxin.data-key); for
    /// PostgreSQL data/zhengxin-<hash>.data-key in the working directory.
    /// Back it up apart from the database: without it they cannot be read.
    #[arg(long, global = true, env = "ZHENGXIN_DATA_KEY_FILE", value_name = "FILE")]
    pub data_key_file: Option<PathBuf>,

    /// The cipher of a new database's data key: aes-256-gcm (default) or
    /// sm4-gcm (GB/T 32907). Fixed once the key exists.
    #[arg(long, global = true, env = "ZHENGXIN_DATA_CIPHER", value_name = "CIPHER", value_parser = parse_cipher)]
    pub data_cipher: Option<crate::upkeep::Cipher>,

    /// How logs are written to stderr: text for people, json (one object a
    /// line, with the request's id, user and span fields) for a log
    /// shipper.
    #[arg(long, global = true, env = "ZHENGXIN_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web pages and API. An empty database first gets the demo data
    /// (not on a network address; a real install starts with `zhengxin init`).
    #[command(after_help = "Examples:\n  zhengxin serve                                  # demo on http://127.0.0.1:8080\n  zhengxin init && zhengxin serve --bind 0.0.0.0:8080   # a real install")]
    Serve(ServeArgs),
    /// Back up the database to FILE while the server goes on serving and writing.
    #[command(after_help = "SQLite: a checked copy of the database file (VACUUM INTO). PostgreSQL: a\npg_dump archive (custom format; needs pg_dump of the server's major version or newer).\nThe file must not exist yet.\n\nExamples:\n  zhengxin backup /backups/zhengxin-$(date +%F).db\n  DATABASE_URL=postgres://zx@db/zx zhengxin backup /backups/zhengxin-$(date +%F).pgdump")]
    Backup { file: PathBuf },
    /// Restore FILE (from `zhengxin backup`) into an empty database, then verify it.
    #[command(after_help = "The target must be empty: a SQLite file that does not exist yet, or a new\nPostgreSQL database (createdb). Afterwards the schema is brought up to date,\nthe audit chain is verified and every result version's content hash re-checked.\n\nExamples:\n  zhengxin --database-url sqlite://restored.db restore /backups/zhengxin-2026-11-30.db\n  createdb zx_restored && zhengxin --database-url postgres://zx@db/zx_restored restore zhengxin.pgdump")]
    Restore { file: PathBuf },
    /// The audit log: check that no entry was edited, inserted, removed or cut off.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Start a real install: create (and migrate) the database and its three
    /// administrators (三员): system (accounts), security (the security policy)
    /// and audit (the audit log), each with its own password, prompted for in
    /// that order (or three lines on standard input). No demo data is loaded
    /// into an initialised database.
    #[command(after_help = "Example:\n  DATABASE_URL=postgres://zx@db/zx zhengxin init --admin wang.admin --security-admin li.sec --audit-admin zhao.audit")]
    Init {
        /// The system administrator's user name (accounts).
        #[arg(long, default_value = "admin")]
        admin: String,
        /// The security administrator's user name (the security policy).
        #[arg(long, default_value = "security")]
        security_admin: String,
        /// The audit administrator's user name (the audit log).
        #[arg(long, default_value = "auditor")]
        audit_admin: String,
    },
    /// Import source files (CSV or XLSX) in one transaction: all or nothing.
    #[command(
        after_help = "A file's name says its source: units, commitments, proposals, hotline, debt,\ndishonesty, ratings or honours (also 单位.csv, 失信记录-2025.xlsx, hotline-2025-03.csv).\nA folder imports every such file in it, units first. Headers may be English or\nChinese; CSV may be UTF-8 (with or without BOM) or GB18030/GBK.\nOn any error nothing is written, every bad row is listed, and the exit status is 1.\n\nExamples:\n  zhengxin import exports/2025/\n  zhengxin import hotline-2025.csv units.xlsx --json\n  zhengxin import --check hotline-2025.csv          # check only, write nothing\n  zhengxin import --source hotline 12345-export.csv"
    )]
    Import {
        /// Files or folders to import.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Treat every file as this source instead of reading it from the name.
        #[arg(long, value_parser = parse_source)]
        source: Option<crate::sources::Source>,
        /// Print one JSON document on stdout instead of the report.
        #[arg(long)]
        json: bool,
        /// Only check the files and report, writing nothing (exit 1 if an import would fail).
        #[arg(long)]
        check: bool,
    },
    /// Write the demo dataset (real Wenzhou units, generated records, 2023–2026)
    /// into the database, or as canonical import files with --csv.
    #[command(
        after_help = "Examples:\n  zhengxin seed-demo\n  zhengxin seed-demo --scale 10                 # for benchmarks\n  zhengxin seed-demo --csv /tmp/demo --years 2025"
    )]
    SeedDemo(SeedDemoArgs),
    /// Score a year and store the result as a new version (or report that an
    /// identical version exists).
    #[command(
        after_help = "as_of: \"YYYY-MM-DD\" (the end of that day) or \"YYYY-MM-DD HH:MM:SS\", China Standard Time.\nDefault: the end of the year, or now if that is earlier.\n\nExamples:\n  zhengxin score --year 2025\n  zhengxin score --year 2026 --as-of 2026-06-30 --json\n  zhengxin score --year 2025 --rulebook my-2025.toml"
    )]
    Score {
        /// Assessment year.
        #[arg(long)]
        year: i32,
        /// The instant the year is seen as of (CST).
        #[arg(long, value_parser = parse_instant)]
        as_of: Option<chrono::NaiveDateTime>,
        /// A rulebook file instead of the shipped one for the year.
        #[arg(long)]
        rulebook: Option<PathBuf>,
        /// Print one JSON document on stdout instead of the summary.
        #[arg(long)]
        json: bool,
    },
    /// Publish (freeze) a year's result version: the latest unless --version is given.
    #[command(after_help = "Example:\n  zhengxin publish --year 2025")]
    Publish {
        #[arg(long)]
        year: i32,
        /// The version number to publish (see `zhengxin results`).
        #[arg(long)]
        version: Option<i64>,
    },
    /// List a year's result versions with their as_of, hashes and publication.
    #[command(after_help = "With --verify each published version is recomputed from today's data as it\nsaw them (its rulebook and as_of, the objections accepted by then, the previous\nyear's result current then) and compared; exit 1 if one differs although no\nimport or decision since explains it.\n\nExamples:\n  zhengxin results --year 2025 --json\n  zhengxin results --year 2025 --verify")]
    Results {
        #[arg(long)]
        year: i32,
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
        /// Recompute every published version and say whether it reproduces.
        #[arg(long)]
        verify: bool,
    },
    /// Export a stored result as CSV (UTF-8 with BOM) or XLSX.
    #[command(
        after_help = "Default version: the latest published, else the latest computed.\n\nExamples:\n  zhengxin export --year 2025 --format xlsx --output zhengxin-2025.xlsx\n  zhengxin export --year 2025 --format csv --output - --version 2\n  zhengxin export --year 2025 --format csv --output county.csv --group county\n  zhengxin export --year 2025 --format xlsx --output lucheng.xlsx --unit 330302"
    )]
    Export(ExportArgs),
    /// PDF reports of a stored result: the year's results notice (通报), one
    /// unit's report, or a ZIP of every unit's report.
    #[command(
        after_help = "Default version: the latest published, else the latest computed. --output is a file, a folder (the report keeps its own name there) or - for standard output. The issuing office is --office, else ZHENGXIN_REPORT_OFFICE, else \"温州市政务诚信考核工作办公室\".\n\nExamples:\n  zhengxin report --year 2025 --output notice.pdf\n  zhengxin report --year 2025 --unit 330302 --output reports/\n  zhengxin report --year 2025 --all-units --output all-units.zip"
    )]
    Report(ReportArgs),
    /// How sure each rank is: a Monte Carlo over the method's weights and
    /// thresholds from a stored version (nothing is stored), with each
    /// unit's 90 % rank interval and grade probabilities, and leave-one-out.
    #[command(
        after_help = "Default version: the latest published, else the latest computed. The same version,\nfactors, draws and seed give the same output byte for byte. This is a simulation of\nthe scoring method, not an error in the data.\n\nExamples:\n  zhengxin robustness --year 2025\n  zhengxin robustness --year 2025 --draws 100000 --seed 7 --json\n  zhengxin robustness --year 2025 --dump check/   # model and uniforms for an independent check"
    )]
    Robustness(RobustnessArgs),
    /// What-if: a year's stored inputs scored under another rulebook, beside a
    /// stored version (nothing is stored).
    #[command(
        after_help = "The rulebook may be another year's (it is tried as this year's) or an edited file;\nit is checked as `zhengxin rulebook check` does. Default version: the latest\npublished, else the latest computed; the alternative is scored as of its as_of.\n\nExamples:\n  zhengxin whatif --year 2025 --rulebook seeds/rulebooks/2026.toml\n  zhengxin whatif --year 2025 --rulebook my-2025.toml --json"
    )]
    Whatif {
        #[arg(long)]
        year: i32,
        /// The rulebook to try.
        #[arg(long)]
        rulebook: PathBuf,
        #[arg(long)]
        version: Option<i64>,
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Explain a unit's points: formula, value, and the records that cost points.
    #[command(
        after_help = "Default version: the latest published, else the latest computed.\n\nExamples:\n  zhengxin explain --year 2025 --unit 330302\n  zhengxin explain --year 2025 --unit 330302 --indicator hotline_ontime --json"
    )]
    Explain {
        #[arg(long)]
        year: i32,
        /// The unit's code.
        #[arg(long)]
        unit: String,
        /// One indicator id instead of all.
        #[arg(long)]
        indicator: Option<String>,
        #[arg(long)]
        version: Option<i64>,
        /// Record ids listed per indicator in the human report (all with --json).
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// The data-quality report of a stored result: missing data, unknown
    /// units, impossible dates, ungraded units.
    #[command(after_help = "Example:\n  zhengxin quality --year 2025 --json")]
    Quality {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        version: Option<i64>,
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Manage users: add, passwd, disable, enable, list.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens for machine clients: create (printed once), revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Work with rulebooks: `zhengxin rulebook check FILE` validates one.
    #[command(subcommand)]
    Rulebook(RulebookCommand),
}

/// The password of `user add` and `user passwd` is read from standard input
/// when it is not a terminal (one line), else prompted for twice; it is
/// never a command-line argument.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user.
    #[command(
        after_help = "Examples:\n  zhengxin user add wang.li --role assessor\n  zhengxin user add zhang.hr --role personnel\n  echo 'a-long-password' | zhengxin user add lucheng --role unit --unit 330302"
    )]
    Add {
        username: String,
        #[arg(long, value_enum)]
        role: crate::auth::Role,
        /// The unit of a `unit` user (required for that role only).
        #[arg(long)]
        unit: Option<String>,
    },
    /// Set a user's password (signs them out everywhere).
    Passwd { username: String },
    /// Set up a user's two-factor sign-in (TOTP): prints the otpauth URI
    /// (for an authenticator app) and ten recovery codes, once; any earlier
    /// second factor is replaced and the user is signed out everywhere.
    #[command(after_help = "Example:\n  zhengxin user totp wang.admin | qrencode -t ansiutf8   # a QR code in the terminal")]
    Totp {
        username: String,
        /// Print one JSON document ({"uri", "recovery_codes"}) instead.
        #[arg(long)]
        json: bool,
    },
    /// Remove a user's second factor (a lost phone); the user sets one up
    /// again at the next sign-in if the security policy requires it.
    TotpReset { username: String },
    /// Disable a user (signs them out; nothing is deleted).
    Disable { username: String },
    /// Enable a disabled user again.
    Enable { username: String },
    /// List users.
    List {
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a bearer token for USERNAME; it is printed once, only its hash is kept.
    #[command(after_help = "Examples:\n  zhengxin token create etl-bot --name nightly-import\n  zhengxin token create etl-bot --expires 90d\n  zhengxin token create etl-bot --expires 2027-06-30")]
    Create {
        username: String,
        /// A label saying what the token is for.
        #[arg(long, default_value = "api")]
        name: String,
        /// When the token stops working: a date (the end of that day, China
        /// Standard Time) or a number of days such as 90d.
        #[arg(long, default_value = "365d", value_parser = parse_expiry)]
        expires: Expiry,
    },
    /// List tokens: owner, label, created, last used, expiry, state.
    List {
        /// One JSON document instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id.
    Revoke { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum RulebookCommand {
    /// Validate a rulebook file and print its indicators.
    #[command(after_help = "Example:\n  zhengxin rulebook check seeds/rulebooks/2025.toml")]
    Check { file: PathBuf },
    /// Print the shipped rulebook of a year (a starting point for a new one).
    Show {
        #[arg(long)]
        year: i32,
    },
}

fn parse_source(text: &str) -> Result<crate::sources::Source, String> {
    crate::sources::Source::parse(text).ok_or_else(|| "expected units, commitments, proposals, hotline, debt, dishonesty, ratings or honours".to_string())
}

pub fn parse_instant(text: &str) -> Result<chrono::NaiveDateTime, String> {
    crate::import::cells::parse_datetime(text.trim())
        .or_else(|_| crate::import::cells::parse_date(text.trim()).map(|d| d.and_hms_opt(23, 59, 59).expect("valid")))
        .map_err(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn import_takes_paths_and_a_source() {
        let cli = Cli::try_parse_from(["zhengxin", "import", "a.csv", "b", "--source", "hotline", "--json"]).unwrap();
        let Command::Import { paths, source, json, .. } = cli.command else { panic!() };
        assert_eq!(paths.len(), 2);
        assert_eq!(source, Some(crate::sources::Source::Hotline));
        assert!(json);
        assert!(Cli::try_parse_from(["zhengxin", "import"]).is_err());
    }

    #[test]
    fn a_date_alone_means_the_end_of_that_day() {
        assert_eq!(parse_instant("2026-06-30").unwrap().to_string(), "2026-06-30 23:59:59");
    }
}

/// A public URL: http:// or https://, a host, no trailing slash needed.
fn parse_public_url(text: &str) -> Result<String, String> {
    let rest = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') && !host.contains(char::is_whitespace) => Ok(text.trim_end_matches('/').to_string()),
        _ => Err("expected an address such as https://zhengxin.example.gov.cn".into()),
    }
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain from the first entry; exit 1 naming the first bad entry.
    #[command(after_help = "Checks every entry's keyed hash (HMAC-SHA-256 with the key file) over its\nfields and its predecessor's hash, and that the chain still holds the head each\nresult version recorded (so a cut-off tail shows). Prints the number of entries\nand the head hash: note it down. A head printed outside the database (on the\nresults notice, the public results page, an earlier run) given with --anchor\nmust be in the chain: else entries up to it were changed or removed.\n\nExamples:\n  zhengxin audit verify\n  zhengxin audit verify --anchor 3f1c…e0 --anchor 9a7b…41\n  zhengxin audit verify --json | jq .problem")]
    Verify {
        /// One JSON document instead of the summary.
        #[arg(long)]
        json: bool,
        /// A chain head printed outside the database; repeatable.
        #[arg(long = "anchor", value_name = "HEAD")]
        anchors: Vec<String>,
    },
    /// Start a new key for the entries from now on (the chain must verify first).
    #[command(after_help = "Appends a new epoch to the key file (its earlier keys stay, so no entry is\nrehashed) and writes an audit_key_rotated entry under the new key. Back the\nkey file up again afterwards, apart from the database.\n\nWith --key-lost, when the key file is lost and no backup of it exists: a new\nkey file marks the entries keyed so far as keyed under a lost key (their links\nare still checked, their contents no longer can be, except against printed\nheads) and keys the entries from now on. See RELIABILITY.md.\n\nExamples:\n  zhengxin audit rotate-key\n  zhengxin audit rotate-key --key-lost")]
    RotateKey {
        /// The key file is lost: start a new one.
        #[arg(long)]
        key_lost: bool,
    },
}

/// When a token expires, as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// The end of this day.
    On(chrono::NaiveDate),
    /// This many days from now.
    InDays(u32),
}

impl Expiry {
    pub fn at(self, now: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
        match self {
            Expiry::On(day) => day.and_hms_opt(23, 59, 59).expect("a valid time"),
            Expiry::InDays(days) => now + chrono::Duration::days(i64::from(days)),
        }
    }
}

fn parse_expiry(text: &str) -> Result<Expiry, String> {
    if let Some(days) = text.strip_suffix('d') {
        return match days.parse::<u32>() {
            Ok(n) if (1..=3660).contains(&n) => Ok(Expiry::InDays(n)),
            _ => Err("expected 1d to 3660d".into()),
        };
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Expiry::On)
        .map_err(|_| "expected a date YYYY-MM-DD or a number of days such as 90d".into())
}

/// `--format`: the result table's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Csv,
    Xlsx,
}

impl From<FormatArg> for crate::scoring::result_file::Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Csv => Self::Csv,
            FormatArg::Xlsx => Self::Xlsx,
        }
    }
}

/// `--group`: a peer group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupArg {
    County,
    Department,
    Township,
}

impl From<GroupArg> for analytics::domain::PeerGroup {
    fn from(g: GroupArg) -> Self {
        match g {
            GroupArg::County => Self::County,
            GroupArg::Department => Self::Department,
            GroupArg::Township => Self::Township,
        }
    }
}

/// `--role`: the roles of `auth::Role`, named by their codes (so a new
/// role needs no change here).
impl ValueEnum for crate::auth::Role {
    fn value_variants<'a>() -> &'a [Self] {
        &crate::auth::Role::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let value = clap::builder::PossibleValue::new(self.code()).help(self.label_en());
        // interfaces.md's `--role admin` (see `Role::parse`).
        Some(if *self == crate::auth::Role::SystemAdmin { value.alias("admin") } else { value })
    }
}

/// `zhengxin serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "ZHENGXIN_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Start with an empty database instead of loading the demo data.
    #[arg(long, env = "ZHENGXIN_NO_DEMO")]
    pub no_demo: bool,
    /// Serve a non-loopback address although demo accounts with the
    /// published password exist (a demonstration on a network, on purpose).
    #[arg(long, env = "ZHENGXIN_DEMO_ON_NETWORK")]
    pub demo_on_network: bool,
    /// The address people use, e.g. https://zhengxin.wenzhou.gov.cn behind
    /// nginx. An https:// address makes cookies Secure (with the __Host-
    /// prefix) and sends HSTS.
    #[arg(long, env = "ZHENGXIN_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// The reverse proxy's address: only its X-Forwarded-For and
    /// X-Forwarded-Proto headers are believed.
    #[arg(long, env = "ZHENGXIN_TRUSTED_PROXY")]
    pub trusted_proxy: Option<std::net::IpAddr>,
    /// Minutes without a request after which a session ends.
    #[arg(long, env = "ZHENGXIN_IDLE_MINUTES", default_value_t = crate::config::DEFAULT_IDLE_MINUTES, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub idle_minutes: u32,
    /// Hours an upload may wait for a decision before it is discarded.
    #[arg(long, env = "ZHENGXIN_STAGED_HOURS", default_value_t = crate::config::DEFAULT_STAGED_HOURS, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub staged_hours: u32,
    /// The issuing office printed on PDF reports (the results notice, units' reports).
    #[arg(long, env = "ZHENGXIN_REPORT_OFFICE", default_value = crate::scoring::reports::DEFAULT_OFFICE)]
    pub report_office: String,
    /// Requests each client address may make to the public pages (/public) a minute.
    #[arg(long, env = "ZHENGXIN_PUBLIC_PER_MINUTE", default_value_t = crate::config::PUBLIC_PER_MINUTE, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub public_per_minute: u32,
    /// Connections held at once (default: what the open-files limit
    /// allows, less 128 for the database and files; never more). At the
    /// limit the longest-idle connection is closed to make room.
    #[arg(long, env = "ZHENGXIN_MAX_CONNECTIONS", value_parser = clap::value_parser!(u64).range(16..=16_384))]
    pub max_connections: Option<u64>,
    /// Size of the demo data loaded into an empty database (1 ≈ 300,000
    /// hotline tickets a year).
    /// The bearer token a remote Prometheus sends for /metrics (a scraper on
    /// this machine connecting directly needs none; nobody else gets them).
    #[arg(long, env = "ZHENGXIN_METRICS_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Take a backup every so often while serving (e.g. 24h, 6h, 30m; at
    /// least 1m), verify it by restoring it into a scratch database, keep
    /// the newest --backup-keep in --backup-dir (and in --backup-copy-to).
    #[arg(long, env = "ZHENGXIN_BACKUP_EVERY", value_name = "INTERVAL", value_parser = parse_interval, requires = "backup_dir")]
    pub backup_every: Option<std::time::Duration>,
    /// Where scheduled backups are written.
    #[arg(long, env = "ZHENGXIN_BACKUP_DIR", value_name = "DIR", requires = "backup_every")]
    pub backup_dir: Option<PathBuf>,
    /// How many verified backups to keep in each directory.
    #[arg(long, env = "ZHENGXIN_BACKUP_KEEP", default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub backup_keep: u32,
    /// A second directory (a mounted off-site store) each verified backup
    /// is copied to.
    #[arg(long, env = "ZHENGXIN_BACKUP_COPY_TO", value_name = "DIR", requires = "backup_every")]
    pub backup_copy_to: Option<PathBuf>,

    #[arg(long, env = "ZHENGXIN_DEMO_SCALE", default_value_t = 1.0)]
    pub demo_scale: f64,
}

/// `zhengxin seed-demo`.
#[derive(Debug, clap::Args)]
pub struct SeedDemoArgs {
    /// Size: 1 ≈ 300,000 hotline tickets a year, other records in proportion.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Random seed; the same seed gives the same data.
    #[arg(long, default_value_t = seeds::demo::DEFAULT_SEED)]
    pub seed: u64,
    /// Years to generate.
    #[arg(long, value_delimiter = ',', default_values_t = [2023, 2024, 2025, 2026])]
    pub years: Vec<i32>,
    /// Cut-off "YYYY-MM-DD HH:MM:SS" (CST): nothing later has happened. Default: now.
    #[arg(long, value_parser = parse_instant)]
    pub until: Option<chrono::NaiveDateTime>,
    /// Write CSV files into this folder instead of the database.
    #[arg(long)]
    pub csv: Option<PathBuf>,
}

/// `zhengxin report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[arg(long)]
    pub year: i32,
    /// Output file, folder, or - for standard output.
    #[arg(long)]
    pub output: PathBuf,
    #[arg(long)]
    pub version: Option<i64>,
    /// One unit's report instead of the notice.
    #[arg(long, conflicts_with = "all_units")]
    pub unit: Option<String>,
    /// Every unit's report, as one ZIP.
    #[arg(long)]
    pub all_units: bool,
    /// The issuing office printed on the reports.
    #[arg(long, env = "ZHENGXIN_REPORT_OFFICE")]
    pub office: Option<String>,
}

/// `zhengxin robustness`.
#[derive(Debug, clap::Args)]
pub struct RobustnessArgs {
    #[arg(long)]
    pub year: i32,
    #[arg(long)]
    pub version: Option<i64>,
    /// Number of draws.
    #[arg(long, default_value_t = analytics::robustness::DEFAULT_DRAWS)]
    pub draws: u32,
    #[arg(long, default_value_t = analytics::robustness::DEFAULT_SEED)]
    pub seed: u64,
    /// φ_W: each weight varies by up to this share either way.
    #[arg(long, default_value_t = analytics::robustness::DEFAULT_WEIGHT_FACTOR)]
    pub weights: f64,
    /// φ_T: each linear threshold moves by up to this share of its range.
    #[arg(long, default_value_t = analytics::robustness::DEFAULT_THRESHOLD_FACTOR)]
    pub thresholds: f64,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write the model (model.json) and every draw's uniforms
    /// (uniforms.f64, little-endian, draw after draw) into this folder.
    #[arg(long)]
    pub dump: Option<PathBuf>,
}

/// `zhengxin export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub year: i32,
    #[arg(long, value_enum)]
    pub format: FormatArg,
    /// Output file, or - for standard output.
    #[arg(long)]
    pub output: PathBuf,
    #[arg(long)]
    pub version: Option<i64>,
    /// Only one peer group's rows.
    #[arg(long, value_enum)]
    pub group: Option<GroupArg>,
    /// Only one unit's row (its indicator points).
    #[arg(long)]
    pub unit: Option<String>,
}

fn parse_cipher(s: &str) -> Result<crate::upkeep::Cipher, String> {
    crate::upkeep::Cipher::parse(s).ok_or_else(|| format!("{s:?}: the cipher is aes-256-gcm or sm4-gcm"))
}

/// A scheduled backup's interval: a duration of at least a minute.
fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e} (write e.g. 24h, 6h or 30m)"))?;
    if d < std::time::Duration::from_secs(60) {
        return Err(format!("{s:?}: at least 1m between backups"));
    }
    Ok(d)
}
