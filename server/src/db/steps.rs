//! Long writes in short steps, so no other writer waits long.
//!
//! Writers are serialised ([`Db::begin_write`]). A job that held the writer
//! lock for its whole run (an import of millions of rows takes tens of
//! seconds) made every sign-in and objection wait for it, past SQLite's
//! busy timeout. [`Steps`] instead commits whenever it has held the lock
//! for [`HOLD`], and then lets the lock go for [`PAUSE`] before taking it
//! again, so that any writer waiting meanwhile gets its turn:
//!
//! - PostgreSQL queues advisory-lock requests in order, so a writer that
//!   waited is granted the lock as soon as the step commits; no pause is
//!   needed.
//! - SQLite has no queue: a waiting writer retries on a timer, every 2 ms
//!   with our busy handler ([`super::dialect::retry_when_busy`]), so a
//!   pause of a few times that always contains one of its retries.
//!
//! The longest a writer waits behind a job in steps is therefore one hold
//! plus the statement in flight when the hold ends (an import writes
//! 10,000 rows per statement), plus a retry interval on SQLite.
//!
//! What a job writes in steps is committed step by step: it must be made
//! invisible to readers until its last step (imports mark their batches
//! pending, [`super::batches`]) and removable if the job fails or dies.

use std::time::{Duration, Instant};

use super::{Db, Result, Tx};

/// The longest the lock is held before a step commits.
pub const HOLD: Duration = Duration::from_millis(250);

/// How long the lock is left free after a hold, on SQLite: several times
/// the busy handler's interval between retries (2 ms), so a waiting writer
/// in this or another process gets in.
pub const PAUSE: Duration = Duration::from_millis(10);

/// A transaction that commits and reopens itself as it goes.
pub struct Steps {
    db: Db,
    tx: Option<Tx>,
    /// When the current hold began (the lock is held since then).
    held_since: Option<Instant>,
}

impl Steps {
    pub fn new(db: &Db) -> Steps {
        Steps {
            db: db.clone(),
            tx: None,
            held_since: None,
        }
    }

    /// The open step, begun now if none is open (after the pause a hold
    /// owes other writers).
    pub async fn tx(&mut self) -> Result<&mut Tx> {
        if self.tx.is_none() {
            self.tx = Some(self.db.begin_write().await?);
            self.held_since.get_or_insert_with(Instant::now);
        }
        Ok(self.tx.as_mut().expect("opened above"))
    }

    /// Commits the open step if it has held the lock for [`HOLD`], then
    /// pauses so waiting writers get in.
    pub async fn next(&mut self) -> Result<()> {
        if self.held_since.is_some_and(|t| t.elapsed() >= HOLD) {
            self.commit().await?;
            self.held_since = None;
            if matches!(self.db.pool, super::Pool::Sqlite(_)) {
                tokio::time::sleep(PAUSE).await;
            }
        }
        Ok(())
    }

    /// Commits the open step, if any: before waiting for more work, so
    /// the lock is not held idle. The hold goes on counting, so that many
    /// short steps still owe the pause.
    pub async fn commit(&mut self) -> Result<()> {
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
        }
        Ok(())
    }

    /// Rolls the open step back, if any.
    pub fn rollback(&mut self) {
        // sqlx rolls a dropped transaction back.
        self.tx = None;
    }
}
