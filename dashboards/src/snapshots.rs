//! Snapshot tests (insta) of every page and chart on small fixed view
//! models: a change to the markup shows up as a reviewed diff. HTML is
//! split one tag per line so the diffs are readable; signed-in pages are
//! snapshotted by their `<main>`, the shell once on its own.
//!
//! Update after an intended change: `INSTA_UPDATE=always cargo test -p
//! dashboards`, then review `git diff`.

use crate::layout::{Lang, Nav};
use crate::pages::{imports, jobs, overview, publication, records, scorecard, users};

fn nav(role: &str) -> Nav {
    Nav { username: format!("{role}-user"), role_zh: "考核组".into(), role_en: role.into(), csrf: "CSRF".into(), menu: assessor_menu() }
}

/// The menu the server builds for the assessment team (only the shell's
/// snapshot shows it).
fn assessor_menu() -> Vec<crate::layout::MenuLink> {
    [
        ("/", "考核总览", "Overview"),
        ("/objections", "异议处理", "Objections"),
        ("/repairs", "信用修复", "Repairs"),
        ("/supervision", "整改督办", "Supervision"),
        ("/whatif", "规则模拟", "What-if"),
        ("/import", "数据导入", "Import"),
        ("/statistics", "指标统计", "Statistics"),
        ("/publication", "结果发布", "Publication"),
        ("/data", "数据概况", "Data"),
    ]
    .into_iter()
    .map(|(href, zh, en)| crate::layout::MenuLink { href, zh, en })
    .collect()
}

/// One tag per line.
fn lines(html: &str) -> String {
    html.replace("><", ">\n<")
}

/// The `<main>` of a page, one tag per line, charts reduced to their
/// title and description (their drawing is tested in `charts`).
fn main_of(html: &str) -> String {
    let start = html.find("<main").expect("a page has a <main>");
    let end = html.rfind("</main>").expect("and closes it") + "</main>".len();
    lines(&without_drawings(&html[start..end]))
}

/// Each `<svg>` as its accessible name and description only.
fn without_drawings(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").expect("a chart closes") + start + "</svg>".len();
        let chart = &rest[start..end];
        let between = |open: &str, close: &str| chart.find(open).map(|i| &chart[i..chart.find(close).unwrap() + close.len()]).unwrap_or_default();
        out.push_str(&rest[..start]);
        out.push_str(&format!("<svg>{}{}</svg>", between("<title>", "</title>"), between("<desc>", "</desc>")));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn badge() -> crate::parts::VersionBadge {
    crate::parts::VersionBadge { version: 2, as_of: "2025-12-31 23:59:59".into(), published: true, content_hash: "ab12cd34ef56ab12cd34ef56".into() }
}

fn row(code: &str, name: &str, total: f64, rank: i64, grade: &str, rank_change: i64) -> overview::RankRow {
    overview::RankRow { unit_code: code.into(), unit_name: name.into(), total, rank: Some(rank), grade: grade.into(), vetoed: grade == "fail", rank_change: Some(rank_change), county_rank: None }
}

fn township(code: &str, name: &str, total: f64, rank: i64, county_rank: i64) -> overview::RankRow {
    let grade = if total >= 90.0 { "excellent" } else if total >= 80.0 { "good" } else { "pass" };
    overview::RankRow { county_rank: Some(county_rank), rank_change: None, vetoed: false, ..row(code, name, total, rank, grade, 0) }
}

#[test]
fn the_shell_of_a_signed_in_page() {
    let html = crate::layout::signed_in(Lang::Zh, "标题", "/x?year=2025", &nav("assessor"), maud::html! { p { "正文" } }).into_string();
    insta::assert_snapshot!(lines(&html));
}

fn overview_view(lang: Lang) -> overview::OverviewView {
    overview::OverviewView {
        robustness: Some(overview::RobustnessView {
            draws: 10_000,
            weights: 0.25,
            thresholds: 0.10,
            groups: vec![
                overview::IntervalGroup {
                    group: "county".into(),
                    graded: 2,
                    narrow: 2,
                    certain: vec![],
                    contested: vec!["鹿城区".into()],
                    rows: vec![
                        overview::IntervalRow { unit_name: "鹿城区".into(), nominal: 1, median: 1, p5: 1, p95: 2, grades: [0.6, 0.4, 0.0, 0.0] },
                        overview::IntervalRow { unit_name: "龙湾区".into(), nominal: 2, median: 2, p5: 1, p95: 2, grades: [0.0, 0.3, 0.7, 0.0] },
                    ],
                    places: 2,
                },
                overview::IntervalGroup { group: "township".into(), graded: 185, narrow: 120, certain: vec![], contested: vec![], rows: vec![], places: 185 },
            ],
            problem: None,
        }),
        lang,
        nav: nav("leader"),
        years: vec![2024, 2025],
        year: 2025,
        version: Some(badge()),
        boards: vec![overview::Board {
            group: "county".into(),
            rows: vec![row("330302", "鹿城区", 91.5, 1, "excellent", 1), row("330303", "龙湾区", 58.25, 2, "fail", -1)],
        }],
        townships: Some(overview::Townships {
            counties: vec![("330302".into(), "鹿城区".into()), ("330303".into(), "龙湾区".into())],
            chosen: Some(("330302".into(), vec![township("330302001", "五马街道", 97.25, 1, 1), township("330302002", "南汇街道", 61.0, 3, 2)])),
            top: vec![township("330302001", "五马街道", 97.25, 1, 1), township("330303001", "永中街道", 88.5, 2, 1)],
            bottom: vec![township("330303001", "永中街道", 88.5, 2, 1), township("330302002", "南汇街道", 61.0, 3, 2)],
            count: 3,
        }),
        grades: vec![("excellent".into(), 1), ("good".into(), 0), ("pass".into(), 0), ("fail".into(), 1), ("ungraded".into(), 0)],
        grade_history: vec![
            (2024, vec![("excellent".into(), 0), ("good".into(), 1), ("pass".into(), 1), ("fail".into(), 0), ("ungraded".into(), 0)]),
            (2025, vec![("excellent".into(), 1), ("good".into(), 0), ("pass".into(), 0), ("fail".into(), 1), ("ungraded".into(), 0)]),
        ],
        red_flags: vec![overview::RedFlag { unit_code: "330303".into(), unit_name: "龙湾区".into(), zh: "一票否决：X2025-003".into(), en: "Veto: X2025-003".into() }],
        movers: vec![("county".into(), row("330302", "鹿城区", 91.5, 1, "excellent", 1)), ("county".into(), row("330303", "龙湾区", 58.25, 2, "fail", -1))],
        quality: vec![("missing_debt".into(), 1)],
        can_manage: true,
        pending_version: Some(3),
        can_export: true,
    }
}

#[test]
fn the_overview_in_both_languages() {
    insta::assert_snapshot!("overview_zh", main_of(&overview::render(&overview_view(Lang::Zh)).into_string()));
    insta::assert_snapshot!("overview_en", main_of(&overview::render(&overview_view(Lang::En)).into_string()));
}

#[test]
fn a_scorecard_in_full_and_as_a_headline() {
    let mut v = scorecard::ScorecardView {
        lang: Lang::Zh,
        nav: nav("unit"),
        year: 2025,
        version: badge(),
        unit_code: "330302".into(),
        unit_name: "鹿城区".into(),
        group: "county".into(),
        total: 82.97,
        base: 80.9743,
        bonus: 2.0,
        rank: Some(2),
        county_rank: None,
        group_size: 12,
        grade: "good".into(),
        vetoed: false,
        veto_reason: None,
        full: true,
        indicators: vec![scorecard::IndicatorRow {
            id: "hotline_ontime".into(),
            name_zh: "热线按期办结率".into(),
            name_en: "Hotline tickets closed on time".into(),
            dimension: "D3".into(),
            formula: "linear(bad=0.85, good=1.00)".into(),
            weight: 6.0,
            value: Some(0.9),
            numerator: Some(9.0),
            denominator: Some(10.0),
            points: Some(2.0),
            previous_points: Some(3.0),
        }],
        dimensions: vec![("D3".into(), "12345热线".into())],
        grade_lines: [90.0, 80.0, 60.0],
        trend: vec![
            scorecard::TrendPoint { year: 2024, total: 80.0, rank: Some(3), grade: "good".into(), provisional: false },
            scorecard::TrendPoint { year: 2025, total: 82.0, rank: Some(2), grade: "good".into(), provisional: true },
        ],
        robustness: Some(scorecard::UnitInterval {
            draws: 10_000,
            weights: 0.25,
            thresholds: 0.10,
            ranks: Some((2, 2, 1, 4)),
            graded: 12,
            grades: [0.12, 0.88, 0.0, 0.0],
            leave_one_out: vec![("热线按期办结率".into(), Some(3), "good".into())],
            problem: None,
        }),
        change: Some(scorecard::ChangeView {
            previous: Some((2024, 1)),
            total_change: 0.75,
            rank_before: Some(3),
            parts: vec![
                scorecard::ChangePart { label: "热线按期办结率".into(), change: -1.25, rank_alone: Some(4) },
                scorecard::ChangePart { label: "加分".into(), change: 2.0, rank_alone: Some(2) },
                scorecard::ChangePart { label: "总分舍入".into(), change: 0.0, rank_alone: None },
            ],
            peers: vec![scorecard::PeerRow { label: "热线按期办结率".into(), points: 2.0, weight: 6.0, median: 3.5, best: 6.0, percentile: 25.0 }],
        }),
    };
    insta::assert_snapshot!("scorecard_full", main_of(&scorecard::render(&v).into_string()));
    v.full = false;
    v.robustness = None;
    v.change = None;
    v.indicators.clear();
    insta::assert_snapshot!("scorecard_headline", main_of(&scorecard::render(&v).into_string()));
}

#[test]
fn an_upload_with_its_report() {
    let v = imports::UploadView {
        lang: Lang::Zh,
        nav: nav("assessor"),
        id: 7,
        status: "staged".into(),
        created_by: "assessor".into(),
        created_at: "2026-11-25 10:00:00".into(),
        decided_by: None,
        decided_at: None,
        files: vec![imports::FileRow {
            file_name: "hotline-2025.csv".into(),
            source: Some(("12345热线工单".into(), "hotline".into())),
            size: 363,
            format: Some("csv_utf8".into()),
            rows: Some(2),
            counts: None,
        }],
        report: Some(imports::ReportView {
            ok: false,
            committed: false,
            issues: vec![imports::IssueRow {
                error: true,
                file: "hotline-2025.csv".into(),
                row: Some(3),
                column: Some("unit_code".into()),
                value: Some("339999".into()),
                code: "unknown_unit".into(),
                message: "no such unit".into(),
            }],
            errors_total: 1,
            warnings_total: 0,
        }),
        years: vec![2025],
    };
    insta::assert_snapshot!(main_of(&imports::upload(&v).into_string()));
}

#[test]
fn the_import_page_empty_and_after_a_refused_upload() {
    let v = imports::ImportsView {
        lang: Lang::Zh,
        nav: nav("assessor"),
        uploads: Vec::new(),
        max_mib: 64,
        sources: vec![("hotline".into(), "12345热线工单".into())],
        error: Some("请选择至少一个文件。 / Choose at least one file.".into()),
        running: vec![(
            "另一个导入正在进行（etl，命令行于 2026-11-25 10:00:00 开始）；在其结束前，新的导入会被拒绝。".into(),
            "an import is running, started by etl from the command line at 2026-11-25 10:00:00; a new import is refused until it ends.".into(),
        )],
    };
    insta::assert_snapshot!(main_of(&imports::list(&v).into_string()));
}

#[test]
fn a_running_job_refreshes_itself() {
    let v = jobs::JobView {
        lang: Lang::Zh,
        nav: nav("assessor"),
        id: 3,
        title_zh: "重新评分 2025 年度".into(),
        title_en: "Rescoring 2025".into(),
        started_by: "assessor".into(),
        started_at: "2026-11-25 10:00:00".into(),
        state: jobs::JobState::Running,
        step: 2,
        steps: 3,
        step_zh: "计算得分、排名和等次".into(),
        step_en: "Computing scores, ranks and grades".into(),
        done: 0,
        of: None,
        next: None,
    };
    let html = jobs::render(&v).into_string();
    assert!(html.contains("<meta http-equiv=\"refresh\" content=\"1; url=/jobs/3\">"));
    insta::assert_snapshot!(main_of(&html));
}

#[test]
fn what_a_version_changed() {
    let v = publication::PublicationView {
        lang: Lang::Zh,
        nav: nav("assessor"),
        year: 2025,
        years: vec![2025, 2024],
        versions: vec![publication::VersionRow {
            number: 1,
            computed_at: "2026-01-05 09:00:00".into(),
            computed_by: "assessor".into(),
            as_of: "2025-12-31 23:59:59".into(),
            content_hash: "ab12cd34ef56ab12cd34ef56".into(),
            audit_head: Some("9f8e7d6c5b4a9f8e7d6c5b4a".into()),
            published_at: Some("2026-01-06 09:00:00".into()),
            published_by: Some("assessor".into()),
        }],
        comparison: Some(publication::Comparison {
            base: 1,
            base_published: true,
            target: 2,
            changes: vec![publication::UnitChange {
                code: "330302".into(),
                name: "鹿城区".into(),
                group: "county".into(),
                before_total: Some(56.0),
                after_total: Some(62.0),
                before_rank: Some(2),
                after_rank: Some(2),
                before_grade: Some("fail".into()),
                after_grade: Some("pass".into()),
                indicators: vec![publication::IndicatorChange { name_zh: "热线按期办结率".into(), name_en: "Hotline on time".into(), before: Some(0.0), after: Some(6.0) }],
            }],
            unchanged: 7,
        }),
        publishable: Some(2),
    };
    insta::assert_snapshot!(main_of(&publication::render(&v).into_string()));
}

#[test]
fn records_behind_an_indicator_and_one_record() {
    let v = records::RecordsView {
        lang: Lang::Zh,
        nav: nav("unit"),
        year: 2025,
        unit_code: "330302".into(),
        unit_name: "鹿城区".into(),
        indicator: "dishonesty".into(),
        name_zh: "失信记录".into(),
        name_en: "Dishonesty records".into(),
        computation: records::Computation { formula: "15 − deductions".into(), value: None, numerator: None, denominator: None, points: Some(14.0), weight: 15.0 },
        data_unchanged: true,
        source: Some("dishonesty".into()),
        show: records::Show::Cost,
        sizes: (3, 3, 0),
        filter: String::new(),
        columns: vec![
            ("记录编号".into(), "id".into()),
            ("人员标识".into(), "person_ref".into()),
            ("整改期限".into(), "rectify_deadline".into()),
            ("整改完成日期".into(), "rectified_on".into()),
        ],
        deadlines: true,
        rows: vec![records::RecordRow {
            id: "X2025-001".into(),
            cells: vec!["X2025-001".into(), String::new(), "2025-12-19".into(), "–".into()],
            costs: true,
            voided: false,
            late: Some(records::Late { minutes: 12 * 24 * 60, open: true, days: true }),
            objection: None,
            may_object: true,
        }, records::RecordRow {
            id: "X2025-007".into(),
            cells: vec!["X2025-007".into(), String::new(), "2025-10-01".into(), "–".into()],
            costs: true,
            voided: false,
            late: Some(records::Late { minutes: 3 * 24 * 60, open: true, days: true }),
            objection: Some(records::RecordObjection { id: 3, status: "open".into(), filed_at: "2026-01-05 09:30".into(), decided_at: None, decision_reason: None }),
            may_object: false,
        }, records::RecordRow {
            id: "X2025-009".into(),
            cells: vec!["X2025-009".into(), String::new(), "2025-11-01".into(), "–".into()],
            costs: true,
            voided: false,
            late: None,
            objection: Some(records::RecordObjection {
                id: 2,
                status: "rejected".into(),
                filed_at: "2026-01-02 10:00".into(),
                decided_at: Some("2026-01-04 16:20".into()),
                decision_reason: Some("法院判决未撤销".into()),
            }),
            may_object: true,
        }],
        matching: 3,
        page: 1,
        pages: 1,
        can_object: true,
    };
    insta::assert_snapshot!("records_list", main_of(&records::render(&v).into_string()));
    let r = records::RecordView {
        lang: Lang::En,
        nav: nav("unit"),
        year: 2025,
        unit_code: "330302".into(),
        unit_name: "鹿城区".into(),
        source_zh: "失信记录".into(),
        source_en: "dishonesty".into(),
        id: "X2025-001".into(),
        fields: vec![("记录编号".into(), "id".into(), "X2025-001".into())],
        late: Some(records::Late { minutes: 5 * 60 + 30, open: false, days: false }),
        history: vec![records::HistoryRow {
            at: "2026-02-01 10:00:00".into(),
            actor: "assessor".into(),
            what_zh: "导入更新（批次 #4）".into(),
            what_en: "Updated by an import (batch #4)".into(),
            changes: vec![records::FieldChange { field: "mitigation".into(), before: "none".into(), after: "reduced".into() }],
        }],
    };
    insta::assert_snapshot!("record_en", main_of(&records::record(&r).into_string()));
}

#[test]
fn user_management_with_an_error_beside_its_field() {
    let v = users::UsersView {
        lang: Lang::Zh,
        nav: nav("admin"),
        users: vec![
            users::UserRow { username: "lucheng".into(), role: "unit".into(), unit: Some("330302 鹿城区".into()), disabled: false, locked: None, two_factor: false, managed: true },
            users::UserRow { username: "zhao.audit".into(), role: "audit-admin".into(), unit: None, disabled: false, locked: None, two_factor: true, managed: false },
            users::UserRow { username: "wang".into(), role: "leader".into(), unit: None, disabled: false, locked: Some((7, 4)), two_factor: true, managed: true },
        ],
        units: vec![("330302".into(), "鹿城区".into())],
        notice: None,
        error: Some(users::FormError { form: "add".into(), field: "password".into(), message: "密码至少 8 个字符 / a password needs at least 8 characters".into() }),
        typed: users::Typed { username: "wang.wei".into(), role: "unit".into(), unit_code: "330302".into() },
        min_password: 8,
        roles: [
            ("leader", "领导", "Leadership"),
            ("assessor", "考核组", "Assessment team"),
            ("unit", "被考核单位", "Assessed unit"),
            ("personnel", "组织人事部门", "Personnel office"),
            ("system-admin", "系统管理员", "System administrator"),
            ("security-admin", "安全管理员", "Security administrator"),
            ("audit-admin", "审计管理员", "Audit administrator"),
        ]
        .into_iter()
        .map(|(code, zh, en)| users::RoleName { code, zh, en, addable: !code.starts_with("security") && !code.starts_with("audit") })
        .collect(),
    };
    insta::assert_snapshot!(main_of(&users::render(&v).into_string()));
}

#[test]
fn the_audit_review_with_a_verified_chain() {
    use crate::pages::audit;
    let v = audit::AuditView {
        lang: Lang::Zh,
        nav: nav("auditor"),
        filter: audit::Filter { from: "2026-01-01".into(), to: String::new(), actor: "admin".into(), action: "user_add".into(), object: String::new() },
        error: None,
        entries: vec![audit::Entry {
            id: 12,
            at: "2026-01-02 09:30:00".into(),
            actor: "admin".into(),
            action: "user_add".into(),
            entity: "users".into(),
            entity_key: "wang".into(),
            detail: "{\"role\":\"leader\",\"unit\":null}".into(),
        }],
        matching: 51,
        page: 1,
        pages: 2,
        actions: vec!["sign_in".into(), "user_add".into()],
        oldest: Some("2025-06-01 08:00:00".into()),
        kept_days: 180,
        verified: Some(audit::Verified { entries: 1234, head: "9f8e7d6c".into(), problem: None, unverifiable: 0 }),
    };
    insta::assert_snapshot!(main_of(&audit::render(&v).into_string()));
    let broken = audit::AuditView {
        lang: Lang::En,
        error: Some(("from".into(), "A date is YYYY-MM-DD".into())),
        entries: vec![],
        matching: 0,
        pages: 1,
        verified: Some(audit::Verified { entries: 40, head: "abc".into(), problem: Some("#12 edited: entry 12 was changed".into()), unverifiable: 0 }),
        ..v
    };
    insta::assert_snapshot!("audit_review_en_broken", main_of(&audit::render(&broken).into_string()));
}

#[test]
fn the_security_policy_with_a_refused_network() {
    use crate::pages::security;
    let v = security::SecurityView {
        lang: Lang::Zh,
        nav: nav("security"),
        form: security::PolicyForm {
            password_min_length: "12".into(),
            password_classes: "3".into(),
            password_history: "5".into(),
            password_max_age_days: "90".into(),
            idle_minutes: "30".into(),
            inactive_days: "90".into(),
            admin_networks: "10.0.0.0/8".into(),
            two_factor_roles: vec!["assessor".into(), "audit-admin".into()],
        },
        error: Some(("admin_networks".into(), "所填网段不包含本次修改的来源地址 192.168.1.9，管理员将无法登录 / the networks leave out 192.168.1.9".into())),
        saved: false,
        address: "192.168.1.9".into(),
        set_by: Some("2026-11-20 09:00 · security".into()),
        fixed: vec![security::Fixed { zh: "会话最长时间".into(), en: "Longest session".into(), value_zh: "12 小时".into(), value_en: "12 hours".into() }],
        min_password: 8,
        max_password: 64,
        roles: vec![("leader", "领导", "Leadership"), ("assessor", "考核组", "Assessment team"), ("audit-admin", "审计管理员", "Audit administrator")],
    };
    insta::assert_snapshot!(main_of(&security::render(&v).into_string()));
}

#[test]
fn the_public_results_page() {
    use crate::pages::public;
    let v = public::PublicResultsView {
        lang: Lang::Zh,
        years: vec![2025, 2024],
        year: 2025,
        version: 2,
        published_at: "2026-01-15 10:00".into(),
        as_of: "2025-12-31 23:59:59".into(),
        group: "county".into(),
        groups: vec!["county".into(), "department".into(), "township".into()],
        query: "瑞".into(),
        indicators: vec![("失信记录".into(), "Dishonesty records".into())],
        rows: vec![public::PublicRow { unit_name: "瑞安市".into(), total: 78.25, rank: Some(1), grade: "fail".into(), vetoed: true, points: vec![Some(10.0)] }],
        matching: 1,
        page: 1,
        pages: 1,
        audit_head: Some("9f8e7d6c5b4a9f8e7d6c5b4a".into()),
    };
    insta::assert_snapshot!("public_results", main_of(&public::results(&v).into_string()));
}

#[test]
fn the_public_records_page() {
    use crate::pages::public;
    let v = public::PublicRecordsView {
        lang: Lang::Zh,
        day: "2026-11-25".into(),
        query: String::new(),
        rows: vec![public::PublicRecord {
            unit_name: "瑞安市".into(),
            kind: "失信被执行人".into(),
            occurred_on: "2025-06-01".into(),
            status: "整改中".into(),
            rectify_deadline: Some("2025-09-30".into()),
        }],
        matching: 1,
        page: 1,
        pages: 1,
    };
    insta::assert_snapshot!("public_records", main_of(&public::records(&v).into_string()));
}

#[test]
fn a_units_open_deadlines() {
    let rows = vec![
        overview::DeadlineRow { href: "/units/330302/records/dishonesty/X1".into(), kind: "失信被执行人".into(), deadline: "2026-11-01".into(), days_left: -24, band: "overdue".into() },
        overview::DeadlineRow { href: "/units/330302/records/dishonesty/X2".into(), kind: "失信被执行人".into(), deadline: "2026-11-25".into(), days_left: 0, band: "due_30".into() },
        overview::DeadlineRow { href: "/units/330302/records/dishonesty/X3".into(), kind: "失信被执行人".into(), deadline: "2026-12-10".into(), days_left: 15, band: "due_30".into() },
    ];
    insta::assert_snapshot!("unit_deadlines", lines(&overview::deadlines(Lang::Zh, &rows).into_string()));
    assert!(overview::deadlines(Lang::Zh, &[]).into_string().is_empty(), "nothing when there is none");
}

fn repair_row(id: i64, status: &str, overdue: bool) -> crate::pages::repairs::RepairRow {
    crate::pages::repairs::RepairRow {
        id,
        unit_name: "鹿城区".into(),
        record_id: format!("X2026-00{id}"),
        kind: "行政处罚".into(),
        occurred_on: "2026-05-15".into(),
        status: status.into(),
        filed_at: "2026-11-16 10:00".into(),
        due_on: "2026-11-23".into(),
        overdue,
        mitigation: (status == "accepted").then(|| "从轻（扣分减半）".into()),
        decision_reason: (status != "open").then(|| "履行凭证齐全".into()),
    }
}

#[test]
fn credit_repair_the_list_with_a_refused_application_and_one_application() {
    use crate::pages::repairs::{self, ApplyForm, EvidenceRow, RepairView, RepairableRecord, RepairsView};
    let v = RepairsView {
        lang: Lang::Zh,
        nav: nav("unit"),
        rows: vec![repair_row(2, "open", true), repair_row(1, "accepted", false)],
        records: vec![RepairableRecord { id: "X2026-003".into(), label: "X2026-003 失信被执行人 · 2026-03-01".into() }],
        form: ApplyForm { record_id: "X2026-003".into(), statement: "已履行".into(), rectified_on: String::new(), error: Some("失信被执行人记录请填写整改完成（移出名单）日期 / a court listing needs the date it was rectified".into()) },
        max_statement: 2000,
    };
    insta::assert_snapshot!("repairs_list", main_of(&repairs::render(&v).into_string()));
    let one = RepairView {
        lang: Lang::En,
        nav: nav("assessor"),
        row: repair_row(2, "open", true),
        statement: "已缴清罚款。".into(),
        claimed_rectified_on: Some("2026-11-10".into()),
        rectified_on: None,
        decided_by: None,
        decided_at: None,
        evidence: vec![EvidenceRow { position: 1, file_name: "缴款凭证.pdf".into(), media_type: "application/pdf".into(), size: 20480 }],
        can_decide: true,
        takes_date: true,
        error: None,
    };
    insta::assert_snapshot!("repair_one", main_of(&repairs::render_one(&one).into_string()));
}

#[test]
fn a_person_file_with_its_appointment_check() {
    use crate::pages::persons::{self, PersonFile, PersonRecordRow, PersonsView};
    let record = |id: &str, voided: bool, restricts: bool| PersonRecordRow {
        id: id.into(),
        kind: "纪律处分".into(),
        unit_name: "温州市财政局".into(),
        occurred_on: "2025-03-01".into(),
        mitigation: "无".into(),
        repair: "—".into(),
        objection: if voided { "异议成立".into() } else { "—".into() },
        voided,
        restricts,
    };
    let v = PersonsView {
        lang: Lang::Zh,
        nav: nav("personnel"),
        purposes: vec![("appointment".into(), "任用审查".into()), ("other".into(), "其他".into())],
        asked: ("P-0001".into(), "appointment".into(), String::new()),
        error: None,
        file: Some(PersonFile {
            person_ref: "P-0001".into(),
            purpose: "任用审查".into(),
            found: true,
            records: vec![record("X1", false, true), record("X2", true, false)],
            restricted: true,
            lookback: "3 年".into(),
            since: "2023-12-01".into(),
            today: "2026-12-01".into(),
            advice: "本结果仅供组织人事部门参考，不构成任用决定 / advice to the personnel office, not a decision".into(),
        }),
    };
    insta::assert_snapshot!(main_of(&persons::render(&v).into_string()));
    // A reference no record carries: no file found, never "not restricted".
    let mut unknown = v.clone();
    if let Some(f) = unknown.file.as_mut() {
        (f.person_ref, f.purpose, f.found, f.restricted, f.records) = ("P-0O01".into(), "晋升".into(), false, false, Vec::new());
    }
    insta::assert_snapshot!("person_not_found", main_of(&persons::render(&unknown).into_string()));
}

#[test]
fn the_supervision_board_and_an_issued_notice() {
    use crate::documents::supervision::{NoticeSection, SupervisionNoticeView};
    use crate::pages::supervision::{self, DeadlineRow, NoticeRow, RollupRow, SupervisionView};
    let labels = ["逾期超过90天", "已逾期", "30天内到期", "30天以后到期"].map(String::from);
    let v = SupervisionView {
        lang: Lang::Zh,
        nav: nav("assessor"),
        today: "2026-12-01".into(),
        band: "overdue_90".into(),
        area: String::new(),
        kind: String::new(),
        bands: vec![("overdue_90".into(), labels[0].clone())],
        areas: vec![("330381".into(), "瑞安市".into())],
        kinds: vec![("court_listing".into(), "失信被执行人".into())],
        query: "?band=overdue_90".into(),
        rows: vec![DeadlineRow {
            unit_name: "安阳街道".into(),
            area_name: "瑞安市".into(),
            kind: "纪律处分".into(),
            record_id: "X2026-301".into(),
            of_person: true,
            occurred_on: "2026-03-01".into(),
            deadline: "2026-08-01".into(),
            days_left: -122,
            band: "overdue_90".into(),
            band_label: labels[0].clone(),
        }],
        matching: 1,
        counties: vec![RollupRow { code: "330381".into(), name: "瑞安市".into(), counts: [1, 0, 2, 0] }, RollupRow { code: "330302".into(), name: "鹿城区".into(), counts: [0; 4] }],
        departments: vec![],
        band_labels: labels,
        notices: vec![NoticeRow { id: 1, number: "督办通报〔2026〕第 1 号".into(), as_of: "2026-12-01".into(), issued_by: "assessor".into(), issued_at: "2026-12-01 09:30".into(), content_hash: "ab".repeat(32) }],
        can_issue: true,
    };
    insta::assert_snapshot!("supervision_board", main_of(&supervision::render(&v).into_string()));
    let notice = SupervisionNoticeView {
        office: "温州市政务诚信考核工作办公室".into(),
        title: "政务失信整改督办通报".into(),
        status: "情况截至 2026年12月1日".into(),
        intro: vec!["现通报如下。".into()],
        sections: vec![NoticeSection {
            heading: "二、逾期未整改的失信记录（1 条）".into(),
            summary: "请立即整改。".into(),
            head: vec!["序号".into(), "单位".into(), "逾期天数".into()],
            rows: vec![vec!["1".into(), "瑞安市".into(), "427".into()]],
            widths: vec!["auto".into(), "1fr".into(), "auto".into()],
            numeric: vec![0, 2],
        }],
        date: "2026年12月1日".into(),
        footer: "督办通报〔2026〕第 1 号 · 原件存档：政信系统 › 整改督办 › 督办通报".into(),
        provenance: "督办通报〔2026〕第 1 号，由 assessor 于 2026-12-01 09:30 签发。".into(),
        draft: false,
        number: Some("督办通报〔2026〕第 1 号".into()),
    };
    insta::assert_snapshot!("supervision_notice", main_of(&supervision::render_notice(Lang::Zh, &nav("leader"), 1, &notice).into_string()));
}

/// The what-if page's form: two indicators (linear, deduct), a pass-fail
/// one and the grade lines; `edit` changes the public rating's weight.
fn what_if_view(lang: Lang) -> crate::pages::whatif::WhatIfView {
    use crate::pages::whatif::{Input, RuleRow, RulebookInUse, RulesForm, VersionChoice, WhatIfView};
    let input = |name: &str, label: &str, value: &str| Input { name: name.into(), label: label.into(), value: value.into(), original: value.into(), changed: false, error: None };
    let row = |dimension: &str, indicator: &str, kind: &str, id: &str| RuleRow {
        dimension: dimension.into(),
        indicator: indicator.into(),
        kind: kind.into(),
        weight: input(&format!("{id}.weight"), &format!("{indicator} 权重"), "5"),
        good: (kind == "linear").then(|| input(&format!("{id}.good"), &format!("{indicator} 满分值"), "1")),
        bad: (kind == "linear").then(|| input(&format!("{id}.bad"), &format!("{indicator} 零分值"), "0.6")),
        per_item: (kind == "deduct").then(|| input(&format!("{id}.per_item"), &format!("{indicator} 每项扣分"), "2.5")),
    };
    WhatIfView {
        lang,
        nav: nav("assessor"),
        years: vec![2024, 2025],
        year: 2025,
        versions: vec![VersionChoice { version: 1, published: true, as_of: "2025-12-31 23:59:59".into() }, VersionChoice { version: 2, published: false, as_of: "2025-12-31 23:59:59".into() }],
        version: Some(1),
        rulebook: Some(RulebookInUse { title: "2025年度温州市政务诚信考核细则".into(), year: 2025 }),
        form: Some(RulesForm {
            rows: vec![
                row("践诺履约", "承诺按期兑现率", "linear", "commit_ontime"),
                row("践诺履约", "承诺违约", "deduct", "commit_breach"),
                row("政府债务", "债务限额管理", "pass_fail", "debt_limit"),
                row("社会评价", "万人评议", "linear", "public_rating"),
            ],
            grades: vec![input("grades.excellent", "优秀分数线", "90"), input("grades.good", "良好分数线", "80"), input("grades.pass", "合格分数线", "60"), input("grades.excellent_quota", "优秀比例上限", "0.3")],
            weight_sum: Some(20.0),
            original_weight_sum: 20.0,
        }),
        rulebook_years: vec![2025, 2026],
        rulebook_year: None,
        max_kib: 256,
        error: None,
        result: None,
    }
}

#[test]
fn what_if_form_prefilled_refused_and_compared() {
    use crate::pages::whatif::{self, WhatIfResult, WhatIfRow};
    let v = what_if_view(Lang::Zh);
    insta::assert_snapshot!("whatif_form", main_of(&whatif::render(&v).into_string()));

    // A weight out of range and the grade lines out of order, refused in place.
    let mut refused = v.clone();
    let form = refused.form.as_mut().unwrap();
    form.rows[3].weight.value = "150".into();
    form.rows[3].weight.changed = true;
    form.rows[3].weight.label = "指标「万人评议」的权重".into();
    form.rows[3].weight.error = Some("应为大于 0、不超过 100 的数，现为 150".into());
    form.grades[1].value = "95".into();
    form.grades[1].changed = true;
    form.grades[1].error = Some("应低于优秀分数线 90，现为 95".into());
    form.weight_sum = Some(165.0);
    insta::assert_snapshot!("whatif_refused", main_of(&whatif::render(&refused).into_string()));

    // The public rating weighs 30: the result above the form, which keeps the value.
    let mut compared = what_if_view(Lang::En);
    let form = compared.form.as_mut().unwrap();
    form.rows[3].weight.value = "30".into();
    form.rows[3].weight.changed = true;
    form.weight_sum = Some(45.0);
    compared.result = Some(WhatIfResult {
        version: 1,
        published: true,
        rulebook: "the edited rulebook (1 change)".into(),
        changes: vec!["The weight of “Public rating”: 5 → 30".into()],
        data_changed: true,
        changed: 1,
        rows: vec![WhatIfRow {
            unit_name: "鹿城区".into(),
            group: "county".into(),
            stored_total: 88.5,
            stored_rank: Some(3),
            stored_grade: "good".into(),
            total: 91.25,
            rank: Some(1),
            grade: "excellent".into(),
            rank_change: Some(2),
        }],
    });
    insta::assert_snapshot!("whatif_compared", main_of(&whatif::render(&compared).into_string()));

    // A year without a result: no form, the reason.
    let mut empty = what_if_view(Lang::Zh);
    (empty.versions, empty.version, empty.rulebook, empty.form) = (Vec::new(), None, None, None);
    insta::assert_snapshot!("whatif_no_result", main_of(&whatif::render(&empty).into_string()));
}

#[test]
fn indicator_statistics_with_warnings() {
    use crate::pages::statistics::{self, DistributionRow, GroupStatistics, StatisticsView};
    let v = StatisticsView {
        lang: Lang::Zh,
        nav: nav("assessor"),
        years: vec![2025],
        year: 2025,
        version: Some(1),
        warnings: vec!["县（市、区）：失信记录 有 91.7% 的单位满分，不能区分单位。".into()],
        groups: vec![GroupStatistics {
            group: "county".into(),
            rows: vec![DistributionRow { indicator: "失信记录".into(), weight: 15.0, units: 12, five: [10.0, 15.0, 15.0, 15.0, 15.0], share_full: 11.0 / 12.0, share_zero: 0.0, does_not_separate: true }],
            indicators: vec!["失信记录".into(), "万人评议".into()],
            // 0.8951 is cut to 0.89 and not flagged; 0.93 is.
            matrix: vec![vec![None, Some(((Some(0.93), true), (Some(0.8951), false)))], vec![Some(((Some(0.93), true), (Some(0.8951), false))), None]],
        }],
    };
    insta::assert_snapshot!(main_of(&statistics::render(&v).into_string()));
}

#[test]
fn objections_name_units_records_and_statuses() {
    use crate::pages::objections::{self, ObjectionRow, ObjectionsView};
    let row = |id: i64, status: &str, source: &str, record_id: &str| ObjectionRow {
        id,
        unit_code: "330302".into(),
        unit_name: "鹿城区".into(),
        source: source.into(),
        record_id: record_id.into(),
        reason: "已主动纠错并获信用修复".into(),
        status: status.into(),
        filed_by: "lucheng".into(),
        filed_at: "2026-01-05 09:30".into(),
        decided_by: (status != "open").then(|| "assessor".into()),
        decided_at: (status != "open").then(|| "2026-01-08 15:00".into()),
        decision_reason: (status != "open").then(|| "经核实".into()),
    };
    let rows = vec![row(3, "open", "dishonesty", "X2025-007"), row(2, "accepted", "hotline", "H2025-01"), row(1, "rejected", "commitments", "C-9")];
    let v = ObjectionsView { lang: Lang::Zh, nav: nav("assessor"), rows: rows.clone(), can_decide: true, year: 2025 };
    insta::assert_snapshot!("objections_list", main_of(&objections::render(&v).into_string()));
    let v = ObjectionsView { lang: Lang::En, nav: nav("unit"), rows, can_decide: false, year: 2025 };
    insta::assert_snapshot!("objections_list_en", main_of(&objections::render(&v).into_string()));
    let again = objections::standing(Lang::Zh, &nav("unit"), &row(3, "open", "dishonesty", "X2025-007"));
    insta::assert_snapshot!("objection_standing", main_of(&again.into_string()));
}

/// Every box that scrolls sideways (`div.scroll`), in every snapshot, is a
/// named region a keyboard can reach (axe-core's rule
/// `scrollable-region-focusable`): the browser test sees only the boxes its
/// data make overflow, this sees them all.
#[test]
fn every_scrolling_box_is_a_named_region_a_keyboard_reaches() {
    let mut seen = 0;
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/snapshots")).unwrap() {
        let snapshot = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for tag in snapshot.lines().filter(|l| l.starts_with("<div class=\"scroll\"")) {
            seen += 1;
            let named = tag.contains("aria-label=\"") || tag.contains("aria-labelledby=\"");
            assert!(tag.contains("role=\"region\" tabindex=\"0\"") && named, "{tag}");
        }
    }
    assert!(seen >= 8, "the snapshots were read: {seen} scrolling boxes");
}
