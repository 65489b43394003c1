//! Starting the server: connect and migrate, clear what an interrupted
//! import left, load the demo data into a fresh database (never facing a
//! network by accident), expire waiting uploads, and serve HTTP until told
//! to stop. `zhengxin serve` and every end-to-end test start here.

use std::future::Future;

use crate::config::Config;
use crate::db::Db;
use crate::{clock, demo, http, import};

/// Connects and migrates, with the configured snapshot folder and audit
/// and data key files. Both keys exist (or are refused: unreadable, open
/// to others, missing for a keyed chain or for sealed data, another
/// database's) before anything is served.
async fn connect(config: &Config) -> anyhow::Result<Db> {
    let mut db = Db::connect_keyed(&config.database_url, config.audit_key_file.clone(), config.data_key_file.clone()).await?;
    if let Some(folder) = &config.snapshots {
        db = db.with_snapshots(Some(folder.clone()));
    }
    crate::upkeep::prepare(&db).await?;
    Ok(db)
}

/// Connects, loads the demo data into an empty database when configured
/// to, and serves HTTP on `listener` until `shutdown` resolves. Used by
/// `main` and by every end-to-end test.
pub async fn serve(config: Config, listener: tokio::net::TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let db = connect(&config).await?;
    let addr = listener.local_addr()?;
    // Known passwords must not face a network by accident: a network
    // address, or loopback behind a proxy (a public URL or a trusted proxy
    // says the site is reached from elsewhere).
    let facing_network = !addr.ip().is_loopback() || config.public_url.is_some() || config.trusted_proxy.is_some();
    let guarded = facing_network && !config.demo_on_network;
    if config.public_url.as_deref().is_some_and(|u| u.starts_with("https://")) && config.trusted_proxy.is_none() {
        tracing::warn!(
            "--public-url is set but --trusted-proxy is not: every request will seem to come from the proxy's address, and sign-in throttling will treat all users as one client"
        );
    }
    // An import killed mid-way left pending rows nobody reads; take them
    // away now rather than at the next import (unless one is running), and
    // before deciding whether the database is empty.
    match import::recover(&db).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(batches = n, "what an interrupted import had written was removed"),
        Err(e) => tracing::warn!(error = %e, "removing what an interrupted import had written failed; the next import retries"),
    }
    let fresh = db.is_fresh().await?;
    if let Some(scale) = config.demo_scale.filter(|_| fresh) {
        anyhow::ensure!(
            !guarded,
            "refusing to load the demo data, whose accounts have a published password, on a server facing the network ({addr}, or behind a proxy): \
             start a real install with `zhengxin init`, serve the demo on 127.0.0.1 without --public-url, or pass --demo-on-network"
        );
        tracing::info!(scale, "数据库为空，正在载入演示数据 (empty database: loading the demo data)");
        let plan = demo::DemoPlan::standard(scale, clock::now_cst());
        let started = std::time::Instant::now();
        let counts = demo::seed(&db, &plan, "system:demo", &|source, rows| tracing::info!(source, rows, "demo data")).await?;
        let total: u64 = counts.iter().map(|(_, c)| c.total).sum();
        tracing::info!(rows = total, seconds = started.elapsed().as_secs_f64(), "演示数据已载入 (demo data loaded)");
        demo::prepare(&db, &plan.years, plan.generator.until, "system:demo").await?;
        tracing::info!(
            accounts = "leader, assessor, lucheng (鹿城区), admin, personnel",
            password = demo::DEMO_PASSWORD,
            "演示年度已评分并发布，演示账号已创建 (demo years scored and published; demo accounts created)"
        );
    }
    if guarded {
        let open = demo::open_demo_accounts(&db).await?;
        anyhow::ensure!(
            open.is_empty(),
            "refusing to serve {addr} facing the network: the demo account(s) {} still sign in with the published password; \
             change or disable them (`zhengxin user passwd NAME`, `zhengxin user disable NAME`) or pass --demo-on-network",
            open.join(", ")
        );
    }
    let demo = crate::demo::is_loaded(&db).await?;
    let policy = crate::auth::policy::current(&db, config.idle_minutes).await?;
    let state = http::AppState::new(db.clone(), config, demo, policy);
    let expiry = expire_waiting_uploads(db.clone(), state.config.staged_hours, state.jobs.clone());
    let backups = state.config.backups.clone().map(|s| crate::backups::spawn(db.clone(), state.config.database_url.clone(), s));
    let (open_files, limits) = http::listen::Limits::for_config(&state.config);
    let app = http::router::router(state);
    tracing::info!(%addr, demo, open_files, max_connections = limits.max_connections, per_address = limits.per_address, "serving");
    http::listen::serve(listener, app, shutdown, limits).await?;
    expiry.abort();
    if let Some(backups) = backups {
        backups.abort();
    }
    db.close().await;
    Ok(())
}

/// Uploads nobody decided on are discarded after `hours`: they may hold
/// personal data that was meant to be imported or thrown away. One a job
/// is checking or committing right now is left to finish. Runs until
/// aborted, every ten minutes.
fn expire_waiting_uploads(db: Db, hours: u32, jobs: std::sync::Arc<crate::jobs::Jobs>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            let busy = |id: i64| jobs.is_running(&format!("import:{id}"));
            match import::staging::expire(&db, hours, &busy).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(uploads = n, hours, "waiting uploads expired and discarded"),
                Err(e) => tracing::warn!(error = %e, "expiring waiting uploads failed"),
            }
        }
    })
}
