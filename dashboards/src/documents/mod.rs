//! Documents people hand around, as PDF: the year's results notice (通报)
//! and each unit's report. View models in, PDF bytes out, typeset by typst
//! used as a library (templates in `templates/`, the view model handed to
//! them as `/data.json`, charts as SVG files beside it).
//!
//! Why typst: a real typesetter (line breaking for Chinese, tables that
//! break across pages with their header repeated, running footers with
//! "第 X 页 共 Y 页", font subsetting) in pure Rust, with no browser, no
//! external process and no files on disk; the same input gives the same
//! bytes, so a document can be produced again exactly.
//!
//! Fonts: Noto Sans CJK SC Regular and Bold, cut down to GB 2312 and the
//! characters of the real units (`scripts/make-report-fonts`), are part of
//! the binary, so Chinese renders on any machine; the server may add fonts
//! it finds (for a rarer character in a unit's name).

pub mod notice;
pub mod supervision;
pub mod unit;

use std::collections::HashMap;

use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst_layout::PagedDocument;
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// The fonts in the binary: Regular and Bold.
const EMBEDDED_FONTS: [&[u8]; 2] = [
    include_bytes!("../../fonts/NotoSansCJKsc-Regular-subset.otf"),
    include_bytes!("../../fonts/NotoSansCJKsc-Bold-subset.otf"),
];

/// What every template imports: the page, the font, the footer, tables.
const COMMON: &str = include_str!("templates/common.typ");

/// The font family the templates ask for first.
pub const FAMILY: &str = "Noto Sans CJK SC";

/// A document that could not be typeset: a template's or a font's fault,
/// never the data's (data reach the templates as JSON, not as markup).
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("cannot typeset the document: {0}")]
    Typeset(String),
    #[error("cannot write the document's data: {0}")]
    Data(#[from] serde_json::Error),
}

/// What every document shares: the standard library and the fonts, parsed
/// once. Cheap to share between threads.
pub struct Typesetter {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

impl Typesetter {
    /// The embedded fonts, then `extra` font files (TTF, OTF or
    /// collections; anything that does not parse as a font is passed over).
    pub fn new(extra: Vec<Vec<u8>>) -> Typesetter {
        let mut fonts: Vec<Font> = EMBEDDED_FONTS.iter().flat_map(|data| Font::iter(Bytes::new(*data))).collect();
        for data in extra {
            fonts.extend(Font::iter(Bytes::new(data)));
        }
        let mut book = FontBook::new();
        for font in &fonts {
            book.push(font.info().clone());
        }
        Typesetter { library: LazyHash::new(Library::default()), book: LazyHash::new(book), fonts }
    }

    /// How many font faces documents can use.
    pub fn faces(&self) -> usize {
        self.fonts.len()
    }

    /// Typesets `template` with `data` as `/data.json` and `files` beside
    /// it (name, bytes), dated `today` (year, month, day) for typst's
    /// `datetime.today()`. `ident` names the document stably (PDF's
    /// document id), so the same input gives the same bytes.
    pub fn pdf(&self, template: &str, data: &impl serde::Serialize, files: Vec<(&str, Vec<u8>)>, today: (i32, u8, u8), ident: &str) -> Result<Vec<u8>, DocumentError> {
        let main = Source::new(file_id("/main.typ")?, template.to_string());
        let common = Source::new(file_id("/common.typ")?, COMMON.to_string());
        let mut by_id = HashMap::new();
        by_id.insert(file_id("/data.json")?, Bytes::new(serde_json::to_vec(data)?));
        for (name, bytes) in files {
            by_id.insert(file_id(&format!("/{name}"))?, Bytes::new(bytes));
        }
        let job = Job {
            setter: self,
            main,
            common,
            files: by_id,
            today: Datetime::from_ymd(today.0, today.1, today.2),
        };
        let document: PagedDocument = typst::compile(&job).output.map_err(|errors| DocumentError::Typeset(describe(&errors)))?;
        let options = typst_pdf::PdfOptions {
            ident: Smart::Custom(ident.to_string()),
            timestamp: None,
            ..Default::default()
        };
        typst_pdf::pdf(&document, &options).map_err(|errors| DocumentError::Typeset(describe(&errors)))
    }
}

fn file_id(path: &str) -> Result<FileId, DocumentError> {
    let vpath = VirtualPath::new(path).map_err(|e| DocumentError::Typeset(format!("{path}: {e:?}")))?;
    Ok(FileId::new(RootedPath::new(VirtualRoot::Project, vpath)))
}

fn describe(errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .filter(|e| e.severity == Severity::Error)
        .map(|e| e.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// One document being typeset: its template, data and charts.
struct Job<'a> {
    setter: &'a Typesetter,
    main: Source,
    common: Source,
    files: HashMap<FileId, Bytes>,
    today: Option<Datetime>,
}

impl World for Job<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.setter.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.setter.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.common.id() {
            Ok(self.common.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files.get(&id).cloned().ok_or_else(|| FileError::NotFound(std::path::PathBuf::from(format!("{:?}", id))))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.setter.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        self.today
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> notice::NoticeView {
        notice::NoticeView {
            office: "温州市政务诚信考核工作办公室".into(),
            title: "2025年度政务诚信考核结果通报".into(),
            status: "已发布 · 第 1 版".into(),
            intro: vec!["根据考核办法，现将结果通报如下。".into()],
            vetoes: vec!["瑞安市：失信被执行人逾期未整改（X2025-003）".into()],
            groups: vec![notice::NoticeGroup {
                heading: "一、县（市、区）（2 个）".into(),
                summary: "优秀 1 个，不合格 1 个。".into(),
                grades: vec![("优秀".into(), "1".into()), ("不合格".into(), "1".into())],
                head: vec!["排名".into(), "单位".into(), "总分".into(), "等次".into()],
                rows: vec![
                    vec!["1".into(), "鹿城区".into(), "91.50".into(), "优秀".into()],
                    vec!["2".into(), "瓯海区".into(), "58.25".into(), "不合格".into()],
                ],
                widths: vec!["auto".into(), "1fr".into(), "auto".into(), "auto".into()],
                numeric: vec![0, 2],
            }],
            date: "2026年1月15日".into(),
            footer: "2025年度政务诚信考核结果通报".into(),
            provenance: "内容哈希 abc".into(),
            audit_head: "9f8e7d6c".into(),
        }
    }

    #[test]
    fn a_notice_typesets_with_the_embedded_chinese_font_and_the_same_input_gives_the_same_bytes() {
        let setter = Typesetter::new(Vec::new());
        assert_eq!(setter.faces(), 2, "Regular and Bold are in the binary");
        let first = notice::pdf(&setter, &notice(), (2026, 1, 15), "zhengxin-2025-v1-notice").unwrap();
        assert!(first.starts_with(b"%PDF"));
        let text = String::from_utf8_lossy(&first);
        assert!(text.contains("NotoSansCJK"), "the Chinese font is embedded");
        let again = notice::pdf(&setter, &notice(), (2026, 1, 15), "zhengxin-2025-v1-notice").unwrap();
        assert_eq!(first, again, "typeset again, byte for byte");
        let mut other = notice();
        other.groups[0].rows[1][2] = "58.26".into();
        assert_ne!(notice::pdf(&setter, &other, (2026, 1, 15), "zhengxin-2025-v1-notice").unwrap(), first);
    }

    #[test]
    fn data_are_text_never_markup() {
        let setter = Typesetter::new(Vec::new());
        let mut view = notice();
        view.groups[0].rows[0][1] = "#panic(\"x\") *bold* $x$ ] [".into();
        view.intro = vec!["#let x = 1 \\ ) ]".into()];
        assert!(notice::pdf(&setter, &view, (2026, 1, 15), "x").is_ok());
    }
}
