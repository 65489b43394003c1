//! The assessment team's result table (§9): CSV for machines (UTF-8 with
//! BOM, RFC 4180, §9's English column names and codes, opens in Excel
//! without mojibake) and XLSX for people (on the result sheets §9's English
//! names in a small first row and the Chinese titles in the second, as §9
//! says; §9's codes with their Chinese labels in columns after them; typed
//! numbers; one sheet per group, a sheet explaining every deduction and one with the data-quality
//! findings in Chinese), made to be read and printed: a first sheet saying
//! which version it is and how to read it, frozen and filtered headers,
//! fitted columns, wrapped text, A4 landscape one page wide with the header
//! row on every page.
//! Exports read a stored version; they never recompute.

use std::collections::HashMap;

use analytics::indicators::label;
use analytics::rulebook::Rulebook;
use analytics::score::round_half_away;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use super::results::{IndicatorResult, ResultRows, UnitResult, VersionInfo};

/// The fixed leading columns, English name and Chinese title.
pub const COLUMNS: [(&str, &str); 12] = [
    ("unit_code", "单位编码"),
    ("unit_name", "单位名称"),
    ("group", "考核组别"),
    ("parent_code", "上级单位编码"),
    ("total", "总分"),
    ("base", "基础得分"),
    ("bonus", "加分"),
    ("rank", "组内排名"),
    ("county_rank", "县内排名"),
    ("grade", "等次"),
    ("vetoed", "一票否决"),
    ("veto_reason", "否决依据"),
];

/// A cell of the table before it is written as CSV text or a typed XLSX
/// cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A number and its decimals in the CSV (None: plain).
    Number(f64, Option<usize>),
    Empty,
}

impl Cell {
    fn opt_text(s: &Option<String>) -> Cell {
        s.as_ref().map_or(Cell::Empty, |s| Cell::Text(s.clone()))
    }

    fn int(v: Option<i64>) -> Cell {
        v.map_or(Cell::Empty, |v| Cell::Number(v as f64, Some(0)))
    }

    /// The CSV text: numbers with fixed decimals rounded half away from
    /// zero; text that a spreadsheet would run as a formula gets a `'`.
    pub fn csv_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Number(v, Some(d)) => format!("{:.*}", *d, round_half_away(*v, *d as i32)),
            Cell::Number(v, None) => format!("{v}"),
            Cell::Text(s) if s.starts_with(['=', '+', '-', '@']) => format!("'{s}"),
            Cell::Text(s) => s.clone(),
        }
    }
}

/// The header (English names) and one row of cells per unit.
pub fn table(rows: &ResultRows, rules: &Rulebook) -> (Vec<String>, Vec<Vec<Cell>>) {
    let mut header: Vec<String> = COLUMNS.iter().map(|(en, _)| en.to_string()).collect();
    header.extend(rules.indicators.iter().map(|r| r.id.clone()));
    let by_unit = indicators_by_unit(rows);
    let body = rows.units.iter().map(|u| unit_row(u, rules, by_unit.get(u.unit_code.as_str()))).collect();
    (header, body)
}

fn indicators_by_unit(rows: &ResultRows) -> HashMap<&str, HashMap<&str, &IndicatorResult>> {
    let mut map: HashMap<&str, HashMap<&str, &IndicatorResult>> = HashMap::new();
    for r in &rows.indicators {
        map.entry(r.unit_code.as_str()).or_default().insert(r.indicator.as_str(), r);
    }
    map
}

fn unit_row(u: &UnitResult, rules: &Rulebook, indicators: Option<&HashMap<&str, &IndicatorResult>>) -> Vec<Cell> {
    let mut row = vec![
        Cell::Text(u.unit_code.clone()),
        Cell::Text(u.unit_name.clone()),
        Cell::Text(u.group.to_string()),
        Cell::opt_text(&u.parent_code),
        Cell::Number(u.total, Some(2)),
        Cell::Number(u.base, Some(4)),
        Cell::Number(u.bonus, None),
        Cell::int(u.rank),
        Cell::int(u.county_rank),
        Cell::Text(u.grade.to_string()),
        Cell::Number(if u.vetoed { 1.0 } else { 0.0 }, Some(0)),
        Cell::opt_text(&u.veto_reason),
    ];
    for rule in &rules.indicators {
        let points = indicators.and_then(|m| m.get(rule.id.as_str())).and_then(|r| r.points);
        row.push(points.map_or(Cell::Empty, |p| Cell::Number(p, Some(4))));
    }
    row
}

/// A table that could not be written (in memory: only a writer's own
/// limits can refuse).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write the CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("cannot write the CSV: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] XlsxError),
}

/// The CSV bytes: BOM, header, one row per unit.
pub fn csv(rows: &ResultRows, rules: &Rulebook) -> Result<Vec<u8>, ExportError> {
    let (header, body) = table(rows, rules);
    csv_bytes(&header, body)
}

/// Any table as CSV that Excel opens without mojibake: UTF-8 with a BOM,
/// CRLF line ends, formula-looking text neutralised by [`Cell::csv_text`].
pub fn csv_bytes(header: &[String], body: impl IntoIterator<Item = Vec<Cell>>) -> Result<Vec<u8>, ExportError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    csv_records(&mut out, std::iter::once(header.iter().map(|h| Cell::Text(h.clone())).collect()).chain(body))?;
    Ok(out)
}

/// Rows as CSV records appended to `out`, without a BOM or header: the
/// further chunks of a table written as it is read (the audit log's export).
pub fn csv_records(out: &mut Vec<u8>, rows: impl IntoIterator<Item = Vec<Cell>>) -> Result<(), ExportError> {
    // RFC 4180 records end in CRLF.
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    for row in rows {
        w.write_record(row.iter().map(Cell::csv_text))?;
    }
    w.flush()?;
    Ok(())
}

/// Chinese sheet names of the groups.
fn group_sheet(group: &str) -> &'static str {
    analytics::domain::PeerGroup::parse(group).map_or("其他", analytics::domain::PeerGroup::label_zh)
}

/// Where a workbook's numbers come from, for its first sheet.
pub struct About<'a> {
    /// "2025年度政务诚信考核结果 第1版": the document's title, and every
    /// printed page's header.
    pub title: String,
    pub version: &'a VersionInfo,
    /// Which units the workbook holds, in words.
    pub scope: String,
    /// Add the indicator statistics' two sheets (not to one unit's own
    /// workbook: they describe its group).
    pub statistics: bool,
}

fn yes_no(yes: bool) -> Cell {
    Cell::Text(if yes { "是" } else { "否" }.to_string())
}

/// The columns after §9's on each group's sheet: the Chinese labels of
/// the codes §9 keeps in its own columns (group, grade, veto), so that
/// people read words and machines still find the codes where §9 puts them.
const LABEL_COLUMNS: [(&str, &str); 3] = [("group_label", "组别名称"), ("grade_label", "等次名称"), ("vetoed_label", "是否一票否决")];

/// A unit's §9 row as people read it: §9's cells, codes included, then
/// the labels of [`LABEL_COLUMNS`].
fn for_people(unit: &UnitResult, mut cells: Vec<Cell>) -> Vec<Cell> {
    cells.push(Cell::Text(unit.group.label_zh().to_string()));
    cells.push(Cell::Text(unit.grade.label_zh().to_string()));
    cells.push(yes_no(unit.vetoed));
    cells
}

impl Cell {
    /// The text a spreadsheet shows for the cell with the workbook's
    /// formats: points and totals to 2 decimals, other numbers to at most 4.
    fn shown(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(v, Some(0)) => format!("{v:.0}"),
            Cell::Number(v, Some(_)) => format!("{:.2}", round_half_away(*v, 2)),
            Cell::Number(v, None) => format!("{}", round_half_away(*v, 4)),
        }
    }
}

/// Writes a cell typed: numbers stay numbers. Points and totals show 2
/// decimals and keep the CSV's precision (4 for points) in the cell, so
/// sums re-add exactly; text too long for its column wraps.
fn write_cell(sheet: &mut Worksheet, r: u32, c: u16, cell: &Cell, wrap: bool, formats: &Formats) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => Ok(()),
        Cell::Text(s) if wrap => sheet.write_string_with_format(r, c, s, &formats.wrap).map(|_| ()),
        Cell::Text(s) => sheet.write_string_with_format(r, c, s, &formats.text).map(|_| ()),
        Cell::Number(v, Some(0)) => sheet.write_number_with_format(r, c, *v, &formats.text).map(|_| ()),
        Cell::Number(v, Some(d)) => sheet.write_number_with_format(r, c, round_half_away(*v, *d as i32), &formats.points).map(|_| ()),
        Cell::Number(v, None) => sheet.write_number_with_format(r, c, round_half_away(*v, 4), &formats.text).map(|_| ()),
    }
}

struct Formats {
    /// The header row: Chinese titles, wrapped, repeated on every page.
    titles: Format,
    /// §9's English names above the titles: small and grey.
    machine: Format,
    text: Format,
    points: Format,
    heading: Format,
    key: Format,
    wrap: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            titles: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color("#EEF0F2")
                .set_border_bottom(FormatBorder::Thin),
            machine: Format::new().set_font_size(8).set_font_color("#6B7280"),
            text: Format::new().set_align(FormatAlign::Top),
            points: Format::new().set_num_format("0.00").set_align(FormatAlign::Top),
            heading: Format::new().set_bold().set_font_size(14),
            key: Format::new().set_bold().set_align(FormatAlign::Top),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

/// One sheet of the workbook as a table for people: the Chinese titles of
/// its columns (the English names are the CSV's, for machines) and its
/// rows.
struct Table {
    name: &'static str,
    /// The CSV's English names above the titles, where §9 asks for them
    /// (the result table: "the Chinese titles belong in XLSX's second
    /// header row"); empty for the other sheets.
    machine_names: Vec<String>,
    titles: Vec<String>,
    rows: Vec<Vec<Cell>>,
    /// Columns that stay in view when scrolling right.
    frozen_columns: u16,
}

/// Writes `table` as a sheet people can read and print: one header row of
/// Chinese titles (frozen, filtered, repeated on every printed page),
/// columns as wide as their contents, long text wrapped, A4 landscape
/// fitted to one page width, the title in the page header and
/// 第 X 页 共 Y 页 in the footer.
fn write_table(book: &mut Workbook, table: &Table, title: &str, formats: &Formats) -> Result<(), XlsxError> {
    let sheet = book.add_worksheet().set_name(table.name)?;
    let widths = column_widths(table);
    // The result table keeps §9's English names in its first row, small and
    // grey, for scripts; people read the Chinese titles below them, which
    // are the row repeated on every printed page.
    let head = u32::from(!table.machine_names.is_empty());
    for (c, name) in table.machine_names.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, name, &formats.machine)?;
    }
    for (c, (text, width)) in table.titles.iter().zip(&widths).enumerate() {
        sheet.write_string_with_format(head, c as u16, text, &formats.titles)?;
        sheet.set_column_width(c as u16, *width)?;
    }
    let title_lines = table.titles.iter().zip(&widths).map(|(t, w)| lines(t, *w)).max().unwrap_or(1);
    sheet.set_row_height(head, row_height(title_lines))?;
    for (r, cells) in table.rows.iter().enumerate() {
        let row = r as u32 + head + 1;
        let mut tallest = 1;
        for (c, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            let n = lines(&cell.shown(), *width);
            tallest = tallest.max(n);
            write_cell(sheet, row, c as u16, cell, n > 1, formats)?;
        }
        // Spreadsheets size a row to wrapped text only when someone edits
        // it: the height is set here.
        if tallest > 1 {
            sheet.set_row_height(row, row_height(tallest))?;
        }
    }
    sheet.set_freeze_panes(head + 1, table.frozen_columns)?;
    sheet.autofilter(head, 0, table.rows.len() as u32 + head, table.titles.len().saturating_sub(1) as u16)?;
    print_setup(sheet, title)?;
    sheet.set_repeat_rows(head, head)?;
    if head > 0 {
        // Printed, the sheet starts at the Chinese titles: the names for
        // scripts are not for paper.
        sheet.set_print_area(head, 0, table.rows.len() as u32 + head, table.titles.len().saturating_sub(1) as u16)?;
    }
    Ok(())
}

/// Each column as wide as its widest value (up to [`MAX_COLUMN_WIDTH`],
/// beyond which text wraps); a title wider than its values wraps onto up
/// to five lines rather than widen a column of short numbers.
fn column_widths(table: &Table) -> Vec<f64> {
    // A wide table wraps long text sooner, to keep its print legible.
    let widest_column = if table.titles.len() > 12 { WIDE_TABLE_COLUMN_WIDTH } else { MAX_COLUMN_WIDTH };
    table
        .titles
        .iter()
        .enumerate()
        .map(|(c, title)| {
            let widest = table.rows.iter().filter_map(|r| r.get(c)).map(|cell| display_width(&cell.shown())).fold(0.0, f64::max);
            let title = display_width(title);
            // Up to five lines of at least two characters.
            let title = if title <= widest { title } else { (title / CJK_WIDTH / MAX_TITLE_LINES).ceil().max(2.0) * CJK_WIDTH };
            // Some room to spare (the writer adds the cell's padding): more
            // beside text, which is left-aligned as its neighbour may be.
            let text = table.rows.iter().any(|r| matches!(r.get(c), Some(Cell::Text(_))));
            let spare = if text { 1.0 } else { 0.5 };
            ((widest.max(title) + spare) * 2.0).ceil() / 2.0
        })
        .map(|width| width.clamp(3.0, widest_column))
        .collect()
}

/// A title wider than its column's values wraps onto up to this many lines.
const MAX_TITLE_LINES: f64 = 5.0;

/// The widest column, in characters; longer text (formulas, findings)
/// wraps onto more lines.
const MAX_COLUMN_WIDTH: f64 = 48.0;

/// The widest column of a table of many columns (a group's, with its
/// indicators): names and veto reasons wrap rather than shrink the print.
const WIDE_TABLE_COLUMN_WIDTH: f64 = 16.0;

/// How many lines `text` takes in a column `column` wide: wrapped between
/// words, and anywhere between Chinese characters.
fn lines(text: &str, column: f64) -> usize {
    let room = (column - 0.3).max(1.0);
    let (mut lines, mut used) = (1, 0.0);
    for token in tokens(text) {
        let width = display_width(token);
        if used > 0.0 && used + width > room {
            lines += 1;
            used = 0.0;
        }
        used += width;
        // A word wider than the column is broken where it reaches the edge.
        while used > room {
            lines += 1;
            used -= room;
        }
    }
    lines
}

/// `text` cut where a line may break: after a space, around a Chinese
/// character.
fn tokens(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        if is_wide(c) && i > start {
            tokens.push(&text[start..i]);
            start = i;
        }
        if is_wide(c) || c == ' ' {
            tokens.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        tokens.push(&text[start..]);
    }
    tokens
}

/// The height of a row of `lines` lines of 11 pt text, Chinese included.
fn row_height(lines: usize) -> f64 {
    16.0 * lines as f64 + 2.0
}

/// A4 landscape, fitted to one page width (as many pages down as it
/// takes), the title in the header and the page number of the total in the
/// footer.
fn print_setup(sheet: &mut Worksheet, title: &str) -> Result<(), XlsxError> {
    // `&` starts a code in Excel's header language: `&&` is a literal one.
    let title = title.replace('&', "&&");
    sheet
        .set_landscape()
        .set_paper_size(9)
        .set_print_fit_to_pages(1, 0)
        .set_margins(0.25, 0.25, 0.6, 0.6, 0.3, 0.3)
        .set_header(format!("&L{title}"))
        .set_footer("&C第 &P 页 共 &N 页");
    Ok(())
}

/// The width of a Chinese character or full-width form in a spreadsheet
/// column's unit (the width of a digit): 11 pt square against a digit's
/// 7 px at 96 dpi.
const CJK_WIDTH: f64 = 2.2;

/// How many digit widths `text` takes in a spreadsheet column.
fn display_width(text: &str) -> f64 {
    text.chars().map(|c| if is_wide(c) { CJK_WIDTH } else { 1.0 }).sum()
}

/// A Chinese character or full-width form.
fn is_wide(c: char) -> bool {
    (c as u32) >= 0x2E80
}

/// Any one table as a workbook of one sheet, laid out as the result
/// table's sheets are (one header row of the Chinese titles; filters;
/// fitted widths; A4 landscape with `title` on every page). `columns` are
/// (English name, Chinese title): the English names are the CSV's.
pub fn table_xlsx(sheet: &'static str, title: &str, columns: Vec<(String, String)>, rows: Vec<Vec<Cell>>) -> Result<Vec<u8>, ExportError> {
    let formats = Formats::new();
    let mut book = Workbook::new();
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_title(title));
    let titles = columns.into_iter().map(|(_, zh)| zh).collect();
    write_table(&mut book, &Table { name: sheet, machine_names: Vec::new(), titles, rows, frozen_columns: 1 }, title, &formats)?;
    Ok(book.save_to_buffer()?)
}

/// The XLSX bytes: a first sheet saying what the workbook is, then one
/// sheet per group, the points lost and the data-quality findings.
pub fn xlsx(rows: &ResultRows, rules: &Rulebook, about: &About) -> Result<Vec<u8>, ExportError> {
    Ok(build_xlsx(rows, rules, about)?)
}

fn build_xlsx(rows: &ResultRows, rules: &Rulebook, about: &About) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let (mut machine_names, body) = table(rows, rules);
    let mut titles: Vec<String> = COLUMNS.iter().map(|(_, zh)| zh.to_string()).collect();
    titles.extend(rules.indicators.iter().map(|r| label(&r.id).0.to_string()));
    for (en, zh) in LABEL_COLUMNS {
        machine_names.push(en.to_string());
        titles.push(zh.to_string());
    }
    let mut book = Workbook::new();
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_title(&about.title));
    about_sheet(book.add_worksheet(), about, rules, &formats)?;
    for group in analytics::domain::PeerGroup::ALL {
        let group_rows: Vec<_> = rows
            .units
            .iter()
            .zip(&body)
            .filter(|(unit, _)| unit.group == *group)
            .map(|(unit, cells)| for_people(unit, cells.clone()))
            .collect();
        // A group or a unit's own workbook prints no empty tables.
        if group_rows.is_empty() && !rows.units.is_empty() {
            continue;
        }
        let table = Table {
            name: group_sheet(group.code()),
            machine_names: machine_names.clone(),
            titles: titles.clone(),
            rows: group_rows,
            frozen_columns: 2,
        };
        write_table(&mut book, &table, &about.title, &formats)?;
    }
    write_table(&mut book, &explanations(rows, rules), &about.title, &formats)?;
    write_table(&mut book, &quality(rows), &about.title, &formats)?;
    if about.statistics {
        let stats = super::statistics::of_rows(rows, rules);
        let (columns, rows) = super::statistics::distribution_table(&stats);
        write_table(&mut book, &Table { name: "指标统计", machine_names: Vec::new(), titles: zh(columns), rows, frozen_columns: 2 }, &about.title, &formats)?;
        let (columns, rows) = super::statistics::correlation_table(&stats);
        write_table(&mut book, &Table { name: "指标相关", machine_names: Vec::new(), titles: zh(columns), rows, frozen_columns: 3 }, &about.title, &formats)?;
    }
    book.save_to_buffer()
}

fn zh(columns: Vec<(String, String)>) -> Vec<String> {
    columns.into_iter().map(|(_, zh)| zh).collect()
}

/// The first sheet: what the workbook holds, from which version, and how
/// to read it, each line a label and its text.
fn about_sheet(sheet: &mut Worksheet, about: &About, rules: &Rulebook, formats: &Formats) -> Result<(), XlsxError> {
    let v = about.version;
    let time = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let published = match v.published_at {
        Some(at) => format!("已发布（{}），为正式结果", time(at)),
        None => "未发布：暂定结果，发布前可能变动".to_string(),
    };
    let grades = analytics::domain::Grade::ALL.iter().map(|g| format!("{}={}", g.code(), g.label_zh())).collect::<Vec<_>>().join("，");
    let groups = analytics::domain::PeerGroup::ALL.iter().map(|g| format!("{}={}", g.code(), g.label_zh())).collect::<Vec<_>>().join("，");
    let facts: Vec<(&str, String)> = vec![
        ("考核年度", v.year.to_string()),
        ("结果版本", format!("第 {} 版", v.version)),
        ("数据截至", time(v.as_of)),
        ("发布状态", published),
        ("计算时间", time(v.computed_at)),
        ("内容哈希", v.content_hash.clone()),
        ("规则哈希", v.rulebook_hash.clone()),
        ("范围", about.scope.clone()),
    ];
    let reading = [
        format!(
            "“县市区”“市直单位”“乡镇街道”各表列一个考核组别的单位，第一行为列名（打印时每页重复）。各列依考核办法第 9 条的顺序：前 {} 列为单位、总分、排名与等次，其后每列为一项指标的得分（共 {} 项）。",
            COLUMNS.len(),
            rules.indicators.len()
        ),
        "总分、基础得分和各指标得分显示两位小数；单元格内保存的基础得分和各指标得分为四位小数（四舍五入，逢五进一），可逐项相加复核。".to_string(),
        "组内排名为组内名次（同分同名次）；县内排名只对乡镇街道给出。不定等次的单位不排名。一票否决为“是”的单位，否决依据列出相关失信记录编号。".to_string(),
        format!("供程序读取的 CSV 文件用英文列名和代码：组别 {groups}；等次 {grades}；一票否决 1=是，0=否。"),
        "“扣分说明”表列出每一项失分的指标值、分子、分母、得分与计分公式；“数据质量”表列出计分时发现的数据问题；“指标统计”“指标相关”两表（全部单位或一个组别的工作簿）列出各组各指标得分的分布、指标间的相关系数及提示（|ρ| ≥ 0.9 可能衡量同一件事；90% 以上单位满分则不能区分单位）。".to_string(),
        format!(
            "内容哈希（结果指纹，SHA-256）是本版结果全部数值的摘要：同一版本任何时候导出都相同。核对：已发布的版本可在政信公示页（/public/results/{}）查看同一版本的发布时间、总分和排名；考核办可凭此指纹核验存档结果。",
            v.year
        ),
    ];
    sheet.set_name("说明")?;
    // About 115 characters of text: one A4 landscape page wide at full size.
    const TEXT_WIDTH: f64 = 116.0;
    sheet.set_column_width(0, 12)?;
    sheet.set_column_width(1, TEXT_WIDTH)?;
    sheet.write_string_with_format(0, 0, &about.title, &formats.heading)?;
    sheet.set_row_height(0, 24)?;
    let reading = reading.iter().enumerate().map(|(i, line)| (if i == 0 { "如何阅读" } else { "" }, line));
    // A blank row between the facts and how to read them.
    let blank = String::new();
    let rows = facts.iter().map(|(label, value)| (*label, value)).chain([("", &blank)]).chain(reading);
    for (r, (label, text)) in (2..).zip(rows) {
        sheet.write_string_with_format(r, 0, label, &formats.key)?;
        sheet.write_string_with_format(r, 1, text, &formats.wrap)?;
        sheet.set_row_height(r, row_height(lines(text, TEXT_WIDTH)))?;
    }
    print_setup(sheet, &about.title)?;
    Ok(())
}

/// Every point lost: unit, indicator, value, numerator, denominator,
/// points, points lost and the formula.
fn explanations(rows: &ResultRows, rules: &Rulebook) -> Table {
    let titles = ["单位编码", "单位名称", "指标", "指标值", "分子/扣分项数", "分母", "分值", "得分", "失分", "计分公式"];
    let names: HashMap<&str, &str> = rows.units.iter().map(|u| (u.unit_code.as_str(), u.unit_name.as_str())).collect();
    let mut body = Vec::new();
    for ind in &rows.indicators {
        let Some(points) = ind.points else { continue };
        let lost = ind.weight - points;
        if lost <= 1e-12 {
            continue;
        }
        let formula = rules.indicator(&ind.indicator).map(analytics::explain::formula).unwrap_or_default();
        let opt = |v: Option<f64>| v.map_or(Cell::Empty, |v| Cell::Number(v, None));
        body.push(vec![
            Cell::Text(ind.unit_code.clone()),
            Cell::Text(names.get(ind.unit_code.as_str()).unwrap_or(&"").to_string()),
            Cell::Text(label(&ind.indicator).0.to_string()),
            opt(ind.value),
            opt(ind.numerator),
            opt(ind.denominator),
            Cell::Number(ind.weight, None),
            Cell::Number(points, Some(4)),
            Cell::Number(lost, Some(4)),
            Cell::Text(formula.replace(" if the condition holds, else 0", "（条件成立时），否则 s = 0")),
        ]);
    }
    Table {
        name: "扣分说明",
        machine_names: Vec::new(),
        titles: strings(&titles),
        rows: body,
        frozen_columns: 3,
    }
}

fn quality(rows: &ResultRows) -> Table {
    let titles = ["类型", "数据来源", "单位编码", "记录编号", "说明"];
    let body = rows
        .quality
        .iter()
        .map(|q| {
            vec![
                Cell::Text(finding_kind_zh(&q.kind).to_string()),
                Cell::Text(source_zh(&q.source).to_string()),
                Cell::opt_text(&q.unit_code),
                Cell::opt_text(&q.record_id),
                Cell::Text(finding_detail_zh(&q.source, &q.detail)),
            ]
        })
        .collect();
    Table {
        name: "数据质量",
        machine_names: Vec::new(),
        titles: strings(&titles),
        rows: body,
        frozen_columns: 0,
    }
}

/// The Chinese name of a data-quality finding's kind.
fn finding_kind_zh(kind: &str) -> &str {
    use analytics::quality::{IMPOSSIBLE_DATE, INCONSISTENT_DEBT, MISSING_DEBT, NO_RECORDS, UNGRADED, UNKNOWN_UNIT};
    match kind {
        NO_RECORDS => "数据源无记录",
        MISSING_DEBT => "缺少债务数据",
        UNKNOWN_UNIT => "未知单位",
        IMPOSSIBLE_DATE => "日期矛盾",
        INCONSISTENT_DEBT => "债务数据矛盾",
        UNGRADED => "不定等次",
        other => other,
    }
}

/// The Chinese title of a source (`commitments` → 承诺事项).
fn source_zh(source: &str) -> &str {
    crate::sources::Source::parse(source).map_or(source, |s| s.spec().zh)
}

/// A finding's detail in Chinese. The stored detail stays English (it is
/// part of the version's hashed content, and the CSV and API give it as
/// stored); the workbook is read by people. A detail not known here is
/// given as stored.
fn finding_detail_zh(source: &str, detail: &str) -> String {
    let title = |name: &str| {
        let spec = crate::sources::Source::parse(source).map(|s| s.spec());
        spec.and_then(|s| s.column_index(name).map(|i| s.columns[i].zh)).unwrap_or(name).to_string()
    };
    if let Some((a, b)) = detail.split_once(" is before ") {
        return format!("{}早于{}", title(a), title(b));
    }
    if let Some((a, b)) = detail.split_once(" is larger than ") {
        return format!("{}大于{}", title(a), title(b));
    }
    if let Some(year) = detail.strip_prefix("no debt row for ").and_then(|rest| rest.split(':').next()) {
        return format!("{year}年度无债务数据，债务类指标不适用");
    }
    if let Some((what, year)) = detail.strip_prefix("no ").and_then(|rest| rest.split_once(" records for ")) {
        return format!("{year}年度无{}记录", source_zh(what));
    }
    match detail {
        "the record names a unit that is not in the unit list" => "记录所列单位不在单位名单中".to_string(),
        "hotline tickets of this year name a unit that is not in the unit list" => "本年度有热线工单所列单位不在单位名单中".to_string(),
        d if d.starts_with("only deduction indicators apply") => "只适用扣分类指标：得分背后没有比率、比值或评价，因此不排名、不定等次".to_string(),
        other => other.to_string(),
    }
}

fn strings(titles: &[&str]) -> Vec<String> {
    titles.iter().map(|t| t.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_follow_the_export_rules() {
        assert_eq!(Cell::Number(82.974_3, Some(2)).csv_text(), "82.97");
        assert_eq!(Cell::Number(91.875, Some(2)).csv_text(), "91.88");
        assert_eq!(Cell::Number(2.307_65, Some(4)).csv_text(), "2.3077");
        assert_eq!(Cell::Number(2.0, None).csv_text(), "2");
        assert_eq!(Cell::Number(0.5, None).csv_text(), "0.5");
        assert_eq!(Cell::Text("=HYPERLINK(\"x\")".into()).csv_text(), "'=HYPERLINK(\"x\")");
        assert_eq!(Cell::Text("-1".into()).csv_text(), "'-1");
        assert_eq!(Cell::Text("鹿城区".into()).csv_text(), "鹿城区");
        assert_eq!(Cell::Empty.csv_text(), "");
    }

    /// §9: "One row per unit, in this column order: `unit_code, unit_name,
    /// group, parent_code, total, base, bonus, rank, county_rank, grade,
    /// vetoed, veto_reason`, then one column per indicator id of the year's
    /// rulebook, in the rulebook's order"; "`vetoed` as `0/1`;
    /// `veto_reason` lists the qualifying listings' ids, separated by `;`";
    /// "UTF-8 with BOM, comma-separated, RFC 4180 quoting"; text cells that
    /// start with `+` or `@` get a `'`. The expected bytes are written out
    /// from those sentences and the method's table (§3), not from
    /// [`COLUMNS`].
    #[test]
    fn the_csv_export_follows_section_9_byte_for_byte() {
        use crate::scoring::results::tests::unit;
        let rules = seeds::rulebooks::for_year(2025).unwrap();
        let vetoed = UnitResult {
            unit_name: "+城东, \"新区\"".into(),
            parent_code: Some("330302".into()),
            total: 59.994_9,
            base: 57.994_95,
            bonus: 2.0,
            rank: Some(3),
            county_rank: Some(1),
            grade: analytics::domain::Grade::Fail,
            vetoed: true,
            veto_reason: Some("@L-1;L-2".into()),
            ..unit("330302001", "township")
        };
        let fresh = UnitResult { unit_name: "@市新局".into(), rank: None, grade: analytics::domain::Grade::Ungraded, ..unit("D099", "department") };
        let point = |indicator: &str, points: Option<f64>| IndicatorResult {
            unit_code: "330302001".into(),
            indicator: indicator.into(),
            dimension: "D1".into(),
            weight: 15.0,
            numerator: None,
            denominator: None,
            value: None,
            applicable: points.is_some(),
            points,
        };
        let rows = ResultRows {
            units: vec![vetoed, fresh],
            indicators: vec![point("commit_ontime", Some(15.0 * (36.0 / 38.0 - 0.6) / 0.4)), point("dishonesty", Some(14.0)), point("proposal_ontime", None)],
            quality: Vec::new(),
        };
        let bytes = csv(&rows, &rules).unwrap();
        let header = "unit_code,unit_name,group,parent_code,total,base,bonus,rank,county_rank,grade,vetoed,veto_reason,\
                      commit_ontime,commit_breach,proposal_ontime,proposal_satisfaction,proposal_resolution,\
                      hotline_ontime,hotline_satisfaction,hotline_repeat,hotline_integrity,\
                      debt_ratio,debt_limit,debt_overdue,debt_violations,dishonesty,public_rating";
        // The township: total 59.9949 → 59.99; base to 4 decimals; bonus
        // plain; its name quoted (a comma and quotes), after the `'`;
        // commit_ontime 13.0263 (§8), dishonesty 14.0000, n/a cells empty.
        let township = "330302001,\"'+城东, \"\"新区\"\"\",township,330302,59.99,57.9950,2,3,1,fail,1,'@L-1;L-2,\
                        13.0263,,,,,,,,,,,,,14.0000,";
        // The ungraded department: rank, county rank and reason empty.
        let department = "D099,'@市新局,department,,80.00,80.0000,0,,,ungraded,0,,,,,,,,,,,,,,,,";
        let expected = format!("\u{feff}{header}\r\n{township}\r\n{department}\r\n");
        assert_eq!(String::from_utf8(bytes).unwrap(), expected);
    }

    #[test]
    fn workbook_cells_show_two_decimals_for_points() {
        assert_eq!(Cell::Number(2.307_65, Some(4)).shown(), "2.31");
        assert_eq!(Cell::Number(82.974_3, Some(2)).shown(), "82.97");
        assert_eq!(Cell::Number(0.915_254_237_288_136, None).shown(), "0.9153");
        assert_eq!(Cell::Number(12.0, Some(0)).shown(), "12");
    }

    #[test]
    fn data_quality_findings_read_in_chinese() {
        let cases = [
            ("commitments", "fulfilled_on is before made_on", "兑现日期早于承诺日期"),
            ("hotline", "closed_at is before received_at", "办结时间早于受理时间"),
            ("dishonesty", "rectified_on is before occurred_on", "整改完成日期早于认定日期"),
            ("debt", "overdue_amount is larger than due_amount", "逾期本息大于当年到期本息"),
            ("debt", "no debt row for 2025: debt indicators are n/a", "2025年度无债务数据，债务类指标不适用"),
            ("proposals", "no proposals records for 2025", "2025年度无建议提案记录"),
            ("honours", "the record names a unit that is not in the unit list", "记录所列单位不在单位名单中"),
        ];
        for (source, detail, zh) in cases {
            assert_eq!(finding_detail_zh(source, detail), zh, "{detail}");
        }
        let ungraded = finding_detail_zh("units", "only deduction indicators apply: no rate, ratio or rating lies behind the score, so it gets no rank");
        assert!(!ungraded.is_ascii() && !ungraded.contains("rank"), "{ungraded}");
        assert_eq!(finding_kind_zh("impossible_date"), "日期矛盾");
        assert_eq!(source_zh("commitments"), "承诺事项");
    }

    #[test]
    fn long_titles_wrap_rather_than_widen_columns_of_numbers() {
        let table = Table {
            name: "t",
            machine_names: Vec::new(),
            titles: strings(&["总分", "承诺按期兑现率", "计分公式"]),
            rows: vec![vec![Cell::Number(82.97, Some(2)), Cell::Number(14.318_2, Some(4)), Cell::Text("s".repeat(100))]],
            frozen_columns: 0,
        };
        // 总分 fits above its values; 承诺按期兑现率 takes four lines of
        // two characters; the formula wraps.
        assert_eq!(column_widths(&table), [5.5, 5.5, MAX_COLUMN_WIDTH]);
        assert_eq!(lines("承诺按期兑现率", 5.5), 4);
        assert_eq!(lines("82.97", 5.5), 1);
        assert_eq!(lines(&"s".repeat(100), MAX_COLUMN_WIDTH), 3);
        assert_eq!(lines("s = 15 × clamp((v − 0.6) / (1 − 0.6), 0, 1)", 24.0), 2);
        assert_eq!(tokens("s = 1 否则"), ["s ", "= ", "1 ", "否", "则"]);
    }
}
