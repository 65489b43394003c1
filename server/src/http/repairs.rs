//! 信用修复 pages: a unit applies (a multipart form with its evidence) and
//! follows its applications; the assessment team reads each one with its
//! evidence and decides. The rules are in [`crate::repairs`].

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use dashboards::layout::{Lang, link};
use dashboards::pages::repairs::{self, ApplyForm, EvidenceRow, RepairRow, RepairView, RepairableRecord, RepairsView};
use serde::Deserialize;

use super::public::kind_label;
use super::session::{PageSession, check_csrf, nav};
use super::shared::LangQuery;
use super::{AppError, AppState};
use crate::auth::Capability;
use crate::auth::sessions::Session;
use crate::repairs::{self as use_case, Application, Decision, Listed, Refusal, RepairError, Upload};
use super::shared::text_refusal;
use analytics::domain::Mitigation;

/// Room for the form's text fields and part headers around the files.
pub const MULTIPART_OVERHEAD: usize = 64 * 1024;
/// The largest application body: every file at its limit, plus the form.
pub const MAX_BODY: usize = use_case::MAX_FILES * use_case::MAX_FILE_BYTES + MULTIPART_OVERHEAD;

impl From<RepairError> for AppError {
    fn from(e: RepairError) -> Self {
        match e {
            RepairError::NotFound => AppError::NotFound,
            RepairError::Refused(r) => AppError::BadRequest(words(&r)),
            RepairError::Db(e) => e.into(),
        }
    }
}

/// A refusal as the forms say it, "中文 / English".
fn words(r: &Refusal) -> String {
    use use_case::MAX_FILES;
    match r {
        Refusal::NoEvidence => "请上传至少一份证明材料（PDF、JPEG 或 PNG） / attach at least one evidence file (PDF, JPEG or PNG)".into(),
        Refusal::TooManyFiles { sent } => format!("证明材料最多 {MAX_FILES} 份，收到 {sent} 份 / at most {MAX_FILES} evidence files; {sent} were sent"),
        Refusal::FileTooLarge { name } => format!("{name}：超过 10 MB / {name}: larger than 10 MB"),
        Refusal::NotEvidence { name } => format!("{name}：不是 PDF、JPEG 或 PNG 文件（按内容判断，与文件名无关） / {name}: not a PDF, JPEG or PNG file (judged by its content, not its name)"),
        Refusal::Statement(t) => text_refusal(*t, "情况说明", "the statement"),
        Refusal::Reason(t) => text_refusal(*t, "理由", "a reason"),
        Refusal::AlreadyExempt => "该记录已免于惩戒 / this record is already exempt".into(),
        Refusal::TakesNoDate { record } => format!(
            "记录 {record} 不是失信被执行人记录，也没有整改期限，不需要填写整改完成日期：请清空“整改完成日期”一栏后再提交 / record {record} is not a court listing and has no rectification deadline, so it takes no rectified date: clear the “date rectified” field and send again"
        ),
        Refusal::ListingNeedsDate => "失信被执行人记录请填写整改完成（移出名单）日期 / a court listing needs the date it was rectified".into(),
        Refusal::AcceptedListingNeedsDate => "失信被执行人记录须写明整改完成日期 / a court listing needs its rectified date".into(),
        Refusal::AlreadyOpen => "该记录已有待处理的修复申请 / this record already has an open repair application".into(),
        Refusal::Voided => "该记录已因异议成立而作废，无需修复 / this record was voided by an accepted objection; there is nothing to repair".into(),
        Refusal::RectifiedBeforeRecord { day, occurred_on, today } => format!(
            "整改完成日期 {day} 早于该记录的认定日期 {occurred_on}：应在 {occurred_on} 至今天（{today}）之间 / the date rectified, {day}, is before the record was decided ({occurred_on}): it lies from {occurred_on} to today ({today})"
        ),
        Refusal::RectifiedAfterToday { day, today } => {
            format!("整改完成日期 {day} 晚于今天（{today}）：请填写已经完成整改的日期 / the date rectified, {day}, is after today ({today}): give the day the rectification was done")
        }
        Refusal::MitigationNeeded => "接受修复须选择从轻（减半）或免于惩戒 / an accepted repair is either reduced or exempt".into(),
    }
}

/// A rectified date that is not one, said with what was typed and the
/// form a date takes.
fn unreadable_date(typed: &str) -> String {
    let typed: String = typed.chars().take(40).collect();
    format!("整改完成日期“{typed}”不是有效日期：请按“年-月-日”填写，例如 2026-01-05 / the date rectified, “{typed}”, is not a date: write it as year-month-day, e.g. 2026-01-05")
}

fn mitigation_label(lang: Lang, code: &str) -> String {
    match Mitigation::parse(code) {
        Some(Mitigation::Reduced) => lang.pick("从轻（扣分减半）", "reduced (half the deduction)").to_string(),
        Some(Mitigation::Exempt) => lang.pick("免于惩戒", "exempt").to_string(),
        _ => lang.pick("无", "none").to_string(),
    }
}

fn row_of(lang: Lang, l: &Listed, names: &crate::units::Names) -> RepairRow {
    let r = &l.row;
    RepairRow {
        id: r.id,
        unit_name: names.of(&r.unit_code),
        record_id: r.record_id.clone(),
        kind: kind_label(lang, r.record_type),
        occurred_on: r.occurred_on.to_string(),
        status: r.status.code().to_string(),
        filed_at: r.filed_at.format("%Y-%m-%d %H:%M").to_string(),
        due_on: l.due_on.to_string(),
        overdue: l.overdue,
        mitigation: r.mitigation.as_deref().map(|m| mitigation_label(lang, m)),
        decision_reason: r.decision_reason.clone(),
    }
}

async fn list_view(state: &AppState, session: &Session, lang: Lang, form: ApplyForm) -> Result<RepairsView, AppError> {
    let today = crate::clock::now_cst().date();
    let names = crate::units::names(&state.db).await?;
    let rows = use_case::list(&state.db, &session.user, today).await?.iter().map(|l| row_of(lang, l, &names)).collect();
    let records = use_case::repairable(&state.db, &session.user)
        .await?
        .into_iter()
        .map(|r| RepairableRecord { label: format!("{} {} · {}", r.id, kind_label(lang, r.record_type), r.occurred_on), id: r.id })
        .collect();
    Ok(RepairsView { lang, nav: nav(session), rows, records, form, max_statement: use_case::MAX_STATEMENT })
}

/// `GET /repairs`: the applications the user may see; a unit's form.
pub async fn page(State(state): State<AppState>, PageSession(session): PageSession, Query(q): Query<LangQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    Ok(repairs::render(&list_view(&state, &session, lang, ApplyForm::default()).await?).into_response())
}

/// What the application form held, read as it streams in: each file is
/// read only up to its limit, and no more files than allowed.
struct Received {
    csrf: String,
    lang: Lang,
    record_id: String,
    statement: String,
    rectified_on: String,
    files: Vec<Upload>,
    problem: Option<String>,
}

async fn read_form(form: &mut Multipart) -> Result<Received, AppError> {
    let mut out = Received { csrf: String::new(), lang: Lang::Zh, record_id: String::new(), statement: String::new(), rectified_on: String::new(), files: Vec::new(), problem: None };
    let text = |e: axum::extract::multipart::MultipartError| AppError::BadRequest(e.body_text());
    while let Some(mut field) = form.next_field().await.map_err(text)? {
        match field.name().unwrap_or_default() {
            "csrf" => out.csrf = field.text().await.map_err(text)?,
            "lang" => out.lang = Lang::from_param(Some(field.text().await.map_err(text)?.as_str())),
            "record_id" => out.record_id = field.text().await.map_err(text)?,
            "statement" => out.statement = field.text().await.map_err(text)?,
            "rectified_on" => out.rectified_on = field.text().await.map_err(text)?,
            "files" => {
                let name = super::imports::clean_file_name(field.file_name().unwrap_or_default());
                let Some(bytes) = super::read_capped(&mut field, use_case::MAX_FILE_BYTES).await? else {
                    out.problem = Some(format!("{name}：超过 10 MB / {name}: larger than 10 MB"));
                    return Ok(out);
                };
                // A file input left empty sends one nameless, empty part.
                if bytes.is_empty() && name == "upload" {
                    continue;
                }
                if out.files.len() == use_case::MAX_FILES {
                    out.problem = Some(format!("证明材料最多 {0} 份 / at most {0} evidence files", use_case::MAX_FILES));
                    return Ok(out);
                }
                out.files.push(Upload { file_name: name, bytes });
            }
            _ => {}
        }
    }
    Ok(out)
}

/// `POST /repairs`: a unit applies. Bad input shows the form again with
/// the reason and what was typed; nothing is stored.
pub async fn apply(State(state): State<AppState>, PageSession(session): PageSession, mut form: Multipart) -> Result<Response, AppError> {
    let got = read_form(&mut form).await?;
    if got.problem.is_none() || !got.csrf.is_empty() {
        check_csrf(&session, &got.csrf)?;
    }
    let lang = got.lang;
    let mut typed = ApplyForm { record_id: got.record_id.clone(), statement: got.statement.clone(), rectified_on: got.rectified_on.clone(), error: None };
    let rectified_on = match got.rectified_on.trim() {
        "" => Ok(None),
        day => day.parse::<chrono::NaiveDate>().map(Some).map_err(|_| unreadable_date(day)),
    };
    // What the form could not read, or what the use case refused: said
    // beside the form, with what was typed.
    let outcome = match (got.problem, rectified_on) {
        (Some(problem), _) | (None, Err(problem)) => Err(problem),
        (None, Ok(rectified_on)) => {
            let application = Application { record_id: got.record_id, statement: got.statement, rectified_on, files: got.files };
            match use_case::apply(&state.db, &session.user, application).await {
                Ok(id) => Ok(id),
                Err(RepairError::Refused(r)) => Err(words(&r)),
                Err(e) => return Err(e.into()),
            }
        }
    };
    match outcome {
        Ok(id) => Ok(Redirect::to(&link(lang, &format!("/repairs/{id}"), "")).into_response()),
        Err(message) => {
            typed.error = Some(message);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, repairs::render(&list_view(&state, &session, lang, typed).await?)).into_response())
        }
    }
}

async fn one_view(state: &AppState, session: &Session, lang: Lang, id: i64, error: Option<String>) -> Result<RepairView, AppError> {
    let today = crate::clock::now_cst().date();
    let (row, evidence) = use_case::one(&state.db, &session.user, id).await?;
    let listed = Listed::of(row, today);
    let names = crate::units::names(&state.db).await?;
    let r = &listed.row;
    Ok(RepairView {
        lang,
        nav: nav(session),
        row: row_of(lang, &listed, &names),
        statement: r.statement.clone(),
        claimed_rectified_on: r.claimed_rectified_on.map(|d| d.to_string()),
        rectified_on: r.rectified_on.map(|d| d.to_string()),
        decided_by: r.decided_by.clone(),
        decided_at: r.decided_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
        // The uploader's name is shown as text only, without what could
        // hide or reorder it (names stored before this check included).
        evidence: evidence
            .into_iter()
            .map(|e| EvidenceRow { position: e.position, file_name: super::imports::clean_file_name(&e.file_name), media_type: e.media_type, size: e.size })
            .collect(),
        can_decide: session.user.may(Capability::DecideRepairs) && listed.open(),
        takes_date: listed.takes_date(),
        error,
    })
}

/// `GET /repairs/{id}`: one application, for the assessment team and the
/// applying unit.
pub async fn show(State(state): State<AppState>, PageSession(session): PageSession, Path(id): Path<i64>, Query(q): Query<LangQuery>) -> Result<Response, AppError> {
    let lang = Lang::from_param(q.lang.as_deref());
    Ok(repairs::render_one(&one_view(&state, &session, lang, id, None).await?).into_response())
}

/// `GET /repairs/{id}/evidence/{n}`: one evidence file, only ever as a
/// download of the type its content showed when it was received: under a
/// name the server makes (the application, the file's position, the
/// type's extension), never the uploader's (which could say `.html` or
/// hide `.hta` behind a right-to-left override), with `nosniff` and a
/// sandboxing policy, so that nothing in it runs in the site's origin
/// even if a browser were to display it.
pub async fn evidence(State(state): State<AppState>, PageSession(session): PageSession, Path((id, position)): Path<(i64, i32)>) -> Result<Response, AppError> {
    let (info, bytes) = use_case::evidence(&state.db, &session.user, id, position).await?;
    let (content_type, extension) = served_as(&info.media_type);
    let name = format!("repair-{id}-evidence-{position}.{extension}");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// The type and extension evidence is served with: one of the three kinds
/// checked on receipt, anything else (which the check never stores) as
/// opaque bytes.
fn served_as(media_type: &str) -> (&'static str, &'static str) {
    match media_type {
        "application/pdf" => ("application/pdf", "pdf"),
        "image/jpeg" => ("image/jpeg", "jpg"),
        "image/png" => ("image/png", "png"),
        _ => ("application/octet-stream", "bin"),
    }
}

#[derive(Debug, Deserialize)]
pub struct DecideForm {
    pub csrf: String,
    pub decision: String,
    #[serde(default)]
    pub mitigation: String,
    #[serde(default)]
    pub rectified_on: String,
    pub reason: String,
    pub lang: Option<String>,
}

/// `POST /repairs/{id}/decide`: the assessment team accepts (with a
/// mitigation) or rejects, with a reason.
pub async fn decide(State(state): State<AppState>, PageSession(session): PageSession, Path(id): Path<i64>, Form(f): Form<DecideForm>) -> Result<Response, AppError> {
    check_csrf(&session, &f.csrf)?;
    let lang = Lang::from_param(f.lang.as_deref());
    let decision = match f.decision.as_str() {
        "reject" => Ok(Decision::Reject),
        "accept" => {
            let rectified_on = match f.rectified_on.trim() {
                "" => Ok(None),
                day => day.parse().map(Some).map_err(|_| unreadable_date(day)),
            };
            match (Mitigation::parse(&f.mitigation), rectified_on) {
                (Some(m @ (Mitigation::Reduced | Mitigation::Exempt)), Ok(rectified_on)) => Ok(Decision::Accept { mitigation: m, rectified_on }),
                (_, Err(e)) => Err(e),
                _ => Err("请选择从轻或免于惩戒 / choose reduced or exempt".to_string()),
            }
        }
        _ => return Err(AppError::BadRequest("decision is accept or reject".into())),
    };
    let outcome = match decision {
        Ok(d) => match use_case::decide(&state.db, &session.user, id, d, &f.reason).await {
            Ok(()) => Ok(()),
            Err(RepairError::Refused(r)) => Err(words(&r)),
            Err(e) => return Err(e.into()),
        },
        Err(message) => Err(message),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&link(lang, &format!("/repairs/{id}"), "")).into_response()),
        Err(message) => Ok((StatusCode::UNPROCESSABLE_ENTITY, repairs::render_one(&one_view(&state, &session, lang, id, Some(message)).await?)).into_response()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rectified_date_out_of_range_is_said_with_the_range() {
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        let early = words(&Refusal::RectifiedBeforeRecord { day: d("2025-05-31"), occurred_on: d("2025-06-01"), today: d("2026-11-25") });
        assert!(early.starts_with("整改完成日期 2025-05-31 早于该记录的认定日期 2025-06-01：应在 2025-06-01 至今天（2026-11-25）之间"), "{early}");
        let late = words(&Refusal::RectifiedAfterToday { day: d("2026-11-26"), today: d("2026-11-25") });
        assert!(late.starts_with("整改完成日期 2026-11-26 晚于今天（2026-11-25）"), "{late}");
        assert_eq!(words(&Refusal::Statement(crate::objections::TextRefusal::TooLong { max: 2000 })), "情况说明不超过 2000 字 / at most 2000 characters");
    }
}
