//! Rendered page bodies, kept in memory. Stored result versions never
//! change, so a page body is a function of the results' state (the
//! `epoch`: versions and publications, read with one small query each
//! request, so a `zhengxin score` from another process is seen at once),
//! the page, the language and what the viewer's role may see. Per-user
//! content (the header, CSRF tokens) is filled in per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::Row;

use crate::db::{Db, Result};
use crate::on_db;

/// Stands in for the viewer's CSRF token inside a cached body.
pub const CSRF_SLOT: &str = "__zx_csrf_slot__";

/// Entries kept before the cache starts afresh (a few per unit and
/// language: a few megabytes).
const CAPACITY: usize = 2048;

#[derive(Debug, Default)]
pub struct PageCache {
    entries: Mutex<HashMap<String, Arc<String>>>,
}

impl PageCache {
    pub fn get(&self, key: &str) -> Option<Arc<String>> {
        self.entries.lock().ok()?.get(key).cloned()
    }

    pub fn put(&self, key: String, body: String) -> Arc<String> {
        let body = Arc::new(body);
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(key, body.clone());
        }
        body
    }
}

/// The results' state: how many versions exist, the newest, how many are
/// published. Any scoring or publication changes it.
pub async fn epoch(db: &Db) -> Result<String> {
    const SQL: &str = "SELECT COUNT(*), COALESCE(MAX(id), 0), COUNT(published_at) FROM result_versions";
    Ok(on_db!(db, pool => {
        let r = sqlx::query(SQL).fetch_one(pool).await?;
        format!("{}.{}.{}", r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?, r.try_get::<i64, _>(2)?)
    }))
}
