//! The server's clock: wall-clock time in China Standard Time, to the
//! second. It is the method's clock (the default as_of, "before now"), and
//! stamps audit entries, import batches, sessions, tokens and claims.
//!
//! It can be set. `ZHENGXIN_NOW="2026-11-25 10:00:00"` (CST) makes it read
//! that time at the moment `ZHENGXIN_NOW_AT` names (Unix seconds; default:
//! when the process starts), and run on from there at the real pace. A demo
//! can show a year as it stood on a chosen day, and the tests pin one date
//! for themselves and for every process they start, so what they check does
//! not depend on the day they run. The clock only ever moves forwards: a
//! shift is fixed once per process, and real seconds keep passing, so
//! sessions expire, claims lapse and audit entries stay in order.

use std::sync::OnceLock;

use chrono::{DateTime, NaiveDateTime, SubsecRound, TimeDelta, Utc};

/// The variable that sets the clock.
pub const NOW_VAR: &str = "ZHENGXIN_NOW";
/// When (Unix seconds) the clock read [`NOW_VAR`]; default: process start.
pub const NOW_AT_VAR: &str = "ZHENGXIN_NOW_AT";

/// How far this process's clock is from the real one (zero unless set).
static SHIFT: OnceLock<TimeDelta> = OnceLock::new();

/// Now in China Standard Time, to the second.
pub fn now_cst() -> NaiveDateTime {
    cst(Utc::now()) + *SHIFT.get_or_init(TimeDelta::zero)
}

/// China Standard Time's offset from UTC (no daylight saving time).
const CST_OFFSET: TimeDelta = TimeDelta::hours(8);

fn cst(t: DateTime<Utc>) -> NaiveDateTime {
    (t + CST_OFFSET).naive_utc().trunc_subsecs(0)
}

/// A China Standard Time as Unix seconds (the metrics' timestamps).
pub fn unix_seconds(at: NaiveDateTime) -> f64 {
    (at - CST_OFFSET).and_utc().timestamp() as f64
}

/// Sets the clock so that it read `now` (CST) at the real instant `at`.
/// The first setting of a process holds; a second one is refused (the
/// clock never jumps), unless it is the same.
pub fn pin(now: NaiveDateTime, at: DateTime<Utc>) -> Result<(), String> {
    let shift = shift(now, at);
    let held = *SHIFT.get_or_init(|| shift);
    if held == shift { Ok(()) } else { Err(format!("the clock is already set ({held} from the real one)")) }
}

/// The shift that makes the clock read `now` at the real instant `at`.
fn shift(now: NaiveDateTime, at: DateTime<Utc>) -> TimeDelta {
    now - cst(at)
}

/// Reads [`NOW_VAR`] and [`NOW_AT_VAR`] from the environment and sets the
/// clock if they are there. `Ok(Some(now))` when set; an error names the
/// variable and what is wrong with it.
pub fn from_env() -> Result<Option<NaiveDateTime>, String> {
    let Ok(text) = std::env::var(NOW_VAR) else {
        return Ok(None);
    };
    let now = parse(&text).ok_or_else(|| format!("{NOW_VAR}={text:?} is not a time: write YYYY-MM-DD HH:MM:SS (China Standard Time)"))?;
    let at = match std::env::var(NOW_AT_VAR) {
        Err(_) => Utc::now(),
        Ok(secs) => secs
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or_else(|| format!("{NOW_AT_VAR}={secs:?} is not a Unix time in seconds"))?,
    };
    pin(now, at)?;
    Ok(Some(now))
}

fn parse(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"].iter().find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    // (The process's clock itself is pinned and read by the end-to-end
    // tests, in their process and in the binaries they start.)
    #[test]
    fn a_set_clock_reads_its_time_and_runs_on_at_the_real_pace() {
        let at = Utc::now() - TimeDelta::seconds(90);
        let then = parse("2026-11-25 10:00:00").unwrap();
        let now = cst(Utc::now()) + shift(then, at);
        assert!(now >= then + TimeDelta::seconds(89) && now <= then + TimeDelta::seconds(92), "{now}");
        // Whole seconds: a process given `at` in Unix seconds agrees.
        let whole = DateTime::from_timestamp(at.timestamp(), 0).unwrap();
        assert_eq!(shift(then, whole), shift(then, at));
    }

    /// assessment-method.md §2: "Everything is in China Standard Time
    /// (UTC+8)". 16:00 UTC on 31 December is midnight of 1 January in
    /// Wenzhou (a new assessment year); fractions of a second are cut, not
    /// rounded up into the next second.
    #[test]
    fn the_servers_clock_reads_china_standard_time() {
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(cst(utc("2025-12-31T15:59:59.900Z")), parse("2025-12-31 23:59:59").unwrap());
        assert_eq!(cst(utc("2025-12-31T16:00:00Z")), parse("2026-01-01 00:00:00").unwrap());
        // An unset clock runs at the real pace, eight hours ahead of UTC.
        let before = (Utc::now() + TimeDelta::hours(8)).naive_utc().trunc_subsecs(0);
        let now = now_cst();
        assert!(now >= before && now <= before + TimeDelta::seconds(2), "{now} against {before}");
    }

    #[test]
    fn times_are_written_as_the_method_writes_them() {
        assert_eq!(parse("2026-11-25T10:00:00"), parse(" 2026-11-25 10:00:00 "));
        assert!(parse("2026-11-25").is_none() && parse("25/11/2026 10:00").is_none());
    }
}
