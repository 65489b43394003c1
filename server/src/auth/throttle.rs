//! Slowing down password guessing, in memory.
//!
//! Failed sign-ins are counted per account and per client address. After
//! [`FREE_FAILURES`] failures, each further attempt must wait an
//! exponentially growing delay (1 s, 2 s, 4 s, … up to [`MAX_DELAY`]) after
//! the last failure; an attempt inside that window is refused at once,
//! without checking the password, so a guesser gets neither an answer nor
//! CPU time. A correct password resets its account and address.
//!
//! Checking a password runs argon2 (about 19 MiB and tens of milliseconds):
//! at most [`MAX_CONCURRENT_HASHES`] run at once; up to [`MAX_WAITING`]
//! more wait in line for at most [`HASH_WAIT`], and anything beyond is
//! answered "busy" at once, so no flood of sign-ins can exhaust memory or
//! the blocking thread pool, while a real user in a crowd still gets a turn.
//!
//! The state lives in memory, by design: it is lost on a restart (which an
//! attacker cannot cause), and it costs no database write per guess. It is
//! bounded: at most [`MAX_TRACKED`] accounts and addresses each; when full,
//! entries whose delay has passed are forgotten first.

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

#[derive(Debug)]
pub struct SignInThrottle {
    accounts: Mutex<HashMap<String, Failures>>,
    addresses: Mutex<HashMap<IpAddr, Failures>>,
    hashing: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
    hash_wait: Duration,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        SignInThrottle::with_hash_wait(HASH_WAIT)
    }
}

/// Leave to check one password; dropping it frees the place.
pub struct Permit<'a>(#[allow(dead_code)] tokio::sync::SemaphorePermit<'a>);

impl SignInThrottle {
    /// A throttle whose sign-ins wait at most `hash_wait` for a check.
    pub fn with_hash_wait(hash_wait: Duration) -> SignInThrottle {
        SignInThrottle {
            accounts: Mutex::default(),
            addresses: Mutex::default(),
            hashing: tokio::sync::Semaphore::new(MAX_CONCURRENT_HASHES),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            hash_wait,
        }
    }

    /// May an attempt on `username` from `address` be checked now? Waits
    /// in line for a password check (see [`HASH_WAIT`]).
    pub async fn admit(&self, username: &str, address: IpAddr, now: Instant) -> Result<Permit<'_>, Refusal> {
        use std::sync::atomic::Ordering;
        let wait = |f: Option<&Failures>| f.map(|f| f.open_at().saturating_duration_since(now)).unwrap_or_default();
        let account_wait = wait(lock(&self.accounts).get(username));
        let address_wait = wait(lock(&self.addresses).get(&address));
        let longest = account_wait.max(address_wait);
        if !longest.is_zero() {
            return Err(Refusal::Wait(longest));
        }
        if let Ok(permit) = self.hashing.try_acquire() {
            return Ok(Permit(permit));
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Refusal::Busy);
        }
        let permit = tokio::time::timeout(self.hash_wait, self.hashing.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match permit {
            Ok(Ok(permit)) => Ok(Permit(permit)),
            _ => Err(Refusal::Busy),
        }
    }

    /// Records a failed check.
    pub fn failed(&self, username: &str, address: IpAddr, now: Instant) {
        bump(&mut lock(&self.accounts), username.to_string(), now);
        bump(&mut lock(&self.addresses), address, now);
    }

    /// Records a successful sign-in: the account and address start afresh.
    pub fn succeeded(&self, username: &str, address: IpAddr) {
        lock(&self.accounts).remove(username);
        lock(&self.addresses).remove(&address);
    }

    /// Accounts that must wait now, longest wait first.
    pub fn locked(&self, now: Instant) -> Vec<Locked> {
        let mut out: Vec<Locked> = lock(&self.accounts)
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
        lock(&self.accounts).remove(username);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The maps hold counters only; one left by a panicking thread is fine.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn bump<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Failures>, key: K, now: Instant) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const AWAY: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[tokio::test]
    async fn five_failures_are_free_then_delays_double() {
        let t = SignInThrottle::default();
        let start = Instant::now();
        for i in 0..FREE_FAILURES {
            assert!(t.admit("wang", HOME, start).await.is_ok(), "attempt {i}");
            t.failed("wang", HOME, start);
        }
        assert_eq!(t.admit("wang", AWAY, start).await.err(), Some(Refusal::Wait(Duration::from_secs(1))), "the account waits, from anywhere");
        assert_eq!(t.admit("li", HOME, start).await.err(), Some(Refusal::Wait(Duration::from_secs(1))), "the address waits, for any account");
        assert!(t.admit("li", AWAY, start).await.is_ok());
        let later = start + Duration::from_secs(1);
        assert!(t.admit("wang", HOME, later).await.is_ok());
        t.failed("wang", HOME, later);
        assert_eq!(t.admit("wang", AWAY, later).await.err(), Some(Refusal::Wait(Duration::from_secs(2))));
        assert_eq!(t.locked(later)[0], Locked { username: "wang".into(), failures: 6, wait_seconds: 2 });
    }

    #[tokio::test]
    async fn delays_stop_at_the_maximum_and_success_or_unlock_resets() {
        let t = SignInThrottle::default();
        let now = Instant::now();
        for _ in 0..60 {
            t.failed("wang", HOME, now);
        }
        assert_eq!(t.admit("wang", AWAY, now).await.err(), Some(Refusal::Wait(MAX_DELAY)));
        t.unlock("wang");
        assert!(t.admit("wang", AWAY, now).await.is_ok());
        assert!(t.admit("zhao", HOME, now).await.is_err(), "the address still waits");
        t.succeeded("zhao", HOME);
        assert!(t.admit("zhao", HOME, now).await.is_ok());
        assert!(t.locked(now).is_empty());
    }

    #[tokio::test]
    async fn password_checks_beyond_the_limit_wait_then_are_busy() {
        let wait = Duration::from_millis(200);
        let t = SignInThrottle::with_hash_wait(wait);
        let now = Instant::now();
        let mut held = Vec::new();
        for _ in 0..MAX_CONCURRENT_HASHES {
            held.push(t.admit("a", HOME, now).await.expect("a place"));
        }
        // The next waits its turn, and gives up after HASH_WAIT.
        assert_eq!(t.admit("b", AWAY, now).await.err(), Some(Refusal::Busy));
        let (waiter, freed) = tokio::join!(t.admit("b", AWAY, now), async {
            tokio::time::sleep(wait / 2).await;
            held.pop();
        });
        assert!(waiter.is_ok(), "a place freed in time is taken");
        let _ = freed;
    }

    #[test]
    fn the_maps_stay_bounded() {
        let t = SignInThrottle::default();
        let now = Instant::now();
        for i in 0..(MAX_TRACKED + 10) {
            t.failed(&format!("user{i}"), HOME, now + Duration::from_millis(i as u64));
        }
        assert!(lock(&t.accounts).len() <= MAX_TRACKED);
        assert!(lock(&t.accounts).contains_key(&format!("user{}", MAX_TRACKED + 9)));
    }
}
