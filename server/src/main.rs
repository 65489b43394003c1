//! The `zhengxin` binary: parse the command line, set up logging and the
//! clock, run the command ([`server::cli`]). Exit status: 0 success, 1 the
//! work failed, 2 bad command line or settings.

use std::process::ExitCode;

use clap::Parser;
use server::cli::{Cli, Command, LogFormat};

/// mimalloc instead of the system allocator: an import allocates rows on
/// the checking thread and frees them on the writing one, and glibc's
/// arenas spent a third of that time on their locks (BENCHMARKS.md).
///
/// Built with `--features system-alloc` it keeps the system allocator, so
/// that a heap profiler hooking malloc (heaptrack) sees every allocation.
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Transparent huge pages off for this process. mimalloc asks for them on
/// its arena (`madvise`), and then one byte touched makes 2 MiB resident:
/// a warm scoring of 3 M tickets peaked at 205-219 MiB with them and
/// 144-159 MiB without, at the same speed, and seeding 3 M tickets took
/// the same time either way (BENCHMARKS.md, "Import to result"). Only
/// faults after the call are affected, so it comes first. Best effort: a
/// kernel without the setting leaves everything as it was.
fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE reads its integer arguments
    // and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// How many Parquet row groups polars reads ahead of its pipelines, unless
/// the operator set it: as many as there are cores. polars' own default is
/// at least 16, decoded ahead for no speed here: a warm scoring of 3 M
/// tickets on two cores peaked at 180-197 MiB with it, 117-125 MiB with 2
/// and 126-137 MiB with 4, all at 0.14 s (BENCHMARKS.md, "Import to
/// result").
fn polars_read_ahead() {
    const SETTING: &str = "POLARS_ROW_GROUP_PREFETCH_SIZE";
    if std::env::var_os(SETTING).is_none() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()).max(2);
        // SAFETY: the first thing the process does, before any other
        // thread exists that could read the environment.
        unsafe { std::env::set_var(SETTING, cores.to_string()) };
    }
}

/// Files and folders this process creates are its account's alone
/// (umask 077): the database, its WAL, backups, snapshots, exports and
/// reports hold the assessment's records, and an operator's shell (umask
/// 022) would otherwise make `zhengxin init` or `zhengxin backup` write them
/// readable by every account on the machine. The service unit sets the
/// same; this covers the commands typed by hand. Key files are 0600 anyway.
fn private_files() {
    // SAFETY: umask only sets the process's file-creation mask.
    unsafe {
        libc::umask(0o077);
    }
}

fn main() -> ExitCode {
    private_files();
    without_huge_pages();
    polars_read_ahead();
    match server::config::load_file(&server::cli::variables()) {
        Ok(file) => run(file),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Logs to stderr at RUST_LOG's levels, as text or as one JSON object a
/// line (`--log-format json`): the event's fields, and the fields of the
/// spans it happened in (a request's id, method, path and user).
fn logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into());
    let fmt = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => fmt.init(),
        LogFormat::Json => fmt.json().with_current_span(true).with_span_list(false).flatten_event(true).init(),
    }
}

#[tokio::main]
async fn run(settings: Option<std::path::PathBuf>) -> ExitCode {
    let cli = Cli::parse();
    logging(cli.log_format);
    if let Some(file) = settings {
        tracing::debug!(file = %file.display(), "settings read from the configuration file");
    }
    if !matches!(cli.command, Command::Serve(_)) {
        server::cli::restore_sigpipe();
    }
    match server::clock::from_env() {
        Ok(None) => {}
        Ok(Some(now)) => tracing::info!(%now, "the clock is set by {}: it read this time (China Standard Time) when set", server::clock::NOW_VAR),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    match server::cli::run(cli).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
