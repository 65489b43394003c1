//! The real `zhengxin` binary as the IT team scripts it: help, exit codes
//! (0 done, 1 the work failed, 2 bad command line), the import report and
//! its `--json` form, and demo files that import cleanly.

use std::path::Path;
use std::process::Output;

use crate::e2e;
use crate::support::{TestApp, examples_dir};

/// Runs the binary in `dir` with no `DATABASE_URL` from the environment.
pub fn zhengxin_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = crate::support::binary();
    command.args(args).current_dir(dir).env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("the binary runs")
}

/// Runs the binary against the test database (and its audit key),
/// off the async workers.
pub async fn zhengxin(app: &TestApp, args: &[&str]) -> Output {
    let mut full = vec!["--database-url".to_string(), app.url.clone()];
    full.extend(args.iter().map(|a| a.to_string()));
    let (dir, key, data_key) = (app.dir.path().to_path_buf(), app.key_file().display().to_string(), app.data_key_file().display().to_string());
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = full.iter().map(String::as_str).collect();
        zhengxin_in(&dir, &args, &[(server::db::audit::key::SETTING, &key), (server::db::seal::key::SETTING, &data_key)])
    })
    .await
    .unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 stderr")
}

#[test]
fn help_explains_every_command_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let top = zhengxin_in(dir.path(), &["--help"], &[]);
    assert_eq!(top.status.code(), Some(0), "{}", stderr(&top));
    let text = stdout(&top);
    for expected in [
        "政务诚信考核",
        "serve",
        "import",
        "seed-demo",
        "--database-url",
        "DATABASE_URL",
        "RUST_LOG",
        "Examples:",
    ] {
        assert!(text.contains(expected), "--help lacks {expected:?}:\n{text}");
    }
    for (command, expected) in [
        ("serve", &["--bind", "127.0.0.1:8080", "--no-demo", "--demo-on-network", "--public-url", "--idle-minutes", "Examples:"][..]),
        ("init", &["--admin", "administrator", "Example:"][..]),
        ("import", &["--json", "--source", "GB18030", "nothing is written", "Examples:"][..]),
        ("seed-demo", &["--scale", "--csv", "--years", "Examples:"][..]),
    ] {
        let out = zhengxin_in(dir.path(), &[command, "--help"], &[]);
        assert_eq!(out.status.code(), Some(0));
        let text = stdout(&out);
        for e in expected {
            assert!(text.contains(e), "{command} --help lacks {e:?}:\n{text}");
        }
    }
    // Help touches no database: no SQLite file appears.
    assert!(!dir.path().join("data").exists());
}

#[test]
fn a_wrong_command_line_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--no-such-flag"][..],
        &["frobnicate"][..],
        &["import"][..],
        &["import", "x.csv", "--source", "weather"][..],
        &["serve", "--bind", "not-an-address"][..],
        &["seed-demo", "--scale", "lots"][..],
        &["serve", "--backup-every", "10s", "--backup-dir", "b"][..],
        &["serve", "--backup-every", "daily", "--backup-dir", "b"][..],
        &["serve", "--backup-every", "24h"][..],
        &["serve", "--backup-dir", "b"][..],
        &[][..],
    ] {
        let out = zhengxin_in(dir.path(), args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {}", stdout(&out));
        assert!(stderr(&out).contains("Usage:") || stderr(&out).starts_with("error: invalid value"), "{args:?}: {}", stderr(&out));
    }
    assert!(!dir.path().join("data").exists());
}

e2e!(a_failed_import_prints_its_report_and_exits_1, |app| {
    app.import_examples().await;
    let before = app.fingerprint().await;
    let paths = app.write_files(&[(
        "commitments.csv",
        "id,unit_code,category,title,made_on,due_on,status\nC-CLI-1,330302,policy,t,2025-01-10,2025-06-30,pending\nC-CLI-2,330304,policy,t,2025-01-10,2025-06-30,pending\n".as_bytes(),
    )]);
    let out = zhengxin(&app, &["import", paths[0].to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = stdout(&out);
    let expected = format!(
        "error: {}, row 3, column unit_code, value \"330304\": no such unit; did you mean 鹿城区 (330302), 龙湾区 (330303), 瑞安市 (330381)? [unknown_unit]\n",
        paths[0].display()
    );
    assert!(report.starts_with(&expected), "{report}");
    assert!(report.ends_with("import failed: 1 error(s); nothing was written\n"), "{report}");
    assert_eq!(app.fingerprint().await, before);
});

e2e!(a_missing_file_fails_with_exit_1, |app| {
    let out = zhengxin(&app, &["import", "/nonexistent/hotline.csv"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("/nonexistent/hotline.csv: cannot read the file"), "{}", stdout(&out));
    assert_eq!(app.db.count("units").await.unwrap(), 0);
});

e2e!(import_json_prints_one_document, |app| {
    let examples = examples_dir();
    let out = zhengxin(&app, &["import", "--json", examples.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // All of stdout is exactly one JSON document.
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["errors"], serde_json::json!([]));
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), server::sources::ALL.len());
    assert_eq!(files[0]["source"], "units");
    assert_eq!(files[0]["counts"]["inserted"], 8);
    assert_eq!(files[0]["format"], "csv_utf8");
    assert_eq!(app.db.count("units").await.unwrap(), 8);

    // A failure is one document too, with every field of every error.
    let bad = app.write_files(&[("ratings.csv", b"unit_code,year,score\n330302,2026,101\n")]);
    let out = zhengxin(&app, &["import", "--json", bad[0].to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(doc["ok"], false);
    assert_eq!(
        doc["errors"],
        serde_json::json!([{
            "severity": "error",
            "file": bad[0].display().to_string(),
            "row": 2,
            "column": "score",
            "value": "101",
            "code": "out_of_range",
            "message": "a rating is between 0 and 100",
        }])
    );
});

e2e!(the_database_url_may_come_from_the_environment, |app| {
    let (url, dir, examples, key) = (app.url.clone(), app.dir.path().to_path_buf(), examples_dir(), app.key_file());
    let data_key = app.data_key_file().display().to_string();
    // The audit key file may come from there too (PostgreSQL's default is in data/).
    let out = tokio::task::spawn_blocking(move || {
        let key = key.display().to_string();
        zhengxin_in(&dir, &["import", examples.join("units.csv").to_str().unwrap()], &[("DATABASE_URL", &url), (server::db::audit::key::SETTING, &key), (server::db::seal::key::SETTING, &data_key)])
    })
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).ends_with("import complete\n"), "{}", stdout(&out));
    assert_eq!(app.db.count("units").await.unwrap(), 8);
    assert!(!app.dir.path().join("data").exists(), "the default SQLite file was used instead");
});

e2e!(seed_demo_csv_files_import_cleanly, |app| {
    let csv_dir = app.dir.path().join("demo-csv");
    let out = zhengxin(
        &app,
        &[
            "seed-demo",
            "--csv",
            csv_dir.to_str().unwrap(),
            "--scale",
            "0.01",
            "--years",
            "2025",
            "--until",
            "2025-12-31",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // One line per file written: "PATH: N rows".
    let mut written = Vec::new();
    for line in stdout(&out).lines() {
        let (path, rows) = line.rsplit_once(": ").expect("PATH: N rows");
        let rows: i64 = rows.strip_suffix(" rows").unwrap().parse().unwrap();
        let name = Path::new(path).file_name().unwrap().to_string_lossy().to_string();
        assert!(Path::new(path).is_file(), "{path}");
        written.push((name, rows));
    }
    let names: Vec<&str> = written.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "units.csv",
            "commitments.csv",
            "proposals.csv",
            "hotline-2025.csv",
            "debt.csv",
            "dishonesty.csv",
            "ratings.csv",
            "honours.csv"
        ]
    );
    assert!(written.iter().all(|(_, rows)| *rows > 0), "{written:?}");
    let hotline = written[3].1;
    assert!((2_000..=4_000).contains(&hotline), "scale 0.01 ≈ 3,000 tickets a year, got {hotline}");

    // The generator's files are canonical: the importer takes them as they are.
    let out = zhengxin(&app, &["import", csv_dir.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    for ((name, rows), spec) in written.iter().zip(server::sources::ALL) {
        assert_eq!(app.db.count(spec.table).await.unwrap(), *rows, "{name}");
    }
});

e2e!(seed_demo_writes_the_database, |app| {
    let out = zhengxin(&app, &["seed-demo", "--scale", "0.01", "--years", "2025", "--until", "2025-12-31"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.lines().any(|l| l.starts_with("hotline: ") && l.contains(" new, 0 updated")), "{text}");
    let units = app.db.count("units").await.unwrap();
    let tickets = app.db.count("hotline_tickets").await.unwrap();
    assert_eq!(units as usize, seeds::units::reference_units().len(), "Wenzhou's units");
    assert!((2_000..=4_000).contains(&tickets), "{tickets}");
    let years = app.text_rows("SELECT DISTINCT CAST(year AS TEXT) FROM ratings").await;
    assert_eq!(years, [["2025"]]);
});

// The tests' clock ([`crate::support::TEST_NOW`]) holds in this process and
// in the binary: scoring the running year defaults as_of to "now", and
// both say the same day whatever day the tests run. A bad setting is
// refused with the variable's name.
e2e!(the_clock_is_pinned_here_and_in_the_binary, |app| {
    app.import_examples().await;
    let here = server::scoring::score(&app.db, 2026, None, None, "test").await.unwrap().version;
    assert_eq!(here.as_of.date().to_string(), "2026-11-25", "{}", here.as_of);
    let out = zhengxin(&app, &["score", "--year", "2026", "--json", "--as-of", "2026-11-25 09:00:00"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = zhengxin(&app, &["score", "--year", "2026", "--json", "--as-of", "2026-11-26 09:00:00"]).await;
    assert_eq!(out.status.code(), Some(1), "tomorrow is in the future for the binary too");
    assert!(stderr(&out).contains("in the future (now is 2026-11-25"), "{}", stderr(&out));
    let out = zhengxin_in(app.dir.path(), &["results", "--year", "2025"], &[(server::clock::NOW_VAR, "25/11/2026")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("ZHENGXIN_NOW=\"25/11/2026\" is not a time"), "{}", stderr(&out));
});

/// The configuration file the package installs names every setting
/// zhengxin reads, and nothing else: a new flag without its line there,
/// or a line for a setting that went away, fails here.
#[test]
fn the_shipped_configuration_file_names_every_setting() {
    let shipped = include_str!("../../deploy/zhengxin.conf");
    let mut named: Vec<String> = shipped
        .lines()
        // A setting's line, or one commented out (`#VARIABLE=…`, no space).
        .map(|l| l.strip_prefix('#').unwrap_or(l))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.to_string()))
        .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect();
    named.sort();
    named.dedup();
    assert_eq!(named, server::cli::variables());
}

/// Every command reads the configuration file (ZHENGXIN_CONFIG, else
/// /etc/zhengxin/zhengxin.conf): the database and keys an operator set
/// there are the ones `import` uses; the environment wins over the file;
/// a misspelt setting is refused with its line and the likely name.
#[test]
fn commands_read_the_configuration_file_and_refuse_a_misspelt_setting() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("zhengxin.conf");
    let db = dir.path().join("var/zhengxin.db");
    let keys = dir.path().join("keys");
    std::fs::write(
        &conf,
        format!(
            "# as the package ships it\nDATABASE_URL=sqlite://{}\nZHENGXIN_DATA_KEY_FILE={}\nZHENGXIN_AUDIT_KEY_FILE={}\nZHENGXIN_LOG_FORMAT=json\n",
            db.display(),
            keys.join("zx.data-key").display(),
            keys.join("zx.audit-key").display()
        ),
    )
    .unwrap();
    let examples = crate::support::examples_dir().display().to_string();
    let conf_text = conf.display().to_string();
    let out = zhengxin_in(dir.path(), &["import", &examples], &[(server::config::CONFIG_SETTING, &conf_text), ("RUST_LOG", "info")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(db.exists() && keys.join("zx.data-key").exists() && keys.join("zx.audit-key").exists(), "the file's database and keys were used");
    assert!(!dir.path().join("data").exists(), "not the defaults");
    let said = stderr(&out);
    let logs: Vec<&str> = said.lines().filter(|l| l.contains("INFO")).collect();
    assert!(!logs.is_empty() && logs.iter().all(|l| l.starts_with('{')), "the file's log format: {said}");
    // The environment wins over the file.
    let other = dir.path().join("other.db");
    let out = zhengxin_in(dir.path(), &["import", &examples], &[(server::config::CONFIG_SETTING, &conf_text), ("DATABASE_URL", &format!("sqlite://{}", other.display()))]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(other.exists());
    // A misspelt setting: refused before anything runs.
    std::fs::write(&conf, "DATABASE_URL=sqlite:///nowhere/x.db\n\nZHENGXIN_BACKUP_EVRY=24h\n").unwrap();
    let out = zhengxin_in(dir.path(), &["import", &examples], &[(server::config::CONFIG_SETTING, &conf_text)]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(said.contains(&format!("{conf_text}, line 3: ZHENGXIN_BACKUP_EVRY is not a setting")) && said.contains("did you mean ZHENGXIN_BACKUP_EVERY?"), "{said}");
    // A file named but missing is an error too; the default one may be absent.
    let out = zhengxin_in(dir.path(), &["import", &examples], &[(server::config::CONFIG_SETTING, "/nonexistent/zhengxin.conf")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// The service unit the package installs: `systemd-analyze verify` finds
/// nothing wrong with it (run against this build's binary), and its
/// confinement stays at an exposure of 2.0 or less in `systemd-analyze
/// security` (1.5 when written): a weakened unit fails here.
#[test]
fn the_service_unit_verifies_and_stays_confined() {
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("zhengxin.service");
    std::fs::write(&unit, include_str!("../../deploy/zhengxin.service").replace("/usr/bin/zhengxin", env!("CARGO_BIN_EXE_zhengxin"))).unwrap();
    let run = |args: &[&str]| std::process::Command::new("systemd-analyze").args(args).arg(&unit).output().expect("systemd-analyze (Debian: apt-get install systemd)");
    let verified = run(&["verify", "--man=no"]);
    assert!(verified.status.success() && verified.stderr.is_empty(), "{}", String::from_utf8_lossy(&verified.stderr));
    let security = run(&["security", "--offline=true", "--threshold=20"]);
    assert!(security.status.success(), "{}", String::from_utf8_lossy(&security.stdout));
}

/// The shipped configuration, with its folders moved under a temporary
/// one, starts a real install as the unit's `ExecStart` does: no demo
/// data, JSON logs, the health check answering, and the first scheduled
/// backup taken and verified at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_configuration_starts_a_server_as_the_unit_would() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().display().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let conf = dir.path().join("zhengxin.conf");
    let text = include_str!("../../deploy/zhengxin.conf")
        .replace("/var/lib/zhengxin", &format!("{root}/lib"))
        .replace("/var/backups/zhengxin", &format!("{root}/backups"))
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"));
    std::fs::write(&conf, text).unwrap();
    let child = crate::support::binary()
        .arg("serve")
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .env(server::config::CONFIG_SETTING, &conf)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut healthy = false;
    let mut backed_up = false;
    for _ in 0..600 {
        healthy = healthy || client.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_ok_and(|r| r.status().is_success());
        backed_up = !server::backups::verified(&dir.path().join("backups")).is_empty();
        if healthy && backed_up {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut child = child;
    child.kill().unwrap();
    let logs = String::from_utf8(child.wait_with_output().unwrap().stderr).unwrap();
    assert!(healthy && backed_up, "healthy {healthy}, backed up {backed_up}:\n{logs}");
    assert!(dir.path().join("lib/zhengxin.db").exists() && dir.path().join("lib/keys/zhengxin.data-key").exists());
    assert!(logs.lines().all(|l| l.starts_with('{')), "JSON logs:\n{logs}");
    assert!(!logs.contains("演示数据"), "no demo data on a real install:\n{logs}");
}

/// What the commands write holds the assessment's records, so it is the
/// account's alone whatever the shell's umask: `init` under an operator's
/// umask 022 makes a database folder, database and keys no other account
/// can read, and `zhengxin backup` a private backup.
#[test]
fn what_the_commands_write_is_private_under_an_open_umask() {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let open_umask = |command: &mut std::process::Command| {
        // SAFETY: umask only sets the child's file-creation mask, between
        // fork and exec.
        unsafe {
            command.pre_exec(|| {
                libc::umask(0o022);
                Ok(())
            });
        }
    };
    let mut init = crate::support::binary();
    init.args(["init", "--admin", "wang.admin", "--security-admin", "li.sec", "--audit-admin", "zhao.audit"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    open_umask(&mut init);
    let mut child = init.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"first-admin-secret\nsecurity-secret\naudit-secret-words\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut backup = crate::support::binary();
    backup.args(["backup", "first-backup.db"]).current_dir(dir.path()).env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    open_umask(&mut backup);
    let out = backup.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mode = |path: &str| std::fs::metadata(dir.path().join(path)).unwrap().permissions().mode() & 0o777;
    for (path, wanted) in [("data", 0o700), ("data/zhengxin.db", 0o600), ("data/zhengxin.data-key", 0o600), ("first-backup.db", 0o600)] {
        assert_eq!(mode(path), wanted, "{path}: {:o}", mode(path));
    }
}
