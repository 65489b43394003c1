//! The command line: [`args`] is its grammar (clap), and each sibling
//! module runs a family of commands: connect, call one use case, print.
//! Results go to stdout, progress and timings to stderr. A command returns
//! `Ok(false)` when the work itself failed (bad input, a broken chain):
//! exit status 1, as for an error.

pub mod args;

mod accounts;
mod analysis;
mod backup;
mod data;
mod results;
mod rulebook;
mod serve;

pub use args::{AuditCommand, Cli, Command, LogFormat, RulebookCommand, TokenCommand, UserCommand};

use args::{ExportArgs, ReportArgs, SeedDemoArgs, ServeArgs};

use anyhow::Context;

use crate::db::Db;
use crate::scoring;

/// Every environment variable zhengxin reads: those of the command line's
/// settings, the log level and the snapshot folder (what
/// deploy/zhengxin.conf may set).
pub fn variables() -> Vec<String> {
    fn walk(command: &clap::Command, out: &mut Vec<String>) {
        for arg in command.get_arguments() {
            if let Some(env) = arg.get_env() {
                out.push(env.to_string_lossy().to_string());
            }
        }
        for sub in command.get_subcommands() {
            walk(sub, out);
        }
    }
    let mut out = vec!["RUST_LOG".to_string(), crate::snapshot::FOLDER_SETTING.to_string()];
    walk(&<Cli as clap::CommandFactory>::command(), &mut out);
    out.sort();
    out.dedup();
    out
}

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<bool> {
    let url = cli.database_url;
    if let Some(path) = cli.audit_key_file {
        crate::upkeep::use_audit_key_file(path);
    }
    crate::upkeep::use_data_key(cli.data_key_file, cli.data_cipher);
    match cli.command {
        Command::Serve(args) => serve::serve(url, args).await,
        Command::Backup { file } => backup::backup(&url, &file).await,
        Command::Restore { file } => backup::restore(&url, &file).await,
        Command::Audit(AuditCommand::Verify { json, anchors }) => backup::verify_audit(&url, json, &anchors).await,
        Command::Audit(AuditCommand::RotateKey { key_lost }) => backup::rotate_key(&url, key_lost).await,
        Command::Init { admin, security_admin, audit_admin } => accounts::init(&url, [&admin, &security_admin, &audit_admin]).await,
        Command::User(command) => accounts::user(&url, command).await,
        Command::Token(command) => accounts::token(&url, command).await,
        Command::Import { paths, source, json, check } => data::import(&url, &paths, source, json, check).await,
        Command::SeedDemo(args) => data::seed_demo(&url, args).await,
        Command::Score { year, as_of, rulebook, json } => results::score(&url, year, as_of, rulebook.as_deref(), json).await,
        Command::Publish { year, version } => results::publish(&url, year, version).await,
        Command::Results { year, json, verify } => results::list(&url, year, json, verify).await,
        Command::Export(args) => results::export(&url, args).await,
        Command::Report(args) => results::report(&url, args).await,
        Command::Robustness(args) => analysis::robustness(&url, args).await,
        Command::Whatif { year, rulebook, version, json } => analysis::whatif(&url, year, &rulebook, version, json).await,
        Command::Explain { year, unit, indicator, version, limit, json } => results::explain(&url, year, &unit, indicator.as_deref(), version, limit, json).await,
        Command::Quality { year, version, json } => results::quality(&url, year, version, json).await,
        Command::Rulebook(RulebookCommand::Check { file }) => rulebook::check(&file),
        Command::Rulebook(RulebookCommand::Show { year }) => rulebook::show(year),
    }
}

/// `zhengxin export --output - | head` must stop quietly when the reader
/// goes away, as Unix tools do, instead of panicking on a broken pipe: Rust
/// ignores SIGPIPE by default, so the commands restore the default action.
/// `serve` keeps ignoring it: a client that hangs up must not end the server.
pub fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default has no
    // memory-safety preconditions; no handler of ours is involved.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// A stored result version of `year` (default: the latest published, else
/// the latest), or an error that says which exist.
async fn stored_version(db: &Db, year: i32, version: Option<i64>) -> anyhow::Result<scoring::results::VersionInfo> {
    Ok(scoring::stored_version(db, year, version).await?)
}

/// Reads and validates a rulebook file.
pub(crate) fn read_rulebook(path: &std::path::Path) -> anyhow::Result<analytics::rulebook::Rulebook> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    analytics::rulebook::Rulebook::parse(&text).with_context(|| format!("{} is not a usable rulebook", path.display()))
}

/// Files smaller than this get no progress lines.
const PROGRESS_MIN_ROWS: usize = 50_000;

/// Who runs a command-line write, for the audit log.
fn actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

