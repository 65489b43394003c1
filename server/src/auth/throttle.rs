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
//! at most [`MAX_CONCURRENT_HASHES`] run at once and anything beyond is
//! answered "busy" at once, so no flood of sign-ins can exhaust memory or
//! the blocking thread pool.
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
}

impl Default for SignInThrottle {
    fn default() -> Self {
        SignInThrottle {
            accounts: Mutex::default(),
            addresses: Mutex::default(),
            hashing: tokio::sync::Semaphore::new(MAX_CONCURRENT_HASHES),
        }
    }
}

/// Leave to check one password; dropping it frees the place.
pub struct Permit<'a>(#[allow(dead_code)] tokio::sync::SemaphorePermit<'a>);

impl SignInThrottle {
    /// May an attempt on `username` from `address` be checked now?
    pub fn admit(&self, username: &str, address: IpAddr, now: Instant) -> Result<Permit<'_>, Refusal> {
        let wait = |f: Option<&Failures>| f.map(|f| f.open_at().saturating_duration_since(now)).unwrap_or_default();
        let account_wait = wait(lock(&self.accounts).get(username));
        let address_wait = wait(lock(&self.addresses).get(&address));
        let longest = account_wait.max(address_wait);
        if !longest.is_zero() {
            return Err(Refusal::Wait(longest));
        }
        self.hashing.try_acquire().map(Permit).map_err(|_| Refusal::Busy)
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

    #[test]
    fn five_failures_are_free_then_delays_double() {
        let t = SignInThrottle::default();
        let start = Instant::now();
        for i in 0..FREE_FAILURES {
            assert!(t.admit("wang", HOME, start).is_ok(), "attempt {i}");
            t.failed("wang", HOME, start);
        }
        assert_eq!(t.admit("wang", AWAY, start).err(), Some(Refusal::Wait(Duration::from_secs(1))), "the account waits, from anywhere");
        assert_eq!(t.admit("li", HOME, start).err(), Some(Refusal::Wait(Duration::from_secs(1))), "the address waits, for any account");
        assert!(t.admit("li", AWAY, start).is_ok());
        let later = start + Duration::from_secs(1);
        assert!(t.admit("wang", HOME, later).is_ok());
        t.failed("wang", HOME, later);
        assert_eq!(t.admit("wang", AWAY, later).err(), Some(Refusal::Wait(Duration::from_secs(2))));
        assert_eq!(t.locked(later)[0], Locked { username: "wang".into(), failures: 6, wait_seconds: 2 });
    }

    #[test]
    fn delays_stop_at_the_maximum_and_success_or_unlock_resets() {
        let t = SignInThrottle::default();
        let now = Instant::now();
        for _ in 0..60 {
            t.failed("wang", HOME, now);
        }
        assert_eq!(t.admit("wang", AWAY, now).err(), Some(Refusal::Wait(MAX_DELAY)));
        t.unlock("wang");
        assert!(t.admit("wang", AWAY, now).is_ok());
        assert!(t.admit("zhao", HOME, now).is_err(), "the address still waits");
        t.succeeded("zhao", HOME);
        assert!(t.admit("zhao", HOME, now).is_ok());
        assert!(t.locked(now).is_empty());
    }

    #[test]
    fn password_checks_beyond_the_limit_are_busy() {
        let t = SignInThrottle::default();
        let now = Instant::now();
        let held: Vec<_> = (0..MAX_CONCURRENT_HASHES).map(|_| t.admit("a", HOME, now).expect("a place")).collect();
        assert_eq!(t.admit("b", AWAY, now).err(), Some(Refusal::Busy));
        drop(held);
        assert!(t.admit("b", AWAY, now).is_ok());
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
