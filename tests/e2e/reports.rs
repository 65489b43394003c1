//! Reports as their readers get them: the result workbook opened and
//! printed by LibreOffice (headless), its pages read back with `pdftotext`
//! and drawn with `pdftoppm`. The PDFs and page pictures are kept under
//! `$CARGO_TARGET_TMPDIR/reports/` to be looked at.
//!
//! Needs `libreoffice-calc-nogui` and `poppler-utils` (`.ci/run` installs
//! them); without them the tests fail saying so.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::zhengxin;
use crate::e2e;

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
fn print_workbook(workbook: &Path, dir: &Path) -> PathBuf {
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
fn pages(pdf: &Path) -> Vec<String> {
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

e2e!(the_result_workbook_prints_one_page_wide_with_its_headers_on_every_page, |app| {
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
    // The first sheet on one page, one page wide: its labels, its values
    // and its keys for scripts side by side.
    let first = &pages[0];
    for text in ["2025年度政务诚信考核结果第1版", "考核年度", "内容哈希", hash.as_str(), "content_hash", "如何阅读"] {
        assert!(first.contains(text), "page 1 holds {text:?}: {first}");
    }
    assert!(!pages[1].contains("content_hash"), "the first sheet takes one page");
    // Every page of the tables: numbered, with the header rows repeated,
    // and one page wide: the names of its sheet's first and last columns
    // (the first header row) on the page.
    let sheets = [("unit_code", "grade_label"), ("unit_code", "formula"), ("kind", "detail")];
    let mut group_pages = 0;
    for (i, page) in pages.iter().enumerate() {
        assert!(page.contains(&format!("第{}页共{n}页", i + 1)), "page {} of {n} is numbered: {page}", i + 1);
        if i == 0 {
            continue;
        }
        let sheet = sheets.iter().find(|(first, last)| page.contains(first) && page.contains(last));
        assert!(sheet.is_some(), "page {} shows its sheet's header, first to last column: {page}", i + 1);
        if page.contains("grade_label") {
            group_pages += 1;
        }
    }
    // The townships alone take more than one page, and every one of them
    // is printed (its group code once, on its row).
    assert!(group_pages >= 4, "{group_pages} pages of the group sheets");
    let out = zhengxin(&app, &["export", "--year", "2025", "--format", "csv", "--output", "-", "--group", "township"]).await;
    let townships = String::from_utf8(out.stdout).unwrap().lines().count() - 1;
    // A row without spaces reads "330302032广化街道township330302103.00…".
    let printed: usize = pages[1..].iter().map(|p| p.matches("township330").count()).sum();
    assert!(townships > 100, "{townships} townships in the demo");
    assert_eq!(printed, townships, "every township's row is printed");
});
