//! Scoring from storage on both back-ends: `zhengxin score`, publication
//! that freezes a version, reproducibility, new versions after new data,
//! voids from accepted objections, and the §9 exports (CSV and XLSX).

use calamine::{Data, Reader, Xlsx};
use server::scoring::{self, ScoringError, results};

use crate::cli::{stdout, zhengxin};
use crate::e2e;
use crate::support::TestApp;

const ACTOR: &str = "test";

async fn score_2025(app: &TestApp) -> scoring::ScoreOutcome {
    scoring::score(&app.db, 2025, None, None, ACTOR).await.expect("scored")
}

pub async fn unit(app: &TestApp, version_id: i64, code: &str) -> results::UnitResult {
    let rows = scoring::stored::rows(&app.db, version_id).await.unwrap();
    rows.units.into_iter().find(|u| u.unit_code == code).unwrap_or_else(|| panic!("{code} has a result"))
}

pub async fn points(app: &TestApp, version_id: i64, code: &str, indicator: &str) -> Option<f64> {
    let rows = scoring::stored::rows(&app.db, version_id).await.unwrap();
    rows.indicators.iter().find(|r| r.unit_code == code && r.indicator == indicator).expect("a row").points
}

e2e!(the_examples_score_as_the_method_says, |app| {
    app.import_examples().await;
    let outcome = score_2025(&app).await;
    assert!(outcome.created);
    let v = outcome.version.id;
    // X2025-003: an unrectified court listing past its deadline → veto.
    let ruian = unit(&app, v, "330381").await;
    assert!(ruian.vetoed);
    assert_eq!(ruian.grade, "fail");
    assert_eq!(ruian.veto_reason.as_deref(), Some("X2025-003"));
    // Its total, hand-derived from the files (§3–§5): seven indicators
    // apply, of weight 50 (no commitments, proposals or tickets of its
    // own): commit_breach 5, debt_ratio 5 × (1.5 − 365.7/310.2)/0.5,
    // debt_limit 5, debt_overdue 5 × (0.05 − 1.2/40)/0.05, debt_violations
    // 5, dishonesty 15 − 5 (its listing), public_rating 10 × (91.2 − 60)/35.
    let s = 5.0 + 5.0 * (1.5 - 365.7 / 310.2) / 0.5 + 5.0 + 5.0 * (0.05 - 1.2 / 40.0) / 0.05 + 5.0 + 10.0 + 10.0 * 31.2 / 35.0;
    assert!((ruian.base - 100.0 * s / 50.0).abs() < 1e-9, "{}", ruian.base);
    assert_eq!(ruian.total, 78.25);
    // It keeps its rank (first of three counties): the veto changes the grade only.
    assert_eq!((ruian.rank, ruian.group_size), (Some(1), 3));
    // X2025-002: rectified after its deadline → 10 points off the 15.
    assert_eq!(points(&app, v, "330303", "dishonesty").await, Some(5.0));
    // X2025-001: a penalty with reduced mitigation → 1 point off.
    assert_eq!(points(&app, v, "330302", "dishonesty").await, Some(14.0));
    // The county's debt row: 180/150 = 1.2 → 3 points (as in §8).
    assert!((points(&app, v, "330302", "debt_ratio").await.unwrap() - 3.0).abs() < 1e-9);
    // Townships have no proposal indicators.
    assert_eq!(points(&app, v, "330302006", "proposal_ontime").await, None);
    // 鹿城区 has every indicator (weight 100). Points: commit_ontime 0
    // (1 of 3 on time, under the 0.60 floor), commit_breach 5 − 2.5,
    // proposal_ontime 0 (1 of 2), proposal_satisfaction 5 (2 of 2),
    // proposal_resolution 5 × (0.75 − 0.30)/0.50, hotline_ontime 0 (1 of 2),
    // hotline_satisfaction 0 (1 of 2), hotline_repeat 3 (none), hotline_integrity 0
    // (1 verified in 2 tickets), debt 3 + 5 + 4 + 5, dishonesty 14,
    // public_rating 8: 54 points, base 54; a provincial honour adds 2.
    let lucheng = unit(&app, v, "330302").await;
    assert!((lucheng.base - 54.0).abs() < 1e-9, "{}", lucheng.base);
    assert_eq!((lucheng.bonus, lucheng.total, lucheng.rank), (2.0, 56.0, Some(2)));
    // 龙湾区: commit_ontime 0 (C2025-004 pending at its due date; the
    // lawfully changed C2025-005 does not count), commit_breach 5, debt_ratio
    // 5 × (1.5 − 160.25/120)/0.5, debt_limit 0 (over its limit),
    // debt_overdue 5, one violation 5 − 2.5, dishonesty 15 − 10 (rectified
    // late), public_rating 10 × 19.5/35; weight 65.
    let longwan = unit(&app, v, "330303").await;
    let s = 5.0 + 5.0 * (1.5 - 160.25 / 120.0) / 0.5 + 5.0 + 2.5 + 5.0 + 10.0 * 19.5 / 35.0;
    assert!((longwan.base - 100.0 * s / 65.0).abs() < 1e-9, "{}", longwan.base);
    assert_eq!((longwan.total, longwan.rank, longwan.grade.code()), (38.03, Some(3), "fail"));
    // That was the year's snapshot the import left; the same from the
    // database alone: the same content hash is the same rows
    // (tests/e2e/snapshots.rs).
    assert_eq!(outcome.read_from, scoring::load::InputSource::Snapshot);
    std::fs::remove_dir_all(app.db.snapshots().expect("tests keep snapshots")).unwrap();
    let again = score_2025(&app).await;
    assert_eq!((again.read_from, again.created), (scoring::load::InputSource::Database, false));
    assert_eq!(again.version.content_hash, outcome.version.content_hash);
});

e2e!(a_result_is_reproducible_and_publication_freezes_it, |app| {
    app.import_examples().await;
    let first = score_2025(&app).await;
    let again = score_2025(&app).await;
    assert!(!again.created, "the same inputs give the same result");
    assert_eq!(again.version.version, first.version.version);
    assert_eq!(again.version.content_hash, first.version.content_hash);

    let published = scoring::publish(&app.db, 2025, None, ACTOR).await.unwrap();
    assert_eq!(published.content_hash, first.version.content_hash);
    let refused = scoring::publish(&app.db, 2025, Some(1), ACTOR).await;
    assert!(matches!(refused, Err(ScoringError::AlreadyPublished { version: 1, .. })));
    let frozen = scoring::stored::rows(&app.db, first.version.id).await.unwrap();

    // New data makes a new version; the published one does not move.
    let report = app
        .import_files(&[("ratings.csv", "unit_code,year,score\n330302,2025,60\n".as_bytes())])
        .await;
    assert!(report.ok, "{}", report.human());
    let second = score_2025(&app).await;
    assert!(second.created);
    assert_eq!(second.version.version, 2);
    assert_ne!(second.version.content_hash, first.version.content_hash);
    assert_eq!(points(&app, second.version.id, "330302", "public_rating").await, Some(0.0));
    assert_eq!(scoring::stored::rows(&app.db, first.version.id).await.unwrap(), frozen);
    let versions = server::db::results::versions(&app.db, 2025).await.unwrap();
    assert!(versions[0].published_at.is_some() && versions[1].published_at.is_none());
    for v in &versions {
        assert!(scoring::verify(&app.db, v).await.unwrap(), "version {} is intact", v.version);
    }
    // Readers see the published version by default, not the newer one.
    assert_eq!(results::default_version(&versions).unwrap().version, 1);
});

e2e!(an_accepted_objection_voids_the_record_in_the_next_version, |app| {
    app.import_examples().await;
    let before = score_2025(&app).await;
    assert!(unit(&app, before.version.id, "330381").await.vetoed);
    let sql = "INSERT INTO objections (source, record_id, unit_code, reason, status, filed_by, filed_at, decided_by, decided_at, decision_reason) VALUES ('dishonesty', 'X2025-003', '330381', '已于期限前履行', 'accepted', 'unit:330381', $1, 'assessor', $1, '法院已撤销失信名单')";
    let now = chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap().and_hms_opt(9, 0, 0).unwrap();
    server::on_db!(&app.db, pool => { sqlx::query(sql).bind(now).execute(pool).await.unwrap(); });
    let after = score_2025(&app).await;
    assert!(after.created);
    let ruian = unit(&app, after.version.id, "330381").await;
    assert!(!ruian.vetoed, "voiding the listing lifts the veto");
    assert_eq!(points(&app, after.version.id, "330381", "dishonesty").await, Some(15.0));
    // The record itself is kept.
    assert_eq!(app.scalar("SELECT id FROM dishonesty_records WHERE id = 'X2025-003'").await, "X2025-003");
});

// §5 year over year, end to end with two scored years: the change is
// against `Y − 1`'s latest published version, else its latest one; a unit
// new this year, or ungraded last year, has no change of rank. Every
// expectation is hand-derived: a department with only a rating scores
// 100 × (5 + 15 + 10 × (r − 60)/35)/30 (commit_breach and dishonesty in
// full), so 95 → 100.00, 80 → 85.71, 60 → 66.67.
e2e!(year_over_year_compares_with_last_years_published_version_else_its_latest, |app| {
    app.import_examples().await;
    let app = &app;
    let rated = |rows: &'static str| async move {
        let report = app.import_files(&[("ratings.csv", format!("unit_code,year,score\n{rows}").as_bytes())]).await;
        assert!(report.ok, "{}", report.human());
    };
    rated("D010,2024,95\nD002,2024,80\n").await;
    let v1 = scoring::score(&app.db, 2024, None, None, ACTOR).await.unwrap().version;
    let d010_2024 = unit(app, v1.id, "D010").await;
    assert_eq!((d010_2024.total, d010_2024.rank), (100.0, Some(1)));
    // 鹿城区 has no 2024 records: only deduct indicators, so ungraded at 100.
    let lucheng_2024 = unit(app, v1.id, "330302").await;
    assert_eq!((lucheng_2024.total, lucheng_2024.rank, lucheng_2024.grade.code()), (100.0, None, "ungraded"));

    // 2025. D010 (温州市财政局): commit_ontime 0 (its one commitment pending at
    // its due date), commit_breach 5, the proposal's three indicators 0
    // (late, unsatisfied, class C), hotline_ontime 6, hotline_satisfaction
    // 6, hotline_repeat 0 (its one ticket a repeat), hotline_integrity 5,
    // dishonesty 15 − 1 (a civil servant's discipline), public_rating
    // 10 × 26.5/35: 43.5714 of 80 → 54.46. D002: rating 93 → 98.0952,
    // and a national honour's 3 → 101.10. So D002 ranks 1st, D010 2nd.
    // No version of 2024 is published: the change is against the latest (v1).
    let a = score_2025(app).await.version;
    let d010 = unit(app, a.id, "D010").await;
    assert_eq!((d010.total, d010.rank), (54.46, Some(2)));
    assert_eq!((d010.prev_total, d010.prev_rank), (Some(100.0), Some(1)));
    assert_eq!((d010.total_change, d010.rank_change), (Some(-45.54), Some(-1)));
    let d002 = unit(app, a.id, "D002").await;
    assert_eq!((d002.total, d002.total_change, d002.rank_change), (101.1, Some(15.39), Some(1)));
    // Ungraded last year: a change of total (56.00 − 100.00), none of rank.
    let lucheng = unit(app, a.id, "330302").await;
    assert_eq!((lucheng.rank, lucheng.total_change, lucheng.rank_change), (Some(2), Some(-44.0), None));

    // A second 2024 version, still unpublished: now the latest is compared.
    rated("D010,2024,60\n").await;
    let v2 = scoring::score(&app.db, 2024, None, None, ACTOR).await.unwrap().version;
    assert_eq!(v2.version, 2);
    let b = score_2025(app).await;
    assert!(b.created, "last year's new result changes this year's");
    let d010 = unit(app, b.version.id, "D010").await;
    assert_eq!((d010.prev_total, d010.prev_rank), (Some(66.67), Some(2)));
    assert_eq!((d010.total_change, d010.rank_change), (Some(-12.21), Some(0)));

    // Publishing 2024's first version makes it the one compared with,
    // although a later one exists. A department new in 2025 (rated 95:
    // 100.00, 2nd) has no change.
    scoring::publish(&app.db, 2024, Some(1), ACTOR).await.unwrap();
    let report = app.import_files(&[("units.csv", "code,name,group,parent_code\nD099,温州市新设局,department,\n".as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    rated("D099,2025,95\n").await;
    let c = score_2025(app).await.version;
    let d010 = unit(app, c.id, "D010").await;
    assert_eq!((d010.prev_total, d010.prev_rank), (Some(100.0), Some(1)));
    assert_eq!((d010.rank, d010.total_change, d010.rank_change), (Some(3), Some(-45.54), Some(-2)));
    let new = unit(app, c.id, "D099").await;
    assert_eq!((new.total, new.rank), (100.0, Some(2)));
    assert_eq!((new.prev_total, new.prev_rank, new.total_change, new.rank_change), (None, None, None, None));
});

e2e!(bad_windows_and_missing_rulebooks_are_refused, |app| {
    app.import_examples().await;
    let early = chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap().and_hms_opt(23, 59, 59).unwrap();
    let e = scoring::score(&app.db, 2025, Some(early), None, ACTOR).await.unwrap_err();
    assert!(e.to_string().contains("before 2025 begins"), "{e}");
    let e = scoring::score(&app.db, 2019, None, None, ACTOR).await.unwrap_err();
    assert!(e.to_string().contains("no rulebook for 2019"), "{e}");
    assert!(server::db::results::versions(&app.db, 2025).await.unwrap().is_empty(), "nothing stored");
});

e2e!(exports_follow_section_9, |app| {
    app.import_examples().await;
    // A department with no records at all: only deduct indicators apply,
    // so it is ungraded (§5).
    let report = app.import_files(&[("units.csv", "code,name,group,parent_code\nD098,温州市无记录局,department,\n".as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    let out = zhengxin(&app, &["score", "--year", "2025", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_eq!(json["version"]["version"], 1);

    let out = zhengxin(&app, &["export", "--year", "2025", "--format", "csv", "--output", "-"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let text = String::from_utf8(out.stdout[3..].to_vec()).unwrap();
    assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'), "RFC 4180 CRLF records");
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("unit_code,unit_name,group,parent_code,total,base,bonus,rank,county_rank,grade,vetoed,veto_reason,commit_ontime,commit_breach,"));
    assert!(header.ends_with(",dishonesty,public_rating"));
    let ruian = lines.clone().find(|l| l.starts_with("330381,")).expect("a row per unit");
    let cells: Vec<&str> = ruian.split(',').collect();
    assert_eq!(cells[1], "瑞安市");
    assert_eq!(cells[9], "fail");
    assert_eq!((cells[10], cells[11]), ("1", "X2025-003"));
    assert_eq!(cells[4].split('.').nth(1).map(str::len), Some(2), "total with 2 decimals");
    assert_eq!(cells[5].split('.').nth(1).map(str::len), Some(4), "base with 4 decimals");
    let township = lines.clone().find(|l| l.starts_with("330302006,")).unwrap();
    let cells: Vec<&str> = township.split(',').collect();
    assert_eq!(cells[3], "330302");
    assert_eq!(cells[14], "", "proposal_ontime is n/a for a township");
    // §9: rank and county rank are empty for an ungraded unit, the county
    // rank for a non-township.
    let ungraded: Vec<&str> = lines.clone().find(|l| l.starts_with("D098,")).unwrap().split(',').collect();
    assert_eq!((ungraded[7], ungraded[8], ungraded[9]), ("", "", "ungraded"));
    let ranked: Vec<&str> = lines.clone().find(|l| l.starts_with("330302,")).unwrap().split(',').collect();
    assert_eq!((ranked[7], ranked[8]), ("2", ""));

    let file = app.dir.path().join("zhengxin-2025.xlsx");
    let out = zhengxin(&app, &["export", "--year", "2025", "--format", "xlsx", "--output", file.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0));
    let mut book: Xlsx<_> = calamine::open_workbook(&file).unwrap();
    assert_eq!(book.sheet_names(), ["说明", "县市区", "市直单位", "乡镇街道", "扣分说明", "数据质量", "指标统计", "指标相关"]);
    // Indicator statistics (robustness.md §4): the counties' public
    // rating (鹿城区, 龙湾区, 瑞安市), and every pair of indicators per group.
    let rating_name = Data::String(analytics::indicators::label("public_rating").0.into());
    let stats = book.worksheet_range("指标统计").unwrap();
    let rating = stats.rows().find(|r| r[0] == Data::String("县市区".into()) && r[1] == rating_name).expect("the counties' rating");
    assert_eq!(rating[3], Data::Float(3.0), "three counties have a rating");
    let pairs = book.worksheet_range("指标相关").unwrap();
    assert!(pairs.height() > 1 && pairs.rows().next().unwrap()[4] == Data::String("皮尔逊相关".into()));
    // The first sheet says which version, as of when, and its hash.
    let about = book.worksheet_range("说明").unwrap();
    assert_eq!(about.get((0, 0)), Some(&Data::String("2025年度政务诚信考核结果 第1版".into())));
    let fact = |label: &str| about.rows().find(|r| r.first() == Some(&Data::String(label.into()))).map(|r| r[1].to_string());
    assert_eq!(fact("结果版本").as_deref(), Some("第 1 版"));
    assert_eq!(fact("数据截至"), json["version"]["as_of"].as_str().map(|t| t.replace('T', " ")));
    assert_eq!(fact("内容哈希").as_deref(), json["version"]["content_hash"].as_str());
    assert!(fact("发布状态").unwrap().starts_with("未发布"), "a provisional version says so");
    // §9: the English names in the first header row (for scripts, not
    // printed), the Chinese titles in the second; §9's columns in §9's
    // order with §9's codes, and their Chinese labels in columns after.
    let counties = book.worksheet_range("县市区").unwrap();
    let mut rows = counties.rows();
    let names: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    let header: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(names[..4], ["unit_code", "unit_name", "group", "parent_code"]);
    assert_eq!(names[names.len() - 3..], ["group_label", "grade_label", "vetoed_label"]);
    assert_eq!(header[..4], ["单位编码", "单位名称", "考核组别", "上级单位编码"]);
    assert_eq!((header[4].as_str(), header[9].as_str(), header[10].as_str()), ("总分", "等次", "一票否决"));
    assert_eq!(header[header.len() - 4], analytics::indicators::label("public_rating").0);
    assert_eq!(header[header.len() - 3..], ["组别名称", "等次名称", "是否一票否决"]);
    assert!(header.iter().all(|h| !h.is_ascii()), "the second row is Chinese: {header:?}");
    assert!(matches!(counties.get((2, 4)), Some(Data::Float(_))), "totals are typed numbers");
    assert_eq!(counties.height(), 2 + 3);
    let ruian_row = counties.rows().find(|r| r[0] == Data::String("330381".into())).unwrap();
    assert_eq!((ruian_row[2].to_string(), ruian_row[9].to_string(), ruian_row[10].to_string()), ("county".into(), "fail".into(), "1".into()), "§9's codes");
    let labels: Vec<String> = ruian_row[ruian_row.len() - 3..].iter().map(|c| c.to_string()).collect();
    assert_eq!(labels, ["县市区", "不合格", "是"], "and their labels");
    assert_eq!(ruian_row[11], Data::String("X2025-003".into()));
    let ruian_csv: Vec<&str> = text.lines().find(|l| l.starts_with("330381,")).unwrap().split(',').collect();
    assert_eq!(ruian_row[5], Data::Float(ruian_csv[5].parse().unwrap()), "the base keeps the CSV's 4 decimals in its cell");
    let lost = book.worksheet_range("扣分说明").unwrap();
    let dishonesty = Data::String(analytics::indicators::label("dishonesty").0.into());
    assert!(lost.rows().skip(1).any(|r| r[0] == Data::String("330303".into()) && r[2] == dishonesty));

    // One unit's row, or one group's, in the same format.
    let out = zhengxin(&app, &["export", "--year", "2025", "--format", "csv", "--output", "-", "--unit", "330381"]).await;
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout[3..].to_vec()).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.lines().nth(1).unwrap().starts_with("330381,瑞安市,county,"));
    let out = zhengxin(&app, &["export", "--year", "2025", "--format", "csv", "--output", "-", "--group", "township"]).await;
    let text = String::from_utf8(out.stdout[3..].to_vec()).unwrap();
    assert!(text.lines().skip(1).all(|l| l.split(',').nth(2) == Some("township")) && text.lines().count() > 1);
    let out = zhengxin(&app, &["export", "--year", "2025", "--format", "csv", "--output", "-", "--unit", "999999"]).await;
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no unit 999999"));
});

e2e!(explanations_name_the_records_that_cost_points, |app| {
    app.import_examples().await;
    score_2025(&app).await;
    let out = zhengxin(&app, &["explain", "--year", "2025", "--unit", "330302", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let e: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(e["data_unchanged"], true);
    let find = |id: &str| e["indicators"].as_array().unwrap().iter().find(|i| i["indicator"] == id).unwrap().clone();
    // C2025-002 was fulfilled late, C2025-003 breached: both cost points;
    // C2025-001 (on time) was counted and cost nothing.
    let ontime = find("commit_ontime");
    assert_eq!(ontime["counted"], serde_json::json!(["C2025-001", "C2025-002", "C2025-003"]));
    assert_eq!(ontime["cost_points"], serde_json::json!(["C2025-002", "C2025-003"]));
    assert_eq!(find("commit_breach")["cost_points"], serde_json::json!(["C2025-003"]));
    assert_eq!(find("dishonesty")["cost_points"], serde_json::json!(["X2025-001"]));
    assert_eq!(find("debt_ratio")["counted"], serde_json::Value::Null, "from the yearly row, not records");
    assert!(find("commit_ontime")["formula"].as_str().unwrap().contains("0.6"));

    let out = zhengxin(&app, &["explain", "--year", "2025", "--unit", "330302", "--indicator", "hotline_ontme"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown indicator hotline_ontme"));
    let out = zhengxin(&app, &["quality", "--year", "2025", "--json"]).await;
    let q: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(q["findings"].as_array().unwrap().iter().any(|f| f["kind"] == "no_records"));
});

// A stored code that is not the method's (the data altered outside
// Zhengxin) stops scoring with the column and the value named; nothing is
// stored.
e2e!(an_altered_stored_code_stops_scoring_and_names_it, |app| {
    app.import_examples().await;
    server::on_db!(&app.db, pool => {
        sqlx::query("UPDATE commitments SET category = 'gift' WHERE id = 'C2025-001'").execute(pool).await.unwrap();
    });
    // An edit behind Zhengxin's back changes no snapshot key: scoring would
    // go on from the snapshot the import left (`results --verify` reads the
    // database, see snapshot.rs). Without it, the database is read.
    std::fs::remove_dir_all(app.db.snapshots().expect("tests keep snapshots")).unwrap();
    let e = scoring::score(&app.db, 2025, None, None, ACTOR).await.unwrap_err();
    assert!(e.to_string().contains("stored category \"gift\" is not a known code"), "{e}");
    assert!(server::db::results::versions(&app.db, 2025).await.unwrap().is_empty(), "nothing stored");
});

// A version of all of Wenzhou's units (232 units and 15 indicators each:
// more rows than one INSERT statement takes) reads back exactly as it was
// computed: its content hash, recomputed from the stored rows, is its own,
// and it reproduces from the database.
e2e!(a_version_of_every_unit_reads_back_exactly_as_computed, |app| {
    let until = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap().and_hms_opt(23, 59, 59).unwrap();
    let plan = server::demo::DemoPlan { generator: seeds::demo::Generator::new(seeds::demo::DEFAULT_SEED, 0.01, until), years: vec![2025] };
    server::demo::seed(&app.db, &plan, "test", &|_, _| {}).await.unwrap();
    let version = scoring::score(&app.db, 2025, None, None, "test").await.unwrap().version;
    let rows = scoring::stored::rows(&app.db, version.id).await.unwrap();
    assert_eq!(rows.units.len(), seeds::units::reference_units().len());
    assert!(rows.indicators.len() > 3_000, "{}", rows.indicators.len());
    assert!(scoring::verify(&app.db, &version).await.unwrap(), "the stored rows are the computed ones");
    let reproduction = scoring::reproduce(&app.db, &version).await.unwrap();
    assert!(reproduction.reproduces && reproduction.inputs_unchanged, "{reproduction:?}");
});
