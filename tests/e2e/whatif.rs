//! What-if under another rulebook (robustness.md §2), on both back-ends:
//! the same rulebook changes nothing; an edited one gives exactly what a
//! real scoring under it gives, and nothing is stored; a rulebook that does
//! not check is refused in place with the reason.

use reqwest::StatusCode;

use crate::cli::{stdout, zhengxin};
use crate::e2e;
use crate::web::{Browser, hidden, site};

/// The 2025 rulebook with the public rating weighing 30 instead of 10.
fn edited() -> String {
    let text = seeds::rulebooks::text(2025).unwrap();
    let at = text.find("id = \"public_rating\"").unwrap();
    let (head, tail) = text.split_at(at);
    format!("{head}{}", tail.replacen("weight = 10.0", "weight = 30.0", 1))
}

e2e!(an_edited_rulebook_gives_what_scoring_under_it_gives_and_nothing_is_stored, |app| {
    let server = site(&app).await;
    let assessor = Browser::signed_in(&server, "assessor").await;
    let same = assessor.get("/whatif?year=2025&rulebook_year=2025").await;
    assert_eq!(same.status, StatusCode::OK);
    assert!(same.body.contains("8 个单位中 0 个的名次或等次有变化"), "{}", same.body);

    // The edited rulebook, uploaded.
    let csrf = hidden(&assessor.get("/whatif").await.body, "csrf");
    let text = edited();
    let page = assessor.post_multipart("/whatif", &[("csrf", &csrf), ("year", "2025")], &[("rulebook", "edited.toml", text.as_bytes())]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("模拟结果"));

    // Exactly what scoring under it gives (here stored as a version to
    // compare with, after the what-if stored nothing).
    let versions = || async { server::scoring::results::versions(&app.db, 2025).await.unwrap() };
    let before = versions().await;
    assert_eq!(before.len(), 1, "the what-if stored nothing");
    let rules = analytics::rulebook::Rulebook::parse(&text).unwrap();
    let answer = server::scoring::whatif::whatif(&app.db, &before[0], rules.clone()).await.unwrap();
    assert!(!answer.data_changed);
    let scored = server::scoring::score(&app.db, 2025, Some(before[0].as_of), Some(rules), "test").await.unwrap();
    let rows = server::scoring::results::read(&app.db, scored.version.id).await.unwrap();
    for u in &answer.units {
        let s = rows.units.iter().find(|s| s.unit_code == u.unit_code).unwrap();
        assert_eq!((u.total.to_bits(), u.rank, u.grade), (s.total.to_bits(), s.rank, s.grade), "{}", u.unit_code);
    }
    assert!(answer.units.iter().any(|u| u.total != u.stored_total), "the weight matters");
    // Sorted: the largest rank changes first.
    let moves: Vec<i64> = answer.units.iter().map(|u| u.rank_change.unwrap_or(0).abs()).collect();
    assert!(moves.windows(2).all(|w| w[0] >= w[1]), "{moves:?}");

    // Rulebooks that do not check are refused in place, with the reason.
    let negative = text.replacen("weight = 30.0", "weight = -1.0", 1);
    let bad = assessor.post_multipart("/whatif", &[("csrf", &csrf), ("year", "2025")], &[("rulebook", "bad.toml", negative.as_bytes())]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("role=\"alert\"") && bad.body.contains("public_rating"), "{}", bad.body);
    let garbage = assessor.post_multipart("/whatif", &[("csrf", &csrf), ("year", "2025")], &[("rulebook", "x.toml", b"weight = [")]).await;
    assert!(garbage.status == StatusCode::UNPROCESSABLE_ENTITY && garbage.body.contains("not valid TOML"));
    let huge = vec![b'#'; 300 * 1024];
    let large = assessor.post_multipart("/whatif", &[("csrf", &csrf), ("year", "2025")], &[("rulebook", "big.toml", &huge)]).await;
    assert!(large.status == StatusCode::UNPROCESSABLE_ENTITY && large.body.contains("256 KiB"), "{}", large.status);

    // The command line, from a file.
    let path = app.dir.path().join("edited.toml");
    std::fs::write(&path, &text).unwrap();
    let out = zhengxin(&app, &["whatif", "--year", "2025", "--version", "1", "--rulebook", path.to_str().unwrap(), "--json"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!((v["year"].as_i64(), v["version"].as_i64(), v["units"].as_array().unwrap().len()), (Some(2025), Some(1), 8));
    server.stop().await;
});

e2e!(a_rulebook_with_a_lookback_of_3_nian_is_refused_naming_the_key_on_the_page_and_the_command_line, |app| {
    // Issue 24: "3年" was sliced at a byte offset inside 年; the upload
    // dropped the connection and `rulebook check` exited 101.
    let text = format!("{}\n[personnel]\nlookback = \"3年\"\n", seeds::rulebooks::text(2025).unwrap());
    let server = site(&app).await;
    let assessor = Browser::signed_in(&server, "assessor").await;
    let csrf = hidden(&assessor.get("/whatif").await.body, "csrf");
    let page = assessor.post_multipart("/whatif", &[("csrf", &csrf), ("year", "2025")], &[("rulebook", "3nian.toml", text.as_bytes())]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("role=\"alert\"") && page.body.contains("[personnel] lookback: "), "{}", page.body);
    assert!(page.body.contains("3年") && page.body.contains("is not a whole number of years, months or days such as"), "{}", page.body);
    let nan = seeds::rulebooks::text(2025).unwrap().replacen("weight = 15.0", "weight = nan", 1);
    let page = assessor.post_multipart("/whatif", &[("csrf", &csrf), ("year", "2025")], &[("rulebook", "nan.toml", nan.as_bytes())]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("indicator commit_ontime: weight must be a positive number, not NaN"), "{}", page.body);
    server.stop().await;

    let path = app.dir.path().join("3nian.toml");
    std::fs::write(&path, &text).unwrap();
    let expected = "[personnel] lookback: \"3年\" is not a whole number of years, months or days such as \"3y\", \"6m\" or \"180d\" (line ";
    for args in [vec!["rulebook", "check", path.to_str().unwrap()], vec!["whatif", "--year", "2025", "--rulebook", path.to_str().unwrap()]] {
        let out = zhengxin(&app, &args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: the work failed, not a panic (101): {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
});
