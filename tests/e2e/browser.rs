//! Headless Chromium (Debian's `chromium` and `chromedriver`, driven over
//! the W3C WebDriver protocol) walking the pages as each role would:
//! sign in, overview → scorecard → records → downloads, file an objection,
//! decide it, rescore, publish, import, manage users, switch to English. Screenshots of every step land in
//! `$CARGO_TARGET_TMPDIR/screenshots/` to be looked at.
//!
//! Needs `chromium`, `chromium-driver` and `fonts-noto-cjk` (`.ci/run`
//! installs them); without them the tests fail saying so.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use crate::e2e;
use crate::support::{Server, TestApp};
use crate::web::{PASSWORD, site};

/// The text of a PDF, page by page, as `pdftotext` (poppler-utils) reads it.
pub(crate) fn pdf_pages(pdf: &[u8]) -> Vec<String> {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(file.path())
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext is needed to read printed pages (Debian: poppler-utils): {e}"));
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut pages: Vec<String> = text.split('\x0c').map(str::to_string).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// A page printed to A4 carries "第 i 页 共 n 页" on every sheet, and none
/// of what only serves the screen: navigation, sign-out, download links,
/// forms, hints on how to print.
fn assert_printed(pdf: &[u8], what: &str) {
    assert!(pdf.starts_with(b"%PDF"), "{what} prints");
    let pages = pdf_pages(pdf);
    let n = pages.len();
    assert!(n >= 1, "{what}: no pages");
    for (i, page) in pages.iter().enumerate() {
        // pdftotext spaces CJK text as laid out; compare without spaces.
        let text: String = page.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains(&format!("第{}页共{n}页", i + 1)), "{what}: page {} of {n} shows its number:\n{page}", i + 1);
        for screen_only in ["下载", "打印", "退出", "筛选", "返回", "English"] {
            assert!(!text.contains(screen_only), "{what}: page {} prints {screen_only:?}:\n{page}", i + 1);
        }
    }
}

/// The W3C identifier of an element in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub(crate) struct Driver {
    process: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
    shots: PathBuf,
    prefix: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Driver {
    pub(crate) async fn start(prefix: &str) -> Driver {
        let port = free_port();
        let process = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is not installed: apt-get install chromium chromium-driver fonts-noto-cjk (.ci/run does)");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-quic".into(),
            "--window-size=1280,1400".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome",
            "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args } } } });
        let answer: Value = http.post(format!("{base}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
        let session = answer["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("a browser session: {answer}")).to_string();
        let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Driver { process, base, session, http, _profile: profile, shots, prefix: prefix.to_string() }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method, url);
        if let Some(b) = body {
            request = request.json(&b);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        if answer["value"].get("error").is_some() {
            panic!("WebDriver {path}: {}", answer["value"]);
        }
        answer["value"].clone()
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url }))).await;
    }

    pub(crate) async fn find(&self, css: &str) -> String {
        let v = self.call(reqwest::Method::POST, "/element", Some(json!({ "using": "css selector", "value": css }))).await;
        v[ELEMENT].as_str().unwrap().to_string()
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{el}/value"), Some(json!({ "text": text }))).await;
    }

    pub(crate) async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{el}/click"), Some(json!({}))).await;
    }

    pub(crate) async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None).await.as_str().unwrap().to_string()
    }

    /// The page source once `cond` holds: a click that submits a form
    /// returns before the next page has loaded.
    pub(crate) async fn wait_for(&self, what: &str, cond: impl Fn(&str) -> bool) -> String {
        for _ in 0..100 {
            let page = self.source().await;
            if cond(&page) {
                return page;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed {what}");
    }

    pub(crate) async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None).await.as_str().unwrap().to_string()
    }

    /// Saves a PNG of the viewport as `<prefix>-<name>.png`.
    async fn shot(&self, name: &str) {
        let data = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap()).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(self.shots.join(format!("{}-{name}.png", self.prefix)), png).unwrap();
    }

    /// Prints the page as Chromium would on A4 (W3C WebDriver print) and
    /// saves `<prefix>-<name>.pdf` beside the screenshots; returns its bytes.
    async fn print_a4(&self, name: &str) -> Vec<u8> {
        let data = self
            .call(reqwest::Method::POST, "/print", Some(json!({ "page": { "width": 21.0, "height": 29.7 }, "background": true })))
            .await;
        let pdf = base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap()).unwrap();
        std::fs::write(self.shots.join(format!("{}-{name}.pdf", self.prefix)), &pdf).unwrap();
        pdf
    }

    /// Lets the browser save downloads into `dir` (Chrome DevTools).
    async fn downloads_into(&self, dir: &std::path::Path) {
        let params = json!({ "behavior": "allow", "downloadPath": dir.display().to_string() });
        self.call(reqwest::Method::POST, "/goog/cdp/execute", Some(json!({ "cmd": "Browser.setDownloadBehavior", "params": params })))
            .await;
    }

    /// Clicks a download link and returns the file it saved in `dir`.
    /// Chromium reserves the final name with an empty file and writes to a
    /// `.crdownload` beside it: the download is done when that is gone.
    async fn download(&self, css: &str, dir: &std::path::Path, suffix: &str) -> Vec<u8> {
        let before: Vec<_> = std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).collect();
        self.click(css).await;
        for _ in 0..100 {
            let now: Vec<_> = std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).collect();
            let writing = now.iter().any(|p| p.to_string_lossy().ends_with(".crdownload"));
            let done = now.into_iter().find(|p| !before.contains(p) && p.to_string_lossy().ends_with(suffix));
            if let Some(file) = done.filter(|f| !writing && std::fs::metadata(f).is_ok_and(|m| m.len() > 0)) {
                return std::fs::read(file).unwrap();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no {suffix} download from {css}");
    }

    /// Runs `script` (a function body) in the page; what it returns.
    pub(crate) async fn execute(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": [] }))).await
    }

    /// Runs `script` (a function body) in the page and waits until it calls
    /// its last argument, the callback; what it passed (a promise's result).
    pub(crate) async fn execute_async(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/async", Some(json!({ "script": script, "args": [] }))).await
    }

    /// Makes the window `width` pixels wide (and `height` high).
    pub(crate) async fn resize(&self, width: u32, height: u32) {
        self.call(reqwest::Method::POST, "/window/rect", Some(json!({ "width": width, "height": height }))).await;
    }

    /// Shows the page as printed (CSS print media) until `screen` is called.
    async fn media(&self, media: &str) {
        self.call(reqwest::Method::POST, "/goog/cdp/execute", Some(json!({ "cmd": "Emulation.setEmulatedMedia", "params": { "media": media } })))
            .await;
    }

    pub(crate) async fn sign_in(&self, server: &Server, user: &str) {
        self.goto(&format!("http://{}/login", server.addr)).await;
        self.type_into("#username", user).await;
        self.type_into("#password", PASSWORD).await;
        self.click("button[type=submit]").await;
    }

    /// Closes the browser and stops chromedriver (what [`Drop`] does; the
    /// name says where a walk ends).
    pub(crate) async fn quit(self) {
        tokio::task::block_in_place(|| drop(self));
    }
}

/// Closes the browser and stops chromedriver however the test ends, a
/// failed assertion included: deleting the session makes chromedriver
/// close Chromium; then chromedriver itself is killed. The request is
/// plain blocking HTTP on a socket (a drop cannot await), bounded by
/// timeouts; only our own child process is signalled, never a group.
impl Drop for Driver {
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let address = self.base.trim_start_matches("http://").to_string();
        if let Ok(mut stream) = std::net::TcpStream::connect(&address) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
            let request = format!("DELETE /session/{} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n", self.session);
            if stream.write_all(request.as_bytes()).is_ok() {
                let mut answer = Vec::new();
                let _ = stream.read_to_end(&mut answer);
            }
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The text of each cell (`th` or `td`) of the table row that links to
/// `href`, tags removed and whitespace folded.
fn row_of(page: &str, href: &str) -> Vec<String> {
    let at = page.find(&format!("href=\"{href}\"")).unwrap_or_else(|| panic!("no link to {href}"));
    let start = page[..at].rfind("<tr").expect("the link is in a table row");
    let end = at + page[at..].find("</tr>").expect("the row closes");
    cells(&page[start..end])
}

/// The text of each `th`/`td` cell in `html`.
fn cells(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(found) = html[i..].find("<t") {
        let at = i + found;
        let tag = html.get(at + 1..at + 3).unwrap_or_default();
        if (tag == "th" || tag == "td") && matches!(html.as_bytes().get(at + 3), Some(b'>' | b' ')) {
            let open_end = at + html[at..].find('>').unwrap() + 1;
            let close = open_end + html[open_end..].find(&format!("</{tag}>")).unwrap();
            out.push(text(&html[open_end..close]));
            i = close;
        } else {
            i = at + 2;
        }
    }
    out
}

/// `html` without its tags, whitespace folded.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn grade_zh(grade: &str) -> &'static str {
    match grade {
        "excellent" => "优秀",
        "good" => "良好",
        "pass" => "合格",
        "fail" => "不合格",
        _ => "未评定",
    }
}

pub(crate) fn backend(app: &TestApp) -> &'static str {
    match app.backend {
        crate::support::Backend::Sqlite => "sqlite",
        crate::support::Backend::Postgres => "postgres",
    }
}

e2e!(leadership_walks_overview_unit_records_and_english, |app| {
    let server = site(&app).await;
    let b = Driver::start(&format!("{}-leader", backend(&app))).await;
    b.sign_in(&server, "leader").await;
    // The print hint closes the page's main part: the whole page has arrived.
    let page = b.wait_for("the overview", |p| p.contains("2025 年度政务诚信考核总览") && p.contains("打印：按 Ctrl+P")).await;
    assert!(b.url().await.ends_with('/'), "signed in, on the overview");
    // The county board shows the stored result: rank, total, grade (and
    // the veto) of each county, in rank order.
    let version = server::scoring::results::default_version(&server::db::results::versions(&app.db, 2025).await.unwrap()).unwrap().clone();
    let stored = server::db::results::units(&app.db, version.id).await.unwrap();
    let mut counties: Vec<_> = stored.iter().filter(|u| u.group == "county").collect();
    counties.sort_by_key(|u| u.rank);
    let mut last_row = 0;
    for u in &counties {
        let href = format!("/units/{}?year=2025", u.unit_code);
        let row = row_of(&page, &href);
        let grade = if u.vetoed { format!("{} （一票否决）", grade_zh(u.grade.code())) } else { grade_zh(u.grade.code()).to_string() };
        assert_eq!(row[..4], [u.rank.unwrap().to_string(), u.unit_name.clone(), format!("{:.2}", u.total), grade], "{}", u.unit_code);
        let at = page.find(&href).unwrap();
        assert!(at > last_row, "{} is listed in rank order", u.unit_code);
        last_row = at;
    }
    // Hand-derived in scoring.rs: 瑞安市 78.25 (vetoed, still first), 鹿城区 56.00.
    assert_eq!(row_of(&page, "/units/330381?year=2025")[..3], ["1", "瑞安市", "78.25"]);
    b.shot("1-overview").await;
    let pdf = b.print_a4("1-overview-a4").await;
    assert_printed(&pdf, "the overview");
    b.media("print").await;
    b.shot("1-overview-print").await;
    b.media("").await;
    let downloads = tempfile::tempdir().unwrap();
    b.downloads_into(downloads.path()).await;
    let xlsx = b.download("a[href^='/exports/2025/rankings.xlsx?version=1']", downloads.path(), "rankings.xlsx").await;
    assert!(xlsx.starts_with(b"PK"), "the result table downloads as a workbook");
    b.click("a[href^='/units/330302']").await;
    let page = b.wait_for("the scorecard", |p| p.contains("指标明细")).await;
    // The headline table shows 鹿城区's stored result.
    let lucheng = stored.iter().find(|u| u.unit_code == "330302").unwrap();
    let headline = &page[page.find("2025 考核结果").unwrap()..];
    let headline = cells(&headline[..headline.find("</table>").unwrap()]);
    let expected = [
        ("总分", format!("{:.2}", lucheng.total)),
        ("基础得分", format!("{:.4}", lucheng.base)),
        ("加分", lucheng.bonus.to_string()),
        ("组内排名", format!("{} / {}", lucheng.rank.unwrap(), lucheng.group_size)),
        ("等次", grade_zh(lucheng.grade.code()).to_string()),
    ];
    let shown: Vec<(String, String)> = headline.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect();
    for (label, value) in &expected {
        assert!(shown.contains(&(label.to_string(), value.clone())), "{label} {value} in {shown:?}");
    }
    assert!(shown.contains(&("总分".into(), "56.00".into())) && shown.contains(&("组内排名".into(), "2 / 3".into())), "{shown:?}");
    b.shot("2-scorecard").await;
    let pdf = b.print_a4("2-scorecard-a4").await;
    assert_printed(&pdf, "the scorecard");
    b.click("a[href*='/indicators/dishonesty']").await;
    b.wait_for("the records", |p| p.contains("X2025-001")).await;
    b.shot("3-records").await;
    let csv = b.download("a[href*='/records.csv']", downloads.path(), ".csv").await;
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("\u{feff}id,") && csv.contains("X2025-001"), "{csv}");
    b.goto(&format!("http://{}/?lang=en", server.addr)).await;
    let page = b.wait_for("the English overview", |p| p.contains("<html lang=\"en\"")).await;
    assert!(page.contains("integrity assessment overview") && !page.contains("风险提示"));
    b.shot("4-overview-en").await;
    b.quit().await;
    server.stop().await;
});

e2e!(a_unit_objects_and_the_assessment_team_decides_in_the_browser, |app| {
    let server = site(&app).await;
    let unit = Driver::start(&format!("{}-unit", backend(&app))).await;
    unit.sign_in(&server, "lucheng").await;
    unit.wait_for("the overview", |p| p.contains("考核总览")).await;
    let records = format!("http://{}/units/330302/indicators/dishonesty", server.addr);
    unit.goto(&records).await;
    // The control is in view without scrolling sideways, on a small
    // screen as on a large one, however wide the record's columns.
    for width in [1920, 1024] {
        unit.resize(width, 1000).await;
        let seen = unit
            .execute(
                "const b = document.querySelector(\"form[action='/objections'] button\").getBoundingClientRect(); \
                 return [b.left, b.right, window.innerWidth, document.querySelector('.scroll').scrollLeft];",
            )
            .await;
        let [left, right, inner, scrolled] = [0, 1, 2, 3].map(|n| seen[n].as_f64().unwrap());
        assert!(inner <= f64::from(width) && scrolled == 0.0, "{width} px: {seen}");
        assert!(left >= 0.0 && right <= inner, "提出异议 in view at {width} px: {seen}");
    }
    unit.type_into("input[name=reason]", "已主动纠错并获信用修复").await;
    unit.shot("1-objection-form").await;
    unit.click("form[action='/objections'] button").await;
    unit.wait_for("the filed objection", |p| p.contains("待处理")).await;
    assert!(unit.url().await.ends_with("/objections"));
    unit.shot("2-objection-filed").await;
    unit.goto(&records).await;
    let page = unit.wait_for("the record's pending objection", |p| p.contains("异议处理中")).await;
    assert!(!page.contains("name=\"record_id\" value=\"X2025-001\""), "no second form");

    let assessor = Driver::start(&format!("{}-assessor", backend(&app))).await;
    assessor.sign_in(&server, "assessor").await;
    assessor.wait_for("the overview", |p| p.contains("考核总览")).await;
    assessor.goto(&format!("http://{}/objections", server.addr)).await;
    assessor.type_into("input[name=reason][id^=decision-reason]", "经核实，信用修复材料齐全").await;
    assessor.click("button[value=accept]").await;
    assessor.wait_for("the decision", |p| p.contains("经核实，信用修复材料齐全")).await;
    assessor.shot("1-decided").await;
    assessor.click("form[action='/score'] button").await;
    let page = assessor.wait_for("what the rescored version changed", |p| p.contains("第 2 版与已发布的第 1 版相比的变化")).await;
    assert!(page.contains("鹿城区") && page.contains("<del>"));
    assessor.shot("2-rescored-changes").await;
    assessor.click("form[action='/publish'] button").await;
    assessor.wait_for("the published version", |p| p.contains("结果版本") && !p.contains("action=\"/publish\"")).await;
    assessor.shot("3-published").await;
    assessor.goto(&format!("http://{}/", server.addr)).await;
    let page = assessor.wait_for("the overview of the published version", |p| p.contains("第2版")).await;
    assert!(page.contains("已发布") && !page.contains("已有更新的第 2 版"));
    unit.goto(&format!("http://{}/objections", server.addr)).await;
    unit.wait_for("the decision", |p| p.contains("经核实，信用修复材料齐全")).await;
    unit.quit().await;
    assessor.quit().await;
    server.stop().await;
});

e2e!(the_assessment_team_imports_in_the_browser_and_the_administrator_manages_users, |app| {
    let server = site(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hotline-2025-11.csv");
    let mut csv = String::from("id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat\n");
    for n in 1..=9 {
        csv.push_str(&format!("H2025-11{n:05},330302,2025-0{n}-01 09:00:00,2025-0{n}-04 09:00:00,2025-0{n}-02 17:00:00,complaint,0,0,satisfied,0\n"));
    }
    std::fs::write(&file, csv).unwrap();

    let assessor = Driver::start(&format!("{}-import", backend(&app))).await;
    assessor.sign_in(&server, "assessor").await;
    assessor.wait_for("the overview", |p| p.contains("考核总览")).await;
    assessor.goto(&format!("http://{}/import", server.addr)).await;
    assessor.wait_for("the import page", |p| p.contains("还没有上传过文件")).await;
    assessor.shot("1-import-empty").await;
    assessor.type_into("#files", &file.display().to_string()).await;
    assessor.click("form[enctype='multipart/form-data'] button").await;
    let page = assessor.wait_for("the check's report", |p| p.contains("检查通过")).await;
    assert!(page.contains("hotline-2025-11.csv"));
    assessor.shot("2-checked").await;
    assessor.click("form[action$='/commit'] button").await;
    assessor.wait_for("the committed upload", |p| p.contains("已导入。")).await;
    assessor.shot("3-committed").await;
    assessor.click("form[action='/score'] button").await;
    let page = assessor.wait_for("what rescoring changed", |p| p.contains("第 2 版与已发布的第 1 版相比的变化")).await;
    assert!(page.contains("鹿城区"));
    assessor.shot("4-changes").await;
    assessor.quit().await;

    let admin = Driver::start(&format!("{}-admin", backend(&app))).await;
    admin.sign_in(&server, "admin").await;
    admin.wait_for("user management", |p| p.contains("新增用户")).await;
    admin.type_into("#username", "chen.jing").await;
    admin.type_into("#new-password", "long-enough-password").await;
    admin.click("form[action='/admin/users'] button").await;
    admin.wait_for("the added user", |p| p.contains("已新增用户 chen.jing")).await;
    admin.shot("1-users").await;
    admin.quit().await;
    server.stop().await;
});

e2e!(a_hostile_next_address_leaves_the_browser_on_this_site, |app| {
    let server = site(&app).await;
    let b = Driver::start(&format!("{}-redirect", backend(&app))).await;
    // What browsers fold to //evil.example/: a tab, a backslash, %5C.
    for hostile in ["/%09/evil.example/", "/%5C/evil.example/", "//evil.example/", "/%2F/evil.example/"] {
        b.goto(&format!("http://{}/login?next={hostile}", server.addr)).await;
        b.type_into("#username", "leader").await;
        b.type_into("#password", PASSWORD).await;
        b.click("button[type=submit]").await;
        b.wait_for("a page after signing in", |p| p.contains("考核总览") || p.contains("ERR_") || p.contains("evil")).await;
        let url = b.url().await;
        assert!(url.starts_with(&format!("http://{}/", server.addr)), "{hostile} led the browser to {url}");
        assert!(!url.contains("evil"), "{hostile} led the browser to {url}");
        // Sign out again for the next attempt.
        b.goto(&format!("http://{}/", server.addr)).await;
        b.click("form[action='/logout'] button").await;
        b.wait_for("the sign-in form", |p| p.contains("id=\"username\"")).await;
    }
    b.quit().await;
    server.stop().await;
});

e2e!(an_administrator_sets_up_two_step_verification_in_the_browser, |app| {
    let server = site(&app).await;
    // The policy's default: the three administrators need two factors.
    let passwords_only = server::auth::policy::current(&app.db, 30).await.unwrap();
    server::auth::policy::set(&app.db, &passwords_only, &server::auth::policy::Policy::default_for(30), "test", std::net::Ipv4Addr::LOCALHOST.into()).await.unwrap();
    server.stop().await;
    let server = app.serve(None).await;
    server.ready().await;

    let b = Driver::start(&format!("{}-two-factor", backend(&app))).await;
    b.sign_in(&server, "auditor").await;
    let page = b.wait_for("the enrolment page", |p| p.contains("设置两步验证")).await;
    assert!(b.url().await.ends_with("/login/enrol"), "{}", b.url().await);
    // The QR code is drawn in the page (no outside service), and is seen.
    let drawn = b.execute("const r = document.querySelector('figure.qr svg').getBoundingClientRect(); return [r.width, r.height];").await;
    assert!(drawn[0].as_f64().unwrap() >= 200.0 && drawn[1].as_f64().unwrap() >= 200.0, "{drawn}");
    b.shot("1-enrol").await;
    let at = page.find("和密钥：<code>").unwrap() + "和密钥：<code>".len();
    let secret = page[at..at + page[at..].find('<').unwrap()].replace(' ', "");
    let totp = totp_rs::Builder::new().with_secret(totp_rs::Secret::try_from_base32(&secret).unwrap()).build().unwrap();
    b.type_into("#code", &totp.generate_current().to_string()).await;
    b.click("form[action='/login/enrol'] button").await;
    let codes = b.wait_for("the recovery codes", |p| p.contains("以下恢复码只显示这一次")).await;
    assert_eq!(codes.matches("<li><code>").count(), 10);
    b.shot("2-recovery-codes").await;
    b.click("main a").await;
    b.wait_for("the audit log, signed in", |p| p.contains("验证审计链")).await;
    b.quit().await;
    server.stop().await;
});
