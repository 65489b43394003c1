//! Two-factor sign-in's tables: each account's TOTP secret, its recovery
//! codes (hashes only) and the sign-ins waiting for their second factor
//! (id hashes only). Every change runs in the caller's transaction. The
//! secret is stored sealed ([`super::seal`]): a copy of the database does
//! not let anyone make an account's codes.

use chrono::NaiveDateTime;

use super::accounts::UserRow;
use super::seal::Field;
use super::{Db, Result, Tx};
use crate::{on_db, on_tx};

/// An account's TOTP secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SecretRow {
    pub secret: String,
    pub confirmed_at: Option<NaiveDateTime>,
    pub last_step: i64,
}

pub async fn secret(db: &Db, user_id: i64) -> Result<Option<SecretRow>> {
    const SQL: &str = "SELECT secret, confirmed_at, last_step FROM totp_secrets WHERE user_id = $1";
    let row = on_db!(db, pool => sqlx::query_as::<_, SecretRow>(SQL).bind(user_id).fetch_optional(pool).await?);
    let Some(mut row) = row else { return Ok(None) };
    row.secret = db.sealer()?.open_text(Field::TotpSecret, &row.secret)?;
    Ok(Some(row))
}

/// Stores a new, unconfirmed secret for the account (replacing an
/// unconfirmed one; a confirmed one is left as it is: 0 rows).
pub async fn put_unconfirmed(tx: &mut Tx, user_id: i64, secret: &str, at: NaiveDateTime) -> Result<u64> {
    const SQL: &str = "INSERT INTO totp_secrets (user_id, secret, created_at, confirmed_at, last_step) VALUES ($1, $2, $3, NULL, 0) \
                       ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at \
                       WHERE totp_secrets.confirmed_at IS NULL";
    let secret = sealed(tx, secret)?;
    Ok(on_tx!(tx, conn => sqlx::query(SQL).bind(user_id).bind(secret).bind(at).execute(conn).await?.rows_affected()))
}

/// Stores a confirmed secret (set up from the command line), replacing any.
pub async fn put_confirmed(tx: &mut Tx, user_id: i64, secret: &str, at: NaiveDateTime) -> Result<()> {
    const SQL: &str = "INSERT INTO totp_secrets (user_id, secret, created_at, confirmed_at, last_step) VALUES ($1, $2, $3, $3, 0) \
                       ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, confirmed_at = excluded.confirmed_at, last_step = 0";
    let secret = sealed(tx, secret)?;
    on_tx!(tx, conn => {
        sqlx::query(SQL).bind(user_id).bind(secret).bind(at).execute(conn).await?;
    });
    Ok(())
}

fn sealed(tx: &Tx, secret: &str) -> Result<String> {
    tx.sealer()?.seal_text(Field::TotpSecret, secret).map_err(super::DbError::DataKey)
}

/// Marks the secret confirmed by a code of `step`.
pub async fn confirm(tx: &mut Tx, user_id: i64, at: NaiveDateTime, step: i64) -> Result<u64> {
    const SQL: &str = "UPDATE totp_secrets SET confirmed_at = $2, last_step = $3 WHERE user_id = $1 AND confirmed_at IS NULL";
    Ok(on_tx!(tx, conn => sqlx::query(SQL).bind(user_id).bind(at).bind(step).execute(conn).await?.rows_affected()))
}

/// Takes `step` as used, if no code of it or a later step was accepted
/// before: one statement, so two requests with the same code cannot both
/// pass.
pub async fn use_step(tx: &mut Tx, user_id: i64, step: i64) -> Result<bool> {
    const SQL: &str = "UPDATE totp_secrets SET last_step = $2 WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2";
    Ok(on_tx!(tx, conn => sqlx::query(SQL).bind(user_id).bind(step).execute(conn).await?.rows_affected()) == 1)
}

/// Replaces the account's recovery codes with `hashes`.
pub async fn replace_recovery_codes(tx: &mut Tx, user_id: i64, hashes: &[String]) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
        for hash in hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)").bind(user_id).bind(hash).execute(&mut *conn).await?;
        }
    });
    Ok(())
}

/// Uses up the unused recovery code with this hash; whether there was one.
pub async fn use_recovery_code(tx: &mut Tx, user_id: i64, hash: &str, at: NaiveDateTime) -> Result<bool> {
    const SQL: &str = "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL";
    Ok(on_tx!(tx, conn => sqlx::query(SQL).bind(user_id).bind(hash).bind(at).execute(conn).await?.rows_affected()) == 1)
}

/// How many of the account's recovery codes are still unused.
pub async fn unused_recovery_codes(db: &Db, user_id: i64) -> Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL";
    Ok(on_db!(db, pool => sqlx::query_scalar::<_, i64>(SQL).bind(user_id).fetch_one(pool).await?))
}

/// The accounts with a confirmed second factor (the users page).
pub async fn enrolled_users(db: &Db) -> Result<Vec<i64>> {
    const SQL: &str = "SELECT user_id FROM totp_secrets WHERE confirmed_at IS NOT NULL";
    Ok(on_db!(db, pool => sqlx::query_scalar::<_, i64>(SQL).fetch_all(pool).await?))
}

/// Removes the account's secret, recovery codes and waiting sign-ins.
pub async fn remove(tx: &mut Tx, user_id: i64) -> Result<u64> {
    Ok(on_tx!(tx, conn => {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
        sqlx::query("DELETE FROM sign_in_challenges WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
        sqlx::query("DELETE FROM totp_secrets WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?.rows_affected()
    }))
}

/// A sign-in waiting for its second factor, with its (enabled) user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChallengeRow {
    pub kind: String,
    pub address: String,
    pub next: String,
    /// The factors given so far (`password`, `password+totp`, …).
    pub factors: String,
    pub expires_at: NaiveDateTime,
    pub failures: i32,
    #[sqlx(flatten)]
    pub user: UserRow,
}

/// A new waiting sign-in; expired ones of anyone are swept on the way.
#[allow(clippy::too_many_arguments)]
pub async fn insert_challenge(tx: &mut Tx, id_hash: &str, user_id: i64, kind: &str, address: &str, next: &str, factors: &str, at: NaiveDateTime, expires_at: NaiveDateTime) -> Result<()> {
    const SQL: &str = "INSERT INTO sign_in_challenges (id_hash, user_id, kind, address, next, factors, created_at, expires_at, failures) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)";
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM sign_in_challenges WHERE expires_at < $1").bind(at).execute(&mut *conn).await?;
        sqlx::query(SQL).bind(id_hash).bind(user_id).bind(kind).bind(address).bind(next).bind(factors).bind(at).bind(expires_at).execute(&mut *conn).await?;
    });
    Ok(())
}

pub async fn challenge(db: &Db, id_hash: &str) -> Result<Option<ChallengeRow>> {
    const SQL: &str = "SELECT c.kind, c.address, c.next, c.factors, c.expires_at, c.failures, u.id, u.username, u.role, u.unit_code, u.disabled \
                       FROM sign_in_challenges c JOIN users u ON u.id = c.user_id WHERE c.id_hash = $1 AND u.disabled = $2";
    Ok(on_db!(db, pool => sqlx::query_as::<_, ChallengeRow>(SQL).bind(id_hash).bind(false).fetch_optional(pool).await?))
}

/// Counts a wrong code against the live waiting sign-in; its failures
/// now, or `None` when it is gone (ended, expired or out of tries).
pub async fn challenge_failed(tx: &mut Tx, id_hash: &str, at: NaiveDateTime, max_failures: i32) -> Result<Option<i32>> {
    const SQL: &str = "UPDATE sign_in_challenges SET failures = failures + 1 WHERE id_hash = $1 AND failures < $2 AND expires_at >= $3 RETURNING failures";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i32>(SQL).bind(id_hash).bind(max_failures).bind(at).fetch_optional(conn).await?))
}

/// Ends the waiting sign-in if it is still live (not expired, tries left):
/// whether it was. A right code counts only then, so requests racing on
/// one waiting sign-in get no more than its tries between them.
pub async fn take_challenge(tx: &mut Tx, id_hash: &str, at: NaiveDateTime, max_failures: i32) -> Result<bool> {
    const SQL: &str = "DELETE FROM sign_in_challenges WHERE id_hash = $1 AND failures < $2 AND expires_at >= $3";
    Ok(on_tx!(tx, conn => sqlx::query(SQL).bind(id_hash).bind(max_failures).bind(at).execute(conn).await?.rows_affected()) == 1)
}

pub async fn delete_challenge(tx: &mut Tx, id_hash: &str) -> Result<()> {
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM sign_in_challenges WHERE id_hash = $1").bind(id_hash).execute(conn).await?;
    });
    Ok(())
}
