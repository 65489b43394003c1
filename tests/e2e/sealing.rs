//! Personal data sealed at rest (issue 29 part 5; 等保2.0 三级 数据保密性) on
//! both back-ends: after every path that stores a person reference, a
//! waiting upload, repair evidence or a TOTP secret has run, no column of
//! any table (nor, for SQLite, any byte of the file) holds them in the
//! clear, while everyone who may read them still does; values stored
//! before sealing began are sealed once at start-up; a missing or foreign
//! data key stops the server rather than mixing keys.

use server::auth::{Role, User};
use server::db::seal::Field;

use crate::e2e;
use crate::support::TestApp;
use crate::web::site;

/// A person reference of the example files (seeds/examples/dishonesty.csv).
const EXAMPLE_REF: &str = "P-7f3a91c2";

/// Every (table, column) of the database, with whether it holds bytes.
async fn columns(app: &TestApp) -> Vec<(String, String, bool)> {
    let rows = match app.backend {
        crate::support::Backend::Sqlite => {
            app.text_rows(
                "SELECT m.name, p.name, CASE WHEN upper(p.type) = 'BLOB' THEN 'b' ELSE 't' END \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
            )
            .await
        }
        crate::support::Backend::Postgres => {
            app.text_rows(
                "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), CASE WHEN data_type = 'bytea' THEN 'b' ELSE 't' END \
                 FROM information_schema.columns WHERE table_schema = 'public'",
            )
            .await
        }
    };
    rows.into_iter().map(|r| (r[0].clone(), r[1].clone(), r[2] == "b")).collect()
}

/// The (table, column) pairs holding `needle` anywhere in a value.
async fn holding(app: &TestApp, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (table, column, bytes) in columns(app).await {
        let condition = match (app.backend, bytes) {
            (crate::support::Backend::Postgres, true) => format!("position(convert_to('{needle}', 'UTF8') in \"{column}\") > 0"),
            _ => format!("CAST(\"{column}\" AS TEXT) LIKE '%{needle}%'"),
        };
        let n = app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM \"{table}\" WHERE {condition}")).await;
        if n != "0" {
            found.push(format!("{table}.{column} ({n})"));
        }
    }
    found
}

/// Whether the SQLite file (checkpointed, so the WAL is in it, and with
/// its free pages) holds `needle`; `None` for PostgreSQL.
async fn file_holds(app: &TestApp, needle: &str) -> Option<bool> {
    if app.backend != crate::support::Backend::Sqlite {
        return None;
    }
    if let server::db::Pool::Sqlite(pool) = &app.db.pool {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await.unwrap();
    }
    let bytes = std::fs::read(app.dir.path().join("zhengxin.db")).unwrap();
    Some(bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
}

const PDF: &[u8] = b"%PDF-1.4\n% evidence naming P-3c9d2e71\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

e2e!(a_copy_of_the_database_reveals_no_person_and_everyone_entitled_still_reads_them, |app| {
    let server = site(&app).await;
    assert!(holding(&app, EXAMPLE_REF).await.is_empty(), "the examples' reference is sealed");
    // A person's records in two units, then changed by a second import
    // (an update in place, audited without the values).
    let file = |mitigation: &str| {
        format!(
            "id,unit_code,subject,person_ref,type,occurred_on,rectify_deadline,rectified_on,mitigation\n\
             X2026-701,330302,person,P-3c9d2e71,discipline,2026-05-01,2026-06-30,,{mitigation}\n\
             X2026-702,330303,person,P-3c9d2e71,penalty,2026-04-01,,,none\n"
        )
    };
    assert!(app.import_files(&[("dishonesty.csv", file("none").as_bytes())]).await.ok);
    assert!(app.import_files(&[("dishonesty.csv", file("reduced").as_bytes())]).await.ok);
    // An upload waiting for a decision, repair evidence naming the person,
    // a look-up of the person's file, a second factor.
    let (inputs, _) = server::import::collect(&app.write_files(&[("dishonesty.csv", file("exempt").as_bytes())]), None);
    let staged = server::import::staging::stage(&app.db, &server::import::staging::canonical(inputs).await.unwrap(), &[], "assessor").await.unwrap();
    let unit = User { id: 0, username: "lucheng".into(), role: Role::Unit, unit_code: Some("330302".into()) };
    let application = server::repairs::Application {
        record_id: "X2026-701".into(),
        statement: "已整改".into(),
        rectified_on: Some("2026-06-20".parse().unwrap()),
        files: vec![server::repairs::Upload { file_name: "a.pdf".into(), bytes: PDF.to_vec() }],
    };
    let repair = server::repairs::apply(&app.db, &unit, application).await.unwrap();
    let personnel = User { id: 0, username: "personnel".into(), role: Role::Personnel, unit_code: None };
    let today = "2026-11-25".parse().unwrap();
    let purpose = server::persons::Purpose::Appointment;
    let (file_records, check) = server::persons::look_up(&app.db, &personnel, "P-3c9d2e71", &purpose, today, server::persons::Via::Page).await.unwrap();
    let out = tokio::task::block_in_place(|| {
        crate::support::binary()
            .args(["--database-url", &app.url, "user", "totp", "assessor", "--json"])
            .env(server::db::audit::key::SETTING, app.key_file())
            .env(server::db::seal::key::SETTING, app.data_key_file())
            .output()
            .unwrap()
    });
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let secret = printed["uri"].as_str().unwrap().split("secret=").nth(1).unwrap().split('&').next().unwrap().to_string();

    // Nothing of it is in the clear, in any column or byte of the file.
    for needle in ["P-3c9d2e71", EXAMPLE_REF, &secret, "evidence naming"] {
        assert_eq!(holding(&app, needle).await, Vec::<String>::new(), "{needle} is stored in the clear");
        assert_ne!(file_holds(&app, needle).await, Some(true), "{needle} is in the SQLite file");
    }
    // The database keeps the key's check, never the key.
    let key = std::fs::read_to_string(app.data_key_file()).unwrap();
    let hex = key.lines().find_map(|l| l.split("key=").nth(1)).unwrap().to_string();
    assert_eq!(holding(&app, &hex[..16]).await, Vec::<String>::new());
    assert!(app.scalar("SELECT value FROM install_settings WHERE key = 'data_key_check'").await.starts_with("aes-256-gcm "));

    // Those entitled still read them: the personnel office its file, the
    // assessment team the record, the unit its evidence, the upload its
    // files, the second factor its codes.
    assert!(check.found && file_records.len() == 2, "{file_records:?}");
    let assessor = User { id: 0, username: "assessor".into(), role: Role::Assessor, unit_code: None };
    let shown = server::records::one(&app.db, &assessor, "330302", "dishonesty", "X2026-701").await.unwrap();
    let person = shown.spec.columns.iter().position(|c| c.name == "person_ref").unwrap();
    assert_eq!(shown.values[person], server::db::Value::text("P-3c9d2e71"));
    let (_, evidence) = server::repairs::evidence(&app.db, &unit, repair, 1).await.unwrap();
    assert_eq!(evidence, PDF);
    let waiting = server::import::staging::inputs(&app.db, staged).await.unwrap();
    assert!(String::from_utf8_lossy(&waiting[0].bytes).contains("P-3c9d2e71"));
    let stored = app.scalar("SELECT secret FROM totp_secrets").await;
    assert_eq!(app.db.sealer().unwrap().open_text(Field::TotpSecret, &stored).unwrap(), secret);
    // Scoring never needed the references: the published version still
    // reproduces from the stored inputs.
    for v in server::db::results::versions(&app.db, 2025).await.unwrap() {
        assert!(server::scoring::verify(&app.db, &v).await.unwrap(), "version {} reproduces", v.version);
    }
    server.stop().await;
});

e2e!(values_stored_before_sealing_are_sealed_once_when_the_database_opens, |app| {
    let server = site(&app).await;
    server.stop().await;
    // More records of persons than one step seals, a waiting upload,
    // repair evidence and a second factor.
    let mut file = String::from("id,unit_code,subject,person_ref,type,occurred_on\n");
    for i in 0..2_500 {
        file.push_str(&format!("X2026-9{i:04},330302,person,P-{i},discipline,2026-05-01\n"));
    }
    assert!(app.import_files(&[("dishonesty.csv", file.as_bytes())]).await.ok);
    let upload = b"id,unit_code,subject,person_ref,type,occurred_on\nX2026-0001,330302,person,P-upload-1,discipline,2026-05-01\n";
    let (inputs, _) = server::import::collect(&app.write_files(&[("dishonesty.csv", upload)]), None);
    let staged = server::import::staging::stage(&app.db, &inputs, &[], "assessor").await.unwrap();
    let unit = User { id: 0, username: "lucheng".into(), role: Role::Unit, unit_code: Some("330302".into()) };
    let application = server::repairs::Application {
        record_id: "X2026-90001".into(),
        statement: "已整改".into(),
        rectified_on: None,
        files: vec![server::repairs::Upload { file_name: "a.pdf".into(), bytes: PDF.to_vec() }],
    };
    let repair = server::repairs::apply(&app.db, &unit, application).await.unwrap();
    let (enrolment, _) = server::auth::totp::enrol_now(&app.db, "assessor", "test").await.unwrap();
    // As an install before sealing held them: everything in the clear, and
    // no mark that sealing was done.
    let mut tx = app.db.begin_write().await.unwrap();
    server::on_tx!(&mut tx, conn => {
        sqlx::query(
            "UPDATE dishonesty_records SET person_ref = CASE id WHEN 'X2025-004' THEN 'P-7f3a91c2' WHEN 'X2025-005' THEN 'P-0b44e6d1' ELSE 'P-' || id END \
             WHERE person_ref IS NOT NULL",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        sqlx::query("UPDATE staged_import_files SET bytes = $1").bind(upload.to_vec()).execute(&mut *conn).await.unwrap();
        sqlx::query("UPDATE repair_evidence SET bytes = $1").bind(PDF.to_vec()).execute(&mut *conn).await.unwrap();
        sqlx::query("UPDATE totp_secrets SET secret = $1").bind(&enrolment.secret).execute(&mut *conn).await.unwrap();
        sqlx::query("DELETE FROM install_settings WHERE key = 'sealed_at_rest'").execute(&mut *conn).await.unwrap();
    });
    tx.commit().await.unwrap();
    let clear = "SELECT CAST(COUNT(*) AS TEXT) FROM dishonesty_records WHERE person_ref IS NOT NULL AND person_ref NOT LIKE 'zxs1:%'";
    assert_eq!(app.scalar(clear).await, "2502");
    for needle in ["P-upload-1", "evidence naming", &enrolment.secret] {
        assert_eq!(holding(&app, needle).await.len(), 1, "{needle} planted in the clear");
    }

    let db = server::db::Db::connect_keyed(&app.url, Some(app.key_file()), Some(app.data_key_file())).await.unwrap();
    assert_eq!(app.scalar(clear).await, "0", "sealed as the database opened, in steps");
    for needle in [EXAMPLE_REF, "P-X2026-91234", "P-upload-1", "evidence naming", &enrolment.secret] {
        assert_eq!(holding(&app, needle).await, Vec::<String>::new(), "{needle}");
    }
    let entry = app.text_rows("SELECT actor, detail FROM audit_log WHERE action = 'data_sealed'").await;
    assert_eq!(entry.len(), 1, "{entry:?}");
    assert_eq!(entry[0][0], "system");
    let counts: serde_json::Value = serde_json::from_str(&entry[0][1]).unwrap();
    assert_eq!(counts, serde_json::json!({ "person_refs": 2502, "staged_files": 1, "evidence": 1, "totp_secrets": 1 }));
    // Once: opening again seals nothing more and writes no entry.
    db.close().await;
    let again = server::db::Db::connect_keyed(&app.url, Some(app.key_file()), Some(app.data_key_file())).await.unwrap();
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action = 'data_sealed'").await, "1");
    // Everything opens again, and a sealed reference is the one an import
    // would have written: the same files again change nothing, and a
    // person's file finds its records.
    let personnel = User { id: 0, username: "personnel".into(), role: Role::Personnel, unit_code: None };
    let today = "2026-11-25".parse().unwrap();
    for (person, n) in [(EXAMPLE_REF, 1), ("P-X2026-91234", 1)] {
        let (records, _) = server::persons::look_up(&again, &personnel, person, &server::persons::Purpose::Award, today, server::persons::Via::Api).await.unwrap();
        assert_eq!(records.len(), n, "{person}");
    }
    assert_eq!(server::import::staging::inputs(&again, staged).await.unwrap()[0].bytes, upload);
    assert_eq!(server::repairs::evidence(&again, &unit, repair, 1).await.unwrap().1, PDF);
    let stored = app.scalar("SELECT secret FROM totp_secrets").await;
    assert_eq!(again.sealer().unwrap().open_text(Field::TotpSecret, &stored).unwrap(), enrolment.secret);
    let report = app.import_examples().await;
    assert!(report.files.iter().all(|f| f.counts.as_ref().is_some_and(|c| c.inserted == 0 && c.updated == 0)), "{}", report.human());
    for v in server::db::results::versions(&again, 2025).await.unwrap() {
        assert!(server::scoring::verify(&again, &v).await.unwrap());
    }
    again.close().await;
});

e2e!(a_missing_or_foreign_data_key_stops_the_server_and_every_write_of_personal_data, |app| {
    app.import_examples().await;
    let key = app.data_key_file();
    let (url, audit_key) = (app.url.clone(), app.key_file());
    let serve = |data_key: std::path::PathBuf| {
        let (url, audit_key) = (url.clone(), audit_key.clone());
        async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let config = server::config::Config {
                audit_key_file: Some(audit_key),
                data_key_file: Some(data_key),
                ..server::config::Config::new(url, listener.local_addr().unwrap())
            };
            server::serve(config, listener, async {}).await
        }
    };
    // No key file where the database's key should be.
    let missing = app.dir.path().join("elsewhere.data-key");
    let e = serve(missing.clone()).await.expect_err("no key, no server");
    assert!(e.to_string().contains("no key file at") && e.to_string().contains("elsewhere.data-key"), "{e}");
    assert!(!missing.exists(), "no new key is made for a database that has one");
    // Another database's key.
    let other = tempfile::tempdir().unwrap();
    let foreign = server::db::Db::connect(&format!("sqlite://{}/other.db", other.path().display())).await.unwrap();
    foreign.close().await;
    let e = serve(other.path().join("other.data-key")).await.expect_err("a foreign key, no server");
    assert!(e.to_string().contains("is not the one this database was sealed with"), "{e}");
    // A command without the key stores no person reference.
    let db = server::db::Db::connect_keyed(&app.url, Some(app.key_file()), Some(missing)).await.unwrap();
    let file = "id,unit_code,subject,person_ref,type,occurred_on\nX2026-801,330302,person,P-00000001,discipline,2026-05-01\n";
    let (inputs, issues) = server::import::collect(&app.write_files(&[("dishonesty.csv", file.as_bytes())]), None);
    let refused = server::import::import(&db, inputs, issues, "test", server::db::claims::Origin::CommandLine, std::sync::Arc::new(|_| {})).await;
    assert!(format!("{refused:?}").contains("data key"), "{refused:?}");
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM dishonesty_records WHERE id = 'X2026-801'").await, "0");
    db.close().await;
    assert!(key.exists());
});

/// The cipher is chosen when a database is created (SM4 for an assessment
/// that asks for the national algorithm) and kept: asking for another
/// later is refused, not silently ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_database_may_seal_with_sm4_and_keeps_its_cipher() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/zx.db", dir.path().display());
    let examples = crate::support::examples_dir().display().to_string();
    let run = |args: &[&str]| {
        let mut full = vec!["--database-url", url.as_str()];
        full.extend_from_slice(args);
        tokio::task::block_in_place(|| crate::cli::zhengxin_in(dir.path(), &full, &[]))
    };
    let out = run(&["--data-cipher", "sm4-gcm", "import", &examples]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = std::fs::read_to_string(dir.path().join("zx.data-key")).unwrap();
    assert!(key.lines().any(|l| l.starts_with("zhengxin-data-key v1 sm4-gcm key=")), "{key}");
    let db = server::db::Db::connect(&url).await.unwrap();
    assert_eq!(db.sealer().unwrap().cipher(), server::db::seal::Cipher::Sm4Gcm);
    let server::db::Pool::Sqlite(pool) = &db.pool else { unreachable!("a SQLite URL") };
    let stored: String = sqlx::query_scalar("SELECT person_ref FROM dishonesty_records WHERE id = 'X2025-004'").fetch_one(pool).await.unwrap();
    assert_eq!(db.sealer().unwrap().open_text(Field::PersonRef, &stored).unwrap(), EXAMPLE_REF);
    db.close().await;
    let out = run(&["--data-cipher", "aes-256-gcm", "import", &examples]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("uses sm4-gcm") && said.contains("applies only when a new database's key is created"), "{said}");
}
