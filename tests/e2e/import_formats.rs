//! Files that must import: the canonical examples, and the spellings and
//! encodings of `import-formats.md` (Chinese headers, BOM, GBK/GB18030,
//! XLSX with Excel dates, full-width characters).

use crate::e2e;
use crate::support::{example, examples_dir};
use server::import::read::Format;
use server::import::report::ImportReport;

/// The example files' data rows per table, counted from the files.
fn example_rows(file: &str) -> usize {
    example(file).lines().skip(1).filter(|l| !l.trim().is_empty()).count()
}

/// One stored row of `sql`, which must select text columns only.
async fn row(app: &crate::support::TestApp, sql: &str) -> Vec<String> {
    let mut rows = app.text_rows(sql).await;
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    rows.remove(0)
}

fn counts_of(report: &ImportReport) -> Vec<(String, u64, u64, u64)> {
    report
        .files
        .iter()
        .map(|f| {
            let c = f.counts.as_ref().expect("written");
            let name = std::path::Path::new(&f.file).file_name().unwrap().to_string_lossy().to_string();
            (name, c.total, c.inserted, c.unchanged)
        })
        .collect()
}

e2e!(every_canonical_example_imports, |app| {
    let report = app.import_examples().await;
    // Only the folder's README is skipped, with a warning.
    assert!(report.errors.is_empty(), "{}", report.human());
    let skipped: Vec<_> = report.warnings.iter().map(|w| (w.code, w.file.ends_with("README.md"))).collect();
    assert_eq!(skipped, [("skipped", true)], "{}", report.human());
    // Units come first, whatever the folder's order.
    assert_eq!(report.files[0].source, Some(server::sources::Source::Units));
    let mut files = 0;
    for entry in std::fs::read_dir(examples_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        let Some(source) = server::sources::Source::from_file_name(&name) else {
            continue;
        };
        files += 1;
        let spec = source.spec();
        let expected = example_rows(&name);
        assert!(expected > 0, "{name} has rows");
        let stored = app.db.count(spec.table).await.unwrap();
        assert_eq!(stored as usize, expected, "{name} → {}", spec.table);
        let file = report.files.iter().find(|f| f.source == Some(source)).expect("reported");
        let counts = file.counts.as_ref().unwrap();
        assert_eq!((counts.total, counts.inserted, counts.updated), (expected as u64, expected as u64, 0), "{name}");
        assert!(matches!(file.format, Some(Format::CsvUtf8)), "{name}: {:?}", file.format);
    }
    assert_eq!(files, server::sources::ALL.len(), "one example per format");
    assert_eq!(app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM import_batches").await, files.to_string());

    // The spellings the examples use arrive in canonical form.
    assert_eq!(
        row(
            &app,
            "SELECT status, CAST(made_on AS TEXT), CAST(due_on AS TEXT), CAST(fulfilled_on AS TEXT) FROM commitments WHERE id = 'C2025-002'"
        )
        .await,
        ["fulfilled", "2024-11-05", "2025-09-30", "2025-10-15"]
    );
    assert_eq!(
        row(
            &app,
            "SELECT CAST(made_on AS TEXT), CAST(due_on AS TEXT) FROM commitments WHERE id = 'C2025-003'"
        )
        .await,
        ["2025-02-01", "2025-08-31"]
    );
    assert_eq!(row(&app, "SELECT grp FROM units WHERE code = '330303'").await, ["county"]);
    assert_eq!(
        row(&app, "SELECT grp, parent_code FROM units WHERE code = '330302026'").await,
        ["township", "330302"]
    );
    assert_eq!(
        row(&app, "SELECT category, CAST(received_at AS TEXT), CAST(closed_at AS TEXT), satisfaction, CASE WHEN integrity_related THEN 'y' ELSE 'n' END, CASE WHEN is_repeat THEN 'y' ELSE 'n' END FROM hotline_tickets WHERE id = 'H2025-0000002'").await,
        ["complaint", "2025-03-07 10:02:00", "2025-03-13 11:00:00", "unsatisfied", "y", "n"]
    );
    assert_eq!(
        row(
            &app,
            "SELECT CAST(received_at AS TEXT), CASE WHEN is_repeat THEN 'y' ELSE 'n' END FROM hotline_tickets WHERE id = 'H2025-0000004'"
        )
        .await,
        ["2025-05-06 08:00:00", "y"]
    );
    assert_eq!(
        row(&app, "SELECT subject, record_type, mitigation FROM dishonesty_records WHERE id = 'X2025-002'").await,
        ["unit", "court_listing", "none"]
    );
    // An empty mitigation defaults to none; the person reference is
    // stored sealed and opens to what the file said.
    let stored = row(&app, "SELECT subject, person_ref, mitigation FROM dishonesty_records WHERE id = 'X2025-004'").await;
    assert_eq!([stored[0].as_str(), stored[2].as_str()], ["person", "none"]);
    assert!(stored[1].starts_with("zxs1:"), "{stored:?}");
    assert_eq!(app.db.sealer().unwrap().open_text(server::db::seal::Field::PersonRef, &stored[1]).unwrap(), "P-7f3a91c2");
    assert_eq!(
        row(&app, "SELECT kind, satisfaction, resolution FROM proposals WHERE id = 'P2025-002'").await,
        ["cppcc", "basic", "B"]
    );
    assert_eq!(row(&app, "SELECT level FROM honours WHERE id = 'HN2025-002'").await, ["national"]);
    assert_eq!(
        row(&app, "SELECT CASE WHEN debt_limit = 150.5 AND balance = 160.25 AND violations = 1 THEN 'exact' ELSE 'wrong' END FROM debt WHERE unit_code = '330303' AND year = 2025").await,
        ["exact"]
    );
    assert_eq!(
        row(
            &app,
            "SELECT CASE WHEN score = 79.5 THEN 'exact' ELSE 'wrong' END FROM ratings WHERE unit_code = '330303'"
        )
        .await,
        ["exact"]
    );
});

e2e!(chinese_headers_labels_and_unit_names, |app| {
    app.import_examples().await;
    // Chinese headers in a free order, Chinese enum labels and booleans, the
    // unit given by its exact name, and an ideographic space in a cell.
    let hotline = "\
受理时间,工单编号,承办单位,办理时限,办结时间,诉求类型,涉及政务失信,是否属实,回访满意度,重复诉求
2025年7月1日 09:00,H-ZH-1,鹿城区,2025年7月4日 09:00,2025年7月2日 10:30,举报,是,否,基本满意,否
2025-07-02 10:00,H-ZH-2,五马街道,2025-07-05 10:00,,求助,否,是,\u{3000},是
";
    let report = app.import_files(&[("12345热线工单-2025-07.csv", hotline.as_bytes())]).await;
    assert!(report.ok && report.warnings.is_empty(), "{}", report.human());
    assert_eq!(counts_of(&report), [("12345热线工单-2025-07.csv".to_string(), 2, 2, 0)]);
    assert_eq!(
        row(&app, "SELECT unit_code, category, CAST(received_at AS TEXT), CAST(due_at AS TEXT), satisfaction, CASE WHEN integrity_related THEN 'y' ELSE 'n' END, CASE WHEN verified THEN 'y' ELSE 'n' END FROM hotline_tickets WHERE id = 'H-ZH-1'").await,
        ["330302", "report", "2025-07-01 09:00:00", "2025-07-04 09:00:00", "basic", "y", "n"]
    );
    assert_eq!(
        row(&app, "SELECT unit_code, category, CAST(closed_at AS TEXT), CAST(satisfaction AS TEXT), CASE WHEN is_repeat THEN 'y' ELSE 'n' END FROM hotline_tickets WHERE id = 'H-ZH-2'").await,
        ["330302006", "help", "∅", "∅", "y"]
    );
});

e2e!(full_width_letters_and_digits_are_normalised_but_brackets_kept, |app| {
    let units = "单位编码,单位名称,考核组别,上级单位编码\n３３０３０４,瓯海区（改）,县市区,\nＴ００１,娄桥街道,乡镇街道,３３０３０４\n";
    let report = app.import_files(&[("单位.csv", units.as_bytes())]).await;
    assert!(report.ok, "{}", report.human());
    assert_eq!(
        app.text_rows("SELECT code, name, grp, CAST(parent_code AS TEXT) FROM units ORDER BY code")
            .await,
        [["330304", "瓯海区（改）", "county", "∅"], ["T001", "娄桥街道", "township", "330304"]]
    );
});

e2e!(utf8_with_a_byte_order_mark, |app| {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(example("units.csv").as_bytes());
    let report = app.import_files(&[("units.csv", &bytes)]).await;
    assert!(report.ok, "{}", report.human());
    // The BOM is not part of the first header, so `code` is recognised.
    assert_eq!(report.files[0].format, Some(Format::CsvUtf8Bom));
    assert_eq!(app.db.count("units").await.unwrap() as usize, example_rows("units.csv"));
    assert_eq!(row(&app, "SELECT code, name FROM units WHERE code = '330302'").await, ["330302", "鹿城区"]);
});

e2e!(gbk_encoded_csv_from_excel, |app| {
    // What Excel on a Chinese Windows saves: GBK, Chinese headers and labels.
    let units = "单位编码,单位名称,考核组别,上级单位编码\r\n330302,鹿城区,县市区,\r\n330302006,五马街道,乡镇街道,330302\r\nD010,温州市财政局,市直单位,\r\n";
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(units);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "the test file must not be valid UTF-8");
    let report = app.import_files(&[("units.csv", &bytes)]).await;
    assert!(report.ok, "{}", report.human());
    assert_eq!(report.files[0].format, Some(Format::CsvGb18030));
    assert_eq!(
        app.text_rows("SELECT code, name, grp FROM units ORDER BY code").await,
        [
            ["330302", "鹿城区", "county"],
            ["330302006", "五马街道", "township"],
            ["D010", "温州市财政局", "department"]
        ]
    );
});

e2e!(gb18030_characters_outside_gbk_survive, |app| {
    app.import_examples().await;
    // 䶮 (U+4DAE) has no GBK code; GB18030 writes it in four bytes.
    let honours = "荣誉编号,单位编码,年度,级别,荣誉名称\nHN-GB-1,330302,2025,省级,䶮字诚信示范单位\n";
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(honours);
    assert!(!unmappable);
    let report = app.import_files(&[("诚信荣誉.csv", &bytes)]).await;
    assert!(report.ok, "{}", report.human());
    assert_eq!(report.files[0].format, Some(Format::CsvGb18030));
    assert_eq!(
        row(&app, "SELECT title, level FROM honours WHERE id = 'HN-GB-1'").await,
        ["䶮字诚信示范单位", "provincial"]
    );
});

/// A workbook as Excel writes one: real date cells, plain serial numbers,
/// unit codes typed as numbers.
fn hotline_workbook() -> Vec<u8> {
    use chrono::NaiveDate;
    use rust_xlsxwriter::{Format as XFormat, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let headers = [
        "id",
        "unit_code",
        "received_at",
        "due_at",
        "closed_at",
        "category",
        "integrity_related",
        "verified",
        "satisfaction",
        "repeat",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let datetime = XFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let at = |d: u32, h: u32, m: u32| NaiveDate::from_ymd_opt(2025, 3, d).unwrap().and_hms_opt(h, m, 0).unwrap();
    // Row 2: formatted date-time cells.
    sheet.write_string(1, 0, "HX-1").unwrap();
    sheet.write_number(1, 1, 330302).unwrap();
    sheet.write_datetime_with_format(1, 2, at(7, 9, 15), &datetime).unwrap();
    sheet.write_datetime_with_format(1, 3, at(10, 9, 15), &datetime).unwrap();
    sheet.write_datetime_with_format(1, 4, at(8, 16, 40), &datetime).unwrap();
    sheet.write_string(1, 5, "投诉").unwrap();
    sheet.write_boolean(1, 6, true).unwrap();
    sheet.write_number(1, 7, 0).unwrap();
    sheet.write_string(1, 8, "满意").unwrap();
    sheet.write_boolean(1, 9, false).unwrap();
    // Row 3: bare Excel serials (45723.5 = 2025-03-07 12:00), no closing.
    sheet.write_string(2, 0, "HX-2").unwrap();
    sheet.write_string(2, 1, "330302006").unwrap();
    sheet.write_number(2, 2, 45723.5).unwrap();
    sheet.write_number(2, 3, 45726.75).unwrap();
    sheet.write_string(2, 5, "consult").unwrap();
    sheet.write_string(2, 6, "否").unwrap();
    sheet.write_string(2, 7, "N").unwrap();
    sheet.write_string(2, 9, "1").unwrap();
    book.save_to_buffer().unwrap()
}

e2e!(xlsx_with_excel_dates_and_serials, |app| {
    app.import_examples().await;
    let report = app.import_files(&[("hotline-2025-03.xlsx", &hotline_workbook())]).await;
    assert!(report.ok, "{}", report.human());
    assert_eq!(report.files[0].format, Some(Format::Xlsx));
    assert_eq!(report.files[0].counts.as_ref().unwrap().inserted, 2);
    assert_eq!(
        row(&app, "SELECT unit_code, CAST(received_at AS TEXT), CAST(due_at AS TEXT), CAST(closed_at AS TEXT), category, satisfaction, CASE WHEN integrity_related THEN 'y' ELSE 'n' END, CASE WHEN verified THEN 'y' ELSE 'n' END, CASE WHEN is_repeat THEN 'y' ELSE 'n' END FROM hotline_tickets WHERE id = 'HX-1'").await,
        ["330302", "2025-03-07 09:15:00", "2025-03-10 09:15:00", "2025-03-08 16:40:00", "complaint", "satisfied", "y", "n", "n"]
    );
    assert_eq!(
        row(&app, "SELECT unit_code, CAST(received_at AS TEXT), CAST(due_at AS TEXT), CAST(closed_at AS TEXT), category, CASE WHEN is_repeat THEN 'y' ELSE 'n' END FROM hotline_tickets WHERE id = 'HX-2'").await,
        ["330302006", "2025-03-07 12:00:00", "2025-03-10 18:00:00", "∅", "consult", "y"]
    );
});

e2e!(xlsx_date_columns_take_date_cells_and_serials, |app| {
    use chrono::NaiveDate;
    use rust_xlsxwriter::{Format as XFormat, Workbook};
    app.import_examples().await;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["承诺编号", "单位编码", "承诺类别", "承诺内容", "承诺日期", "兑现期限", "履约状态", "兑现日期"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = XFormat::new().set_num_format("yyyy/m/d");
    sheet.write_string(1, 0, "C-X-1").unwrap();
    sheet.write_number(1, 1, 330381).unwrap();
    sheet.write_string(1, 2, "招商引资").unwrap();
    sheet.write_string(1, 3, "重点项目落地").unwrap();
    sheet
        .write_datetime_with_format(1, 4, NaiveDate::from_ymd_opt(2025, 1, 31).unwrap(), &date)
        .unwrap();
    sheet.write_number(1, 5, 45839).unwrap(); // 2025-07-01
    sheet.write_string(1, 6, "已兑现").unwrap();
    sheet.write_string(1, 7, "2025年6月30日").unwrap();
    let report = app.import_files(&[("承诺事项.xlsx", &book.save_to_buffer().unwrap())]).await;
    assert!(report.ok, "{}", report.human());
    assert_eq!(
        row(
            &app,
            "SELECT unit_code, category, CAST(made_on AS TEXT), CAST(due_on AS TEXT), status, CAST(fulfilled_on AS TEXT) FROM commitments WHERE id = 'C-X-1'"
        )
        .await,
        ["330381", "investment", "2025-01-31", "2025-07-01", "fulfilled", "2025-06-30"]
    );
});
