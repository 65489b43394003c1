//! One cell of a source record, as parsed from a file and as stored: the
//! common currency of the importer, storage and the demo generator.

use chrono::{NaiveDate, NaiveDateTime};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
}

impl Value {
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    pub fn opt_text(s: Option<impl Into<String>>) -> Value {
        s.map_or(Value::Null, |s| Value::Text(s.into()))
    }

    pub fn opt_date(d: Option<NaiveDate>) -> Value {
        d.map_or(Value::Null, Value::Date)
    }

    pub fn opt_datetime(d: Option<NaiveDateTime>) -> Value {
        d.map_or(Value::Null, Value::DateTime)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The value in the canonical file format of `import-formats.md`
    /// (ISO dates, `1`/`0`, English codes); empty for null.
    pub fn to_canonical(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Text(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Bool(b) => if *b { "1" } else { "0" }.to_string(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
            Value::DateTime(d) => d.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }

    /// The value for the JSON audit trail.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Int(i) => (*i).into(),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into),
            Value::Bool(b) => (*b).into(),
            other => other.to_canonical().into(),
        }
    }
}

impl Value {
    /// The value as tagged JSON that reads back exactly ([`Value::from_tagged`]):
    /// a number keeps its type, a float its every bit (written in Rust's
    /// shortest round-trip form and parsed by Rust, not by the JSON reader).
    pub fn to_tagged(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Text(s) => json!({ "t": s }),
            Value::Int(i) => json!({ "i": i }),
            Value::Float(f) => json!({ "f": f.to_string() }),
            Value::Bool(b) => json!({ "b": b }),
            Value::Date(d) => json!({ "d": d.to_string() }),
            Value::DateTime(d) => json!({ "dt": d.format("%Y-%m-%dT%H:%M:%S%.f").to_string() }),
        }
    }

    /// Reads [`Value::to_tagged`]'s form; `None` for anything else.
    pub fn from_tagged(json: &serde_json::Value) -> Option<Value> {
        let serde_json::Value::Object(map) = json else {
            return json.is_null().then_some(Value::Null);
        };
        let (tag, v) = map.iter().next().filter(|_| map.len() == 1)?;
        Some(match tag.as_str() {
            "t" => Value::Text(v.as_str()?.to_string()),
            "i" => Value::Int(v.as_i64()?),
            "f" => Value::Float(v.as_str()?.parse().ok()?),
            "b" => Value::Bool(v.as_bool()?),
            "d" => Value::Date(v.as_str()?.parse().ok()?),
            "dt" => Value::DateTime(NaiveDateTime::parse_from_str(v.as_str()?, "%Y-%m-%dT%H:%M:%S%.f").ok()?),
            _ => return None,
        })
    }
}

/// Binds `$value` (a `&Value`) of column kind `$kind` to the query `$q`.
/// A macro rather than a function so one body serves both back-ends' query
/// types; nulls are bound with the column's type, which PostgreSQL needs.
#[macro_export]
macro_rules! bind_value {
    ($q:expr, $kind:expr, $value:expr) => {{
        use $crate::db::Value;
        use $crate::sources::Kind;
        match ($value, $kind) {
            (Value::Text(s), _) => $q.bind(s.as_str()),
            (Value::Int(i), _) => $q.bind(*i),
            (Value::Float(f), _) => $q.bind(*f),
            (Value::Bool(b), _) => $q.bind(*b),
            (Value::Date(d), _) => $q.bind(*d),
            (Value::DateTime(d), _) => $q.bind(*d),
            (Value::Null, Kind::Date) => $q.bind(None::<chrono::NaiveDate>),
            (Value::Null, Kind::DateTime) => $q.bind(None::<chrono::NaiveDateTime>),
            (Value::Null, Kind::Bool) => $q.bind(None::<bool>),
            (Value::Null, Kind::Int) => $q.bind(None::<i64>),
            (Value::Null, Kind::Decimal) => $q.bind(None::<f64>),
            (Value::Null, _) => $q.bind(None::<String>),
        }
    }};
}

/// Reads column `$i` of kind `$kind` from `$row` as a [`Value`].
#[macro_export]
macro_rules! decode_value {
    ($row:expr, $i:expr, $kind:expr) => {{
        use sqlx::Row;
        use $crate::db::Value;
        use $crate::sources::Kind;
        match $kind {
            Kind::Text | Kind::UnitRef | Kind::Enum(_) => $row.try_get::<Option<String>, _>($i)?.map_or(Value::Null, Value::Text),
            Kind::Date => $row.try_get::<Option<chrono::NaiveDate>, _>($i)?.map_or(Value::Null, Value::Date),
            Kind::DateTime => $row.try_get::<Option<chrono::NaiveDateTime>, _>($i)?.map_or(Value::Null, Value::DateTime),
            Kind::Bool => $row.try_get::<Option<bool>, _>($i)?.map_or(Value::Null, Value::Bool),
            Kind::Int => $row.try_get::<Option<i64>, _>($i)?.map_or(Value::Null, Value::Int),
            Kind::Decimal => $row.try_get::<Option<f64>, _>($i)?.map_or(Value::Null, Value::Float),
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_values_read_back_exactly() {
        let d = NaiveDate::from_ymd_opt(2025, 2, 28).unwrap();
        let values = [
            Value::Null,
            Value::text("温州 \"quoted\"\n"),
            Value::Int(-7),
            Value::Float(0.1 + 0.2),
            Value::Float(1e-300),
            Value::Float(-0.0),
            Value::Bool(true),
            Value::Date(d),
            Value::DateTime(d.and_hms_milli_opt(23, 59, 58, 250).unwrap()),
            Value::DateTime(d.and_hms_opt(0, 0, 0).unwrap()),
        ];
        for v in values {
            let back = Value::from_tagged(&v.to_tagged()).unwrap();
            match (&v, &back) {
                (Value::Float(a), Value::Float(b)) => assert_eq!(a.to_bits(), b.to_bits()),
                _ => assert_eq!(back, v),
            }
        }
        assert_eq!(Value::from_tagged(&serde_json::json!({ "x": 1 })), None);
        assert_eq!(Value::from_tagged(&serde_json::json!("bare")), None);
    }
}
