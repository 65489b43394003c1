//! Accessibility: axe-core, pinned in `tests/e2e/axe/` (install it with
//! `npm ci --prefix tests/e2e/axe`; `.ci/run` does), runs in headless
//! Chromium over every page each role reaches (the public signed out, the
//! leadership, the assessment team, a county's, a township's and a
//! department's unit user, the administrator, the personnel office), in
//! the states that change their markup (forms, refusals, errors, English),
//! at 1024 and at 1920 pixels. Any WCAG 2.0 or 2.1 A or AA violation
//! fails the test, listed with its rule, page and elements.
//!
//! No rule is switched off. Job progress pages (`/jobs/{id}`) are not
//! here: a finished job's page moves on at once, so only a running one
//! could be checked, and only by racing it.

use serde_json::Value;
use server::auth::Role;

use crate::browser::{Driver, backend};
use crate::e2e;
use crate::support::Server;
use crate::web::{Browser, PASSWORD, hidden, site};

/// Where `npm ci` puts axe-core, relative to the server crate.
const AXE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/e2e/axe/node_modules/axe-core/axe.min.js");

/// The WCAG 2.0 and 2.1 levels A and AA, as axe-core tags its rules.
const TAGS: &str = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']";

/// The widths every page is checked at: a small laptop and a wide screen.
const WIDTHS: [u32; 2] = [1024, 1920];

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

/// axe-core's source, or a failure saying how to install it.
fn axe_source() -> String {
    std::fs::read_to_string(AXE).unwrap_or_else(|e| {
        panic!("axe-core is not installed ({AXE}: {e}): run `npm ci --prefix tests/e2e/axe` (needs node and npm; .ci/run does)")
    })
}

/// One step of a role's walk through the site.
enum Step {
    /// Open an address and check the page.
    Visit(String),
    /// Open `page`, fill fields by CSS selector (browser validation off:
    /// what the server answers to a bad form is a page too), press
    /// `button`, and check the page once it shows `shows`.
    Submit { page: String, fill: Vec<(&'static str, &'static str)>, button: &'static str, shows: &'static str },
}

fn visits(paths: &[&str]) -> Vec<Step> {
    paths.iter().map(|p| Step::Visit(p.to_string())).collect()
}

/// The violations found so far, one line per rule, page and width.
struct Audit {
    axe: String,
    pages: usize,
    found: Vec<String>,
}

impl Audit {
    /// Runs axe-core on the page `b` shows, at each width.
    async fn check(&mut self, b: &Driver, who: &str) {
        let url = b.url().await;
        let page = url.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string())).unwrap_or(url);
        b.execute(&format!("{}\nreturn typeof axe;", self.axe)).await;
        for width in WIDTHS {
            b.resize(width, 1000).await;
            let script = format!(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, {{ runOnly: {{ type: 'tag', values: {TAGS} }}, resultTypes: ['violations'] }})\
                 .then(r => done(r.violations.map(v => ({{ id: v.id, help: v.help, targets: v.nodes.map(n => n.target.join(' ')) }}))))\
                 .catch(e => done({{ error: String(e) }}));"
            );
            let answer = b.execute_async(&script).await;
            let violations = answer.as_array().unwrap_or_else(|| panic!("axe-core on {page}: {answer}"));
            for v in violations {
                let targets: Vec<&str> = v["targets"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                self.found.push(format!("{who} {page} at {width} px: {} ({}): {}", v["id"].as_str().unwrap_or("?"), v["help"].as_str().unwrap_or(""), targets.join(" | ")));
            }
        }
        self.pages += 1;
    }

    /// Walks `steps` in one browser, signed in as `user` (or not).
    async fn walk(&mut self, server: &Server, prefix: &str, user: Option<&str>, steps: &[Step]) {
        let who = user.unwrap_or("public");
        let b = Driver::start(&format!("{prefix}-a11y-{who}")).await;
        if let Some(user) = user {
            b.sign_in(server, user).await;
            b.wait_for("the first page after signing in", |p| !p.contains("id=\"password\"")).await;
        }
        for step in steps {
            match step {
                Step::Visit(path) => {
                    let url = format!("http://{}{path}", server.addr);
                    b.goto(&url).await;
                    // Checked where it was asked for, not where a redirect led.
                    assert_eq!(b.url().await, url, "{who} stays on {path}");
                }
                Step::Submit { page, fill, button, shows } => {
                    b.goto(&format!("http://{}{page}", server.addr)).await;
                    for (css, value) in fill {
                        let script = format!(
                            "const e = document.querySelector({css:?}); e.form.noValidate = true; e.value = {value:?};"
                        );
                        b.execute(&script).await;
                    }
                    b.click(button).await;
                    b.wait_for(shows, |p| p.contains(shows)).await;
                }
            }
            self.check(&b, who).await;
        }
        b.quit().await;
    }
}

/// The addresses of what [`prepare`] made.
struct Made {
    repair: String,
    notice: String,
    /// An upload whose check failed.
    refused: String,
    /// An upload committed and rescored.
    committed: String,
}

/// Follows a form's answer that started a job; where the job led.
async fn job_result(b: &Browser, what: &str, answer: crate::web::Page) -> String {
    assert_eq!(answer.status, reqwest::StatusCode::SEE_OTHER, "{what}: {}", answer.body);
    let done = b.wait_for_job(answer.location()).await.body;
    let start = done.find("url=").expect("a finished job names its result") + 4;
    done[start..start + done[start..].find('"').unwrap()].to_string()
}

/// What the walks need to exist, so that their pages show it: a filed
/// objection, a repair application, an issued supervision notice, an
/// upload refused by its check, and one committed and rescored (the
/// publication page then shows what changed).
async fn prepare(server: &Server) -> Made {
    let lucheng = Browser::signed_in(server, "lucheng").await;
    let csrf = hidden(&lucheng.get("/repairs").await.body, "csrf");
    let filed = lucheng.post("/objections", &[("csrf", &csrf), ("source", "hotline"), ("record_id", "H2025-0000001"), ("reason", "已按时办结")], None).await;
    assert_eq!(filed.status, reqwest::StatusCode::SEE_OTHER, "{}", filed.body);
    let fields = [("csrf", csrf.as_str()), ("record_id", "X2025-001"), ("statement", "已缴纳全部罚款并完成整改。"), ("rectified_on", "")];
    let applied = lucheng.post_multipart("/repairs", &fields, &[("files", "缴款凭证.pdf", PDF)]).await;
    assert_eq!(applied.status, reqwest::StatusCode::SEE_OTHER, "{}", applied.body);
    let assessor = Browser::signed_in(server, "assessor").await;
    let csrf = hidden(&assessor.get("/supervision").await.body, "csrf");
    let issued = assessor.post("/supervision/notices", &[("csrf", &csrf), ("as_of", "2026-11-25")], None).await;
    assert_eq!(issued.status, reqwest::StatusCode::SEE_OTHER, "{}", issued.body);
    let header = "id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat\n";
    let bad = format!("{header}H2025-1100001,339999,2025-03-01 09:00:00,2025-03-04 09:00:00,2025-03-02 17:00:00,complaint,0,0,satisfied,0\n");
    let refused = job_result(&assessor, "a refused upload", assessor.post_multipart("/import", &[("csrf", &csrf)], &[("files", "hotline-2025-11.csv", bad.as_bytes())]).await).await;
    let good = format!("{header}H2025-1100002,330302,2025-03-01 09:00:00,2025-03-04 09:00:00,2025-03-09 17:00:00,complaint,0,0,不满意,0\n");
    let committed = job_result(&assessor, "an upload", assessor.post_multipart("/import", &[("csrf", &csrf)], &[("files", "hotline-2025-12.csv", good.as_bytes())]).await).await;
    job_result(&assessor, "its commit", assessor.post(&format!("{committed}/commit"), &[("csrf", &csrf)], None).await).await;
    job_result(&assessor, "rescoring", assessor.post("/score", &[("csrf", &csrf), ("year", "2025")], None).await).await;
    Made { repair: applied.location().to_string(), notice: issued.location().to_string(), refused, committed }
}

/// The leadership's pages, and the pages every signed-in reader of results
/// shares with it.
fn leader_steps(made: &Made) -> Vec<Step> {
    let mut steps = visits(&[
        "/",
        "/?lang=en",
        "/data",
        "/units/330302?year=2025",
        "/units/330381?year=2025",
        "/units/330302?year=2025&lang=en",
        "/units/330302/indicators/dishonesty",
        "/units/330302/indicators/hotline_ontime?show=counted",
        "/units/330302/indicators/hotline_ontime?show=voided",
        "/units/330302/records/hotline/H2025-0000001",
        "/units/330302/records/dishonesty/X2025-001",
        "/objections",
        "/publication?year=2025",
        "/whatif?year=2025",
        "/whatif?year=2025&rulebook_year=2024",
        "/supervision",
        "/supervision?band=overdue_90&lang=en",
        "/supervision?area=330381&kind=court_listing",
        "/import",
        "/supervision/notices/999999",
    ]);
    steps.push(Step::Visit(made.notice.clone()));
    steps
}

fn assessor_steps(made: &Made) -> Vec<Step> {
    let mut steps = visits(&[
        "/",
        "/data",
        "/objections",
        "/objections?lang=en",
        "/repairs",
        "/import",
        "/statistics?year=2025",
        "/statistics?year=2025&lang=en",
        "/publication?year=2025",
        "/publication?year=2025&lang=en",
        "/whatif?year=2025&rulebook_year=2026",
        "/supervision",
        "/admin/users",
    ]);
    steps.extend([&made.repair, &made.notice, &made.refused, &made.committed].map(|p| Step::Visit(p.clone())));
    steps
}

fn unit_steps(code: &str) -> Vec<Step> {
    let pages = [
        "/".to_string(),
        "/?lang=en".into(),
        "/data".into(),
        format!("/units/{code}?year=2025"),
        format!("/units/{code}/indicators/dishonesty"),
        format!("/units/{code}/indicators/hotline_ontime?show=counted"),
        "/objections".into(),
        "/repairs".into(),
        "/repairs?lang=en".into(),
        "/units/330303?year=2025".into(),
        "/units/330303/indicators/dishonesty".into(),
    ];
    pages.into_iter().map(Step::Visit).collect()
}

e2e!(every_page_of_every_role_passes_axe_at_wcag_2_1_aa, |app| {
    let axe = axe_source();
    let server = site(&app).await;
    for (name, unit) in [("wuma", "330302006"), ("caizheng", "D010")] {
        server::auth::users::add(&app.db, name, Role::Unit, Some(unit), PASSWORD, "test").await.unwrap();
    }
    let made = prepare(&server).await;
    let prefix = backend(&app);
    let mut audit = Audit { axe, pages: 0, found: Vec::new() };

    let public = visits(&[
        "/login",
        "/login?lang=en",
        "/public/results/2025",
        "/public/results/2025?group=township",
        "/public/results/2025?q=%E9%B9%BF%E5%9F%8E",
        "/public/results/2025?lang=en",
        "/public/records",
        "/public/records?q=none-such",
        "/public/results/2024",
    ]);
    audit.walk(&server, prefix, None, &public).await;
    audit.walk(&server, prefix, Some("leader"), &leader_steps(&made)).await;
    audit.walk(&server, prefix, Some("assessor"), &assessor_steps(&made)).await;

    let mut lucheng = unit_steps("330302");
    lucheng.push(Step::Visit(made.repair.clone()));
    lucheng.push(Step::Submit {
        page: "/units/330302/indicators/dishonesty".into(),
        fill: vec![("form[action='/objections'] input[name=reason]", " ")],
        button: "form[action='/objections'] button",
        shows: "请填写理由",
    });
    audit.walk(&server, prefix, Some("lucheng"), &lucheng).await;
    audit.walk(&server, prefix, Some("wuma"), &unit_steps("330302006")).await;
    audit.walk(&server, prefix, Some("caizheng"), &unit_steps("D010")).await;

    audit.walk(&server, prefix, Some("admin"), &visits(&["/admin/users", "/admin/users?lang=en", "/data"])).await;
    let mut security = visits(&["/admin/security", "/admin/security?lang=en", "/account", "/account/two-factor", "/account/two-factor?lang=en"]);
    security.push(Step::Submit {
        page: "/account/two-factor".into(),
        fill: vec![("#code", "000000")],
        button: "form[action='/account/two-factor'] button",
        shows: "验证码不正确",
    });
    audit.walk(&server, prefix, Some("security"), &security).await;
    let auditor = vec![
        Step::Visit("/admin/audit".into()),
        Step::Visit("/admin/audit?lang=en&action=sign_in".into()),
        Step::Visit("/admin/audit?from=not-a-date".into()),
        Step::Submit { page: "/admin/audit".into(), fill: vec![], button: "form[action='/admin/audit/verify'] button", shows: "审计链完整" },
    ];
    audit.walk(&server, prefix, Some("auditor"), &auditor).await;
    let personnel = vec![
        Step::Visit("/persons".into()),
        Step::Visit("/persons?lang=en".into()),
        Step::Submit { page: "/persons".into(), fill: vec![("#person-ref", "P-0b44e6d1"), ("#person-purpose", "appointment")], button: "form[action='/persons'] button", shows: "审查意见" },
        Step::Submit { page: "/persons".into(), fill: vec![("#person-ref", "P-0b44e6d1"), ("#person-purpose", "")], button: "form[action='/persons'] button", shows: "每次查询须说明用途" },
        Step::Visit("/data".into()),
    ];
    audit.walk(&server, prefix, Some("personnel"), &personnel).await;

    assert!(audit.pages >= 60, "pages checked: {}", audit.pages);
    assert!(audit.found.is_empty(), "WCAG 2.1 A/AA violations (axe-core) on {} pages:\n{}", audit.pages, audit.found.join("\n"));
    server.stop().await;
});
