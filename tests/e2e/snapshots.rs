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
    assert_eq!(first.read_from, InputSource::Snapshot, "the import left the year's snapshot");
    assert_eq!(snapshot_keys(&app).len(), 1);
    // The content hash covers every unit's and indicator's row, the
    // findings and the inputs' digest: the same hash is the same result.
    assert_eq!(total(&app, &first, "330381").await, (78.25, true));

    // Without the year's snapshot, its tickets come from the import's
    // segment and the rest from the database: the same result.
    let key = snapshot_keys(&app).remove(0);
    let year = app.db.snapshots().unwrap().join("2025");
    std::fs::remove_dir_all(&year).unwrap();
    let segments = score(&app).await;
    assert_eq!(segments.read_from, InputSource::Segments);
    assert!(!segments.created);
    assert_eq!(segments.version.content_hash, first.version.content_hash);
    assert_eq!(segments.version.inputs_digest, first.version.inputs_digest);
    assert_eq!(snapshot_keys(&app), vec![key.clone()], "that reading wrote the snapshot again");

    // Without segments or snapshot: all from the database, the same again.
    std::fs::remove_dir_all(app.db.snapshots().unwrap()).unwrap();
    let database = score(&app).await;
    assert_eq!(database.read_from, InputSource::Database);
    assert_eq!(database.version.content_hash, first.version.content_hash);
    assert_eq!(score(&app).await.read_from, InputSource::Snapshot);

    // A damaged snapshot is passed over: the database is read again, and
    // gives the same result.
    let hotline = year.join(&key).join("hotline-0.parquet");
    std::fs::write(&hotline, b"PAR1 not parquet").unwrap();
    let damaged = score(&app).await;
    assert_eq!(damaged.read_from, InputSource::Database);
    assert_eq!(damaged.version.content_hash, first.version.content_hash);
    // It was removed and written again from the database.
    assert_eq!(score(&app).await.read_from, InputSource::Snapshot);

    // Damaged inside, its footer whole: the reading opens it (footer and
    // row count) and leaves its pages to the engine, which fails on them.
    // The snapshot is then removed and the year scored from the database.
    let hotline = year.join(snapshot_keys(&app).remove(0)).join("hotline-0.parquet");
    let mut bytes = std::fs::read(&hotline).unwrap();
    let n = bytes.len();
    bytes[4..n / 2].fill(0xff);
    std::fs::write(&hotline, &bytes).unwrap();
    let inside = score(&app).await;
    assert_eq!(inside.read_from, InputSource::Database);
    assert_eq!(inside.version.content_hash, first.version.content_hash);
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
    assert_eq!(imported.read_from, InputSource::Snapshot, "the import left the new state's snapshot");
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
    assert_eq!(voided.read_from, InputSource::Segments, "the decision changed the key");
    assert!(!total(&app, &voided, "330381").await.1, "the veto is lifted");

    // A credit repair: 龙湾区's court listing (X2025-002) re-imported as
    // rectified before its deadline: it costs 5 points (its base) instead
    // of 10 (doubled for lateness), so 10 of the 15 remain instead of 5.
    let before = total(&app, &voided, "330303").await.0;
    let repaired = example("dishonesty.csv").replace("2025-05-31,2025-07-15", "2025-05-31,2025-05-20");
    let report = app.import_files(&[("dishonesty.csv", repaired.as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    let after = score(&app).await;
    assert_eq!(after.read_from, InputSource::Snapshot, "the import left the new state's snapshot");
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

e2e!(an_import_leaves_the_years_it_changed_ready_to_score, |app| {
    app.import_examples().await;
    let first = score(&app).await;
    assert_eq!(first.read_from, InputSource::Snapshot, "the examples' tickets are of 2025");
    let report = app.import_files(&[("ratings.csv", "unit_code,year,score\n330302,2025,60\n".as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    let after = score(&app).await;
    assert_eq!(after.read_from, InputSource::Snapshot, "the import wrote the new state's snapshot");
    assert!(after.created);
    assert!(total(&app, &after, "330302").await.0 < total(&app, &first, "330302").await.0);
    assert_eq!(snapshot_keys(&app).len(), 1);

    // An import of another year's tickets makes that year ready too.
    let ticket = "id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat\n\
                  H2026-1,330302,2026-02-01 09:00:00,2026-02-06 09:00:00,,complaint,false,false,,false\n";
    let report = app.import_files(&[("hotline.csv", ticket.as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    let next = scoring::load::current(&app.db, 2026).await.expect("read");
    assert_eq!(next.source, InputSource::Snapshot);
    assert_eq!(next.inputs.hotline.height(), 1);
});

/// Hotline rows `ids` as a file: ticket `i` is of 330302, 330303 or
/// 330381 by `i % 3`, received in 2024 for odd `i` (2025 for even) unless
/// `moved`, and verified when `verified`.
fn tickets_file(ids: std::ops::RangeInclusive<u32>, moved: impl Fn(u32) -> bool, verified: impl Fn(u32) -> bool) -> String {
    let mut out = String::from("id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat\n");
    for i in ids {
        let unit = ["330302", "330303", "330381"][(i % 3) as usize];
        let year = if (i % 2 == 1) != moved(i) { 2024 } else { 2025 };
        let (month, day, hour) = (1 + i % 12, 1 + i % 28, i % 24);
        let closed = if i % 4 == 0 { String::new() } else { format!("{year}-{month:02}-{:02} {hour:02}:30:00", (day + 2).min(28)) };
        let satisfaction = ["satisfied", "unsatisfied", ""][(i % 3) as usize];
        out += &format!(
            "T{i:04},{unit},{year}-{month:02}-{day:02} {hour:02}:05:00,{year}-{month:02}-{:02} {hour:02}:05:00,{closed},complaint,{},{},{satisfaction},{}\n",
            (day + 1).min(28),
            u8::from(i % 5 == 0),
            u8::from(verified(i)),
            u8::from(i % 7 == 0),
        );
    }
    out
}

// An import's segments give a year's tickets exactly as the database
// does, row for row, through changed tickets, tickets moved to another
// year, a voided one and a refused import; and what scoring reads from
// them (with the smaller tables from the database) is the database's
// reading, frame for frame.
e2e!(segments_give_exactly_the_tickets_the_database_gives, |app| {
    app.import_examples().await;
    let first = tickets_file(1..=300, |_| false, |i| i % 3 == 0);
    let report = app.import_files(&[("hotline-a.csv", first.as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    // Changed: T0001–T0020 verified flipped, T0021–T0030 moved to the other
    // year; new: T0301–T0320; the rest as they were.
    let second = tickets_file(1..=320, |i| (21..=30).contains(&i), |i| (i % 3 == 0) != (i <= 20));
    let report = app.import_files(&[("hotline-b.csv", second.as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    let counts = report.files[0].counts.clone().unwrap();
    assert_eq!((counts.inserted, counts.updated, counts.unchanged), (20, 30, 270));
    // A refused import leaves no segment behind.
    // (Its last row is bad: the rows before it were written, and removed.)
    let bad = tickets_file(401..=900, |_| false, |_| true) + "T9999,330302,not a time,2025-01-01 00:00:00,,complaint,0,0,,0\n";
    assert!(!app.import_files(&[("hotline-c.csv", bad.as_bytes())]).await.ok);
    // An objection voids T0003 (330302's, 2024).
    let unit = User { id: 0, username: "lucheng".into(), role: Role::Unit, unit_code: Some("330302".into()) };
    let assessor = User { id: 0, username: "assessor".into(), role: Role::Assessor, unit_code: None };
    let id = server::objections::file(&app.db, &unit, "hotline", "T0003", "重复派单").await.unwrap();
    server::objections::decide(&app.db, &assessor, id, true, "属实").await.unwrap();

    let folder = app.db.snapshots().unwrap().to_path_buf();
    let mut segments: Vec<String> = std::fs::read_dir(folder.join("segments")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    segments.sort();
    assert_eq!(segments.len(), 3, "the examples' and the two imports' batches, nothing of the refused one: {segments:?}");
    for year in [2024, 2025] {
        let _ = std::fs::remove_dir_all(folder.join(year.to_string()));
        let loaded = scoring::load::current(&app.db, year).await.unwrap();
        assert_eq!(loaded.source, InputSource::Segments, "{year}");
        let database = scoring::load::inputs(&app.db, year).await.unwrap();
        for source in analytics::inputs::SOURCES {
            assert!(loaded.inputs.frame(source).unwrap().equals_missing(&database.frame(source).unwrap()), "{year} {source}");
        }
        assert_eq!(loaded.digest, scoring::digest::digest(&database).unwrap(), "{year}");
        let hotline = loaded.inputs.hotline.frame().unwrap();
        // 150 a year from the first file; five moved each way; ten new a
        // year; and the examples' five 2025 tickets.
        assert_eq!(hotline.height(), if year == 2024 { 160 } else { 165 }, "{year}");
        let voided: Vec<bool> = hotline.column("voided").unwrap().bool().unwrap().iter().map(|v| v.unwrap()).collect();
        assert_eq!(voided.iter().filter(|v| **v).count(), usize::from(year == 2024), "{year}: T0003 is voided");
    }
});
