//! Rules that span several cells of one row, per source: the constraints
//! `import-formats.md` states beyond each column's type.

use super::cells::CellError;
use crate::db::Value;
use crate::sources::{Source, SourceSpec};

/// A rule broken by a row: the column to blame and why.
pub type RowProblem = (&'static str, CellError);

fn problem(column: &'static str, code: &'static str, message: impl Into<String>) -> RowProblem {
    (column, CellError { code, message: message.into() })
}

fn get<'a>(spec: &SourceSpec, row: &'a [Value], column: &str) -> &'a Value {
    &row[spec.column_index(column).expect("rule names a known column")]
}

const YEARS: std::ops::RangeInclusive<i64> = 2000..=2100;

/// Checks `row` and fills in defaults the format defines (mitigation
/// `none`). Unit references and duplicates are checked elsewhere.
pub fn check(spec: &SourceSpec, row: &mut [Value]) -> Vec<RowProblem> {
    let mut problems = Vec::new();
    match spec.source {
        Source::Units => {}
        Source::Commitments => {
            if get(spec, row, "status").as_str() == Some("fulfilled") && *get(spec, row, "fulfilled_on") == Value::Null {
                problems.push(problem(
                    "fulfilled_on",
                    "required",
                    "a fulfilled commitment needs its fulfilment date (兑现日期)",
                ));
            }
        }
        Source::Proposals | Source::Hotline => {}
        Source::Debt => {
            for column in ["limit", "balance", "due_amount", "overdue_amount"] {
                if matches!(get(spec, row, column), Value::Float(v) if *v < 0.0) {
                    problems.push(problem(column, "out_of_range", "an amount cannot be negative"));
                }
            }
            if matches!(get(spec, row, "capacity"), Value::Float(v) if *v <= 0.0) {
                problems.push(problem("capacity", "out_of_range", "综合财力 must be greater than 0"));
            }
            if matches!(get(spec, row, "violations"), Value::Int(v) if *v < 0) {
                problems.push(problem("violations", "out_of_range", "a count cannot be negative"));
            }
        }
        Source::Dishonesty => {
            let i = spec.column_index("mitigation").expect("known");
            if row[i] == Value::Null {
                row[i] = Value::text("none");
            }
            if get(spec, row, "type").as_str() == Some("court_listing") && *get(spec, row, "rectify_deadline") == Value::Null {
                problems.push(problem(
                    "rectify_deadline",
                    "required",
                    "a court listing (失信被执行人) needs its rectification deadline (整改期限)",
                ));
            }
            if let Value::Text(r) = get(spec, row, "person_ref")
                && looks_personal(r)
            {
                problems.push(problem(
                    "person_ref",
                    "personal_data",
                    "person_ref must be an opaque reference, not a name, ID number or phone number",
                ));
            }
        }
        Source::Ratings => {
            if matches!(get(spec, row, "score"), Value::Float(v) if !(0.0..=100.0).contains(v)) {
                problems.push(problem("score", "out_of_range", "a rating is between 0 and 100"));
            }
        }
        Source::Honours => {}
    }
    if let Some(i) = spec.column_index("year")
        && let Value::Int(y) = row[i]
        && !YEARS.contains(&y)
    {
        problems.push(problem("year", "out_of_range", format!("a year between {} and {}", YEARS.start(), YEARS.end())));
    }
    problems
}

/// A reference that carries a name (Han characters) or a long run of digits
/// (an ID card or phone number) is personal data, not an opaque reference.
pub fn looks_personal(reference: &str) -> bool {
    let han = reference.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let mut run = 0;
    let mut longest = 0;
    for c in reference.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    han || longest >= 11
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::{COMMITMENTS, DEBT, DISHONESTY, RATINGS};
    use chrono::NaiveDate;

    fn date() -> Value {
        Value::Date(NaiveDate::from_ymd_opt(2025, 3, 1).unwrap())
    }

    #[test]
    fn fulfilled_commitments_need_a_date() {
        let mut row = vec![
            Value::text("C1"),
            Value::text("330302"),
            Value::text("policy"),
            Value::text("t"),
            date(),
            date(),
            Value::text("fulfilled"),
            Value::Null,
        ];
        let p = check(&COMMITMENTS, &mut row);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].0, "fulfilled_on");
        row[7] = date();
        assert!(check(&COMMITMENTS, &mut row).is_empty());
    }

    #[test]
    fn court_listings_need_a_deadline_and_mitigation_defaults_to_none() {
        let mut row = vec![
            Value::text("R1"),
            Value::text("330302"),
            Value::text("unit"),
            Value::Null,
            Value::text("court_listing"),
            date(),
            Value::Null,
            Value::Null,
            Value::Null,
        ];
        let p = check(&DISHONESTY, &mut row);
        assert_eq!(p.iter().map(|p| p.0).collect::<Vec<_>>(), ["rectify_deadline"]);
        assert_eq!(row[8], Value::text("none"));
    }

    #[test]
    fn personal_references_are_refused() {
        assert!(looks_personal("张三"));
        assert!(looks_personal("330302199001011234"));
        assert!(looks_personal("13812345678"));
        assert!(!looks_personal("P-7f3a91"));
        assert!(!looks_personal("EMP-2025-0042"));
    }

    #[test]
    fn debt_capacity_must_be_positive_and_ratings_bounded() {
        let mut row = vec![
            Value::text("330302"),
            Value::Int(2025),
            Value::Float(1.0),
            Value::Float(1.0),
            Value::Float(0.0),
            Value::Float(0.0),
            Value::Float(0.0),
            Value::Int(0),
        ];
        assert_eq!(check(&DEBT, &mut row)[0].0, "capacity");
        let mut row = vec![Value::text("330302"), Value::Int(1999), Value::Float(101.0)];
        let cols: Vec<_> = check(&RATINGS, &mut row).iter().map(|p| p.0).collect();
        assert_eq!(cols, ["score", "year"]);
    }
}
