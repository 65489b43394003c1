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
