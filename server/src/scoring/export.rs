//! The assessment team's result table (§9): CSV (UTF-8 with BOM, RFC 4180,
//! opens in Excel without mojibake) and XLSX (typed numbers, frozen header,
//! Chinese titles on a second header row, one sheet per group, a sheet
//! explaining every deduction and one with the data-quality findings),
//! made to be read and printed too: a first sheet saying which version it
//! is and how to read it, filters, fitted columns, A4 pages one sheet wide.
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
    {
        // RFC 4180 records end in CRLF.
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut out);
        w.write_record(header)?;
        for row in body {
            w.write_record(row.iter().map(Cell::csv_text))?;
        }
        w.flush()?;
    }
    Ok(out)
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

/// The columns after the §9 ones on each group's sheet: the Chinese labels
/// of the group and grade codes. §9 fixes the order of the table's
/// columns (the codes stay where machines read them), so the labels for
/// people come after the indicators.
const LABEL_COLUMNS: [(&str, &str); 2] = [("group_label", "组别名称"), ("grade_label", "等次名称")];

fn write_cell(sheet: &mut Worksheet, r: u32, c: u16, cell: &Cell, formats: &Formats) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => Ok(()),
        Cell::Text(s) => sheet.write_string(r, c, s).map(|_| ()),
        Cell::Number(v, Some(2)) => sheet.write_number_with_format(r, c, round_half_away(*v, 2), &formats.cents).map(|_| ()),
        Cell::Number(v, Some(4)) => sheet.write_number_with_format(r, c, round_half_away(*v, 4), &formats.points).map(|_| ()),
        Cell::Number(v, _) => sheet.write_number(r, c, *v).map(|_| ()),
    }
}

struct Formats {
    /// The first header row: English names, for machines.
    names: Format,
    /// The second header row: Chinese titles, for people.
    titles: Format,
    cents: Format,
    points: Format,
    heading: Format,
    key: Format,
    wrap: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            names: Format::new().set_font_color("#52606D").set_font_size(8).set_text_wrap().set_align(FormatAlign::Top),
            titles: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_background_color("#EEF0F2")
                .set_border_bottom(FormatBorder::Thin),
            cents: Format::new().set_num_format("0.00"),
            points: Format::new().set_num_format("0.0000"),
            heading: Format::new().set_bold().set_font_size(14),
            key: Format::new().set_bold().set_align(FormatAlign::Top),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

/// One sheet of the workbook as a table: names and titles of its columns
/// and its rows.
struct Table {
    name: &'static str,
    columns: Vec<(String, String)>,
    rows: Vec<Vec<Cell>>,
    /// Columns that stay in view when scrolling right.
    frozen_columns: u16,
}

/// Writes `table` as a sheet people can read and print: two header rows
/// (repeated on every printed page), a filter on the titles, columns as
/// wide as their contents, A4 landscape fitted to one page width, the
/// title in the page header and 第 X 页 共 Y 页 in the footer.
fn write_table(book: &mut Workbook, table: &Table, title: &str, formats: &Formats) -> Result<(), XlsxError> {
    let sheet = book.add_worksheet().set_name(table.name)?;
    for (c, (en, zh)) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, en, &formats.names)?;
        sheet.write_string_with_format(1, c as u16, zh, &formats.titles)?;
    }
    for (r, cells) in table.rows.iter().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            write_cell(sheet, r as u32 + 2, c as u16, cell, formats)?;
        }
    }
    // Heights for titles wrapped onto two lines (spreadsheets size rows
    // to wrapped text only when they edit them).
    sheet.set_row_height(0, 22)?;
    sheet.set_row_height(1, 30)?;
    sheet.set_freeze_panes(2, table.frozen_columns)?;
    let last_column = table.columns.len().saturating_sub(1) as u16;
    sheet.autofilter(1, 0, table.rows.len() as u32 + 1, last_column)?;
    for (c, (en, zh)) in table.columns.iter().enumerate() {
        // As wide as the values; titles wrap onto more lines rather than
        // widen a column of short numbers.
        let widest = table.rows.iter().filter_map(|r| r.get(c)).map(Cell::display_width).max().unwrap_or(0);
        let title = display_width(en).max(display_width(zh)).min(MAX_TITLE_WIDTH);
        sheet.set_column_width(c as u16, (widest.max(title) as f64 + 1.0).clamp(6.0, MAX_COLUMN_WIDTH))?;
    }
    print_setup(sheet, title)?;
    sheet.set_landscape().set_repeat_rows(0, 1)?;
    Ok(())
}

/// The widest a title makes its column; longer titles wrap.
const MAX_TITLE_WIDTH: usize = 8;

/// The widest column, in characters; longer text (veto reasons, formulas)
/// is cut off on screen and in print, whole in the cell.
const MAX_COLUMN_WIDTH: f64 = 48.0;

/// A4, fitted to one page width (as many pages down as it takes), the
/// title in the header and the page number of the total in the footer.
fn print_setup(sheet: &mut Worksheet, title: &str) -> Result<(), XlsxError> {
    // `&` starts a code in Excel's header language: `&&` is a literal one.
    let title = title.replace('&', "&&");
    sheet
        .set_paper_size(9)
        .set_print_fit_to_pages(1, 0)
        .set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3)
        .set_header(format!("&L{title}"))
        .set_footer("&C第 &P 页 共 &N 页");
    Ok(())
}

/// How many character widths `text` takes in a spreadsheet column: two for
/// a Chinese character or a full-width form, one for anything else.
fn display_width(text: &str) -> usize {
    text.chars().map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 }).sum()
}

impl Cell {
    fn display_width(&self) -> usize {
        match self {
            Cell::Empty => 0,
            Cell::Text(s) => display_width(s),
            Cell::Number(..) => self.csv_text().len(),
        }
    }
}

/// Any one table as a workbook of one sheet, laid out as the result
/// table's sheets are (two header rows: English names and Chinese titles;
/// filters; fitted widths; A4 landscape with `title` on every page).
pub fn table_xlsx(sheet: &'static str, title: &str, columns: Vec<(String, String)>, rows: Vec<Vec<Cell>>) -> Result<Vec<u8>, ExportError> {
    let formats = Formats::new();
    let mut book = Workbook::new();
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_title(title));
    write_table(&mut book, &Table { name: sheet, columns, rows, frozen_columns: 1 }, title, &formats)?;
    Ok(book.save_to_buffer()?)
}

/// The XLSX bytes: a first sheet saying what the workbook is, then one
/// sheet per group, the points lost and the data-quality findings.
pub fn xlsx(rows: &ResultRows, rules: &Rulebook, about: &About) -> Result<Vec<u8>, ExportError> {
    Ok(build_xlsx(rows, rules, about)?)
}

fn build_xlsx(rows: &ResultRows, rules: &Rulebook, about: &About) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let (header, body) = table(rows, rules);
    let mut zh: Vec<String> = COLUMNS.iter().map(|(_, zh)| zh.to_string()).collect();
    zh.extend(rules.indicators.iter().map(|r| label(&r.id).0.to_string()));
    let mut columns: Vec<(String, String)> = header.into_iter().zip(zh).collect();
    columns.extend(LABEL_COLUMNS.iter().map(|(en, zh)| (en.to_string(), zh.to_string())));
    let mut book = Workbook::new();
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_title(&about.title));
    about_sheet(book.add_worksheet(), about, rules, &formats)?;
    for group in analytics::domain::PeerGroup::ALL {
        let group_rows = rows
            .units
            .iter()
            .zip(&body)
            .filter(|(unit, _)| unit.group == *group)
            .map(|(unit, cells)| {
                let mut cells = cells.clone();
                cells.push(Cell::Text(unit.group.label_zh().to_string()));
                cells.push(Cell::Text(unit.grade.label_zh().to_string()));
                cells
            })
            .collect();
        let table = Table {
            name: group_sheet(group.code()),
            columns: columns.clone(),
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
        write_table(&mut book, &Table { name: "指标统计", columns, rows, frozen_columns: 4 }, &about.title, &formats)?;
        let (columns, rows) = super::statistics::correlation_table(&stats);
        write_table(&mut book, &Table { name: "指标相关", columns, rows, frozen_columns: 6 }, &about.title, &formats)?;
    }
    book.save_to_buffer()
}

/// The first sheet: what the workbook holds, from which version, and how
/// to read it. Each line has its Chinese label, its value, and an English
/// key for scripts.
fn about_sheet(sheet: &mut Worksheet, about: &About, rules: &Rulebook, formats: &Formats) -> Result<(), XlsxError> {
    let v = about.version;
    let time = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let published = match v.published_at {
        Some(at) => format!("已发布（{}），为正式结果", time(at)),
        None => "未发布：暂定结果，发布前可能变动".to_string(),
    };
    let grades = analytics::domain::Grade::ALL.iter().map(|g| format!("{}={}", g.code(), g.label_zh())).collect::<Vec<_>>().join("，");
    let groups = analytics::domain::PeerGroup::ALL.iter().map(|g| format!("{}={}", g.code(), g.label_zh())).collect::<Vec<_>>().join("，");
    let facts: Vec<(&str, String, &str)> = vec![
        ("考核年度", v.year.to_string(), "year"),
        ("结果版本", format!("第 {} 版", v.version), "version"),
        ("数据截至", time(v.as_of), "as_of"),
        ("发布状态", published, "published_at"),
        ("计算时间", time(v.computed_at), "computed_at"),
        ("内容哈希", v.content_hash.clone(), "content_hash"),
        ("规则哈希", v.rulebook_hash.clone(), "rulebook_hash"),
        ("范围", about.scope.clone(), "scope"),
    ];
    let reading = [
        format!(
            "“县市区”“市直单位”“乡镇街道”三张表各列一个考核组别的单位。第一行为英文列名（供程序读取），第二行为中文列名；前 {} 列依考核办法第 9 条的顺序，其后每列为一项指标的得分（共 {} 项），最后两列为组别与等次的中文名称。",
            COLUMNS.len(),
            rules.indicators.len()
        ),
        "总分保留两位小数；基础得分和各指标得分保留四位小数（四舍五入，逢五进一），可逐项相加复核。".to_string(),
        format!("组别代码：{groups}。等次代码：{grades}。"),
        "组内排名为组内名次（同分同名次）；县内排名只对乡镇街道给出。不定等次的单位不排名。vetoed 为 1 表示一票否决，否决依据列出相关失信记录编号。".to_string(),
        "“扣分说明”表列出每一项失分的指标值、分子、分母、得分与计分公式；“数据质量”表列出计分时发现的数据问题；“指标统计”“指标相关”两表（全部单位或一个组别的工作簿）列出各组各指标得分的分布、指标间的相关系数及提示（|ρ| ≥ 0.9 可能衡量同一件事；90% 以上单位满分则不能区分单位）。".to_string(),
        "内容哈希是本版结果全部数值的摘要：同一版本任何时候导出都相同，可用 zhengxin results --verify 复核。".to_string(),
    ];
    sheet.set_name("说明")?;
    // About 90 characters: one A4 portrait page wide at full size.
    sheet.set_column_width(0, 10)?;
    sheet.set_column_width(1, 64)?;
    sheet.set_column_width(2, 14)?;
    sheet.write_string_with_format(0, 0, &about.title, &formats.heading)?;
    let mut r = 2;
    for (label, value, key) in &facts {
        sheet.write_string_with_format(r, 0, *label, &formats.key)?;
        sheet.write_string_with_format(r, 1, value, &formats.wrap)?;
        sheet.write_string_with_format(r, 2, *key, &formats.names)?;
        r += 1;
    }
    r += 1;
    sheet.write_string_with_format(r, 0, "如何阅读", &formats.key)?;
    for line in &reading {
        sheet.write_string_with_format(r, 1, line, &formats.wrap)?;
        r += 1;
    }
    print_setup(sheet, &about.title)?;
    Ok(())
}

/// Every point lost: unit, indicator, value, numerator, denominator,
/// points, points lost and the formula.
fn explanations(rows: &ResultRows, rules: &Rulebook) -> Table {
    let columns = [
        ("unit_code", "单位编码"),
        ("unit_name", "单位名称"),
        ("indicator", "指标"),
        ("indicator_name", "指标名称"),
        ("value", "指标值"),
        ("numerator", "分子/扣分项数"),
        ("denominator", "分母"),
        ("weight", "分值"),
        ("points", "得分"),
        ("lost", "失分"),
        ("formula", "计分公式"),
    ];
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
            Cell::Text(ind.indicator.clone()),
            Cell::Text(label(&ind.indicator).0.to_string()),
            opt(ind.value),
            opt(ind.numerator),
            opt(ind.denominator),
            Cell::Number(ind.weight, None),
            Cell::Number(points, Some(4)),
            Cell::Number(lost, Some(4)),
            Cell::Text(formula),
        ]);
    }
    Table {
        name: "扣分说明",
        columns: pairs(&columns),
        rows: body,
        frozen_columns: 0,
    }
}

fn quality(rows: &ResultRows) -> Table {
    let columns = [("kind", "类型"), ("source", "数据来源"), ("unit_code", "单位编码"), ("record_id", "记录编号"), ("detail", "说明")];
    let body = rows
        .quality
        .iter()
        .map(|q| {
            vec![
                Cell::Text(q.kind.clone()),
                Cell::Text(q.source.clone()),
                Cell::opt_text(&q.unit_code),
                Cell::opt_text(&q.record_id),
                Cell::Text(q.detail.clone()),
            ]
        })
        .collect();
    Table {
        name: "数据质量",
        columns: pairs(&columns),
        rows: body,
        frozen_columns: 0,
    }
}

fn pairs(columns: &[(&str, &str)]) -> Vec<(String, String)> {
    columns.iter().map(|(en, zh)| (en.to_string(), zh.to_string())).collect()
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
}
