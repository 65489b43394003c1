//! Imports written in steps: other writers get in while a long import
//! writes, readers see an import whole or not at all, what a failed or
//! killed import wrote goes away, and one import runs at a time in any
//! process.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use server::db::claims::{self, Origin};
use server::import::{self, ImportError};

use crate::e2e;
use crate::support::{TestApp, example};
use crate::trust::execute;

/// A hotline file of `rows` valid tickets of the example units.
fn hotline(rows: usize) -> Vec<u8> {
    let mut out = String::from("id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat\n");
    let units = ["330302", "330303", "330381", "330302006"];
    for i in 0..rows {
        let day = 1 + i % 27;
        out.push_str(&format!(
            "HS{i:08},{},2025-04-{day:02} 09:00,2025-04-{day:02} 18:00,2025-04-{day:02} 12:00,complaint,0,0,satisfied,0\n",
            units[i % units.len()]
        ));
    }
    out.into_bytes()
}

/// What readers see of the hotline: the visible tickets and the inputs'
/// fingerprint.
async fn seen(app: &TestApp) -> (i64, String) {
    (
        app.db.count_records("hotline_tickets").await.unwrap(),
        server::scoring::load::fingerprint(&app.db).await.unwrap(),
    )
}

e2e!(writers_get_in_while_a_long_import_writes_and_readers_see_it_whole_or_not_at_all, |app| {
    app.import_examples().await;
    let before = seen(&app).await;
    let stop = Arc::new(AtomicBool::new(false));
    // A writer that takes the writer lock over and over and notes each
    // time the lock was its own while the import's batch was pending: that
    // is, in the middle of the import. Holding the lock for the whole
    // import, as imports did before, this never happens.
    let mid_import = Arc::new(AtomicU64::new(0));
    let writer = tokio::spawn({
        let (db, stop, mid_import) = (app.db.clone(), stop.clone(), mid_import.clone());
        async move {
            while !stop.load(Ordering::Relaxed) {
                let mut tx = db.begin_write().await.unwrap();
                let pending: i64 = server::on_tx!(&mut tx, conn => {
                    sqlx::query_scalar("SELECT COUNT(*) FROM import_batches WHERE state = 'pending'").fetch_one(conn).await.unwrap()
                });
                tx.commit().await.unwrap();
                if pending > 0 {
                    mid_import.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    });
    // A reader that must only ever see the data before or after.
    let views = tokio::spawn({
        let (db, stop) = (app.db.clone(), stop.clone());
        async move {
            let mut views = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let count = db.count_records("hotline_tickets").await.unwrap();
                let fingerprint = server::scoring::load::fingerprint(&db).await.unwrap();
                views.push((count, fingerprint));
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            views
        }
    });
    let report = app.import_files(&[("hotline-long.csv", &hotline(200_000))]).await;
    assert!(report.ok, "{}", report.human());
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    let views = views.await.unwrap();
    let after = seen(&app).await;
    assert_eq!(after.0, before.0 + 200_000);
    assert!(mid_import.load(Ordering::Relaxed) > 0, "no writer got the lock while the import wrote");
    for (count, fingerprint) in &views {
        assert!(*count == before.0 || *count == after.0, "a reader saw part of the import: {count} tickets");
        assert!(*fingerprint == before.1 || *fingerprint == after.1, "a reader saw an unknown fingerprint");
    }
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM import_batches WHERE state = 'pending'").await,
        "0"
    );
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM running_jobs").await, "0", "the claim was let go");
});

e2e!(a_long_import_refused_at_its_last_row_leaves_nothing, |app| {
    app.import_examples().await;
    let before = app.fingerprint().await;
    let mut file = hotline(150_000);
    file.extend_from_slice(b"HS-BAD,330302,not a time,2025-04-01 18:00,,complaint,0,0,satisfied,0\n");
    let report = app.import_files(&[("hotline-long.csv", &file)]).await;
    assert!(!report.ok);
    assert_eq!(report.error_count, 1, "{}", report.human());
    assert_eq!(app.fingerprint().await, before, "the steps already written were taken away");
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM import_batches WHERE state = 'pending'").await,
        "0"
    );
});

/// This machine (and process-id namespace) as claims record it.
fn host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let namespace = std::fs::read_link("/proc/self/ns/pid").unwrap();
    format!("{}/{}", name.trim(), namespace.to_string_lossy()).replace(':', "_")
}

e2e!(what_a_killed_import_left_is_never_read_and_the_next_import_removes_it, |app| {
    app.import_examples().await;
    let before = app.fingerprint().await;
    let seen_before = seen(&app).await;
    let inputs_before = format!("{:?}", server::db::inputs::records(&app.db, 2025, None).await.unwrap().0.commitments);
    // What an import killed mid-way leaves: its pending batch, a new
    // record under it, a changed record waiting, and its claim, held by a
    // process of this machine that no longer exists.
    execute(&app, "INSERT INTO import_batches (source, file_name, content_hash, rows_total, rows_inserted, rows_updated, rows_unchanged, actor, imported_at, state) VALUES ('commitments', 'killed.csv', 'x', 0, 0, 0, 0, 'test', '2025-12-01 10:00:00', 'pending')").await;
    let batch = app.scalar("SELECT CAST(id AS TEXT) FROM import_batches WHERE state = 'pending'").await;
    execute(&app, &format!("INSERT INTO commitments (id, unit_code, category, title, made_on, due_on, status, fulfilled_on, batch_id) VALUES ('C-KILLED', '330302', 'policy', 'killed', '2025-01-01', '2025-06-30', 'overdue', NULL, {batch})")).await;
    execute(
        &app,
        &format!("INSERT INTO import_pending_updates (batch_id, seq, row_json) VALUES ({batch}, 1, '[]')"),
    )
    .await;
    execute(&app, &format!("INSERT INTO hotline_tickets (id, unit_code, received_at, due_at, closed_at, category, integrity_related, verified, satisfaction, is_repeat, batch_id) VALUES ('H-KILLED', '330302', '2025-05-01 09:00:00', '2025-05-02 09:00:00', NULL, 'complaint', FALSE, FALSE, NULL, FALSE, {batch})")).await;
    let holder = format!("{}:4194305:0:0", host());
    execute(&app, &format!("INSERT INTO running_jobs (subject, title, started_by, origin, holder, started_at, renewed_at) VALUES ('import', 'an import', 'test', 'cli', '{holder}', '2099-01-01 00:00:00', '2099-01-01 00:00:00')")).await;

    // Nobody reads it: counts, fingerprint, scoring's records, a record
    // looked up by id, an objection filed against it.
    assert_eq!(seen(&app).await, seen_before);
    let inputs = format!("{:?}", server::db::inputs::records(&app.db, 2025, None).await.unwrap().0.commitments);
    assert_eq!(inputs, inputs_before);
    assert!(
        server::db::records::by_ids(&app.db, &server::sources::COMMITMENTS, &["C-KILLED".into()])
            .await
            .unwrap()
            .is_empty()
    );
    let unit = server::auth::User {
        id: 0,
        username: "lucheng".into(),
        role: server::auth::Role::Unit,
        unit_code: Some("330302".into()),
    };
    let filed = server::objections::file(&app.db, &unit, "commitments", "C-KILLED", "never seen").await;
    assert!(matches!(filed, Err(server::objections::ObjectionError::NotFound)), "{filed:?}");

    // The claim's holder is gone, so the next import goes ahead at once
    // and first takes the leftovers away.
    let report = app.import_files(&[("commitments.csv", example("commitments.csv").as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    assert_eq!(
        app.fingerprint().await,
        before,
        "a re-import of the same file over the leftovers equals the state before"
    );
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM import_pending_updates").await, "0");
});

e2e!(one_import_runs_at_a_time_and_the_refused_one_names_the_running_one, |app| {
    let held = claims::claim(&app.db, import::CLAIM, "an import", "someone", Origin::Web)
        .await
        .unwrap()
        .unwrap();
    let (inputs, issues) = import::collect(&app.write_files(&[("units.csv", example("units.csv").as_bytes())]), None);
    let refused = import::import(&app.db, inputs.clone(), issues.clone(), "test", Origin::CommandLine, Arc::new(|_| {})).await;
    let Err(ImportError::Busy(running)) = refused else { panic!("{refused:?}") };
    assert_eq!((running.started_by.as_str(), running.origin.as_str()), ("someone", "web"));
    assert!(running.to_string().contains("started by someone on the web"), "{running}");
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM units").await, "0", "nothing written");
    // The command line says the same, and exits 1.
    let path = app.write_files(&[("units.csv", example("units.csv").as_bytes())]);
    let out = crate::cli::zhengxin(&app, &["import", path[0].to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("an import is running, started by someone on the web"),
        "{out:?}"
    );

    held.release().await.unwrap();
    let report = import::import(&app.db, inputs.clone(), issues.clone(), "test", Origin::CommandLine, Arc::new(|_| {}))
        .await
        .unwrap();
    assert!(report.ok);

    // A claim its holder stopped renewing (on another machine) lapses.
    execute(&app, "INSERT INTO running_jobs (subject, title, started_by, origin, holder, started_at, renewed_at) VALUES ('import', 'an import', 'elsewhere', 'web', 'other-host:1:0:0', '2020-01-01 00:00:00', '2020-01-01 00:00:00')").await;
    let report = import::import(&app.db, inputs, issues, "test", Origin::CommandLine, Arc::new(|_| {}))
        .await
        .unwrap();
    assert!(report.ok);
});

e2e!(a_scoring_started_on_the_web_is_seen_by_the_command_line, |app| {
    app.import_examples().await;
    let held = claims::claim(&app.db, "score:2025", "a scoring of 2025", "assessor", Origin::Web)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claims::running(&app.db).await.unwrap().len(), 1);
    let out = crate::cli::zhengxin(&app, &["score", "--year", "2025"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("a scoring of 2025 is running, started by assessor on the web"),
        "{out:?}"
    );
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM result_versions").await, "0");
    held.release().await.unwrap();
    assert!(claims::running(&app.db).await.unwrap().is_empty());
    let out = crate::cli::zhengxin(&app, &["score", "--year", "2025"]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
});

e2e!(the_import_page_shows_an_import_running_from_the_command_line, |app| {
    let server = crate::web::site(&app).await;
    let b = crate::web::Browser::signed_in(&server, "assessor").await;
    assert!(!b.get("/import?lang=en").await.body.contains("an import is running"));
    let held = claims::claim(&app.db, import::CLAIM, "an import", "etl", Origin::CommandLine).await.unwrap().unwrap();
    let page = b.get("/import?lang=en").await;
    assert!(page.body.contains("an import is running, started by etl from the command line"), "{}", page.body);
    assert!(b.get("/import").await.body.contains("另一个导入正在进行（etl，命令行于"));
    held.release().await.unwrap();
    assert!(!b.get("/import?lang=en").await.body.contains("an import is running"));
    server.stop().await;
});

e2e!(a_killed_import_of_new_units_and_their_records_is_removed_records_first, |app| {
    app.import_examples().await;
    let before = app.fingerprint().await;
    // Two files of one killed import: a new county (first batch) and a
    // commitment of it (second batch). The unit can only go after the
    // commitment that names it.
    let pending = |source: &str| format!("INSERT INTO import_batches (source, file_name, content_hash, rows_total, rows_inserted, rows_updated, rows_unchanged, actor, imported_at, state) VALUES ('{source}', 'killed.csv', 'x', 0, 0, 0, 0, 'test', '2025-12-01 10:00:00', 'pending')");
    execute(&app, &pending("units")).await;
    let units = app.scalar("SELECT CAST(MAX(id) AS TEXT) FROM import_batches").await;
    execute(&app, &format!("INSERT INTO units (code, name, grp, parent_code, batch_id) VALUES ('339999', '新县', 'county', NULL, {units})")).await;
    execute(&app, &pending("commitments")).await;
    let commitments = app.scalar("SELECT CAST(MAX(id) AS TEXT) FROM import_batches").await;
    execute(&app, &format!("INSERT INTO commitments (id, unit_code, category, title, made_on, due_on, status, fulfilled_on, batch_id) VALUES ('C-NEW', '339999', 'policy', 'new', '2025-01-01', '2025-06-30', 'overdue', NULL, {commitments})")).await;
    assert_eq!(server::import::recover(&app.db).await.unwrap(), 2);
    assert_eq!(app.fingerprint().await, before);

    // Removing never touches a finished batch's rows, whatever it is asked.
    let done = app.scalar("SELECT CAST(MIN(id) AS TEXT) FROM import_batches WHERE state = 'done'").await.parse::<i64>().unwrap();
    server::db::batches::remove_pending(&app.db, &[done]).await.unwrap();
    assert_eq!(app.fingerprint().await, before);
});
