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

async fn unit(app: &TestApp, version_id: i64, code: &str) -> results::UnitResult {
    let rows = results::read(&app.db, version_id).await.unwrap();
    rows.units.into_iter().find(|u| u.unit_code == code).unwrap_or_else(|| panic!("{code} has a result"))
}

async fn points(app: &TestApp, version_id: i64, code: &str, indicator: &str) -> Option<f64> {
    let rows = results::read(&app.db, version_id).await.unwrap();
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
    assert!(ruian.rank.is_some(), "a vetoed unit keeps its rank");
    // X2025-002: rectified after its deadline → 10 points off the 15.
    assert_eq!(points(&app, v, "330303", "dishonesty").await, Some(5.0));
    // X2025-001: a penalty with reduced mitigation → 1 point off.
    assert_eq!(points(&app, v, "330302", "dishonesty").await, Some(14.0));
    // The county's debt row: 180/150 = 1.2 → 3 points (as in §8).
    assert!((points(&app, v, "330302", "debt_ratio").await.unwrap() - 3.0).abs() < 1e-9);
    // Townships have no proposal indicators.
    assert_eq!(points(&app, v, "330302006", "proposal_ontime").await, None);
    let lucheng = unit(&app, v, "330302").await;
    assert_eq!(lucheng.bonus, 2.0);
    assert_eq!(lucheng.total, ((lucheng.base + 2.0) * 100.0).round() / 100.0);
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
    let frozen = results::read(&app.db, first.version.id).await.unwrap();

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
    assert_eq!(results::read(&app.db, first.version.id).await.unwrap(), frozen);
    let versions = results::versions(&app.db, 2025).await.unwrap();
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

e2e!(bad_windows_and_missing_rulebooks_are_refused, |app| {
    app.import_examples().await;
    let early = chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap().and_hms_opt(23, 59, 59).unwrap();
    let e = scoring::score(&app.db, 2025, Some(early), None, ACTOR).await.unwrap_err();
    assert!(e.to_string().contains("before 2025 begins"), "{e}");
    let e = scoring::score(&app.db, 2019, None, None, ACTOR).await.unwrap_err();
    assert!(e.to_string().contains("no rulebook for 2019"), "{e}");
    assert!(results::versions(&app.db, 2025).await.unwrap().is_empty(), "nothing stored");
});

e2e!(exports_follow_section_9, |app| {
    app.import_examples().await;
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

    let file = app.dir.path().join("zhengxin-2025.xlsx");
    let out = zhengxin(&app, &["export", "--year", "2025", "--format", "xlsx", "--output", file.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0));
    let mut book: Xlsx<_> = calamine::open_workbook(&file).unwrap();
    assert_eq!(book.sheet_names(), ["县市区", "市直单位", "乡镇街道", "扣分说明", "数据质量"]);
    let counties = book.worksheet_range("县市区").unwrap();
    assert_eq!(counties.get((0, 0)), Some(&Data::String("unit_code".into())));
    assert_eq!(counties.get((1, 4)), Some(&Data::String("总分".into())));
    assert!(matches!(counties.get((2, 4)), Some(Data::Float(_))), "totals are typed numbers");
    assert_eq!(counties.height(), 2 + 3);
    let lost = book.worksheet_range("扣分说明").unwrap();
    assert!(lost.rows().skip(2).any(|r| r[0] == Data::String("330303".into()) && r[2] == Data::String("dishonesty".into())));

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
