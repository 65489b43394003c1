//! Rendered page bodies, kept in memory. Stored result versions never
//! change, so a page body is a function of the results' state (the
//! epoch of [`super::shared::choose_year`]: versions and publications per
//! year, read with one small query each request, so a `zhengxin score`
//! from another process is seen at once),
//! the page, the language and what the viewer's role may see. Per-user
//! content (the header, CSRF tokens) is filled in per request.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::scoring::explain::UnitExplanation;

/// Stands in for the viewer's CSRF token inside a cached body.
pub const CSRF_SLOT: &str = "__zx_csrf_slot__";

/// Page bodies kept before the cache starts afresh (a few per unit and
/// language: a few megabytes).
pub const PAGES: usize = 2048;

/// Public pages kept: every page of every group of a few published years
/// in two languages (each key is one that exists, see
/// [`super::public::results`]).
pub const PUBLIC_PAGES: usize = 512;

/// Published results kept for the public pages (a year's units and rows).
pub const PUBLISHED: usize = 16;

/// Published results by (result epoch, year).
pub type PublishedCache = OnceCache<(String, i32), crate::disclosure::PublishedResults>;

/// Explanations kept (each holds a unit's record ids: up to a few MB).
pub const EXPLANATIONS: usize = 64;

/// A page as cached: its title and rendered body; the shell around them
/// (header, the viewer's CSRF token) is made per request.
#[derive(Debug)]
pub struct CachedPage {
    pub title: String,
    pub body: String,
}

/// Rendered pages by key (page, result epoch, language, what the role may
/// see).
pub type PageCache = OnceCache<String, CachedPage>;

/// Explanations the drill-down has derived, per (result version, stored
/// data's state ([`crate::db::inputs::InputsState::detail`], as
/// snapshots), unit, indicator or all): deriving one reads the unit's
/// records and flags each, which a paged list, its filter, its CSV and
/// the API would otherwise do on every request. A change of data changes
/// the state, so a stale explanation is never served.
pub type ExplanationCache = OnceCache<(i64, String, String, Option<String>), UnitExplanation>;

/// A unit's explanation in `version` (of one indicator, or all), derived
/// once per data state and shared by the drill-down pages and the
/// explanations API. A drill-down asks for its one indicator: deriving
/// all fifteen for a county with a hundred thousand tickets takes several
/// times as long as the one on screen.
pub async fn explanation(
    state: &super::AppState,
    version: &crate::scoring::results::VersionInfo,
    code: &str,
    only: Option<&str>,
) -> Result<Arc<UnitExplanation>, crate::scoring::ScoringError> {
    let key = (version.id, crate::scoring::load::state(&state.db).await?.detail, code.to_string(), only.map(str::to_string));
    state
        .explanations
        .get_or_try_init(key, || async {
            let stored = crate::scoring::stored::load(&state.db, version).await?;
            crate::scoring::explain::unit(&state.db, &stored, code, only).await
        })
        .await
}

/// Robustness simulations kept (each a few hundred kilobytes).
pub const SIMULATIONS: usize = 32;

/// Robustness simulations by (version, draws, seed, φ_W, φ_T as bits): a
/// stored version never changes, so neither does its simulation.
pub type RobustnessCache = OnceCache<(i64, u32, u64, u64, u64), crate::scoring::robustness::Robustness>;

/// The simulation of `version` under `settings`, run once per key.
pub async fn robustness(
    state: &super::AppState,
    version: &crate::scoring::results::VersionInfo,
    settings: analytics::robustness::Settings,
) -> Result<Arc<crate::scoring::robustness::Robustness>, crate::scoring::ScoringError> {
    let key = (version.id, settings.draws, settings.seed, settings.factors.weights.to_bits(), settings.factors.thresholds.to_bits());
    state.simulations.get_or_try_init(key, || crate::scoring::robustness::robustness(&state.db, version, settings)).await
}

/// Values computed once per key, however many requests ask at the same
/// time: the others wait for the one computation (after results change,
/// fifty connections asking for the overview would otherwise render it
/// fifty times at once). A failed computation is not kept; the next
/// request tries again. When `capacity` keys are held it starts afresh.
#[derive(Debug)]
pub struct OnceCache<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceCell<Arc<V>>>>>,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V> OnceCache<K, V> {
    pub fn new(capacity: usize) -> Self {
        OnceCache { cells: Mutex::default(), capacity }
    }

    /// The value under `key`, computing it with `init` if no one has.
    pub async fn get_or_try_init<F, Fut, E>(&self, key: K, init: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        let cell = match self.cells.lock() {
            Ok(mut cells) => match cells.get(&key) {
                Some(cell) => cell.clone(),
                None => {
                    if cells.len() >= self.capacity {
                        cells.clear();
                    }
                    cells.entry(key.clone()).or_default().clone()
                }
            },
            Err(_) => Arc::default(),
        };
        let value = cell.get_or_try_init(|| async { init().await.map(Arc::new) }).await.cloned();
        if value.is_err()
            && let Ok(mut cells) = self.cells.lock()
            && cells.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell) && !c.initialized())
        {
            // Unknown keys (a unit code that does not exist) leave nothing.
            cells.remove(&key);
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_misses_render_once_and_failures_are_not_kept() {
        let cache = Arc::new(OnceCache::<String, String>::new(PAGES));
        let renders = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (cache, renders) = (cache.clone(), renders.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_try_init("page".to_string(), || async {
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
        let failed = cache.get_or_try_init("other".to_string(), || async { Err::<String, &str>("no") }).await;
        assert_eq!(failed, Err("no"));
        let held: Vec<String> = cache.cells.lock().unwrap().keys().cloned().collect();
        assert_eq!(held, ["page"], "a failed render leaves nothing behind");
        assert_eq!(cache.get_or_try_init("other".to_string(), || async { Ok::<_, ()>("now".to_string()) }).await.unwrap().as_str(), "now");
    }
}
