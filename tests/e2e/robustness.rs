//! Rank robustness (robustness.md §1) from a stored version, on both
//! back-ends: with no variation every interval is the nominal rank and
//! every grade probability 0 or 1; a unit sees only its own figures; the
//! same settings give the same bytes; a version whose nominal result does
//! not recompute is refused. Also the change of total split into parts
//! (§3) and the indicator statistics page (§4).

use reqwest::StatusCode;

use crate::cli::{stdout, zhengxin};
use crate::e2e;
use crate::web::{Browser, site};

e2e!(without_variation_every_interval_is_the_stored_rank_and_a_unit_sees_only_its_own, |app| {
    let server = site(&app).await;
    let leader = Browser::signed_in(&server, "leader").await;
    let page = leader.get("/api/v1/robustness?year=2025&weights=0&thresholds=0&draws=300").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let v: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!((v["year"].as_i64(), v["version"].as_i64(), v["draws"].as_i64()), (Some(2025), Some(1), Some(300)));
    let version = server::db::results::versions(&app.db, 2025).await.unwrap().remove(0);
    let stored = server::scoring::stored::rows(&app.db, version.id).await.unwrap();
    let units = v["units"].as_array().unwrap();
    assert_eq!(units.len(), stored.units.len());
    for s in &stored.units {
        let u = units.iter().find(|u| u["unit_code"] == s.unit_code.as_str()).unwrap();
        let rank = s.rank.map(serde_json::Value::from).unwrap_or(serde_json::Value::Null);
        for key in ["nominal_rank", "median_rank", "rank_p5", "rank_p95"] {
            assert_eq!(u[key], rank, "{} {key}", s.unit_code);
        }
        for grade in ["excellent", "good", "pass", "fail"] {
            let expected = if s.grade.code() == grade { 1.0 } else { 0.0 };
            assert_eq!(u["grades"][grade].as_f64(), Some(expected), "{} {grade}", s.unit_code);
        }
    }
    assert!(!v["leave_one_out"].as_array().unwrap().is_empty());

    // A unit: its own figures and its group's counts only.
    let lucheng = Browser::signed_in(&server, "lucheng").await;
    let own: serde_json::Value = serde_json::from_str(&lucheng.get("/api/v1/robustness?year=2025&draws=300").await.body).unwrap();
    let codes: Vec<&str> = own["units"].as_array().unwrap().iter().map(|u| u["unit_code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["330302"]);
    assert_eq!(own["groups"].as_array().unwrap().len(), 1);
    for l in own["leave_one_out"].as_array().unwrap() {
        assert!(l["units"].as_array().unwrap().iter().all(|u| u["unit_code"] == "330302"));
    }
    assert!(!lucheng.get("/api/v1/robustness?year=2025&draws=300").await.body.contains("330303"));

    // Settings out of range are refused in the envelope.
    for bad in ["weights=1", "thresholds=0.5", "draws=0", "draws=100001"] {
        let r = leader.get(&format!("/api/v1/robustness?year=2025&{bad}")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(r.body.contains("\"bad_settings\""), "{bad}: {}", r.body);
    }

    // The pages: leadership's overview has every group's intervals; a
    // unit's overview has none, its own scorecard its own interval, and
    // another unit's scorecard (the headline) none.
    let overview = leader.get("/?year=2025").await.body;
    assert!(overview.contains("排名稳健区间 (90%)") && overview.contains("这是对评分方法的模拟，不是数据误差"));
    assert!(overview.contains("P5–P95"));
    assert!(!lucheng.get("/?year=2025").await.body.contains("排名稳健区间"));
    let own = lucheng.get("/units/330302?year=2025").await.body;
    assert!(own.contains("排名稳健区间 (90%)") && own.contains("逐一去掉一个指标"), "{own}");
    assert!(!lucheng.get("/units/330303?year=2025").await.body.contains("排名稳健区间"));

    // A stored total altered behind the application's back: refused.
    server::on_db!(&app.db, pool => {
        sqlx::query("UPDATE unit_results SET total = total + 1 WHERE unit_code = '330302'").execute(pool).await.unwrap();
    });
    let refused = leader.get("/api/v1/robustness?year=2025&draws=301").await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("nominal_mismatch") && refused.body.contains("330302"));
    server.stop().await;
});

e2e!(the_command_line_gives_the_same_bytes_for_the_same_settings_and_dumps_its_draws, |app| {
    app.import_examples().await;
    server::scoring::score(&app.db, 2025, None, None, "test").await.unwrap();
    let args = ["robustness", "--year", "2025", "--draws", "500", "--seed", "42", "--json"];
    let first = zhengxin(&app, &args).await;
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert_eq!(stdout(&zhengxin(&app, &args).await), stdout(&first), "byte for byte");
    let other = zhengxin(&app, &["robustness", "--year", "2025", "--draws", "500", "--seed", "43", "--json"]).await;
    let v: serde_json::Value = serde_json::from_str(&stdout(&first)).unwrap();
    assert_eq!((v["seed"].as_u64(), v["weights"].as_f64(), v["thresholds"].as_f64()), (Some(42), Some(0.25), Some(0.1)));
    assert!(stdout(&other).contains("\"seed\": 43"));

    let dir = app.dir.path().join("dump");
    let dumped = zhengxin(&app, &["robustness", "--year", "2025", "--draws", "500", "--dump", dir.to_str().unwrap()]).await;
    assert!(dumped.status.success());
    assert!(stdout(&dumped).contains("排名稳健区间 (90%)") && stdout(&dumped).contains("这是对评分方法的模拟，不是数据误差"));
    let model: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("model.json")).unwrap()).unwrap();
    let per_draw = model["per_draw"].as_u64().unwrap();
    assert_eq!(std::fs::metadata(dir.join("uniforms.f64")).unwrap().len(), 500 * per_draw * 8);
    let bad = zhengxin(&app, &["robustness", "--year", "2025", "--weights", "1.5"]).await;
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("weight factor"));
});

e2e!(the_change_of_total_is_split_into_parts_that_add_up_to_it, |app| {
    // 2024 and 2025 of the examples, with ratings in 2024 so D010 has a
    // rank to move from (as in the year-over-year test).
    app.import_examples().await;
    let ratings = "unit_code,year,score\nD010,2024,95\nD002,2024,80\n";
    assert!(app.import_files(&[("ratings.csv", ratings.as_bytes())]).await.ok);
    server::scoring::score(&app.db, 2024, None, None, "test").await.unwrap();
    let v = server::scoring::score(&app.db, 2025, None, None, "test").await.unwrap().version;
    let rows = server::scoring::stored::rows(&app.db, v.id).await.unwrap();
    let now = server::scoring::stored::load(&app.db, &v).await.unwrap();
    let before = server::scoring::stored::shown(&app.db, 2024).await.unwrap();
    for u in rows.units.iter().filter(|u| u.prev_total.is_some()) {
        let a = server::scoring::change::analyse(&now, before.as_deref(), &u.unit_code).unwrap();
        let d = a.decomposition.expect("a previous result");
        // The change is the method's year-over-year change, and the parts
        // shown (to the cent) add up to it exactly.
        assert_eq!(Some(d.total_change), u.total_change, "{}", u.unit_code);
        let cents: i64 = d.parts.iter().map(|p| (p.change * 100.0).round() as i64).sum();
        assert_eq!(cents, (d.total_change * 100.0).round() as i64, "{}", u.unit_code);
        assert_eq!(d.rank_before.map(i64::from), u.prev_rank);
    }
    // D010: 100.00 → 54.46. In 2024 its rating (10 points), commitment
    // breaches (5) and dishonesty (15) applied: a weight sum of 30. The
    // rating part is what the rating lost at that sum: 100 × (10 × 26.5/35
    // − 10)/30 = −8.10; the indicators new in 2025 enter through their own
    // parts and the re-weighting.
    let a = server::scoring::change::analyse(&now, before.as_deref(), "D010").unwrap();
    let d = a.decomposition.unwrap();
    let rating = d.parts.iter().find(|p| p.kind == analytics::change::PartKind::Indicator("public_rating".into())).unwrap();
    assert_eq!(rating.change, -8.1);
    assert_eq!(d.total_change, -45.54);
    // Among its peers: every applicable indicator, with a median, the best
    // and a percentile between 0 and 100.
    assert!(!a.peers.is_empty());
    assert!(a.peers.iter().all(|p| p.stats.best >= p.stats.median && (0.0..=100.0).contains(&p.stats.percentile)));
});

e2e!(the_statistics_page_shows_each_groups_distributions_and_correlations, |app| {
    let server = site(&app).await;
    let assessor = Browser::signed_in(&server, "assessor").await;
    let page = assessor.get("/statistics?year=2025").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in ["得分分布", "相关系数：皮尔逊（斯皮尔曼）", "万人评议", "县（市、区）"] {
        assert!(page.body.contains(text), "{text}");
    }
    let leader = Browser::signed_in(&server, "leader").await;
    assert_eq!(leader.get("/statistics?year=2025").await.status, StatusCode::FORBIDDEN);
    server.stop().await;
});
