//! Who may do what: one table of capabilities per role, the single source
//! of every permission in Zhengxin.
//!
//! Everything that decides access reads [`GRANTS`]: the route guards
//! (`http::guard::ROUTES` names the capability each route needs), the
//! menu (built on the server from the same capabilities), the unit a user
//! sees in full ([`Scope`]), the read use cases that redact for a viewer,
//! the access test (`tests/e2e/access.rs` checks every answer against it)
//! and the access matrix in `docs/access.md` (generated from it by a test,
//! which fails when the two differ).
//!
//! Least privilege: a role holds only what its work needs. The leader
//! reads everything and decides nothing; the assessment team decides; a
//! unit sees itself in full and others only as a ranking line; the
//! personnel office sees person files only. The three administrators
//! (三员分立, GB/T 22239-2019 level 3) each hold one capability no one
//! else holds, and see no results: the system administrator accounts, the
//! security administrator the security policy, the audit administrator
//! the audit log.

use super::{Role, User};

/// One thing a role may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// Rankings: every unit's name, group, total, rank and grade.
    SeeRankings,
    /// Every unit in full: indicators, explanations, records, reports.
    SeeEveryUnit,
    /// Its own unit in full (a unit account's unit).
    SeeOwnUnit,
    /// Records' personal columns (person references, names) unmasked.
    SeePersonalDetails,
    /// The whole ranking table as a file, and the year's notice PDF.
    ExportRankings,
    /// Every unit's report in one ZIP.
    ExportUnitReports,
    /// The objections list (a unit: its own objections).
    SeeObjections,
    /// File an objection against its own unit's record.
    FileObjections,
    /// Accept or reject objections.
    DecideObjections,
    /// Credit repair applications (a unit: its own).
    SeeRepairs,
    /// Apply for a credit repair of its own unit's record.
    ApplyForRepair,
    /// Accept or reject credit repair applications.
    DecideRepairs,
    /// Open rectification deadlines and issued supervision notices.
    SeeSupervision,
    /// Issue a supervision notice.
    IssueNotices,
    /// Score a stored version again under other rules (what-if).
    WhatIf,
    /// Indicator statistics across units.
    SeeStatistics,
    /// Upload, check, commit and discard imports.
    Import,
    /// Score a year.
    Score,
    /// Follow the progress of imports and scorings.
    FollowJobs,
    /// Versions and their publication state.
    SeePublication,
    /// Publish a version (freeze it).
    Publish,
    /// Add, disable, enable, unlock accounts and reset passwords.
    ManageUsers,
    /// Civil servants' integrity files and appointment checks.
    PersonFiles,
    /// The security policy: passwords, sign-in, sessions, two factors,
    /// the addresses administrators may sign in from.
    ManageSecurityPolicy,
    /// Read, search, export and verify the audit log.
    ReviewAudit,
}

use Capability::*;

impl Capability {
    pub const ALL: [Capability; 25] = [
        SeeRankings,
        SeeEveryUnit,
        SeeOwnUnit,
        SeePersonalDetails,
        ExportRankings,
        ExportUnitReports,
        SeeObjections,
        FileObjections,
        DecideObjections,
        SeeRepairs,
        ApplyForRepair,
        DecideRepairs,
        SeeSupervision,
        IssueNotices,
        WhatIf,
        SeeStatistics,
        Import,
        Score,
        FollowJobs,
        SeePublication,
        Publish,
        ManageUsers,
        PersonFiles,
        ManageSecurityPolicy,
        ReviewAudit,
    ];

    /// What the capability allows, in Chinese and English (the access
    /// matrix, an API refusal).
    pub fn describe(self) -> (&'static str, &'static str) {
        match self {
            SeeRankings => ("查看排名（各单位名称、组别、总分、名次、等次）", "see rankings (every unit's name, group, total, rank, grade)"),
            SeeEveryUnit => ("查看所有单位的完整结果、依据和记录", "see every unit in full (indicators, explanations, records)"),
            SeeOwnUnit => ("查看本单位的完整结果、依据和记录", "see its own unit in full"),
            SeePersonalDetails => ("查看记录中的个人信息（不打码）", "see records' personal columns unmasked"),
            ExportRankings => ("导出完整排名表和年度通报", "export the whole ranking table and the year's notice"),
            ExportUnitReports => ("导出全部单位的报告", "export every unit's report"),
            SeeObjections => ("查看异议", "see objections"),
            FileObjections => ("对本单位的记录提出异议", "file objections against its own records"),
            DecideObjections => ("处理异议", "decide objections"),
            SeeRepairs => ("查看信用修复申请", "see credit repair applications"),
            ApplyForRepair => ("申请信用修复", "apply for credit repair"),
            DecideRepairs => ("审核信用修复申请", "decide credit repair applications"),
            SeeSupervision => ("查看整改期限和督办通知", "see rectification deadlines and supervision notices"),
            IssueNotices => ("发出督办通知", "issue supervision notices"),
            WhatIf => ("规则模拟", "run what-if scorings"),
            SeeStatistics => ("查看指标统计", "see indicator statistics"),
            Import => ("导入数据", "import data"),
            Score => ("计算得分", "score a year"),
            FollowJobs => ("查看导入和计算的进度", "follow imports and scorings"),
            SeePublication => ("查看版本和发布状态", "see versions and their publication"),
            Publish => ("发布结果", "publish a result"),
            ManageUsers => ("管理用户账号", "manage user accounts"),
            PersonFiles => ("查阅公务员诚信档案、任用核查", "look up civil servants' integrity files"),
            ManageSecurityPolicy => ("设置安全策略", "set the security policy"),
            ReviewAudit => ("查阅、检索、导出和验证审计日志", "read, search, export and verify the audit log"),
        }
    }
}

/// The table: what each role may do. Nothing else grants a permission.
pub const GRANTS: [(Role, &[Capability]); 7] = [
    (Role::Leader, &[SeeRankings, SeeEveryUnit, ExportRankings, SeeObjections, SeeSupervision, WhatIf, SeePublication]),
    (
        Role::Assessor,
        &[
            SeeRankings,
            SeeEveryUnit,
            SeePersonalDetails,
            ExportRankings,
            ExportUnitReports,
            SeeObjections,
            DecideObjections,
            SeeRepairs,
            DecideRepairs,
            SeeSupervision,
            IssueNotices,
            WhatIf,
            SeeStatistics,
            Import,
            Score,
            FollowJobs,
            SeePublication,
            Publish,
        ],
    ),
    (Role::Unit, &[SeeRankings, SeeOwnUnit, SeeObjections, FileObjections, SeeRepairs, ApplyForRepair]),
    (Role::Personnel, &[PersonFiles]),
    (Role::SystemAdmin, &[ManageUsers]),
    (Role::SecurityAdmin, &[ManageSecurityPolicy]),
    (Role::AuditAdmin, &[ReviewAudit]),
];

/// Whether the system administrator may add or change accounts of `role`
/// on the web. The security and audit administrators' accounts are added
/// and changed from the command line only (the server's console): on the
/// web the system administrator could otherwise make itself one of them
/// (a new account, or a password and second factor it knows on theirs),
/// and the three duties would no longer be apart.
pub fn managed_on_the_web(role: Role) -> bool {
    !matches!(role, Role::SecurityAdmin | Role::AuditAdmin)
}

impl Role {
    /// What this role may do, from [`GRANTS`].
    pub fn capabilities(self) -> &'static [Capability] {
        GRANTS.iter().find(|(r, _)| *r == self).map_or(&[], |(_, c)| c)
    }

    pub fn may(self, capability: Capability) -> bool {
        self.capabilities().contains(&capability)
    }
}

/// Which units a user sees in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    Every,
    Unit(&'a str),
    None,
}

impl Scope<'_> {
    /// As a cache key part: two users with the same scope may share a
    /// rendered page, two with different ones never.
    pub fn key(self) -> String {
        match self {
            Scope::Every => "all".to_string(),
            Scope::Unit(code) => format!("unit:{code}"),
            Scope::None => "none".to_string(),
        }
    }
}

impl User {
    pub fn may(&self, capability: Capability) -> bool {
        self.role.may(capability)
    }

    /// The units this user sees in full. A unit account without a unit (a
    /// database altered by hand) sees none.
    pub fn scope(&self) -> Scope<'_> {
        if self.may(SeeEveryUnit) {
            Scope::Every
        } else if let (true, Some(code)) = (self.may(SeeOwnUnit), self.unit_code.as_deref()) {
            Scope::Unit(code)
        } else {
            Scope::None
        }
    }

    /// May see everything of `unit_code` (indicators, explanations, records)?
    pub fn sees_unit_in_full(&self, unit_code: &str) -> bool {
        match self.scope() {
            Scope::Every => true,
            Scope::Unit(own) => own == unit_code,
            Scope::None => false,
        }
    }

    /// The unit whose own things (objections, repairs, deadlines) this
    /// user acts for: a unit account's unit.
    pub fn own_unit(&self) -> Option<&str> {
        match self.scope() {
            Scope::Unit(code) => Some(code),
            Scope::Every | Scope::None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, unit: Option<&str>) -> User {
        User { id: 1, username: "u".into(), role, unit_code: unit.map(str::to_string) }
    }

    #[test]
    fn every_role_has_one_row_and_every_capability_a_holder() {
        for role in Role::ALL {
            assert_eq!(GRANTS.iter().filter(|(r, _)| *r == role).count(), 1, "{role:?}");
        }
        for c in Capability::ALL {
            assert!(Role::ALL.iter().any(|r| r.may(c)), "{c:?} is granted to no role");
        }
    }

    #[test]
    fn accounts_and_person_files_are_kept_apart_from_results() {
        // 等保: each administrator does one thing; the personnel office
        // sees person files only; no one else holds any of these.
        assert_eq!(Role::SystemAdmin.capabilities(), &[ManageUsers]);
        assert_eq!(Role::SecurityAdmin.capabilities(), &[ManageSecurityPolicy]);
        assert_eq!(Role::AuditAdmin.capabilities(), &[ReviewAudit]);
        assert_eq!(Role::Personnel.capabilities(), &[PersonFiles]);
        for role in [Role::Leader, Role::Assessor, Role::Unit] {
            for c in [ManageUsers, PersonFiles, ManageSecurityPolicy, ReviewAudit] {
                assert!(!role.may(c), "{role:?} {c:?}");
            }
        }
    }

    #[test]
    fn admin_is_read_as_the_system_administrator_but_never_stored() {
        assert_eq!(Role::parse("admin"), Some(Role::SystemAdmin));
        assert!(Role::stored("admin").is_err());
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Some(role));
            assert_eq!(Role::stored(role.code()).unwrap(), role);
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn the_other_two_administrators_are_not_managed_on_the_web() {
        let managed: Vec<Role> = Role::ALL.into_iter().filter(|r| managed_on_the_web(*r)).collect();
        assert_eq!(managed, [Role::Leader, Role::Assessor, Role::Unit, Role::Personnel, Role::SystemAdmin]);
    }

    #[test]
    fn the_three_administrators_share_nothing() {
        // 三员分立: no capability of one administrator is held by any
        // other role, so no account can hold two of the three duties.
        for admin in Role::ALL.into_iter().filter(|r| r.is_administrator()) {
            for c in admin.capabilities() {
                let holders: Vec<Role> = Role::ALL.into_iter().filter(|r| r.may(*c)).collect();
                assert_eq!(holders, [admin], "{c:?}");
            }
        }
        assert_eq!(Role::ALL.into_iter().filter(|r| r.is_administrator()).count(), 3);
    }

    #[test]
    fn the_leader_reads_and_decides_nothing() {
        for c in [DecideObjections, DecideRepairs, IssueNotices, Import, Score, Publish, FileObjections, ApplyForRepair] {
            assert!(!Role::Leader.may(c), "{c:?}");
        }
    }

    #[test]
    fn scope_follows_the_table_and_the_unit() {
        assert_eq!(user(Role::Leader, None).scope(), Scope::Every);
        assert_eq!(user(Role::Assessor, None).scope(), Scope::Every);
        let unit = user(Role::Unit, Some("330302"));
        assert_eq!(unit.scope(), Scope::Unit("330302"));
        assert!(unit.sees_unit_in_full("330302") && !unit.sees_unit_in_full("330303"));
        assert_eq!(unit.own_unit(), Some("330302"));
        assert_eq!(user(Role::Unit, None).scope(), Scope::None);
        for role in [Role::Personnel, Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin] {
            assert_eq!(user(role, None).scope(), Scope::None, "{role:?}");
            assert!(!user(role, None).sees_unit_in_full("330302"));
        }
        assert_eq!(user(Role::Leader, None).own_unit(), None);
        assert_eq!(Scope::Unit("330302").key(), "unit:330302");
        assert_ne!(Scope::Every.key(), Scope::None.key());
    }
}
