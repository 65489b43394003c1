//! The content digest of a year's inputs: every value the engine reads
//! (each input's schema columns, voided flags included), so that any change
//! of a scored record's content changes it, however it was made. The
//! inputs' fingerprint ([`super::load::fingerprint`]) only lists the import
//! batches and decisions that changed the data; an edit made behind the
//! application's back (sqlite3, psql) leaves it as it was, but not this.
//!
//! Rows come from storage in no fixed order (PostgreSQL moves a row when it
//! is updated), so the digest must not depend on order: each row is hashed
//! on its own (SHA-256 of its values, each tagged with its kind and length),
//! the row hashes are sorted, and each input contributes its name, its row
//! count and the hash of its sorted row hashes. (Adding the row hashes up
//! instead would also ignore order, but a sum can be matched by crafted
//! rows far faster than a hash can.)

use analytics::EngineError;
use analytics::inputs::{Inputs, SOURCES, schema};
use analytics::polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::hashing::to_hex;

/// The inputs' digest, as lowercase hex.
pub fn digest(inputs: &Inputs) -> Result<String, EngineError> {
    let parts = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let mut outer = Sha256::new();
    for source in SOURCES {
        let df = inputs.frame(source)?;
        let names: Vec<&str> = schema(source).into_iter().map(|(name, _)| name).collect();
        let frame = df.select(names)?;
        let mut rows = row_hashes(&frame, parts)?;
        rows.sort_unstable();
        let mut inner = Sha256::new();
        for row in &rows {
            inner.update(row);
        }
        outer.update(source.as_bytes());
        outer.update((frame.height() as u64).to_le_bytes());
        outer.update(inner.finalize());
    }
    Ok(to_hex(&outer.finalize()))
}

/// Every row's hash, in row order, computed in `parts` slices at once.
fn row_hashes(frame: &DataFrame, parts: usize) -> Result<Vec<[u8; 32]>, EngineError> {
    let height = frame.height();
    if parts <= 1 || height < 100_000 {
        return hashes_of_slice(frame);
    }
    let per = height.div_ceil(parts);
    let slices = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..parts)
            .map(|i| {
                let slice = frame.slice((i * per) as i64, per);
                scope.spawn(move || hashes_of_slice(&slice))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a digest thread panicked")).collect::<Result<Vec<_>, _>>()
    })?;
    Ok(slices.concat())
}

fn hashes_of_slice(frame: &DataFrame) -> Result<Vec<[u8; 32]>, EngineError> {
    // Dates and date-times as their numbers (days, milliseconds).
    let physical: Vec<Series> = frame
        .columns()
        .iter()
        .map(|c| c.as_materialized_series().to_physical_repr().into_owned().rechunk())
        .collect();
    let mut cells = physical.iter().map(Cells::of).collect::<Result<Vec<_>, _>>()?;
    let mut hashes = Vec::with_capacity(frame.height());
    let mut row = Vec::with_capacity(256);
    for _ in 0..frame.height() {
        row.clear();
        for c in &mut cells {
            c.write_next(&mut row);
        }
        hashes.push(Sha256::digest(&row).into());
    }
    Ok(hashes)
}

/// One column's values, read in row order.
enum Cells<'a> {
    Text(Box<dyn Iterator<Item = Option<&'a str>> + 'a>),
    Bool(Box<dyn Iterator<Item = Option<bool>> + 'a>),
    Int(Box<dyn Iterator<Item = Option<i64>> + 'a>),
    Float(Box<dyn Iterator<Item = Option<f64>> + 'a>),
}

impl<'a> Cells<'a> {
    fn of(series: &'a Series) -> Result<Cells<'a>, EngineError> {
        Ok(match series.dtype() {
            DataType::String => Cells::Text(Box::new(series.str()?.iter())),
            DataType::Boolean => Cells::Bool(Box::new(series.bool()?.iter())),
            DataType::Int32 => Cells::Int(Box::new(series.i32()?.iter().map(|v| v.map(i64::from)))),
            DataType::Int64 => Cells::Int(Box::new(series.i64()?.iter())),
            DataType::Float64 => Cells::Float(Box::new(series.f64()?.iter())),
            other => return Err(EngineError::Schema(format!("{}: no digest for values of type {other}", series.name()))),
        })
    }

    /// Appends the next value: a tag byte, then its bytes (text with its
    /// length first), so no two different rows write the same bytes.
    fn write_next(&mut self, out: &mut Vec<u8>) {
        match self {
            Cells::Text(it) => match it.next().flatten() {
                None => out.push(0),
                Some(s) => {
                    out.push(1);
                    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
                    out.extend_from_slice(s.as_bytes());
                }
            },
            Cells::Bool(it) => out.push(match it.next().flatten() {
                None => 0,
                Some(false) => 2,
                Some(true) => 3,
            }),
            Cells::Int(it) => match it.next().flatten() {
                None => out.push(0),
                Some(v) => {
                    out.push(4);
                    out.extend_from_slice(&v.to_le_bytes());
                }
            },
            Cells::Float(it) => match it.next().flatten() {
                None => out.push(0),
                Some(v) => {
                    out.push(5);
                    out.extend_from_slice(&v.to_bits().to_le_bytes());
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A year of the demo generator's records for Wenzhou's units.
    fn inputs() -> Inputs {
        let inputs = crate::demo::sample_inputs(0.05);
        assert!(inputs.hotline.height() > 1000 && inputs.dishonesty.height() > 0);
        inputs
    }

    #[test]
    fn the_digest_ignores_row_order_and_sees_any_change_of_a_value() {
        let base = inputs();
        let d = digest(&base).unwrap();
        // Rows in another order: the same digest.
        let mut shuffled = base.clone();
        let tickets = base.hotline.frame().unwrap().into_owned();
        shuffled.hotline = tickets.reverse().into();
        shuffled.dishonesty = base.dishonesty.reverse();
        assert_eq!(digest(&shuffled).unwrap(), d);
        // One date of one dishonesty record moved by a day: another digest.
        let mut edited = base.clone();
        let column = analytics::columns::RECTIFY_DEADLINE;
        let days = edited.dishonesty.column(column).unwrap().as_materialized_series().to_physical_repr().into_owned();
        let mut days: Vec<Option<i32>> = days.i32().unwrap().iter().collect();
        let first = days.iter().position(Option::is_some).expect("a deadline");
        days[first] = days[first].map(|d| d + 1);
        let moved = Series::new(column.into(), days).cast(&DataType::Date).unwrap();
        edited.dishonesty.replace(column, moved.into()).unwrap();
        assert_ne!(digest(&edited).unwrap(), d);
        // A row dropped, or the same row twice: another digest.
        let mut fewer = base.clone();
        fewer.hotline = tickets.slice(1, tickets.height() - 1).into();
        assert_ne!(digest(&fewer).unwrap(), d);
        let mut twice = base.clone();
        twice.hotline = tickets.vstack(&tickets.slice(0, 1)).unwrap().into();
        assert_ne!(digest(&twice).unwrap(), d);
    }

    #[test]
    fn the_row_hashes_over_threads_equal_those_in_one() {
        let base = inputs().hotline.frame().unwrap().into_owned();
        let mut big = base.clone();
        while big.height() < 120_000 {
            big = big.vstack(&base).unwrap();
        }
        assert_eq!(row_hashes(&big, 3).unwrap(), row_hashes(&big, 1).unwrap());
    }}
