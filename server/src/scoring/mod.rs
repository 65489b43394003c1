//! Scoring a year from storage and keeping its results: every run is a
//! numbered result version with its rulebook, as_of, input fingerprint and
//! content hash; publishing freezes one. Published versions are never
//! changed: new data or rules make a new version.

pub mod cards;
pub mod change;
pub mod digest;
pub mod explain;
pub mod export;
pub mod load;
pub mod result_file;
pub mod reports;
pub mod results;
pub mod robustness;
pub mod statistics;
pub mod stored;
pub mod whatif;

use analytics::rulebook::Rulebook;
use analytics::window::Window;
use chrono::NaiveDateTime;
use serde::Serialize;

use crate::db::audit::AuditLog;
use crate::hashing::sha256;
use crate::clock::now_cst;
use crate::db::{Db, DbError};
use results::{ResultRows, VersionInfo};

#[derive(Debug, thiserror::Error)]
pub enum ScoringError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Engine(#[from] analytics::EngineError),
    #[error(transparent)]
    Rulebook(#[from] analytics::rulebook::RulebookError),
    #[error("{0}")]
    NoResult(String),
    #[error("version {version} of {year} is already published ({at}); a published result is never changed")]
    AlreadyPublished { year: i32, version: i64, at: NaiveDateTime },
    #[error("scoring was interrupted: {0}")]
    Interrupted(String),
    /// A narrower export whose group or unit has no row.
    #[error("{0}")]
    NoRows(String),
    /// A result table could not be written.
    #[error(transparent)]
    Write(#[from] export::ExportError),
    /// A report could not be typeset.
    #[error(transparent)]
    Typeset(#[from] crate::typeset::TypesetError),
    /// A robustness simulation that cannot run: its settings, or a version
    /// whose nominal result does not recompute.
    #[error(transparent)]
    Robustness(#[from] analytics::robustness::RobustnessError),
    /// The same year is being scored by another job, in any process.
    #[error("cannot score now: {0}")]
    Busy(crate::db::claims::RunningJob),
}

impl From<sqlx::Error> for ScoringError {
    fn from(e: sqlx::Error) -> Self {
        ScoringError::Db(e.into())
    }
}

/// What `score` did.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreOutcome {
    pub version: VersionInfo,
    /// False when an existing version already held this exact result (same
    /// rules, as_of, inputs and scores): nothing new was stored.
    pub created: bool,
    pub units: usize,
    pub findings: usize,
    /// Units per grade, in grade order.
    pub grades: Vec<(String, usize)>,
    pub seconds_loading: f64,
    pub seconds_scoring: f64,
    /// Where the year's inputs were read from.
    pub read_from: load::InputSource,
}

/// The result of `Y − 1` the year-over-year change compares with: its
/// default version (latest published, else latest), as it was at `at`
/// (none: now).
async fn previous_year(db: &Db, year: i32, at: Option<NaiveDateTime>) -> Result<Option<analytics::polars::prelude::DataFrame>, ScoringError> {
    use analytics::columns::{RANK, TOTAL, UNIT_CODE};
    use analytics::polars::prelude::*;
    let mut versions = crate::db::results::versions(db, year - 1).await?;
    if let Some(at) = at {
        versions.retain(|v| v.computed_at <= at);
        for v in &mut versions {
            v.published_at = v.published_at.filter(|p| *p <= at);
        }
    }
    let Some(v) = results::default_version(&versions) else {
        return Ok(None);
    };
    let units = crate::db::results::units(db, v.id).await?;
    let codes: Vec<String> = units.iter().map(|u| u.unit_code.clone()).collect();
    let totals: Vec<f64> = units.iter().map(|u| u.total).collect();
    let ranks: Vec<Option<u32>> = units.iter().map(|u| u.rank.map(|r| r as u32)).collect();
    let df = df!(UNIT_CODE => codes, TOTAL => totals, RANK => ranks).map_err(analytics::EngineError::from)?;
    Ok(Some(df))
}

/// Scores `year` as of `as_of` (default: the year's end, or now) with
/// `rules` (default: the shipped rulebook of the year) and stores the
/// result as a new version, unless the newest identical one exists.
pub async fn score(db: &Db, year: i32, as_of: Option<NaiveDateTime>, rules: Option<Rulebook>, actor: &str) -> Result<ScoreOutcome, ScoringError> {
    score_with_progress(db, year, as_of, rules, actor, &|_| {}).await
}

/// The steps of a scoring run, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreStep {
    Loading,
    Computing,
    Storing,
}

impl ScoreStep {
    pub const COUNT: u32 = 3;

    pub fn number(self) -> u32 {
        self as u32 + 1
    }

    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            ScoreStep::Loading => ("读取数据", "Reading the records"),
            ScoreStep::Computing => ("计算得分、排名和等次", "Computing scores, ranks and grades"),
            ScoreStep::Storing => ("保存结果版本", "Storing the result version"),
        }
    }
}

/// [`score_with_progress`] as a job someone started (on the web or the
/// command line): it claims the year first, so that two people scoring
/// the same year at once are told of each other instead of both working.
pub async fn score_as_job(
    db: &Db,
    year: i32,
    as_of: Option<NaiveDateTime>,
    rules: Option<Rulebook>,
    actor: &str,
    origin: crate::db::claims::Origin,
    on_step: &(dyn Fn(ScoreStep) + Send + Sync),
) -> Result<ScoreOutcome, ScoringError> {
    let title = format!("a scoring of {year}");
    let claim = match crate::db::claims::claim(db, &format!("score:{year}"), &title, actor, origin).await? {
        Ok(claim) => claim,
        Err(running) => return Err(ScoringError::Busy(running)),
    };
    let outcome = score_with_progress(db, year, as_of, rules, actor, on_step).await;
    claim.release().await?;
    outcome
}

/// [`score`], telling `on_step` as each step begins.
pub async fn score_with_progress(
    db: &Db,
    year: i32,
    as_of: Option<NaiveDateTime>,
    rules: Option<Rulebook>,
    actor: &str,
    on_step: &(dyn Fn(ScoreStep) + Send + Sync),
) -> Result<ScoreOutcome, ScoringError> {
    let started = std::time::Instant::now();
    on_step(ScoreStep::Loading);
    let computed = compute(db, year, as_of, rules, on_step).await?;
    let outcome = match computed.same_as(crate::db::results::versions(db, year).await?) {
        Some(same) => computed.outcome(same, false),
        None => {
            on_step(ScoreStep::Storing);
            let (version, created) = store(db, &computed, actor).await?;
            computed.outcome(version, created)
        }
    };
    let metrics = crate::metrics::get();
    metrics.scoring_seconds.observe(started.elapsed().as_secs_f64());
    metrics.scored_version.get_or_create(&crate::metrics::Year { year: i64::from(year) }).set(outcome.version.version);
    Ok(outcome)
}

/// A result computed and hashed, not yet stored.
struct Computed {
    year: i32,
    window: Window,
    rows: ResultRows,
    fingerprint: String,
    inputs_digest: String,
    rulebook_text: String,
    rulebook_hash: String,
    content_hash: String,
    seconds_loading: f64,
    seconds_scoring: f64,
    read_from: load::InputSource,
}

impl Computed {
    /// The newest of `versions` that holds exactly this result.
    fn same_as(&self, versions: Vec<VersionInfo>) -> Option<VersionInfo> {
        versions.into_iter().rev().find(|v| v.content_hash == self.content_hash)
    }

    fn outcome(&self, version: VersionInfo, created: bool) -> ScoreOutcome {
        ScoreOutcome {
            version,
            created,
            units: self.rows.units.len(),
            findings: self.rows.quality.len(),
            grades: grade_counts(&self.rows),
            seconds_loading: self.seconds_loading,
            seconds_scoring: self.seconds_scoring,
            read_from: self.read_from,
        }
    }
}

/// The stored version `number` of `year` (default: the one readers see,
/// [`results::default_version`]), or an error that says which exist.
/// A year's versions, oldest first: what every reader of results consults
/// before it loads one (`stored::load`). The adapters' way to the list
/// (they reach storage only through use cases, ARCHITECTURE.md).
pub async fn versions(db: &Db, year: i32) -> Result<Vec<VersionInfo>, DbError> {
    crate::db::results::versions(db, year).await
}

/// Every year with results: its versions, the newest, how many published.
pub async fn years(db: &Db) -> Result<Vec<crate::db::results::YearState>, DbError> {
    crate::db::results::year_states(db).await
}

pub async fn stored_version(db: &Db, year: i32, number: Option<i64>) -> Result<VersionInfo, ScoringError> {
    let versions = crate::db::results::versions(db, year).await?;
    Ok(results::find_version(&versions, year, number).map_err(ScoringError::NoResult)?.clone())
}

/// The rulebook in force on `day`, for the rules that apply on a day rather
/// than to an assessment year (publicity periods, the appointment
/// check's look-back): that year's, else the newest of the twenty before.
pub fn rulebook_in_force(day: chrono::NaiveDate) -> Option<Rulebook> {
    use chrono::Datelike;
    (day.year() - 20..=day.year()).rev().find_map(|y| seeds::rulebooks::for_year(y).ok())
}

/// Reads the year's inputs and last year's result, runs the engine off the
/// async workers, and hashes what it found.
async fn compute(
    db: &Db,
    year: i32,
    as_of: Option<NaiveDateTime>,
    rules: Option<Rulebook>,
    on_step: &(dyn Fn(ScoreStep) + Send + Sync),
) -> Result<Computed, ScoringError> {
    let rules = match rules {
        Some(r) => r,
        None => seeds::rulebooks::for_year(year)?,
    };
    if rules.year != year {
        return Err(analytics::rulebook::RulebookError::WrongYear { expected: year, found: rules.year }.into());
    }
    let window = Window::new(year, as_of, now_cst())?;
    let started = std::time::Instant::now();
    let loaded = load::current(db, year).await?;
    let previous = previous_year(db, year, None).await?;
    let seconds_loading = started.elapsed().as_secs_f64();
    on_step(ScoreStep::Computing);
    let started = std::time::Instant::now();
    let rulebook_text = rules.to_toml();
    let engine_window = window;
    // From a snapshot, the engine reads the year's tickets as it scores:
    // their reading is part of the scoring's time.
    let (loaded, assessment) = load::run(db, year, loaded, move |inputs| analytics::score::assess(inputs, &rules, &engine_window, previous.as_ref())).await?;
    let (fingerprint, inputs_digest, read_from) = (loaded.fingerprint, loaded.digest, loaded.source);
    let rows = ResultRows::from_assessment(&assessment)?;
    let seconds_scoring = started.elapsed().as_secs_f64();
    let rulebook_hash = sha256(&rulebook_text);
    let content_hash = rows.content_hash(year, window.as_of, &rulebook_hash, &results::inputs_identity(&fingerprint, Some(&inputs_digest)));
    Ok(Computed { year, window, rows, fingerprint, inputs_digest, rulebook_text, rulebook_hash, content_hash, seconds_loading, seconds_scoring, read_from })
}

/// Stores `c` as the year's next version, with its audit entry, unless a
/// scoring that finished meanwhile stored the same result: (the version,
/// whether it is new).
async fn store(db: &Db, c: &Computed, actor: &str) -> Result<(VersionInfo, bool), ScoringError> {
    let mut tx = db.begin_write().await?;
    // Under the writer lock: a scoring of the same year that finished
    // meanwhile may have stored this very result.
    if let Some(same) = c.same_as(crate::db::results::versions_in(&mut tx, c.year).await?) {
        return Ok((same, false));
    }
    let mut audit = AuditLog::open(&mut tx).await?;
    let now = now_cst();
    let new = crate::db::results::NewVersion {
        year: c.year,
        as_of: c.window.as_of,
        rulebook: &c.rulebook_text,
        rulebook_hash: &c.rulebook_hash,
        inputs_fingerprint: &c.fingerprint,
        content_hash: &c.content_hash,
        computed_at: now,
        computed_by: actor,
        inputs_digest: &c.inputs_digest,
    };
    let (id, version) = crate::db::results::insert_version(&mut tx, &new).await?;
    crate::db::results::insert_rows(&mut tx, id, &c.rows.units, &c.rows.indicators, &c.rows.quality).await?;
    let detail = serde_json::json!({
        "as_of": c.window.as_of.to_string(),
        "content_hash": c.content_hash,
        "inputs": c.fingerprint,
        "inputs_digest": c.inputs_digest,
        "rulebook": c.rulebook_hash,
    });
    audit.record(actor, "score", "result_versions", &format!("{}/{version}", c.year), detail);
    let audit_head = audit.head().to_string();
    crate::db::results::set_audit_head(&mut tx, id, &audit_head).await?;
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    let version = VersionInfo {
        id,
        year: c.year,
        version,
        as_of: c.window.as_of,
        rulebook_hash: c.rulebook_hash.clone(),
        inputs_fingerprint: c.fingerprint.clone(),
        content_hash: c.content_hash.clone(),
        computed_at: now,
        computed_by: actor.to_string(),
        published_at: None,
        published_by: None,
        audit_head: Some(audit_head),
        inputs_digest: Some(c.inputs_digest.clone()),
    };
    Ok((version, true))
}

fn grade_counts(rows: &ResultRows) -> Vec<(String, usize)> {
    analytics::domain::Grade::ALL
        .iter()
        .map(|g| (g.code().to_string(), rows.units.iter().filter(|u| u.grade == *g).count()))
        .collect()
}

/// Publishes a version of `year` (default: the latest): it becomes the
/// frozen, official result. Publishing an already published version is
/// refused; its content hash stays what it was computed as.
pub async fn publish(db: &Db, year: i32, number: Option<i64>, actor: &str) -> Result<VersionInfo, ScoringError> {
    let versions = crate::db::results::versions(db, year).await?;
    let target = match number {
        Some(_) => results::find_version(&versions, year, number),
        None => versions.last().ok_or_else(|| format!("no result for {year} yet: run `zhengxin score --year {year}` first")),
    }
    .map_err(ScoringError::NoResult)?
    .clone();
    if let Some(at) = target.published_at {
        return Err(ScoringError::AlreadyPublished { year, version: target.version, at });
    }
    let mut tx = db.begin_write().await?;
    let mut audit = AuditLog::open(&mut tx).await?;
    let now = now_cst();
    if !crate::db::results::publish(&mut tx, target.id, now, actor).await? {
        // Published by someone else between our read and our lock.
        let at = crate::db::results::versions_in(&mut tx, year).await?.into_iter().find(|v| v.id == target.id).and_then(|v| v.published_at).unwrap_or(now);
        return Err(ScoringError::AlreadyPublished { year, version: target.version, at });
    }
    audit.record(
        actor,
        "publish",
        "result_versions",
        &format!("{year}/{}", target.version),
        serde_json::json!({ "content_hash": target.content_hash }),
    );
    // The head at publication replaces the one at computation: it is what
    // the notice prints and the public page shows, a later head of the
    // same chain, so a cut before it still shows.
    let audit_head = audit.head().to_string();
    crate::db::results::set_audit_head(&mut tx, target.id, &audit_head).await?;
    audit.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(VersionInfo {
        published_at: Some(now),
        published_by: Some(actor.to_string()),
        audit_head: Some(audit_head),
        ..target
    })
}

/// Re-reads a stored version from the database (never what
/// [`stored::load`] keeps) and recomputes its content hash from its rows:
/// proof that nothing stored has changed since it was computed.
pub async fn verify(db: &Db, version: &VersionInfo) -> Result<bool, ScoringError> {
    let rows = stored::rows(db, version.id).await?;
    let rulebook = crate::db::results::rulebook_text(db, version.id).await?;
    let hash = rows.content_hash(version.year, version.as_of, &sha256(&rulebook), &version.inputs_identity());
    Ok(hash == version.content_hash && sha256(&rulebook) == version.rulebook_hash)
}

/// Whether a stored version reproduces from today's data (method §7).
#[derive(Debug, Clone, Serialize)]
pub struct Reproduction {
    pub version: i64,
    /// Recomputing gives the same rows (units, indicators, findings).
    pub reproduces: bool,
    /// Today's inputs, as the version saw them, are what it was computed
    /// from: their content digest is the one it recorded (for versions
    /// without a digest: no import or decision changed them since).
    pub inputs_unchanged: bool,
    /// An import batch or an objection decision changed the data since
    /// the version was computed (its fingerprint differs).
    pub changes_recorded: bool,
    /// Units whose total, rank or grade differ, at most 20.
    pub differing_units: Vec<String>,
}

impl Reproduction {
    /// A difference nothing recorded explains: the data were changed behind
    /// the application's back, or the computation is not deterministic.
    pub fn unexplained(&self) -> bool {
        (!self.reproduces || !self.inputs_unchanged) && !self.changes_recorded
    }
}

/// Recomputes a stored version from today's data as the version saw them:
/// its rulebook and as_of, the objections accepted by the time it was
/// computed, and the previous year's result that was current then.
/// Nothing is stored. The version is read from the database, never from
/// what [`stored::load`] keeps: this is the check of the stored truth.
pub async fn reproduce(db: &Db, version: &VersionInfo) -> Result<Reproduction, ScoringError> {
    let year = version.year;
    let stored::Stored { rules, rows: stored, .. } = stored::Stored::read(db, version).await?;
    let window = Window::new(year, Some(version.as_of), now_cst())?;
    let inputs = load::inputs_voided_until(db, year, Some(version.computed_at)).await?;
    let previous = previous_year(db, year, Some(version.computed_at)).await?;
    let (assessment, digest_now) = tokio::task::spawn_blocking(move || -> Result<_, analytics::EngineError> {
        Ok((analytics::score::assess(&inputs, &rules, &window, previous.as_ref())?, digest::digest(&inputs)?))
    })
    .await
    .map_err(|e| ScoringError::Interrupted(e.to_string()))??;
    let again = ResultRows::from_assessment(&assessment)?;
    let hash = |rows: &ResultRows| rows.content_hash(year, version.as_of, &version.rulebook_hash, &version.inputs_identity());
    let changes_recorded = load::fingerprint(db).await? != version.inputs_fingerprint;
    let differing_units = stored
        .units
        .iter()
        .filter(|s| {
            !again
                .units
                .iter()
                .any(|a| a.unit_code == s.unit_code && a.total.to_bits() == s.total.to_bits() && a.rank == s.rank && a.grade == s.grade)
        })
        .map(|s| s.unit_code.clone())
        .take(20)
        .collect();
    Ok(Reproduction {
        version: version.version,
        reproduces: hash(&again) == hash(&stored),
        inputs_unchanged: match &version.inputs_digest {
            Some(d) => *d == digest_now,
            None => !changes_recorded,
        },
        changes_recorded,
        differing_units,
    })
}
