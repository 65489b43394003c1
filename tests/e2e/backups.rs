//! Scheduled backups (issue 30 part 2) on both back-ends: taken while
//! serving, verified by restoring each into a scratch database, the newest
//! N kept in the backup directory and in the off-site copy; one that does
//! not verify is kept apart and never counted; and the restore drill: the
//! off-site copy restored into an empty database holds what the live one
//! held, person references readable with the data key.

use std::time::Duration;

use server::backups::{self, Schedule};

use crate::e2e;
use crate::support::TestApp;
use crate::web::site;

fn schedule(app: &TestApp, keep: usize) -> Schedule {
    Schedule {
        every: Duration::from_secs(3600),
        dir: app.dir.path().join("backups"),
        keep,
        copy_to: Some(app.dir.path().join("offsite")),
    }
}

/// `sql` (one text value) on `db`.
async fn scalar(db: &server::db::Db, sql: &str) -> String {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    server::on_db!(db, pool => sqlx::query_scalar::<_, String>(sql).fetch_one(pool).await.unwrap())
}

e2e!(a_scheduled_backup_is_verified_kept_copied_off_site_and_restores, |app| {
    site(&app).await.stop().await;
    let s = schedule(&app, 2);
    let server = app.serve_with(None, |c| c.backups = Some(s.clone())).await;
    // The first is due at once: no backup yet.
    let mut waited = 0;
    while app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action = 'backup_verified'").await == "0" {
        assert!(waited < 120, "no scheduled backup within a minute");
        tokio::time::sleep(Duration::from_millis(500)).await;
        waited += 1;
    }
    server.stop().await;
    let kept = backups::verified(&s.dir);
    let copies = backups::verified(s.copy_to.as_ref().unwrap());
    assert_eq!((kept.len(), copies.len()), (1, 1), "{kept:?} {copies:?}");
    assert_eq!(kept[0].1.file_name(), copies[0].1.file_name());
    assert_eq!(std::fs::read(&kept[0].1).unwrap(), std::fs::read(&copies[0].1).unwrap(), "the off-site copy is the backup");
    let entry = app.scalar("SELECT detail FROM audit_log WHERE action = 'backup_verified'").await;
    let entry: serde_json::Value = serde_json::from_str(&entry).unwrap();
    assert_eq!(entry["unverified"], serde_json::Value::Null);
    assert_eq!(entry["copied"].as_str().unwrap(), copies[0].1.display().to_string());
    // No scratch database is left: no hidden folder, no `_verify` database.
    assert!(std::fs::read_dir(&s.dir).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with('.')));
    if app.backend == crate::support::Backend::Postgres {
        assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM pg_database WHERE datname LIKE '%_verify'").await, "0");
    }

    // The restore drill: the off-site copy into an empty database.
    let target = app.empty_database_url().await;
    let (dir, copy, key, data_key) = (app.dir.path().to_path_buf(), copies[0].1.clone(), app.key_file(), app.data_key_file());
    let out = tokio::task::spawn_blocking({
        let target = target.clone();
        move || {
            crate::cli::zhengxin_in(
                &dir,
                &["--database-url", &target, "--audit-key-file", key.to_str().unwrap(), "--data-key-file", data_key.to_str().unwrap(), "restore", copy.to_str().unwrap()],
                &[],
            )
        }
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}{}", crate::cli::stdout(&out), String::from_utf8_lossy(&out.stderr));
    assert!(crate::cli::stdout(&out).contains("audit log intact"), "{}", crate::cli::stdout(&out));
    let restored = server::db::Db::connect_keyed(&target, Some(app.key_file()), Some(app.data_key_file())).await.unwrap();
    for sql in [
        "SELECT CAST(COUNT(*) AS TEXT) FROM dishonesty_records",
        "SELECT CAST(COUNT(*) AS TEXT) FROM hotline_tickets",
        "SELECT MAX(content_hash) FROM result_versions",
        "SELECT MAX(person_ref) FROM dishonesty_records",
    ] {
        assert_eq!(scalar(&restored, sql).await, app.scalar(sql).await, "{sql}");
    }
    let personnel = server::auth::User { id: 0, username: "personnel".into(), role: server::auth::Role::Personnel, unit_code: None };
    let purpose = server::persons::Purpose::Appointment;
    let (file, _) = server::persons::look_up(&restored, &personnel, "P-7f3a91c2", &purpose, "2026-11-25".parse().unwrap(), server::persons::Via::Api).await.unwrap();
    assert_eq!(file.len(), 1, "the restored copy's person references open with the data key");
    restored.close().await;

    // Two more: only the newest two stay, in both directories.
    let first = kept[0].0;
    for minutes in [1, 2] {
        let taken = backups::take(&app.db, &app.url, &s, first + chrono::Duration::minutes(minutes)).await.unwrap();
        assert_eq!(taken.unverified, None);
    }
    for dir in [&s.dir, s.copy_to.as_ref().unwrap()] {
        let left: Vec<_> = backups::verified(dir).into_iter().map(|(at, _)| at).collect();
        assert_eq!(left, [first + chrono::Duration::minutes(1), first + chrono::Duration::minutes(2)], "{}", dir.display());
    }
    // The next is due an interval after the newest.
    assert_eq!(backups::next_due(&s.dir, s.every, first + chrono::Duration::minutes(3)), first + chrono::Duration::minutes(62));
});

e2e!(a_backup_that_does_not_verify_is_kept_apart_never_counted_and_audited, |app| {
    app.import_examples().await;
    let s = schedule(&app, 3);
    let at: chrono::NaiveDateTime = "2026-11-25T02:00:00".parse().unwrap();
    assert_eq!(backups::take(&app.db, &app.url, &s, at).await.unwrap().unverified, None);
    // Someone edits an audit entry behind the application's back: a copy of
    // that database does not verify.
    crate::trust::tamper(&app, "UPDATE audit_log SET detail = '{\"x\":1}' WHERE id = 2").await;
    let later = at + chrono::Duration::hours(1);
    let taken = backups::take(&app.db, &app.url, &s, later).await.unwrap();
    let why = taken.unverified.clone().expect("a broken chain does not verify");
    assert!(why.contains("audit log is broken at entry 2"), "{why}");
    assert!(taken.file.to_string_lossy().ends_with(".unverified") && taken.file.exists(), "{}", taken.file.display());
    assert_eq!((taken.copied.clone(), taken.removed.clone()), (None, Vec::new()), "neither copied nor pruning");
    assert_eq!(backups::verified(&s.dir).len(), 1, "it is not one of the kept backups");
    assert_eq!(backups::verified(s.copy_to.as_ref().unwrap()).len(), 1);
    assert_eq!(backups::next_due(&s.dir, s.every, later), later, "a verified backup is still due");
    assert_eq!(app.scalar("SELECT actor FROM audit_log WHERE action = 'backup_unverified'").await, backups::ACTOR);
    // A damaged file does not restore at all, and leaves no scratch behind.
    let damaged = s.dir.join("damaged.db");
    let good = &backups::verified(&s.dir)[0].1;
    let bytes = std::fs::read(good).unwrap();
    std::fs::write(&damaged, &bytes[..bytes.len() / 2]).unwrap();
    let e = server::upkeep::verify_backup(&app.db, &app.url, &damaged, &s.dir).await.unwrap_err();
    assert!(e.contains("does not restore"), "{e}");
    assert!(std::fs::read_dir(&s.dir).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with(".verify")));
});
