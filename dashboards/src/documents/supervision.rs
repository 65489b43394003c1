//! The supervision notice (督办通报, integrity-records.md §3): on a chosen
//! date, the government bodies on the courts' list of dishonest judgment
//! debtors and those with overdue rectifications, issued by the assessment
//! office. The same view model makes the PDF and the printable page, and
//! is stored with the issued notice.

use serde::{Deserialize, Serialize};

use super::{DocumentError, Typesetter};

const TEMPLATE: &str = include_str!("templates/supervision.typ");

/// One list of the notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeSection {
    /// "一、列入失信被执行人名单的政府机构（3 个）"
    pub heading: String,
    /// A sentence before the table (or saying the list is empty).
    pub summary: String,
    pub head: Vec<String>,
    /// Cells as shown, one array per record.
    pub rows: Vec<Vec<String>>,
    /// "auto" or "1fr" per column.
    pub widths: Vec<String>,
    /// Columns of numbers (right-aligned).
    pub numeric: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupervisionNoticeView {
    /// The issuing office (configuration).
    pub office: String,
    pub title: String,
    /// "情况截至 2026年12月1日"
    pub status: String,
    pub intro: Vec<String>,
    pub sections: Vec<NoticeSection>,
    /// "2026年12月1日"
    pub date: String,
    /// The running footer of every page (before 第 X 页 共 Y 页): a draft
    /// says it is one; an issued notice gives its number and where its
    /// original is kept.
    pub footer: String,
    /// Who issued it and when, in small print; for a draft, that nothing
    /// was issued (and no signer).
    pub provenance: String,
    /// A preview, not issued: 草稿 across every page. Notices stored before
    /// this field existed were all issued.
    #[serde(default)]
    pub draft: bool,
    /// The number an issued notice carries (督办通报〔2026〕第 1 号).
    #[serde(default)]
    pub number: Option<String>,
}

/// The notice as PDF, dated `today`; `ident` names it stably.
pub fn pdf(setter: &Typesetter, view: &SupervisionNoticeView, today: (i32, u8, u8), ident: &str) -> Result<Vec<u8>, DocumentError> {
    setter.pdf(TEMPLATE, view, Vec::new(), today, ident)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_supervision_notice_typesets_and_reads_back_the_same_bytes() {
        let view = SupervisionNoticeView {
            office: "温州市政务诚信考核工作办公室".into(),
            title: "政务失信整改督办通报".into(),
            status: "情况截至 2026年12月1日".into(),
            intro: vec!["现将有关情况通报如下。".into()],
            sections: vec![NoticeSection {
                heading: "一、列入失信被执行人名单的政府机构（1 个）".into(),
                summary: "以下单位仍在名单中。".into(),
                head: vec!["序号".into(), "单位".into(), "整改期限".into(), "逾期天数".into()],
                rows: vec![vec!["1".into(), "瑞安市".into(), "2025-09-30".into(), "427".into()]],
                widths: vec!["auto".into(), "1fr".into(), "auto".into(), "auto".into()],
                numeric: vec![0, 3],
            }],
            date: "2026年12月1日".into(),
            footer: "政务失信整改督办通报".into(),
            provenance: "assessor 签发".into(),
            draft: false,
            number: Some("督办通报〔2026〕第 1 号".into()),
        };
        let setter = Typesetter::new(Vec::new());
        let first = pdf(&setter, &view, (2026, 12, 1), "notice-1").unwrap();
        assert!(first.starts_with(b"%PDF-"));
        let json = serde_json::to_string(&view).unwrap();
        let back: SupervisionNoticeView = serde_json::from_str(&json).unwrap();
        assert_eq!(pdf(&setter, &back, (2026, 12, 1), "notice-1").unwrap(), first, "stored content gives the same bytes");
        // Content stored before `draft` and `number` existed still reads.
        let mut old: serde_json::Value = serde_json::from_str(&json).unwrap();
        old.as_object_mut().unwrap().retain(|k, _| k != "draft" && k != "number");
        let read: SupervisionNoticeView = serde_json::from_value(old).unwrap();
        assert!(!read.draft && read.number.is_none());
    }
}
