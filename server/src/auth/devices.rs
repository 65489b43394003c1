//! Device cookies: how a browser that signed in to an account before is
//! recognised, so that strangers' failed guesses, which delay the account
//! for everyone else, never delay it (OWASP, "Slow down online guessing
//! attacks with device cookies"; see [`super::throttle`]).
//!
//! A successful sign-in gives the browser an entry `NONCE.ISSUED.MAC`,
//! where MAC is HMAC-SHA-256 over the account's name, the nonce and the
//! day issued, under an install-wide key kept in `install_settings`
//! (made at first use). The cookie holds the entries of the last
//! [`MAX_ENTRIES`] accounts signed in from that browser, newest first; an
//! entry is good for the name typed only, for [`LIFETIME_DAYS`] days. The
//! cookie names no account, and the server stores nothing per device:
//! the nonce is the device's id in the throttle's memory.

use hmac::{KeyInit, Mac};

use super::AuthError;
use crate::db::Db;

/// The cookie's name (with `__Host-` over HTTPS, as every cookie here).
pub const DEVICE_COOKIE: &str = "zx_device";
/// How long an entry is good for.
pub const LIFETIME_DAYS: i64 = 180;
/// Accounts one browser is remembered for.
pub const MAX_ENTRIES: usize = 4;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The MAC of an entry, as hex.
fn mac(key: &str, username: &str, nonce: &str, issued: i64) -> String {
    let mut m = HmacSha256::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    for part in [username.as_bytes(), nonce.as_bytes(), issued.to_string().as_bytes()] {
        m.update(&(part.len() as u64).to_be_bytes());
        m.update(part);
    }
    crate::hashing::to_hex(&m.finalize().into_bytes())
}

/// Days since the Unix epoch, in China Standard Time.
fn today() -> i64 {
    crate::clock::now_cst().date().signed_duration_since(chrono::NaiveDate::default()).num_days()
}

/// The id of the device whose `cookie` holds a good entry for `username`
/// (checked against `key`), if any.
pub fn check_with(key: &str, username: &str, cookie: &str, today: i64) -> Option<String> {
    cookie.split('~').take(MAX_ENTRIES).find_map(|entry| {
        let mut parts = entry.split('.');
        let (nonce, issued, given) = (parts.next()?, parts.next()?.parse::<i64>().ok()?, parts.next()?);
        let fresh = (0..LIFETIME_DAYS).contains(&(today - issued));
        (fresh && nonce.len() == 32 && super::same_token(&mac(key, username, nonce, issued), given)).then(|| nonce.to_string())
    })
}

/// The cookie's new value after `username` signed in: its entry (kept if
/// it had a good one, else a new one) first, then the other accounts'.
pub fn renew_with(key: &str, username: &str, cookie: Option<&str>, today: i64) -> Result<String, AuthError> {
    let kept = cookie.and_then(|c| check_with(key, username, c, today));
    let entry = match cookie.zip(kept.as_ref()) {
        Some((c, nonce)) => c.split('~').find(|e| e.starts_with(&format!("{nonce}."))).unwrap_or_default().to_string(),
        None => {
            let nonce = super::random_secret()?[..32].to_string();
            format!("{nonce}.{today}.{}", mac(key, username, &nonce, today))
        }
    };
    let others = cookie.into_iter().flat_map(|c| c.split('~')).filter(|e| *e != entry && e.split('.').count() == 3 && e.len() < 200);
    Ok(std::iter::once(entry.as_str()).chain(others).take(MAX_ENTRIES).collect::<Vec<_>>().join("~"))
}

/// The install's device key, made at first use.
async fn key(db: &Db) -> Result<String, AuthError> {
    Ok(crate::db::settings::device_key(db, &super::random_secret()?).await?)
}

/// [`check_with`] under the install's key, today.
pub async fn check(db: &Db, username: &str, cookie: &str) -> Result<Option<String>, AuthError> {
    Ok(check_with(&key(db).await?, username, cookie, today()))
}

/// [`renew_with`] under the install's key, today.
pub async fn renew(db: &Db, username: &str, cookie: Option<&str>) -> Result<String, AuthError> {
    renew_with(&key(db).await?, username, cookie, today())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_good_for_its_account_its_key_and_its_lifetime_only() {
        let cookie = renew_with("k1", "lucheng", None, 20_000).unwrap();
        let id = check_with("k1", "lucheng", &cookie, 20_000).expect("good");
        assert_eq!(id.len(), 32);
        assert_eq!(check_with("k1", "lucheng", &cookie, 20_000 + LIFETIME_DAYS - 1).as_deref(), Some(id.as_str()));
        assert_eq!(check_with("k1", "lucheng", &cookie, 20_000 + LIFETIME_DAYS), None, "expired");
        assert_eq!(check_with("k1", "longwan", &cookie, 20_000), None, "another account");
        assert_eq!(check_with("k2", "lucheng", &cookie, 20_000), None, "another install's key");
        let forged = format!("{id}.20000.{}", "0".repeat(64));
        assert_eq!(check_with("k1", "lucheng", &forged, 20_000), None, "a made-up MAC");
        let later = format!("{id}.20100.{}", cookie.rsplit('.').next().unwrap());
        assert_eq!(check_with("k1", "lucheng", &later, 20_100), None, "the day is covered by the MAC");
        for junk in ["", "~", "a.b.c", "..", "x~y~z~w~v"] {
            assert_eq!(check_with("k1", "lucheng", junk, 20_000), None, "{junk:?}");
        }
    }

    #[test]
    fn a_browser_is_remembered_for_a_few_accounts_newest_first() {
        let a = renew_with("k", "a", None, 1).unwrap();
        let again = renew_with("k", "a", Some(&a), 5).unwrap();
        assert_eq!(again, a, "a good entry is kept, not replaced");
        let mut cookie = a.clone();
        for name in ["b", "c", "d", "e"] {
            cookie = renew_with("k", name, Some(&cookie), 2).unwrap();
        }
        assert_eq!(cookie.split('~').count(), MAX_ENTRIES);
        assert!(check_with("k", "e", &cookie, 2).is_some() && check_with("k", "b", &cookie, 2).is_some());
        assert_eq!(check_with("k", "a", &cookie, 2), None, "the oldest account was let go");
    }
}
