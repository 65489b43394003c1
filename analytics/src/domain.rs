//! The closed vocabularies of `assessment-method.md` and `import-formats.md`.
//!
//! Every enumeration accepts its English code (case-insensitive) or its
//! Chinese label, and always writes the English code: storage, exports and
//! the API speak codes, pages show labels.

/// Declares a closed vocabulary with its English codes and Chinese labels.
/// The first label is the canonical one shown on pages; further labels are
/// accepted spellings seen in source systems.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal [$($label:literal),+]),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in the order the spec lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The English code used in files, storage and the API.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The canonical Chinese label.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => [$($label),+][0]),+ }
            }

            /// Parses an English code (any case) or a Chinese label.
            pub fn parse(text: &str) -> Option<Self> {
                let text = text.trim();
                $(
                    if text.eq_ignore_ascii_case($code) $(|| text == $label)+ {
                        return Some($name::$variant);
                    }
                )+
                None
            }

            /// "code 标签 / code 标签" for error messages.
            pub fn accepted() -> String {
                Self::ALL.iter().map(|v| format!("{} {}", v.code(), v.label_zh())).collect::<Vec<_>>().join(" / ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        /// A stored code (or label) read back; anything else is refused.
        impl TryFrom<String> for $name {
            type Error = UnknownCode;

            fn try_from(text: String) -> Result<Self, UnknownCode> {
                Self::parse(&text).ok_or(UnknownCode { vocabulary: stringify!($name), value: text })
            }
        }

        /// Compares with a code, as pages and tests write them.
        impl PartialEq<&str> for $name {
            fn eq(&self, code: &&str) -> bool {
                self.code() == *code
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, code: &str) -> bool {
                self.code() == code
            }
        }
    };
}

/// A value that is none of a vocabulary's codes or labels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a known {vocabulary}")]
pub struct UnknownCode {
    pub vocabulary: &'static str,
    pub value: String,
}

vocabulary! {
    /// 考核组别: units are only ever ranked within their own group.
    PeerGroup {
        County = "county" ["县市区", "县(市、区)", "县（市、区）"],
        Department = "department" ["市直单位"],
        Township = "township" ["乡镇街道", "乡镇(街道)", "乡镇（街道）"],
    }
}

vocabulary! {
    /// 等次: a unit's grade for the year (§5), in order, best first.
    Grade {
        Excellent = "excellent" ["优秀"],
        Good = "good" ["良好"],
        Pass = "pass" ["合格"],
        Fail = "fail" ["不合格"],
        Ungraded = "ungraded" ["未评定"],
    }
}

vocabulary! {
    /// 异议状态: an objection waits, or was decided either way.
    ObjectionStatus {
        Open = "open" ["待处理"],
        Accepted = "accepted" ["异议成立"],
        Rejected = "rejected" ["异议不成立"],
    }
}

vocabulary! {
    /// 信用修复申请状态: an application waits, or was decided either way.
    RepairStatus {
        Open = "open" ["待处理"],
        Accepted = "accepted" ["已同意修复"],
        Rejected = "rejected" ["不予修复"],
    }
}

vocabulary! {
    /// 承诺类别.
    CommitmentCategory {
        Policy = "policy" ["政策承诺"],
        Contract = "contract" ["合同协议"],
        Investment = "investment" ["招商引资"],
        Livelihood = "livelihood" ["为民办实事"],
        Service = "service" ["服务承诺"],
    }
}

vocabulary! {
    /// 履约状态.
    CommitmentStatus {
        Pending = "pending" ["履行中"],
        Fulfilled = "fulfilled" ["已兑现"],
        Breached = "breached" ["违约"],
        LawfullyChanged = "lawfully_changed" ["依法变更"],
    }
}

vocabulary! {
    /// 建议提案类别.
    ProposalKind {
        Npc = "npc" ["人大代表建议"],
        Cppcc = "cppcc" ["政协委员提案"],
    }
}

vocabulary! {
    /// 满意度, for proposals and hotline call-backs alike.
    Satisfaction {
        Satisfied = "satisfied" ["满意"],
        Basic = "basic" ["基本满意"],
        Unsatisfied = "unsatisfied" ["不满意"],
    }
}

vocabulary! {
    /// 办理结果 of a proposal.
    Resolution {
        A = "A" ["已解决或基本解决"],
        B = "B" ["正在解决或列入计划"],
        C = "C" ["因条件限制暂不能解决"],
        D = "D" ["留作参考"],
    }
}

vocabulary! {
    /// 诉求类型 of a 12345 ticket.
    TicketCategory {
        Complaint = "complaint" ["投诉"],
        Report = "report" ["举报"],
        Consult = "consult" ["咨询"],
        Suggestion = "suggestion" ["建议"],
        Help = "help" ["求助"],
    }
}

vocabulary! {
    /// 主体类型 of a dishonesty record.
    Subject {
        Unit = "unit" ["机构"],
        Person = "person" ["公务人员"],
    }
}

vocabulary! {
    /// 失信类型.
    DishonestyType {
        CourtListing = "court_listing" ["失信被执行人"],
        Judgment = "judgment" ["司法判决"],
        Penalty = "penalty" ["行政处罚"],
        Discipline = "discipline" ["纪律处分"],
        Accountability = "accountability" ["问责处理"],
    }
}

vocabulary! {
    /// 信用修复: how far credit repair lightens a record's deduction.
    Mitigation {
        None = "none" ["无"],
        Reduced = "reduced" ["从轻"],
        Exempt = "exempt" ["免于惩戒"],
    }
}

vocabulary! {
    /// 诚信荣誉级别.
    HonourLevel {
        National = "national" ["国家级"],
        Provincial = "provincial" ["省级"],
        City = "city" ["市级"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored value reads back as its type (what the result tables hold),
    /// an unknown one is refused with its name, and a value compares with
    /// its code.
    #[test]
    fn stored_codes_read_back_and_others_are_refused() {
        assert_eq!(Grade::try_from("fail".to_string()), Ok(Grade::Fail));
        assert_eq!(PeerGroup::try_from("township".to_string()), Ok(PeerGroup::Township));
        assert_eq!(Grade::try_from("superb".to_string()).unwrap_err().to_string(), "\"superb\" is not a known Grade");
        assert!(Grade::Ungraded == "ungraded" && Grade::Pass != "fail");
        assert_eq!(Grade::ALL.iter().map(|g| g.code()).collect::<Vec<_>>(), ["excellent", "good", "pass", "fail", "ungraded"]);
        assert!(PeerGroup::County < PeerGroup::Department && PeerGroup::Department < PeerGroup::Township, "pages' order");
    }

    #[test]
    fn codes_parse_in_any_case_and_labels_parse_exactly() {
        assert_eq!(PeerGroup::parse("County"), Some(PeerGroup::County));
        assert_eq!(PeerGroup::parse("乡镇街道"), Some(PeerGroup::Township));
        assert_eq!(CommitmentStatus::parse("lawfully_changed"), Some(CommitmentStatus::LawfullyChanged));
        assert_eq!(CommitmentStatus::parse("依法变更"), Some(CommitmentStatus::LawfullyChanged));
        assert_eq!(Resolution::parse("b"), Some(Resolution::B));
        assert_eq!(Satisfaction::parse("基本满意"), Some(Satisfaction::Basic));
        assert_eq!(Satisfaction::parse("满意 "), Some(Satisfaction::Satisfied));
        assert_eq!(DishonestyType::parse("失信被执行人"), Some(DishonestyType::CourtListing));
    }

    #[test]
    fn unknown_spellings_are_rejected() {
        assert_eq!(PeerGroup::parse("city"), None);
        assert_eq!(Satisfaction::parse("很满意"), None);
        assert_eq!(Mitigation::parse(""), None);
    }

    #[test]
    fn codes_and_labels_round_trip() {
        for g in HonourLevel::ALL {
            assert_eq!(HonourLevel::parse(g.code()), Some(*g));
            assert_eq!(HonourLevel::parse(g.label_zh()), Some(*g));
        }
        assert_eq!(TicketCategory::Help.to_string(), "help");
        assert!(Mitigation::accepted().contains("reduced 从轻"));
    }
}
