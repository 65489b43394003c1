//! The engine's inputs: one DataFrame per source, with the import formats'
//! column names (see [`crate::columns`]) and fixed dtypes. The server builds
//! them from storage, tests and benchmarks from [`crate::records`] structs
//! through [`Inputs::from_records`].
//!
//! Record sources that can be objected to (commitments, proposals, hotline
//! tickets, dishonesty records) carry a `voided` flag: a record voided by an
//! accepted objection (异议成立) stays in the data, marked, and counts for
//! nothing.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use polars::prelude::*;

use crate::EngineError;
use crate::columns::*;
use crate::records::*;

/// One year's source data (more is harmless: the engine filters by year).
#[derive(Debug, Clone)]
pub struct Inputs {
    pub units: DataFrame,
    pub commitments: DataFrame,
    pub proposals: DataFrame,
    pub hotline: Tickets,
    pub debt: DataFrame,
    pub dishonesty: DataFrame,
    pub ratings: DataFrame,
    pub honours: DataFrame,
}

fn datetime() -> DataType {
    DataType::Datetime(TimeUnit::Milliseconds, None)
}

/// The expected columns of each input, in order, with their dtypes.
pub fn schema(source: &str) -> Vec<(&'static str, DataType)> {
    use DataType::*;
    match source {
        "units" => vec![(UNIT_CODE, String), (UNIT_NAME, String), (GROUP, String), (PARENT_CODE, String)],
        "commitments" => vec![
            (ID, String),
            (UNIT_CODE, String),
            (MADE_ON, Date),
            (DUE_ON, Date),
            (STATUS, String),
            (FULFILLED_ON, Date),
            (VOIDED, Boolean),
        ],
        "proposals" => vec![
            (ID, String),
            (UNIT_CODE, String),
            (ASSIGNED_ON, Date),
            (DUE_ON, Date),
            (REPLIED_ON, Date),
            (SATISFACTION, String),
            (RESOLUTION, String),
            (VOIDED, Boolean),
        ],
        "hotline" => vec![
            (ID, String),
            (UNIT_CODE, String),
            (RECEIVED_AT, datetime()),
            (DUE_AT, datetime()),
            (CLOSED_AT, datetime()),
            (INTEGRITY_RELATED, Boolean),
            (VERIFIED, Boolean),
            (SATISFACTION, String),
            (REPEAT, Boolean),
            (VOIDED, Boolean),
        ],
        "debt" => vec![
            (UNIT_CODE, String),
            (YEAR, Int32),
            (LIMIT, Float64),
            (BALANCE, Float64),
            (CAPACITY, Float64),
            (DUE_AMOUNT, Float64),
            (OVERDUE_AMOUNT, Float64),
            (VIOLATIONS, Int64),
        ],
        "dishonesty" => vec![
            (ID, String),
            (UNIT_CODE, String),
            (SUBJECT, String),
            (TYPE, String),
            (OCCURRED_ON, Date),
            (RECTIFY_DEADLINE, Date),
            (RECTIFIED_ON, Date),
            (MITIGATION, String),
            (VOIDED, Boolean),
        ],
        "ratings" => vec![(UNIT_CODE, String), (YEAR, Int32), (SCORE, Float64)],
        "honours" => vec![(ID, String), (UNIT_CODE, String), (YEAR, Int32), (LEVEL, String)],
        other => panic!("no input named {other}"),
    }
}

/// The input names, in a fixed order.
pub const SOURCES: [&str; 8] = ["units", "commitments", "proposals", "hotline", "debt", "dishonesty", "ratings", "honours"];

/// The year's hotline tickets, the one source counted in millions: a frame
/// in memory, or a Parquet file (a year's snapshot) that the engine
/// streams through ([`collect`]), so that scoring a year never holds all
/// its tickets decoded at once.
#[derive(Clone)]
pub enum Tickets {
    Frame(DataFrame),
    /// Parquet files and their number of rows. The files are read through
    /// the handles given to [`Tickets::parquet`], not their paths: a snapshot replaced or
    /// removed while a scoring reads it is still read whole.
    Parquet { scan: LazyFrame, rows: usize },
}

impl Tickets {
    /// The tickets of the Parquet files `parts` (one after another), read
    /// as they are needed.
    ///
    /// Each file is mapped into memory while a query reads it, and no
    /// longer: a year kept in parts of a million tickets is never mapped
    /// whole, so what a scoring holds does not grow with the year's size.
    pub fn parquet(parts: Vec<std::fs::File>) -> PolarsResult<Tickets> {
        let scan = scan_tickets(parts)?;
        let counted = scan.clone().select([len().cast(DataType::UInt64).alias("rows")]).collect()?;
        let rows = counted.column("rows")?.u64()?.get(0).unwrap_or(0) as usize;
        Ok(Tickets::Parquet { scan, rows })
    }

    /// The tickets as a query's start.
    pub fn lazy(&self) -> LazyFrame {
        match self {
            Tickets::Frame(df) => df.clone().lazy(),
            Tickets::Parquet { scan, .. } => scan.clone(),
        }
    }

    pub fn height(&self) -> usize {
        match self {
            Tickets::Frame(df) => df.height(),
            Tickets::Parquet { rows, .. } => *rows,
        }
    }

    /// All the tickets in memory, in the files' order (they are read whole:
    /// for writing and digesting a year, not for scoring it).
    pub fn frame(&self) -> PolarsResult<Cow<'_, DataFrame>> {
        match self {
            Tickets::Frame(df) => Ok(Cow::Borrowed(df)),
            Tickets::Parquet { scan, .. } => Ok(Cow::Owned(scan.clone().collect()?)),
        }
    }

    fn schema(&self) -> PolarsResult<SchemaRef> {
        match self {
            Tickets::Frame(df) => Ok(df.schema().clone()),
            Tickets::Parquet { scan, .. } => scan.clone().collect_schema(),
        }
    }
}

/// The Parquet files `parts`, one after another, as a query's start: read
/// through the handles given, each file mapped only while it is read.
pub fn scan_tickets(parts: Vec<std::fs::File>) -> PolarsResult<LazyFrame> {
    let args = ScanArgsParquet { hive_options: HiveOptions::new_disabled(), ..Default::default() };
    LazyFrame::scan_parquet_sources(ScanSources::Files(Arc::from(parts)), args)
}

impl From<DataFrame> for Tickets {
    fn from(df: DataFrame) -> Tickets {
        Tickets::Frame(df)
    }
}

impl std::fmt::Debug for Tickets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tickets::Frame(df) => f.debug_tuple("Frame").field(df).finish(),
            Tickets::Parquet { rows, .. } => f.debug_struct("Parquet").field("rows", rows).finish_non_exhaustive(),
        }
    }
}

/// Runs a query over the inputs on polars' streaming engine: a file source
/// is read in morsels and each is aggregated as it arrives, where the
/// in-memory engine would decode the whole file first (at 3 M tickets,
/// 0.09 s and 150 MiB against 0.3 s and 550 MiB for the hotline's
/// measures). The rows come in no fixed order; callers sort.
pub fn collect(query: LazyFrame) -> PolarsResult<DataFrame> {
    Ok(query.collect_with_engine(Engine::Streaming)?.unwrap_single())
}

impl Inputs {
    /// One source whole, in memory (see [`Tickets::frame`]).
    pub fn frame(&self, source: &str) -> PolarsResult<Cow<'_, DataFrame>> {
        Ok(Cow::Borrowed(match source {
            "units" => &self.units,
            "commitments" => &self.commitments,
            "proposals" => &self.proposals,
            "hotline" => return self.hotline.frame(),
            "debt" => &self.debt,
            "dishonesty" => &self.dishonesty,
            "ratings" => &self.ratings,
            "honours" => &self.honours,
            other => panic!("no input named {other}"),
        }))
    }

    /// The number of rows of one source.
    pub fn height(&self, source: &str) -> usize {
        match source {
            "hotline" => self.hotline.height(),
            other => self.frame(other).map_or(0, |df| df.height()),
        }
    }

    /// Checks every input has the expected columns with the expected dtypes.
    pub fn check(&self) -> Result<(), EngineError> {
        for source in SOURCES {
            let found = match source {
                "hotline" => self.hotline.schema()?,
                other => self.frame(other)?.schema().clone(),
            };
            for (name, dtype) in schema(source) {
                match found.get(name) {
                    None => return Err(EngineError::Schema(format!("{source}: missing column {name}"))),
                    Some(d) if d != &dtype => {
                        return Err(EngineError::Schema(format!("{source}.{name}: expected {dtype}, found {d}")));
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(())
    }

    /// Builds the inputs from records and the ids voided by accepted
    /// objections.
    pub fn from_records(set: &RecordSet, voided: &Voided) -> Result<Inputs, EngineError> {
        let s = |name: &str, values: Vec<String>| Column::new(name.into(), values);
        let os = |name: &str, values: Vec<Option<String>>| Column::new(name.into(), values);
        let d = |name: &str, values: Vec<NaiveDate>| Column::new(name.into(), values).cast(&DataType::Date);
        let od = |name: &str, values: Vec<Option<NaiveDate>>| Column::new(name.into(), values).cast(&DataType::Date);
        let t = |name: &str, values: Vec<NaiveDateTime>| Column::new(name.into(), values).cast(&datetime());
        let ot = |name: &str, values: Vec<Option<NaiveDateTime>>| Column::new(name.into(), values).cast(&datetime());
        let b = |name: &str, values: Vec<bool>| Column::new(name.into(), values);
        let f = |name: &str, values: Vec<f64>| Column::new(name.into(), values);
        let y = |name: &str, values: Vec<i32>| Column::new(name.into(), values);
        let frame = |cols: Vec<PolarsResult<Column>>| -> Result<DataFrame, EngineError> {
            let cols = cols.into_iter().collect::<PolarsResult<Vec<_>>>()?;
            let height = cols.first().map_or(0, |c| c.len());
            Ok(DataFrame::new(height, cols)?)
        };
        let ok = Ok::<Column, PolarsError>;

        let units = frame(vec![
            ok(s(UNIT_CODE, set.units.iter().map(|u| u.code.clone()).collect())),
            ok(s(UNIT_NAME, set.units.iter().map(|u| u.name.clone()).collect())),
            ok(s(GROUP, set.units.iter().map(|u| u.group.code().to_string()).collect())),
            ok(os(PARENT_CODE, set.units.iter().map(|u| u.parent_code.clone()).collect())),
        ])?;
        let c = &set.commitments;
        let commitments = frame(vec![
            ok(s(ID, c.iter().map(|r| r.id.clone()).collect())),
            ok(s(UNIT_CODE, c.iter().map(|r| r.unit_code.clone()).collect())),
            d(MADE_ON, c.iter().map(|r| r.made_on).collect()),
            d(DUE_ON, c.iter().map(|r| r.due_on).collect()),
            ok(s(STATUS, c.iter().map(|r| r.status.code().to_string()).collect())),
            od(FULFILLED_ON, c.iter().map(|r| r.fulfilled_on).collect()),
            ok(b(VOIDED, c.iter().map(|r| voided.commitments.contains(&r.id)).collect())),
        ])?;
        let p = &set.proposals;
        let proposals = frame(vec![
            ok(s(ID, p.iter().map(|r| r.id.clone()).collect())),
            ok(s(UNIT_CODE, p.iter().map(|r| r.lead_unit_code.clone()).collect())),
            d(ASSIGNED_ON, p.iter().map(|r| r.assigned_on).collect()),
            od(DUE_ON, p.iter().map(|r| r.due_on).collect()),
            od(REPLIED_ON, p.iter().map(|r| r.replied_on).collect()),
            ok(os(SATISFACTION, p.iter().map(|r| r.satisfaction.map(|x| x.code().to_string())).collect())),
            ok(os(RESOLUTION, p.iter().map(|r| r.resolution.map(|x| x.code().to_string())).collect())),
            ok(b(VOIDED, p.iter().map(|r| voided.proposals.contains(&r.id)).collect())),
        ])?;
        let h = &set.hotline;
        let hotline = frame(vec![
            ok(s(ID, h.iter().map(|r| r.id.clone()).collect())),
            ok(s(UNIT_CODE, h.iter().map(|r| r.unit_code.clone()).collect())),
            t(RECEIVED_AT, h.iter().map(|r| r.received_at).collect()),
            t(DUE_AT, h.iter().map(|r| r.due_at).collect()),
            ot(CLOSED_AT, h.iter().map(|r| r.closed_at).collect()),
            ok(b(INTEGRITY_RELATED, h.iter().map(|r| r.integrity_related).collect())),
            ok(b(VERIFIED, h.iter().map(|r| r.verified).collect())),
            ok(os(SATISFACTION, h.iter().map(|r| r.satisfaction.map(|x| x.code().to_string())).collect())),
            ok(b(REPEAT, h.iter().map(|r| r.repeat).collect())),
            ok(b(VOIDED, h.iter().map(|r| voided.hotline.contains(&r.id)).collect())),
        ])?;
        let db = &set.debt;
        let debt = frame(vec![
            ok(s(UNIT_CODE, db.iter().map(|r| r.unit_code.clone()).collect())),
            ok(y(YEAR, db.iter().map(|r| r.year).collect())),
            ok(f(LIMIT, db.iter().map(|r| r.limit).collect())),
            ok(f(BALANCE, db.iter().map(|r| r.balance).collect())),
            ok(f(CAPACITY, db.iter().map(|r| r.capacity).collect())),
            ok(f(DUE_AMOUNT, db.iter().map(|r| r.due_amount).collect())),
            ok(f(OVERDUE_AMOUNT, db.iter().map(|r| r.overdue_amount).collect())),
            ok(Column::new(VIOLATIONS.into(), db.iter().map(|r| r.violations).collect::<Vec<i64>>())),
        ])?;
        let x = &set.dishonesty;
        let dishonesty = frame(vec![
            ok(s(ID, x.iter().map(|r| r.id.clone()).collect())),
            ok(s(UNIT_CODE, x.iter().map(|r| r.unit_code.clone()).collect())),
            ok(s(SUBJECT, x.iter().map(|r| r.subject.code().to_string()).collect())),
            ok(s(TYPE, x.iter().map(|r| r.kind.code().to_string()).collect())),
            d(OCCURRED_ON, x.iter().map(|r| r.occurred_on).collect()),
            od(RECTIFY_DEADLINE, x.iter().map(|r| r.rectify_deadline).collect()),
            od(RECTIFIED_ON, x.iter().map(|r| r.rectified_on).collect()),
            ok(s(MITIGATION, x.iter().map(|r| r.mitigation.code().to_string()).collect())),
            ok(b(VOIDED, x.iter().map(|r| voided.dishonesty.contains(&r.id)).collect())),
        ])?;
        let ratings = frame(vec![
            ok(s(UNIT_CODE, set.ratings.iter().map(|r| r.unit_code.clone()).collect())),
            ok(y(YEAR, set.ratings.iter().map(|r| r.year).collect())),
            ok(f(SCORE, set.ratings.iter().map(|r| r.score).collect())),
        ])?;
        let honours = frame(vec![
            ok(s(ID, set.honours.iter().map(|r| r.id.clone()).collect())),
            ok(s(UNIT_CODE, set.honours.iter().map(|r| r.unit_code.clone()).collect())),
            ok(y(YEAR, set.honours.iter().map(|r| r.year).collect())),
            ok(s(LEVEL, set.honours.iter().map(|r| r.level.code().to_string()).collect())),
        ])?;
        let inputs = Inputs {
            units,
            commitments,
            proposals,
            hotline: hotline.into(),
            debt,
            dishonesty,
            ratings,
            honours,
        };
        inputs.check()?;
        Ok(inputs)
    }
}

/// The ids voided by accepted objections (异议成立), per source: ids are
/// unique within a source only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Voided {
    pub commitments: HashSet<String>,
    pub proposals: HashSet<String>,
    pub hotline: HashSet<String>,
    pub dishonesty: HashSet<String>,
}

impl Voided {
    /// The set of `source` (`commitments`, `proposals`, `hotline`,
    /// `dishonesty`), for filling from storage.
    pub fn of_mut(&mut self, source: &str) -> Option<&mut HashSet<String>> {
        match source {
            "commitments" => Some(&mut self.commitments),
            "proposals" => Some(&mut self.proposals),
            "hotline" => Some(&mut self.hotline),
            "dishonesty" => Some(&mut self.dishonesty),
            _ => None,
        }
    }
}

/// Every record of the sources, as plain structs.
#[derive(Debug, Clone, Default)]
pub struct RecordSet {
    pub units: Vec<Unit>,
    pub commitments: Vec<Commitment>,
    pub proposals: Vec<Proposal>,
    pub hotline: Vec<HotlineTicket>,
    pub debt: Vec<DebtRow>,
    pub dishonesty: Vec<DishonestyRecord>,
    pub ratings: Vec<Rating>,
    pub honours: Vec<Honour>,
}
