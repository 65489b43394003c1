//! Two-factor sign-in (GB/T 22239-2019 level 3, 身份鉴别 d: two
//! techniques, one of them cryptographic): a time-based one-time password
//! (TOTP, RFC 6238: HMAC-SHA-1, six digits, 30-second steps, the
//! `totp-rs` crate) from an authenticator app, or one of ten one-time
//! recovery codes.
//!
//! After the right password, an account with a confirmed secret, or one
//! whose role the security policy says must use two factors, gets no
//! session: it gets a *challenge* (a random id in a cookie, its hash in
//! the database, five minutes, five wrong codes), and a session only once
//! the code is right. An account that must use two factors and has none is
//! led to set one up first (its QR code on the page), and then sees its
//! recovery codes once.
//!
//! - A code is accepted once: the newest step accepted is stored and an
//!   older or equal one refused, in one statement, so a code seen over a
//!   shoulder or replayed by a proxy is worth nothing.
//! - One step either side of now is accepted (phones drift).
//! - Codes follow the real clock, never the settable one (`clock.rs`): an
//!   authenticator app knows only real time.
//! - Recovery codes are stored as SHA-256 hashes (fifty random bits each,
//!   so no salt or slow hash is needed) and each works once.
//! - The system administrator can remove an account's second factor
//!   (audited); the account then sets one up again at its next sign-in.

use std::net::IpAddr;

use chrono::Duration;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use super::{AuthError, Refusal, Role, User, random_secret, secret_hash, users};
use crate::clock::now_cst;
use crate::db::audit::AuditLog;
use crate::db::second_factor as store;
use crate::db::{Db, accounts};

/// The issuer an authenticator app shows beside the account.
pub const ISSUER: &str = "Zhengxin";
/// How long a sign-in waits for its second factor.
pub const CHALLENGE_MINUTES: i64 = 5;
/// Wrong codes a waiting sign-in takes before it is dropped.
pub const MAX_FAILURES: i32 = 5;
/// Recovery codes an account gets.
pub const RECOVERY_CODES: usize = 10;
/// The cookie holding a waiting sign-in's id.
pub const CHALLENGE_COOKIE: &str = "zx_challenge";

const DIGITS: u8 = 6;
const STEP_SECONDS: u64 = 30;

/// What the right password leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondStep {
    /// A session at once.
    None,
    /// A code from the account's app (or a recovery code).
    Code,
    /// The account must set up a second factor first.
    Enrol,
    /// The password expired (`auth::sessions::password_expired`): a new
    /// one first, then whichever step follows.
    Password,
}

impl SecondStep {
    fn code(self) -> &'static str {
        match self {
            SecondStep::Code => "code",
            SecondStep::Password => "password",
            SecondStep::Enrol | SecondStep::None => "enrol",
        }
    }

    /// The page of this step.
    pub fn page(self) -> &'static str {
        match self {
            SecondStep::Code => "/login/code",
            SecondStep::Password => "/login/password",
            SecondStep::Enrol | SecondStep::None => "/login/enrol",
        }
    }
}

/// What `user` must do after the right password, under `required` (the
/// roles the security policy holds to two factors).
pub async fn second_step(db: &Db, user: &User, required: &[Role]) -> Result<SecondStep, AuthError> {
    let confirmed = store::secret(db, user.id).await?.is_some_and(|s| s.confirmed_at.is_some());
    Ok(if confirmed {
        SecondStep::Code
    } else if required.contains(&user.role) {
        SecondStep::Enrol
    } else {
        SecondStep::None
    })
}

/// What a sign-in whose password was right must still do, in the one
/// order there is: the second factor first (a stolen password alone must
/// not be able to replace the owner's), then a new password if the old one
/// expired, then the session (`SecondStep::None`).
pub async fn remaining(db: &Db, user: &User, policy: &super::policy::Policy, second_factor_given: bool) -> Result<SecondStep, AuthError> {
    if !second_factor_given {
        let step = second_step(db, user, &policy.two_factor_roles).await?;
        if step != SecondStep::None {
            return Ok(step);
        }
    }
    Ok(if super::sessions::password_expired(db, user, policy).await? { SecondStep::Password } else { SecondStep::None })
}

/// Whether the account has a confirmed second factor, and its unused
/// recovery codes.
pub async fn status(db: &Db, user_id: i64) -> Result<Option<i64>, AuthError> {
    match store::secret(db, user_id).await? {
        Some(s) if s.confirmed_at.is_some() => Ok(Some(store::unused_recovery_codes(db, user_id).await?)),
        _ => Ok(None),
    }
}

/// The accounts with a confirmed second factor.
pub async fn enrolled(db: &Db) -> Result<Vec<i64>, AuthError> {
    Ok(store::enrolled_users(db).await?)
}

/// Starts a sign-in that waits for its `step`, `factors` given so far
/// (`password`, or `password+totp` before a new password); the id for the
/// challenge cookie (only its hash is stored).
pub async fn begin(db: &Db, user: &User, step: SecondStep, address: IpAddr, next: &str, factors: &str) -> Result<String, AuthError> {
    let id = random_secret()?;
    let now = now_cst();
    let mut tx = db.begin_write().await?;
    let next: String = next.chars().take(2_000).collect();
    let (address, expires) = (address.to_string(), now + Duration::minutes(CHALLENGE_MINUTES));
    store::insert_challenge(&mut tx, &secret_hash(&id), user.id, step.code(), &address, &next, factors, now, expires).await?;
    tx.commit().await?;
    Ok(id)
}

/// A sign-in waiting for its second factor.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub user: User,
    pub step: SecondStep,
    /// Where to go once signed in.
    pub next: String,
    /// The factors given so far.
    pub factors: String,
    pub failures: i32,
}

/// The waiting sign-in with this cookie value, if it is live and was
/// started from `address` (a challenge cookie carried elsewhere is worth
/// nothing).
pub async fn waiting(db: &Db, id: &str, address: IpAddr) -> Result<Option<Waiting>, AuthError> {
    let Some(row) = store::challenge(db, &secret_hash(id)).await? else {
        return Ok(None);
    };
    if row.expires_at < now_cst() || row.address != address.to_string() || row.failures >= MAX_FAILURES {
        return Ok(None);
    }
    let step = match row.kind.as_str() {
        "code" => SecondStep::Code,
        "password" => SecondStep::Password,
        _ => SecondStep::Enrol,
    };
    Ok(Some(Waiting { user: users::user(row.user)?, step, next: row.next, factors: row.factors, failures: row.failures }))
}

/// Ends the waiting sign-in `id` (its step is done some other way).
pub async fn end(db: &Db, id: &str) -> Result<(), AuthError> {
    let mut tx = db.begin_write().await?;
    store::delete_challenge(&mut tx, &secret_hash(id)).await?;
    tx.commit().await?;
    Ok(())
}

/// What a code given to a waiting sign-in did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Right: the sign-in is done (the challenge is gone); how.
    Accepted { factor: &'static str },
    /// Wrong; this many tries are left (0: the sign-in is dropped).
    Wrong { left: i32 },
}

/// The real time in Unix seconds (codes follow it, never the settable
/// clock).
fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn totp(secret_b32: &str, account: &str) -> Result<Totp, AuthError> {
    let secret = Secret::try_from_base32(secret_b32).map_err(|e| AuthError::Hash(format!("stored TOTP secret: {e:?}")))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build()
        .map_err(|e| AuthError::Hash(format!("TOTP: {e:?}")))
}

/// The step (now's, or one either side: phones drift) whose code `code`
/// is, if any. Spaces, as some apps show codes, are ignored.
fn matching_step(t: &Totp, code: &str, now: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    t.check(&code, now).and_then(|step| i64::try_from(step).ok())
}

/// A recovery code as typed, normalised (case and dashes do not matter).
fn normal_recovery(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// Checks `code` (from the app, or a recovery code) for the waiting
/// sign-in `id`; right, the challenge ends and the caller goes on. Every
/// outcome is audited. The waiting sign-in is checked again inside the
/// write: requests racing on one get no more than its tries between them,
/// and a right code after the last wrong one counts for nothing.
pub async fn answer(db: &Db, id: &str, waiting: &Waiting, code: &str) -> Result<Answer, AuthError> {
    let user = &waiting.user;
    let hash = secret_hash(id);
    let secret = store::secret(db, user.id).await?.filter(|s| s.confirmed_at.is_some());
    let step = match &secret {
        Some(s) => matching_step(&totp(&s.secret, &user.username)?, code, unix_now()),
        None => None,
    };
    let now = now_cst();
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    let factor = match step {
        Some(step) if store::use_step(&mut tx, user.id, step).await? => Some("totp"),
        _ if code.chars().filter(char::is_ascii_alphanumeric).count() == 10
            && store::use_recovery_code(&mut tx, user.id, &secret_hash(&normal_recovery(code)), now).await? =>
        {
            Some("recovery_code")
        }
        _ => None,
    };
    let answer = match factor {
        Some(factor) => {
            if !store::take_challenge(&mut tx, &hash, now, MAX_FAILURES).await? {
                // Gone meanwhile: the code (or recovery code) stays unused.
                return Ok(Answer::Wrong { left: 0 });
            }
            if factor == "recovery_code" {
                let left = store::unused_recovery_codes(db, user.id).await?;
                audit.record(&user.username, "recovery_code_used", "users", &user.username, serde_json::json!({ "unused_before": left }));
            }
            Answer::Accepted { factor }
        }
        None => {
            let Some(failures) = store::challenge_failed(&mut tx, &hash, now, MAX_FAILURES).await? else {
                return Ok(Answer::Wrong { left: 0 });
            };
            audit.record(&format!("web:{}", user.username), "sign_in_failed", "users", &user.username, serde_json::json!({ "factor": "second", "failures": failures }));
            if failures >= MAX_FAILURES {
                store::delete_challenge(&mut tx, &hash).await?;
            }
            Answer::Wrong { left: (MAX_FAILURES - failures).max(0) }
        }
    };
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(answer)
}

/// What an authenticator app is given to set up an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// The secret in Base32, for typing in by hand.
    pub secret: String,
    /// The `otpauth://` URI the QR code carries.
    pub uri: String,
}

/// A fresh secret of 160 bits (RFC 4226's recommendation), in Base32.
fn fresh_secret() -> Result<String, AuthError> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(Secret::from(bytes).to_base32())
}

fn enrolment_of(secret: &str, username: &str) -> Result<Enrolment, AuthError> {
    let uri = totp(secret, username)?.to_url().map_err(|e| AuthError::Hash(format!("TOTP URI: {e:?}")))?;
    Ok(Enrolment { secret: secret.to_string(), uri })
}

/// The secret `user` is setting up: the unconfirmed one it has (reloading
/// the page shows the same QR code), or a new one. `None`: the account
/// already has a confirmed second factor.
pub async fn enrolment(db: &Db, user: &User) -> Result<Option<Enrolment>, AuthError> {
    match store::secret(db, user.id).await? {
        Some(s) if s.confirmed_at.is_some() => Ok(None),
        Some(s) => enrolment_of(&s.secret, &user.username).map(Some),
        None => {
            let secret = fresh_secret()?;
            let mut tx = db.begin_write().await?;
            store::put_unconfirmed(&mut tx, user.id, &secret, now_cst()).await?;
            tx.commit().await?;
            // Two first visits at once: whichever secret was stored last holds.
            match store::secret(db, user.id).await? {
                Some(s) if s.confirmed_at.is_none() => enrolment_of(&s.secret, &user.username).map(Some),
                _ => Ok(None),
            }
        }
    }
}

/// Ten new recovery codes (`xxxxx-xxxxx`, shown once) and their hashes.
fn recovery_codes() -> Result<(Vec<String>, Vec<String>), AuthError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let mut bytes = [0u8; 10];
        getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
        // 31 symbols: the bias of `% 31` on a byte is under 1 %, and each
        // code still carries about 49 bits.
        let text: String = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
        codes.push(format!("{}-{}", &text[..5], &text[5..]));
    }
    let hashes = codes.iter().map(|c| secret_hash(&normal_recovery(c))).collect();
    Ok((codes, hashes))
}

/// Confirms `user`'s unconfirmed secret with a code from the app; right,
/// the second factor is on (audited) and the recovery codes are returned,
/// to be shown once. `None`: the code is wrong (or nothing to confirm).
pub async fn confirm(db: &Db, user: &User, code: &str) -> Result<Option<Vec<String>>, AuthError> {
    let Some(secret) = store::secret(db, user.id).await?.filter(|s| s.confirmed_at.is_none()) else {
        return Ok(None);
    };
    let Some(step) = matching_step(&totp(&secret.secret, &user.username)?, code, unix_now()) else {
        return Ok(None);
    };
    let (codes, hashes) = recovery_codes()?;
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    if store::confirm(&mut tx, user.id, now_cst(), step).await? == 0 {
        return Ok(None);
    }
    store::replace_recovery_codes(&mut tx, user.id, &hashes).await?;
    audit.record(&user.username, "two_factor_enrol", "users", &user.username, serde_json::json!({ "method": "totp", "recovery_codes": RECOVERY_CODES }));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(Some(codes))
}

/// Sets up `username`'s second factor from the command line (`zhengxin
/// user totp`): a new confirmed secret replaces any other and new recovery
/// codes the old ones; the account's sessions end. The URI and the codes
/// are shown once.
pub async fn enrol_now(db: &Db, username: &str, actor: &str) -> Result<(Enrolment, Vec<String>), AuthError> {
    let user = accounts::users(db).await?.into_iter().find(|u| u.username == username).ok_or_else(|| AuthError::Refused(Refusal::NoSuchUser(username.to_string())))?;
    let secret = fresh_secret()?;
    let enrolment = enrolment_of(&secret, username)?;
    let (codes, hashes) = recovery_codes()?;
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    store::remove(&mut tx, user.id).await?;
    store::put_confirmed(&mut tx, user.id, &secret, now_cst()).await?;
    store::replace_recovery_codes(&mut tx, user.id, &hashes).await?;
    accounts::end_sessions(&mut tx, user.id).await?;
    audit.record(actor, "two_factor_enrol", "users", username, serde_json::json!({ "method": "totp", "by": "command line", "recovery_codes": RECOVERY_CODES }));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok((enrolment, codes))
}

/// Removes `username`'s second factor (the system administrator, when a
/// phone is lost), audited; its sessions end, and it sets one up again at
/// its next sign-in if its role must.
pub async fn reset(db: &Db, username: &str, actor: &str) -> Result<(), AuthError> {
    let user = accounts::users(db).await?.into_iter().find(|u| u.username == username).ok_or_else(|| AuthError::Refused(Refusal::NoSuchUser(username.to_string())))?;
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    let had = store::remove(&mut tx, user.id).await? > 0;
    accounts::end_sessions(&mut tx, user.id).await?;
    audit.record(actor, "two_factor_reset", "users", username, serde_json::json!({ "had_one": had }));
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_step_and_the_ones_beside_it_only() {
        let secret = fresh_secret().unwrap();
        let t = totp(&secret, "wang").unwrap();
        let now = 1_764_900_000;
        let step = (now / STEP_SECONDS) as i64;
        let code = |t: &Totp, at: u64| t.generate(at).to_string();
        assert_eq!(matching_step(&t, &code(&t, now), now), Some(step));
        assert_eq!(matching_step(&t, &code(&t, now - STEP_SECONDS), now), Some(step - 1));
        assert_eq!(matching_step(&t, &code(&t, now + STEP_SECONDS), now), Some(step + 1));
        assert_eq!(matching_step(&t, &code(&t, now - 2 * STEP_SECONDS), now), None, "two steps back is too old");
        assert_eq!(matching_step(&t, &code(&t, now + 2 * STEP_SECONDS), now), None);
        let c = code(&t, now);
        assert_eq!(matching_step(&t, &format!("{} {}", &c[..3], &c[3..]), now), Some(step), "spaces as some apps show them");
        assert_eq!(matching_step(&t, "12345", now), None);
        assert_eq!(matching_step(&t, "abcdef", now), None);
        let other = totp(&fresh_secret().unwrap(), "wang").unwrap();
        assert_ne!(matching_step(&t, &code(&other, now), now), Some(step), "another secret's code");
    }

    #[test]
    fn rfc_6238_test_vector() {
        // RFC 6238 appendix B, SHA-1, the 20-byte ASCII secret
        // "12345678901234567890", truncated to six digits.
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        let t = totp(&secret, "rfc").unwrap();
        assert_eq!(t.generate(59).to_string(), "287082");
        assert_eq!(t.generate(1_111_111_109).to_string(), "081804");
        assert_eq!(t.generate(2_000_000_000).to_string(), "279037");
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_typed_loosely() {
        let (codes, hashes) = recovery_codes().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
        let distinct: std::collections::BTreeSet<_> = hashes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        assert_eq!(secret_hash(&normal_recovery(&codes[0].to_uppercase().replace('-', " "))), hashes[0]);
        // Every symbol of the alphabet turns up (1,000 draws of 31), not a
        // few of them: the codes carry the bits they are said to.
        let symbols: std::collections::BTreeSet<char> = (0..10).flat_map(|_| recovery_codes().unwrap().0).flat_map(|c| c.chars().collect::<Vec<_>>()).filter(|c| *c != '-').collect();
        assert!(symbols.len() >= 28, "{symbols:?}");
        let uri = enrolment_of(&fresh_secret().unwrap(), "wang.admin").unwrap().uri;
        assert!(uri.starts_with("otpauth://totp/Zhengxin:wang.admin?secret=") && uri.contains("issuer=Zhengxin"), "{uri}");
    }
}
