//! Rendered page bodies, kept in memory. Stored result versions never
//! change, so a page body is a function of the results' state (the
//! epoch of [`super::overview::choose_year`]: versions and publications per
//! year, read with one small query each request, so a `zhengxin score`
//! from another process is seen at once),
//! the page, the language and what the viewer's role may see. Per-user
//! content (the header, CSRF tokens) is filled in per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
