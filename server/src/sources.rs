//! The seven source kinds of `import-formats.md` plus the unit list: for each
//! its file name, its columns with their English and Chinese headers, their
//! types, and the table and key they are stored under.
//!
//! This table is the single description of the formats: the importer reads
//! files with it, storage writes and compares rows with it, and the demo
//! generator writes canonical files with it.

use analytics::domain::*;

/// What a column holds, and so how a cell is parsed and a value stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A reference to a unit by code (a name is accepted in the paired
    /// name column, see [`Column::name_alias`]).
    UnitRef,
    Date,
    DateTime,
    Bool,
    Int,
    Decimal,
    /// One of a closed vocabulary; the function returns the English code.
    Enum(Vocabulary),
}

/// The closed vocabularies a column may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    Group,
    CommitmentCategory,
    CommitmentStatus,
    ProposalKind,
    Satisfaction,
    Resolution,
    TicketCategory,
    Subject,
    DishonestyType,
    Mitigation,
    HonourLevel,
}

impl Vocabulary {
    /// The English code of `text`, if it is a code or label of this vocabulary.
    pub fn code_of(self, text: &str) -> Option<&'static str> {
        fn c<T: Copy>(v: Option<T>, code: fn(T) -> &'static str) -> Option<&'static str> {
            v.map(code)
        }
        match self {
            Vocabulary::Group => c(PeerGroup::parse(text), PeerGroup::code),
            Vocabulary::CommitmentCategory => c(CommitmentCategory::parse(text), CommitmentCategory::code),
            Vocabulary::CommitmentStatus => c(CommitmentStatus::parse(text), CommitmentStatus::code),
            Vocabulary::ProposalKind => c(ProposalKind::parse(text), ProposalKind::code),
            Vocabulary::Satisfaction => c(Satisfaction::parse(text), Satisfaction::code),
            Vocabulary::Resolution => c(Resolution::parse(text), Resolution::code),
            Vocabulary::TicketCategory => c(TicketCategory::parse(text), TicketCategory::code),
            Vocabulary::Subject => c(Subject::parse(text), Subject::code),
            Vocabulary::DishonestyType => c(DishonestyType::parse(text), DishonestyType::code),
            Vocabulary::Mitigation => c(Mitigation::parse(text), Mitigation::code),
            Vocabulary::HonourLevel => c(HonourLevel::parse(text), HonourLevel::code),
        }
    }

    /// The Chinese label of a stored code, for pages.
    pub fn label_zh(self, code: &str) -> Option<&'static str> {
        fn l<T: Copy>(v: Option<T>, label: fn(T) -> &'static str) -> Option<&'static str> {
            v.map(label)
        }
        match self {
            Vocabulary::Group => l(PeerGroup::parse(code), PeerGroup::label_zh),
            Vocabulary::CommitmentCategory => l(CommitmentCategory::parse(code), CommitmentCategory::label_zh),
            Vocabulary::CommitmentStatus => l(CommitmentStatus::parse(code), CommitmentStatus::label_zh),
            Vocabulary::ProposalKind => l(ProposalKind::parse(code), ProposalKind::label_zh),
            Vocabulary::Satisfaction => l(Satisfaction::parse(code), Satisfaction::label_zh),
            Vocabulary::Resolution => l(Resolution::parse(code), Resolution::label_zh),
            Vocabulary::TicketCategory => l(TicketCategory::parse(code), TicketCategory::label_zh),
            Vocabulary::Subject => l(Subject::parse(code), Subject::label_zh),
            Vocabulary::DishonestyType => l(DishonestyType::parse(code), DishonestyType::label_zh),
            Vocabulary::Mitigation => l(Mitigation::parse(code), Mitigation::label_zh),
            Vocabulary::HonourLevel => l(HonourLevel::parse(code), HonourLevel::label_zh),
        }
    }

    /// The accepted spellings, for error messages.
    pub fn accepted(self) -> String {
        match self {
            Vocabulary::Group => PeerGroup::accepted(),
            Vocabulary::CommitmentCategory => CommitmentCategory::accepted(),
            Vocabulary::CommitmentStatus => CommitmentStatus::accepted(),
            Vocabulary::ProposalKind => ProposalKind::accepted(),
            Vocabulary::Satisfaction => Satisfaction::accepted(),
            Vocabulary::Resolution => Resolution::accepted(),
            Vocabulary::TicketCategory => TicketCategory::accepted(),
            Vocabulary::Subject => Subject::accepted(),
            Vocabulary::DishonestyType => DishonestyType::accepted(),
            Vocabulary::Mitigation => Mitigation::accepted(),
            Vocabulary::HonourLevel => HonourLevel::accepted(),
        }
    }
}

/// One column of a source file and of its table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// English header, as in the spec.
    pub name: &'static str,
    /// Chinese header, as in the spec.
    pub zh: &'static str,
    /// Column name in storage (differs where the spec's name is an SQL word).
    pub db: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// For a [`Kind::UnitRef`]: the English and Chinese headers of the column
    /// that may give the unit by exact name instead of by code.
    pub name_alias: Option<(&'static str, &'static str)>,
}

const fn col(name: &'static str, zh: &'static str, kind: Kind, required: bool) -> Column {
    Column {
        name,
        zh,
        db: name,
        kind,
        required,
        name_alias: None,
    }
}

const fn col_as(name: &'static str, zh: &'static str, db: &'static str, kind: Kind, required: bool) -> Column {
    Column {
        name,
        zh,
        db,
        kind,
        required,
        name_alias: None,
    }
}

const fn unit_ref(name: &'static str, zh: &'static str, alias: (&'static str, &'static str)) -> Column {
    Column {
        name,
        zh,
        db: name,
        kind: Kind::UnitRef,
        required: true,
        name_alias: Some(alias),
    }
}

/// The kinds of source file, in the order a folder is imported (units
/// first, since every other source refers to them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Units,
    Commitments,
    Proposals,
    Hotline,
    Debt,
    Dishonesty,
    Ratings,
    Honours,
}

/// Everything the importer and storage know of one source.
#[derive(Debug)]
pub struct SourceSpec {
    pub source: Source,
    /// The file stem, e.g. `hotline` for `hotline.csv`.
    pub file_stem: &'static str,
    /// The Chinese title, also accepted as a file stem.
    pub zh: &'static str,
    pub table: &'static str,
    pub columns: &'static [Column],
    /// Indices into `columns` of the natural key.
    pub key: &'static [usize],
}

use Kind::*;
use Vocabulary as V;

pub const UNITS: SourceSpec = SourceSpec {
    source: Source::Units,
    file_stem: "units",
    zh: "单位",
    table: "units",
    columns: &[
        col("code", "单位编码", Text, true),
        col("name", "单位名称", Text, true),
        col_as("group", "考核组别", "grp", Enum(V::Group), true),
        col("parent_code", "上级单位编码", Text, false),
    ],
    key: &[0],
};

pub const COMMITMENTS: SourceSpec = SourceSpec {
    source: Source::Commitments,
    file_stem: "commitments",
    zh: "承诺事项",
    table: "commitments",
    columns: &[
        col("id", "承诺编号", Text, true),
        unit_ref("unit_code", "单位编码", ("unit_name", "单位名称")),
        col("category", "承诺类别", Enum(V::CommitmentCategory), true),
        col("title", "承诺内容", Text, true),
        col("made_on", "承诺日期", Date, true),
        col("due_on", "兑现期限", Date, true),
        col("status", "履约状态", Enum(V::CommitmentStatus), true),
        col("fulfilled_on", "兑现日期", Date, false),
    ],
    key: &[0],
};

pub const PROPOSALS: SourceSpec = SourceSpec {
    source: Source::Proposals,
    file_stem: "proposals",
    zh: "建议提案",
    table: "proposals",
    columns: &[
        col("id", "建议提案编号", Text, true),
        col("kind", "类别", Enum(V::ProposalKind), true),
        col("title", "标题", Text, true),
        unit_ref("lead_unit_code", "主办单位编码", ("lead_unit_name", "主办单位")),
        col("assigned_on", "交办日期", Date, true),
        col("due_on", "办理期限", Date, false),
        col("replied_on", "答复日期", Date, false),
        col("satisfaction", "满意度", Enum(V::Satisfaction), false),
        col("resolution", "办理结果", Enum(V::Resolution), false),
    ],
    key: &[0],
};

pub const HOTLINE: SourceSpec = SourceSpec {
    source: Source::Hotline,
    file_stem: "hotline",
    zh: "12345热线工单",
    table: "hotline_tickets",
    columns: &[
        col("id", "工单编号", Text, true),
        unit_ref("unit_code", "承办单位编码", ("unit_name", "承办单位")),
        col("received_at", "受理时间", DateTime, true),
        col("due_at", "办理时限", DateTime, true),
        col("closed_at", "办结时间", DateTime, false),
        col("category", "诉求类型", Enum(V::TicketCategory), true),
        col("integrity_related", "涉及政务失信", Bool, true),
        col("verified", "是否属实", Bool, true),
        col("satisfaction", "回访满意度", Enum(V::Satisfaction), false),
        col_as("repeat", "重复诉求", "is_repeat", Bool, true),
    ],
    key: &[0],
};

pub const DEBT: SourceSpec = SourceSpec {
    source: Source::Debt,
    file_stem: "debt",
    zh: "政府债务",
    table: "debt",
    columns: &[
        unit_ref("unit_code", "单位编码", ("unit_name", "单位名称")),
        col("year", "年度", Int, true),
        col_as("limit", "债务限额", "debt_limit", Decimal, true),
        col("balance", "债务余额", Decimal, true),
        col("capacity", "综合财力", Decimal, true),
        col("due_amount", "当年到期本息", Decimal, true),
        col("overdue_amount", "逾期本息", Decimal, true),
        col("violations", "违规举债担保(起)", Int, true),
    ],
    key: &[0, 1],
};

pub const DISHONESTY: SourceSpec = SourceSpec {
    source: Source::Dishonesty,
    file_stem: "dishonesty",
    zh: "失信记录",
    table: "dishonesty_records",
    columns: &[
        col("id", "记录编号", Text, true),
        unit_ref("unit_code", "单位编码", ("unit_name", "单位名称")),
        col("subject", "主体类型", Enum(V::Subject), true),
        col("person_ref", "人员标识", Text, false),
        col_as("type", "失信类型", "record_type", Enum(V::DishonestyType), true),
        col("occurred_on", "认定日期", Date, true),
        col("rectify_deadline", "整改期限", Date, false),
        col("rectified_on", "整改完成日期", Date, false),
        col("mitigation", "信用修复", Enum(V::Mitigation), false),
    ],
    key: &[0],
};

pub const RATINGS: SourceSpec = SourceSpec {
    source: Source::Ratings,
    file_stem: "ratings",
    zh: "万人评议",
    table: "ratings",
    columns: &[
        unit_ref("unit_code", "单位编码", ("unit_name", "单位名称")),
        col("year", "年度", Int, true),
        col("score", "评议得分", Decimal, true),
    ],
    key: &[0, 1],
};

pub const HONOURS: SourceSpec = SourceSpec {
    source: Source::Honours,
    file_stem: "honours",
    zh: "诚信荣誉",
    table: "honours",
    columns: &[
        col("id", "荣誉编号", Text, true),
        unit_ref("unit_code", "单位编码", ("unit_name", "单位名称")),
        col("year", "年度", Int, true),
        col("level", "级别", Enum(V::HonourLevel), true),
        col("title", "荣誉名称", Text, true),
    ],
    key: &[0],
};

/// Every source, in import order.
pub const ALL: [&SourceSpec; 8] = [&UNITS, &COMMITMENTS, &PROPOSALS, &HOTLINE, &DEBT, &DISHONESTY, &RATINGS, &HONOURS];

impl Source {
    pub fn spec(self) -> &'static SourceSpec {
        ALL.iter().find(|s| s.source == self).expect("every source has a spec")
    }

    /// Parses a source name as given on the command line (`hotline`, `热线`...).
    pub fn parse(text: &str) -> Option<Source> {
        ALL.iter()
            .find(|s| s.file_stem.eq_ignore_ascii_case(text.trim()) || s.zh == text.trim())
            .map(|s| s.source)
    }

    /// Recognises a source from a file name: the stem is the source's name
    /// (English or Chinese), optionally followed by `-`, `_`, `.` or a space
    /// and anything else (`hotline-2025-03.csv`, `失信记录_2025.xlsx`).
    pub fn from_file_name(file_name: &str) -> Option<Source> {
        let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
        let lower = stem.to_lowercase();
        ALL.iter()
            .find(|s| {
                [s.file_stem, s.zh].iter().any(|name| {
                    lower
                        .strip_prefix(name)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '_', '.', ' ']))
                })
            })
            .map(|s| s.source)
    }
}

impl SourceSpec {
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The columns of a record's deadline and of when it was met (empty
    /// while it is not), for the sources whose records have a deadline.
    pub fn deadline(&self) -> Option<(usize, usize)> {
        let (due, done) = match self.source {
            Source::Commitments => ("due_on", "fulfilled_on"),
            Source::Proposals => ("due_on", "replied_on"),
            Source::Hotline => ("due_at", "closed_at"),
            Source::Dishonesty => ("rectify_deadline", "rectified_on"),
            _ => return None,
        };
        Some((self.column_index(due)?, self.column_index(done)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_name_their_source() {
        assert_eq!(Source::from_file_name("hotline.csv"), Some(Source::Hotline));
        assert_eq!(Source::from_file_name("Hotline-2025-03.xlsx"), Some(Source::Hotline));
        assert_eq!(Source::from_file_name("失信记录_2025.csv"), Some(Source::Dishonesty));
        assert_eq!(Source::from_file_name("units.csv"), Some(Source::Units));
        assert_eq!(Source::from_file_name("/data/2025/units.csv"), Some(Source::Units));
        assert_eq!(Source::from_file_name("C:\\exports\\debt.xlsx"), Some(Source::Debt));
        assert_eq!(Source::from_file_name("/data/hotline/notes.csv"), None);
        assert_eq!(Source::from_file_name("hotlines.csv"), None);
        assert_eq!(Source::from_file_name("notes.txt"), None);
    }

    #[test]
    fn keys_and_unit_refs_are_consistent() {
        for spec in ALL {
            assert!(!spec.key.is_empty());
            for &k in spec.key {
                assert!(spec.columns[k].required, "{}: key columns are required", spec.table);
            }
            for c in spec.columns {
                assert_eq!(c.kind == Kind::UnitRef, c.name_alias.is_some());
            }
        }
    }
}
