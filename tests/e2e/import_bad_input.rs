//! Files that must be refused: each bad input gets a precise error (file,
//! row, column, value, code) and the database is exactly as it was.

use std::path::{Path, PathBuf};

use crate::e2e;
use crate::support::{TestApp, only_error};
use server::import::report::{ImportReport, Issue, Severity};

/// Imports `files` expecting failure; checks that nothing at all changed.
async fn refused(app: &TestApp, files: &[(&str, &[u8])]) -> (ImportReport, Vec<PathBuf>) {
    let before = app.fingerprint().await;
    let paths = app.write_files(files);
    let report = app.import_paths(&paths).await;
    assert!(!report.ok, "expected a refusal:\n{}", report.human());
    assert!(report.files.iter().all(|f| f.counts.is_none() && f.batch_id.is_none()));
    assert!(report.human().contains("nothing was written"), "{}", report.human());
    assert_eq!(app.fingerprint().await, before, "the database changed after a failed import");
    (report, paths)
}

/// An error as a comparable tuple: (file, row, column, value, code).
type ErrorAt = (String, Option<usize>, Option<String>, Option<String>, &'static str);

fn key(issue: &Issue) -> ErrorAt {
    assert_eq!(issue.severity, Severity::Error);
    (issue.file.clone(), issue.row, issue.column.clone(), issue.value.clone(), issue.code)
}

fn at(path: &Path, row: Option<usize>, column: Option<&str>, value: Option<&str>, code: &'static str) -> ErrorAt {
    (path.display().to_string(), row, column.map(str::to_string), value.map(str::to_string), code)
}

fn keys(report: &ImportReport) -> Vec<ErrorAt> {
    report.errors.iter().map(key).collect()
}

const COMMITMENTS_HEADER: &str = "id,unit_code,category,title,made_on,due_on,status,fulfilled_on\n";

e2e!(missing_required_column, |app| {
    app.import_examples().await;
    let commitments = "id,unit_code,category,title,made_on,due_on,fulfilled_on\nC-M-1,330302,policy,t,2025-01-01,2025-06-30,\n";
    let hotline = "工单编号,受理时间,办理时限,诉求类型,涉及政务失信,是否属实,重复诉求\nH-M-1,2025-03-07 09:00,2025-03-10 09:00,投诉,否,否,否\n";
    let (report, paths) = refused(&app, &[("commitments.csv", commitments.as_bytes()), ("hotline.csv", hotline.as_bytes())]).await;
    assert_eq!(
        keys(&report),
        [at(&paths[0], None, None, None, "bad_header"), at(&paths[1], None, None, None, "bad_header")]
    );
    assert_eq!(report.errors[0].message, "missing required column(s): status (履约状态)");
    assert_eq!(report.errors[1].message, "missing required column(s): unit_code (承办单位编码)");
});

e2e!(wrong_types_are_reported_row_by_row, |app| {
    app.import_examples().await;
    let commitments = format!(
        "{COMMITMENTS_HEADER}\
C-W-1,330302,policy,fine,2025-01-10,2025-06-30,pending,
C-W-2,330302,policy,not a date,yesterday,2025-06-30,pending,
C-W-3,330302,policy,no such day,2025-02-29,2025-06-30,pending,
C-W-4,330302,policy,too short,2025-01-10
"
    );
    let debt = "unit_code,year,limit,balance,capacity,due_amount,overdue_amount,violations\n330302,2026,二百,180,150,30,0,1.5\n";
    let hotline = "id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat\nH-W-1,330302,2025-03-07,2025-03-10 09:00,,complaint,maybe,0,,0\n";
    let (report, paths) = refused(
        &app,
        &[
            ("commitments.csv", commitments.as_bytes()),
            ("debt.csv", debt.as_bytes()),
            ("hotline.csv", hotline.as_bytes()),
        ],
    )
    .await;
    let mut got = keys(&report);
    got.sort();
    let mut want = vec![
        at(&paths[0], Some(3), Some("made_on"), Some("yesterday"), "bad_date"),
        at(&paths[0], Some(4), Some("made_on"), Some("2025-02-29"), "bad_date"),
        at(&paths[0], Some(5), None, None, "wrong_width"),
        at(&paths[1], Some(2), Some("limit"), Some("二百"), "bad_number"),
        at(&paths[1], Some(2), Some("violations"), Some("1.5"), "bad_integer"),
        at(&paths[2], Some(2), Some("received_at"), Some("2025-03-07"), "bad_datetime"),
        at(&paths[2], Some(2), Some("integrity_related"), Some("maybe"), "bad_bool"),
    ];
    want.sort();
    assert_eq!(got, want);
    let human = report.human();
    let path = paths[0].display();
    assert!(
        human.contains(&format!(
            "error: {path}, row 3, column made_on, value \"yesterday\": expected a date such as 2025-03-07"
        )),
        "{human}"
    );
    assert!(human.contains("no such calendar day"), "{human}");
});

e2e!(unknown_enumeration_values, |app| {
    app.import_examples().await;
    let hotline = "id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat\n\
H-E-1,330302,2025-03-07 09:00,2025-03-10 09:00,,表扬,0,0,,0\n\
H-E-2,330302,2025-03-07 09:00,2025-03-10 09:00,,consult,0,0,很好,0\n";
    let (report, paths) = refused(&app, &[("hotline.csv", hotline.as_bytes())]).await;
    assert_eq!(
        keys(&report),
        [
            at(&paths[0], Some(2), Some("category"), Some("表扬"), "unknown_value"),
            at(&paths[0], Some(3), Some("satisfaction"), Some("很好"), "unknown_value"),
        ]
    );
    // The message names every accepted code and label.
    assert_eq!(
        report.errors[0].message,
        "expected one of: complaint 投诉 / report 举报 / consult 咨询 / suggestion 建议 / help 求助"
    );
    assert!(report.errors[1].message.contains("satisfied 满意 / basic 基本满意 / unsatisfied 不满意"));
});

e2e!(unknown_units_suggest_the_closest, |app| {
    app.import_examples().await;
    let by_code =
        format!("{COMMITMENTS_HEADER}C-U-1,330304,policy,t,2025-01-10,2025-06-30,pending,\nC-U-2,ZZZZ-NOWHERE-42,policy,t,2025-01-10,2025-06-30,pending,\n");
    let by_name = "id,unit_name,category,title,made_on,due_on,status\nC-U-3,鹿城,policy,t,2025-01-10,2025-06-30,pending\nC-U-4,五马街道,policy,t,2025-01-10,2025-06-30,pending\n";
    let (report, paths) = refused(&app, &[("commitments-a.csv", by_code.as_bytes()), ("commitments-b.csv", by_name.as_bytes())]).await;
    assert_eq!(
        keys(&report),
        [
            at(&paths[0], Some(2), Some("unit_code"), Some("330304"), "unknown_unit"),
            at(&paths[0], Some(3), Some("unit_code"), Some("ZZZZ-NOWHERE-42"), "unknown_unit"),
            at(&paths[1], Some(2), Some("unit_name"), Some("鹿城"), "unknown_unit"),
        ]
    );
    assert_eq!(
        report.errors[0].message,
        "no such unit; did you mean 鹿城区 (330302), 龙湾区 (330303), 瑞安市 (330381)?"
    );
    assert_eq!(report.errors[1].message, "no such unit");
    assert_eq!(report.errors[2].message, "no such unit; did you mean 鹿城区 (330302)?");
});

e2e!(duplicate_ids_within_a_file, |app| {
    app.import_examples().await;
    let hotline = "id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat\n\
H-D-1,330302,2025-03-07 09:00,2025-03-10 09:00,,complaint,0,0,,0\n\
H-D-2,330302,2025-03-07 09:00,2025-03-10 09:00,,complaint,0,0,,0\n\
H-D-1,330303,2025-03-08 09:00,2025-03-11 09:00,,consult,0,0,,0\n\
H-D-1,330303,2025-03-09 09:00,2025-03-12 09:00,,consult,0,0,,0\n";
    // A composite key (unit and year) counts as one id.
    let ratings = "unit_code,year,score\n330302,2026,80\n330303,2026,81\n330302,2026,82\n";
    let (report, paths) = refused(&app, &[("hotline.csv", hotline.as_bytes()), ("ratings.csv", ratings.as_bytes())]).await;
    assert_eq!(
        keys(&report),
        [
            at(&paths[0], Some(4), Some("id"), Some("H-D-1"), "duplicate_key"),
            at(&paths[0], Some(5), Some("id"), Some("H-D-1"), "duplicate_key"),
            at(&paths[1], Some(4), Some("unit_code"), Some("330302/2026"), "duplicate_key"),
        ]
    );
    // Every repeat points at the first occurrence.
    assert_eq!(report.errors[0].message, "duplicate id: the same record is already on row 2");
    assert_eq!(report.errors[1].message, "duplicate id: the same record is already on row 2");
    assert_eq!(report.errors[2].message, "duplicate unit_code+year: the same record is already on row 2");
});

e2e!(township_without_a_county, |app| {
    app.import_examples().await;
    let units = "code,name,group,parent_code\n\
330305,洞头区,county,\n\
T-NONE,无上级街道,township,\n\
T-DEPT,挂错街道,乡镇街道,D002\n\
T-GONE,上级不存在街道,township,339999\n\
T-OK,北岙街道,township,330305\n";
    let (report, paths) = refused(&app, &[("units.csv", units.as_bytes())]).await;
    assert_eq!(
        keys(&report),
        [
            at(&paths[0], Some(3), Some("parent_code"), Some(""), "township_without_county"),
            at(&paths[0], Some(4), Some("parent_code"), Some("D002"), "township_without_county"),
            at(&paths[0], Some(5), Some("parent_code"), Some("339999"), "township_without_county"),
        ]
    );
    assert_eq!(report.errors[0].message, "a township needs its county's code in parent_code");
    assert_eq!(report.errors[1].message, "a township's parent_code must be the code of a county");
});

e2e!(empty_zero_byte_file, |app| {
    app.import_examples().await;
    let (report, paths) = refused(&app, &[("hotline.csv", b"")]).await;
    assert_eq!(keys(&report), [at(&paths[0], None, None, None, "empty_file")]);
    assert_eq!(only_error(&report).message, "the file is empty (0 bytes)");
});

e2e!(blank_lines_only_have_no_header, |app| {
    app.import_examples().await;
    let (report, paths) = refused(&app, &[("hotline.csv", b"\r\n\r\n  \r\n")]).await;
    assert_eq!(keys(&report), [at(&paths[0], None, None, None, "no_header")]);
});

e2e!(header_only_file_warns_and_writes_nothing, |app| {
    app.import_examples().await;
    let before = app.fingerprint().await;
    let paths = app.write_files(&[(
        "hotline.csv",
        b"id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat\r\n",
    )]);
    let report = app.import_paths(&paths).await;
    assert!(report.ok && report.errors.is_empty(), "{}", report.human());
    let w = &report.warnings;
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!((w[0].file.as_str(), w[0].row, w[0].code), (paths[0].to_str().unwrap(), None, "no_rows"));
    assert_eq!(w[0].severity, Severity::Warning);
    let counts = report.files[0].counts.as_ref().unwrap();
    assert_eq!((counts.total, counts.inserted, counts.updated), (0, 0, 0));
    assert_eq!(app.fingerprint().await, before, "a header-only file must write nothing, not even a batch");
});

e2e!(binary_garbage, |app| {
    app.import_examples().await;
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa";
    // Pseudo-random bytes: no encoding makes a table of them.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let utf16 = b"\xFF\xFEi\0d\0,\0";
    let not_a_workbook = b"PK\x03\x04\x14\x00\x00\x00garbage that is no zip archive";
    let (report, paths) = refused(
        &app,
        &[
            ("hotline-a.csv", png),
            ("hotline-b.csv", &noise),
            ("hotline-c.csv", utf16),
            ("hotline-d.xlsx", not_a_workbook),
        ],
    )
    .await;
    assert_eq!(
        keys(&report),
        [
            at(&paths[0], None, None, None, "not_a_table"),
            at(&paths[1], None, None, None, "not_a_table"),
            at(&paths[2], None, None, None, "unsupported_encoding"),
            at(&paths[3], None, None, None, "bad_xlsx"),
        ]
    );
});

e2e!(personal_references_are_refused_and_masked, |app| {
    app.import_examples().await;
    let dishonesty = "id,unit_code,subject,person_ref,type,occurred_on\nX-P-1,330302,person,张三,discipline,2025-05-01\nX-P-2,330302,person,13812345678,discipline,2025-05-01\n";
    let (report, paths) = refused(&app, &[("dishonesty.csv", dishonesty.as_bytes())]).await;
    assert_eq!(
        keys(&report),
        [
            at(&paths[0], Some(2), Some("person_ref"), Some("(masked)"), "personal_data"),
            at(&paths[0], Some(3), Some("person_ref"), Some("(masked)"), "personal_data"),
        ]
    );
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("张三") && !json.contains("13812345678"), "{json}");
});

e2e!(one_bad_file_fails_the_whole_import, |app| {
    app.import_examples().await;
    // A valid units file and a valid hotline file that relies on it, with a
    // commitments file that has one bad row: nothing at all is written.
    let units = "code,name,group,parent_code\n330305,洞头区,county,\n";
    let hotline = "id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat\nH-A-1,330305,2025-03-07 09:00,2025-03-10 09:00,,consult,0,0,,0\n";
    let commitments = format!("{COMMITMENTS_HEADER}C-A-1,330305,policy,t,2025-01-10,2025-06-30,pending,\nC-A-2,330305,policy,t,2025-01-10,2025-06-30,kept,\n");
    let (report, paths) = refused(
        &app,
        &[
            ("units.csv", units.as_bytes()),
            ("hotline.csv", hotline.as_bytes()),
            ("commitments.csv", commitments.as_bytes()),
        ],
    )
    .await;
    assert_eq!(keys(&report), [at(&paths[2], Some(3), Some("status"), Some("kept"), "unknown_value")]);
    assert_eq!(app.db.count("units").await.unwrap(), 8);
});

e2e!(every_bad_row_is_listed, |app| {
    app.import_examples().await;
    let mut hotline = String::from("id,unit_code,received_at,due_at,closed_at,category,integrity_related,verified,satisfaction,repeat\n");
    for i in 0..1_250 {
        hotline.push_str(&format!("H-L-{i},330302,2025-03-07 09:00,2025-03-10 09:00,,complaint,0,0,,perhaps\n"));
    }
    for i in 0..30 {
        hotline.push_str(&format!("H-U-{i},339999,2025-03-07 09:00,2025-03-10 09:00,,complaint,0,0,,0\n"));
    }
    let (report, paths) = refused(&app, &[("hotline.csv", hotline.as_bytes())]).await;
    // The first 1,000 in full, every one counted per file, column and code.
    assert_eq!(report.errors.len(), 1_000);
    assert_eq!(key(&report.errors[999]), at(&paths[0], Some(1_001), Some("repeat"), Some("perhaps"), "bad_bool"));
    assert_eq!(report.error_count, 1_280);
    let counts: Vec<(Option<&str>, &str, u64)> = report.counts.iter().map(|c| (c.column.as_deref(), c.code, c.count)).collect();
    assert_eq!(counts, [(Some("repeat"), "bad_bool", 1_250), (Some("unit_code"), "unknown_unit", 30)]);
    // People get the first 200 and the counts of all.
    let human = report.human();
    assert!(human.contains("… and 1080 more errors; by file, column and problem:"), "{human}");
    assert!(human.contains(", column unit_code: 30 × unknown_unit") && human.contains("import failed: 1280 error(s)"), "{human}");
});
