//! The audit administrator's reading of the log: entries matching a
//! filter, newest first, a page at a time or in keyset chunks for an
//! export. Reads only; the log is written by [`super::AuditLog`] alone.
//!
//! A look-up of a person's file names the person sealed
//! ([`crate::db::seal`]); the review opens it for the audit administrator
//! (the entry's hash stays over what is stored) and finds the entries of
//! a reference typed into the object filter by its sealed form. Without
//! the data key, sealed names are shown as stored.

use chrono::NaiveDateTime;

use super::super::{Db, Result};

/// Which entries to show. Every field left `None` matches every entry;
/// text fields match exactly (a person looks for one actor, one action,
/// one object, and an index answers that).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// From this moment on (inclusive).
    pub from: Option<NaiveDateTime>,
    /// Before this moment (exclusive).
    pub until: Option<NaiveDateTime>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// The object: an entity (`users`, `result_versions`) or one entity's
    /// key (a user name, a record id).
    pub object: Option<String>,
}

/// One entry as the review shows it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReviewEntry {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_key: String,
    pub detail: String,
    pub hash: String,
}

/// The filter's condition, parameters `$1` to `$6`, `$6` the object's
/// sealed form (a macro, so that each statement is one literal).
macro_rules! matches_filter {
    () => {
        "($1 IS NULL OR at >= $1) AND ($2 IS NULL OR at < $2) AND ($3 IS NULL OR actor = $3) \
         AND ($4 IS NULL OR action = $4) AND ($5 IS NULL OR entity = $5 OR entity_key = $5 OR entity_key = $6)"
    };
}

/// The object of `f` sealed as a person reference, if it can be.
fn sealed_object(db: &Db, f: &Filter) -> Option<String> {
    Some(db.sealer().ok()?.seal_ref(f.object.as_deref()?))
}

/// `entries` with sealed objects opened, where the key is at hand.
fn opened(db: &Db, mut entries: Vec<ReviewEntry>) -> Vec<ReviewEntry> {
    if let Ok(sealer) = db.sealer() {
        for e in entries.iter_mut().filter(|e| crate::db::seal::is_sealed_text(&e.entity_key)) {
            if let Ok(plain) = sealer.open_text(crate::db::seal::Field::PersonRef, &e.entity_key) {
                e.entity_key = plain;
            }
        }
    }
    entries
}

/// How many entries match.
pub async fn count(db: &Db, f: &Filter) -> Result<i64> {
    const SQL: &str = concat!("SELECT COUNT(*) FROM audit_log WHERE ", matches_filter!());
    Ok(crate::on_db!(db, pool => sqlx::query_scalar::<_, i64>(SQL)
        .bind(f.from).bind(f.until).bind(&f.actor).bind(&f.action).bind(&f.object).bind(sealed_object(db, f))
        .fetch_one(pool).await?))
}

/// The matching entries with ids below `before` (all when `None`), newest
/// first, at most `limit`: a page of the review (after the previous
/// page's last id), or a chunk of an export.
pub async fn before(db: &Db, f: &Filter, before: Option<i64>, limit: i64) -> Result<Vec<ReviewEntry>> {
    const SQL: &str = concat!(
        "SELECT id, at, actor, action, entity, entity_key, detail, hash FROM audit_log WHERE ",
        matches_filter!(),
        " AND ($7 IS NULL OR id < $7) ORDER BY id DESC LIMIT $8"
    );
    let entries = crate::on_db!(db, pool => sqlx::query_as::<_, ReviewEntry>(SQL)
        .bind(f.from).bind(f.until).bind(&f.actor).bind(&f.action).bind(&f.object).bind(sealed_object(db, f)).bind(before).bind(limit)
        .fetch_all(pool).await?);
    Ok(opened(db, entries))
}

/// The matching entries of page `page` (from 1) of `per_page`, newest first.
pub async fn page(db: &Db, f: &Filter, page: i64, per_page: i64) -> Result<Vec<ReviewEntry>> {
    const SQL: &str = concat!(
        "SELECT id, at, actor, action, entity, entity_key, detail, hash FROM audit_log WHERE ",
        matches_filter!(),
        " ORDER BY id DESC LIMIT $7 OFFSET $8"
    );
    let entries = crate::on_db!(db, pool => sqlx::query_as::<_, ReviewEntry>(SQL)
        .bind(f.from).bind(f.until).bind(&f.actor).bind(&f.action).bind(&f.object).bind(sealed_object(db, f)).bind(per_page).bind((page - 1) * per_page)
        .fetch_all(pool).await?);
    Ok(opened(db, entries))
}

/// Every action the log holds, for the filter's choices.
pub async fn actions(db: &Db) -> Result<Vec<String>> {
    const SQL: &str = "SELECT DISTINCT action FROM audit_log ORDER BY action";
    Ok(crate::on_db!(db, pool => sqlx::query_scalar::<_, String>(SQL).fetch_all(pool).await?))
}

/// The oldest entry's time, if any: how far back the log reaches.
pub async fn oldest(db: &Db) -> Result<Option<NaiveDateTime>> {
    const SQL: &str = "SELECT at FROM audit_log ORDER BY id LIMIT 1";
    Ok(crate::on_db!(db, pool => sqlx::query_scalar::<_, NaiveDateTime>(SQL).fetch_optional(pool).await?))
}

/// The newest entry of `action` on `entity`/`entity_key`: when and by whom
/// (the security policy's last change, say).
pub async fn newest(db: &Db, action: &str, entity: &str, entity_key: &str) -> Result<Option<(NaiveDateTime, String)>> {
    const SQL: &str = "SELECT at, actor FROM audit_log WHERE action = $1 AND entity = $2 AND entity_key = $3 ORDER BY id DESC LIMIT 1";
    Ok(crate::on_db!(db, pool => sqlx::query_as::<_, (NaiveDateTime, String)>(SQL).bind(action).bind(entity).bind(entity_key).fetch_optional(pool).await?))
}
