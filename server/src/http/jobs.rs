//! Long work started from the web: its progress page, and rescoring a
//! year (the assessment team), which runs as such a job.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dashboards::layout::{Lang, link};
use dashboards::pages::jobs::{JobState, JobView, render};
use maud::Markup;

use super::shared::{LangQuery, YearForm, assessor_year};
use super::session::{PageSession, nav};
use super::{AppError, AppState};
use crate::jobs::Origin;
use crate::jobs::JobStatus;
use crate::scoring::{self, ScoreStep};

pub async fn page(State(state): State<AppState>, PageSession(session): PageSession, Path(id): Path<u64>, Query(q): Query<LangQuery>) -> Result<Markup, AppError> {
    let job = state.jobs.get(id).ok_or(AppError::NotFound)?;
    let view = JobView {
        lang: Lang::from_param(q.lang.as_deref()),
        nav: nav(&session),
        id,
        title_zh: job.title_zh,
        title_en: job.title_en,
        started_by: job.started_by,
        started_at: job.started_at.to_string(),
        state: match job.status {
            JobStatus::Running => JobState::Running,
            JobStatus::Done => JobState::Done,
            JobStatus::Failed => JobState::Failed(job.error.unwrap_or_default()),
        },
        step: job.step,
        steps: job.steps,
        step_zh: job.step_zh,
        step_en: job.step_en,
        done: job.done,
        of: job.of,
        next: job.next,
    };
    Ok(render(&view))
}

/// Rescoring a year (the assessment team), in the background: a new
/// version when anything changed, e.g. after an import or accepted
/// objections. The job's page then leads to the publication page, which
/// shows what changed.
pub async fn rescore(State(state): State<AppState>, PageSession(session): PageSession, Form(f): Form<YearForm>) -> Result<Response, AppError> {
    let year = assessor_year(&session, &f)?;
    let lang = Lang::from_param(f.lang.as_deref());
    let actor = session.user.username.clone();
    let title = (format!("重新评分 {year} 年度"), format!("Rescoring {year}"));
    let db = state.db.clone();
    let job_id = state.jobs.spawn(&format!("score:{year}"), (&title.0, &title.1), ScoreStep::COUNT, &actor.clone(), move |job| async move {
        let on_step = {
            let job = job.clone();
            move |step: ScoreStep| job.step(step.number(), step.label().0, step.label().1, None)
        };
        match scoring::score_as_job(&db, year, None, None, &actor, Origin::Web, &on_step).await {
            Ok(_) => job.finish(Some(format!("/publication?year={year}"))),
            Err(scoring::ScoringError::Busy(running)) => job.fail(
                format!("该年度正在评分（{}）；请在其结束后查看结果。 / {running}; see its result when it has ended.", running.started_zh()),
                Some("/publication".into()),
            ),
            Err(e @ (scoring::ScoringError::Rulebook(_) | scoring::ScoringError::Engine(_))) => {
                job.fail(format!("无法评分（{e}）。 / Cannot score: {e}."), Some("/publication".into()))
            }
            Err(e) => {
                tracing::error!(year, cause = %e, "rescoring failed");
                job.fail("内部错误，未保存任何结果，请重试。 / Internal error; nothing was stored; please try again.".into(), Some("/publication".into()));
            }
        }
    });
    Ok(to_job(lang, job_id))
}

/// The answer to a form that started (or found) a job: its page.
pub fn to_job(lang: Lang, id: u64) -> Response {
    Redirect::to(&link(lang, &format!("/jobs/{id}"), "")).into_response()
}
