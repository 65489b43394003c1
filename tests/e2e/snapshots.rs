//! Columnar snapshots (`server::snapshot`): scoring from a snapshot gives
//! exactly what scoring from the database gives, and a changed record (an
//! import, an objection decision, a credit repair) never scores from an
//! old snapshot, on both back-ends.

use server::auth::{Role, User};
use server::scoring::load::InputSource;
use server::scoring;

use crate::e2e;
use crate::support::{TestApp, example};

const ACTOR: &str = "test";

async fn score(app: &TestApp) -> scoring::ScoreOutcome {
    scoring::score(&app.db, 2025, None, None, ACTOR).await.expect("scored")
}

async fn total(app: &TestApp, outcome: &scoring::ScoreOutcome, code: &str) -> (f64, bool) {
    let rows = scoring::stored::rows(&app.db, outcome.version.id).await.unwrap();
    let u = rows.units.into_iter().find(|u| u.unit_code == code).expect("a result");
    (u.total, u.vetoed)
}

/// The year's snapshot folders (one per key written and kept).
fn snapshot_keys(app: &TestApp) -> Vec<String> {
    let year = app.db.snapshots().expect("tests keep snapshots").join("2025");
    let mut keys: Vec<String> = std::fs::read_dir(year)
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

e2e!(a_snapshot_scores_exactly_as_the_database_does, |app| {
    app.import_examples().await;
    let first = score(&app).await;
    assert_eq!(first.read_from, InputSource::Database, "no snapshot yet");
    assert_eq!(snapshot_keys(&app).len(), 1, "the reading wrote one");
    let again = score(&app).await;
    assert_eq!(again.read_from, InputSource::Snapshot);
    // The content hash covers every unit's and indicator's row, the
    // findings and the inputs' digest: the same hash is the same result.
    assert!(!again.created);
    assert_eq!(again.version.content_hash, first.version.content_hash);
    assert_eq!(again.version.inputs_digest, first.version.inputs_digest);
    assert_eq!(total(&app, &again, "330381").await, (78.25, true));

    // A damaged snapshot is passed over: the database is read again, and
    // gives the same result.
    let key = snapshot_keys(&app).remove(0);
    let hotline = app.db.snapshots().unwrap().join("2025").join(&key).join("hotline.parquet");
    std::fs::write(&hotline, b"PAR1 not parquet").unwrap();
    let damaged = score(&app).await;
    assert_eq!(damaged.read_from, InputSource::Database);
    assert_eq!(damaged.version.content_hash, first.version.content_hash);
    // It was removed and written again from the database.
    assert_eq!(score(&app).await.read_from, InputSource::Snapshot);
});

e2e!(a_changed_record_never_scores_from_an_old_snapshot, |app| {
    app.import_examples().await;
    let first = score(&app).await;
    assert_eq!(score(&app).await.read_from, InputSource::Snapshot);
    let old_keys = snapshot_keys(&app);

    // An import that changes a record.
    let report = app.import_files(&[("ratings.csv", "unit_code,year,score\n330302,2025,60\n".as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    let imported = score(&app).await;
    assert_eq!(imported.read_from, InputSource::Database, "the import changed the key");
    assert!(imported.created);
    assert!(total(&app, &imported, "330302").await.0 < total(&app, &first, "330302").await.0);
    assert_eq!(score(&app).await.read_from, InputSource::Snapshot);
    let keys = snapshot_keys(&app);
    assert_eq!(keys.len(), 1, "the old snapshot is removed: {keys:?}");
    assert_ne!(keys, old_keys);

    // An objection accepted by an assessor voids the court listing that
    // vetoed 瑞安市.
    let unit = User { id: 0, username: "ruian".into(), role: Role::Unit, unit_code: Some("330381".into()) };
    let assessor = User { id: 0, username: "assessor".into(), role: Role::Assessor, unit_code: None };
    let id = server::objections::file(&app.db, &unit, "dishonesty", "X2025-003", "已于期限前履行").await.unwrap();
    assert_eq!(score(&app).await.read_from, InputSource::Snapshot, "a filed objection changes nothing yet");
    server::objections::decide(&app.db, &assessor, id, true, "法院已撤销失信名单").await.unwrap();
    let voided = score(&app).await;
    assert_eq!(voided.read_from, InputSource::Database);
    assert!(!total(&app, &voided, "330381").await.1, "the veto is lifted");

    // A credit repair: 龙湾区's court listing (X2025-002) re-imported as
    // rectified before its deadline: it costs 5 points (its base) instead
    // of 10 (doubled for lateness), so 10 of the 15 remain instead of 5.
    let before = total(&app, &voided, "330303").await.0;
    let repaired = example("dishonesty.csv").replace("2025-05-31,2025-07-15", "2025-05-31,2025-05-20");
    let report = app.import_files(&[("dishonesty.csv", repaired.as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    let after = score(&app).await;
    assert_eq!(after.read_from, InputSource::Database);
    assert!(total(&app, &after, "330303").await.0 > before);
    let rows = scoring::stored::rows(&app.db, after.version.id).await.unwrap();
    let points = rows.indicators.iter().find(|r| r.unit_code == "330303" && r.indicator == "dishonesty").unwrap().points;
    assert_eq!(points, Some(10.0));
});

e2e!(an_explanation_reads_the_same_from_the_snapshot_and_the_database, |app| {
    app.import_examples().await;
    let outcome = score(&app).await;
    let stored = scoring::stored::load(&app.db, &outcome.version).await.unwrap();
    for unit in ["330302", "330381", "330302006", "D010"] {
        // The snapshot the scoring wrote: only the unit's records are read.
        let from_snapshot = scoring::explain::unit(&app.db, &stored, unit, None).await.unwrap();
        std::fs::remove_dir_all(app.db.snapshots().unwrap()).unwrap();
        let from_database = scoring::explain::unit(&app.db, &stored, unit, None).await.unwrap();
        assert_eq!(snapshot_keys(&app).len(), 1, "reading the database wrote the snapshot again");
        let json = |e: &scoring::explain::UnitExplanation| serde_json::to_value(e).unwrap();
        assert_eq!(json(&from_snapshot), json(&from_database), "{unit}");
        assert!(from_snapshot.data_unchanged);
        let counted: usize = from_snapshot.indicators.iter().map(|i| i.counted.as_ref().map_or(0, Vec::len)).sum();
        assert!(counted > 0 || unit == "D010", "{unit} has records behind its indicators");
    }
});

e2e!(a_refresh_after_an_import_brings_snapshotted_years_up_to_date, |app| {
    app.import_examples().await;
    let first = score(&app).await;
    let report = app.import_files(&[("ratings.csv", "unit_code,year,score\n330302,2025,60\n".as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    // What the server does after committing an upload from the web.
    server::scoring::load::refresh_snapshots(&app.db).await;
    let after = score(&app).await;
    assert_eq!(after.read_from, InputSource::Snapshot, "the refresh wrote the new state's snapshot");
    assert!(after.created);
    assert!(total(&app, &after, "330302").await.0 < total(&app, &first, "330302").await.0);
    assert_eq!(snapshot_keys(&app).len(), 1);
});
