//! What-if under another rulebook (robustness.md §2), on both back-ends:
//! the same rulebook changes nothing; an edited one gives exactly what a
//! real scoring under it gives, and nothing is stored; a rulebook that does
//! not check is refused in place with the reason. The form: prefilled from
//! the chosen version's stored rulebook (default: the latest published),
//! one changed weight moves totals and ranks exactly as the method's
//! formula says, a value that cannot be used is refused in place (422),
//! named in words.

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
    let versions = || async { server::db::results::versions(&app.db, 2025).await.unwrap() };
    let before = versions().await;
    assert_eq!(before.len(), 1, "the what-if stored nothing");
    let rules = analytics::rulebook::Rulebook::parse(&text).unwrap();
    let stored = server::scoring::stored::load(&app.db, &before[0]).await.unwrap();
    let answer = server::scoring::whatif::whatif(&app.db, &stored, rules.clone()).await.unwrap();
    assert!(!answer.data_changed);
    let scored = server::scoring::score(&app.db, 2025, Some(before[0].as_of), Some(rules), "test").await.unwrap();
    let rows = server::scoring::stored::rows(&app.db, scored.version.id).await.unwrap();
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
    assert!(page.body.contains("指标「承诺按期兑现率」的权重（commit_ontime.weight）：应为大于 0 的数，现为 NaN"), "{}", page.body);
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

/// The form's number fields on a page, as (name, value), in page order.
fn form_values(body: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| {
        let marker = format!("{name}=\"");
        let start = tag.find(&marker).unwrap() + marker.len();
        tag[start..start + tag[start..].find('"').unwrap()].to_string()
    };
    body.split("<input ")
        .skip(1)
        .map(|rest| &rest[..rest.find('>').unwrap()])
        .filter(|tag| tag.contains("inputmode=\"decimal\""))
        .map(|tag| (attribute(tag, "name"), attribute(tag, "value")))
        .collect()
}

/// Posts the form of `page` with `changes` made, as a browser would.
async fn post_form(b: &Browser, page: &str, changes: &[(&str, &str)], lang: Option<&str>) -> crate::web::Page {
    let mut fields: Vec<(String, String)> = form_values(page);
    for (name, value) in changes {
        fields.iter_mut().find(|(n, _)| n == name).unwrap_or_else(|| panic!("the form has {name}")).1 = value.to_string();
    }
    for hidden_field in ["csrf", "year", "version"] {
        fields.push((hidden_field.into(), hidden(page, hidden_field)));
    }
    fields.extend(lang.map(|l| ("lang".to_string(), l.to_string())));
    let form: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    b.post("/whatif/rules", &form, None).await
}

/// The cells of each unit's row of the comparison: name → its cells'
/// text (group; stored total, rank, grade; total, rank, grade; change).
fn compared_rows(body: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let section = &body[body.find("<section id=\"whatif-result\">").expect("a comparison")..];
    let section = &section[..section.find("</section>").unwrap()];
    let tbody = &section[section.find("<tbody>").unwrap()..];
    tbody
        .split("<tr>")
        .skip(1)
        .map(|row| {
            let cell = |c: &str| c[c.find('>').unwrap() + 1..c.find("</").unwrap()].replace("<strong>", "");
            let name = cell(&row[row.find("<th").unwrap()..]);
            let cells = row.split("<td").skip(1).map(cell).collect();
            (name, cells)
        })
        .collect()
}

e2e!(the_form_is_prefilled_from_the_chosen_versions_stored_rulebook_the_latest_published_by_default, |app| {
    let server = site(&app).await;
    // Version 2, not published, under a rulebook that differs from the
    // shipped file in its title and one weight.
    let mut rules = seeds::rulebooks::for_year(2025).unwrap();
    rules.title = "2025年度考核细则（征求意见稿）".into();
    rules.indicators.iter_mut().find(|r| r.id == "hotline_repeat").unwrap().weight = 4.0;
    let v1 = server::db::results::versions(&app.db, 2025).await.unwrap()[0].clone();
    server::scoring::score(&app.db, 2025, Some(v1.as_of), Some(rules), "test").await.unwrap();

    let leader = Browser::signed_in(&server, "leader").await;
    let page = leader.get("/whatif?year=2025").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<option value=\"1\" selected>第 1 版 · 已发布"), "the latest published is the default: {}", page.body);
    assert!(page.body.contains("<option value=\"2\">第 2 版 · 未发布"), "{}", page.body);
    assert!(page.body.contains("第 1 版采用的规则：<strong>《2025年度温州市政务诚信考核细则》</strong>（2025 年度）"), "{}", page.body);
    let values = form_values(&page.body);
    assert_eq!(values.len(), analytics::edits::keys(&seeds::rulebooks::for_year(2025).unwrap()).len());
    assert!(values.contains(&("hotline_repeat.weight".into(), "3".into())) && values.contains(&("public_rating.bad".into(), "60".into())));
    assert!(page.body.contains("承诺按期兑现率") && page.body.contains("践诺履约"));

    let chosen = leader.get("/whatif?year=2025&version=2").await;
    assert!(chosen.body.contains("第 2 版采用的规则：<strong>《2025年度考核细则（征求意见稿）》</strong>"), "the version's own rulebook: {}", chosen.body);
    assert!(form_values(&chosen.body).contains(&("hotline_repeat.weight".into(), "4".into())));
    assert!(leader.get("/whatif?year=2025&version=2&lang=en").await.body.contains("Version 2 was computed under"));

    // Sent back unchanged, the form changes nothing.
    let same = post_form(&leader, &page.body, &[], None).await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.body);
    assert!(same.body.contains("与 未作改动的规则") && same.body.contains("8 个单位中 0 个的名次或等次有变化"), "{}", same.body);
    for (name, cells) in compared_rows(&same.body) {
        assert_eq!((&cells[1], &cells[2]), (&cells[4], &cells[5]), "{name}: total and rank");
    }
    server.stop().await;
});

e2e!(one_changed_weight_moves_totals_and_ranks_as_the_method_says_and_stores_nothing, |app| {
    let server = site(&app).await;
    let assessor = Browser::signed_in(&server, "assessor").await;
    let form = assessor.get("/whatif?year=2025").await.body;
    let page = post_form(&assessor, &form, &[("public_rating.weight", "30")], None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("修改后的规则（改动 1 处）") && page.body.contains("指标「万人评议」的权重：10 → 30"), "{}", page.body);
    assert!(page.body.contains("name=\"public_rating.weight\" value=\"30\"") && page.body.contains("原 10"), "the form keeps the value");

    // By hand, from the stored points (assessment-method.md §3, §5): a
    // linear indicator's points scale with its weight, base = 100 × Σ s /
    // Σ w over the applicable indicators, total = round(base + bonus, 2);
    // competition ranks within the group among graded units.
    let versions = server::db::results::versions(&app.db, 2025).await.unwrap();
    assert_eq!(versions.len(), 1, "nothing stored");
    let stored = server::scoring::stored::rows(&app.db, versions[0].id).await.unwrap();
    let total = |code: &str, factor: f64| {
        let (mut s, mut w) = (0.0, 0.0);
        for i in stored.indicators.iter().filter(|i| i.unit_code == code && i.applicable) {
            let f = if i.indicator == "public_rating" { factor } else { 1.0 };
            s += i.points.unwrap() * f;
            w += i.weight * f;
        }
        let unit = stored.units.iter().find(|u| u.unit_code == code).unwrap();
        ((100.0 * s / w + unit.bonus) * 100.0).round() / 100.0
    };
    for u in &stored.units {
        assert_eq!(format!("{:.2}", total(&u.unit_code, 1.0)), format!("{:.2}", u.total), "{}: the formula gives the stored total", u.unit_code);
    }
    let rows = compared_rows(&page.body);
    let mut moved = 0;
    for u in &stored.units {
        let expected = total(&u.unit_code, 3.0);
        let rank = u.rank.map(|_| 1 + stored.units.iter().filter(|o| o.group == u.group && o.rank.is_some() && total(&o.unit_code, 3.0) > expected).count());
        let cells = &rows[&u.unit_name];
        assert_eq!(cells[4], format!("{expected:.2}"), "{}: total under weight 30", u.unit_name);
        assert_eq!(cells[5], rank.map_or("–".to_string(), |r| r.to_string()), "{}: rank under weight 30", u.unit_name);
        moved += usize::from(expected != u.total);
    }
    assert!(moved > 0, "the weight matters for some unit");
    server.stop().await;
});

e2e!(a_value_that_cannot_be_used_is_refused_in_place_naming_the_indicator_in_chinese_or_english, |app| {
    let server = site(&app).await;
    let assessor = Browser::signed_in(&server, "assessor").await;
    let form = assessor.get("/whatif?year=2025").await.body;
    let page = post_form(&assessor, &form, &[("commit_ontime.weight", "abc"), ("hotline_ontime.good", "0.85"), ("grades.good", "92")], None).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("role=\"alert\"") && !page.body.contains("whatif-result"), "{}", page.body);
    for message in ["指标「承诺按期兑现率」的权重：应为数，现为「abc」", "指标「热线按期办结率」的满分值：与零分值相同（都是 0.85），线性计分无法计算", "良好分数线：应低于优秀分数线 90，现为 92"] {
        assert!(page.body.contains(message), "{message}: {}", page.body);
    }
    assert!(page.body.contains("name=\"commit_ontime.weight\" value=\"abc\""), "the form keeps what was typed");
    let english = post_form(&assessor, &form, &[("public_rating.weight", "0")], Some("en")).await;
    assert_eq!(english.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(english.body.contains("The weight of “Public rating”: must be above 0 and at most 100, not 0"), "{}", english.body);
    // Without the page's token, nothing is tried.
    let forged = assessor.post("/whatif/rules", &[("year", "2025"), ("public_rating.weight", "30")], None).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert_eq!(server::db::results::versions(&app.db, 2025).await.unwrap().len(), 1, "nothing stored");
    server.stop().await;
});
