//! The audit chain against someone who can write the database but not
//! read the key file (issue 24, item 5): an edit hidden by rehashing every
//! later entry is caught, a cut tail is caught by a head printed outside
//! the database, an unkeyed log of an older install is keyed from its next
//! entry on, and rotation keeps every earlier check and anchor valid.

use server::db::audit::{AuditEntry, GENESIS};

use crate::cli::{stdout, zhengxin};
use crate::e2e;
use crate::support::TestApp;
use crate::trust::{execute, tamper};

/// Every entry with its id, in order.
async fn entries(app: &TestApp) -> Vec<(i64, AuditEntry)> {
    const ENTRIES: &str = "SELECT at, actor, action, entity, entity_key, detail, prev_hash, hash, format FROM audit_log ORDER BY id";
    let ids: Vec<i64> = server::on_db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM audit_log ORDER BY id").fetch_all(pool).await.unwrap());
    let rows: Vec<AuditEntry> = server::on_db!(&app.db, pool => sqlx::query_as(ENTRIES).fetch_all(pool).await.unwrap());
    ids.into_iter().zip(rows).collect()
}

async fn set_entry(app: &TestApp, id: i64, e: &AuditEntry) {
    const SQL: &str = "UPDATE audit_log SET detail = $1, prev_hash = $2, hash = $3, format = $4 WHERE id = $5";
    tamper(app, "SELECT 1").await;
    server::on_db!(&app.db, pool => {
        sqlx::query(SQL).bind(&e.detail).bind(&e.prev_hash).bind(&e.hash).bind(e.format).bind(id).execute(pool).await.unwrap();
    });
}

/// What someone with the database (sqlite3, psql) and the source code but
/// not the key does: edits entry `edit`'s detail, recomputes it and every
/// later entry as the public algorithm of format 2 (plain SHA-256), and
/// moves each result version's recorded head along.
async fn rewrite_without_the_key(app: &TestApp, edit: i64, detail: &str) {
    let mut prev = GENESIS.to_string();
    for (id, mut e) in entries(app).await {
        if id >= edit {
            if id == edit {
                e.detail = detail.to_string();
            }
            let old = e.hash.clone();
            e.prev_hash = prev.clone();
            e.format = 2;
            e.hash = e.compute_hash();
            set_entry(app, id, &e).await;
            server::on_db!(&app.db, pool => {
                sqlx::query("UPDATE result_versions SET audit_head = $1 WHERE audit_head = $2").bind(&e.hash).bind(&old).execute(pool).await.unwrap();
            });
        }
        prev = e.hash;
    }
}

/// Whether a verifier without a key would take the chain: every link
/// holds and every entry from `from` on is a correct hash of format 2.
async fn passes_without_a_key(app: &TestApp, from: i64) -> bool {
    let mut prev = GENESIS.to_string();
    for (id, e) in entries(app).await {
        if e.prev_hash != prev || (id >= from && (e.format != 2 || e.compute_hash() != e.hash)) {
            return false;
        }
        prev = e.hash;
    }
    true
}

async fn published_head(app: &TestApp) -> String {
    let v = server::db::results::versions(&app.db, 2025)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.published_at.is_some())
        .unwrap();
    v.audit_head.expect("a head recorded at publication")
}

async fn scored_and_published(app: &TestApp) {
    app.import_examples().await;
    server::scoring::score(&app.db, 2025, None, None, "test").await.unwrap();
    server::scoring::publish(&app.db, 2025, None, "test").await.unwrap();
}

e2e!(an_edit_hidden_by_rehashing_every_later_entry_is_caught, |app| {
    scored_and_published(&app).await;
    server::auth::users::add(&app.db, "wang", server::auth::Role::Leader, None, "a-long-password", "test")
        .await
        .unwrap();
    assert_eq!(server::db::audit::verify(&app.db).await.unwrap().problem, None);
    let verify = || zhengxin(&app, &["audit", "verify"]);
    let results = || zhengxin(&app, &["results", "--year", "2025", "--verify"]);
    assert!(verify().await.status.success() && results().await.status.success());

    // The attacker hides which file an import read, and rehashes the rest.
    let import = app
        .scalar("SELECT CAST(MIN(id) AS TEXT) FROM audit_log WHERE action = 'import'")
        .await
        .parse::<i64>()
        .unwrap();
    rewrite_without_the_key(&app, import, r#"{"file":"nothing-to-see.csv"}"#).await;
    assert!(
        passes_without_a_key(&app, import).await,
        "without a key the forged chain is a valid chain: the attack that passed before"
    );
    let head = published_head(&app).await;
    assert!(
        app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE hash = '{head}'")).await == "1",
        "the recorded head was moved along"
    );

    let found = server::db::audit::verify(&app.db).await.unwrap().problem.expect("caught");
    assert_eq!((found.id, found.kind), (import, "unkeyed"), "{}", found.message);
    let out = verify().await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(&format!("AUDIT LOG BROKEN at entry {import} (unkeyed)")),
        "{}",
        stdout(&out)
    );
    let out = results().await;
    assert_eq!(out.status.code(), Some(1), "results --verify relies on the log, so it fails with it");
    assert!(
        stdout(&out).contains("AUDIT LOG BROKEN") && stdout(&out).contains("2025 version 1: reproduces exactly"),
        "{}",
        stdout(&out)
    );

    // Claiming the keyed format without the key: the MAC does not match.
    let (_, mut e) = entries(&app).await.into_iter().find(|(id, _)| *id == import).unwrap();
    e.format = 3;
    set_entry(&app, import, &e).await;
    let found = server::db::audit::verify(&app.db).await.unwrap().problem.unwrap();
    assert_eq!((found.id, found.kind), (import, "edited"));
});

e2e!(a_printed_head_proves_nothing_up_to_it_changed, |app| {
    scored_and_published(&app).await;
    let head = published_head(&app).await;
    let publish = app.scalar("SELECT CAST(id AS TEXT) FROM audit_log WHERE action = 'publish'").await;
    assert_eq!(
        app.scalar(&format!("SELECT hash FROM audit_log WHERE id = {publish}")).await,
        head,
        "the head at publication"
    );

    // Printed on the notice and shown on the public page.
    let notice = server::scoring::reports::report(
        &app.db,
        2025,
        None,
        &server::scoring::reports::Kind::Notice,
        "温州市政务诚信考核工作办公室",
        "test",
    )
    .await
    .unwrap();
    let pdf = app.dir.path().join("notice.pdf");
    std::fs::write(&pdf, &notice.bytes).unwrap();
    let text = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext is needed (Debian: poppler-utils)");
    let text: String = String::from_utf8(text.stdout).unwrap().chars().filter(|c| !c.is_whitespace()).collect();
    assert!(text.contains(&format!("审计链头/Auditchainhead:{head}")), "{text}");
    let server = app.serve(None).await;
    server.ready().await;
    let page = server.get("/public/results/2025").await;
    assert!(page.body.contains(&format!("<code>{head}</code>")), "{}", page.body);
    server.stop().await;

    // Later entries do not matter: the printed head is still in the chain.
    server::auth::users::add(&app.db, "wang", server::auth::Role::Leader, None, "a-long-password", "test")
        .await
        .unwrap();
    let out = zhengxin(&app, &["audit", "verify", "--anchor", &head]).await;
    assert!(
        out.status.success() && stdout(&out).contains(&format!("printed head {head}: entry {publish}, and the chain up to it is intact")),
        "{}",
        stdout(&out)
    );

    // The tail from the publication on is cut, the recorded head set back,
    // and the server writes on: whole again inside the database.
    tamper(&app, &format!("DELETE FROM audit_log WHERE id >= {publish}")).await;
    let last = app.scalar("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").await;
    execute(&app, &format!("UPDATE result_versions SET audit_head = '{last}'")).await;
    server::auth::users::add(&app.db, "li", server::auth::Role::Leader, None, "a-long-password", "test")
        .await
        .unwrap();
    assert_eq!(
        server::db::audit::verify(&app.db).await.unwrap().problem,
        None,
        "nothing inside the database shows it"
    );
    let out = zhengxin(&app, &["audit", "verify", "--anchor", &head]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(&format!(
            "the printed head {head} is not in the chain: entries up to it were changed or removed"
        )),
        "{}",
        stdout(&out)
    );
    let out = zhengxin(&app, &["audit", "verify", "--json", "--anchor", &head, "--anchor", &last]).await;
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["problem"]["kind"], "anchor");
    assert_eq!(json["anchors"][0]["entry"], serde_json::Value::Null);
    assert!(json["anchors"][1]["entry"].is_i64(), "{json}");
});

e2e!(a_log_written_before_the_key_existed_is_keyed_from_its_next_entry_on, |app| {
    // An older install's log: format 1, then format 2, no key file.
    let mut prev = GENESIS.to_string();
    for (i, format) in [1, 2, 2].into_iter().enumerate() {
        let at = chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap().and_hms_opt(9, 0, i as u32).unwrap();
        let e = AuditEntry {
            at,
            actor: "cli:old".into(),
            action: "user_add".into(),
            entity: "users".into(),
            entity_key: format!("old{i}"),
            detail: "{}".into(),
            prev_hash: prev.clone(),
            hash: String::new(),
            format,
        };
        let e = AuditEntry { hash: e.compute_hash(), ..e };
        server::on_db!(&app.db, pool => {
            sqlx::query("INSERT INTO audit_log (at, actor, action, entity, entity_key, detail, prev_hash, hash, format) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(e.at).bind(&e.actor).bind(&e.action).bind(&e.entity).bind(&e.entity_key).bind(&e.detail).bind(&e.prev_hash).bind(&e.hash).bind(e.format)
                .execute(pool).await.unwrap();
        });
        prev = e.hash;
    }
    assert!(!app.key_file().exists());
    let unkeyed = server::db::audit::verify(&app.db).await.unwrap();
    assert_eq!((unkeyed.problem, unkeyed.keyed_from), (None, None));

    // The upgraded server's first write makes the key, keying the next id on.
    app.import_examples().await;
    let key = std::fs::read_to_string(app.key_file()).unwrap();
    assert!(key.contains("zhengxin-audit-key v1 hmac-sha256 from=4 key="), "{key}");
    let sealed = app
        .text_rows("SELECT CAST(id AS TEXT), actor, action, CAST(format AS TEXT) FROM audit_log WHERE id = 4")
        .await;
    assert_eq!(sealed[0], ["4", "system", "audit_key_created", "3"]);
    let keyed = server::db::audit::verify(&app.db).await.unwrap();
    assert_eq!((keyed.problem, keyed.keyed_from), (None, Some(4)));

    // A key file gone, or open to others: nothing is written under it.
    let moved = app.dir.path().join("key-elsewhere");
    std::fs::rename(app.key_file(), &moved).unwrap();
    let refused = server::auth::users::add(&app.db, "wang", server::auth::Role::Leader, None, "a-long-password", "test")
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains(&format!(
            "the audit log holds keyed entries but there is no key file at {}",
            app.key_file().display()
        )),
        "{refused}"
    );
    let out = zhengxin(&app, &["audit", "verify", "--json"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("\"kind\": \"no_key\""), "{}", stdout(&out));
    std::fs::rename(&moved, app.key_file()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(app.key_file(), std::fs::Permissions::from_mode(0o640)).unwrap();
        let refused = server::auth::users::add(&app.db, "wang", server::auth::Role::Leader, None, "a-long-password", "test")
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("is open to other users (mode 640)"), "{refused}");
        std::fs::set_permissions(app.key_file(), std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    // The old part is still checked: an edit there shows, and rehashing it
    // and everything after it shows at the first keyed entry, whose link
    // to the old part is under its MAC.
    tamper(&app, "UPDATE audit_log SET detail = '{\"x\":1}' WHERE id = 2").await;
    assert_eq!(
        server::db::audit::verify(&app.db).await.unwrap().problem.map(|p| (p.id, p.kind)),
        Some((2, "edited"))
    );
    rewrite_without_the_key(&app, 2, "{\"x\":1}").await;
    let found = server::db::audit::verify(&app.db).await.unwrap().problem.unwrap();
    assert_eq!((found.id, found.kind), (4, "unkeyed"));
});

e2e!(a_rotated_key_keeps_the_chain_and_its_printed_heads_valid, |app| {
    scored_and_published(&app).await;
    let head = published_head(&app).await;
    let first_epoch = std::fs::read_to_string(app.key_file()).unwrap();

    let out = zhengxin(&app, &["audit", "rotate-key"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // (Named apart: PostgreSQL would order by a text column named id.)
    let rotated = app
        .text_rows("SELECT CAST(id AS TEXT) AS n, action, CAST(format AS TEXT) FROM audit_log ORDER BY id DESC LIMIT 1")
        .await
        .remove(0);
    assert_eq!(rotated[1..], ["audit_key_rotated", "3"]);
    assert!(
        stdout(&out).contains(&format!("audit key epoch 2 keys the entries from {} on", rotated[0])),
        "{}",
        stdout(&out)
    );
    let key = std::fs::read_to_string(app.key_file()).unwrap();
    assert!(
        key.starts_with(&first_epoch) && key.contains(&format!("from={} key=", rotated[0])),
        "appended, nothing rewritten:\n{key}"
    );
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(app.key_file()).unwrap().permissions()) & 0o777,
        0o600
    );

    server::auth::users::add(&app.db, "wang", server::auth::Role::Leader, None, "a-long-password", "test")
        .await
        .unwrap();
    let out = zhengxin(&app, &["audit", "verify", "--anchor", &head]).await;
    assert!(out.status.success(), "{}", stdout(&out));
    // The new entries are keyed with the new key, not the old one.
    std::fs::write(app.key_file(), &first_epoch).unwrap();
    let found = server::db::audit::verify(&app.db).await.unwrap().problem.unwrap();
    assert_eq!((found.id.to_string(), found.kind), (rotated[0].clone(), "edited"));
    std::fs::write(app.key_file(), &key).unwrap();

    // The key is lost with no backup: entries keyed so far can only be
    // linked, not checked; the entries from now on are keyed afresh.
    std::fs::remove_file(app.key_file()).unwrap();
    assert_eq!(server::db::audit::verify(&app.db).await.unwrap().problem.unwrap().kind, "no_key");
    let out = zhengxin(&app, &["audit", "rotate-key", "--key-lost"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout(&out).contains("were keyed under the lost key"), "{}", stdout(&out));
    server::auth::users::add(&app.db, "li", server::auth::Role::Leader, None, "a-long-password", "test")
        .await
        .unwrap();
    let out = zhengxin(&app, &["audit", "verify", "--anchor", &head]).await;
    let said = stdout(&out);
    assert!(
        out.status.success() && said.contains("were keyed under a lost key: their links hold, their contents cannot be checked"),
        "{said}"
    );
    // What is lost, honestly: an edit under the lost key keeps its hash
    // and goes unnoticed; one after the new key does not.
    let score = app.scalar("SELECT CAST(id AS TEXT) FROM audit_log WHERE action = 'score'").await;
    tamper(&app, &format!("UPDATE audit_log SET detail = '{{}}' WHERE id = {score}")).await;
    assert_eq!(server::db::audit::verify(&app.db).await.unwrap().problem, None);
    tamper(&app, "UPDATE audit_log SET detail = '{}' WHERE action = 'user_add' AND entity_key = 'li'").await;
    assert_eq!(server::db::audit::verify(&app.db).await.unwrap().problem.unwrap().kind, "edited");
});
