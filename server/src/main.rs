//! The `zhengxin` binary: parse the command line, set up logging, run the
//! command. Exit status: 0 success, 1 the work failed, 2 bad command line.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use server::cli::{Cli, Command};
use server::config::{self, Config};
use server::db::Db;
use server::import;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
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
        Command::Serve { bind, no_demo, demo_scale } => {
            let config = Config {
                database_url: cli.database_url,
                bind,
                demo_scale: (!no_demo).then_some(demo_scale),
            };
            tracing::info!(?config, "starting");
            let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
            server::serve(config, listener, shutdown_signal()).await?;
            Ok(true)
        }
        Command::Import { paths, source, json } => {
            let db = Db::connect(&cli.database_url).await?;
            let (inputs, issues) = import::collect(&paths, source);
            let started = std::time::Instant::now();
            let progress: import::ProgressFn = Arc::new(move |p| {
                let rate = |rows: usize| rows as f64 / started.elapsed().as_secs_f64().max(1e-3);
                match p {
                    import::Progress::Read { file, rows } => {
                        eprintln!("read    {file}: {rows} rows ({:.0} rows/s)", rate(rows))
                    }
                    import::Progress::Written { file, rows, of } => {
                        eprintln!("written {file}: {rows}/{of} rows")
                    }
                }
            });
            let report = import::import(&db, inputs, issues, &actor(), progress).await?;
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
            let until = until.unwrap_or_else(config::now_cst);
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
    }
}

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
