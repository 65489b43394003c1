//! A stored version as its readers use it, [`Stored`]: its provenance, the
//! rulebook it was computed under and every row, read from the database in
//! four queries and then kept, since what was stored for a version is
//! never rewritten (scoring inserts a version's rows once, in the
//! transaction that creates it). Scorecards, reports, exports, robustness,
//! change analysis, statistics, explanations and what-ifs all take one,
//! so a page that shows a version with last year's beside it reads each
//! version once, not once per part of the page.
//!
//! What does change is publication: `published_at`, `published_by` and
//! `audit_head` are set on a stored version, by this process or another
//! (`zhengxin publish`). So [`load`] takes the caller's [`VersionInfo`],
//! fresh from the version list every reader consults first, and the
//! [`Stored`] it hands out always carries exactly that info; only the
//! rulebook and rows come from what is kept.

use std::sync::{Arc, Mutex, PoisonError};

use analytics::rulebook::Rulebook;
use tokio::sync::OnceCell;

use super::ScoringError;
use super::results::{self, ResultRows, UnitResult, VersionInfo};
use crate::db::{self, Db};

/// One stored version: what it is, its rules, its rows. Handed out as an
/// `Arc`, shared by every reader of the version.
#[derive(Debug)]
pub struct Stored {
    pub info: VersionInfo,
    /// The rulebook stored with it (not the shipped file of its year,
    /// which may have changed since).
    pub rules: Rulebook,
    /// Units in the engine's order, indicators and findings in the order
    /// the engine wrote them.
    pub rows: ResultRows,
}

impl Stored {
    /// Reads version `info` from the database, past what is kept: for the
    /// checks of the stored truth (reproduction, robustness's nominal
    /// check), which must see a row altered behind the application's back.
    pub async fn read(db: &Db, info: &VersionInfo) -> Result<Stored, ScoringError> {
        let rules = Rulebook::parse(&db::results::rulebook_text(db, info.id).await?)?;
        Ok(Stored { info: info.clone(), rules, rows: rows(db, info.id).await? })
    }

    /// What `viewer` may see of this version: every unit's ranking line,
    /// but a veto's record ids only for the units it sees in full, and the
    /// data-quality findings about those units only (one about no unit
    /// only for a viewer who sees every unit).
    pub fn seen_by(&self, viewer: &crate::auth::User) -> Seen {
        let sees = |code: Option<&str>| code.map_or(viewer.scope() == crate::auth::Scope::Every, |c| viewer.sees_unit_in_full(c));
        let units = self
            .rows
            .units
            .iter()
            .map(|u| UnitResult { veto_reason: u.veto_reason.clone().filter(|_| sees(Some(&u.unit_code))), ..u.clone() })
            .collect();
        let findings = self.rows.quality.iter().filter(|f| sees(f.unit_code.as_deref())).cloned().collect();
        Seen { units, findings }
    }

    /// The unit `code`'s result in this version.
    pub fn unit(&self, code: &str) -> Option<&UnitResult> {
        self.rows.units.iter().find(|u| u.unit_code == code)
    }
}

/// A stored version as one viewer may see it ([`Stored::seen_by`]).
#[derive(Debug, Clone)]
pub struct Seen {
    pub units: Vec<UnitResult>,
    pub findings: Vec<results::Finding>,
}

/// The rows of version `id` as the database holds them now (never what is
/// kept): what `verify` hashes.
pub async fn rows(db: &Db, id: i64) -> Result<ResultRows, db::DbError> {
    Ok(ResultRows {
        units: db::results::units(db, id).await?,
        indicators: db::results::indicators(db, id, None).await?,
        quality: db::results::findings(db, id).await?,
    })
}

/// Versions kept. A scorecard shows one version per year with results and
/// the overview's history one per year; a version is its units × indicators
/// rows and its findings (a few MB at a city's full size), so a handful.
pub const KEPT: usize = 8;

/// (database, version id): [`Db::instance`] keeps two databases open in
/// one process (the tests) apart.
type Key = (u64, i64);

/// A version being read or read, shared by every request that asks for it
/// meanwhile (after a publication fifty scorecards may ask for the same
/// version at once).
type Cell = Arc<OnceCell<Arc<Stored>>>;

/// The versions kept. A static rather than a field of the web's state
/// (where the page caches live): every use case that reads a stored
/// version goes through it, from the web and from the command line, and a
/// cache passed down through each would be plumbing only; [`Key`] keeps
/// databases apart as the state would.
static KEPT_VERSIONS: Mutex<Kept> = Mutex::new(Kept(Vec::new()));

/// Version `info`, read once and then kept (see the module's doc). The
/// answer's `info` is always `info` itself.
pub async fn load(db: &Db, info: &VersionInfo) -> Result<Arc<Stored>, ScoringError> {
    let key = (db.instance(), info.id);
    let cell = kept().cell(key);
    let kept_one = match cell.get_or_try_init(|| async { Stored::read(db, info).await.map(Arc::new) }).await {
        Ok(stored) => stored.clone(),
        Err(e) => {
            kept().forget(key, &cell);
            return Err(e);
        }
    };
    if kept_one.info == *info {
        return Ok(kept_one);
    }
    // Published since it was kept (or kept by a request that read the
    // version list before the publication): the same rules and rows with
    // the info as it is now. Anything else that differs means the database
    // is not what it was (a restore, a hand edit): read it again.
    let fresh = if unpublished(&kept_one.info) == unpublished(info) {
        Stored { info: info.clone(), rules: kept_one.rules.clone(), rows: kept_one.rows.clone() }
    } else {
        Stored::read(db, info).await?
    };
    let fresh = Arc::new(fresh);
    kept().replace(key, &cell, fresh.clone());
    Ok(fresh)
}

/// The version `year` shows by default ([`results::default_version`]),
/// loaded; none when the year has no result.
pub async fn shown(db: &Db, year: i32) -> Result<Option<Arc<Stored>>, ScoringError> {
    match results::default_version(&db::results::versions(db, year).await?) {
        Some(info) => Ok(Some(load(db, info).await?)),
        None => Ok(None),
    }
}

/// `info` without what publication sets.
fn unpublished(info: &VersionInfo) -> VersionInfo {
    VersionInfo { published_at: None, published_by: None, audit_head: None, ..info.clone() }
}

fn kept() -> std::sync::MutexGuard<'static, Kept> {
    KEPT_VERSIONS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// At most [`KEPT`] cells by key, the least recently used first.
struct Kept(Vec<(Key, Cell)>);

impl Kept {
    /// The cell of `key`, made the most recently used; a new one (the
    /// least recently used dropped when [`KEPT`] are held) if there is
    /// none.
    fn cell(&mut self, key: Key) -> Cell {
        let cell = match self.0.iter().position(|(k, _)| *k == key) {
            Some(at) => self.0.remove(at).1,
            None => {
                if self.0.len() >= KEPT {
                    self.0.remove(0);
                }
                Cell::default()
            }
        };
        self.0.push((key, cell.clone()));
        cell
    }

    /// Drops a cell whose read failed, unless it was replaced meanwhile:
    /// the next request reads again.
    fn forget(&mut self, key: Key, cell: &Cell) {
        self.0.retain(|(k, c)| *k != key || !Arc::ptr_eq(c, cell));
    }

    /// Puts `stored` in place of `cell`, if that is still kept.
    fn replace(&mut self, key: Key, cell: &Cell, stored: Arc<Stored>) {
        if let Some(entry) = self.0.iter_mut().find(|(k, c)| *k == key && Arc::ptr_eq(c, cell)) {
            entry.1 = Arc::new(OnceCell::new_with(Some(stored)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: i64) -> VersionInfo {
        let t = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap().and_hms_opt(0, 0, 0).unwrap();
        VersionInfo {
            id,
            year: 2025,
            version: id,
            as_of: t,
            rulebook_hash: "r".into(),
            inputs_fingerprint: "f".into(),
            content_hash: "c".into(),
            computed_at: t,
            computed_by: "test".into(),
            published_at: None,
            published_by: None,
            audit_head: Some("computed".into()),
            inputs_digest: None,
        }
    }

    #[test]
    fn a_publication_is_not_a_different_version_but_a_new_hash_is() {
        let before = info(1);
        let published = VersionInfo { published_at: Some(before.computed_at), published_by: Some("li".into()), audit_head: Some("published".into()), ..before.clone() };
        assert_eq!(unpublished(&before), unpublished(&published));
        let other = VersionInfo { content_hash: "d".into(), ..before.clone() };
        assert_ne!(unpublished(&before), unpublished(&other));
    }

    #[test]
    fn the_least_recently_used_version_goes_first_and_databases_stay_apart() {
        let mut kept = Kept(Vec::new());
        let first = kept.cell((1, 1));
        for id in 2..=KEPT as i64 {
            kept.cell((1, id));
        }
        assert!(Arc::ptr_eq(&first, &kept.cell((1, 1))), "version 1 is kept, now the most recently used");
        let other_database = kept.cell((2, 1));
        assert!(!Arc::ptr_eq(&first, &other_database), "another database's version 1 is another entry");
        let held: Vec<Key> = kept.0.iter().map(|(k, _)| *k).collect();
        assert_eq!(held.len(), KEPT);
        assert!(!held.contains(&(1, 2)), "the least recently used went: {held:?}");
        kept.forget((2, 1), &first);
        assert!(kept.0.iter().any(|(k, _)| *k == (2, 1)), "only the cell that failed is forgotten");
        kept.forget((2, 1), &other_database);
        assert!(!kept.0.iter().any(|(k, _)| *k == (2, 1)));
    }
}
