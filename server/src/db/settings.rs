//! Install-wide settings, as key and value: so far only whether this
//! database holds the demo data (then every page says so, and `serve`
//! keeps its known passwords off the network).


use super::{Db, DbError, Tx};
use crate::{on_db, on_tx};

const DEMO: &str = "demo";

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
