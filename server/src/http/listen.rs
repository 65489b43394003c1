//! Accepting connections, with the limits a public server needs that
//! `axum::serve` does not set:
//!
//! - **Time from accept.** A client must send a request's first bytes and
//!   then its headers within [`HEADER_TIMEOUT`] of connecting (hyper's own
//!   header timeout starts only once the HTTP version is known, which
//!   `hyper_util`'s auto builder learns by waiting for bytes, forever); an
//!   idle keep-alive connection gets the same time for its next request.
//!   A silent or slow-drip client cannot hold a connection open.
//! - **A cap below the open-files limit.** At most
//!   [`Limits::max_connections`] connections are held at once, read from
//!   the process's descriptor limit at start (raised to its hard limit
//!   first, as servers do) less [`RESERVED_FILES`] for the database, the
//!   snapshots and the logs, so the process never runs out of
//!   descriptors. One address holds at most [`Limits::per_address`] of
//!   them (a trusted proxy is exempt: it speaks for many).
//! - **Room for the next client.** At the cap, the connection idle the
//!   longest (no request under way: silent since its accept, or between
//!   requests) is closed to make room; only when every connection is busy
//!   is the new one refused, with a plain 503. A health check therefore
//!   gets through a flood of silent sockets. Refusals are counted and
//!   logged at most once a minute, as are failures to accept.
//! - **Shutdown** lets requests under way finish for at most
//!   [`SHUTDOWN_GRACE`], then closes what is left: a stop never hangs on a
//!   stuck client.
//!
//! How long a handler may take is the router's concern
//! ([`super::router`]'s request timeouts).

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::sync::Notify;
use tower::ServiceExt;

/// How long a client has to send a request's headers, by default (a
/// setting).
pub use crate::config::HEADER_TIMEOUT;
/// How long requests under way may go on once shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);
/// Descriptors kept out of the connection cap: the database's connections
/// and files, snapshots being read or written, uploads spooled, logs.
pub const RESERVED_FILES: u64 = 128;
/// The most connections held at once, whatever the descriptor limit.
pub const MAX_CONNECTIONS: usize = 16_384;
/// How often a refusal (or a failure to accept) is logged at most.
pub const LOG_EVERY: Duration = Duration::from_secs(60);

/// What one server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub header_timeout: Duration,
    pub grace: Duration,
    /// Connections held at once.
    pub max_connections: usize,
    /// Connections one client address holds at once.
    pub per_address: usize,
    /// A reverse proxy, exempt from the per-address cap.
    pub trusted_proxy: Option<IpAddr>,
}

impl Limits {
    /// Limits for a process that may open `open_files` descriptors:
    /// `wanted` connections if given, never more than the descriptors
    /// allow; one address may hold a quarter of them (at least 16).
    pub fn for_open_files(open_files: u64, wanted: Option<usize>, trusted_proxy: Option<IpAddr>) -> Limits {
        let room = usize::try_from(open_files.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX).clamp(16, MAX_CONNECTIONS);
        let max_connections = wanted.map_or(room, |w| w.clamp(1, room));
        Limits { header_timeout: HEADER_TIMEOUT, grace: SHUTDOWN_GRACE, max_connections, per_address: (max_connections / 4).max(16).min(max_connections), trusted_proxy }
    }
}

impl Limits {
    /// The limits `config` asks for, within this process's open-files
    /// limit (raised first, see [`open_files_limit`]); that limit too, for
    /// the log.
    pub fn for_config(config: &crate::config::Config) -> (u64, Limits) {
        let open_files = open_files_limit();
        let limits = Limits { header_timeout: config.header_timeout, ..Limits::for_open_files(open_files, config.max_connections, config.trusted_proxy) };
        (open_files, limits)
    }
}

/// The process's limit of open descriptors, raised to its hard limit (at
/// most 65,536) first, as servers do; what the soft limit now is.
pub fn open_files_limit() -> u64 {
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        let wanted = limit.rlim_max.min(65_536);
        if wanted > limit.rlim_cur {
            let raised = libc::rlimit { rlim_cur: wanted, rlim_max: limit.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = wanted;
            }
        }
        limit.rlim_cur as u64
    }
}

/// Serves `app` on `listener` with `limits` until `shutdown` resolves;
/// every request carries the client's [`ConnectInfo`].
pub async fn serve(listener: tokio::net::TcpListener, app: Router, shutdown: impl Future<Output = ()> + Send + 'static, limits: Limits) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let registry = Arc::new(Registry::new(limits));
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let accept_failures = Occasional::default();
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors, say: wait instead of spinning,
                    // and say so once a minute, not once per attempt.
                    if let Some(n) = accept_failures.count() {
                        tracing::warn!(error = %e, failures = n, "accepting connections failed");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Finished connections are reaped as new ones come.
        while connections.try_join_next().is_some() {}
        match registry.admit(remote.ip()) {
            Some(ticket) => {
                let _ = stream.set_nodelay(true);
                connections.spawn(connection(stream, remote, app.clone(), stop_rx.clone(), limits, ticket));
            }
            None => refuse(stream, &registry),
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(limits.grace, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(open = connections.len(), "closing connections still open after the shutdown grace period");
        connections.abort_all();
    }
    Ok(())
}

/// Every connection is busy: the client gets a plain 503 (written only if
/// the socket takes it at once) and the connection is closed.
fn refuse(stream: tokio::net::TcpStream, registry: &Registry) {
    const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let _ = stream.try_write(BUSY);
    // What the client already sent is read off, so closing does not
    // answer it with a reset that could lose the 503.
    let _ = stream.try_read(&mut [0u8; 4096]);
    if let Some(n) = registry.refusals.count() {
        tracing::warn!(
            refused = n,
            limit = registry.limits.max_connections,
            per_address = registry.limits.per_address,
            "connections refused: every connection is busy (counted since the last such line)"
        );
    }
}

/// Waits until the client has sent enough for the HTTP version to be
/// known (a first byte that does not begin HTTP/2's preface, or the whole
/// preface); `false` when it closed or `timeout` passed first.
async fn first_bytes(stream: &tokio::net::TcpStream, timeout: Duration) -> bool {
    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = [0u8; 24];
    loop {
        // A timeout polls its future first: with bytes waiting, peek is
        // always ready, so the deadline is checked here too.
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        match tokio::time::timeout_at(deadline, stream.peek(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return false,
            Ok(Ok(n)) if buf[..n] != PREFACE[..n] || n == PREFACE.len() => return true,
            // Part of the preface: peek would answer at once again.
            Ok(Ok(_)) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

async fn connection(stream: tokio::net::TcpStream, remote: SocketAddr, app: Router, mut stop: tokio::sync::watch::Receiver<bool>, limits: Limits, ticket: Ticket) {
    let slot = ticket.slot.clone();
    let closing = &slot.close;
    tokio::select! {
        ready = first_bytes(&stream, limits.header_timeout) => if !ready { return },
        () = closing.notified() => return,
        _ = stop.wait_for(|stopping| *stopping) => return,
    }
    let activity = ticket.slot.clone();
    let service = tower::service_fn(move |request: axum::extract::Request<hyper::body::Incoming>| {
        let (app, activity) = (app.clone(), activity.clone());
        async move {
            let _busy = activity.busy();
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(remote));
            app.oneshot(request).await
        }
    });
    let service = TowerToHyperService::new(service.map_err(|e: Infallible| match e {}));
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(Some(limits.header_timeout)).keep_alive_timeout(limits.header_timeout);
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::trace!(error = %e, "connection ended with an error");
            }
            return;
        }
        () = closing.notified() => {}
        _ = stop.wait_for(|stopping| *stopping) => {}
    }
    // Closed to make room, or shutting down: a response being written is
    // finished first.
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(limits.grace, conn).await;
    drop(ticket);
}

/// Counts events and says, at most once per [`LOG_EVERY`], how many
/// happened since it last said.
#[derive(Debug, Default)]
struct Occasional {
    since_said: AtomicU64,
    said_at: Mutex<Option<Instant>>,
}

impl Occasional {
    /// Counts one; `Some(n)` when it is time to log the `n` counted.
    fn count(&self) -> Option<u64> {
        self.since_said.fetch_add(1, Ordering::Relaxed);
        let mut said_at = self.said_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if said_at.is_some_and(|t| t.elapsed() < LOG_EVERY) {
            return None;
        }
        *said_at = Some(Instant::now());
        Some(self.since_said.swap(0, Ordering::Relaxed))
    }
}

/// One held connection: whether a request is under way and since when it
/// has been idle, and how to ask it to close.
#[derive(Debug)]
struct Slot {
    id: u64,
    address: IpAddr,
    in_flight: AtomicUsize,
    /// Milliseconds after the registry's start when it last became idle.
    idle_since: AtomicU64,
    close: Notify,
    started: Instant,
}

impl Slot {
    fn busy(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        Busy(self.clone())
    }
}

/// A request under way on a connection; its end makes the connection idle.
struct Busy(Arc<Slot>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.idle_since.store(self.0.started.elapsed().as_millis() as u64, Ordering::SeqCst);
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The connections held, by id and by address.
#[derive(Debug)]
struct Registry {
    limits: Limits,
    held: Mutex<Held>,
    refusals: Occasional,
    started: Instant,
}

#[derive(Debug, Default)]
struct Held {
    slots: HashMap<u64, Arc<Slot>>,
    per_address: HashMap<IpAddr, usize>,
    next: u64,
}

impl Held {
    fn release(&mut self, id: u64) {
        if let Some(slot) = self.slots.remove(&id)
            && let Some(n) = self.per_address.get_mut(&slot.address)
        {
            *n -= 1;
            if *n == 0 {
                self.per_address.remove(&slot.address);
            }
        }
    }

    /// Closes the connection idle the longest (of `address` only, if
    /// given); `false` when every one is busy.
    fn evict_idlest(&mut self, address: Option<IpAddr>) -> bool {
        let idlest = self
            .slots
            .values()
            .filter(|s| address.is_none_or(|a| s.address == a) && s.in_flight.load(Ordering::SeqCst) == 0)
            .min_by_key(|s| (s.idle_since.load(Ordering::SeqCst), s.id))
            .map(|s| s.id);
        let Some(id) = idlest else { return false };
        if let Some(slot) = self.slots.get(&id) {
            slot.close.notify_one();
        }
        self.release(id);
        true
    }
}

/// A connection's place; dropping it gives the place back.
struct Ticket {
    slot: Arc<Slot>,
    registry: Arc<Registry>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.registry.lock().release(self.slot.id);
    }
}

impl Registry {
    fn new(limits: Limits) -> Registry {
        Registry { limits, held: Mutex::default(), refusals: Occasional::default(), started: Instant::now() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A place for a new connection from `address`, making room by closing
    /// an idle one if need be; `None` when every one is busy.
    fn admit(self: &Arc<Self>, address: IpAddr) -> Option<Ticket> {
        let mut held = self.lock();
        let limited = Some(address) != self.limits.trusted_proxy;
        if limited && held.per_address.get(&address).copied().unwrap_or(0) >= self.limits.per_address && !held.evict_idlest(Some(address)) {
            return None;
        }
        if held.slots.len() >= self.limits.max_connections && !held.evict_idlest(None) {
            return None;
        }
        held.next += 1;
        let slot = Arc::new(Slot {
            id: held.next,
            address,
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(self.started.elapsed().as_millis() as u64),
            close: Notify::new(),
            started: self.started,
        });
        held.slots.insert(slot.id, slot.clone());
        *held.per_address.entry(address).or_default() += 1;
        Some(Ticket { slot, registry: self.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn limits(header_timeout: Duration, grace: Duration, max_connections: usize, per_address: usize) -> Limits {
        Limits { header_timeout, grace, max_connections, per_address, trusted_proxy: None }
    }

    async fn start(limits: Limits) -> (SocketAddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/", axum::routing::get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }))
            .route("/slow", axum::routing::get(|| async { tokio::time::sleep(Duration::from_secs(3600)).await }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, app, async { let _ = stopped.await; }, limits));
        (addr, stop, task)
    }

    /// A whole GET on a new connection: the status line and body.
    async fn get(addr: SocketAddr, path: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        // Until the server closes (a refusal may end in a reset).
        while let Ok(Ok(n @ 1..)) = tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk)).await {
            answer.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8(answer).unwrap()
    }

    /// Whether the server closed `s` within `within`.
    async fn closed(s: &mut tokio::net::TcpStream, within: Duration) -> bool {
        let mut rest = Vec::new();
        tokio::time::timeout(within, s.read_to_end(&mut rest)).await.is_ok()
    }

    #[tokio::test]
    async fn requests_see_their_client_and_a_slow_drip_is_cut_off() {
        let (addr, stop, task) = start(limits(Duration::from_millis(300), Duration::from_secs(5), 64, 64)).await;
        let answer = get(addr, "/").await;
        assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("127.0.0.1"), "{answer}");

        let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        let started = Instant::now();
        assert!(closed(&mut slow, Duration::from_secs(5)).await, "the server closes the connection");
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        let _ = stop.send(());
        task.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_connection_that_never_sends_a_byte_is_closed_counted_from_its_accept() {
        let (addr, stop, task) = start(limits(Duration::from_millis(300), Duration::from_secs(5), 64, 64)).await;
        let started = Instant::now();
        let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut half_preface = tokio::net::TcpStream::connect(addr).await.unwrap();
        half_preface.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
        assert!(closed(&mut silent, Duration::from_secs(3)).await, "a silent connection is closed");
        assert!(closed(&mut half_preface, Duration::from_secs(3)).await, "half of HTTP/2's preface is closed too");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        let _ = stop.send(());
        task.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn at_the_cap_the_idlest_connection_makes_room_and_busy_ones_are_kept() {
        let (addr, stop, task) = start(limits(Duration::from_secs(30), Duration::from_millis(200), 4, 4)).await;
        // Two requests under way, then two silent sockets: the cap is full.
        let mut busy = Vec::new();
        for _ in 0..2 {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
            busy.push(s);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut oldest = tokio::net::TcpStream::connect(addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut newer = tokio::net::TcpStream::connect(addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        // A health check still gets its answer: the oldest silent socket
        // made room.
        let answer = get(addr, "/").await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(closed(&mut oldest, Duration::from_secs(1)).await, "the idlest connection was closed");
        assert!(!closed(&mut newer, Duration::from_millis(200)).await, "the newer silent one was not");
        for s in &mut busy {
            assert!(!closed(s, Duration::from_millis(100)).await, "requests under way are never cut off");
        }
        // Every place busy (two slow requests, two more): a newcomer gets 503.
        for _ in 0..2 {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
            busy.push(s);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let refused = get(addr, "/").await;
        assert!(refused.starts_with("HTTP/1.1 503") && refused.contains("Retry-After: 5"), "{refused}");
        let _ = stop.send(());
        task.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn one_address_holds_at_most_its_share() {
        let (addr, stop, task) = start(limits(Duration::from_secs(30), Duration::from_millis(200), 100, 2)).await;
        let mut first = tokio::net::TcpStream::connect(addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut second = tokio::net::TcpStream::connect(addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let _third = tokio::net::TcpStream::connect(addr).await.unwrap();
        assert!(closed(&mut first, Duration::from_secs(1)).await, "the address's idlest connection made room");
        assert!(!closed(&mut second, Duration::from_millis(200)).await);
        let _ = stop.send(());
        task.await.unwrap().unwrap();
    }

    #[test]
    fn limits_follow_the_descriptor_limit() {
        let l = Limits::for_open_files(1024, None, None);
        assert_eq!((l.max_connections, l.per_address), (896, 224));
        assert_eq!(Limits::for_open_files(1024, Some(5000), None).max_connections, 896, "never above what the descriptors allow");
        assert_eq!(Limits::for_open_files(1024, Some(100), None).max_connections, 100);
        assert_eq!(Limits::for_open_files(1 << 40, None, None).max_connections, MAX_CONNECTIONS);
        assert!(open_files_limit() >= 64);
    }

    #[test]
    fn refusals_are_logged_once_a_minute_with_their_count() {
        let o = Occasional::default();
        assert_eq!(o.count(), Some(1));
        assert_eq!(o.count(), None);
        assert_eq!(o.count(), None);
        *o.said_at.lock().unwrap() = Some(Instant::now() - LOG_EVERY);
        assert_eq!(o.count(), Some(3), "the two held back and this one");
    }

    #[tokio::test]
    async fn shutdown_waits_for_requests_at_most_the_grace_period() {
        let (addr, stop, task) = start(limits(Duration::from_secs(5), Duration::from_millis(500), 64, 64)).await;
        let mut stuck = tokio::net::TcpStream::connect(addr).await.unwrap();
        stuck.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        let _ = stop.send(());
        tokio::time::timeout(Duration::from_secs(5), task).await.expect("shutdown ends").unwrap().unwrap();
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "no longer listening");
    }
}
