//! Importing over existing data: re-imports change nothing, changed values
//! update their record with an audit entry, and personal data in extra
//! columns never reaches storage.

use crate::e2e;
use crate::support::{TestApp, example};

/// Every audit entry: (action, entity, entity_key, detail as JSON).
async fn audit_entries(app: &TestApp) -> Vec<(String, String, String, serde_json::Value)> {
    app.text_rows("SELECT action, entity, entity_key, detail FROM audit_log ORDER BY id")
        .await
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone(), serde_json::from_str(&r[3]).expect("detail is JSON")))
        .collect()
}

/// Each entry names its predecessor's hash.
async fn assert_chain_intact(app: &TestApp) {
    let rows = app.text_rows("SELECT prev_hash, hash FROM audit_log ORDER BY id").await;
    let mut prev = server::db::audit::GENESIS.to_string();
    for r in rows {
        assert_eq!(r[0], prev, "audit chain broken");
        prev = r[1].clone();
    }
}

/// The text of every stored row, including batch metadata, for searching.
async fn everything_stored(app: &TestApp) -> String {
    let mut all = app.fingerprint().await.join("\n");
    for r in app.text_rows("SELECT source, file_name, content_hash, actor FROM import_batches").await {
        all.push_str(&r.join("|"));
    }
    for r in app.text_rows("SELECT actor, detail FROM audit_log").await {
        all.push_str(&r.join("|"));
    }
    all
}

e2e!(reimporting_the_same_files_changes_nothing, |app| {
    let first = app.import_examples().await;
    let before = app.fingerprint().await;
    let second = app.import_examples().await;
    assert_eq!(app.fingerprint().await, before);
    assert_eq!(first.files.len(), second.files.len());
    for (a, b) in first.files.iter().zip(&second.files) {
        let (a, b) = (a.counts.as_ref().unwrap(), b.counts.as_ref().unwrap());
        assert_eq!((b.total, b.inserted, b.updated, b.unchanged), (a.total, 0, 0, a.total));
    }
    assert!(second.files.iter().all(|f| f.batch_id.is_none()));
    assert!(second.human().contains("0 new, 0 updated"), "{}", second.human());
});

e2e!(the_same_data_in_another_spelling_changes_nothing, |app| {
    app.import_examples().await;
    let before = app.fingerprint().await;
    // The units again, as Excel on Chinese Windows would save them: GBK,
    // Chinese headers, Chinese group labels, columns reordered.
    let mut units = String::from("单位名称,单位编码,上级单位编码,考核组别\r\n");
    for line in example("units.csv").lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let group = match f[2] {
            "county" | "县市区" => "县市区",
            "township" | "乡镇街道" => "乡镇街道",
            _ => "市直单位",
        };
        units.push_str(&format!("{},{},{},{}\r\n", f[1], f[0], f[3], group));
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&units);
    let report = app.import_files(&[("单位-重新导出.csv", &gbk)]).await;
    assert!(report.ok, "{}", report.human());
    assert_eq!(report.files[0].counts.as_ref().unwrap().unchanged, 8);
    assert_eq!(app.fingerprint().await, before);
});

e2e!(a_changed_value_updates_the_record_and_is_audited, |app| {
    app.import_examples().await;
    let audit_before = audit_entries(&app).await.len();
    let commitments = example("commitments.csv").replace(
        "C2025-004,330303,livelihood,老旧小区加装电梯,2025-03-01,2025-12-31,pending,",
        "C2025-004,330303,livelihood,老旧小区加装电梯,2025-03-01,2025-12-31,fulfilled,2025-11-20",
    );
    assert_ne!(commitments, example("commitments.csv"));
    let report = app.import_files(&[("commitments.csv", commitments.as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    let counts = report.files[0].counts.as_ref().unwrap();
    assert_eq!((counts.total, counts.inserted, counts.updated, counts.unchanged), (7, 0, 1, 6));
    let batch = report.files[0].batch_id.expect("a batch for a file that changed something");

    assert_eq!(
        app.text_rows("SELECT status, CAST(fulfilled_on AS TEXT), CAST(batch_id AS TEXT) FROM commitments WHERE id = 'C2025-004'")
            .await,
        [["fulfilled".to_string(), "2025-11-20".to_string(), batch.to_string()]]
    );
    // The untouched rows keep the batch that brought them.
    assert_eq!(
        app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM commitments WHERE batch_id = {batch}"))
            .await,
        "1"
    );

    let entries = audit_entries(&app).await;
    let new: Vec<_> = entries[audit_before..].to_vec();
    assert_eq!(new.len(), 2, "{new:?}");
    let (action, entity, key, detail) = &new[0];
    assert_eq!((action.as_str(), entity.as_str(), key.as_str()), ("update", "commitments", "C2025-004"));
    assert_eq!(detail["batch"], batch);
    assert_eq!(
        detail["changes"],
        serde_json::json!({ "status": ["pending", "fulfilled"], "fulfilled_on": [null, "2025-11-20"] })
    );
    let (action, entity, _, detail) = &new[1];
    assert_eq!((action.as_str(), entity.as_str()), ("import", "commitments"));
    assert_eq!(detail["counts"]["updated"], 1);
    assert_chain_intact(&app).await;
});

e2e!(a_renamed_unit_is_updated_and_audited, |app| {
    app.import_examples().await;
    let units = "code,name,group,parent_code\n330303,龙湾区（改）,county,\n";
    let report = app.import_files(&[("units.csv", units.as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    assert_eq!(report.files[0].counts.as_ref().unwrap().updated, 1);
    assert_eq!(app.scalar("SELECT name FROM units WHERE code = '330303'").await, "龙湾区（改）");
    let updates: Vec<_> = audit_entries(&app).await.into_iter().filter(|e| e.0 == "update").collect();
    assert_eq!(updates.len(), 1);
    assert_eq!((updates[0].1.as_str(), updates[0].2.as_str()), ("units", "330303"));
    assert_eq!(updates[0].3["changes"], serde_json::json!({ "name": ["龙湾区", "龙湾区（改）"] }));
    // The new name is the one a unit_name column must now give.
    let ratings = "unit_name,year,score\n龙湾区（改）,2026,80\n";
    let report = app.import_files(&[("ratings.csv", ratings.as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    assert_eq!(app.scalar("SELECT unit_code FROM ratings WHERE year = 2026").await, "330303");
});

e2e!(caller_phone_numbers_in_extra_columns_are_dropped, |app| {
    app.import_examples().await;
    let hotline = |satisfaction: &str, phone: &str| {
        format!(
            "id,来电号码,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat,caller_name\n\
             H-PII-1,{phone},330302,2025-08-01 09:00,2025-08-04 09:00,2025-08-02 15:00,complaint,0,1,{satisfaction},0,王小明\n"
        )
    };
    let report = app.import_files(&[("hotline.csv", hotline("satisfied", "13812345678").as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    assert_eq!(report.warnings.len(), 1);
    let w = &report.warnings[0];
    assert_eq!((w.code, w.row, w.value.as_deref()), ("extra_columns", Some(1), None));
    assert_eq!(w.message, "extra column(s) ignored and not stored: 来电号码, caller_name");
    assert_eq!(app.scalar("SELECT satisfaction FROM hotline_tickets WHERE id = 'H-PII-1'").await, "satisfied");

    // A changed record with another caller: audited, and still no trace.
    let report = app.import_files(&[("hotline.csv", hotline("unsatisfied", "13987654321").as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    assert_eq!(report.files[0].counts.as_ref().unwrap().updated, 1);
    let detail = app
        .scalar("SELECT detail FROM audit_log WHERE action = 'update' AND entity_key = 'H-PII-1'")
        .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&detail).unwrap()["changes"],
        serde_json::json!({ "satisfaction": ["satisfied", "unsatisfied"] })
    );

    let stored = everything_stored(&app).await;
    assert!(stored.contains("H-PII-1"), "the search covers the hotline table");
    for personal in ["13812345678", "13987654321", "王小明"] {
        assert!(!stored.contains(personal), "{personal} was stored");
        assert!(!serde_json::to_string(&report).unwrap().contains(personal), "{personal} is in the report");
    }
});
