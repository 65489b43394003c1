//! The menu, built on the server from the signed-in role's capabilities
//! (`auth::access`): the template draws what it is given and decides
//! nothing.

use dashboards::layout::MenuLink;

use crate::auth::{Capability, Capability::*, User};

/// Every entry, in the order the header shows them, with the capability
/// that opens its page.
const ENTRIES: [(&str, &str, &str, Capability); 13] = [
    ("/", "考核总览", "Overview", SeeRankings),
    ("/objections", "异议处理", "Objections", SeeObjections),
    ("/repairs", "信用修复", "Repairs", SeeRepairs),
    ("/supervision", "整改督办", "Supervision", SeeSupervision),
    ("/whatif", "规则模拟", "What-if", WhatIf),
    ("/import", "数据导入", "Import", Import),
    ("/statistics", "指标统计", "Statistics", SeeStatistics),
    ("/publication", "结果发布", "Publication", SeePublication),
    ("/data", "数据概况", "Data", SeeRankings),
    ("/admin/users", "用户管理", "Users", ManageUsers),
    ("/admin/security", "安全策略", "Security policy", ManageSecurityPolicy),
    ("/admin/audit", "审计日志", "Audit log", ReviewAudit),
    ("/persons", "诚信档案", "Integrity files", PersonFiles),
];

/// The entries `user` may open.
pub fn for_user(user: &User) -> Vec<MenuLink> {
    ENTRIES.iter().filter(|(.., c)| user.may(*c)).map(|&(href, zh, en, _)| MenuLink { href, zh, en }).collect()
}

/// The page a user lands on: the first entry of its menu (the results,
/// or the one page family a role without results has).
pub fn home(user: &User) -> &'static str {
    ENTRIES.iter().find(|(.., c)| user.may(*c)).map_or("/", |(href, ..)| href)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn user(role: Role) -> User {
        User { id: 1, username: "u".into(), role, unit_code: (role == Role::Unit).then(|| "330302".to_string()) }
    }

    fn hrefs(role: Role) -> Vec<&'static str> {
        for_user(&user(role)).iter().map(|l| l.href).collect()
    }

    #[test]
    fn each_role_sees_the_pages_it_may_open() {
        assert_eq!(hrefs(Role::Leader), ["/", "/objections", "/supervision", "/whatif", "/publication", "/data"]);
        assert_eq!(hrefs(Role::Assessor), ["/", "/objections", "/repairs", "/supervision", "/whatif", "/import", "/statistics", "/publication", "/data"]);
        assert_eq!(hrefs(Role::Unit), ["/", "/objections", "/repairs", "/data"]);
        assert_eq!(hrefs(Role::SystemAdmin), ["/admin/users"]);
        assert_eq!(hrefs(Role::SecurityAdmin), ["/admin/security"]);
        assert_eq!(hrefs(Role::AuditAdmin), ["/admin/audit"]);
        assert_eq!(hrefs(Role::Personnel), ["/persons"]);
        assert_eq!(home(&user(Role::SystemAdmin)), "/admin/users");
        assert_eq!(home(&user(Role::SecurityAdmin)), "/admin/security");
        assert_eq!(home(&user(Role::AuditAdmin)), "/admin/audit");
        assert_eq!(home(&user(Role::Personnel)), "/persons");
        assert_eq!(home(&user(Role::Unit)), "/");
    }

    #[test]
    fn every_entry_is_a_page_its_capability_opens() {
        for (href, .., c) in ENTRIES {
            assert_eq!(super::super::guard::need("GET", href).map(|n| match n {
                super::super::guard::Need::May(c) => c,
                _ => SeeRankings,
            }), Some(c), "{href}");
        }
    }
}
