//! Documents: the one module besides the adapters (`cli/`, `http/`) that
//! knows `dashboards`. A use case hands it data of its own (a supervision
//! notice, a version's cards) and gets PDF bytes back; this module maps
//! them to the templates' view models and typesets them. So what a use
//! case stores never depends on a view model, and a template's view model
//! can change without touching a stored notice.

pub mod reports;

use std::sync::OnceLock;

use chrono::NaiveDate;
use dashboards::documents::Typesetter;
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
    /// Something a document needs is not in what it was given.
    #[error("{0}")]
    Missing(String),
    #[error("writing the ZIP: {0}")]
    Zip(String),
}

/// A folder of extra fonts for reports (a rarer character in a unit's name
/// than the embedded fonts hold).
pub const FONT_DIR_VAR: &str = "ZHENGXIN_FONT_DIR";

/// The fonts of every report, read once: the embedded ones, then the
/// TTF/OTF/TTC files of [`FONT_DIR_VAR`] if set.
pub fn typesetter() -> &'static Typesetter {
    static SETTER: OnceLock<Typesetter> = OnceLock::new();
    SETTER.get_or_init(|| {
        let mut extra = Vec::new();
        if let Some(dir) = std::env::var_os(FONT_DIR_VAR) {
            let mut paths: Vec<_> = std::fs::read_dir(&dir).into_iter().flatten().filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for path in paths {
                let font = path.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "ttf" | "otf" | "ttc" | "otc"));
                if let (true, Ok(bytes)) = (font, std::fs::read(&path)) {
                    extra.push(bytes);
                }
            }
        }
        Typesetter::new(extra)
    })
}

/// A date as typst's `datetime` takes it.
pub fn ymd(d: NaiveDate) -> (i32, u8, u8) {
    use chrono::Datelike;
    (d.year(), d.month() as u8, d.day() as u8)
}

/// "2026年12月1日"
pub fn chinese_date(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
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
    let today = ymd(as_of);
    let view = supervision_view(n);
    tokio::task::spawn_blocking(move || dashboards::documents::supervision::pdf(typesetter(), &view, today, &ident))
        .await
        .map_err(|e| TypesetError::Stopped(e.to_string()))?
        .map_err(TypesetError::from)
}
