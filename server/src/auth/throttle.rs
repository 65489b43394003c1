//! Slowing down password guessing, in memory, without locking the real
//! user out.
//!
//! Failed sign-ins are counted per account and per client address. After
//! [`FREE_FAILURES`] failures, each further attempt must wait an
//! exponentially growing delay (1 s, 2 s, 4 s, … up to [`MAX_DELAY`]) after
//! the last failure; an attempt inside that window is refused at once,
//! without checking the password, so a guesser gets neither an answer nor
//! CPU time. A correct password resets its account.
//!
//! **Trusted browsers pass.** Counting per account alone lets a stranger
//! lock anyone out: nine well-timed guesses, then one per window, keep an
//! account locked for good. So a browser that signed in to the account
//! before carries a device cookie ([`super::devices`], the scheme of
//! OWASP's "Slow down online guessing attacks with device cookies"), and
//! its attempts are counted against that device only: the account's and
//! the address's delays, which only strangers build up, do not apply to
//! it. A device that fails [`FREE_FAILURES`] times waits like anyone else.
//! The administrator's unlock lifts an account's delays; the start of
//! every delay (account, address or device) is reported by [`failed`] so
//! that it is audited.
//!
//! Checking a password runs argon2 (about 19 MiB and tens of milliseconds):
//! at most [`MAX_CONCURRENT_HASHES`] run at once; up to [`MAX_WAITING`]
//! more wait in line for at most [`HASH_WAIT`], and anything beyond is
//! answered "busy" at once, so no flood of sign-ins can exhaust memory or
//! the blocking thread pool. Sign-ins to an account that exists and has no
//! recent failures, and sign-ins from a trusted browser without failures,
//! have a lane of their own ([`PRIORITY_HASHES`] checks): guesses spread
//! over made-up names from many addresses fill the common lane, and the
//! real user still gets a turn.
//!
//! The state lives in memory, by design: it is lost on a restart (which an
//! attacker cannot cause), and it costs no database write per guess. It is
//! bounded: at most [`MAX_TRACKED`] accounts, addresses and devices each;
//! when full, entries whose delay has passed are forgotten first.
//!
//! [`failed`]: SignInThrottle::failed

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures before delays begin.
pub const FREE_FAILURES: u32 = 5;
/// The longest delay between two attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Password checks running at once.
pub const MAX_CONCURRENT_HASHES: usize = 4;
/// Accounts (and, separately, addresses) tracked at once.
pub const MAX_TRACKED: usize = 100_000;
/// Password checks reserved for existing accounts without recent failures.
pub const PRIORITY_HASHES: usize = 2;
/// Sign-ins that may wait for a password check.
pub const MAX_WAITING: usize = 256;
/// How long a sign-in waits for a password check before it is "busy".
pub const HASH_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    /// When the next attempt may be checked.
    fn open_at(&self) -> Instant {
        if self.count < FREE_FAILURES {
            return self.last;
        }
        let exponent = (self.count - FREE_FAILURES).min(20);
        self.last + Duration::from_secs(1u64 << exponent).min(MAX_DELAY)
    }
}

/// Why an attempt was not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures: wait this long.
    Wait(Duration),
    /// Too many password checks are running; try again in a moment.
    Busy,
}

/// A locked account, as the administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    pub username: String,
    pub failures: u32,
    /// Seconds until the next attempt is checked.
    pub wait_seconds: u64,
}

/// Who an attempt's failures count against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt<'a> {
    /// A browser not trusted for the account: the account and the address.
    Stranger { username: &'a str, address: IpAddr },
    /// A browser that signed in to the account before: its device only
    /// (the id of its checked device cookie).
    Trusted { device: &'a str },
}

/// A delay that has just begun, to be audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lock {
    Account { username: String, failures: u32 },
    Address { address: IpAddr, failures: u32 },
    Device { username: String, failures: u32 },
}

#[derive(Debug, Default)]
struct Counts {
    accounts: HashMap<String, Failures>,
    addresses: HashMap<IpAddr, Failures>,
    devices: HashMap<String, Failures>,
}

#[derive(Debug, Default)]
struct InFlight {
    accounts: HashMap<String, u32>,
    addresses: HashMap<IpAddr, u32>,
    devices: HashMap<String, u32>,
}

#[derive(Debug)]
pub struct SignInThrottle {
    counts: Mutex<Counts>,
    /// Attempts admitted and not yet decided, per account, address and
    /// device: a burst sent at once must not all pass before the first
    /// failure is counted.
    in_flight: Mutex<InFlight>,
    hashing: Lane,
    priority: Lane,
    hash_wait: Duration,
    /// Failed sign-ins being audited: each waits for the writer; beyond
    /// this many the audit entry is skipped (and logged as skipped), so a
    /// flood cannot tie up every database connection.
    pub failure_audits: std::sync::Arc<tokio::sync::Semaphore>,
}

/// Failed sign-ins audited at once.
pub const FAILURE_AUDITS: usize = 8;

/// Password checks of one kind: places, and how many wait for one.
#[derive(Debug)]
struct Lane {
    places: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
}

impl Lane {
    fn new(places: usize) -> Lane {
        Lane { places: tokio::sync::Semaphore::new(places), waiting: std::sync::atomic::AtomicUsize::new(0) }
    }

    async fn take(&self, wait: Duration) -> Result<tokio::sync::SemaphorePermit<'_>, Refusal> {
        use std::sync::atomic::Ordering;
        if let Ok(permit) = self.places.try_acquire() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Refusal::Busy);
        }
        let permit = tokio::time::timeout(wait, self.places.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match permit {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Refusal::Busy),
        }
    }
}

/// An attempt counted as in flight until it is dropped.
#[derive(Debug)]
struct Flight<'a> {
    throttle: &'a SignInThrottle,
    subject: Subject,
}

/// What an attempt in flight is counted under.
#[derive(Debug)]
enum Subject {
    Stranger(String, IpAddr),
    Device(String),
}

fn leave<K: std::hash::Hash + Eq>(map: &mut HashMap<K, u32>, key: &K) {
    if let Some(n) = map.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            map.remove(key);
        }
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let mut flights = lock(&self.throttle.in_flight);
        match &self.subject {
            Subject::Stranger(username, address) => {
                leave(&mut flights.accounts, username);
                leave(&mut flights.addresses, address);
            }
            Subject::Device(id) => leave(&mut flights.devices, id),
        }
    }
}

impl Default for SignInThrottle {
    fn default() -> Self {
        SignInThrottle::with_hash_wait(HASH_WAIT)
    }
}

/// Leave to check one password; dropping it frees the place and ends the
/// attempt's flight (record its outcome first).
pub struct Permit<'a> {
    _place: tokio::sync::SemaphorePermit<'a>,
    _flight: Flight<'a>,
}

/// The attempts still allowed before a delay: the free ones left, or one
/// at a time once delays have begun. Attempts in flight count.
fn allowed(f: Option<&Failures>) -> u32 {
    f.map_or(FREE_FAILURES, |f| FREE_FAILURES.saturating_sub(f.count).max(1))
}

fn wait(f: Option<&Failures>, now: Instant) -> Duration {
    f.map(|f| f.open_at().saturating_duration_since(now)).unwrap_or_default()
}

impl SignInThrottle {
    /// A throttle whose sign-ins wait at most `hash_wait` for a check.
    pub fn with_hash_wait(hash_wait: Duration) -> SignInThrottle {
        SignInThrottle {
            counts: Mutex::default(),
            in_flight: Mutex::default(),
            hashing: Lane::new(MAX_CONCURRENT_HASHES),
            priority: Lane::new(PRIORITY_HASHES),
            hash_wait,
            failure_audits: std::sync::Arc::new(tokio::sync::Semaphore::new(FAILURE_AUDITS)),
        }
    }

    /// May `attempt` be checked now? Waits in line for a password check
    /// (see [`HASH_WAIT`]); `known`: the account exists and is enabled.
    pub async fn admit(&self, attempt: Attempt<'_>, known: bool, now: Instant) -> Result<Permit<'_>, Refusal> {
        let (failures, longest) = self.delay(attempt, now);
        if !longest.is_zero() {
            return Err(Refusal::Wait(longest));
        }
        let subject = {
            let counts = lock(&self.counts);
            let mut flights = lock(&self.in_flight);
            match attempt {
                Attempt::Stranger { username, address } => {
                    let (a, b) = (flights.accounts.get(username).copied().unwrap_or(0), flights.addresses.get(&address).copied().unwrap_or(0));
                    if a >= allowed(counts.accounts.get(username)) || b >= allowed(counts.addresses.get(&address)) {
                        return Err(Refusal::Busy);
                    }
                    *flights.accounts.entry(username.to_string()).or_default() += 1;
                    *flights.addresses.entry(address).or_default() += 1;
                    Subject::Stranger(username.to_string(), address)
                }
                Attempt::Trusted { device } => {
                    if flights.devices.get(device).copied().unwrap_or(0) >= allowed(counts.devices.get(device)) {
                        return Err(Refusal::Busy);
                    }
                    *flights.devices.entry(device.to_string()).or_default() += 1;
                    Subject::Device(device.to_string())
                }
            }
        };
        let flight = Flight { throttle: self, subject };
        let lane = if known && failures.is_none() { &self.priority } else { &self.hashing };
        let queued = Instant::now();
        let place = lane.take(self.hash_wait).await?;
        // Failures counted while this one waited in line apply to it too.
        let (_, longest) = self.delay(attempt, now + queued.elapsed());
        if !longest.is_zero() {
            return Err(Refusal::Wait(longest));
        }
        Ok(Permit { _place: place, _flight: flight })
    }

    /// The failures an attempt is judged by (the account's, or the
    /// device's) and how long it must still wait.
    fn delay(&self, attempt: Attempt<'_>, now: Instant) -> (Option<Failures>, Duration) {
        let counts = lock(&self.counts);
        match attempt {
            Attempt::Stranger { username, address } => {
                let account = counts.accounts.get(username);
                (account.copied(), wait(account, now).max(wait(counts.addresses.get(&address), now)))
            }
            Attempt::Trusted { device } => {
                let d = counts.devices.get(device);
                (d.copied(), wait(d, now))
            }
        }
    }

    /// Records a failed check; returns the delays it started (for the
    /// audit log): a stranger's failure counts against the account and
    /// the address, a trusted browser's against its device only.
    pub fn failed(&self, username: &str, attempt: Attempt<'_>, now: Instant) -> Vec<Lock> {
        let mut counts = lock(&self.counts);
        let mut locks = Vec::new();
        match attempt {
            Attempt::Stranger { username, address } => {
                let n = bump(&mut counts.accounts, username.to_string(), now);
                if n == FREE_FAILURES {
                    locks.push(Lock::Account { username: username.to_string(), failures: n });
                }
                let n = bump(&mut counts.addresses, address, now);
                if n == FREE_FAILURES {
                    locks.push(Lock::Address { address, failures: n });
                }
            }
            Attempt::Trusted { device } => {
                let n = bump(&mut counts.devices, device.to_string(), now);
                if n == FREE_FAILURES {
                    locks.push(Lock::Device { username: username.to_string(), failures: n });
                }
            }
        }
        let metrics = crate::metrics::get();
        metrics.sign_in_failures.inc();
        metrics.sign_in_locks.inc_by(locks.len() as u64);
        locks
    }

    /// Records a successful sign-in: the account (for a stranger) or the
    /// device starts afresh. The address keeps its count: signing in to
    /// one's own account between guesses at others must not reset them.
    pub fn succeeded(&self, attempt: Attempt<'_>) {
        let mut counts = lock(&self.counts);
        match attempt {
            Attempt::Stranger { username, .. } => {
                counts.accounts.remove(username);
            }
            Attempt::Trusted { device } => {
                counts.devices.remove(device);
            }
        }
    }

    /// Accounts that must wait now (for browsers they have not signed in
    /// from), longest wait first.
    pub fn locked(&self, now: Instant) -> Vec<Locked> {
        let mut out: Vec<Locked> = lock(&self.counts)
            .accounts
            .iter()
            .filter(|(_, f)| f.open_at() > now)
            .map(|(name, f)| Locked {
                username: name.clone(),
                failures: f.count,
                wait_seconds: f.open_at().saturating_duration_since(now).as_secs().max(1),
            })
            .collect();
        out.sort_by(|a, b| b.wait_seconds.cmp(&a.wait_seconds).then_with(|| a.username.cmp(&b.username)));
        out
    }

    /// Forgets an account's failures (the administrator unlocks it).
    pub fn unlock(&self, username: &str) {
        lock(&self.counts).accounts.remove(username);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The maps hold counters only; one left by a panicking thread is fine.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Counts a failure under `key`; the count now.
fn bump<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Failures>, key: K, now: Instant) -> u32 {
    if map.len() >= MAX_TRACKED && !map.contains_key(&key) {
        // Forget what no longer delays anyone (at least a minute idle);
        // if everything still does, the oldest half.
        map.retain(|_, f| f.open_at() + Duration::from_secs(60) > now);
        if map.len() >= MAX_TRACKED {
            let mut lasts: Vec<Instant> = map.values().map(|f| f.last).collect();
            lasts.sort();
            let cut = lasts[lasts.len() / 2];
            map.retain(|_, f| f.last > cut);
        }
    }
    let f = map.entry(key).or_insert(Failures { count: 0, last: now });
    f.count = f.count.saturating_add(1);
    f.last = now;
    f.count
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const AWAY: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    /// An attempt from a browser not trusted for the account.
    fn s(username: &str, address: IpAddr) -> Attempt<'_> {
        Attempt::Stranger { username, address }
    }

    #[tokio::test]
    async fn five_failures_are_free_then_delays_double() {
        let t = SignInThrottle::default();
        let start = Instant::now();
        for i in 0..FREE_FAILURES {
            assert!(t.admit(s("wang", HOME), false, start).await.is_ok(), "attempt {i}");
            t.failed("wang", s("wang", HOME), start);
        }
        assert_eq!(t.admit(s("wang", AWAY), false, start).await.err(), Some(Refusal::Wait(Duration::from_secs(1))), "the account waits, from anywhere");
        assert_eq!(t.admit(s("li", HOME), false, start).await.err(), Some(Refusal::Wait(Duration::from_secs(1))), "the address waits, for any account");
        assert!(t.admit(s("li", AWAY), false, start).await.is_ok());
        let later = start + Duration::from_secs(1);
        assert!(t.admit(s("wang", HOME), false, later).await.is_ok());
        t.failed("wang", s("wang", HOME), later);
        assert_eq!(t.admit(s("wang", AWAY), false, later).await.err(), Some(Refusal::Wait(Duration::from_secs(2))));
        assert_eq!(t.locked(later)[0], Locked { username: "wang".into(), failures: 6, wait_seconds: 2 });
    }

    #[tokio::test]
    async fn delays_stop_at_the_maximum_and_success_or_unlock_resets() {
        let t = SignInThrottle::default();
        let now = Instant::now();
        for _ in 0..60 {
            t.failed("wang", s("wang", HOME), now);
        }
        assert_eq!(t.admit(s("wang", AWAY), false, now).await.err(), Some(Refusal::Wait(MAX_DELAY)));
        t.unlock("wang");
        assert!(t.admit(s("wang", AWAY), false, now).await.is_ok());
        assert!(t.admit(s("zhao", HOME), false, now).await.is_err(), "the address still waits");
        t.succeeded(s("zhao", HOME));
        assert!(t.admit(s("zhao", HOME), false, now).await.is_err(), "a success elsewhere does not reset the address");
        assert!(t.locked(now).is_empty());
    }

    #[tokio::test]
    async fn a_burst_gets_no_more_attempts_than_the_free_ones() {
        let t = SignInThrottle::default();
        let now = Instant::now();
        // Five attempts in flight at once (none decided yet), four in the
        // common lane and one in the lane for known accounts: the sixth is
        // refused at once although that lane has a place left.
        let mut held = Vec::new();
        for i in 0..FREE_FAILURES {
            let addr = IpAddr::V4(std::net::Ipv4Addr::new(10, 1, 0, i as u8));
            let known = i == FREE_FAILURES - 1;
            held.push(t.admit(s("wang", addr), known, now).await.expect("a free attempt"));
        }
        let started = Instant::now();
        assert_eq!(t.admit(s("wang", AWAY), true, now).await.err(), Some(Refusal::Busy));
        assert!(started.elapsed() < Duration::from_secs(1), "refused without waiting in line");
        // Their failures recorded, the account waits; in flight is empty again.
        for i in 0..FREE_FAILURES {
            t.failed("wang", s("wang", IpAddr::V4(std::net::Ipv4Addr::new(10, 1, 0, i as u8))), now);
        }
        drop(held);
        assert_eq!(t.admit(s("wang", AWAY), false, now).await.err(), Some(Refusal::Wait(Duration::from_secs(1))));
        assert!(lock(&t.in_flight).accounts.is_empty() && lock(&t.in_flight).addresses.is_empty());
        // After the delay, one attempt at a time.
        let later = now + Duration::from_secs(1);
        let one = t.admit(s("wang", AWAY), false, later).await.expect("one attempt");
        assert_eq!(t.admit(s("wang", HOME), true, later).await.err(), Some(Refusal::Busy));
        drop(one);
    }

    #[tokio::test]
    async fn password_checks_beyond_the_limit_wait_then_are_busy() {
        let wait = Duration::from_millis(200);
        let t = SignInThrottle::with_hash_wait(wait);
        let now = Instant::now();
        let mut held = Vec::new();
        for _ in 0..MAX_CONCURRENT_HASHES {
            held.push(t.admit(s("a", HOME), false, now).await.expect("a place"));
        }
        // The next waits its turn, and gives up after HASH_WAIT.
        assert_eq!(t.admit(s("b", AWAY), false, now).await.err(), Some(Refusal::Busy));
        let (waiter, freed) = tokio::join!(t.admit(s("b", AWAY), false, now), async {
            tokio::time::sleep(wait / 2).await;
            held.pop();
        });
        assert!(waiter.is_ok(), "a place freed in time is taken");
        let _ = freed;
        // An existing account without failures has its own lane.
        assert!(t.admit(s("real", AWAY), true, now).await.is_ok());
        t.failed("real", s("real", AWAY), now);
        assert_eq!(t.admit(s("real", AWAY), true, now).await.err(), Some(Refusal::Busy), "after a failure it queues with everyone");
    }

    #[test]
    fn the_maps_stay_bounded() {
        let t = SignInThrottle::default();
        let now = Instant::now();
        for i in 0..(MAX_TRACKED + 10) {
            let name = format!("user{i}");
            t.failed(&name, s(&name, HOME), now + Duration::from_millis(i as u64));
        }
        assert!(lock(&t.counts).accounts.len() <= MAX_TRACKED);
        assert!(lock(&t.counts).accounts.contains_key(&format!("user{}", MAX_TRACKED + 9)));
    }

    #[tokio::test]
    async fn a_stranger_cannot_lock_the_real_user_out_of_a_browser_it_signed_in_from() {
        let t = SignInThrottle::default();
        let now = Instant::now();
        // Guesses from many addresses, then one per window: the account
        // stays locked for strangers, for good.
        let mut locks = Vec::new();
        for i in 0..9u8 {
            let from = IpAddr::V4(std::net::Ipv4Addr::new(10, 2, 0, i));
            locks.extend(t.failed("lucheng", s("lucheng", from), now));
        }
        assert_eq!(locks, [Lock::Account { username: "lucheng".into(), failures: FREE_FAILURES }], "the lock's start is reported once, to be audited");
        assert!(matches!(t.admit(s("lucheng", AWAY), true, now).await, Err(Refusal::Wait(_))), "a stranger waits");
        // The real user's browser signed in before: it passes, in the
        // lane for accounts without failures.
        let trusted = Attempt::Trusted { device: "d1" };
        let permit = t.admit(trusted, true, now).await.expect("the trusted browser is checked at once");
        drop(permit);
        t.succeeded(trusted);
        assert!(matches!(t.admit(s("lucheng", AWAY), true, now).await, Err(Refusal::Wait(_))), "its success does not unlock strangers");
        // A device that keeps failing waits like anyone, on its own.
        for _ in 0..FREE_FAILURES - 1 {
            assert!(t.failed("lucheng", trusted, now).is_empty());
        }
        assert_eq!(t.failed("lucheng", trusted, now), [Lock::Device { username: "lucheng".into(), failures: FREE_FAILURES }]);
        assert_eq!(t.admit(trusted, true, now).await.err(), Some(Refusal::Wait(Duration::from_secs(1))));
        assert!(t.admit(Attempt::Trusted { device: "d2" }, true, now).await.is_ok(), "another trusted browser is not held up");
        // The administrator's unlock lifts the account's delay.
        t.unlock("lucheng");
        assert!(t.admit(s("lucheng", AWAY), true, now).await.is_ok());
    }

    #[tokio::test]
    async fn an_address_lock_is_reported_once() {
        let t = SignInThrottle::default();
        let now = Instant::now();
        let locks: Vec<Lock> = (0..8).flat_map(|i| t.failed("x", s(&format!("name{i}"), HOME), now)).collect();
        assert_eq!(locks, [Lock::Address { address: HOME, failures: FREE_FAILURES }]);
    }
}
