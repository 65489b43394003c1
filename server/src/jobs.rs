//! Long work started from the web (checking or committing an upload,
//! rescoring a year) runs as a background job whose progress a page shows
//! until it ends. Jobs live in memory: what they write is transactional,
//! so a restart loses only the progress display, never data, and the work
//! can simply be started again.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;

/// Who started a long piece of work, and a job running in any process
/// (kept with their claims in storage).
pub use crate::db::claims::{Origin, RunningJob};

/// The jobs running now in any process (imports and scorings started from
/// the web or the command line).
pub async fn running(db: &crate::db::Db) -> Result<Vec<RunningJob>, crate::db::DbError> {
    crate::db::claims::running(db).await
}

/// Jobs kept for their pages; older finished ones are forgotten.
const KEPT: usize = 200;

#[derive(Debug, Clone, PartialEq)]
pub enum JobStatus {
    Running,
    Done,
    Failed,
}

/// What a job's page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: u64,
    /// What the job does, in both languages.
    pub title_zh: String,
    pub title_en: String,
    pub started_by: String,
    pub started_at: NaiveDateTime,
    pub status: JobStatus,
    /// The current step (1-based) of `steps`.
    pub step: u32,
    pub steps: u32,
    pub step_zh: String,
    pub step_en: String,
    /// Within a step: how far, and of how much when known.
    pub done: u64,
    pub of: Option<u64>,
    /// Where to go once done (a result page).
    pub next: Option<String>,
    /// Why it failed, for the page (never an internal cause).
    pub error: Option<String>,
    /// A job about one upload or year, so the same one is not started twice.
    pub subject: String,
}

/// Every job of this process.
#[derive(Debug, Default)]
pub struct Jobs {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    jobs: BTreeMap<u64, Job>,
}

/// A running job's handle: reports progress and the end.
#[derive(Debug, Clone)]
pub struct JobHandle {
    jobs: Arc<Jobs>,
    pub id: u64,
}

impl Jobs {
    /// How many jobs are running in this process.
    pub fn running(&self) -> usize {
        let inner = self.inner.lock().expect("jobs lock");
        inner.jobs.values().filter(|j| j.status == JobStatus::Running).count()
    }

    /// Whether a job about `subject` is running in this process.
    pub fn is_running(&self, subject: &str) -> bool {
        let inner = self.inner.lock().expect("jobs lock");
        inner.jobs.values().any(|j| j.subject == subject && j.status == JobStatus::Running)
    }

    /// Starts a job about `subject`, or returns the id of the running one
    /// about the same subject (`Err`).
    pub fn start(self: &Arc<Self>, subject: &str, title: (&str, &str), steps: u32, by: &str) -> Result<JobHandle, u64> {
        let mut inner = self.inner.lock().expect("jobs lock");
        if let Some(running) = inner.jobs.values().find(|j| j.subject == subject && j.status == JobStatus::Running) {
            return Err(running.id);
        }
        inner.next_id += 1;
        let id = inner.next_id;
        inner.jobs.insert(
            id,
            Job {
                id,
                title_zh: title.0.to_string(),
                title_en: title.1.to_string(),
                started_by: by.to_string(),
                started_at: crate::clock::now_cst(),
                status: JobStatus::Running,
                step: 1,
                steps,
                step_zh: String::new(),
                step_en: String::new(),
                done: 0,
                of: None,
                next: None,
                error: None,
                subject: subject.to_string(),
            },
        );
        while inner.jobs.len() > KEPT {
            let Some(oldest) = inner.jobs.values().find(|j| j.status != JobStatus::Running).map(|j| j.id) else {
                break;
            };
            inner.jobs.remove(&oldest);
        }
        Ok(JobHandle { jobs: self.clone(), id })
    }

    /// Runs `work` as a job about `subject` in the background, its
    /// handle guarded so a panic fails the job; or, when a job about the
    /// same subject is running, starts nothing. Either way: the job's id.
    pub fn spawn<F, Fut>(self: &Arc<Self>, subject: &str, title: (&str, &str), steps: u32, by: &str, work: F) -> u64
    where
        F: FnOnce(JobHandle) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        match self.start(subject, title, steps, by) {
            Err(running) => running,
            Ok(job) => {
                let id = job.id;
                tokio::spawn(async move {
                    let _guard = job.guard();
                    work(job).await;
                });
                id
            }
        }
    }

    pub fn get(&self, id: u64) -> Option<Job> {
        self.inner.lock().expect("jobs lock").jobs.get(&id).cloned()
    }
}

impl JobHandle {
    fn update(&self, f: impl FnOnce(&mut Job)) {
        if let Some(job) = self.jobs.inner.lock().expect("jobs lock").jobs.get_mut(&self.id) {
            f(job);
        }
    }

    /// Enters step `step` (1-based), resetting the count.
    pub fn step(&self, step: u32, zh: &str, en: &str, of: Option<u64>) {
        self.at(step, (zh, en), 0, of);
    }

    /// Step `step` has come `done` of `of`.
    pub fn at(&self, step: u32, label: (&str, &str), done: u64, of: Option<u64>) {
        self.update(|j| {
            if j.step != step || j.step_zh != label.0 {
                j.step = step;
                j.step_zh = label.0.to_string();
                j.step_en = label.1.to_string();
            }
            j.done = done;
            j.of = of;
        });
    }

    /// How far the current step is.
    pub fn progress(&self, done: u64, of: Option<u64>) {
        self.update(|j| {
            j.done = done;
            if of.is_some() {
                j.of = of;
            }
        });
    }

    /// Marks the job failed if dropped while it still runs: a task that
    /// panics does not leave its page (and its subject) running forever.
    pub fn guard(&self) -> JobGuard {
        JobGuard(self.clone())
    }

    pub fn finish(&self, next: Option<String>) {
        self.update(|j| {
            j.status = JobStatus::Done;
            j.step = j.steps;
            j.next = next;
        });
    }

    pub fn fail(&self, message: String, next: Option<String>) {
        self.update(|j| {
            j.status = JobStatus::Failed;
            j.error = Some(message);
            j.next = next;
        });
    }
}

/// See [`JobHandle::guard`].
#[derive(Debug)]
pub struct JobGuard(JobHandle);

impl Drop for JobGuard {
    fn drop(&mut self) {
        self.0.update(|j| {
            if j.status == JobStatus::Running {
                j.status = JobStatus::Failed;
                j.error = Some("处理意外中断，没有写入部分结果，请重试。 / The work stopped unexpectedly; nothing partial was written; please try again.".into());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_runs_once_at_a_time_and_progress_is_seen() {
        let jobs = Arc::new(Jobs::default());
        let a = jobs.start("score:2025", ("评分", "Scoring"), 3, "assessor").unwrap();
        assert_eq!(jobs.start("score:2025", ("评分", "Scoring"), 3, "assessor").unwrap_err(), a.id);
        let b = jobs.start("score:2024", ("评分", "Scoring"), 3, "assessor").unwrap();
        assert_ne!(a.id, b.id);
        a.step(2, "计算", "Computing", Some(10));
        a.progress(4, None);
        let seen = jobs.get(a.id).unwrap();
        assert_eq!((seen.step, seen.done, seen.of, seen.status), (2, 4, Some(10), JobStatus::Running));
        a.finish(Some("/publication?year=2025".into()));
        assert_eq!(jobs.get(a.id).unwrap().status, JobStatus::Done);
        assert_eq!(jobs.get(b.id).unwrap().status, JobStatus::Running, "the other year's job runs on");
        // Once finished, the same subject may run again.
        assert!(jobs.start("score:2025", ("评分", "Scoring"), 3, "assessor").is_ok());
        // A task that ends without saying so (a panic) fails its job.
        {
            let _guard = b.guard();
        }
        let failed = jobs.get(b.id).unwrap();
        assert!(failed.status == JobStatus::Failed && failed.error.is_some());
    }
}
