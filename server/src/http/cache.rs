//! Rendered page bodies, kept in memory. Stored result versions never
//! change, so a page body is a function of the results' state (the
//! epoch of [`super::overview::choose_year`]: versions and publications per
//! year, read with one small query each request, so a `zhengxin score`
//! from another process is seen at once),
//! the page, the language and what the viewer's role may see. Per-user
//! content (the header, CSRF tokens) is filled in per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::scoring::explain::UnitExplanation;

/// Stands in for the viewer's CSRF token inside a cached body.
pub const CSRF_SLOT: &str = "__zx_csrf_slot__";

/// Entries kept before the cache starts afresh (a few per unit and
/// language: a few megabytes).
const CAPACITY: usize = 2048;

#[derive(Debug, Default)]
pub struct PageCache {
    entries: Mutex<HashMap<String, Arc<String>>>,
    /// Renders under way: requests for the same missing page wait for the
    /// one render instead of each doing it (after results change, fifty
    /// connections asking for the overview would otherwise render it fifty
    /// times at once).
    flights: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<Arc<String>>>>>,
}

impl PageCache {
    /// The cached body under `key`, or the one `render` makes, rendered
    /// once however many requests ask at the same time. A failed render is
    /// not cached; the next request tries again.
    pub async fn get_or_render<F, Fut, E>(&self, key: &str, render: F) -> Result<Arc<String>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<String, E>>,
    {
        if let Some(hit) = self.get(key) {
            return Ok(hit);
        }
        let flight = match self.flights.lock() {
            Ok(mut flights) => flights.entry(key.to_string()).or_default().clone(),
            Err(_) => Arc::default(),
        };
        // The flight ends however the render does (done, failed, or the
        // request dropped), so unknown keys leave nothing behind.
        let _landing = Landing { flights: &self.flights, key };
        let body = flight.get_or_try_init(|| async { render().await.map(Arc::new) }).await?.clone();
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(key.to_string(), body.clone());
        }
        Ok(body)
    }

    pub fn get(&self, key: &str) -> Option<Arc<String>> {
        self.entries.lock().ok()?.get(key).cloned()
    }

}

/// Explanations the drill-down has derived, per (result version, stored
/// data's fingerprint, unit): deriving one reads the whole year's records,
/// which a paged list, its filter, its CSV and the API would otherwise do
/// on every request. A change of data changes the fingerprint, so a stale
/// explanation is never served. Single-flight like the pages.
#[derive(Debug, Default)]
pub struct ExplanationCache {
    entries: Mutex<HashMap<(i64, String, String), Arc<tokio::sync::OnceCell<Arc<UnitExplanation>>>>>,
}

/// Explanations kept (each holds a unit's record ids: up to a few MB).
const EXPLANATIONS: usize = 64;

impl ExplanationCache {
    pub async fn get_or_derive<F, Fut, E>(&self, key: (i64, String, String), derive: F) -> Result<Arc<UnitExplanation>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<UnitExplanation, E>>,
    {
        let cell = match self.entries.lock() {
            Ok(mut entries) => {
                if entries.len() >= EXPLANATIONS && !entries.contains_key(&key) {
                    entries.clear();
                }
                entries.entry(key).or_default().clone()
            }
            Err(_) => Arc::default(),
        };
        Ok(cell.get_or_try_init(|| async { derive().await.map(Arc::new) }).await?.clone())
    }
}

/// Removes a flight from the map when dropped.
struct Landing<'a> {
    flights: &'a Mutex<HashMap<String, Arc<tokio::sync::OnceCell<Arc<String>>>>>,
    key: &'a str,
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        if let Ok(mut flights) = self.flights.lock() {
            flights.remove(self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_misses_render_once_and_failures_are_not_kept() {
        let cache = Arc::new(PageCache::default());
        let renders = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (cache, renders) = (cache.clone(), renders.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_render("page", || async {
                        renders.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        Ok::<_, ()>("body".to_string())
                    })
                    .await
                    .unwrap()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().as_str(), "body");
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        let failed = cache.get_or_render("other", || async { Err::<String, &str>("no") }).await;
        assert_eq!(failed, Err("no"));
        assert!(cache.get("other").is_none());
        assert!(cache.flights.lock().unwrap().is_empty(), "failed renders leave no flight behind");
        assert_eq!(cache.get_or_render("other", || async { Ok::<_, ()>("now".to_string()) }).await.unwrap().as_str(), "now");
    }
}
