//! The method's rules, each on a small hand-computed case, and the worked
//! example of §8 reproduced exactly.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime};
use polars::prelude::*;

use crate::columns::*;
use crate::domain::*;
use crate::indicators::Ctx;
use crate::inputs::{Inputs, RecordSet, Voided};
use crate::records::*;
use crate::rulebook::Rulebook;
use crate::score::{self, round_half_away};
use crate::window::Window;
use crate::{Assessment, explain};

pub const RULEBOOK_2025: &str = include_str!("../../seeds/rulebooks/2025.toml");

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn rules(year: i32) -> Rulebook {
    Rulebook::parse(&RULEBOOK_2025.replace("year = 2025", &format!("year = {year}"))).unwrap()
}

fn unit(code: &str, group: PeerGroup, parent: Option<&str>) -> Unit {
    Unit {
        code: code.into(),
        name: format!("单位{code}"),
        group,
        parent_code: parent.map(Into::into),
    }
}

fn county(code: &str) -> Unit {
    unit(code, PeerGroup::County, None)
}

fn rating(code: &str, year: i32, score: f64) -> Rating {
    Rating {
        unit_code: code.into(),
        year,
        score,
    }
}

fn commitment(id: &str, unit: &str, made: &str, due: &str, status: CommitmentStatus, fulfilled: Option<&str>) -> Commitment {
    Commitment {
        id: id.into(),
        unit_code: unit.into(),
        category: CommitmentCategory::Policy,
        title: "t".into(),
        made_on: d(made),
        due_on: d(due),
        status,
        fulfilled_on: fulfilled.map(d),
    }
}

fn proposal(id: &str, unit: &str, assigned: &str, replied: Option<&str>, sat: Option<Satisfaction>, res: Option<Resolution>) -> Proposal {
    Proposal {
        id: id.into(),
        kind: ProposalKind::Npc,
        title: "t".into(),
        lead_unit_code: unit.into(),
        assigned_on: d(assigned),
        due_on: None,
        replied_on: replied.map(d),
        satisfaction: sat,
        resolution: res,
    }
}

fn ticket(id: &str, unit: &str, received: &str, due: &str, closed: Option<&str>) -> HotlineTicket {
    HotlineTicket {
        id: id.into(),
        unit_code: unit.into(),
        received_at: t(received),
        due_at: t(due),
        closed_at: closed.map(t),
        category: TicketCategory::Complaint,
        integrity_related: false,
        verified: false,
        satisfaction: None,
        repeat: false,
    }
}

fn record(id: &str, unit: &str, kind: DishonestyType, occurred: &str) -> DishonestyRecord {
    DishonestyRecord {
        id: id.into(),
        unit_code: unit.into(),
        subject: Subject::Unit,
        person_ref: None,
        kind,
        occurred_on: d(occurred),
        rectify_deadline: None,
        rectified_on: None,
        mitigation: Mitigation::None,
    }
}

fn listing(id: &str, unit: &str, occurred: &str, deadline: &str, rectified: Option<&str>) -> DishonestyRecord {
    DishonestyRecord {
        rectify_deadline: Some(d(deadline)),
        rectified_on: rectified.map(d),
        ..record(id, unit, DishonestyType::CourtListing, occurred)
    }
}

fn debt(code: &str, year: i32, limit: f64, balance: f64, capacity: f64, due: f64, overdue: f64, violations: i64) -> DebtRow {
    DebtRow {
        unit_code: code.into(),
        year,
        limit,
        balance,
        capacity,
        due_amount: due,
        overdue_amount: overdue,
        violations,
    }
}

fn honour(id: &str, code: &str, year: i32, level: HonourLevel) -> Honour {
    Honour {
        id: id.into(),
        unit_code: code.into(),
        year,
        level,
        title: "诚信示范".into(),
    }
}

fn assess_at(set: &RecordSet, voided: &[&str], year: i32, as_of: &str, previous: Option<&DataFrame>) -> Assessment {
    let ids: HashSet<String> = voided.iter().map(|s| s.to_string()).collect();
    // The tests' ids are unique across sources, so every set gets them all.
    let voided = Voided {
        commitments: ids.clone(),
        proposals: ids.clone(),
        hotline: ids.clone(),
        dishonesty: ids,
    };
    let inputs = Inputs::from_records(set, &voided).unwrap();
    let window = Window::new(year, Some(t(as_of)), t("2030-01-01 00:00:00")).unwrap();
    score::assess(&inputs, &rules(year), &window, previous).unwrap()
}

fn assess(set: &RecordSet) -> Assessment {
    assess_at(set, &[], 2025, "2025-12-31 23:59:59", None)
}

/// The value of `column` in the unit row of `code`.
fn unit_value(a: &Assessment, code: &str, column: &str) -> AnyValue<'static> {
    let row = a
        .units
        .clone()
        .lazy()
        .filter(col(UNIT_CODE).eq(lit(code)))
        .collect()
        .unwrap();
    assert_eq!(row.height(), 1, "one row for {code}");
    row.column(column).unwrap().get(0).unwrap().into_static()
}

fn f(a: &Assessment, code: &str, column: &str) -> f64 {
    unit_value(a, code, column).extract::<f64>().unwrap()
}

fn opt_u(a: &Assessment, code: &str, column: &str) -> Option<u32> {
    match unit_value(a, code, column) {
        AnyValue::Null => None,
        v => Some(v.extract::<u32>().unwrap()),
    }
}

fn grade(a: &Assessment, code: &str) -> String {
    unit_value(a, code, GRADE).str_value().to_string()
}

/// (points, applicable) of one indicator of one unit.
fn points(a: &Assessment, code: &str, indicator: &str) -> Option<f64> {
    let row = a
        .indicators
        .clone()
        .lazy()
        .filter(col(UNIT_CODE).eq(lit(code)).and(col(INDICATOR).eq(lit(indicator))))
        .collect()
        .unwrap();
    assert_eq!(row.height(), 1);
    match row.column(POINTS).unwrap().get(0).unwrap() {
        AnyValue::Null => None,
        v => Some(v.extract::<f64>().unwrap()),
    }
}

/// A column's cells as text, for comparing short columns.
fn cells(df: &DataFrame, name: &str) -> Vec<String> {
    let c = df.column(name).unwrap();
    (0..df.height()).map(|i| c.get(i).unwrap().str_value().to_string()).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// §8: County X, 12 counties, 2025, as of 2025-12-31.
fn worked_example() -> RecordSet {
    let x = "330302";
    let mut set = RecordSet::default();
    for i in 0..12 {
        set.units.push(county(&format!("3303{:02}", i + 2)));
    }
    for i in 1..12 {
        set.ratings.push(rating(&format!("3303{:02}", i + 2), 2025, 70.0 + i as f64));
    }
    let c = |i: usize, status, fulfilled: Option<&str>| commitment(&format!("C{i}"), x, "2025-01-01", "2025-06-30", status, fulfilled);
    for i in 0..36 {
        set.commitments.push(c(i, CommitmentStatus::Fulfilled, Some("2025-06-01")));
    }
    set.commitments.push(c(36, CommitmentStatus::Fulfilled, Some("2025-07-15")));
    set.commitments.push(c(37, CommitmentStatus::Breached, None));
    set.commitments.push(c(38, CommitmentStatus::LawfullyChanged, None));
    set.commitments.push(c(39, CommitmentStatus::LawfullyChanged, None));
    for i in 0..20 {
        let replied = if i < 19 { "2025-04-15" } else { "2025-07-01" };
        let sat = match i {
            0..15 => Some(Satisfaction::Satisfied),
            15..17 => Some(Satisfaction::Basic),
            17 => Some(Satisfaction::Unsatisfied),
            _ => None,
        };
        let res = match i {
            0..8 => Some(Resolution::A),
            8..16 => Some(Resolution::B),
            16..18 => Some(Resolution::C),
            _ => None,
        };
        set.proposals.push(proposal(&format!("P{i}"), x, "2025-03-01", Some(replied), sat, res));
    }
    for i in 0..10_000 {
        let (due, closed) = match i {
            0..9500 => ("2025-06-05 09:00:00", Some("2025-06-04 09:00:00")),
            9500..9800 => ("2025-06-05 09:00:00", Some("2025-06-06 09:00:00")),
            _ => ("2026-01-05 09:00:00", None),
        };
        let received = if i < 9800 { "2025-06-01 09:00:00" } else { "2025-12-30 09:00:00" };
        let mut tk = ticket(&format!("H{i:05}"), x, received, due, closed);
        tk.satisfaction = match i {
            0..5100 => Some(Satisfaction::Satisfied),
            5100..5700 => Some(Satisfaction::Basic),
            5700..6000 => Some(Satisfaction::Unsatisfied),
            _ => None,
        };
        tk.repeat = (1000..1500).contains(&i);
        tk.integrity_related = (2000..2020).contains(&i);
        tk.verified = (2000..2012).contains(&i) || (3000..3010).contains(&i);
        set.hotline.push(tk);
    }
    set.debt.push(debt(x, 2025, 200.0, 180.0, 150.0, 30.0, 0.3, 0));
    set.dishonesty.push(DishonestyRecord {
        mitigation: Mitigation::Reduced,
        ..record("X1", x, DishonestyType::Penalty, "2025-04-12")
    });
    set.ratings.push(rating(x, 2025, 88.0));
    set.honours.push(honour("HN1", x, 2025, HonourLevel::Provincial));
    set
}

#[test]
fn the_worked_example_is_reproduced_exactly() {
    let a = assess(&worked_example());
    let x = "330302";
    let expected = [
        ("commit_ontime", 15.0 * (36.0 / 38.0 - 0.6) / 0.4, 13.0263),
        ("commit_breach", 2.5, 2.5),
        ("proposal_ontime", 3.75, 3.75),
        ("proposal_satisfaction", 5.0 * (17.0 / 18.0 - 0.85) / 0.15, 3.1481),
        ("proposal_resolution", 5.0 * (12.0 / 18.0 - 0.3) / 0.5, 3.6667),
        ("hotline_ontime", 6.0 * (9500.0 / 9800.0 - 0.85) / 0.15, 4.7755),
        ("hotline_satisfaction", 5.0 * 6.0 / 6.0, 5.0),
        ("hotline_repeat", 3.0 * (0.05 - 0.15) / (0.02 - 0.15), 2.3077),
        ("hotline_integrity", 3.8, 3.8),
        ("debt_ratio", 3.0, 3.0),
        ("debt_limit", 5.0, 5.0),
        ("debt_overdue", 4.0, 4.0),
        ("debt_violations", 5.0, 5.0),
        ("dishonesty", 14.0, 14.0),
        ("public_rating", 8.0, 8.0),
    ];
    let mut sum = 0.0;
    for (id, exact, shown) in expected {
        let p = points(&a, x, id).unwrap_or_else(|| panic!("{id} is applicable"));
        assert!((p - exact).abs() < 1e-9, "{id}: {p} ≠ {exact}");
        assert_eq!(round_half_away(p, 4), shown, "{id} to 4 decimals");
        sum += p;
    }
    assert_eq!(round_half_away(sum, 4), 80.9743);
    assert!(close(f(&a, x, BASE), sum));
    assert_eq!(f(&a, x, BONUS), 2.0);
    assert_eq!(f(&a, x, TOTAL), 82.97);
    assert_eq!(grade(&a, x), "good");
    assert_eq!(opt_u(&a, x, GROUP_SIZE), Some(12));
}

#[test]
fn proposals_due_three_months_later_clamped_to_month_end() {
    let mut set = RecordSet::default();
    set.units.push(county("330302"));
    set.proposals.push(proposal("P1", "330302", "2025-11-30", Some("2026-02-27"), None, None));
    // Due 2026-02-28: not yet due on the 27th, due (and on time) on the 28th.
    let before = assess_at(&set, &[], 2025, "2026-02-27 23:59:59", None);
    assert_eq!(points(&before, "330302", "proposal_ontime"), None);
    let on = assess_at(&set, &[], 2025, "2026-02-28 00:00:00", None);
    assert_eq!(points(&on, "330302", "proposal_ontime"), Some(5.0));
    // A leap year: 2023-11-30 is due 2024-02-29; a reply on 1 March is late.
    let mut leap = RecordSet::default();
    leap.units.push(county("330302"));
    leap.proposals.push(proposal("P2", "330302", "2023-11-30", Some("2024-03-01"), None, None));
    let a = assess_at(&leap, &[], 2023, "2024-02-29 00:00:00", None);
    assert_eq!(points(&a, "330302", "proposal_ontime"), Some(0.0));
}

#[test]
fn as_of_mid_year_sees_only_what_has_happened() {
    let mut set = RecordSet::default();
    set.units.push(county("330302"));
    // C1 due before as_of and fulfilled on time. C2 and C3 are due after
    // as_of, so left out of the on-time rate mid-year: C2 will be
    // fulfilled late (counted, it would halve the rate), C3 on its due
    // date, after as_of (counted, it would be not done yet: late).
    set.commitments.push(commitment("C1", "330302", "2025-01-05", "2025-03-31", CommitmentStatus::Fulfilled, Some("2025-03-30")));
    set.commitments.push(commitment("C2", "330302", "2025-01-05", "2025-09-30", CommitmentStatus::Fulfilled, Some("2025-10-15")));
    set.commitments.push(commitment("C3", "330302", "2025-01-05", "2025-06-01", CommitmentStatus::Fulfilled, Some("2025-06-01")));
    // A ticket received after as_of does not exist; one closed after as_of
    // but due before it is late.
    set.hotline.push(ticket("H1", "330302", "2025-03-01 09:00:00", "2025-03-03 09:00:00", Some("2025-03-02 09:00:00")));
    set.hotline.push(ticket("H2", "330302", "2025-05-30 09:00:00", "2025-05-31 09:00:00", Some("2025-06-02 09:00:00")));
    set.hotline.push(ticket("H3", "330302", "2025-07-01 09:00:00", "2025-07-02 09:00:00", Some("2025-07-01 10:00:00")));
    let a = assess_at(&set, &[], 2025, "2025-05-31 12:00:00", None);
    // commit_ontime: C1 only → 1/1.
    assert_eq!(points(&a, "330302", "commit_ontime"), Some(15.0));
    // hotline_ontime: H1 on time, H2 due 31 May 09:00 and not closed by as_of → 1/2.
    assert_eq!(points(&a, "330302", "hotline_ontime"), Some(0.0));
    let rows = explain::records(
        &Inputs::from_records(&set, &Voided::default()).unwrap(),
        Ctx {
            window: &Window::new(2025, Some(t("2025-05-31 12:00:00")), t("2030-01-01 00:00:00")).unwrap(),
            rules: &rules(2025),
        },
        "330302",
        "hotline_ontime",
    )
    .unwrap()
    .unwrap();
    let ids: Vec<_> = cells(&rows, ID);
    assert_eq!(ids, ["H1", "H2"]);
    assert_eq!(cells(&rows, explain::COSTS_POINTS), ["false", "true"]);
    // The same year scored at its end counts all three: C1 and C3 on
    // time, C2 late → 2/3 on linear(0.60, 1.00) → 15 × (2/3 − 0.6) / 0.4.
    let later = assess_at(&set, &[], 2025, "2025-12-31 23:59:59", None);
    assert!(close(points(&later, "330302", "commit_ontime").unwrap(), 15.0 * (2.0 / 3.0 - 0.6) / 0.4));
}

#[test]
fn weights_are_renormalised_over_applicable_indicators() {
    let mut set = RecordSet::default();
    set.units.push(county("330302"));
    set.units.push(unit("330302001", PeerGroup::Township, Some("330302")));
    set.ratings.push(rating("330302001", 2025, 95.0));
    set.hotline.push(ticket("H1", "330302001", "2025-03-01 09:00:00", "2025-03-03 09:00:00", None));
    let a = assess(&set);
    // Applicable: commit_breach 5, hotline_ontime 6 (0 points),
    // hotline_repeat 3, hotline_integrity 5, dishonesty 15, rating 10 → Σw 44.
    // hotline_satisfaction has no rated ticket, commit_ontime no commitment.
    let expected = 100.0 * (5.0 + 0.0 + 3.0 + 5.0 + 15.0 + 10.0) / 44.0;
    assert!(close(f(&a, "330302001", BASE), expected));
    assert_eq!(points(&a, "330302001", "proposal_ontime"), None, "not for townships");
    assert_eq!(points(&a, "330302001", "debt_ratio"), None);
}

#[test]
fn deductions_stop_at_zero() {
    let mut set = RecordSet::default();
    set.units.push(county("330302"));
    set.ratings.push(rating("330302", 2025, 80.0));
    for i in 0..4 {
        set.dishonesty.push(record(&format!("J{i}"), "330302", DishonestyType::Judgment, "2025-02-01"));
        set.dishonesty.push(record(&format!("P{i}"), "330302", DishonestyType::Penalty, "2025-02-01"));
    }
    set.commitments.push(commitment("C1", "330302", "2025-01-01", "2025-02-01", CommitmentStatus::Breached, None));
    set.commitments.push(commitment("C2", "330302", "2025-01-01", "2025-12-01", CommitmentStatus::Breached, None));
    set.commitments.push(commitment("C3", "330302", "2025-01-01", "2025-12-15", CommitmentStatus::Breached, None));
    let a = assess_at(&set, &[], 2025, "2025-06-30 23:59:59", None);
    // Eight judgments and penalties: D = 16 against a weight of 15.
    assert_eq!(points(&a, "330302", "dishonesty"), Some(0.0));
    // Three breaches due in 2025 (due by as_of or not): D = 7.5 against 5.
    // (Which breaches count is commit_breach's own test.)
    assert_eq!(points(&a, "330302", "commit_breach"), Some(0.0));
}

#[test]
fn late_rectification_deducts_twice_in_every_year_it_counts() {
    let mut set = RecordSet::default();
    set.units.push(county("330302"));
    set.units.push(county("330303"));
    set.units.push(county("330304"));
    for code in ["330302", "330303", "330304"] {
        set.ratings.push(rating(code, 2024, 80.0));
        set.ratings.push(rating(code, 2025, 80.0));
    }
    // Listed in 2024, due 2024-12-31, rectified late in March 2025: active
    // in both years, 10 points each.
    set.dishonesty.push(listing("L1", "330302", "2024-06-01", "2024-12-31", Some("2025-03-01")));
    // Rectified in time: 5 in 2024, and not active in 2025 (rectified before? no: in 2024).
    set.dishonesty.push(listing("L2", "330303", "2024-06-01", "2024-12-31", Some("2024-11-01")));
    // Late with mitigation reduced: 10 × 0.5.
    set.dishonesty.push(DishonestyRecord {
        mitigation: Mitigation::Reduced,
        ..listing("L3", "330304", "2025-01-10", "2025-02-28", Some("2025-04-01"))
    });
    let y2024 = assess_at(&set, &[], 2024, "2025-06-30 23:59:59", None);
    assert_eq!(points(&y2024, "330302", "dishonesty"), Some(5.0));
    assert_eq!(points(&y2024, "330303", "dishonesty"), Some(10.0));
    let y2025 = assess(&set);
    assert_eq!(points(&y2025, "330302", "dishonesty"), Some(5.0));
    assert_eq!(points(&y2025, "330303", "dishonesty"), Some(15.0), "rectified before 2025: not active");
    assert_eq!(points(&y2025, "330304", "dishonesty"), Some(10.0));
    // Scored as of before the rectification, L1 is simply unrectified (5)
    // and past its deadline: a veto.
    let early = assess_at(&set, &[], 2025, "2025-02-01 00:00:00", None);
    assert_eq!(points(&early, "330302", "dishonesty"), Some(10.0));
    assert_eq!(grade(&early, "330302"), "fail");
}

#[test]
fn mitigation_scales_deductions() {
    let mut set = RecordSet::default();
    set.units.push(county("330302"));
    set.ratings.push(rating("330302", 2025, 80.0));
    set.dishonesty.push(DishonestyRecord {
        mitigation: Mitigation::Exempt,
        ..record("A", "330302", DishonestyType::Judgment, "2025-02-01")
    });
    set.dishonesty.push(DishonestyRecord {
        mitigation: Mitigation::Reduced,
        subject: Subject::Person,
        person_ref: Some("P-1".into()),
        ..record("B", "330302", DishonestyType::Discipline, "2025-02-01")
    });
    set.dishonesty.push(record("C", "330302", DishonestyType::Accountability, "2024-12-31"));
    let a = assess(&set);
    assert_eq!(points(&a, "330302", "dishonesty"), Some(15.0 - 0.5));
}

#[test]
fn a_veto_fails_the_unit_but_keeps_its_score_and_rank() {
    let mut set = RecordSet::default();
    for code in ["330302", "330303", "330304"] {
        set.units.push(county(code));
    }
    set.ratings.push(rating("330302", 2025, 95.0));
    set.ratings.push(rating("330303", 2025, 90.0));
    set.ratings.push(rating("330304", 2025, 85.0));
    // Two unrectified listings past deadline, reported earliest first; an
    // exempt mitigation does not lift the veto.
    set.dishonesty.push(DishonestyRecord {
        mitigation: Mitigation::Exempt,
        ..listing("L-B", "330302", "2025-03-01", "2025-05-01", None)
    });
    set.dishonesty.push(DishonestyRecord {
        mitigation: Mitigation::Exempt,
        ..listing("L-A", "330302", "2025-04-01", "2025-06-01", None)
    });
    // Deadline after as_of: no veto (yet). Person-subject listing: no veto.
    set.dishonesty.push(listing("L-C", "330303", "2025-03-01", "2026-01-31", None));
    set.dishonesty.push(DishonestyRecord {
        subject: Subject::Person,
        person_ref: Some("P-9".into()),
        ..listing("L-D", "330304", "2025-03-01", "2025-04-01", None)
    });
    let a = assess(&set);
    assert_eq!(grade(&a, "330302"), "fail");
    assert_eq!(unit_value(&a, "330302", VETO_REASON).str_value(), "L-B;L-A");
    assert_eq!(f(&a, "330302", TOTAL), 100.0);
    assert_eq!(opt_u(&a, "330302", RANK), Some(1));
    assert_eq!(unit_value(&a, "330303", VETOED), AnyValue::Boolean(false));
    assert_eq!(unit_value(&a, "330304", VETOED), AnyValue::Boolean(false));
    // Voiding the listings lifts the veto.
    let voided = assess_at(&set, &["L-A", "L-B"], 2025, "2025-12-31 23:59:59", None);
    assert_eq!(unit_value(&voided, "330302", VETOED), AnyValue::Boolean(false));
    assert_eq!(grade(&voided, "330302"), "excellent");
}

#[test]
fn competition_ranking_shares_ranks_and_skips() {
    let mut set = RecordSet::default();
    for (i, score) in [95.0, 88.0, 88.0, 70.0].into_iter().enumerate() {
        let code = format!("D{i}");
        set.units.push(unit(&code, PeerGroup::Department, None));
        set.ratings.push(rating(&code, 2025, score));
    }
    let a = assess(&set);
    let ranks: Vec<_> = (0..4).map(|i| opt_u(&a, &format!("D{i}"), RANK)).collect();
    assert_eq!(ranks, [Some(1), Some(2), Some(2), Some(4)]);
}

/// Ten departments with the given public ratings (each also has one
/// accountability record so totals differ only by the rating).
fn departments(scores: &[f64]) -> RecordSet {
    let mut set = RecordSet::default();
    for (i, score) in scores.iter().enumerate() {
        let code = format!("D{i:02}");
        set.units.push(unit(&code, PeerGroup::Department, None));
        set.ratings.push(rating(&code, 2025, *score));
    }
    set
}

#[test]
fn the_excellence_quota_admits_ties_at_the_boundary() {
    // Totals = 100 × (15 + 5 + rating points) / 30. n = 10 → quota 3.
    let set = departments(&[95.0, 94.0, 92.0, 92.0, 91.0, 60.0, 60.0, 60.0, 60.0, 60.0]);
    let a = assess(&set);
    let grades: Vec<String> = (0..10).map(|i| grade(&a, &format!("D{i:02}"))).collect();
    assert_eq!(&grades[..5], ["excellent", "excellent", "excellent", "excellent", "good"]);
    assert_eq!(opt_u(&a, "D03", RANK), Some(3));
}

#[test]
fn a_vetoed_unit_keeps_its_rank_and_nobody_moves_up() {
    let mut set = departments(&[95.0, 94.0, 93.0, 92.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0]);
    set.dishonesty.push(DishonestyRecord {
        mitigation: Mitigation::Exempt,
        ..listing("L1", "D00", "2025-01-01", "2025-02-01", None)
    });
    let a = assess(&set);
    assert_eq!(opt_u(&a, "D00", RANK), Some(1));
    assert_eq!(grade(&a, "D00"), "fail");
    assert_eq!(grade(&a, "D01"), "excellent");
    assert_eq!(grade(&a, "D02"), "excellent");
    assert_eq!(grade(&a, "D03"), "good", "rank 4 is outside the quota of 3");
}

#[test]
fn a_county_without_debt_data_is_na_and_reported() {
    let mut set = RecordSet::default();
    set.units.push(county("330302"));
    set.units.push(county("330303"));
    set.ratings.push(rating("330302", 2025, 88.0));
    set.ratings.push(rating("330303", 2025, 88.0));
    set.debt.push(debt("330303", 2025, 100.0, 120.0, 100.0, 0.0, 0.0, 3));
    let a = assess(&set);
    for id in ["debt_ratio", "debt_limit", "debt_overdue", "debt_violations"] {
        assert_eq!(points(&a, "330302", id), None, "{id}");
    }
    // 330303: ratio 1.2 → 3.0; over its limit → 0; nothing due → 0 → 5;
    // 3 violations → 5 − 7.5 → 0.
    assert!(close(points(&a, "330303", "debt_ratio").unwrap(), 3.0));
    assert_eq!(points(&a, "330303", "debt_limit"), Some(0.0));
    assert_eq!(points(&a, "330303", "debt_overdue"), Some(5.0));
    assert_eq!(points(&a, "330303", "debt_violations"), Some(0.0));
    let missing = a
        .quality
        .clone()
        .lazy()
        .filter(col(KIND).eq(lit("missing_debt")))
        .collect()
        .unwrap();
    let units: Vec<_> = cells(&missing, UNIT_CODE);
    assert_eq!(units, ["330302"]);
}

#[test]
fn a_unit_with_only_deductions_is_ungraded_and_not_counted() {
    let mut set = departments(&[95.0, 80.0]);
    set.units.push(unit("D-NEW", PeerGroup::Department, None));
    let a = assess(&set);
    assert_eq!(grade(&a, "D-NEW"), "ungraded");
    assert_eq!(opt_u(&a, "D-NEW", RANK), None);
    assert_eq!(f(&a, "D-NEW", TOTAL), 100.0);
    assert_eq!(opt_u(&a, "D00", GROUP_SIZE), Some(2));
    let listed = a
        .quality
        .clone()
        .lazy()
        .filter(col(KIND).eq(lit("ungraded")))
        .collect()
        .unwrap();
    assert_eq!(listed.height(), 1);
}

#[test]
fn honours_add_a_capped_bonus() {
    let mut set = departments(&[95.0]);
    // Two national honours: 6 points, capped at 5. (Honours of other years
    // are `honours_of_the_year_add_their_level_and_no_other_year_counts`.)
    set.honours.push(honour("N1", "D00", 2025, HonourLevel::National));
    set.honours.push(honour("N2", "D00", 2025, HonourLevel::National));
    let a = assess(&set);
    assert_eq!(f(&a, "D00", BONUS), 5.0);
    assert_eq!(f(&a, "D00", TOTAL), 105.0);
}

#[test]
fn a_voided_record_counts_for_nothing() {
    let mut set = departments(&[80.0]);
    set.dishonesty.push(record("J1", "D00", DishonestyType::Judgment, "2025-02-01"));
    set.hotline.push(ticket("H1", "D00", "2025-03-01 09:00:00", "2025-03-02 09:00:00", None));
    set.hotline.push(ticket("H2", "D00", "2025-03-01 09:00:00", "2025-03-02 09:00:00", Some("2025-03-01 12:00:00")));
    let before = assess(&set);
    assert_eq!(points(&before, "D00", "dishonesty"), Some(13.0));
    assert_eq!(points(&before, "D00", "hotline_ontime"), Some(0.0));
    let after = assess_at(&set, &["J1", "H1"], 2025, "2025-12-31 23:59:59", None);
    assert_eq!(points(&after, "D00", "dishonesty"), Some(15.0));
    assert_eq!(points(&after, "D00", "hotline_ontime"), Some(6.0));
}

#[test]
fn totals_round_half_away_from_zero() {
    let df = df!("x" => [91.875, 91.874999999999, 82.9743, 0.125, 99.995]).unwrap();
    let out = df.lazy().select([score::round_cents(col("x"))]).collect().unwrap();
    assert_eq!(cells(&out, "x"), ["91.88", "91.88", "82.97", "0.13", "100.0"]);
    assert_eq!(round_half_away(2.30765, 4), 2.3077);
}

/// A rounded total is the double nearest its decimal value (what the API
/// writes, and what a reader compares with): 101.10, not 101.10000000000001.
#[test]
fn a_rounded_total_is_the_double_nearest_its_cents() {
    let df = df!("x" => [101.0952381, 91.8166, -45.5449, 56.0]).unwrap();
    let out = df.lazy().select([score::round_cents(col("x"))]).collect().unwrap();
    let got: Vec<f64> = out.column("x").unwrap().f64().unwrap().into_no_null_iter().collect();
    assert_eq!(got, [101.1, 91.82, -45.54, 56.0]);
    assert_eq!(got.iter().map(f64::to_string).collect::<Vec<_>>(), ["101.1", "91.82", "-45.54", "56"]);
}

/// §5: the change of total and of rank against `Y − 1`; a unit with no
/// result in `Y − 1` (new this year) has neither.
#[test]
fn year_over_year_change_of_total_and_rank() {
    let mut set = departments(&[95.0, 80.0]);
    set.units.push(unit("D-NEW", PeerGroup::Department, None));
    set.ratings.push(rating("D-NEW", 2025, 60.0));
    // Totals 100 × (20 + 10 × (r − 60)/35)/30: 95 → 100.00, 80 → 85.71,
    // 60 → 66.67; ranks 1, 2, 3.
    let prev = df!(UNIT_CODE => ["D00", "D01"], TOTAL => [90.0, 99.0], RANK => [Some(2u32), Some(1u32)]).unwrap();
    let a = assess_at(&set, &[], 2025, "2025-12-31 23:59:59", Some(&prev));
    assert_eq!((f(&a, "D00", TOTAL), f(&a, "D01", TOTAL)), (100.0, 85.71));
    assert_eq!(f(&a, "D00", TOTAL_CHANGE), 10.0);
    assert_eq!(f(&a, "D01", TOTAL_CHANGE), -13.29);
    assert_eq!(unit_value(&a, "D00", RANK_CHANGE), AnyValue::Int64(1));
    assert_eq!(unit_value(&a, "D01", RANK_CHANGE), AnyValue::Int64(-1));
    assert_eq!(opt_u(&a, "D-NEW", RANK), Some(3));
    assert_eq!(unit_value(&a, "D-NEW", TOTAL_CHANGE), AnyValue::Null);
    assert_eq!(unit_value(&a, "D-NEW", RANK_CHANGE), AnyValue::Null);
}

#[test]
fn townships_are_ranked_city_wide_and_within_their_county() {
    let mut set = RecordSet::default();
    set.units.push(county("A"));
    set.units.push(county("B"));
    for (code, parent, score) in [("A1", "A", 90.0), ("A2", "A", 80.0), ("B1", "B", 85.0)] {
        set.units.push(unit(code, PeerGroup::Township, Some(parent)));
        set.ratings.push(rating(code, 2025, score));
    }
    let a = assess(&set);
    assert_eq!((opt_u(&a, "A1", RANK), opt_u(&a, "A1", COUNTY_RANK)), (Some(1), Some(1)));
    assert_eq!((opt_u(&a, "B1", RANK), opt_u(&a, "B1", COUNTY_RANK)), (Some(2), Some(1)));
    assert_eq!((opt_u(&a, "A2", RANK), opt_u(&a, "A2", COUNTY_RANK)), (Some(3), Some(2)));
    assert_eq!(opt_u(&a, "A", COUNTY_RANK), None);
}

mod rulebooks {
    use super::*;
    use crate::rulebook::RulebookError;

    fn invalid(edit: (&str, &str)) -> String {
        let text = RULEBOOK_2025.replacen(edit.0, edit.1, 1);
        assert_ne!(text, RULEBOOK_2025, "the edit applies");
        Rulebook::parse(&text).unwrap_err().to_string()
    }

    #[test]
    fn the_shipped_rulebooks_are_valid() {
        for (year, text) in [
            (2023, include_str!("../../seeds/rulebooks/2023.toml")),
            (2024, include_str!("../../seeds/rulebooks/2024.toml")),
            (2025, RULEBOOK_2025),
            (2026, include_str!("../../seeds/rulebooks/2026.toml")),
        ] {
            let book = Rulebook::parse_for(text, year).unwrap();
            assert_eq!(book.indicators.len(), 15);
            assert_eq!(book.indicators.iter().map(|r| r.weight).sum::<f64>(), 100.0);
        }
    }

    #[test]
    fn mistakes_are_rejected_with_a_reason() {
        assert!(invalid(("id = \"commit_breach\"", "id = \"commit_breech\"")).contains("unknown indicator id \"commit_breech\""));
        assert!(invalid(("weight = 15.0", "weight = 0.0")).contains("commit_ontime.weight: must be a positive number"));
        assert!(invalid(("bad = 0.60, good = 1.00", "bad = 1.0, good = 1.00")).contains("commit_ontime.good: equals the value for zero points (1); the linear function would divide by zero"));
        assert!(invalid(("excellent = 90.0", "excellent = 70.0")).contains("grades.good: must be below the excellent line 70.0, not 80.0"));
        assert!(invalid(("groups = [\"county\"]", "groups = [\"city\"]")).contains("unknown variant"));
        assert!(invalid(("kind = \"pass_fail\"", "kind = \"linear\", bad = 1.0, good = 0.0")).contains("must be PassFail"));
        assert!(invalid(("year = 2025\n", "")).contains("missing field `year`"));
    }

    /// The shipped 2025 rulebook with `extra` appended.
    fn with(extra: &str) -> String {
        Rulebook::parse(&format!("{RULEBOOK_2025}\n{extra}\n")).unwrap_err().to_string()
    }

    #[test]
    fn hostile_values_are_errors_naming_their_key_never_panics() {
        // Issue 24: a byte-offset slice of "3年" panicked; now a message
        // naming the key, its line and the expected form.
        let e = with("[personnel]\nlookback = \"3年\"");
        assert!(e.starts_with("[personnel] lookback: \"3年\" is not a whole number of years, months or days such as \"3y\", \"6m\" or \"180d\" (line "), "{e}");
        let e = with("[disclosure.period]\njudgment = { length = \"3年\" }");
        assert!(e.contains("[disclosure.period.judgment] length") && e.contains("\"3年\" is not a whole number"), "{e}");
        let e = with("[disclosure.period]\njudgment = \"sometimes\"");
        assert!(e.contains("[disclosure.period] judgment") && e.contains("expected \"never\" or a table such as { length = \"1y\" }"), "{e}");
        let e = with("[disclosure.period]\nother = \"never\"");
        assert!(e.starts_with("[disclosure.period] other: unknown variant `other`, expected one of"), "{e}");
        let e = with("[personnel]\nlookback = \"101y\"");
        assert!(e.contains("[personnel] lookback") && e.contains("from 1 day to 100 years"), "{e}");
        let e = invalid(("year = 2025", "year = 99999999999"));
        assert!(e.starts_with("year: ") && e.contains("i32"), "{e}");
        let e = invalid(("default_due_months = 3", "default_due_months = -1"));
        assert!(e.starts_with("[proposals] default_due_months: "), "{e}");
        let e = invalid(("weight = 15.0", "weight = \"15\""));
        assert!(e.starts_with("[[indicator]] #1 weight: "), "{e}");
    }

    #[test]
    fn weights_and_thresholds_must_be_finite_non_negative_and_add_up() {
        assert!(invalid(("weight = 15.0", "weight = nan")).contains("commit_ontime.weight: must be a positive number, not NaN"));
        assert!(invalid(("weight = 15.0", "weight = inf")).contains("commit_ontime.weight: must be a positive number, not inf"));
        assert!(invalid(("weight = 15.0", "weight = -1.0")).contains("commit_ontime.weight: must be a positive number, not -1.0"));
        let huge = RULEBOOK_2025.replacen("weight = 15.0", "weight = 1e308", 2);
        assert!(Rulebook::parse(&huge).unwrap_err().to_string().contains("the indicators' weights add up to more than a number can hold"));
        assert!(invalid(("bad = 0.60, good = 1.00", "bad = 0.60, good = inf")).contains("commit_ontime.good: must be a number, not inf"));
        assert!(invalid(("bad = 0.60, good = 1.00", "bad = nan, good = 1.00")).contains("commit_ontime.bad: must be a number, not NaN"));
        assert!(invalid(("bad = 0.60, good = 1.00", "bad = -1e308, good = 1e308")).contains("commit_ontime.good: is too far from the value for zero points (-1e308)"));
        assert!(invalid(("per_item = 2.5", "per_item = nan")).contains("commit_breach.per_item: must be a positive number, not NaN"));
        assert!(invalid(("excellent = 90.0", "excellent = inf")).contains("grades.excellent: must be a number, not inf"));
        assert!(invalid(("pass = 60.0", "pass = nan")).contains("grades.pass: must be a number, not NaN"));
        assert!(invalid(("pass = 60.0", "pass = -1.0")).contains("grades.pass: must be at least 0, not -1.0"));
        assert!(invalid(("excellent_quota = 0.30", "excellent_quota = nan")).contains("grades.excellent_quota: must be in (0, 1]"));
        assert!(invalid(("late_rectification_factor = 2.0", "late_rectification_factor = inf")).contains("late_rectification_factor must be a number ≥ 1, not inf"));
        assert!(invalid(("court_listing = 5.0", "court_listing = 1e308")).contains("an amount times late_rectification_factor 2.0 is more than a number can hold"));
        assert!(invalid(("court_listing = 5.0", "court_listing = -5.0")).contains("dishonesty.deduction.court_listing must be a number ≥ 0"));
        assert!(invalid(("reduced = 0.5", "reduced = nan")).contains("dishonesty.mitigation.reduced must be a factor between 0 and 1"));
        assert!(invalid(("national = 3.0\nprovincial = 2.0", "national = 1e308\nprovincial = 1e308")).contains("bonus.points add up to more than a number can hold"));
        assert!(invalid(("cap = 5.0", "cap = inf")).contains("bonus.cap must be a number ≥ 0"));
        assert!(invalid(("groups = [\"county\"]", "groups = [\"county\", \"county\"]")).contains("indicator debt_ratio: groups lists county twice"));
    }

    /// The bounds the method puts on a rulebook's numbers, at their edges:
    /// a `deduct` amount per item is positive ("D = 2.5 per breach"); the
    /// grade bands descend strictly, `excellent > good > pass ≥ 0`; the
    /// quota is a share in (0, 1]; bonus points and the cap are ≥ 0.
    #[test]
    fn the_bounds_of_a_rulebooks_numbers_hold_at_their_edges() {
        assert!(invalid(("per_item = 2.5", "per_item = 0.0")).contains("commit_breach.per_item: must be a positive number, not 0.0"));
        assert!(invalid(("excellent = 90.0", "excellent = 80.0")).contains("grades.good: must be below the excellent line 80.0, not 80.0"));
        assert!(invalid(("good = 80.0", "good = 60.0")).contains("grades.pass: must be below the good line 60.0, not 60.0"));
        assert!(invalid(("excellent_quota = 0.30", "excellent_quota = 0.0")).contains("grades.excellent_quota: must be in (0, 1]"));
        assert!(invalid(("city = 1.0", "city = -1.0")).contains("bonus.points.city must be a number ≥ 0"));
        assert!(invalid(("city = 1.0", "city = nan")).contains("bonus.points.city must be a number ≥ 0"));
        assert!(invalid(("cap = 5.0", "cap = -1.0")).contains("bonus.cap must be a number ≥ 0"));
        assert!(invalid(("late_rectification_factor = 2.0", "late_rectification_factor = 0.5")).contains("late_rectification_factor must be a number ≥ 1"));
        // The edges a rulebook may use: a pass line of 0, a quota of 1, no
        // bonus, a factor of 1 (late rectification deducts once).
        for (from, to) in [
            ("pass = 60.0", "pass = 0.0"),
            ("excellent_quota = 0.30", "excellent_quota = 1.0"),
            ("city = 1.0", "city = 0.0"),
            ("cap = 5.0", "cap = 0.0"),
            ("late_rectification_factor = 2.0", "late_rectification_factor = 1.0"),
        ] {
            assert!(Rulebook::parse(&RULEBOOK_2025.replacen(from, to, 1)).is_ok(), "{to}");
        }
    }

    /// An error's key is read from its line only when the line gives it
    /// plainly: a quoted key is not guessed at, the message names the
    /// table and `?` (and still says what is wrong).
    #[test]
    fn a_key_the_line_does_not_give_plainly_is_not_guessed() {
        let e = with("[disclosure.period]\n\"judgment\" = \"sometimes\"");
        assert!(e.starts_with("[disclosure.period] ?: ") && e.contains("expected \"never\" or a table"), "{e}");
        // `#n` names an indicator only under `[[indicator]]`: a dimension
        // whose key starts with `#` is a dimension's key.
        let e = invalid(("D6 = \"社会评价\"", "D6 = \"社会评价\"\n\"#7\" = 5"));
        assert!(e.starts_with("[dimensions] #7: "), "{e}");
    }

    #[test]
    fn a_rulebook_is_for_its_year() {
        assert_eq!(
            Rulebook::parse_for(RULEBOOK_2025, 2024).unwrap_err(),
            RulebookError::WrongYear { expected: 2024, found: 2025 }
        );
    }

    #[test]
    fn the_canonical_text_round_trips() {
        let book = Rulebook::parse(RULEBOOK_2025).unwrap();
        assert_eq!(Rulebook::parse(&book.to_toml()).unwrap(), book);
    }
}

#[test]
fn the_quality_report_lists_unknown_units_and_impossible_dates() {
    let mut set = departments(&[80.0]);
    set.hotline.push(ticket("H1", "D00", "2025-03-01 09:00:00", "2025-03-02 09:00:00", Some("2025-02-01 09:00:00")));
    set.hotline.push(ticket("H2", "NOPE", "2025-03-01 09:00:00", "2025-03-02 09:00:00", None));
    set.dishonesty.push(record("R1", "GONE", DishonestyType::Penalty, "2025-02-01"));
    let a = assess(&set);
    let q = &a.quality;
    let rows: Vec<String> = (0..q.height())
        .map(|i| {
            ["kind", "source", "unit_code", "record_id"]
                .iter()
                .map(|c| q.column(c).unwrap().get(i).unwrap().str_value().to_string())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    assert!(rows.contains(&"impossible_date/hotline/D00/H1".to_string()), "{rows:?}");
    assert!(rows.contains(&"unknown_unit/hotline/NOPE/null".to_string()), "{rows:?}");
    assert!(rows.contains(&"unknown_unit/dishonesty/GONE/R1".to_string()), "{rows:?}");
    assert!(rows.contains(&"no_records/commitments/D00/null".to_string()), "{rows:?}");
}

#[test]
fn missing_sources_are_judged_as_of_and_without_voided_records() {
    let mut set = RecordSet::default();
    set.units.push(county("330302"));
    set.ratings.push(rating("330302", 2025, 80.0));
    set.proposals.push(proposal("P1", "330302", "2025-08-01", None, None, None));
    set.commitments.push(commitment("C1", "330302", "2025-01-05", "2025-03-31", CommitmentStatus::Breached, None));
    set.debt.push(debt("330302", 2025, 100.0, 90.0, 100.0, 0.0, 1.0, 0));
    let kinds = |a: &Assessment| -> Vec<String> {
        let q = &a.quality;
        (0..q.height())
            .map(|i| format!("{}/{}", q.column(KIND).unwrap().get(i).unwrap().str_value(), q.column(SOURCE).unwrap().get(i).unwrap().str_value()))
            .collect()
    };
    // As of June the proposal has not been assigned yet; C1 is voided.
    let june = assess_at(&set, &["C1"], 2025, "2025-06-30 23:59:59", None);
    assert!(kinds(&june).contains(&"no_records/proposals".to_string()), "{:?}", kinds(&june));
    assert!(kinds(&june).contains(&"no_records/commitments".to_string()));
    assert!(kinds(&june).contains(&"inconsistent_debt/debt".to_string()));
    let december = assess(&set);
    assert!(!kinds(&december).contains(&"no_records/proposals".to_string()));
    assert!(!kinds(&december).contains(&"no_records/commitments".to_string()));
}

// ---- Rules of the method, one test each (issue 16) -----------------------

/// §2: "A plain date … is by `as_of` when it falls on or before that day":
/// a veto deadline on as_of's calendar day has passed even at its first
/// second, and a record occurring that day has happened.
#[test]
fn a_plain_date_on_as_ofs_calendar_day_is_by_as_of() {
    let mut set = departments(&[95.0]);
    set.dishonesty.push(listing("L1", "D00", "2025-03-01", "2025-06-30", None));
    let vetoed_at = |as_of: &str| grade(&assess_at(&set, &[], 2025, as_of, None), "D00") == "fail";
    assert!(vetoed_at("2025-06-30 00:00:00"), "the deadline day has come");
    assert!(!vetoed_at("2025-06-29 23:59:59"), "the day before, the deadline is still ahead");

    let mut set = departments(&[95.0]);
    set.dishonesty.push(record("J1", "D00", DishonestyType::Judgment, "2025-06-30"));
    let dishonesty_at = |as_of: &str| points(&assess_at(&set, &[], 2025, as_of, None), "D00", "dishonesty");
    assert_eq!(dishonesty_at("2025-06-30 00:00:00"), Some(15.0 - 2.0), "a judgment of that day counts");
    assert_eq!(dishonesty_at("2025-06-29 23:59:59"), Some(15.0), "not yet the day before");
}

/// §3 `proposal_ontime`: the 3-month default applies only when due_on is
/// missing; a given due_on is the deadline.
#[test]
fn an_explicit_proposal_due_on_overrides_the_three_month_default() {
    let replied_late = proposal("P1", "D00", "2025-01-10", Some("2025-02-01"), None, None);
    let mut set = departments(&[95.0]);
    set.proposals.push(replied_late.clone());
    // By default due 2025-04-10: replied in time, full points.
    assert_eq!(points(&assess(&set), "D00", "proposal_ontime"), Some(5.0));
    set.proposals[0] = Proposal { due_on: Some(d("2025-01-20")), ..replied_late };
    // Due 2025-01-20, replied 2025-02-01: late; on-time share 0 → 0 points.
    assert_eq!(points(&assess(&set), "D00", "proposal_ontime"), Some(0.0));
}

/// §5: the excellence quota is max(1, ⌊0.30 × n⌋): one place in groups of
/// one to six graded units, two from seven.
#[test]
fn the_excellence_quota_is_at_least_one_in_a_small_group() {
    // Ratings 94, 93, …, 88: distinct totals (95 and above all earn the
    // full 10 points and would tie), every one over 90.
    for (n, quota) in [(1, 1), (2, 1), (3, 1), (4, 1), (6, 1), (7, 2)] {
        let scores: Vec<f64> = (0..n).map(|i| 94.0 - f64::from(i)).collect();
        let a = assess(&departments(&scores));
        let excellent = (0..n).filter(|i| grade(&a, &format!("D{i:02}")) == "excellent").count();
        assert_eq!(excellent, quota, "n = {n}");
        for i in 0..n {
            assert!(f(&a, &format!("D{i:02}"), TOTAL) >= 90.0, "n = {n}: every unit is above the excellence line");
        }
    }
}

/// §5 bonus: national +3, provincial +2, city +1, at most +5, honours of
/// `Y` only.
#[test]
fn honours_of_the_year_add_their_level_and_no_other_year_counts() {
    let bonus = |honours: &[(i32, HonourLevel)]| {
        let mut set = departments(&[70.0]);
        for (i, (year, level)) in honours.iter().enumerate() {
            set.honours.push(honour(&format!("HN{i}"), "D00", *year, *level));
        }
        f(&assess(&set), "D00", BONUS)
    };
    assert_eq!(bonus(&[(2025, HonourLevel::City)]), 1.0);
    assert_eq!(bonus(&[(2025, HonourLevel::National)]), 3.0);
    assert_eq!(bonus(&[(2025, HonourLevel::Provincial), (2025, HonourLevel::City)]), 3.0);
    // Below the cap, an honour of another year would show if it counted.
    assert_eq!(bonus(&[(2025, HonourLevel::Provincial), (2024, HonourLevel::National), (2026, HonourLevel::City)]), 2.0);
    assert_eq!(bonus(&[(2024, HonourLevel::National)]), 0.0);
}

/// §3 hotline: "received in `Y`" is the calendar year in China Standard
/// Time, and satisfaction counts every rated ticket received by as_of,
/// due or not.
#[test]
fn hotline_tickets_count_by_the_year_they_were_received_and_ratings_whether_due_or_not() {
    let rated = |id: &str, received: &str, due: &str, sat: Satisfaction| HotlineTicket {
        satisfaction: Some(sat),
        ..ticket(id, "D00", received, due, Some(received))
    };
    let mut set = departments(&[80.0]);
    // The last second of 2024: not a ticket of 2025.
    set.hotline.push(rated("H0", "2024-12-31 23:59:59", "2025-01-02 00:00:00", Satisfaction::Unsatisfied));
    // The first second of 2025, and one received in December but due in
    // January 2026 (not yet due at the year's end).
    set.hotline.push(rated("H1", "2025-01-01 00:00:00", "2025-01-02 00:00:00", Satisfaction::Satisfied));
    set.hotline.push(rated("H2", "2025-12-30 10:00:00", "2026-01-05 10:00:00", Satisfaction::Unsatisfied));
    let a = assess(&set);
    // Satisfaction: H1 and H2 rated → 1 / 2 = 0.5, below 0.80 → 0 points.
    // Were H2 left out (not due), it would be 1.0 → 6; were H0 in, 1 / 3.
    assert_eq!(points(&a, "D00", "hotline_satisfaction"), Some(0.0));
    // On time: only H1 is due by as_of and in 2025; closed at once → 6.
    assert_eq!(points(&a, "D00", "hotline_ontime"), Some(6.0));
    let mut set = departments(&[80.0]);
    set.hotline.push(rated("H0", "2024-12-31 23:59:59", "2025-01-02 00:00:00", Satisfaction::Unsatisfied));
    assert_eq!(points(&assess(&set), "D00", "hotline_satisfaction"), None, "a 2024 ticket alone leaves the rate without a denominator");
}

/// §3 `commit_breach`: breaches "made by as_of … and due_on in `Y` (due by
/// as_of or not)": one due later this year counts, one due next year and
/// one made after as_of do not.
#[test]
fn commit_breach_counts_breaches_made_by_as_of_and_due_in_the_year() {
    let breached = CommitmentStatus::Breached;
    let mut set = departments(&[80.0]);
    set.commitments.push(commitment("C1", "D00", "2025-01-10", "2025-11-30", breached, None));
    set.commitments.push(commitment("C2", "D00", "2025-01-10", "2026-03-01", breached, None));
    set.commitments.push(commitment("C3", "D00", "2025-07-01", "2025-12-31", breached, None));
    let a = assess_at(&set, &[], 2025, "2025-06-30 23:59:59", None);
    // Only C1: D = 2.5, so 5 − 2.5.
    assert_eq!(points(&a, "D00", "commit_breach"), Some(2.5));
    // At the year's end C3 has been made too.
    assert_eq!(points(&assess(&set), "D00", "commit_breach"), Some(0.0));
}

/// §5: an ungraded unit "gets no rank and no county rank … does not count
/// in its group's size `n`"; "a vetoed unit is `fail`, never ungraded".
#[test]
fn an_ungraded_township_has_no_ranks_and_a_vetoed_unit_is_never_ungraded() {
    let mut set = RecordSet::default();
    set.units.push(county("A"));
    for code in ["A1", "A2", "A3"] {
        set.units.push(unit(code, PeerGroup::Township, Some("A")));
    }
    set.ratings.push(rating("A1", 2025, 90.0));
    set.ratings.push(rating("A2", 2025, 80.0));
    // A3 has no record behind any rate: only deduct indicators apply.
    let a = assess(&set);
    assert_eq!(grade(&a, "A3"), "ungraded");
    assert_eq!((opt_u(&a, "A3", RANK), opt_u(&a, "A3", COUNTY_RANK)), (None, None));
    assert_eq!(opt_u(&a, "A1", GROUP_SIZE), Some(2));
    assert_eq!((opt_u(&a, "A2", RANK), opt_u(&a, "A2", COUNTY_RANK)), (Some(2), Some(2)));
    // The same township with an overdue court listing: vetoed, so graded
    // `fail`, ranked (75.00, third) and counted in n.
    set.dishonesty.push(listing("L1", "A3", "2025-01-01", "2025-02-01", None));
    let a = assess(&set);
    assert_eq!(grade(&a, "A3"), "fail");
    assert_eq!((opt_u(&a, "A3", RANK), opt_u(&a, "A3", COUNTY_RANK)), (Some(3), Some(3)));
    assert_eq!(opt_u(&a, "A1", GROUP_SIZE), Some(3));
}

/// §5: totals are rounded to the cent half away from zero, and so is
/// their change from `Y − 1` (a difference of doubles): negative changes
/// round away from zero too (100.00 − 100.005 → −0.01, not −0.00).
#[test]
fn a_negative_change_of_total_rounds_half_away_from_zero() {
    let set = departments(&[95.0]);
    let prev = df!(UNIT_CODE => ["D00"], TOTAL => [100.005], RANK => [Some(1u32)]).unwrap();
    let a = assess_at(&set, &[], 2025, "2025-12-31 23:59:59", Some(&prev));
    assert_eq!(f(&a, "D00", TOTAL), 100.0);
    assert_eq!(f(&a, "D00", TOTAL_CHANGE), -0.01);
}

/// §5: "no rank change is shown where either year is ungraded".
#[test]
fn no_rank_change_where_either_year_is_ungraded() {
    let mut set = departments(&[95.0, 80.0]);
    set.units.push(unit("D-NEW", PeerGroup::Department, None));
    // D01 was ungraded last year (no rank); D-NEW is ungraded this year.
    let prev = df!(UNIT_CODE => ["D00", "D01", "D-NEW"], TOTAL => [90.0, 100.0, 85.0], RANK => [Some(1u32), None, Some(2u32)]).unwrap();
    let a = assess_at(&set, &[], 2025, "2025-12-31 23:59:59", Some(&prev));
    assert_eq!(unit_value(&a, "D00", RANK_CHANGE), AnyValue::Int64(0));
    assert_eq!(unit_value(&a, "D01", RANK_CHANGE), AnyValue::Null);
    assert_eq!(unit_value(&a, "D-NEW", RANK_CHANGE), AnyValue::Null);
}

/// The data-quality findings are hashed into a result in their order, so
/// that order must not depend on the order storage gives records in. A
/// ticket closed and due before it was received has two findings of one
/// kind, told apart only by their detail, which is therefore part of the
/// sort (polars' sort does not promise to keep ties in order).
#[test]
fn findings_keep_one_order_whatever_the_order_of_the_records() {
    let bad = |id: &str| ticket(id, "330302", "2025-05-10 10:00:00", "2025-05-09 10:00:00", Some("2025-05-08 10:00:00"));
    let fine = ticket("H3", "330302", "2025-05-10 10:00:00", "2025-05-12 10:00:00", Some("2025-05-11 10:00:00"));
    let set = |tickets: Vec<HotlineTicket>| RecordSet { units: vec![county("330302")], hotline: tickets, ..Default::default() };
    let forward = assess(&set(vec![bad("H1"), bad("H2"), fine.clone()]));
    let backward = assess(&set(vec![fine, bad("H2"), bad("H1")]));
    let ticket_findings = forward.quality.clone().lazy().filter(col(SOURCE).eq(lit("hotline"))).collect().unwrap();
    assert_eq!(ticket_findings.height(), 4, "{ticket_findings}");
    assert!(forward.quality.equals_missing(&backward.quality), "{}\n{}", forward.quality, backward.quality);
}

mod rulebook_fuzz;

#[test]
fn every_shipped_rulebooks_dimensions_have_an_english_name() {
    for text in [include_str!("../../seeds/rulebooks/2023.toml"), include_str!("../../seeds/rulebooks/2024.toml"), RULEBOOK_2025, include_str!("../../seeds/rulebooks/2026.toml")] {
        let rules = Rulebook::parse(text).unwrap();
        for name in rules.dimensions.values() {
            assert_ne!(crate::indicators::dimension_in_english(name), name.as_str(), "{name} has no English name");
        }
    }
}

// ---- Gaps a mutation tester found, one rule each (issue 26) ---------------

/// (numerator, denominator) of one indicator of one unit, as counted.
fn counted(a: &Assessment, code: &str, indicator: &str) -> (Option<f64>, Option<f64>) {
    (unit_value_of(a, code, indicator, NUMERATOR), unit_value_of(a, code, indicator, DENOMINATOR))
}

/// A department (or township) with only a public rating and the deduct
/// indicators that always apply: commit_breach (5) and dishonesty (15) at
/// full points, public_rating (10) on linear(60, 95). Σw = 30, so
/// total = 100 × (20 + 10 × (r − 60)/35)/30; solved for a total T,
/// r = 60 + 3.5 × (0.3 × T − 20).
fn rated(code: &str, group: PeerGroup, parent: Option<&str>, r: f64, set: &mut RecordSet) {
    set.units.push(unit(code, group, parent));
    set.ratings.push(rating(code, 2025, r));
}

/// §5 grades: "`excellent`: total ≥ 90, rank ≤ max(1, floor(0.30 × n))
/// …; `good`: total ≥ 80 and not excellent; `pass`: total ≥ 60; `fail`:
/// total < 60". Totals a cent either side of each line, inside the quota
/// (ten departments, quota 3) and outside it (four townships, quota 1).
#[test]
fn grade_lines_at_90_80_and_60_on_both_sides_inside_and_outside_the_quota() {
    let mut set = RecordSet::default();
    // r = 60 + 3.5 × (0.3 T − 20): 90.00 → 84.5; 89.99 → 84.4895;
    // 80.00 → 74; 79.99 → 73.9895.
    for (code, r) in [("D1", 84.5), ("D2", 84.4895), ("D3", 74.0), ("D4", 73.9895)] {
        rated(code, PeerGroup::Department, None, r, &mut set);
    }
    // Below 66.67 the rating alone cannot go: a judgment (D = 2) with a
    // rating of 60 gives 100 × 18/30 = 60.00; a judgment and a discipline
    // (D = 3) with r = 63.4895 give 100 × (17 + 10 × 3.4895/35)/30 =
    // 100 × 17.997/30 = 59.99.
    rated("D5", PeerGroup::Department, None, 60.0, &mut set);
    set.dishonesty.push(record("J5", "D5", DishonestyType::Judgment, "2025-03-01"));
    rated("D6", PeerGroup::Department, None, 63.4895, &mut set);
    set.dishonesty.push(record("J6", "D6", DishonestyType::Judgment, "2025-03-01"));
    set.dishonesty.push(record("K6", "D6", DishonestyType::Discipline, "2025-03-01"));
    // Four more at 100 × (20 − 5)/30 = 50.00 (two judgments, a discipline).
    for i in 7..=10 {
        let code = format!("D{i}");
        rated(&code, PeerGroup::Department, None, 60.0, &mut set);
        set.dishonesty.push(record(&format!("J{i}a"), &code, DishonestyType::Judgment, "2025-03-01"));
        set.dishonesty.push(record(&format!("J{i}b"), &code, DishonestyType::Judgment, "2025-03-01"));
        set.dishonesty.push(record(&format!("K{i}"), &code, DishonestyType::Discipline, "2025-03-01"));
    }
    // Townships of county A: T1 100.00 (r = 95) takes the one place;
    // T2 90.00 and T3 89.99 are outside the quota; T4 80.00.
    set.units.push(county("A"));
    for (code, r) in [("T1", 95.0), ("T2", 84.5), ("T3", 84.4895), ("T4", 74.0)] {
        rated(code, PeerGroup::Township, Some("A"), r, &mut set);
    }
    let a = assess(&set);
    let expected = [
        ("D1", 90.0, 1, "excellent"),
        ("D2", 89.99, 2, "good"),
        ("D3", 80.0, 3, "good"),
        ("D4", 79.99, 4, "pass"),
        ("D5", 60.0, 5, "pass"),
        ("D6", 59.99, 6, "fail"),
        ("D7", 50.0, 7, "fail"),
        ("T1", 100.0, 1, "excellent"),
        ("T2", 90.0, 2, "good"),
        ("T3", 89.99, 3, "good"),
        ("T4", 80.0, 4, "good"),
    ];
    for (code, total, rank, g) in expected {
        assert_eq!((f(&a, code, TOTAL), opt_u(&a, code, RANK), grade(&a, code)), (total, Some(rank), g.to_string()), "{code}");
    }
}

/// §3 `commit_ontime`: "commitments due in `Y` (due_on in `Y`, due_on ≤
/// as_of …)" and `commit_breach`: "… and due_on in `Y`". Scored as of
/// March of `Y + 1`, commitments due on the last day of `Y − 1` and on
/// the first of `Y + 1` (both by as_of) are left out.
#[test]
fn commitments_count_when_due_in_the_year_not_the_year_before_or_after() {
    let (fulfilled, breached) = (CommitmentStatus::Fulfilled, CommitmentStatus::Breached);
    let mut set = departments(&[80.0]);
    set.commitments.push(commitment("C1", "D00", "2025-01-10", "2025-06-30", fulfilled, Some("2025-06-30")));
    // Fulfilled late: were either counted, 1/2 = 0.5 < 0.60 → 0 points.
    set.commitments.push(commitment("C0", "D00", "2024-06-01", "2024-12-31", fulfilled, Some("2025-01-10")));
    set.commitments.push(commitment("C2", "D00", "2025-06-01", "2026-01-01", fulfilled, Some("2026-02-01")));
    // Breaches due in 2024 and 2026: D = 0.
    set.commitments.push(commitment("B0", "D00", "2024-06-01", "2024-12-31", breached, None));
    set.commitments.push(commitment("B2", "D00", "2025-06-01", "2026-01-01", breached, None));
    let a = assess_at(&set, &[], 2025, "2026-03-31 23:59:59", None);
    assert_eq!(counted(&a, "D00", "commit_ontime"), (Some(1.0), Some(1.0)));
    assert_eq!(points(&a, "D00", "commit_ontime"), Some(15.0));
    assert_eq!(counted(&a, "D00", "commit_breach").0, Some(0.0));
    assert_eq!(points(&a, "D00", "commit_breach"), Some(5.0));
}

/// §3 proposals: "proposals whose lead unit (主办) is the unit,
/// assigned_on in `Y`, due_on ≤ as_of". Scored as of June of `Y + 1`,
/// proposals assigned on the last day of `Y − 1` and the first days of `Y
/// + 1` (due and answered by then) are left out of all three rates.
#[test]
fn proposals_count_when_assigned_in_the_year_not_the_year_before_or_after() {
    let mut set = departments(&[80.0]);
    set.proposals.push(proposal("P1", "D00", "2025-03-01", Some("2025-04-01"), Some(Satisfaction::Satisfied), Some(Resolution::A)));
    // Each would lower every rate: replied after its due date (default
    // due date three months on), unsatisfied, class C.
    let poor = |id: &str, assigned: &str, replied: &str| proposal(id, "D00", assigned, Some(replied), Some(Satisfaction::Unsatisfied), Some(Resolution::C));
    set.proposals.push(poor("P0", "2024-12-31", "2025-05-01"));
    set.proposals.push(poor("P2", "2026-01-02", "2026-05-01"));
    let a = assess_at(&set, &[], 2025, "2026-06-30 23:59:59", None);
    for id in ["proposal_ontime", "proposal_satisfaction", "proposal_resolution"] {
        assert_eq!(counted(&a, "D00", id), (Some(1.0), Some(1.0)), "{id}");
        assert_eq!(points(&a, "D00", id), Some(5.0), "{id}");
    }
}

/// §2: "a record made, received, assigned or occurring after it is
/// ignored". A ticket received one second after as_of is in no hotline
/// rate; one received at as_of itself is.
#[test]
fn a_ticket_received_after_as_of_is_ignored() {
    let mut set = departments(&[80.0]);
    let poor = |id: &str, received: &str| HotlineTicket {
        satisfaction: Some(Satisfaction::Unsatisfied),
        repeat: true,
        integrity_related: true,
        verified: true,
        ..ticket(id, "D00", received, "2025-06-01 09:00:00", None)
    };
    set.hotline.push(HotlineTicket { satisfaction: Some(Satisfaction::Satisfied), ..ticket("H1", "D00", "2025-03-01 09:00:00", "2025-03-03 09:00:00", Some("2025-03-02 09:00:00")) });
    set.hotline.push(poor("H2", "2025-05-31 12:00:00"));
    set.hotline.push(poor("H3", "2025-05-31 12:00:01"));
    let a = assess_at(&set, &[], 2025, "2025-05-31 12:00:00", None);
    // H1 and H2 received by as_of; H3 not. Satisfaction 1/2, repeat 1/2,
    // verified integrity complaints 1 per 2 tickets = 500 per 1,000.
    assert_eq!(counted(&a, "D00", "hotline_satisfaction"), (Some(1.0), Some(2.0)));
    assert_eq!(counted(&a, "D00", "hotline_repeat"), (Some(1.0), Some(2.0)));
    assert_eq!(counted(&a, "D00", "hotline_integrity"), (Some(1.0), Some(2.0)));
    assert_eq!(unit_value_of(&a, "D00", "hotline_integrity", VALUE), Some(500.0));
    // On time: H1 only (H2 is due 1 June, after as_of).
    assert_eq!(counted(&a, "D00", "hotline_ontime"), (Some(1.0), Some(1.0)));
}

/// One column of the indicator row of `code` and `indicator`.
fn unit_value_of(a: &Assessment, code: &str, indicator: &str, column: &str) -> Option<f64> {
    let row = a
        .indicators
        .clone()
        .lazy()
        .filter(col(UNIT_CODE).eq(lit(code)).and(col(INDICATOR).eq(lit(indicator))))
        .collect()
        .unwrap();
    match row.column(column).unwrap().get(0).unwrap() {
        AnyValue::Null => None,
        v => Some(v.extract::<f64>().unwrap()),
    }
}

/// §4 table: `court_listing` 5, `judgment` 2, `penalty` 2, `discipline` 1,
/// `accountability` 1, each record alone (mitigation `none` × 1). The
/// listing's deadline is after as_of, so it is neither late nor a veto.
#[test]
fn each_record_type_deducts_the_methods_amount() {
    for (kind, amount) in [
        (DishonestyType::CourtListing, 5.0),
        (DishonestyType::Judgment, 2.0),
        (DishonestyType::Penalty, 2.0),
        (DishonestyType::Discipline, 1.0),
        (DishonestyType::Accountability, 1.0),
    ] {
        let mut set = departments(&[80.0]);
        set.dishonesty.push(DishonestyRecord { rectify_deadline: Some(d("2026-06-30")), ..record("R1", "D00", kind, "2025-02-01") });
        let a = assess(&set);
        assert_eq!(points(&a, "D00", "dishonesty"), Some(15.0 - amount), "{kind:?}");
        assert_eq!(unit_value(&a, "D00", VETOED), AnyValue::Boolean(false), "{kind:?}");
    }
}

/// §4 Voids: "the voided record counts for nothing in every computation
/// made after the decision, whatever the as_of": a void decided today
/// also holds for an as_of before the decision (and before the record's
/// deadline passed: no veto either way).
#[test]
fn a_void_holds_for_an_as_of_before_its_decision() {
    let mut set = departments(&[95.0]);
    set.dishonesty.push(record("J1", "D00", DishonestyType::Judgment, "2025-02-01"));
    set.dishonesty.push(listing("L1", "D00", "2025-02-01", "2025-03-01", None));
    let early = assess_at(&set, &["J1", "L1"], 2025, "2025-03-15 00:00:00", None);
    assert_eq!(points(&early, "D00", "dishonesty"), Some(15.0));
    assert_eq!(grade(&early, "D00"), "excellent");
    let not_voided = assess_at(&set, &[], 2025, "2025-03-15 00:00:00", None);
    assert_eq!(points(&not_voided, "D00", "dishonesty"), Some(15.0 - 2.0 - 5.0));
    assert_eq!(grade(&not_voided, "D00"), "fail", "L1 is past its deadline and not rectified");
}

/// §2: "records that carry only a year (debt, ratings, honours) apply to
/// that year whatever the `as_of`": on 1 March the year's rating, honour
/// and debt row all count.
#[test]
fn ratings_honours_and_debt_of_the_year_count_at_a_mid_year_as_of() {
    let mut set = RecordSet::default();
    set.units.push(county("330302"));
    set.ratings.push(rating("330302", 2025, 88.0));
    set.honours.push(honour("HN1", "330302", 2025, HonourLevel::Provincial));
    set.debt.push(debt("330302", 2025, 200.0, 180.0, 150.0, 30.0, 0.3, 0));
    let a = assess_at(&set, &[], 2025, "2025-03-01 00:00:00", None);
    // Rating 88 → 10 × 28/35 = 8; debt as in §8: 3, 5, 4, 5.
    assert_eq!(points(&a, "330302", "public_rating"), Some(8.0));
    assert_eq!(f(&a, "330302", BONUS), 2.0);
    assert!(close(points(&a, "330302", "debt_ratio").unwrap(), 3.0));
    assert_eq!(points(&a, "330302", "debt_limit"), Some(5.0));
    assert!(close(points(&a, "330302", "debt_overdue").unwrap(), 4.0));
    assert_eq!(points(&a, "330302", "debt_violations"), Some(5.0));
}

/// §3's table and §4–§5's amounts, transcribed from the method: every
/// shipped rulebook must hold exactly these (id, dimension, weight,
/// function, groups), in this order, and these deductions, factors,
/// bonuses, grade lines and the proposals' three months.
#[test]
fn every_shipped_rulebook_holds_the_methods_table() {
    use crate::rulebook::Function::{Deduct, Linear, PassFail};
    let all = ["county", "department", "township"];
    let cd = ["county", "department"];
    let c = ["county"];
    let table: [(&str, &str, f64, crate::rulebook::Function, &[&str]); 15] = [
        ("commit_ontime", "D1", 15.0, Linear { bad: 0.60, good: 1.00 }, &all),
        ("commit_breach", "D1", 5.0, Deduct { per_item: Some(2.5) }, &all),
        ("proposal_ontime", "D2", 5.0, Linear { bad: 0.80, good: 1.00 }, &cd),
        ("proposal_satisfaction", "D2", 5.0, Linear { bad: 0.85, good: 1.00 }, &cd),
        ("proposal_resolution", "D2", 5.0, Linear { bad: 0.30, good: 0.80 }, &cd),
        ("hotline_ontime", "D3", 6.0, Linear { bad: 0.85, good: 1.00 }, &all),
        ("hotline_satisfaction", "D3", 6.0, Linear { bad: 0.80, good: 0.98 }, &all),
        ("hotline_repeat", "D3", 3.0, Linear { bad: 0.15, good: 0.02 }, &all),
        ("hotline_integrity", "D3", 5.0, Linear { bad: 5.0, good: 0.0 }, &all),
        ("debt_ratio", "D4", 5.0, Linear { bad: 1.50, good: 1.00 }, &c),
        ("debt_limit", "D4", 5.0, PassFail, &c),
        ("debt_overdue", "D4", 5.0, Linear { bad: 0.05, good: 0.00 }, &c),
        ("debt_violations", "D4", 5.0, Deduct { per_item: Some(2.5) }, &c),
        ("dishonesty", "D5", 15.0, Deduct { per_item: None }, &all),
        ("public_rating", "D6", 10.0, Linear { bad: 60.0, good: 95.0 }, &all),
    ];
    for (year, text) in [
        (2023, include_str!("../../seeds/rulebooks/2023.toml")),
        (2024, include_str!("../../seeds/rulebooks/2024.toml")),
        (2025, RULEBOOK_2025),
        (2026, include_str!("../../seeds/rulebooks/2026.toml")),
    ] {
        let book = Rulebook::parse_for(text, year).unwrap();
        let got: Vec<_> = book.indicators.iter().map(|r| (r.id.as_str(), r.dimension.as_str(), r.weight, r.function.clone(), r.groups.iter().map(|g| g.code()).collect::<Vec<_>>())).collect();
        let want: Vec<_> = table.iter().map(|(id, dim, w, f, g)| (*id, *dim, *w, f.clone(), g.to_vec())).collect();
        assert_eq!(got, want, "{year}");
        let amounts: Vec<(&str, f64)> = book.dishonesty.deduction.iter().map(|(k, v)| (k.code(), *v)).collect();
        assert_eq!(amounts, [("court_listing", 5.0), ("judgment", 2.0), ("penalty", 2.0), ("discipline", 1.0), ("accountability", 1.0)], "{year}");
        let factors: Vec<(&str, f64)> = book.dishonesty.mitigation.iter().map(|(k, v)| (k.code(), *v)).collect();
        assert_eq!(factors, [("none", 1.0), ("reduced", 0.5), ("exempt", 0.0)], "{year}");
        assert_eq!(book.dishonesty.late_rectification_factor, 2.0, "{year}: twice its amount");
        let bonus: Vec<(&str, f64)> = book.bonus.points.iter().map(|(k, v)| (k.code(), *v)).collect();
        assert_eq!((bonus, book.bonus.cap), (vec![("national", 3.0), ("provincial", 2.0), ("city", 1.0)], 5.0), "{year}");
        let g = &book.grades;
        assert_eq!((g.excellent, g.good, g.pass, g.excellent_quota), (90.0, 80.0, 60.0, 0.30), "{year}");
        assert_eq!(book.proposals.default_due_months, 3, "{year}");
    }
}
