//! Parsing one cell into a typed [`Value`]: the spellings of
//! `import-formats.md` for dates, date-times, booleans, numbers and
//! enumerations, after full-width normalisation. Each function returns the
//! reason a cell is rejected, worded for the person who has to fix the file.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use crate::db::Value;
use crate::sources::{Kind, Vocabulary};

/// A cell as read from a file, before its column's type is applied.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Empty,
    Text(&'a str),
    Number(f64),
    Bool(bool),
    DateTime(NaiveDateTime),
}

/// Why a cell was refused: a stable code for programs and a message for
/// people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub code: &'static str,
    pub message: String,
}

fn err(code: &'static str, message: impl Into<String>) -> CellError {
    CellError { code, message: message.into() }
}

/// Full-width letters, digits and the ideographic space become their plain
/// forms; every other character (full-width brackets included) is kept.
pub fn normalize_width(text: &str) -> std::borrow::Cow<'_, str> {
    let is_wide = |c: char| matches!(c, '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' | '\u{3000}');
    if !text.chars().any(is_wide) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            c if is_wide(c) => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .collect::<String>()
        .into()
}

/// Parses a cell for a column of `kind`. Empty cells become `Value::Null`;
/// whether that is allowed is the caller's concern.
pub fn parse(cell: &Cell<'_>, kind: Kind) -> Result<Value, CellError> {
    let text = match cell {
        Cell::Empty => return Ok(Value::Null),
        Cell::Text(t) => {
            let t = normalize_width(t);
            let t = t.trim();
            if t.is_empty() {
                return Ok(Value::Null);
            }
            t.to_string()
        }
        Cell::Number(n) => return parse_number_cell(*n, kind),
        Cell::Bool(b) => {
            return match kind {
                Kind::Bool => Ok(Value::Bool(*b)),
                _ => Err(err("wrong_type", "a true/false cell where text, a number or a date was expected")),
            };
        }
        Cell::DateTime(dt) => {
            return match kind {
                Kind::Date if dt.time() == NaiveTime::MIN => Ok(Value::Date(dt.date())),
                Kind::Date => Err(err("bad_date", "a date is expected here, not a date and time")),
                Kind::DateTime => Ok(Value::DateTime(*dt)),
                _ => Err(err("wrong_type", "a date cell where something else was expected")),
            };
        }
    };
    match kind {
        Kind::Text | Kind::UnitRef => Ok(Value::Text(text)),
        Kind::Date => parse_date(&text).map(Value::Date),
        Kind::DateTime => parse_datetime(&text).map(Value::DateTime),
        Kind::Bool => parse_bool(&text).map(Value::Bool),
        Kind::Int => parse_int(&text).map(Value::Int),
        Kind::Decimal => parse_decimal(&text).map(Value::Float),
        Kind::Enum(v) => parse_enum(&text, v).map(|c| Value::text(c)),
    }
}

fn parse_number_cell(n: f64, kind: Kind) -> Result<Value, CellError> {
    match kind {
        Kind::Decimal => Ok(Value::Float(n)),
        Kind::Int if n.fract() == 0.0 && n.abs() < 1e15 => Ok(Value::Int(n as i64)),
        Kind::Int => Err(err("bad_integer", format!("{n} is not a whole number"))),
        Kind::Bool if n == 1.0 || n == 0.0 => Ok(Value::Bool(n == 1.0)),
        Kind::Bool => Err(err("bad_bool", "expected 1/0, true/false, 是/否 or Y/N")),
        Kind::Date => excel_serial(n).and_then(|dt| {
            if dt.time() == NaiveTime::MIN {
                Ok(Value::Date(dt.date()))
            } else {
                Err(err("bad_date", "a date is expected here, not a date and time"))
            }
        }),
        Kind::DateTime => excel_serial(n).map(Value::DateTime),
        // Codes that look like numbers (a county code typed into Excel).
        Kind::Text | Kind::UnitRef | Kind::Enum(_) if n.fract() == 0.0 => parse(&Cell::Text(&format!("{}", n as i64)), kind),
        Kind::Text | Kind::UnitRef | Kind::Enum(_) => parse(&Cell::Text(&n.to_string()), kind),
    }
}

/// An Excel serial date (days since 1899-12-30, fraction = time of day),
/// to the nearest second.
pub fn excel_serial(n: f64) -> Result<NaiveDateTime, CellError> {
    if !(1.0..2_958_466.0).contains(&n) {
        return Err(err("bad_date", format!("{n} is not an Excel date")));
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid").and_time(NaiveTime::MIN);
    let seconds = (n * 86_400.0).round() as i64;
    Ok(epoch + Duration::seconds(seconds))
}

/// `2025-03-07`, `2025/3/7` or `2025年3月7日`.
pub fn parse_date(text: &str) -> Result<NaiveDate, CellError> {
    let bad = || err("bad_date", "expected a date such as 2025-03-07, 2025/3/7 or 2025年3月7日");
    let parts: Vec<&str> = if let Some(rest) = text.strip_suffix('日') {
        let (y, rest) = rest.split_once('年').ok_or_else(bad)?;
        let (m, d) = rest.split_once('月').ok_or_else(bad)?;
        vec![y, m, d]
    } else if text.contains('-') {
        text.split('-').collect()
    } else {
        text.split('/').collect()
    };
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let digits = |s: &str, min: usize, max: usize| (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4, 4) && digits(m, 1, 2) && digits(d, 1, 2)) {
        return Err(bad());
    }
    let (y, m, d) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| err("bad_date", "no such calendar day"))
}

/// A date as in [`parse_date`] followed by ` HH:MM` or ` HH:MM:SS`.
pub fn parse_datetime(text: &str) -> Result<NaiveDateTime, CellError> {
    let Some((date, time)) = text.split_once([' ', 'T']) else {
        return Err(err("bad_datetime", "expected a date and time such as 2025-03-07 14:30 or 2025-03-07 14:30:00"));
    };
    let date = parse_date(date.trim())?;
    let time = parse_time(time.trim()).ok_or_else(|| err("bad_datetime", "expected the time of day as HH:MM or HH:MM:SS"))?;
    Ok(date.and_time(time))
}

/// `HH:MM` or `HH:MM:SS` (one-digit fields too), by hand: chrono's
/// `parse_from_str` interprets its format string on every call, which a
/// million-row hotline file pays three times a row.
fn parse_time(text: &str) -> Option<NaiveTime> {
    let number = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    let fields: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&fields.len()) || !fields.iter().all(|f| number(f)) {
        return None;
    }
    let value = |i: usize| fields.get(i).map_or(Some(0), |f| f.parse::<u32>().ok());
    NaiveTime::from_hms_opt(value(0)?, value(1)?, value(2)?)
}

pub fn parse_bool(text: &str) -> Result<bool, CellError> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "是" | "y" => Ok(true),
        "0" | "false" | "否" | "n" => Ok(false),
        _ => Err(err("bad_bool", "expected 1/0, true/false, 是/否 or Y/N")),
    }
}

pub fn parse_int(text: &str) -> Result<i64, CellError> {
    let t = text.strip_suffix(".0").unwrap_or(text);
    t.parse().map_err(|_| err("bad_integer", "expected a whole number"))
}

pub fn parse_decimal(text: &str) -> Result<f64, CellError> {
    let ok = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'));
    match text.parse::<f64>() {
        Ok(v) if ok && v.is_finite() => Ok(v),
        _ => Err(err("bad_number", "expected a decimal number such as 12.5")),
    }
}

pub fn parse_enum(text: &str, vocabulary: Vocabulary) -> Result<&'static str, CellError> {
    vocabulary
        .code_of(text)
        .ok_or_else(|| err("unknown_value", format!("expected one of: {}", vocabulary.accepted())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_accept_the_three_spellings() {
        assert_eq!(parse_date("2025-03-07"), Ok(d(2025, 3, 7)));
        assert_eq!(parse_date("2025/3/7"), Ok(d(2025, 3, 7)));
        assert_eq!(parse_date("2025年3月7日"), Ok(d(2025, 3, 7)));
        assert_eq!(parse(&Cell::Text("２０２５年３月７日"), Kind::Date), Ok(Value::Date(d(2025, 3, 7))));
    }

    #[test]
    fn impossible_or_malformed_dates_are_rejected() {
        assert_eq!(parse_date("2025-02-29").unwrap_err().message, "no such calendar day");
        for bad in ["25-3-7", "2025.3.7", "2025-3", "March 7", "2025-03-07x", "2025年3月7"] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn datetimes_need_a_time_of_day() {
        let at = d(2025, 3, 7).and_hms_opt(14, 30, 0).unwrap();
        assert_eq!(parse_datetime("2025-03-07 14:30"), Ok(at));
        assert_eq!(parse_datetime("2025/3/7 14:30:00"), Ok(at));
        assert_eq!(parse_datetime("2025年3月7日 14:30"), Ok(at));
        assert_eq!(parse_datetime("2025-03-07").unwrap_err().code, "bad_datetime");
        assert_eq!(parse_datetime("2025-03-07 25:00").unwrap_err().code, "bad_datetime");
        assert_eq!(parse_datetime("2025-03-07 9:05"), Ok(d(2025, 3, 7).and_hms_opt(9, 5, 0).unwrap()));
        assert_eq!(parse_datetime("2025-03-07 14:30:05"), Ok(d(2025, 3, 7).and_hms_opt(14, 30, 5).unwrap()));
        for bad in ["14", "14:", "14:300", "14:30:00:00", "14:60", "14:30:61", "+1:30", "14:30:0x", "14.30"] {
            assert!(parse_datetime(&format!("2025-03-07 {bad}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn excel_serials_become_dates_and_times() {
        assert_eq!(parse(&Cell::Number(45723.0), Kind::Date), Ok(Value::Date(d(2025, 3, 7))));
        let at = d(2025, 3, 7).and_hms_opt(12, 0, 0).unwrap();
        assert_eq!(parse(&Cell::Number(45723.5), Kind::DateTime), Ok(Value::DateTime(at)));
        assert_eq!(parse(&Cell::Number(45723.5), Kind::Date).unwrap_err().code, "bad_date");
        assert!(parse(&Cell::Number(-3.0), Kind::Date).is_err());
    }

    #[test]
    fn booleans_accept_the_listed_spellings_only() {
        for t in ["1", "true", "TRUE", "是", "Y", "y"] {
            assert_eq!(parse_bool(t), Ok(true), "{t}");
        }
        for f in ["0", "false", "否", "N"] {
            assert_eq!(parse_bool(f), Ok(false), "{f}");
        }
        assert!(parse_bool("maybe").is_err());
        assert!(parse_bool("对").is_err());
    }

    #[test]
    fn full_width_letters_digits_and_spaces_are_normalised_but_brackets_kept() {
        assert_eq!(normalize_width("ＡＢＣ１２３\u{3000}x"), "ABC123 x");
        assert_eq!(normalize_width("鹿城区（改）"), "鹿城区（改）");
        assert_eq!(parse(&Cell::Text(" ３３０３０２ "), Kind::Text), Ok(Value::text("330302")));
    }

    #[test]
    fn numbers_are_strict() {
        assert_eq!(parse(&Cell::Text("12.5"), Kind::Decimal), Ok(Value::Float(12.5)));
        assert_eq!(parse(&Cell::Text("2025"), Kind::Int), Ok(Value::Int(2025)));
        assert_eq!(parse(&Cell::Number(2025.0), Kind::Int), Ok(Value::Int(2025)));
        assert_eq!(parse(&Cell::Text("1e3"), Kind::Decimal).unwrap_err().code, "bad_number");
        assert_eq!(parse(&Cell::Text("NaN"), Kind::Decimal).unwrap_err().code, "bad_number");
        assert_eq!(parse(&Cell::Text("12.5"), Kind::Int).unwrap_err().code, "bad_integer");
        assert_eq!(parse(&Cell::Number(330302.0), Kind::UnitRef), Ok(Value::text("330302")));
    }

    #[test]
    fn enums_take_codes_or_labels_and_name_the_choices_when_wrong() {
        assert_eq!(parse(&Cell::Text("满意"), Kind::Enum(Vocabulary::Satisfaction)), Ok(Value::text("satisfied")));
        let e = parse(&Cell::Text("great"), Kind::Enum(Vocabulary::Satisfaction)).unwrap_err();
        assert_eq!(e.code, "unknown_value");
        assert!(e.message.contains("basic 基本满意"));
    }

    #[test]
    fn blank_cells_are_null() {
        assert_eq!(parse(&Cell::Text(" \u{3000} "), Kind::Date), Ok(Value::Null));
        assert_eq!(parse(&Cell::Empty, Kind::Bool), Ok(Value::Null));
    }
}
