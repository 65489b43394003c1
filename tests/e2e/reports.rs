//! Reports as their readers get them: the PDF notice and units' reports
//! the server typesets, and the result workbook opened and printed by
//! LibreOffice (headless); pages read back with `pdftotext` and drawn with
//! `pdftoppm`. The PDFs and page pictures are kept under
//! `$CARGO_TARGET_TMPDIR/reports/` to be looked at.
//!
//! Needs `libreoffice-calc-nogui` and `poppler-utils` (`.ci/run` installs
//! them); without them the tests fail saying so.

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;

use crate::cli::zhengxin;
use crate::e2e;
use crate::web::{Browser, site};

/// Where a test run keeps printed reports, per back-end.
fn kept(backend: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reports").join(backend);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(program: &str, args: &[&std::ffi::OsStr], package: &str) -> std::process::Output {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed (Debian: {package}): {e}"));
    assert!(out.status.success(), "{program}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Prints `workbook` as LibreOffice Calc would, into `dir`; returns the PDF.
pub fn print_workbook(workbook: &Path, dir: &Path) -> PathBuf {
    // A profile of its own: another LibreOffice running (or a test on the
    // other back-end) would otherwise take the conversion over.
    let profile = tempfile::tempdir().unwrap();
    let profile_url = format!("-env:UserInstallation=file://{}", profile.path().display());
    run(
        "soffice",
        &[
            profile_url.as_ref(),
            "--headless".as_ref(),
            "--convert-to".as_ref(),
            "pdf".as_ref(),
            "--outdir".as_ref(),
            dir.as_os_str(),
            workbook.as_os_str(),
        ],
        "libreoffice-calc-nogui",
    );
    let pdf = dir.join(workbook.with_extension("pdf").file_name().unwrap());
    assert!(pdf.exists(), "LibreOffice wrote {}", pdf.display());
    pdf
}

/// The text of each page, without the spaces `pdftotext` lays CJK out with.
pub fn pages(pdf: &Path) -> Vec<String> {
    let out = run("pdftotext", &["-layout".as_ref(), pdf.as_os_str(), "-".as_ref()], "poppler-utils");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut pages: Vec<String> = text.split('\x0c').map(|p| p.chars().filter(|c| !c.is_whitespace()).collect()).collect();
    if pages.last().is_some_and(|p| p.is_empty()) {
        pages.pop();
    }
    pages
}

/// Draws every page as a PNG beside the PDF, to be looked at.
fn draw(pdf: &Path) {
    let prefix = pdf.with_extension("");
    run("pdftoppm", &["-r".as_ref(), "60".as_ref(), "-png".as_ref(), pdf.as_os_str(), prefix.as_os_str()], "poppler-utils");
}

/// The size in points a word of Chinese characters is printed at on page
/// `page` of `pdf`: its width over its characters (they are square).
fn printed_size(pdf: &Path, page: usize, word: &str) -> f64 {
    let page = page.to_string();
    let out = run("pdftotext", &["-bbox".as_ref(), "-f".as_ref(), page.as_ref(), "-l".as_ref(), page.as_ref(), pdf.as_os_str(), "-".as_ref()], "poppler-utils");
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().find(|l| l.ends_with(&format!(">{word}</word>"))).unwrap_or_else(|| panic!("{word} on page {page}"));
    let attr = |name: &str| -> f64 {
        let at = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        line[at..at + line[at..].find('"').unwrap()].parse().unwrap()
    };
    (attr("xMax") - attr("xMin")) / word.chars().count() as f64
}

/// Machine names (`unit_code`, `fulfilled_on`) on a page for people.
pub fn snake_case(page: &str) -> Option<String> {
    let chars: Vec<char> = page.chars().collect();
    chars.windows(3).find(|w| w[0].is_ascii_lowercase() && w[1] == '_' && w[2].is_ascii_lowercase()).map(|w| w.iter().collect())
}

/// The header of each table sheet, as its printed pages show it without
/// spaces: the start of the first column's title, one only the header
/// holds, and the start of the last column's (titles wrap; above the
/// departments' short codes 单位编码 does after 单位编). A page showing all
/// three shows its header, one page wide.
const HEADERS: [(&str, &str, &str); 5] = [
    // The groups' sheets: 单位编码 … 县内排名 … 万人评议 (public_rating).
    ("单位编", "县内", "万人"),
    ("单位编", "分子", "计分公式"),
    ("类型", "数据来源", "说明"),
    ("组别", "下四", "提示"),
    ("组别", "皮尔", "提示"),
];

e2e!(the_result_workbook_prints_for_people_one_page_wide_with_its_header_on_every_page, |app| {
    // The demo's 232 real units: 185 townships make a sheet of many pages.
    let out = zhengxin(&app, &["seed-demo", "--scale", "0.01", "--years", "2025"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = zhengxin(&app, &["score", "--year", "2025", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let scored: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hash = scored["version"]["content_hash"].as_str().unwrap().to_string();
    let dir = kept(&format!("{:?}", app.backend).to_lowercase());
    let workbook = dir.join("rankings.xlsx");
    let out = zhengxin(&app, &["export", "--year", "2025", "--format", "xlsx", "--output", workbook.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let pdf = print_workbook(&workbook, &dir);
    draw(&pdf);
    let pages = pages(&pdf);
    let n = pages.len();
    // 37 pages as LibreOffice prints it here (29 before, at 4.3 pt); the
    // points lost take 17 of them.
    assert!(n <= 42, "{n} pages");
    // The first sheet on one page, whole: its labels and values, the text
    // on how to read the workbook to its last line.
    let first = &pages[0];
    for text in ["2025年度政务诚信考核结果第1版", "考核年度", "内容哈希", hash.as_str(), "如何阅读", "考核办可凭此指纹核验存档结果。"] {
        assert!(first.contains(text), "page 1 holds {text:?}: {first}");
    }
    assert!(!pages[1].contains("内容哈希"), "the first sheet takes one page");
    // Every page: numbered, in Chinese without machine names, with its
    // sheet's header row repeated and one page wide.
    let mut group_pages = 0;
    for (i, page) in pages.iter().enumerate() {
        assert!(page.contains(&format!("第{}页共{n}页", i + 1)), "page {} of {n} is numbered: {page}", i + 1);
        assert_eq!(snake_case(page), None, "page {}: machine names belong to the CSV: {page}", i + 1);
        if i == 0 {
            continue;
        }
        let header = HEADERS.iter().position(|titles| [titles.0, titles.1, titles.2].iter().all(|t| page.contains(t)));
        assert!(header.is_some(), "page {} shows its sheet's header, first to last column: {page}", i + 1);
        if header == Some(0) {
            group_pages += 1;
            // §9's codes stay in their columns; their labels follow.
            assert!(["优秀", "良好", "合格", "不合格"].iter().any(|l| page.contains(l)) && page.contains("组别名称"), "labels beside the codes: {page}");
        }
    }
    // The townships take more than one page and no more than they need,
    // and every one of them is printed, its group's label once on its row.
    assert!((4..=8).contains(&group_pages), "{group_pages} pages of the group sheets");
    let out = zhengxin(&app, &["export", "--year", "2025", "--format", "csv", "--output", "-", "--group", "township"]).await;
    let townships = String::from_utf8(out.stdout).unwrap().lines().count() - 1;
    // A row without spaces reads "330302032广化街道township330302103.00…".
    let printed: usize = pages[1..].iter().map(|p| p.matches("township330").count()).sum();
    assert!(townships > 100, "{townships} townships in the demo");
    assert_eq!(printed, townships, "every township's row is printed");
    // Legible: the group sheets' 30 columns (§9's 27 with its codes, then
    // the three labels) print at 6.0 pt (4.3 pt before this issue), the
    // points lost at 7.5 pt, the findings at 11 pt.
    let size = printed_size(&pdf, 2, "单位编码");
    assert!(size >= 5.8, "the counties' sheet prints at {size:.1} pt");

    // A unit's own workbook: the same, on a few pages.
    let own = dir.join("330302.xlsx");
    let out = zhengxin(&app, &["export", "--year", "2025", "--format", "xlsx", "--unit", "330302", "--output", own.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let pdf = print_workbook(&own, &dir);
    draw(&pdf);
    let pages = self::pages(&pdf);
    assert!(pages.len() <= 4, "{} pages: the facts, its row, its points lost, its data's findings", pages.len());
    assert!(pages[0].contains("单位330302鹿城区"), "{}", pages[0]);
    let (first, only, last) = HEADERS[0];
    assert!(pages[1].contains(first) && pages[1].contains(only) && pages[1].contains(last) && pages[1].contains("330302鹿城区county") && pages[1].contains("县市区合格否"), "{}", pages[1]);
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(snake_case(page), None, "page {} of the unit's workbook: {page}", i + 1);
    }
    let size = printed_size(&pdf, 2, "单位编码");
    assert!(size >= 5.8, "the unit's row prints at {size:.1} pt");
});

/// Writes `bytes` as `name` in the kept folder, draws its pages, and
/// returns the text of each page.
fn keep_pdf(backend: &str, name: &str, bytes: &[u8]) -> Vec<String> {
    assert!(bytes.starts_with(b"%PDF"), "{name} is a PDF");
    let path = kept(backend).join(name);
    std::fs::write(&path, bytes).unwrap();
    draw(&path);
    pages(&path)
}

/// Every page says which it is of how many.
fn numbered(pages: &[String], what: &str) {
    let n = pages.len();
    for (i, page) in pages.iter().enumerate() {
        assert!(page.contains(&format!("第{}页共{n}页", i + 1)), "{what}: page {} of {n} is numbered: {page}", i + 1);
    }
}

e2e!(the_notice_and_the_units_reports_say_what_the_stored_version_says, |app| {
    let server = site(&app).await;
    let backend = format!("{:?}", app.backend).to_lowercase();
    let version = server::scoring::results::default_version(&server::db::results::versions(&app.db, 2025).await.unwrap()).unwrap().clone();
    let stored = server::db::results::units(&app.db, version.id).await.unwrap();

    // The notice, for leadership: the office, the version and its hash,
    // every unit's rank, total and grade, the veto.
    let leader = Browser::signed_in(&server, "leader").await;
    let notice = leader.get("/reports/2025/notice.pdf").await;
    assert_eq!(notice.status, StatusCode::OK);
    assert_eq!(notice.headers.get("content-type").unwrap(), "application/pdf");
    assert!(notice.headers.get("content-disposition").unwrap().to_str().unwrap().contains("zhengxin-2025-v1-notice.pdf"));
    let pages = keep_pdf(&backend, "notice.pdf", &notice.bytes);
    numbered(&pages, "the notice");
    let text = pages.concat();
    for needle in ["温州市政务诚信考核工作办公室", "2025年度政务诚信考核结果通报", "第1版", version.content_hash.as_str(), "一票否决", "X2025-003"] {
        assert!(text.contains(needle), "the notice holds {needle:?}");
    }
    for u in &stored {
        let row = format!("{}{}", u.rank.map_or("–".to_string(), |r| r.to_string()), u.unit_name);
        let total = format!("{:.2}", u.total);
        let at = text.find(&row).unwrap_or_else(|| panic!("{} is listed with its rank: {text}", u.unit_code));
        let line: String = text[at..].chars().take(40).collect();
        assert!(line.contains(&total), "{}: {total} beside its name: {line}", u.unit_code);
    }
    assert!(text.contains("瑞安市78.25不合格（一票否决）"), "the vetoed county keeps its rank and says why: {text}");
    // Checking is something its reader can do, not a command to run.
    assert!(!text.contains("--verify") && text.contains("/public/results/2025"), "{text}");
    // The same version typesets to the same bytes.
    assert_eq!(leader.get("/reports/2025/notice.pdf").await.bytes, notice.bytes, "produced again, byte for byte");

    // A unit's report, for the unit itself.
    let unit = Browser::signed_in(&server, "lucheng").await;
    let own = unit.get("/reports/2025/units/330302.pdf").await;
    assert_eq!(own.status, StatusCode::OK);
    let pages = keep_pdf(&backend, "330302.pdf", &own.bytes);
    numbered(&pages, "the unit's report");
    let text = pages.concat();
    let lucheng = stored.iter().find(|u| u.unit_code == "330302").unwrap();
    for needle in ["鹿城区2025年度政务诚信考核报告", "总分56.00", "组内排名2/3", "承诺按期兑现率", "失信记录", "历年走势", version.content_hash.as_str()] {
        assert!(text.contains(needle), "the report holds {needle:?}: {text}");
    }
    assert_eq!(format!("{:.2}", lucheng.total), "56.00");
    assert_eq!(unit.get("/reports/2025/units/330303.pdf").await.status, StatusCode::FORBIDDEN, "not another unit's");
    assert_eq!(unit.get("/reports/2025/notice.pdf").await.status, StatusCode::FORBIDDEN);
    assert_eq!(leader.get("/reports/2025/units/999999.pdf").await.status, StatusCode::NOT_FOUND);

    // Every unit's report in one ZIP, for the assessment team: the same
    // bytes as each report on its own.
    let assessor = Browser::signed_in(&server, "assessor").await;
    let zip = assessor.get("/reports/2025/unit-reports.zip").await;
    assert_eq!(zip.status, StatusCode::OK);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.bytes.clone())).unwrap();
    assert_eq!(archive.len(), stored.len(), "a report per unit");
    let mut inside = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name("zhengxin-2025-v1-330302.pdf").unwrap(), &mut inside).unwrap();
    assert_eq!(inside, own.bytes, "the ZIP holds the same report");
    assert_eq!(leader.get("/reports/2025/unit-reports.zip").await.status, StatusCode::FORBIDDEN, "the ZIP is the assessment team's");

    // The command line: the same report; the office from --office.
    let dir = kept(&backend);
    let out = zhengxin(&app, &["report", "--year", "2025", "--unit", "330302", "--output", dir.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(dir.join("zhengxin-2025-v1-330302.pdf")).unwrap(), own.bytes);
    let file = dir.join("notice-office.pdf");
    let out = zhengxin(&app, &["report", "--year", "2025", "--office", "温州市信用办", "--output", file.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(self::pages(&file).concat().contains("温州市信用办"));
    let audited: usize = app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action = 'report'").await.parse().unwrap();
    assert!(audited >= 6, "every report handed out is audited ({audited})");
    server.stop().await;
});

e2e!(provisional_figures_say_so_in_the_trend_its_chart_and_the_unit_pdf, |app| {
    let server = crate::web::site(&app).await;
    // 2025 is published; 2026 is scored and not published.
    server::scoring::score(&app.db, 2026, None, None, "test").await.unwrap();
    let leader = crate::web::Browser::signed_in(&server, "leader").await;
    let card = leader.get("/units/330302?year=2025").await.body;
    let trend = &card[card.find("<th scope=\"row\">2026").expect("2026 in the trend table")..];
    assert!(trend[..trend.find("</tr>").unwrap()].contains("暂定（未发布）"), "2026's row is marked: {trend}");
    let row_2025 = &card[card.find("<th scope=\"row\">2025").unwrap()..];
    assert!(!row_2025[..row_2025.find("</tr>").unwrap()].contains("暂定"), "the published year is not");
    assert!(card.contains("2026暂定") && card.contains("2026（暂定）"), "the chart's axis and its description say so");
    let pdf = leader.get("/reports/2025/units/330302.pdf").await;
    let text: String = crate::browser::pdf_pages(&pdf.bytes).join("\n").chars().filter(|c| !c.is_whitespace()).collect();
    assert!(text.contains("2026（暂定）") && !text.contains("2025（暂定）"), "{text}");
    server.stop().await;
});
