//! What one user, one socket or one file must not be able to break
//! (issue 24), on both back-ends: slow uploads never hold the expensive
//! places, silent connections are closed and health checks still
//! answered, a stranger's guesses never lock the real user's browser
//! out, and evidence is served only as what it was checked to be.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::e2e;
use crate::support::Server;
use crate::web::{Browser, PASSWORD, hidden, site};

/// Starts a `POST /repairs` that announces 9 MB and sends 64 bytes a
/// second; the socket, while it is held open.
async fn slow_upload(server: &Server, browser: &Browser) -> tokio::task::JoinHandle<String> {
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /repairs HTTP/1.1\r\nHost: x\r\nCookie: {}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 9000000\r\n\r\n",
        browser.cookie()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    tokio::spawn(async move {
        let mut answer = Vec::new();
        for _ in 0..120 {
            if s.write_all(&[b'x'; 64]).await.is_err() {
                break;
            }
            let mut chunk = [0u8; 1024];
            match tokio::time::timeout(Duration::from_secs(1), s.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => answer.extend_from_slice(&chunk[..n]),
                Err(_) => {}
            }
        }
        String::from_utf8_lossy(&answer).into_owned()
    })
}

e2e!(slow_uploads_hold_no_expensive_place_and_one_account_sends_two_at_most, |app| {
    let server = site(&app).await;
    let lucheng = Browser::signed_in(&server, "lucheng").await;
    let leader = Browser::signed_in(&server, "leader").await;
    let assessor = Browser::signed_in(&server, "assessor").await;
    // Two slow uploads of one unit account: its upload places.
    let first = slow_upload(&server, &lucheng).await;
    let second = slow_upload(&server, &lucheng).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let third = lucheng
        .post_multipart("/repairs", &[("csrf", "x")], &[("files", "a.pdf", b"%PDF-1.4\n%%EOF\n")])
        .await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS, "{}", third.body);
    assert!(third.body.contains("2 uploads of yours are under way"), "{}", third.body);
    // Meanwhile every expensive page answers at once, the uploader's own
    // included: a slow upload holds no expensive place.
    let started = std::time::Instant::now();
    let (export, table, records) = tokio::join!(
        leader.get("/exports/2025/rankings.xlsx"),
        assessor.get("/exports/2025/rankings.csv"),
        lucheng.get("/units/330302/indicators/dishonesty"),
    );
    assert_eq!((export.status, table.status, records.status), (StatusCode::OK, StatusCode::OK, StatusCode::OK));
    assert!(started.elapsed() < Duration::from_secs(5), "nothing waited for a place: {:?}", started.elapsed());
    // Four expensive requests at once beside the uploads, two of them the
    // leader's (its second waits for its first, not for the uploads).
    let four = tokio::join!(
        leader.get("/reports/2025/notice.pdf"),
        assessor.get("/statistics?year=2025"),
        lucheng.get("/units/330302/indicators/commit_ontime"),
        leader.get("/units/330302/indicators/dishonesty"),
    );
    for page in [&four.0, &four.1, &four.2, &four.3] {
        assert_eq!(page.status, StatusCode::OK);
    }
    first.abort();
    second.abort();
    server.stop().await;
});

e2e!(silent_connections_are_closed_and_health_checks_still_answered, |app| {
    let server = app
        .serve_with(None, |c| {
            c.max_connections = Some(32);
            c.header_timeout = Duration::from_millis(500);
        })
        .await;
    server.ready().await;
    // Far more silent sockets than the server holds.
    let mut silent = Vec::new();
    for _ in 0..200 {
        silent.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    let started = std::time::Instant::now();
    let health = server.get("/healthz").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    // Every silent socket is closed: made room for others, or timed out
    // half a second after its accept.
    for s in &mut silent {
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "a silent connection was left open");
    }
    server.stop().await;
});

e2e!(a_strangers_guesses_never_lock_the_real_users_browser_out, |app| {
    let server = site(&app).await;
    let mut real = Browser::new(&server);
    let page = real.sign_in("lucheng", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let set = page.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).find(|c| c.starts_with("zx_device=")).expect("a device cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Max-Age=15552000"), "{set}");
    // Well-timed guesses from a stranger's browser: five at once, then one
    // as each delay ends, until the next delay is four seconds.
    let mut stranger = Browser::new(&server);
    for wait in [0, 0, 0, 0, 0, 1_100, 2_100] {
        tokio::time::sleep(Duration::from_millis(wait)).await;
        assert_eq!(stranger.sign_in("lucheng", "wrong-password").await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(stranger.sign_in("lucheng", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(Browser::new(&server).sign_in("lucheng", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS, "a new browser waits too");
    // The browser lucheng signed in from before passes at once (from the
    // same address as the stranger, here).
    assert_eq!(real.sign_in("lucheng", PASSWORD).await.status, StatusCode::SEE_OTHER);
    // Its cookie is good for lucheng only.
    let mut borrowed = Browser::new(&server);
    borrowed.device = real.device.clone();
    assert_eq!(borrowed.sign_in("assessor", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS, "the address waits for other accounts");
    // The start of the account's delay is audited.
    let mut locks = Vec::new();
    for _ in 0..100 {
        locks = app.text_rows("SELECT actor, entity, entity_key, detail FROM audit_log WHERE action = 'sign_in_locked' ORDER BY id").await;
        if locks.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(locks.iter().any(|r| r[1] == "users" && r[2] == "lucheng" && r[3].contains("\"scope\":\"account\"")), "{locks:?}");
    assert!(locks.iter().any(|r| r[1] == "addresses" && r[2] == "127.0.0.1"), "{locks:?}");
    assert!(locks.iter().all(|r| r[0] == "system:sign-in-throttle"));
    server.stop().await;
});

e2e!(evidence_is_served_only_as_what_it_was_checked_to_be, |app| {
    let server = site(&app).await;
    let lucheng = Browser::signed_in(&server, "lucheng").await;
    let csrf = hidden(&lucheng.get("/repairs").await.body, "csrf");
    let fields = [("csrf", csrf.as_str()), ("record_id", "X2025-001"), ("statement", "已缴纳罚款"), ("rectified_on", "")];
    // A PDF's signature in front of an HTML page is refused.
    let polyglot: &[u8] = b"%PDF-1.4\n<!DOCTYPE html><html><script>alert(document.cookie)</script></html>";
    let refused = lucheng.post_multipart("/repairs", &fields, &[("files", "scan.html", polyglot)]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("scan.html：不是 PDF、JPEG 或 PNG 文件"), "{}", refused.body);
    // A PDF under a name that hides `.hta` behind a right-to-left override.
    let pdf: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
    let sent = lucheng.post_multipart("/repairs", &fields, &[("files", "scan\u{202E}atp.pdf", pdf)]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let id = sent.location().trim_start_matches("/repairs/").to_string();
    let assessor = Browser::signed_in(&server, "assessor").await;
    let page = assessor.get(&format!("/repairs/{id}")).await.body;
    assert!(page.contains("scanatp.pdf") && !page.contains('\u{202E}'), "the name shown as text only");
    let file = assessor.get(&format!("/repairs/{id}/evidence/1")).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.bytes, pdf);
    let header = |name: &str| file.headers.get(name).unwrap().to_str().unwrap().to_string();
    assert_eq!(header("content-type"), "application/pdf");
    assert_eq!(header("content-disposition"), format!("attachment; filename=\"repair-{id}-evidence-1.pdf\""));
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("content-security-policy"), "sandbox; default-src 'none'");
    server.stop().await;
});
