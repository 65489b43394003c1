//! Claims on long work that must not run twice at once (an import, a
//! year's scoring), kept in the database so that the web server and any
//! number of command-line runs see each other's.
//!
//! A claim is a row of `running_jobs` its holder renews every
//! [`RENEW_EVERY`]; one not renewed for [`LAPSE`] belongs to a process
//! that died, and the next claimant takes it over (at once when the holder
//! was a process of this machine that no longer exists). A claim also ends
//! when it is dropped (the row is removed in the background).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::NaiveDateTime;
use serde::Serialize;

use super::{Db, Result};
use crate::clock::now_cst;

/// How often a holder renews its claim.
pub const RENEW_EVERY: Duration = Duration::from_secs(10);

/// How long a claim lasts without renewal.
pub const LAPSE: chrono::Duration = chrono::Duration::seconds(60);

/// Where a job was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Web,
    CommandLine,
}

impl Origin {
    fn code(self) -> &'static str {
        match self {
            Origin::Web => "web",
            Origin::CommandLine => "cli",
        }
    }
}

/// A job some process is running, as others are told of it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct RunningJob {
    pub subject: String,
    pub title: String,
    pub started_by: String,
    /// `web` or `cli`.
    pub origin: String,
    pub started_at: NaiveDateTime,
}

/// A row of `running_jobs`: the job, and whether its holder still holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct ClaimRow {
    #[sqlx(flatten)]
    job: RunningJob,
    renewed_at: NaiveDateTime,
    holder: String,
}

impl ClaimRow {
    /// Renewed within [`LAPSE`] by a holder that still runs.
    fn live(self, now: NaiveDateTime) -> Option<RunningJob> {
        (self.renewed_at + LAPSE > now && !holder_is_gone(&self.holder)).then_some(self.job)
    }
}

impl RunningJob {
    /// Who started it, where and when, in Chinese: "张三，命令行于 … 开始".
    pub fn started_zh(&self) -> String {
        let place = if self.origin == "web" { "网页" } else { "命令行" };
        format!("{}，{place}于 {} 开始", self.started_by, self.started_at)
    }
}

impl std::fmt::Display for RunningJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = if self.origin == "web" { "on the web" } else { "from the command line" };
        write!(f, "{} is running, started by {} {place} at {}", self.title, self.started_by, self.started_at)
    }
}

/// A held claim; the job it names runs until this is released or dropped.
#[derive(Debug)]
pub struct Claim {
    db: Db,
    subject: String,
    holder: String,
    renewer: Option<tokio::task::JoinHandle<()>>,
}

/// Claims `subject` for a job, or tells who runs it now.
pub async fn claim(db: &Db, subject: &str, title: &str, started_by: &str, origin: Origin) -> Result<std::result::Result<Claim, RunningJob>> {
    const FIND: &str = "SELECT subject, title, started_by, origin, started_at, renewed_at, holder FROM running_jobs WHERE subject = $1";
    const LAPSED: &str = "DELETE FROM running_jobs WHERE subject = $1";
    const TAKE: &str = "INSERT INTO running_jobs (subject, title, started_by, origin, holder, started_at, renewed_at) VALUES ($1, $2, $3, $4, $5, $6, $6)";
    let holder = new_holder();
    let now = now_cst();
    let mut tx = db.begin_write().await?;
    let running = crate::on_tx!(&mut tx, conn => {
        let found = sqlx::query_as::<_, ClaimRow>(FIND).bind(subject).fetch_optional(&mut *conn).await?;
        let held = found.is_some();
        match found.and_then(|row| row.live(now)) {
            Some(job) => Some(job),
            None => {
                if held {
                    tracing::warn!(subject, "a claim whose holder stopped was taken over");
                    sqlx::query(LAPSED).bind(subject).execute(&mut *conn).await?;
                }
                sqlx::query(TAKE)
                    .bind(subject).bind(title).bind(started_by).bind(origin.code()).bind(&holder).bind(now)
                    .execute(&mut *conn).await?;
                None
            }
        }
    });
    tx.commit().await?;
    if let Some(job) = running {
        return Ok(Err(job));
    }
    let renewer = tokio::spawn(renew(db.clone(), subject.to_string(), holder.clone()));
    Ok(Ok(Claim {
        db: db.clone(),
        subject: subject.to_string(),
        holder,
        renewer: Some(renewer),
    }))
}

/// The jobs running now, in any process.
pub async fn running(db: &Db) -> Result<Vec<RunningJob>> {
    const SQL: &str = "SELECT subject, title, started_by, origin, started_at, renewed_at, holder FROM running_jobs ORDER BY started_at";
    let now = now_cst();
    let rows = crate::on_db!(db, pool => sqlx::query_as::<_, ClaimRow>(SQL).fetch_all(pool).await?);
    Ok(rows.into_iter().filter_map(|row| row.live(now)).collect())
}

impl Claim {
    /// Ends the claim now.
    pub async fn release(mut self) -> Result<()> {
        if let Some(r) = self.renewer.take() {
            r.abort();
        }
        remove(&self.db, &self.subject, &self.holder).await
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Some(r) = self.renewer.take() {
            r.abort();
            // Dropped without release (an error, a cancelled request): let
            // the claim go in the background, or by lapse if that fails.
            let (db, subject, holder) = (self.db.clone(), self.subject.clone(), self.holder.clone());
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    if let Err(e) = remove(&db, &subject, &holder).await {
                        tracing::warn!(error = %e, subject, "a claim was left to lapse");
                    }
                });
            }
        }
    }
}

async fn remove(db: &Db, subject: &str, holder: &str) -> Result<()> {
    const SQL: &str = "DELETE FROM running_jobs WHERE subject = $1 AND holder = $2";
    let mut tx = db.begin_write().await?;
    crate::on_tx!(&mut tx, conn => {
        sqlx::query(SQL).bind(subject).bind(holder).execute(conn).await?;
    });
    tx.commit().await
}

async fn renew(db: Db, subject: String, holder: String) {
    const SQL: &str = "UPDATE running_jobs SET renewed_at = $1 WHERE subject = $2 AND holder = $3";
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        let renewed = async {
            let mut tx = db.begin_write().await?;
            crate::on_tx!(&mut tx, conn => {
                sqlx::query(SQL).bind(now_cst()).bind(&subject).bind(&holder).execute(conn).await?;
            });
            tx.commit().await
        };
        if let Err(e) = renewed.await {
            tracing::warn!(error = %e, subject, "a claim was not renewed; it lapses unless a later renewal succeeds");
        }
    }
}

/// A name for one claim's holder, unique across processes and hosts:
/// `host:pid:nanoseconds:counter`.
fn new_holder() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}:{}:{nanos}:{}", host_name(), std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Where this process's id means something: the machine's name and the
/// process-id namespace it runs in (two containers may share a host name,
/// never a namespace), or nothing where either cannot be read.
fn host_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string());
    let namespace = std::fs::read_link("/proc/self/ns/pid").map(|p| p.to_string_lossy().to_string());
    match (name, namespace) {
        (Ok(name), Ok(namespace)) if !name.is_empty() => format!("{name}/{namespace}").replace(':', "_"),
        _ => String::new(),
    }
}

/// Whether `holder` was a process of this machine (and process-id
/// namespace) that has ended (it was killed, or crashed): its claim need
/// not wait to lapse. Known only where
/// `/proc` lists processes; elsewhere, and for other machines' claims, the
/// lapse decides. A reused process id only makes the claim wait to lapse.
fn holder_is_gone(holder: &str) -> bool {
    let mut parts = holder.split(':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    let here = host_name();
    !here.is_empty()
        && host == here
        && std::path::Path::new("/proc/self").exists()
        // Where /proc hides other users' processes (hidepid), pid 1 is
        // hidden too: then nothing is known and the lapse decides.
        && std::path::Path::new("/proc/1").exists()
        && pid.parse::<u32>().is_ok_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
}
