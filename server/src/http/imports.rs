//! The import page (the assessment team): upload, a check of every row,
//! then commit or discard. Uploads wait in storage
//! ([`crate::import::staging`]); checking and committing run as jobs whose
//! progress [`super::jobs`] shows.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header::{CONNECTION, CONTENT_LENGTH};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use dashboards::layout::{Lang, link};
use dashboards::pages::imports::{self, FileRow, ImportsView, IssueRow, ReportView, UploadRow, UploadView};
use maud::Markup;
use serde::Deserialize;

use super::jobs::to_job;
use super::shared::LangQuery;
use super::session::{PageSession, check_csrf, nav};
use super::{AppError, AppState};
use crate::auth::sessions::Session;
use crate::jobs::{Origin, RunningJob};
use crate::import::staging::{Ending, UploadStatus};
use crate::import::staging::{self, StoredReport};
use crate::import::{self, Input, Progress, ProgressFn};
use crate::jobs::JobHandle;
use crate::sources::{ALL, Source};

/// The largest upload (all files of one form together).
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;
/// Room for the form's fields and part headers around the files.
pub const MULTIPART_OVERHEAD: u64 = 64 * 1024;
/// Files per upload.
const MAX_FILES: usize = 20;
/// Uploads listed on the page.
const LISTED: i64 = 50;

/// The import page's view: recent uploads, and an import running now in
/// any process (the command line's too), so nobody starts one in vain.
async fn imports_view(state: &AppState, lang: Lang, session: &Session) -> Result<ImportsView, AppError> {
    let uploads = staging::recent(&state.db, LISTED).await?;
    let running = crate::jobs::running(&state.db).await?.into_iter().filter(|j| j.subject == import::CLAIM).map(|j| {
        (
            format!("另一个导入正在进行（{}）；在其结束前，新的导入会被拒绝。", j.started_zh()),
            format!("{j}; a new import is refused until it ends."),
        )
    });
    Ok(ImportsView {
        lang,
        nav: nav(session),
        running: running.collect(),
        uploads: uploads
            .into_iter()
            .map(|s| UploadRow {
                id: s.id,
                status: s.status.code().to_string(),
                created_by: s.created_by,
                created_at: s.created_at.to_string(),
                files: s.files.into_iter().map(|f| f.file_name).collect(),
                ok: s.report.as_ref().map(|r| r.ok),
                errors_total: s.report.map_or(0, |r| r.errors_total),
            })
            .collect(),
        max_mib: MAX_UPLOAD_BYTES >> 20,
        sources: ALL.iter().map(|s| (s.file_stem.to_string(), s.zh.to_string())).collect(),
        error: None,
    })
}

pub async fn page(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<LangQuery>) -> Result<Markup, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    Ok(imports::list(&imports_view(&state, lang, &session).await?))
}

fn too_large() -> (StatusCode, String) {
    let message = format!("上传的文件合计超过 {0} MiB，未保存任何内容。 / The upload exceeds {0} MiB; nothing was kept.", MAX_UPLOAD_BYTES >> 20);
    (StatusCode::PAYLOAD_TOO_LARGE, message)
}

/// The last part of an uploaded file's name, without control or hidden
/// characters ([`hidden_char`]): a name is only ever shown as text and
/// matched to a source, never a path or a download's name.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|&c| !hidden_char(c)).take(200).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() { "upload".into() } else { cleaned }
}

/// Characters a file name must not carry into a page or a log: control
/// characters, and the invisible ones that reorder or hide text
/// (bidirectional overrides and isolates, which make `exe.pdf` out of
/// `fdp.exe`; zero-width characters; the byte-order mark).
pub fn hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// What an upload's form held; `problem` is set when reading stopped at
/// the size limit.
struct UploadForm {
    csrf: String,
    lang: Lang,
    source: Option<Source>,
    inputs: Vec<Input>,
    problem: Option<(StatusCode, String)>,
}

/// Reads the upload form's fields as they stream in.
async fn read_form(form: &mut Multipart, lang: Lang) -> Result<UploadForm, AppError> {
    let mut out = UploadForm { csrf: String::new(), lang, source: None, inputs: Vec::new(), problem: None };
    let text = |e: axum::extract::multipart::MultipartError| AppError::BadRequest(e.body_text());
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(out),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => break,
            Err(e) => return Err(text(e)),
        };
        match field.name().unwrap_or_default() {
            "csrf" => out.csrf = field.text().await.map_err(text)?,
            "lang" => out.lang = Lang::from_param(Some(field.text().await.map_err(text)?.as_str())),
            "source" => out.source = Source::parse(&field.text().await.map_err(text)?),
            "files" => {
                let name = clean_file_name(field.file_name().unwrap_or_default());
                match field.bytes().await {
                    Ok(bytes) if bytes.is_empty() && name == "upload" => {}
                    Ok(bytes) => out.inputs.push(Input { file_name: name, bytes: bytes.to_vec(), source: None, staged: false }),
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => break,
                    Err(e) => return Err(text(e)),
                }
            }
            _ => {}
        }
    }
    out.problem = Some(too_large());
    Ok(out)
}

/// Receives an upload, stores it and starts its check.
pub async fn upload(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Result<Response, AppError> {
    // A body announced as too large is refused before any of it is read.
    let announced = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_UPLOAD_BYTES as u64 + MULTIPART_OVERHEAD) {
        let mut view = imports_view(&state, Lang::from_param(q.lang.as_deref()), &session).await?;
        let (status, message) = too_large();
        view.error = Some(message);
        return Ok((status, [(CONNECTION, "close")], imports::list(&view)).into_response());
    }
    let UploadForm { csrf, lang, source, mut inputs, problem } = read_form(&mut form, Lang::from_param(q.lang.as_deref())).await?;
    // The token arrives first in the form; an over-large upload may stop
    // reading before it, and then nothing is done but saying so.
    if problem.is_none() || !csrf.is_empty() {
        check_csrf(&session, &csrf)?;
    }
    let problem = problem.or_else(|| match inputs.len() {
        0 => Some((StatusCode::UNPROCESSABLE_ENTITY, "请选择至少一个文件。 / Choose at least one file.".to_string())),
        n if n > MAX_FILES => Some((StatusCode::UNPROCESSABLE_ENTITY, format!("一次最多上传 {MAX_FILES} 个文件。 / At most {MAX_FILES} files per upload."))),
        _ => None,
    });
    if let Some((status, message)) = problem {
        let mut view = imports_view(&state, lang, &session).await?;
        view.error = Some(message);
        return Ok((status, imports::list(&view)).into_response());
    }
    for input in &mut inputs {
        input.source = source;
    }
    let sizes: Vec<u64> = inputs.iter().map(|i| i.bytes.len() as u64).collect();
    let inputs = staging::canonical(inputs).await.map_err(AppError::internal)?;
    let id = staging::stage(&state.db, &inputs, &sizes, &session.user.username).await?;
    drop(inputs);
    let job = start_check(&state, id, &session.user.username);
    Ok(to_job(lang, job))
}

/// Progress of the importer as job progress (one step: rows are written as
/// they are read).
fn import_progress(job: JobHandle) -> ProgressFn {
    Arc::new(move |p| match p {
        Progress::Read { rows, .. } => job.at(1, ("逐行检查", "Checking every row"), rows as u64, None),
        // Rows are written while later ones are still read and checked.
        Progress::Written { rows, .. } => job.at(1, ("逐行检查并写入", "Checking and writing every row"), rows as u64, None),
    })
}

/// Checks a waiting upload in the background; returns the job's id.
fn start_check(state: &AppState, id: i64, by: &str) -> u64 {
    let db = state.db.clone();
    state.jobs.spawn(&format!("import:{id}"), (&format!("检查上传 #{id}"), &format!("Checking upload #{id}")), 1, by, move |job| async move {
        job.step(1, "逐行检查", "Checking every row", None);
        let next = Some(format!("/import/{id}"));
        let outcome = async {
            let inputs = staging::inputs(&db, id).await?;
            let report = import::check(&db, inputs, Vec::new(), import_progress(job.clone())).await?;
            staging::set_report(&db, id, &StoredReport::from_report(&report, false)).await?;
            anyhow::Ok(())
        }
        .await;
        match outcome {
            Ok(()) => job.finish(next),
            Err(e) => {
                tracing::error!(upload = id, cause = format!("{e:#}"), "checking an upload failed");
                job.fail("内部错误，请重试。 / Internal error; please try again.".into(), next);
            }
        }
    })
}

pub async fn show(State(state): State<AppState>, PageSession(session): PageSession, Path(id): Path<i64>, Query(q): Query<LangQuery>) -> Result<Markup, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    let staged = staging::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let years: Vec<i32> = {
        let mut years: Vec<i32> = crate::scoring::years(&state.db).await?.iter().map(|y| y.year).collect();
        years.sort_unstable_by(|a, b| b.cmp(a));
        years
    };
    let report = staged.report.as_ref();
    let file_report = |name: &str| report.and_then(|r| r.files.iter().find(|f| f.file == name));
    let view = UploadView {
        lang,
        nav: nav(&session),
        id,
        status: staged.status.code().to_string(),
        created_by: staged.created_by.clone(),
        created_at: staged.created_at.to_string(),
        decided_by: staged.decided_by.clone(),
        decided_at: staged.decided_at.map(|t| t.to_string()),
        files: staged
            .files
            .iter()
            .map(|f| {
                let r = file_report(&f.file_name);
                FileRow {
                    file_name: f.file_name.clone(),
                    source: r
                        .and_then(|r| r.source.as_deref())
                        .or(f.source.as_deref())
                        .and_then(Source::parse)
                        .map(|s| (s.spec().zh.to_string(), s.spec().file_stem.to_string())),
                    size: f.size,
                    format: r.and_then(|r| r.format.clone()),
                    rows: r.map(|r| r.rows),
                    counts: r.and_then(|r| r.counts.as_ref()).map(|c| (c.total, c.inserted, c.updated, c.unchanged)),
                }
            })
            .collect(),
        report: report.map(|r| ReportView {
            ok: r.ok,
            committed: r.committed,
            issues: r
                .errors
                .iter()
                .chain(&r.warnings)
                .map(|i| IssueRow {
                    error: i.severity == "error",
                    file: i.file.clone(),
                    row: i.row,
                    column: i.column.clone(),
                    value: i.value.clone(),
                    code: i.code.clone(),
                    message: i.message.clone(),
                })
                .collect(),
            errors_total: r.errors_total,
            warnings_total: r.warnings_total,
        }),
        years,
    };
    Ok(imports::upload(&view))
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
    pub lang: Option<String>,
}

/// Checks a waiting upload again (after an interrupted check).
pub async fn recheck(State(state): State<AppState>, PageSession(session): PageSession, Path(id): Path<i64>, Form(f): Form<CsrfForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    waiting(&state, id).await?;
    let job = start_check(&state, id, &session.user.username);
    Ok(to_job(Lang::from_param(f.lang.as_deref()), job))
}

/// A waiting upload, or why it cannot be acted on.
async fn waiting(state: &AppState, id: i64) -> Result<staging::Staged, AppError> {
    let staged = staging::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if staged.status != UploadStatus::Staged {
        return Err(AppError::BadRequest(format!("upload {id} is already {}", staged.status)));
    }
    Ok(staged)
}

/// Commits a waiting upload: the normal import, checking again, in one
/// transaction, as a job with progress.
pub async fn commit(State(state): State<AppState>, PageSession(session): PageSession, Path(id): Path<i64>, Form(f): Form<CsrfForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    let staged = waiting(&state, id).await?;
    if !staged.report.as_ref().is_some_and(|r| r.ok) {
        return Err(AppError::BadRequest(format!("upload {id} has not passed its check")));
    }
    let actor = session.user.username.clone();
    let lang = Lang::from_param(f.lang.as_deref());
    // The job slot of this upload is taken atomically: a commit never runs
    // beside a check, another commit or a discard of the same upload (a
    // running one is shown instead).
    let db = state.db.clone();
    let title = (format!("导入上传 #{id}"), format!("Importing upload #{id}"));
    let job_id = state.jobs.spawn(&format!("import:{id}"), (&title.0, &title.1), 1, &actor.clone(), move |job| async move {
        job.step(1, "逐行检查", "Checking every row", None);
        let next = Some(format!("/import/{id}"));
        let outcome = async {
            let inputs = staging::inputs(&db, id).await?;
            if inputs.is_empty() {
                return Ok::<_, import::ImportError>(Committed::NotWaiting);
            }
            let report = match import::import(&db, inputs, Vec::new(), &actor, Origin::Web, import_progress(job.clone())).await {
                Err(import::ImportError::Busy(running)) => return Ok(Committed::Busy(running)),
                other => other?,
            };
            let stored = StoredReport::from_report(&report, report.ok);
            if !report.ok {
                staging::set_report(&db, id, &stored).await?;
                return Ok(Committed::Refused);
            }
            match staging::finish(&db, id, Ending::Committed, Some(&stored), &actor).await? {
                true => Ok(Committed::Yes),
                false => Ok(Committed::NotWaiting),
            }
        }
        .await;
        match outcome {
            // The import made the years it changed ready to score before it returned.
            Ok(Committed::Yes) => job.finish(next),
            Ok(Committed::NotWaiting) => job.fail("该上传已不在待确认状态。 / This upload is no longer awaiting a decision.".into(), next),
            Ok(Committed::Busy(running)) => job.fail(
                format!(
                    "另一个导入正在进行（{}），未写入任何数据；请在其结束后重试。 / {running}; nothing was written; try again when it has ended.",
                    running.started_zh()
                ),
                next,
            ),
            Ok(Committed::Refused) => job.fail("数据在检查后发生变化，再次检查未通过；未写入任何数据。 / The data changed since the check and the upload no longer passes; nothing was written.".into(), next),
            Err(e) => {
                tracing::error!(upload = id, cause = %e, "committing an upload failed");
                job.fail("内部错误，未写入任何数据，请重试。 / Internal error; nothing was written; please try again.".into(), next);
            }
        }
    });
    Ok(to_job(lang, job_id))
}

/// How a commit ended.
enum Committed {
    Yes,
    /// The check found errors (data changed since the first check).
    Refused,
    /// The upload was decided meanwhile.
    NotWaiting,
    /// Another import, from any process, is running.
    Busy(RunningJob),
}

/// Discards a waiting upload: nothing is written, its bytes are dropped.
/// It takes the upload's job slot, so it cannot overlap a commit.
pub async fn discard(State(state): State<AppState>, PageSession(session): PageSession, Path(id): Path<i64>, Form(f): Form<CsrfForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    waiting(&state, id).await?;
    let Ok(job) = state.jobs.start(&format!("import:{id}"), (&format!("放弃上传 #{id}"), &format!("Discarding upload #{id}")), 1, &session.user.username) else {
        return Err(AppError::BadRequest(format!("upload {id} is being worked on")));
    };
    let _guard = job.guard();
    let discarded = staging::finish(&state.db, id, Ending::Discarded, None, &session.user.username).await;
    job.finish(Some(format!("/import/{id}")));
    if !discarded? {
        return Err(AppError::BadRequest(format!("upload {id} is no longer waiting")));
    }
    Ok(Redirect::to(&link(Lang::from_param(f.lang.as_deref()), &format!("/import/{id}"), "")).into_response())
}

#[cfg(test)]
mod tests {
    use super::clean_file_name;

    #[test]
    fn uploaded_names_lose_their_paths_and_control_characters() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("C:\\Users\\x\\hotline-2025.csv"), "hotline-2025.csv");
        assert_eq!(clean_file_name("a\u{0}b\r\n.csv"), "ab.csv");
        assert_eq!(clean_file_name("..."), "upload");
        assert_eq!(clean_file_name(""), "upload");
        // A right-to-left override makes "scan\u{202E}fdp.hta" look like
        // "scanath.pdf"; isolates, zero-width marks and a BOM hide text too.
        assert_eq!(clean_file_name("scan\u{202E}fdp.hta"), "scanfdp.hta");
        assert_eq!(clean_file_name("\u{FEFF}a\u{2066}b\u{2069}\u{200B}c\u{061C}.pdf"), "abc.pdf");
    }
}
