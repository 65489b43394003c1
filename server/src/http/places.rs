//! Places for expensive requests and for uploads: what keeps one account
//! from holding the server for everyone.
//!
//! - **Expensive places.** At most [`EXPENSIVE_AT_ONCE`] expensive requests
//!   (exports, record lists, explanations, PDFs, simulations) run at once,
//!   and one account holds at most one of them: its second request waits
//!   for its first (at most [`EXPENSIVE_WAIT`], as everyone waits for a
//!   place), then is turned away with 503 and `Retry-After`. A request
//!   that is not signed in takes no place: its handler refuses it at once.
//! - **Uploads are received before they take a place.** An upload's body
//!   is read in full first ([`receive`]), and only then does its handler
//!   (which checks and stores it) wait for an expensive place, so a slow
//!   upload holds a connection and its own upload place, never a place
//!   the leader's export needs.
//! - **Upload places.** One account sends at most [`UPLOADS_PER_ACCOUNT`]
//!   uploads at once and the server receives at most [`UPLOADS_AT_ONCE`];
//!   beyond, the answer is 429 at once. An upload must keep arriving at
//!   [`MIN_UPLOAD_RATE`] on average after its first [`RATE_GRACE`], or it is
//!   cut off with 408: a drip of 64 bytes a second holds its place for
//!   seconds, not the upload timeout's quarter hour.
//! - **A client that goes away** drops its request: the place is given back
//!   at once, and a simulation it started stops too (see
//!   [`crate::scoring::robustness::simulate`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{ApiAnswer, AppState};

/// Expensive requests served at once; two cores.
pub const EXPENSIVE_AT_ONCE: usize = 4;
/// How long an expensive request waits for a place before it is turned
/// away with 503 and `Retry-After`.
pub const EXPENSIVE_WAIT: Duration = Duration::from_secs(10);
/// Uploads one account sends at once.
pub const UPLOADS_PER_ACCOUNT: usize = 2;
/// Uploads received at once, over all accounts.
pub const UPLOADS_AT_ONCE: usize = 16;
/// The slowest average an upload may arrive at, once [`RATE_GRACE`] has
/// passed: a tenth of the 80 KB/s the upload timeout is sized for.
pub const MIN_UPLOAD_RATE: u64 = 8 * 1024;
/// How long an upload may take before its average rate is checked.
pub const RATE_GRACE: Duration = Duration::from_secs(20);

/// The places, shared by every request.
#[derive(Debug)]
pub struct Places {
    expensive: Arc<Semaphore>,
    capacity: usize,
    /// One place per account, taken before an expensive place.
    accounts: Mutex<HashMap<i64, Arc<Semaphore>>>,
    uploads: Arc<Semaphore>,
    uploading: Mutex<HashMap<i64, usize>>,
}

impl Default for Places {
    fn default() -> Self {
        Places::new(EXPENSIVE_AT_ONCE)
    }
}

/// An expensive place, held until dropped.
#[derive(Debug)]
pub struct Place {
    _account: OwnedSemaphorePermit,
    _expensive: OwnedSemaphorePermit,
}

/// An upload's place, held until dropped.
#[derive(Debug)]
pub struct UploadPlace<'a> {
    places: &'a Places,
    account: i64,
    _global: OwnedSemaphorePermit,
}

impl Drop for UploadPlace<'_> {
    fn drop(&mut self) {
        let mut uploading = lock(&self.places.uploading);
        if let Some(n) = uploading.get_mut(&self.account) {
            *n -= 1;
            if *n == 0 {
                uploading.remove(&self.account);
            }
        }
    }
}

/// Why no place was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Every place stayed taken for the whole wait.
    Busy,
    /// The account already sends as many uploads as it may.
    UploadsOfAccount,
    /// The server receives as many uploads as it may.
    Uploads,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Places {
    pub fn new(expensive: usize) -> Places {
        Places {
            expensive: Arc::new(Semaphore::new(expensive)),
            capacity: expensive,
            accounts: Mutex::default(),
            uploads: Arc::new(Semaphore::new(UPLOADS_AT_ONCE)),
            uploading: Mutex::default(),
        }
    }

    /// Expensive places free now.
    #[cfg(test)]
    fn free(&self) -> usize {
        self.expensive.available_permits()
    }

    /// Expensive places taken now (for the metrics).
    pub fn in_use(&self) -> usize {
        self.capacity - self.expensive.available_permits()
    }

    /// An expensive place for `account`: first the account's own (so it
    /// never holds two), then one of the server's, both within `wait`.
    pub async fn take(&self, account: i64, wait: Duration) -> Result<Place, Refused> {
        let deadline = tokio::time::Instant::now() + wait;
        let own = lock(&self.accounts).entry(account).or_insert_with(|| Arc::new(Semaphore::new(1))).clone();
        let taken = async {
            let mine = own.clone().acquire_owned().await.map_err(|_| Refused::Busy)?;
            let place = self.expensive.clone().acquire_owned().await.map_err(|_| Refused::Busy)?;
            Ok(Place { _account: mine, _expensive: place })
        };
        let outcome = tokio::time::timeout_at(deadline, taken).await.unwrap_or(Err(Refused::Busy));
        drop(own);
        self.tidy();
        outcome
    }

    /// An upload place for `account`, refused at once when its own or the
    /// server's are all taken.
    pub fn upload(&self, account: i64) -> Result<UploadPlace<'_>, Refused> {
        let mut uploading = lock(&self.uploading);
        if uploading.get(&account).is_some_and(|&n| n >= UPLOADS_PER_ACCOUNT) {
            return Err(Refused::UploadsOfAccount);
        }
        // Refused for want of a server place, the account is not counted.
        let global = self.uploads.clone().try_acquire_owned().map_err(|_| Refused::Uploads)?;
        *uploading.entry(account).or_default() += 1;
        Ok(UploadPlace { places: self, account, _global: global })
    }

    /// Forgets accounts no one holds or waits for (the map holds one
    /// reference to an account's semaphore, each holder or waiter another),
    /// so the map does not grow with every account that ever asked.
    fn tidy(&self) {
        lock(&self.accounts).retain(|_, s| Arc::strong_count(s) > 1);
    }
}

const BUSY: &str = "服务器繁忙，请稍后再试。 / The server is busy; try again in a few seconds.";

/// A plain-text refusal carrying its [`ApiAnswer`], which `api::envelope`
/// makes the JSON body on API routes.
fn refusal(status: StatusCode, code: &'static str, message: &str) -> Response {
    let mut refused = (status, [(header::RETRY_AFTER, "5"), (header::CONTENT_TYPE, "text/plain; charset=utf-8")], message.to_string()).into_response();
    refused.extensions_mut().insert(ApiAnswer { status, code, message: message.to_string() });
    refused
}

/// The account a request is made by, if it is signed in (session cookie
/// or bearer token), and the request again. Not signed in, it gets no
/// place: its handler answers it at once.
async fn account(state: &AppState, request: Request) -> (Option<i64>, Request) {
    let (parts, body) = request.into_parts();
    let account = super::session::api_user(&parts, state).await.ok().flatten().map(|u| u.id);
    (account, Request::from_parts(parts, body))
}

/// The upload place of the account making `request`, and the request
/// again; no place for a request not signed in (its handler refuses it),
/// the refusal when the account's or the server's places are taken.
async fn upload_place(state: &AppState, request: Request) -> Result<(Option<UploadPlace<'_>>, Request), Response> {
    let (account, request) = account(state, request).await;
    match account {
        None => Ok((None, request)),
        Some(account) => state.places.upload(account).map(|place| (Some(place), request)).map_err(upload_refusal),
    }
}

fn upload_refusal(refused: Refused) -> Response {
    match refused {
        Refused::UploadsOfAccount => refusal(
            StatusCode::TOO_MANY_REQUESTS,
            "uploads_busy",
            &format!("您已有 {UPLOADS_PER_ACCOUNT} 个上传正在进行，请待其完成。 / {UPLOADS_PER_ACCOUNT} uploads of yours are under way; wait for them to finish."),
        ),
        _ => refusal(StatusCode::SERVICE_UNAVAILABLE, "busy", BUSY),
    }
}

/// Lets an expensive request run once its account has its one place and
/// the server a free one (see the module's notes).
pub async fn limit_expensive(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (account, request) = account(&state, request).await;
    let Some(account) = account else {
        return next.run(request).await;
    };
    match state.places.take(account, EXPENSIVE_WAIT).await {
        Ok(place) => {
            let response = next.run(request).await;
            drop(place);
            state.places.tidy();
            response
        }
        Err(_) => refusal(StatusCode::SERVICE_UNAVAILABLE, "busy", BUSY),
    }
}

/// Receives an upload of at most `max` bytes in full, within its account's
/// and the server's upload places and at [`MIN_UPLOAD_RATE`], before the
/// handler (and any expensive place) sees it.
pub async fn receive(State((state, max)): State<(AppState, usize)>, request: Request, next: Next) -> Response {
    let (_place, request) = match upload_place(&state, request).await {
        Ok((Some(place), request)) => (place, request),
        Ok((None, request)) => return next.run(request).await,
        Err(refused) => return refused,
    };
    let (parts, body) = request.into_parts();
    match read_body(body, max, MIN_UPLOAD_RATE, RATE_GRACE).await {
        Ok(bytes) => next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        Err(Received::TooLarge) => {
            let message = format!("上传超过 {0} MiB，未保存任何内容。 / The upload exceeds {0} MiB; nothing was kept.", max.div_ceil(1 << 20));
            let mut r = refusal(StatusCode::PAYLOAD_TOO_LARGE, "too_large", &message);
            r.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
            r
        }
        Err(Received::TooSlow) => {
            let mut r = refusal(StatusCode::REQUEST_TIMEOUT, "too_slow", "上传过慢，已中断。 / The upload arrived too slowly and was cut off.");
            r.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
            r
        }
        Err(Received::Broken) => refusal(StatusCode::BAD_REQUEST, "bad_request", "上传中断。 / The upload was interrupted."),
    }
}

/// Why a body was not received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    TooLarge,
    TooSlow,
    Broken,
}

/// `body`'s chunks, cut off with [`Received::TooSlow`] when, after
/// `grace`, they arrive slower than `rate` bytes a second on average
/// (checked while waiting for each next chunk, so a silent client is cut
/// off too).
pub fn paced(body: axum::body::Body, rate: u64, grace: Duration) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, Received>> + Send {
    use futures_util::StreamExt;
    let started = Instant::now();
    futures_util::stream::unfold(Some((body.into_data_stream(), 0u64)), move |state| async move {
        let (mut stream, received) = state?;
        // The latest moment the next byte may arrive and keep the average.
        let due = Duration::from_secs_f64((received as f64 + 1.0) / rate as f64).max(grace);
        match tokio::time::timeout(due.saturating_sub(started.elapsed()), stream.next()).await {
            Err(_) => Some((Err(Received::TooSlow), None)),
            Ok(None) => None,
            Ok(Some(Err(_))) => Some((Err(Received::Broken), None)),
            Ok(Some(Ok(chunk))) => {
                let received = received + chunk.len() as u64;
                Some((Ok(chunk), Some((stream, received))))
            }
        }
    })
}

/// Reads `body` whole: at most `max` bytes, at `rate` after `grace` (see
/// [`paced`]).
pub async fn read_body(body: axum::body::Body, max: usize, rate: u64, grace: Duration) -> Result<Vec<u8>, Received> {
    use futures_util::StreamExt;
    let mut chunks = std::pin::pin!(paced(body, rate, grace));
    let mut bytes = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        if bytes.len() + chunk.len() > max {
            return Err(Received::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// An import's upload: within its account's and the server's upload
/// places, and at [`MIN_UPLOAD_RATE`]; it streams on to the handler, which
/// spools it to disk with its own limits.
pub async fn pace_upload(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (place, request) = match upload_place(&state, request).await {
        Ok((Some(place), request)) => (place, request),
        Ok((None, request)) => return next.run(request).await,
        Err(refused) => return refused,
    };
    let (parts, body) = request.into_parts();
    let body = axum::body::Body::from_stream(paced(body, MIN_UPLOAD_RATE, RATE_GRACE));
    let response = next.run(Request::from_parts(parts, body)).await;
    drop(place);
    response
}

impl std::fmt::Display for Received {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Received::TooLarge => "the upload is too large",
            Received::TooSlow => "the upload arrived too slowly and was cut off",
            Received::Broken => "the upload was interrupted",
        })
    }
}

impl std::error::Error for Received {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_account_holds_one_expensive_place_and_others_still_get_theirs() {
        let places = Places::new(4);
        let first = places.take(1, Duration::from_millis(50)).await.expect("a place");
        assert_eq!(places.take(1, Duration::from_millis(50)).await.err(), Some(Refused::Busy), "the same account waits for its own");
        assert_eq!(places.free(), 3, "and its waiting took nothing from the others");
        let others: Vec<Place> = futures_util::future::join_all((2..5).map(|a| places.take(a, Duration::from_millis(50)))).await.into_iter().map(Result::unwrap).collect();
        assert_eq!(places.free(), 0);
        assert_eq!(places.take(9, Duration::from_millis(50)).await.err(), Some(Refused::Busy), "four places in all");
        drop(first);
        let again = places.take(1, Duration::from_millis(50)).await;
        assert!(again.is_ok(), "a place given back is taken");
        drop((again, others));
        places.tidy();
        assert!(lock(&places.accounts).is_empty(), "accounts holding nothing are forgotten");
    }

    #[tokio::test]
    async fn a_waiting_account_gets_its_place_when_its_first_request_ends() {
        let places = Arc::new(Places::new(4));
        let first = places.take(1, Duration::from_millis(50)).await.unwrap();
        let waiter = tokio::spawn({
            let places = places.clone();
            async move { places.take(1, Duration::from_secs(5)).await.is_ok() }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(first);
        assert!(waiter.await.unwrap());
    }

    #[test]
    fn uploads_are_limited_per_account_and_in_all() {
        let places = Places::new(4);
        let a: Vec<_> = (0..UPLOADS_PER_ACCOUNT).map(|_| places.upload(1).unwrap()).collect();
        assert_eq!(places.upload(1).err(), Some(Refused::UploadsOfAccount));
        let mut others = Vec::new();
        for account in 2.. {
            match places.upload(account) {
                Ok(p) => others.push(p),
                Err(e) => {
                    assert_eq!(e, Refused::Uploads);
                    assert!(lock(&places.uploading).get(&account).is_none(), "an account refused a server place is not counted");
                    break;
                }
            }
        }
        assert_eq!(a.len() + others.len(), UPLOADS_AT_ONCE);
        drop(a);
        assert!(places.upload(1).is_ok(), "its places given back, the account uploads again");
        assert!(lock(&places.uploading).get(&1).is_none(), "and nothing is left counted for it");
    }

    fn dripping(every: Duration, chunks: usize) -> axum::body::Body {
        let stream = futures_util::stream::unfold(0usize, move |n| async move {
            if n == chunks {
                return None;
            }
            tokio::time::sleep(every).await;
            Some((Ok::<_, std::io::Error>(axum::body::Bytes::from_static(&[b'x'; 64])), n + 1))
        });
        axum::body::Body::from_stream(stream)
    }

    #[tokio::test]
    async fn a_body_is_read_whole_within_its_size_and_rate() {
        assert_eq!(read_body(axum::body::Body::from(vec![1u8; 100]), 100, 1024, Duration::from_secs(1)).await.unwrap().len(), 100);
        assert_eq!(read_body(axum::body::Body::from(vec![1u8; 101]), 100, 1024, Duration::from_secs(1)).await.err(), Some(Received::TooLarge));
        // 64 bytes every 10 ms (6.4 KB/s) keeps up with 1 KB/s.
        assert_eq!(read_body(dripping(Duration::from_millis(10), 20), 1 << 20, 1024, Duration::from_millis(50)).await.unwrap().len(), 1280);
        // 64 bytes every 100 ms (640 B/s) falls behind 1 KB/s after the grace.
        let started = Instant::now();
        assert_eq!(read_body(dripping(Duration::from_millis(100), 100), 1 << 20, 1024, Duration::from_millis(300)).await.err(), Some(Received::TooSlow));
        assert!(started.elapsed() < Duration::from_secs(2), "cut off early: {:?}", started.elapsed());
    }
}
