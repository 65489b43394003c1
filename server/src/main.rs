//! The `zhengxin` binary: parse the command line, set up logging, run the
//! command. Exit status: 0 success, 1 the work failed, 2 bad command line.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use server::cli::{AuditCommand, Cli, Command, RulebookCommand, TokenCommand, UserCommand};
use server::config::{self, Config};
use server::db::Db;
use server::db::claims::Origin;
use server::{auth, import, scoring};

/// mimalloc instead of the system allocator: an import allocates rows on
/// the checking thread and frees them on the writing one, and glibc's
/// arenas spent a third of that time on their locks (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match server::clock::from_env() {
        Ok(None) => {}
        Ok(Some(now)) => tracing::info!(%now, "the clock is set by {}: it read this time (China Standard Time) when set", server::clock::NOW_VAR),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    if !matches!(cli.command, Command::Serve { .. }) {
        restore_sigpipe();
    }
    match run(cli).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Runs one command; `Ok(false)` when the work itself failed (bad input).
async fn run(cli: Cli) -> anyhow::Result<bool> {
    match cli.command {
        Command::Serve {
            bind,
            no_demo,
            demo_scale,
            demo_on_network,
            public_url,
            trusted_proxy,
            idle_minutes,
            staged_hours,
        } => {
            let config = Config {
                demo_scale: (!no_demo).then_some(demo_scale),
                demo_on_network,
                public_url,
                trusted_proxy,
                idle_minutes,
                staged_hours,
                ..Config::new(cli.database_url, bind)
            };
            tracing::info!(?config, "starting");
            let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
            server::serve(config, listener, shutdown_signal()).await?;
            Ok(true)
        }
        Command::Backup { file } => {
            let db = Db::connect(&cli.database_url).await?;
            let detail = serde_json::json!({ "file": file.display().to_string() });
            server::db::audit::record_one(&db, &actor(), "backup", "database", db.backend(), detail).await?;
            let started = std::time::Instant::now();
            let kind = server::db::backup::backup(&db, &cli.database_url, &file).await?;
            let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            println!("backup written: {} ({kind:?}, {:.1} MiB, {:.1} s)", file.display(), size as f64 / 1048576.0, started.elapsed().as_secs_f64());
            Ok(true)
        }
        Command::Restore { file } => {
            let (kind, db) = server::db::backup::restore(&cli.database_url, &file).await?;
            let chain = server::db::audit::verify(&db).await?;
            let mut intact = chain.problem.is_none();
            let mut versions = 0;
            for year in scoring::results::year_states(&db).await?.into_iter().map(|s| s.year) {
                for v in scoring::results::versions(&db, year).await? {
                    versions += 1;
                    if !scoring::verify(&db, &v).await? {
                        intact = false;
                        println!("result {year} version {} does not match its content hash", v.version);
                    }
                }
            }
            match &chain.problem {
                None => println!("restored {} ({kind:?}) into {}: audit log intact ({} entries, head {}); {versions} result version(s) match their hashes", file.display(), server::db::redact(&cli.database_url), chain.entries, chain.head),
                Some(p) => println!("restored, but the AUDIT LOG IS BROKEN at entry {}: {}", p.id, p.message),
            }
            Ok(intact)
        }
        Command::Audit(AuditCommand::Verify { json }) => {
            let db = Db::connect(&cli.database_url).await?;
            let found = server::db::audit::verify(&db).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&found)?);
            } else {
                match &found.problem {
                    None => println!("audit log intact: {} entries; head {}", found.entries, found.head),
                    Some(p) => println!("AUDIT LOG BROKEN at entry {} ({}): {}", p.id, p.kind, p.message),
                }
            }
            Ok(found.problem.is_none())
        }
        Command::Init { admin } => {
            let db = Db::connect(&cli.database_url).await?;
            let users = db.count("users").await?;
            anyhow::ensure!(users == 0, "this database is already set up ({users} user(s)); manage accounts with `zhengxin user`");
            eprintln!("the first administrator, {admin}: choose a password of at least {} characters", auth::passwords::MIN_LENGTH);
            let password = read_password()?;
            auth::users::add(&db, &admin, auth::Role::Admin, None, &password, &actor()).await?;
            println!("initialised {}: administrator {admin} created; no demo data will be loaded", server::db::redact(&cli.database_url));
            println!("next: zhengxin serve --bind ADDR:PORT, sign in as {admin}, add users on /admin/users, import data");
            Ok(true)
        }
        Command::Import { paths, source, json, check } => {
            let db = Db::connect(&cli.database_url).await?;
            let (inputs, issues) = import::collect(&paths, source);
            let started = std::time::Instant::now();
            let progress: import::ProgressFn = Arc::new(move |p| {
                let rate = |rows: usize| rows as f64 / started.elapsed().as_secs_f64().max(1e-3);
                // Small files finish too fast to need progress lines.
                match p {
                    import::Progress::Read { file, rows } if rows >= PROGRESS_MIN_ROWS => eprintln!("read    {file}: {rows} rows ({:.0} rows/s)", rate(rows)),
                    import::Progress::Written { file, rows } if rows >= PROGRESS_MIN_ROWS => eprintln!("written {file}: {rows} rows"),
                    _ => {}
                }
            });
            let report = if check {
                import::check(&db, inputs, issues, progress).await?
            } else {
                import::import(&db, inputs, issues, &actor(), Origin::CommandLine, progress).await?
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.human());
            }
            eprintln!("took {:.2} s", started.elapsed().as_secs_f64());
            Ok(report.ok)
        }
        Command::SeedDemo {
            scale,
            seed,
            years,
            until,
            csv,
        } => {
            anyhow::ensure!(scale > 0.0 && scale.is_finite(), "--scale must be a positive number");
            let until = until.unwrap_or_else(server::clock::now_cst);
            let plan = server::demo::DemoPlan {
                generator: seeds::demo::Generator::new(seed, scale, until),
                years,
            };
            let started = std::time::Instant::now();
            if let Some(dir) = csv {
                for (name, rows) in server::demo::write_csv(&dir, &plan)? {
                    println!("{}: {rows} rows", dir.join(name).display());
                }
            } else {
                let db = Db::connect(&cli.database_url).await?;
                let progress = |source: &str, rows: u64| {
                    eprintln!("{source}: {rows} rows ({:.0} rows/s)", rows as f64 / started.elapsed().as_secs_f64().max(1e-3));
                };
                for (source, c) in server::demo::seed(&db, &plan, &actor(), &progress).await? {
                    println!(
                        "{}: {} rows: {} new, {} updated, {} unchanged",
                        source.spec().file_stem,
                        c.total,
                        c.inserted,
                        c.updated,
                        c.unchanged
                    );
                }
            }
            eprintln!("took {:.2} s", started.elapsed().as_secs_f64());
            Ok(true)
        }
        Command::Score { year, as_of, rulebook, json } => {
            let db = Db::connect(&cli.database_url).await?;
            let rules = match rulebook {
                Some(path) => Some(read_rulebook(&path)?),
                None => None,
            };
            let started = std::time::Instant::now();
            let outcome = scoring::score_as_job(&db, year, as_of, rules, &actor(), Origin::CommandLine, &|_| {}).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&outcome)?);
            } else {
                let v = &outcome.version;
                if outcome.created {
                    println!("{year}: version {} as of {} ({} units, {} data-quality findings)", v.version, v.as_of, outcome.units, outcome.findings);
                } else {
                    println!("{year}: identical to version {} (as of {}); nothing new stored", v.version, v.as_of);
                }
                let grades: Vec<String> = outcome.grades.iter().map(|(g, n)| format!("{g} {n}")).collect();
                println!("grades: {}", grades.join(", "));
                println!("content hash: {}", v.content_hash);
            }
            eprintln!(
                "took {:.2} s (loading {:.2} s, scoring {:.2} s)",
                started.elapsed().as_secs_f64(),
                outcome.seconds_loading,
                outcome.seconds_scoring
            );
            Ok(true)
        }
        Command::Publish { year, version } => {
            let db = Db::connect(&cli.database_url).await?;
            let v = scoring::publish(&db, year, version, &actor()).await?;
            println!("{year}: version {} published; content hash {}", v.version, v.content_hash);
            Ok(true)
        }
        Command::Results { year, json, verify } => {
            let db = Db::connect(&cli.database_url).await?;
            let versions = scoring::results::versions(&db, year).await?;
            let mut intact = Vec::with_capacity(versions.len());
            for v in &versions {
                intact.push(scoring::verify(&db, v).await?);
            }
            if verify {
                let mut all_explained = intact.iter().all(|ok| *ok);
                let mut checks = Vec::new();
                for v in versions.iter().filter(|v| v.published_at.is_some()) {
                    let r = scoring::reproduce(&db, v).await?;
                    all_explained &= !r.unexplained();
                    checks.push(r);
                }
                if json {
                    println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "year": year, "published": checks }))?);
                } else if checks.is_empty() {
                    println!("{year}: no published version to verify");
                }
                for r in checks.iter().filter(|_| !json) {
                    let differ = r.differing_units.join(", ");
                    let said = match (r.reproduces, r.inputs_unchanged, r.changes_recorded) {
                        (true, true, _) => "reproduces exactly from today's data".to_string(),
                        (true, false, true) => "reproduces, although imports or decisions changed its inputs since".to_string(),
                        (false, _, true) => format!("does not reproduce: imports or decisions changed its inputs since; units that differ: {differ}"),
                        (true, false, false) => "ITS INPUTS CHANGED although no import or decision explains it (data altered outside Zhengxin?); the results still reproduce".to_string(),
                        (false, _, false) => format!("DOES NOT REPRODUCE although no import or decision explains it (data altered outside Zhengxin?); units that differ: {differ}"),
                    };
                    println!("{year} version {}: {said}", r.version);
                }
                return Ok(all_explained);
            }
            if json {
                let list: Vec<serde_json::Value> = versions
                    .iter()
                    .zip(&intact)
                    .map(|(v, ok)| {
                        let mut value = serde_json::to_value(v).expect("serialisable");
                        value["intact"] = (*ok).into();
                        value
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "year": year, "versions": list }))?);
            } else if versions.is_empty() {
                println!("{year}: no results yet (run `zhengxin score --year {year}`)");
            } else {
                println!("version  as_of                computed_at          published_at         content_hash      intact");
                for (v, ok) in versions.iter().zip(&intact) {
                    let published = v.published_at.map_or("-".to_string(), |t| t.to_string());
                    println!("{:>7}  {}  {}  {:<19}  {}  {}", v.version, v.as_of, v.computed_at, published, &v.content_hash[..16], if *ok { "yes" } else { "NO" });
                }
            }
            Ok(intact.iter().all(|ok| *ok))
        }
        Command::Export { year, format, output, version, group, unit } => {
            let db = Db::connect(&cli.database_url).await?;
            let v = &stored_version(&db, year, version).await?;
            let rows = scoring::results::read(&db, v.id).await?.only(group.as_deref(), unit.as_deref());
            if let Some(code) = unit.as_deref().filter(|_| rows.units.is_empty()) {
                anyhow::bail!("no unit {code} in {year} version {}", v.version);
            }
            let rules = analytics::rulebook::Rulebook::parse(&scoring::results::rulebook_text(&db, v.id).await?)?;
            let bytes = match format.as_str() {
                "csv" => scoring::export::csv(&rows, &rules),
                _ => scoring::export::xlsx(&rows, &rules, &format!("{year}年度政务诚信考核结果 第{}版", v.version)),
            }
            .map_err(|m| anyhow::anyhow!(m))?;
            let detail = serde_json::json!({ "format": format, "group": group, "unit": unit, "units": rows.units.len(), "output": output.display().to_string() });
            server::db::audit::record_one(&db, &actor(), "export", "result_versions", &format!("{year}/{}", v.version), detail).await?;
            if output.as_os_str() == "-" {
                use std::io::Write;
                std::io::stdout().write_all(&bytes)?;
            } else {
                std::fs::write(&output, &bytes).with_context(|| format!("cannot write {}", output.display()))?;
                eprintln!("{}: {year} version {}, {} units", output.display(), v.version, rows.units.len());
            }
            Ok(true)
        }
        Command::Explain { year, unit, indicator, version, limit, json } => {
            let db = Db::connect(&cli.database_url).await?;
            let v = &stored_version(&db, year, version).await?;
            let explanation = scoring::explain::unit(&db, v, &unit, indicator.as_deref()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&explanation)?);
            } else {
                print!("{}", scoring::explain::human(&explanation, limit));
            }
            Ok(true)
        }
        Command::Quality { year, version, json } => {
            let db = Db::connect(&cli.database_url).await?;
            let v = &stored_version(&db, year, version).await?;
            let findings = scoring::results::read_quality(&db, v.id).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "year": year, "version": v.version, "findings": findings }))?);
            } else {
                println!("{year} version {}: {} finding(s)", v.version, findings.len());
                for f in &findings {
                    let unit = f.unit_code.as_deref().unwrap_or("-");
                    let record = f.record_id.as_deref().map(|r| format!(" record {r}")).unwrap_or_default();
                    println!("{:<16} {:<12} {unit}{record}: {}", f.kind, f.source, f.detail);
                }
            }
            Ok(true)
        }
        Command::User(command) => {
            let db = Db::connect(&cli.database_url).await?;
            match command {
                UserCommand::Add { username, role, unit } => {
                    let role = auth::Role::parse(&role).expect("clap checked the role");
                    let password = read_password()?;
                    auth::users::add(&db, &username, role, unit.as_deref(), &password, &actor()).await?;
                    println!("user {username} added ({})", role.code());
                }
                UserCommand::Passwd { username } => {
                    let password = read_password()?;
                    auth::users::set_password(&db, &username, &password, &actor()).await?;
                    println!("password of {username} changed");
                }
                UserCommand::Disable { username } => {
                    auth::users::disable(&db, &username, &actor()).await?;
                    println!("user {username} disabled");
                }
                UserCommand::Enable { username } => {
                    auth::users::enable(&db, &username, &actor()).await?;
                    println!("user {username} enabled");
                }
                UserCommand::List { json } => {
                    let users = auth::users::list(&db).await?;
                    if json {
                        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "users": users }))?);
                    } else {
                        for u in users {
                            let state = if u.disabled { "disabled" } else { "active" };
                            println!("{:<24} {:<9} {:<12} {state}", u.username, u.role.code(), u.unit_code.unwrap_or_default());
                        }
                    }
                }
            }
            Ok(true)
        }
        Command::Token(command) => {
            let db = Db::connect(&cli.database_url).await?;
            match command {
                TokenCommand::Create { username, name, expires } => {
                    let expires_at = expires.at(server::clock::now_cst());
                    let t = auth::tokens::create(&db, &username, &name, expires_at, &actor()).await?;
                    eprintln!("token {} for {username}, valid until {expires_at}: shown once, keep it safe", t.id);
                    println!("{}", t.token);
                }
                TokenCommand::List { json } => {
                    let tokens = auth::tokens::list(&db).await?;
                    let now = server::clock::now_cst();
                    if json {
                        let list: Vec<serde_json::Value> = tokens
                            .iter()
                            .map(|t| {
                                let mut v = serde_json::to_value(t).expect("serialisable");
                                v["live"] = t.live(now).into();
                                v
                            })
                            .collect();
                        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "tokens": list }))?);
                    } else {
                        println!("{:>4}  {:<20} {:<20} {:<19}  {:<19}  {:<19}  state", "id", "owner", "label", "created", "last used", "expires");
                        for t in &tokens {
                            let state = match () {
                                _ if t.revoked_at.is_some() => "revoked",
                                _ if t.owner_disabled => "owner disabled",
                                _ if t.expires_at <= now => "expired",
                                _ => "live",
                            };
                            let used = t.last_used_at.map_or("never".to_string(), |d| d.to_string());
                            println!("{:>4}  {:<20} {:<20} {:<19}  {:<19}  {:<19}  {state}", t.id, t.owner, t.name, t.created_at, used, t.expires_at);
                        }
                    }
                }
                TokenCommand::Revoke { id } => {
                    auth::tokens::revoke(&db, id, &actor()).await?;
                    println!("token {id} revoked");
                }
            }
            Ok(true)
        }
        Command::Rulebook(RulebookCommand::Check { file }) => {
            let rules = read_rulebook(&file)?;
            println!("{}: rulebook for {} is valid: {} indicators", file.display(), rules.year, rules.indicators.len());
            for r in &rules.indicators {
                println!("  {:<22} {:>5}  {}", r.id, r.weight, analytics::explain::formula(r));
            }
            Ok(true)
        }
        Command::Rulebook(RulebookCommand::Show { year }) => {
            let text = seeds::rulebooks::text(year).ok_or(analytics::rulebook::RulebookError::Missing(year))?;
            print!("{text}");
            Ok(true)
        }
    }
}

/// `zhengxin export --output - | head` must stop quietly when the reader
/// goes away, as Unix tools do, instead of panicking on a broken pipe: Rust
/// ignores SIGPIPE by default, so the commands restore the default action.
/// `serve` keeps ignoring it: a client that hangs up must not end the server.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default has no
    // memory-safety preconditions; no handler of ours is involved.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// A new password: one line from standard input when it is not a terminal,
/// else typed twice at a prompt without echo.
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let prompt = |label: &str| -> anyhow::Result<String> {
        eprint!("{label}");
        std::io::stderr().flush()?;
        let _quiet = EchoOff::new();
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        eprintln!();
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    };
    let first = prompt("新密码 / new password: ")?;
    let second = prompt("再次输入 / repeat: ")?;
    anyhow::ensure!(first == second, "the two passwords differ");
    Ok(first)
}

/// Turns terminal echo off while it lives.
struct EchoOff(Option<libc::termios>);

impl EchoOff {
    fn new() -> EchoOff {
        // SAFETY: termios is plain data; tcgetattr fills it or fails, and
        // only a filled one is used.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut t) != 0 {
                return EchoOff(None);
            }
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &t);
            EchoOff(Some(saved))
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(saved) = self.0 {
            // SAFETY: restores the settings read in `new`.
            unsafe {
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &saved);
            }
        }
    }
}

/// A stored result version of `year` (default: the latest published, else
/// the latest), or an error that says which exist.
async fn stored_version(db: &Db, year: i32, version: Option<i64>) -> anyhow::Result<scoring::results::VersionInfo> {
    let versions = scoring::results::versions(db, year).await?;
    let found = scoring::results::find_version(&versions, year, version).map_err(|m| anyhow::anyhow!(m))?;
    Ok(found.clone())
}

/// Reads and validates a rulebook file.
fn read_rulebook(path: &std::path::Path) -> anyhow::Result<analytics::rulebook::Rulebook> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    analytics::rulebook::Rulebook::parse(&text).with_context(|| format!("{} is not a usable rulebook", path.display()))
}

/// Files smaller than this get no progress lines.
const PROGRESS_MIN_ROWS: usize = 50_000;

/// Who runs a command-line write, for the audit log.
fn actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
