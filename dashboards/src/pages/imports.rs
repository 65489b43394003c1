//! 数据导入: the assessment team uploads source files, reads the check's
//! report row by row, and commits or discards the upload.

use maud::{Markup, html};

use crate::layout::{Lang, Nav, link, signed_in};

/// An upload in the list.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadRow {
    pub id: i64,
    /// `staged|committed|discarded`
    pub status: String,
    pub created_by: String,
    pub created_at: String,
    pub files: Vec<String>,
    /// None until checked.
    pub ok: Option<bool>,
    pub errors_total: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportsView {
    pub lang: Lang,
    pub nav: Nav,
    pub uploads: Vec<UploadRow>,
    /// The upload limit, in MiB.
    pub max_mib: usize,
    /// Sources the form offers: (stem, Chinese name).
    pub sources: Vec<(String, String)>,
    /// Why the last upload was refused, shown next to the file field.
    pub error: Option<String>,
    /// Imports running now, on the web or the command line: (Chinese,
    /// English) sentences naming who started each, where and when.
    pub running: Vec<(String, String)>,
}

/// One file of an upload, with what the check (or the commit) found.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    pub file_name: String,
    /// The source's (Chinese, English) name.
    pub source: Option<(String, String)>,
    pub size: i64,
    pub format: Option<String>,
    pub rows: Option<u64>,
    /// (total, inserted, updated, unchanged) once committed.
    pub counts: Option<(u64, u64, u64, u64)>,
}

/// One problem of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueRow {
    pub error: bool,
    pub file: String,
    pub row: Option<usize>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportView {
    pub ok: bool,
    pub committed: bool,
    pub issues: Vec<IssueRow>,
    pub errors_total: usize,
    pub warnings_total: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UploadView {
    pub lang: Lang,
    pub nav: Nav,
    pub id: i64,
    pub status: String,
    pub created_by: String,
    pub created_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub files: Vec<FileRow>,
    pub report: Option<ReportView>,
    /// Years that can be rescored after a commit, newest first.
    pub years: Vec<i32>,
}

/// A problem code's name, for people.
pub fn issue_label(lang: Lang, code: &str) -> &'static str {
    match code {
        "bad_bool" => lang.pick("不是有效的是/否值", "Not a yes/no value"),
        "bad_csv" => lang.pick("CSV 格式错误", "Malformed CSV"),
        "bad_date" => lang.pick("日期无效", "Invalid date"),
        "bad_datetime" => lang.pick("日期时间无效", "Invalid date and time"),
        "bad_encoding" | "unsupported_encoding" => lang.pick("文字编码无法识别", "Unrecognised text encoding"),
        "bad_header" => lang.pick("表头有误", "Bad header"),
        "bad_integer" => lang.pick("不是整数", "Not a whole number"),
        "bad_number" => lang.pick("不是数字", "Not a number"),
        "bad_xlsx" => lang.pick("Excel 文件无法读取", "Unreadable Excel file"),
        "duplicate_key" => lang.pick("记录重复", "Duplicate record"),
        "empty_file" => lang.pick("空文件", "Empty file"),
        "extra_columns" => lang.pick("多余的列（已忽略）", "Extra columns (ignored)"),
        "no_header" => lang.pick("缺少表头或必需的列", "Missing header or required column"),
        "no_rows" => lang.pick("没有数据行", "No data rows"),
        "not_a_county" => lang.pick("上级单位不是县（市、区）", "Parent is not a county"),
        "not_a_table" => lang.pick("不是表格文件", "Not a table"),
        "out_of_range" => lang.pick("超出允许范围", "Out of range"),
        "personal_data" => lang.pick("疑似个人信息", "Looks like personal data"),
        "required" => lang.pick("必填项为空", "Required value missing"),
        "skipped" => lang.pick("已跳过", "Skipped"),
        "too_large" => lang.pick("文件过大", "File too large"),
        "township_without_county" => lang.pick("乡镇（街道）缺少所属县（市、区）", "Township without its county"),
        "unknown_source" => lang.pick("无法识别数据类别", "Unknown source"),
        "unknown_unit" => lang.pick("未知单位", "Unknown unit"),
        "unknown_value" => lang.pick("取值不在允许范围内", "Value not allowed"),
        "unreadable" => lang.pick("无法读取", "Unreadable"),
        "wrong_type" => lang.pick("单位类型不符", "Wrong kind of unit"),
        "wrong_width" => lang.pick("列数不符", "Wrong number of cells"),
        _ => lang.pick("数据问题", "Problem"),
    }
}

pub fn status_label(lang: Lang, status: &str) -> &'static str {
    match status {
        "staged" => lang.pick("待确认", "Awaiting decision"),
        "committed" => lang.pick("已导入", "Committed"),
        _ => lang.pick("已放弃", "Discarded"),
    }
}

pub fn list(v: &ImportsView) -> Markup {
    let lang = v.lang;
    let title = lang.pick("数据导入", "Import data");
    signed_in(
        lang,
        title,
        "/import",
        &v.nav,
        html! {
            h1 { (title) }
            p.note { (lang.pick(
                "上传一个或多个 CSV/XLSX 文件（文件名表明数据类别，如 hotline-2025.csv，或在下面选择）。系统先逐行检查并列出全部问题，不写入任何数据；确认无误后再导入，或放弃。",
                "Upload one or more CSV/XLSX files (named for their source, e.g. hotline-2025.csv, or choose the source below). Every row is checked first and every problem listed; nothing is written until you commit, or discard the upload.")) }
            @for (zh, en) in &v.running { p.note role="status" { strong { (lang.pick(zh, en)) } } }
            form method="post" action="/import" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(v.nav.csrf);
                @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                label for="files" { (lang.pick("文件", "Files")) " " small.note { (lang.pick("（合计不超过 ", "(at most ")) (v.max_mib) (lang.pick(" MiB）", " MiB in all)")) } }
                @if let Some(error) = &v.error {
                    input #files type="file" name="files" multiple required aria-invalid="true" aria-describedby="files-error" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
                    p #files-error .error role="alert" { (crate::layout::bilingual(lang, error)) }
                } @else {
                    input #files type="file" name="files" multiple required accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
                }
                label for="source" { (lang.pick("数据类别", "Source")) }
                select #source name="source" {
                    option value="" { (lang.pick("按文件名识别", "From the file names")) }
                    @for (stem, zh) in &v.sources { option value=(stem) { (lang.pick(zh, stem)) } }
                }
                p { button type="submit" { (lang.pick("上传并检查", "Upload and check")) } }
            }
            h2 { (lang.pick("最近的上传", "Recent uploads")) }
            @if v.uploads.is_empty() {
                p.note role="status" { (lang.pick("还没有上传过文件。", "Nothing has been uploaded yet.")) }
            } @else {
                table {
                    caption { (lang.pick("上传记录", "Uploads")) }
                    thead { tr {
                        th scope="col" { "#" }
                        th scope="col" { (lang.pick("文件", "Files")) }
                        th scope="col" { (lang.pick("检查结果", "Check")) }
                        th scope="col" { (lang.pick("状态", "Status")) }
                        th scope="col" { (lang.pick("上传人", "Uploaded by")) }
                    } }
                    tbody { @for u in &v.uploads { tr {
                        td.num { a href=(link(lang, &format!("/import/{}", u.id), "")) { (u.id) } }
                        td { @for (n, f) in u.files.iter().enumerate() { @if n > 0 { br; } (f) } }
                        td { @match u.ok {
                            None => span.note { (lang.pick("未检查", "Not checked")) },
                            Some(true) => (lang.pick("通过", "Passed")),
                            Some(false) => span.error { (lang.pick("错误 ", "Errors: ")) (u.errors_total) },
                        } }
                        td { (status_label(lang, &u.status)) }
                        td { (u.created_by) br; small.note { (u.created_at) } }
                    } } }
                }
            }
        },
    )
}

pub fn upload(v: &UploadView) -> Markup {
    let lang = v.lang;
    let title = format!("{} #{}", lang.pick("上传", "Upload"), v.id);
    let path = format!("/import/{}", v.id);
    signed_in(
        lang,
        &title,
        &path,
        &v.nav,
        html! {
            p.screen-only { a href=(link(lang, "/import", "")) { "← " (lang.pick("返回数据导入", "Back to imports")) } }
            h1 { (title) " · " (status_label(lang, &v.status)) }
            p.note { (lang.pick("上传人", "Uploaded by")) " " (v.created_by) " · " (v.created_at)
                @if let (Some(by), Some(at)) = (&v.decided_by, &v.decided_at) { " · " (lang.pick("处理人", "Decided by")) " " (by) " · " (at) } }
            table {
                caption { (lang.pick("文件", "Files")) }
                thead { tr {
                    th scope="col" { (lang.pick("文件名", "File")) }
                    th scope="col" { (lang.pick("数据类别", "Source")) }
                    th scope="col" { (lang.pick("格式", "Format")) }
                    th scope="col" { (lang.pick("大小（字节）", "Size (bytes)")) }
                    th scope="col" { (lang.pick("数据行", "Rows")) }
                    @if v.files.iter().any(|f| f.counts.is_some()) {
                        th scope="col" { (lang.pick("新增", "Inserted")) }
                        th scope="col" { (lang.pick("更新", "Updated")) }
                        th scope="col" { (lang.pick("未变", "Unchanged")) }
                    }
                } }
                tbody { @for f in &v.files { tr {
                    td { (f.file_name) }
                    td { @if let Some((zh, en)) = &f.source { (lang.pick(zh, en)) } @else { "–" } }
                    td { (f.format.clone().unwrap_or_else(|| "–".into())) }
                    td.num { (f.size) }
                    td.num { (f.rows.map_or("–".to_string(), |r| r.to_string())) }
                    @if let Some((_, inserted, updated, unchanged)) = f.counts {
                        td.num { (inserted) } td.num { (updated) } td.num { (unchanged) }
                    }
                } } }
            }
            @match &v.report {
                None => {
                    p.note role="status" { (lang.pick("尚未检查（检查被中断）。", "Not checked yet (the check was interrupted).")) }
                    @if v.status == "staged" { (action(v, "check", lang.pick("重新检查", "Check again"))) }
                }
                Some(r) => {
                    @if r.committed && r.ok {
                        p role="status" { strong { (lang.pick("已导入。", "Committed.")) } " " (lang.pick("数据已写入；重新评分后结果才会变化。", "The data is written; results change once the year is rescored.")) }
                        @if !v.years.is_empty() {
                            form method="post" action="/score" {
                                input type="hidden" name="csrf" value=(v.nav.csrf);
                                @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                                label for="rescore-year" { (lang.pick("重新评分年度", "Year to rescore")) }
                                select #rescore-year name="year" { @for y in &v.years { option value=(y) { (y) } } }
                                " " button type="submit" { (lang.pick("重新评分", "Rescore")) }
                            }
                        }
                    } @else if r.ok {
                        p role="status" { strong { (lang.pick("检查通过。", "The check passed.")) } " " (lang.pick("确认后将在一个事务中全部导入。", "Committing imports everything in one transaction.")) }
                    } @else {
                        p.error role="alert" { strong { (lang.pick("检查未通过：", "The check failed: ")) } (r.errors_total) (lang.pick(" 个错误。请修改文件后重新上传；本次上传不能导入。", " errors. Correct the files and upload them again; this upload cannot be committed.")) }
                    }
                    @if v.status == "staged" {
                        div {
                            @if r.ok { (action(v, "commit", lang.pick("确认导入", "Commit"))) " " }
                            (action(v, "discard", lang.pick("放弃", "Discard")))
                        }
                    }
                    (issues_table(lang, r))
                }
            }
        },
    )
}

/// A one-button form acting on this upload.
fn action(v: &UploadView, verb: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action={ "/import/" (v.id) "/" (verb) } {
            input type="hidden" name="csrf" value=(v.nav.csrf);
            @if v.lang == Lang::En { input type="hidden" name="lang" value="en"; }
            button type="submit" { (label) }
        }
    }
}

fn issues_table(lang: Lang, r: &ReportView) -> Markup {
    let shown = r.issues.len();
    html! {
        @if r.issues.is_empty() {
            p.note { (lang.pick("没有发现问题。", "No problems found.")) }
        } @else {
            table {
                caption {
                    (lang.pick("检查报告", "Check report")) " · "
                    (lang.pick("错误 ", "errors ")) (r.errors_total) " · " (lang.pick("提示 ", "warnings ")) (r.warnings_total)
                    @if shown < r.errors_total + r.warnings_total { " · " (lang.pick("列出前 ", "the first ")) (shown) (lang.pick(" 条", " are listed")) }
                }
                thead { tr {
                    th scope="col" { (lang.pick("级别", "Level")) }
                    th scope="col" { (lang.pick("文件", "File")) }
                    th scope="col" { (lang.pick("行", "Row")) }
                    th scope="col" { (lang.pick("列", "Column")) }
                    th scope="col" { (lang.pick("值", "Value")) }
                    th scope="col" { (lang.pick("问题", "Problem")) }
                    th scope="col" { (lang.pick("说明", "Details")) }
                } }
                tbody { @for i in &r.issues { tr {
                    td { @if i.error { span.error { (lang.pick("错误", "Error")) } } @else { (lang.pick("提示", "Warning")) } }
                    td { (i.file) }
                    td.num { (i.row.map_or("–".to_string(), |r| r.to_string())) }
                    td { (i.column.clone().unwrap_or_else(|| "–".into())) }
                    td { @if let Some(value) = &i.value { code { (value) } } @else { "–" } }
                    td { (issue_label(lang, &i.code)) }
                    td lang="en" { (i.message) }
                } } }
            }
        }
    }
}
