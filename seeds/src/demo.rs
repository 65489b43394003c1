//! The demo-data generator: plausible records for Wenzhou's real units,
//! with the variety the assessment method reacts to (late and breached
//! commitments, not-yet-due items, late proposal replies, satisfaction
//! mixes, repeat and integrity-related tickets, debt rows with one missing,
//! court listings rectified on time, late and never, mitigations, ratings,
//! honours).
//!
//! Deterministic: the same seed and scale give the same records. The
//! cut-off `until` only removes what has not happened yet (records made
//! later are dropped; replies, closures, fulfilments and rectifications
//! later are left open), so the data before it never changes with the day
//! the generator runs.

use analytics::domain::*;
use analytics::records::*;
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The generator's settings.
#[derive(Debug, Clone)]
pub struct Generator {
    pub seed: u64,
    /// 1.0 ≈ 300,000 hotline tickets a year. Above 1 the other per-record
    /// sources grow in proportion; below 1 only the hotline shrinks. Units,
    /// debt rows and ratings never scale.
    pub scale: f64,
    /// Nothing after this instant (CST) has happened yet.
    pub until: NaiveDateTime,
}

/// The years the demo dataset covers.
pub const YEARS: std::ops::RangeInclusive<i32> = 2023..=2026;
/// The seed the shipped demo data uses.
pub const DEFAULT_SEED: u64 = 20_251_231;
/// Hotline tickets a year at scale 1.
const TICKETS_PER_YEAR: f64 = 300_000.0;

/// One source's records of one year.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct YearData {
    pub commitments: Vec<Commitment>,
    pub proposals: Vec<Proposal>,
    pub debt: Vec<DebtRow>,
    pub dishonesty: Vec<DishonestyRecord>,
    pub ratings: Vec<Rating>,
    pub honours: Vec<Honour>,
}

/// FNV-1a: a tiny stable hash, so a stream's seed never depends on the
/// standard library's hasher.
fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.iter().chain(&[0xff]) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn day_in_year(rng: &mut ChaCha8Rng, year: i32) -> NaiveDate {
    let days = if NaiveDate::from_ymd_opt(year, 2, 29).is_some() { 366 } else { 365 };
    date(year, 1, 1) + Duration::days(rng.random_range(0..days))
}

impl Generator {
    pub fn new(seed: u64, scale: f64, until: NaiveDateTime) -> Generator {
        Generator { seed, scale, until }
    }

    fn rng(&self, source: &str, year: i32, unit: &str) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(fnv(&[&self.seed.to_le_bytes(), source.as_bytes(), &year.to_le_bytes(), unit.as_bytes()]))
    }

    /// A unit's integrity "quality" in `year`, in [0, 1]: a stable trait with a
    /// small yearly drift, so ranks are sticky but move.
    pub fn quality(&self, unit: &str, year: i32) -> f64 {
        let base: f64 = self.rng("quality", 0, unit).random_range(0.45..1.0);
        let drift: f64 = self.rng("drift", year, unit).random_range(-0.12..0.12);
        (base + drift).clamp(0.0, 1.0)
    }

    /// A count around `mean × scale`: whole part plus a chance of one more
    /// for the fraction, so small means still give some records. Below
    /// scale 1 only the hotline shrinks (tests want every kind of record);
    /// above it every per-record source grows.
    fn scaled(&self, rng: &mut ChaCha8Rng, mean: f64, scales_down: bool) -> usize {
        let scale = if scales_down { self.scale } else { self.scale.max(1.0) };
        let m = mean * scale * rng.random_range(0.7..1.3);
        m.floor() as usize + usize::from(rng.random_bool(m.fract()))
    }

    fn by_until_date(&self, d: NaiveDate) -> bool {
        d <= self.until.date()
    }

    fn done_by(&self, d: Option<NaiveDate>) -> Option<NaiveDate> {
        d.filter(|d| self.by_until_date(*d))
    }

    /// A few hand-made records dated from the cut-off, so that the demo
    /// shows every part of supervision and the personnel files whatever
    /// the random draw: 鹿城区 (the demo unit account's) with a deadline due
    /// soon and one overdue, 龙湾区 more than 90 days overdue, 财政局 due
    /// later, a penalty past its publicity period, and two people with
    /// records in several units (one restricted, one not).
    pub fn showcase(&self) -> Vec<DishonestyRecord> {
        let today = self.until.date();
        let day = |days: i64| today - Duration::days(days);
        let record = |id: &str, unit: &str, person: Option<&str>, kind, occurred: i64, deadline: Option<i64>, mitigation| DishonestyRecord {
            id: id.to_string(),
            unit_code: unit.to_string(),
            subject: if person.is_some() { Subject::Person } else { Subject::Unit },
            person_ref: person.map(str::to_string),
            kind,
            occurred_on: day(occurred),
            rectify_deadline: deadline.map(day),
            rectified_on: None,
            mitigation,
        };
        use DishonestyType::*;
        vec![
            record("XS-001", "330302", None, CourtListing, 100, Some(-20), Mitigation::None),
            record("XS-002", "330302", None, Penalty, 200, Some(40), Mitigation::None),
            record("XS-003", "330303", None, Judgment, 300, Some(150), Mitigation::None),
            record("XS-004", "D010", None, Judgment, 30, Some(-90), Mitigation::None),
            record("XS-005", "330381", None, Penalty, 500, None, Mitigation::None),
            record("XS-101", "330302", Some("P-demo0001"), Discipline, 400, None, Mitigation::None),
            record("XS-102", "D010", Some("P-demo0001"), Accountability, 90, None, Mitigation::Reduced),
            record("XS-103", "330303", Some("P-demo0002"), Discipline, 1300, None, Mitigation::None),
            record("XS-104", "330381", Some("P-demo0002"), Accountability, 200, None, Mitigation::Exempt),
        ]
    }

    /// Every source but the hotline for `year`.
    pub fn year(&self, units: &[Unit], year: i32) -> YearData {
        let mut data = YearData::default();
        for unit in units {
            data.commitments.extend(self.commitments(unit, year));
            data.proposals.extend(self.proposals(unit, year));
            data.dishonesty.extend(self.dishonesty(unit, year));
            data.ratings.extend(self.rating(unit, year));
            data.honours.extend(self.honours(unit, year));
            data.debt.extend(self.debt(unit, year));
        }
        data
    }

    pub fn commitments(&self, unit: &Unit, year: i32) -> Vec<Commitment> {
        let mut rng = self.rng("commitments", year, &unit.code);
        let q = self.quality(&unit.code, year);
        let mean = match unit.group {
            PeerGroup::County => 48.0,
            PeerGroup::Department => 28.0,
            PeerGroup::Township => 12.0,
        };
        let n = self.scaled(&mut rng, mean, false).max(3);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let due_on = day_in_year(&mut rng, year);
            let made_on = due_on - Duration::days(rng.random_range(30..330));
            let category = CommitmentCategory::ALL[rng.random_range(0..CommitmentCategory::ALL.len())];
            let roll: f64 = rng.random();
            let breach_p = 0.005 + 0.05 * (1.0 - q);
            let (mut status, mut fulfilled_on) = if roll < 0.03 {
                (CommitmentStatus::LawfullyChanged, None)
            } else if roll < 0.03 + breach_p {
                (CommitmentStatus::Breached, None)
            } else if rng.random_bool(0.70 + 0.29 * q) {
                (CommitmentStatus::Fulfilled, Some(due_on - Duration::days(rng.random_range(0..60))))
            } else if rng.random_bool(0.8) {
                (CommitmentStatus::Fulfilled, Some(due_on + Duration::days(rng.random_range(1..90))))
            } else {
                (CommitmentStatus::Pending, None)
            };
            // The cut-off applies only after every draw: a record it drops
            // must still use its share of the stream, or the records after it
            // would change with the day the generator runs (so in every
            // generator below, nothing the cut-off decides gates a draw).
            if !self.by_until_date(made_on) {
                continue;
            }
            if status == CommitmentStatus::Fulfilled && self.done_by(fulfilled_on).is_none() {
                status = CommitmentStatus::Pending;
                fulfilled_on = None;
            }
            if status == CommitmentStatus::Breached && !self.by_until_date(due_on.min(made_on + Duration::days(90))) {
                status = CommitmentStatus::Pending;
            }
            let title = format!("{}{}第{}项", category.label_zh(), ["事项", "任务", "承诺"][i % 3], i + 1);
            out.push(Commitment {
                id: format!("C{year}-{}-{:04}", unit.code, i + 1),
                unit_code: unit.code.clone(),
                category,
                title,
                made_on,
                due_on,
                status,
                fulfilled_on,
            });
        }
        out
    }

    pub fn proposals(&self, unit: &Unit, year: i32) -> Vec<Proposal> {
        let mean = match unit.group {
            PeerGroup::County => 22.0,
            PeerGroup::Department => 14.0,
            PeerGroup::Township => return Vec::new(),
        };
        let mut rng = self.rng("proposals", year, &unit.code);
        let q = self.quality(&unit.code, year);
        let n = self.scaled(&mut rng, mean, false).max(2);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            // Most are assigned after the spring sessions; some later, a few
            // on 30 November to exercise the month-end deadline rule.
            let assigned_on = match rng.random_range(0..20) {
                0 => date(year, 11, 30),
                1..=13 => date(year, 2, 20) + Duration::days(rng.random_range(0..60)),
                _ => day_in_year(&mut rng, year),
            };
            let due_on = rng.random_bool(0.2).then(|| assigned_on + Duration::days(rng.random_range(60..100)));
            let deadline = due_on.unwrap_or(assigned_on + Duration::days(90));
            let replied_on = if rng.random_bool(0.80 + 0.19 * q) {
                deadline - Duration::days(rng.random_range(0..50))
            } else {
                deadline + Duration::days(rng.random_range(1..45))
            };
            let satisfaction = rng.random_bool(0.9).then(|| {
                let r: f64 = rng.random();
                if r < 0.70 + 0.25 * q {
                    Satisfaction::Satisfied
                } else if r < 0.97 {
                    Satisfaction::Basic
                } else {
                    Satisfaction::Unsatisfied
                }
            });
            let resolution = rng.random_bool(0.92).then(|| {
                let r: f64 = rng.random();
                if r < 0.25 + 0.35 * q {
                    Resolution::A
                } else if r < 0.75 {
                    Resolution::B
                } else if r < 0.92 {
                    Resolution::C
                } else {
                    Resolution::D
                }
            });
            let kind = if rng.random_bool(0.55) { ProposalKind::Npc } else { ProposalKind::Cppcc };
            if !self.by_until_date(assigned_on) {
                continue;
            }
            // No reply yet means no satisfaction or result either.
            let replied_on = self.done_by(Some(replied_on));
            let satisfaction = satisfaction.filter(|_| replied_on.is_some());
            let resolution = resolution.filter(|_| replied_on.is_some());
            let title = format!(
                "关于{}的{}",
                [
                    "优化营商环境",
                    "加强社区治理",
                    "改善交通出行",
                    "推进老旧小区改造",
                    "提升政务服务",
                    "保障教育资源"
                ][i % 6],
                if kind == ProposalKind::Npc { "建议" } else { "提案" }
            );
            out.push(Proposal {
                id: format!("P{year}-{}-{:03}", unit.code, i + 1),
                kind,
                title,
                lead_unit_code: unit.code.clone(),
                assigned_on,
                due_on,
                replied_on,
                satisfaction,
                resolution,
            });
        }
        out
    }

    /// The hotline tickets a unit received in `year`: at scale 1 about
    /// 300,000 a year over all units (counties 40 %, townships 45 %,
    /// departments 15 %).
    pub fn hotline(&self, unit: &Unit, year: i32) -> Vec<HotlineTicket> {
        let mut rng = self.rng("hotline", year, &unit.code);
        let q = self.quality(&unit.code, year);
        let share = match unit.group {
            PeerGroup::County => 0.40 / 12.0,
            PeerGroup::Township => 0.45 / 185.0,
            PeerGroup::Department => 0.15 / 35.0,
        };
        let size: f64 = self.rng("size", 0, &unit.code).random_range(0.5..1.5);
        let n = self.scaled(&mut rng, TICKETS_PER_YEAR * share * size, true);
        let start = date(year, 1, 1).and_time(NaiveTime::MIN);
        let year_seconds = (date(year + 1, 1, 1) - date(year, 1, 1)).num_seconds();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let received_at = start + Duration::seconds(rng.random_range(0..year_seconds));
            let limit_days = [1, 3, 5, 10][rng.random_range(0..4)];
            let due_at = received_at + Duration::days(limit_days);
            let closed_at = if rng.random_bool(0.86 + 0.135 * q) {
                Some(received_at + Duration::seconds(rng.random_range(600..limit_days * 86_400)))
            } else if rng.random_bool(0.9) {
                Some(due_at + Duration::seconds(rng.random_range(3_600..20 * 86_400)))
            } else {
                None
            };
            let category = match rng.random_range(0..100) {
                0..35 => TicketCategory::Complaint,
                35..42 => TicketCategory::Report,
                42..72 => TicketCategory::Consult,
                72..80 => TicketCategory::Suggestion,
                _ => TicketCategory::Help,
            };
            let integrity_p = if matches!(category, TicketCategory::Complaint | TicketCategory::Report) {
                0.004 + 0.03 * (1.0 - q)
            } else {
                0.001
            };
            let integrity_related = rng.random_bool(integrity_p);
            let verified = integrity_related && rng.random_bool(0.45);
            let satisfaction = closed_at.and_then(|_| {
                rng.random_bool(0.6).then(|| {
                    let r: f64 = rng.random();
                    if r < 0.72 + 0.26 * q {
                        Satisfaction::Satisfied
                    } else if r < 0.985 {
                        Satisfaction::Basic
                    } else {
                        Satisfaction::Unsatisfied
                    }
                })
            });
            let repeat = rng.random_bool(0.015 + 0.13 * (1.0 - q));
            let closed_at = closed_at.filter(|c| *c <= self.until);
            let satisfaction = satisfaction.filter(|_| closed_at.is_some());
            out.push(HotlineTicket {
                id: format!("H{year}{}{:06}", unit.code, i + 1),
                unit_code: unit.code.clone(),
                received_at,
                due_at,
                closed_at,
                category,
                integrity_related,
                verified,
                satisfaction,
                repeat,
            });
        }
        out.retain(|t| t.received_at <= self.until);
        out
    }

    /// One row per county and year, except 龙港市 in 2024 (a gap the
    /// data-quality report must show).
    pub fn debt(&self, unit: &Unit, year: i32) -> Option<DebtRow> {
        if unit.group != PeerGroup::County || (unit.code == "330383" && year == 2024) {
            return None;
        }
        let mut rng = self.rng("debt", year, &unit.code);
        let q = self.quality(&unit.code, year);
        let capacity: f64 = rng.random_range(80.0..420.0);
        let balance = capacity * rng.random_range(0.85 + 0.1 * (1.0 - q)..1.2 + 0.45 * (1.0 - q));
        let limit = balance * rng.random_range(if q < 0.3 { 0.95 } else { 1.0 }..1.25);
        let due_amount: f64 = rng.random_range(5.0..45.0);
        let overdue_amount = if rng.random_bool(0.3 + 0.4 * (1.0 - q)) {
            due_amount * rng.random_range(0.0..0.07)
        } else {
            0.0
        };
        let violations = if rng.random_bool(0.12 * (1.0 - q) + 0.02) {
            rng.random_range(1..3)
        } else {
            0
        };
        let round2 = |v: f64| (v * 100.0).round() / 100.0;
        Some(DebtRow {
            unit_code: unit.code.clone(),
            year,
            limit: round2(limit),
            balance: round2(balance),
            capacity: round2(capacity),
            due_amount: round2(due_amount),
            overdue_amount: round2(overdue_amount),
            violations,
        })
    }

    pub fn dishonesty(&self, unit: &Unit, year: i32) -> Vec<DishonestyRecord> {
        let mut rng = self.rng("dishonesty", year, &unit.code);
        let q = self.quality(&unit.code, year);
        let mean = match unit.group {
            PeerGroup::County => 0.6 + 2.5 * (1.0 - q),
            PeerGroup::Department => 0.3 + 1.5 * (1.0 - q),
            PeerGroup::Township => 0.1 + 0.8 * (1.0 - q),
        };
        let n = self.scaled(&mut rng, mean, false);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let kind = match rng.random_range(0..100) {
                0..12 => DishonestyType::CourtListing,
                12..27 => DishonestyType::Judgment,
                27..57 => DishonestyType::Penalty,
                57..80 => DishonestyType::Discipline,
                _ => DishonestyType::Accountability,
            };
            let occurred_on = day_in_year(&mut rng, year);
            let person = matches!(kind, DishonestyType::Discipline | DishonestyType::Accountability);
            let (rectify_deadline, rectified_on) = if kind == DishonestyType::CourtListing {
                let deadline = occurred_on + Duration::days(rng.random_range(60..200));
                let rectified = match rng.random_range(0..100) {
                    0..60 => Some(deadline - Duration::days(rng.random_range(0..50))),
                    60..85 => Some(deadline + Duration::days(rng.random_range(5..120))),
                    _ => None,
                };
                (Some(deadline), self.done_by(rectified))
            } else {
                (None, None)
            };
            let mitigation = match rng.random_range(0..100) {
                0..70 => Mitigation::None,
                70..90 => Mitigation::Reduced,
                _ => Mitigation::Exempt,
            };
            // One person record in eight belongs to one of 24 civil servants
            // whose careers cross units and years: the personnel office's
            // files then have people with several records to show.
            let person_ref = person.then(|| {
                let r = rng.random::<u32>();
                if r % 8 == 0 { format!("P-c{:07x}", r / 8 % 24) } else { format!("P-{r:08x}") }
            });
            if !self.by_until_date(occurred_on) {
                continue;
            }
            out.push(DishonestyRecord {
                id: format!("X{year}-{}-{:02}", unit.code, i + 1),
                unit_code: unit.code.clone(),
                subject: if person { Subject::Person } else { Subject::Unit },
                person_ref,
                kind,
                occurred_on,
                rectify_deadline,
                rectified_on,
                mitigation,
            });
        }
        out
    }

    /// 万人评议 takes place in December: a year's ratings exist once the
    /// cut-off reaches 1 December; about 3 % of units have none.
    pub fn rating(&self, unit: &Unit, year: i32) -> Option<Rating> {
        if self.until.date() < date(year, 12, 1) {
            return None;
        }
        let mut rng = self.rng("ratings", year, &unit.code);
        if rng.random_bool(0.03) {
            return None;
        }
        let q = self.quality(&unit.code, year);
        let score: f64 = (62.0 + 33.0 * q + rng.random_range(-5.0..5.0)).clamp(40.0, 99.5);
        Some(Rating {
            unit_code: unit.code.clone(),
            year,
            score: (score * 10.0).round() / 10.0,
        })
    }

    pub fn honours(&self, unit: &Unit, year: i32) -> Vec<Honour> {
        let mut rng = self.rng("honours", year, &unit.code);
        let q = self.quality(&unit.code, year);
        let n = if rng.random_bool(0.05 + 0.25 * q) {
            if rng.random_bool(0.2) { 2 } else { 1 }
        } else {
            0
        };
        let mut out = Vec::new();
        for i in 0..n {
            let awarded = date(year, 12, 20);
            if !self.by_until_date(awarded) {
                continue;
            }
            let level = match rng.random_range(0..100) {
                0..10 => HonourLevel::National,
                10..40 => HonourLevel::Provincial,
                _ => HonourLevel::City,
            };
            let title = format!("{}诚信建设示范单位", level.label_zh());
            out.push(Honour {
                id: format!("R{year}-{}-{}", unit.code, i + 1),
                unit_code: unit.code.clone(),
                year,
                level,
                title,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::reference_units;

    fn generator(until: NaiveDateTime) -> Generator {
        Generator::new(DEFAULT_SEED, 0.05, until)
    }

    fn end_of(y: i32) -> NaiveDateTime {
        date(y, 12, 31).and_hms_opt(23, 59, 59).unwrap()
    }

    #[test]
    fn same_seed_same_data() {
        let units = reference_units();
        assert_eq!(generator(end_of(2025)).year(&units, 2025), generator(end_of(2025)).year(&units, 2025));
        assert_eq!(
            generator(end_of(2025)).hotline(&units[0], 2025),
            generator(end_of(2025)).hotline(&units[0], 2025)
        );
        let other = Generator {
            seed: 7,
            ..generator(end_of(2025))
        };
        assert_ne!(other.year(&units, 2025).commitments, generator(end_of(2025)).year(&units, 2025).commitments);
    }

    #[test]
    fn a_later_cutoff_only_adds_what_happened_since() {
        let units = reference_units();
        let early = generator(date(2025, 6, 30).and_hms_opt(23, 59, 59).unwrap()).commitments(&units[0], 2025);
        let late = generator(end_of(2025)).commitments(&units[0], 2025);
        for c in &early {
            let same = late.iter().find(|l| l.id == c.id).expect("still there later");
            assert_eq!((same.made_on, same.due_on, same.category), (c.made_on, c.due_on, c.category));
        }
        assert!(early.iter().all(|c| c.made_on <= date(2025, 6, 30)));
        assert!(early.iter().all(|c| c.fulfilled_on.is_none_or(|f| f <= date(2025, 6, 30))));
    }

    #[test]
    fn a_later_cutoff_keeps_every_source_stable() {
        let units = reference_units();
        let (early, late) = (generator(date(2025, 6, 30).and_hms_opt(23, 59, 59).unwrap()), generator(end_of(2025)));
        for unit in units.iter().filter(|u| u.group != PeerGroup::Township).take(12) {
            let later = late.proposals(unit, 2025);
            for p in early.proposals(unit, 2025) {
                let same = later.iter().find(|l| l.id == p.id).expect("still there later");
                assert_eq!((same.assigned_on, same.due_on, same.kind), (p.assigned_on, p.due_on, p.kind));
                assert!(p.replied_on.is_some() || p.satisfaction.is_none() && p.resolution.is_none());
            }
            let later = late.dishonesty(unit, 2025);
            for d in early.dishonesty(unit, 2025) {
                let same = later.iter().find(|l| l.id == d.id).expect("still there later");
                assert_eq!(
                    (same.kind, same.occurred_on, &same.person_ref, same.mitigation),
                    (d.kind, d.occurred_on, &d.person_ref, d.mitigation)
                );
            }
            let later = late.hotline(unit, 2025);
            for t in early.hotline(unit, 2025) {
                let same = later.iter().find(|l| l.id == t.id).expect("still there later");
                assert_eq!(
                    (same.received_at, same.due_at, same.category, same.repeat),
                    (t.received_at, t.due_at, t.category, t.repeat)
                );
                assert!(t.closed_at.is_some() || t.satisfaction.is_none());
            }
        }
    }

    #[test]
    fn the_data_has_the_variety_the_method_reacts_to() {
        let units = reference_units();
        let g = Generator::new(DEFAULT_SEED, 1.0, end_of(2025));
        let y = g.year(&units, 2025);
        let late_commitment = y.commitments.iter().any(|c| c.fulfilled_on.is_some_and(|f| f > c.due_on));
        let breached = y.commitments.iter().any(|c| c.status == CommitmentStatus::Breached);
        let changed = y.commitments.iter().any(|c| c.status == CommitmentStatus::LawfullyChanged);
        let late_reply = y
            .proposals
            .iter()
            .any(|p| p.replied_on.is_some_and(|r| r > p.due_on.unwrap_or(p.assigned_on + Duration::days(90))));
        let nov30 = y.proposals.iter().any(|p| p.assigned_on == date(2025, 11, 30));
        let all_records: Vec<_> = (2023..=2025).flat_map(|year| g.year(&units, year).dishonesty).collect();
        let listings: Vec<_> = all_records.iter().filter(|d| d.kind == DishonestyType::CourtListing).collect();
        let on_time = listings.iter().any(|d| d.rectified_on.is_some_and(|r| Some(r) <= d.rectify_deadline));
        let late = listings.iter().any(|d| d.rectified_on.is_some_and(|r| Some(r) > d.rectify_deadline));
        let never = listings.iter().any(|d| d.rectified_on.is_none());
        let mitigated = y.dishonesty.iter().any(|d| d.mitigation == Mitigation::Reduced) && y.dishonesty.iter().any(|d| d.mitigation == Mitigation::Exempt);
        assert!(late_commitment && breached && changed && late_reply && nov30, "commitments and proposals");
        assert!(
            on_time && late && never && mitigated,
            "court listings: {} {on_time} {late} {never} {mitigated}",
            listings.len()
        );
        assert_eq!(y.debt.len(), 12);
        assert_eq!(g.year(&units, 2024).debt.len(), 11, "龙港市 has no 2024 debt row");
        assert!(y.ratings.len() > 200 && y.ratings.len() < units.len());
        assert!(y.honours.iter().any(|h| h.level == HonourLevel::National));
        let tickets: Vec<_> = units.iter().take(20).flat_map(|u| g.hotline(u, 2025)).collect();
        assert!(tickets.iter().any(|t| t.repeat) && tickets.iter().any(|t| t.integrity_related && t.verified));
        assert!(tickets.iter().any(|t| t.closed_at.is_some_and(|c| c > t.due_at)));
    }

    #[test]
    fn scale_one_is_about_300_000_tickets_a_year() {
        let units = reference_units();
        let g = Generator::new(DEFAULT_SEED, 1.0, end_of(2025));
        let n: usize = units.iter().map(|u| g.hotline(u, 2025).len()).sum();
        assert!((250_000..350_000).contains(&n), "{n}");
    }

    #[test]
    fn nothing_after_the_cutoff_exists() {
        let units = reference_units();
        let until = date(2026, 11, 25).and_hms_opt(12, 0, 0).unwrap();
        let g = generator(until);
        let y = g.year(&units, 2026);
        assert!(y.ratings.is_empty() && y.honours.is_empty());
        assert!(
            y.proposals
                .iter()
                .all(|p| p.assigned_on <= until.date() && p.replied_on.is_none_or(|r| r <= until.date()))
        );
        let tickets = g.hotline(&units[0], 2026);
        assert!(!tickets.is_empty());
        assert!(tickets.iter().all(|t| t.received_at <= until && t.closed_at.is_none_or(|c| c <= until)));
    }
}
