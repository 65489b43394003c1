//! `zhengxin serve`: the web pages and API until Ctrl-C or SIGTERM.

use anyhow::Context;

use super::ServeArgs;
use crate::config::Config;

pub async fn serve(database_url: String, a: ServeArgs) -> anyhow::Result<bool> {
    let config = Config {
        demo_scale: (!a.no_demo).then_some(a.demo_scale),
        demo_on_network: a.demo_on_network,
        public_url: a.public_url,
        trusted_proxy: a.trusted_proxy,
        idle_minutes: a.idle_minutes,
        staged_hours: a.staged_hours,
        report_office: a.report_office,
        public_per_minute: a.public_per_minute,
        max_connections: a.max_connections.map(|n| n as usize),
        metrics_token: a.metrics_token,
        backups: a.backup_every.zip(a.backup_dir).map(|(every, dir)| crate::backups::Schedule { every, dir, keep: a.backup_keep as usize, copy_to: a.backup_copy_to }),
        ..Config::new(database_url, a.bind)
    };
    tracing::info!(?config, "starting");
    let listener = tokio::net::TcpListener::bind(a.bind).await.with_context(|| format!("cannot listen on {}", a.bind))?;
    crate::serve(config, listener, shutdown_signal()).await?;
    Ok(true)
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
