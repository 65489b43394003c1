//! Install-wide settings, as key and value: whether this database holds
//! the demo data (then every page says so, and `serve` keeps its known
//! passwords off the network), the key of device cookies, and the
//! security policy (`auth::policy`, a JSON document).


use super::{Db, DbError, Tx};
use crate::{on_db, on_tx};

const DEMO: &str = "demo";
const DEVICE_KEY: &str = "device_cookie_key";

/// The key of device cookies ([`crate::auth::devices`]): the stored one,
/// or `candidate` stored now if there is none.
pub async fn device_key(db: &Db, candidate: &str) -> Result<String, DbError> {
    stored_or(db, DEVICE_KEY, candidate).await
}

/// Setting `key`'s stored value, or `candidate` stored now if it has none
/// (two processes racing agree on the first one written).
pub async fn stored_or(db: &Db, key: &str, candidate: &str) -> Result<String, DbError> {
    const WRITE: &str = "INSERT INTO install_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
    if let Some(value) = read(db, key).await? {
        return Ok(value);
    }
    let mut tx = db.begin_write().await?;
    on_tx!(&mut tx, conn => {
        sqlx::query(WRITE).bind(key).bind(candidate).execute(conn).await?;
    });
    tx.commit().await?;
    read(db, key).await?.ok_or(DbError::NotFound)
}

/// Marks the database as holding demo data, in the transaction that
/// writes it (idempotent).
pub async fn mark_demo(tx: &mut Tx) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO install_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    on_tx!(tx, conn => {
        sqlx::query(SQL).bind(DEMO).bind("true").execute(conn).await?;
    });
    Ok(())
}

/// Whether the database holds the demo data.
pub async fn is_demo(db: &Db) -> Result<bool, DbError> {
    const SQL: &str = "SELECT value FROM install_settings WHERE key = $1";
    let value: Option<String> = on_db!(db, pool => {
        sqlx::query_scalar::<_, String>(SQL).bind(DEMO).fetch_optional(pool).await?
    });
    Ok(value.as_deref() == Some("true"))
}

/// A setting's stored value, if any.
pub async fn read(db: &Db, key: &str) -> Result<Option<String>, DbError> {
    const SQL: &str = "SELECT value FROM install_settings WHERE key = $1";
    Ok(on_db!(db, pool => sqlx::query_scalar::<_, String>(SQL).bind(key).fetch_optional(pool).await?))
}

/// Stores a setting's value in the transaction, replacing any earlier one.
pub async fn write(tx: &mut Tx, key: &str, value: &str) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO install_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    on_tx!(tx, conn => {
        sqlx::query(SQL).bind(key).bind(value).execute(conn).await?;
    });
    Ok(())
}
