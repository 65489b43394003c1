//! Accepting connections, with the limits a public server needs that
//! `axum::serve` does not set: a client must send a request's headers
//! within [`HEADER_TIMEOUT`] (a slow-drip client cannot hold a connection
//! open), and shutdown lets requests under way finish for at most
//! [`SHUTDOWN_GRACE`], then closes what is left: a stop never hangs on a
//! stuck client.
//!
//! How long a handler may take is the router's concern
//! ([`super::router`]'s request timeouts).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt;

/// How long a client has to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long requests under way may go on once shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);

/// Serves `app` on `listener` until `shutdown` resolves; every request
/// carries the client's [`ConnectInfo`].
pub async fn serve(listener: tokio::net::TcpListener, app: Router, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    serve_with(listener, app, shutdown, HEADER_TIMEOUT, SHUTDOWN_GRACE).await
}

/// [`serve`] with other limits (tests use short ones).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    header_timeout: Duration,
    grace: Duration,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors, say: wait instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // Finished connections are reaped as new ones come.
        while connections.try_join_next().is_some() {}
        connections.spawn(connection(stream, remote, app.clone(), stop_rx.clone(), header_timeout));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(grace, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(open = connections.len(), "closing connections still open after the shutdown grace period");
        connections.abort_all();
    }
    Ok(())
}

async fn connection(stream: tokio::net::TcpStream, remote: SocketAddr, app: Router, mut stop: tokio::sync::watch::Receiver<bool>, header_timeout: Duration) {
    let service = app.map_request(move |mut request: axum::extract::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(remote));
        request.map(axum::body::Body::new)
    });
    let service = TowerToHyperService::new(service.map_err(|e: Infallible| match e {}));
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout);
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(Some(header_timeout)).keep_alive_timeout(header_timeout);
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::trace!(error = %e, "connection ended with an error");
            }
            return;
        }
        _ = stop.wait_for(|stopping| *stopping) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn start(header_timeout: Duration, grace: Duration) -> (SocketAddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/", axum::routing::get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }))
            .route("/slow", axum::routing::get(|| async { tokio::time::sleep(Duration::from_secs(3600)).await }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve_with(listener, app, async { let _ = stopped.await; }, header_timeout, grace));
        (addr, stop, task)
    }

    #[tokio::test]
    async fn requests_see_their_client_and_a_slow_drip_is_cut_off() {
        let (addr, stop, task) = start(Duration::from_millis(300), Duration::from_secs(5)).await;
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("127.0.0.1"), "{answer}");

        let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        let started = std::time::Instant::now();
        let mut rest = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await.expect("the server closes the connection");
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        let _ = stop.send(());
        task.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn shutdown_waits_for_requests_at_most_the_grace_period() {
        let (addr, stop, task) = start(Duration::from_secs(5), Duration::from_millis(500)).await;
        let mut stuck = tokio::net::TcpStream::connect(addr).await.unwrap();
        stuck.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = std::time::Instant::now();
        let _ = stop.send(());
        tokio::time::timeout(Duration::from_secs(5), task).await.expect("shutdown ends").unwrap().unwrap();
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "no longer listening");
    }
}
