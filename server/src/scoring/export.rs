//! The assessment team's result table (§9): CSV (UTF-8 with BOM, RFC 4180,
//! opens in Excel without mojibake) and XLSX (typed numbers, frozen header,
//! Chinese titles on a second header row, one sheet per group, a sheet
//! explaining every deduction and one with the data-quality findings).
//! Exports read a stored version; they never recompute.

use std::collections::HashMap;

use analytics::indicators::label;
use analytics::rulebook::Rulebook;
use analytics::score::round_half_away;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::results::{IndicatorResult, ResultRows, UnitResult};

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
    header: Format,
    cents: Format,
    points: Format,
}

/// The XLSX bytes.
pub fn xlsx(rows: &ResultRows, rules: &Rulebook, title: &str) -> Result<Vec<u8>, ExportError> {
    Ok(build_xlsx(rows, rules, title)?)
}

fn build_xlsx(rows: &ResultRows, rules: &Rulebook, title: &str) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats {
        header: Format::new().set_bold(),
        cents: Format::new().set_num_format("0.00"),
        points: Format::new().set_num_format("0.0000"),
    };
    let (header, body) = table(rows, rules);
    let mut zh: Vec<String> = COLUMNS.iter().map(|(_, zh)| zh.to_string()).collect();
    zh.extend(rules.indicators.iter().map(|r| label(&r.id).0.to_string()));
    let mut book = Workbook::new();
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_title(title));
    for group in analytics::domain::PeerGroup::ALL.iter().map(|g| g.code()) {
        let sheet = book.add_worksheet().set_name(group_sheet(group))?;
        for (c, (en, zh)) in header.iter().zip(&zh).enumerate() {
            sheet.write_string_with_format(0, c as u16, en, &formats.header)?;
            sheet.write_string_with_format(1, c as u16, zh, &formats.header)?;
        }
        sheet.set_freeze_panes(2, 2)?;
        let mut r = 2;
        for (unit, cells) in rows.units.iter().zip(&body) {
            if unit.group != group {
                continue;
            }
            for (c, cell) in cells.iter().enumerate() {
                write_cell(sheet, r, c as u16, cell, &formats)?;
            }
            r += 1;
        }
        sheet.set_column_width(1, 28)?;
    }
    explanations_sheet(book.add_worksheet(), rows, rules, &formats)?;
    quality_sheet(book.add_worksheet(), rows, &formats)?;
    book.save_to_buffer()
}

/// Every point lost: unit, indicator, value, numerator, denominator,
/// points, points lost and the formula.
fn explanations_sheet(sheet: &mut Worksheet, rows: &ResultRows, rules: &Rulebook, formats: &Formats) -> Result<(), XlsxError> {
    sheet.set_name("扣分说明")?;
    let titles = [
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
    for (c, (en, zh)) in titles.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *en, &formats.header)?;
        sheet.write_string_with_format(1, c as u16, *zh, &formats.header)?;
    }
    sheet.set_freeze_panes(2, 0)?;
    let names: HashMap<&str, &str> = rows.units.iter().map(|u| (u.unit_code.as_str(), u.unit_name.as_str())).collect();
    let mut r = 2;
    for ind in &rows.indicators {
        let Some(points) = ind.points else { continue };
        let lost = ind.weight - points;
        if lost <= 1e-12 {
            continue;
        }
        let formula = rules.indicator(&ind.indicator).map(analytics::explain::formula).unwrap_or_default();
        let opt = |v: Option<f64>| v.map_or(Cell::Empty, |v| Cell::Number(v, None));
        let cells = [
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
        ];
        for (c, cell) in cells.iter().enumerate() {
            write_cell(sheet, r, c as u16, cell, formats)?;
        }
        r += 1;
    }
    Ok(())
}

fn quality_sheet(sheet: &mut Worksheet, rows: &ResultRows, formats: &Formats) -> Result<(), XlsxError> {
    sheet.set_name("数据质量")?;
    for (c, (en, zh)) in [("kind", "类型"), ("source", "数据来源"), ("unit_code", "单位编码"), ("record_id", "记录编号"), ("detail", "说明")]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(0, c as u16, *en, &formats.header)?;
        sheet.write_string_with_format(1, c as u16, *zh, &formats.header)?;
    }
    sheet.set_freeze_panes(2, 0)?;
    for (i, q) in rows.quality.iter().enumerate() {
        let r = i as u32 + 2;
        let cells = [
            Cell::Text(q.kind.clone()),
            Cell::Text(q.source.clone()),
            Cell::opt_text(&q.unit_code),
            Cell::opt_text(&q.record_id),
            Cell::Text(q.detail.clone()),
        ];
        for (c, cell) in cells.iter().enumerate() {
            write_cell(sheet, r, c as u16, cell, formats)?;
        }
    }
    Ok(())
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
