//! Documents: the one module besides the adapters (`cli/`, `http/`) that
//! knows `dashboards`. A use case hands it a record of its own (a
//! supervision notice) and gets PDF bytes back; this module maps the
//! record to the template's view model and typesets it off the async
//! threads. So what a use case stores never depends on a view model, and
//! a template's view model can change without touching a stored notice.

use chrono::NaiveDate;
use dashboards::documents::supervision::{NoticeSection, SupervisionNoticeView};

use crate::supervision::Notice;

/// A document that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TypesetError {
    #[error(transparent)]
    Document(#[from] dashboards::documents::DocumentError),
    /// The typesetting thread ended without an answer.
    #[error("typesetting stopped: {0}")]
    Stopped(String),
}

/// A supervision notice as its template and its page show it.
pub fn supervision_view(n: &Notice) -> SupervisionNoticeView {
    SupervisionNoticeView {
        office: n.office.clone(),
        title: n.title.clone(),
        status: n.status.clone(),
        intro: n.intro.clone(),
        sections: n
            .sections
            .iter()
            .map(|s| NoticeSection {
                heading: s.heading.clone(),
                summary: s.summary.clone(),
                head: s.head.clone(),
                rows: s.rows.clone(),
                widths: s.widths.clone(),
                numeric: s.numeric.clone(),
            })
            .collect(),
        date: n.date.clone(),
        footer: n.footer.clone(),
        provenance: n.provenance.clone(),
        draft: n.draft,
        number: n.number.clone(),
    }
}

/// A supervision notice as PDF, dated `as_of`; `ident` names it stably.
pub async fn supervision_notice(n: &Notice, as_of: NaiveDate, ident: String) -> Result<Vec<u8>, TypesetError> {
    let today = crate::scoring::reports::ymd(as_of);
    let view = supervision_view(n);
    tokio::task::spawn_blocking(move || dashboards::documents::supervision::pdf(crate::scoring::reports::typesetter(), &view, today, &ident))
        .await
        .map_err(|e| TypesetError::Stopped(e.to_string()))?
        .map_err(TypesetError::from)
}
