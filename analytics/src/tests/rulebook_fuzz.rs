//! A mutation fuzzer for rulebooks, on stable Rust (cargo-fuzz needs a
//! nightly toolchain this project does not use; proptest would be a new
//! dependency for what fifty lines of mutations do).
//!
//! Each case is either a shipped rulebook mutated one to three times
//! (numbers replaced by `nan`, `inf`, `-1`, `1e308`, integers past 64 bits
//! or plausible ones; strings by unicode and odd lengths of time such as
//! `"3年"`; `[personnel]` and `[disclosure]` tables added; lines
//! deleted, duplicated, swapped; tables duplicated; hostile snippets and
//! stray characters inserted; the text cut short) or an arbitrary document
//! made of the rulebook's own keys and tables with random values. Each is
//! parsed, and what parses is used as the server uses it: its canonical
//! text read back, its formulas printed, its disclosure and look-back
//! periods applied to extreme dates, and a small year scored with it.
//! Whatever the text, nothing may panic.
//!
//! It runs `ZHENGXIN_RULEBOOK_FUZZ_CASES` cases (300 by default, a few
//! seconds, so every test run fuzzes a little), or for
//! `ZHENGXIN_RULEBOOK_FUZZ_SECONDS` when that is set
//! (`scripts/fuzz-rulebook` runs it for ten minutes), from the seed
//! `ZHENGXIN_RULEBOOK_FUZZ_SEED` (default fixed, so a failure repeats). A
//! failing input is written to `$CARGO_TARGET_DIR/tmp/rulebook-fuzz-failure.toml`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use super::*;
use crate::disclosure::RecordFacts;
use crate::personnel::PersonRecordFacts;

/// Reproducible draws: ChaCha8 from its seed, as the robustness
/// simulation draws.
struct Rng(rand_chacha::ChaCha8Rng);

impl Rng {
    fn seeded(seed: u64) -> Rng {
        Rng(rand::SeedableRng::seed_from_u64(seed))
    }
    fn below(&mut self, n: usize) -> usize {
        rand::RngExt::random_range(&mut self.0, 0..n.max(1))
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const SHIPPED: [&str; 4] = [
    include_str!("../../../seeds/rulebooks/2023.toml"),
    include_str!("../../../seeds/rulebooks/2024.toml"),
    include_str!("../../../seeds/rulebooks/2025.toml"),
    include_str!("../../../seeds/rulebooks/2026.toml"),
];

const NUMBERS: &[&str] = &[
    "nan",
    "+nan",
    "-nan",
    "inf",
    "+inf",
    "-inf",
    "-1",
    "-1.0",
    "0",
    "0.0",
    "-0.0",
    "1",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "5e-324",
    "1e-320",
    "99999999999999999999",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967295",
    "4294967296",
    "2147483647",
    "2147483648",
    "-2147483649",
    "2100",
    "1999",
    "0.30",
    "1.0000000000000002",
    "0x10",
    "1_000",
    "true",
    "\"5\"",
    "[]",
    "{}",
];

/// Numbers a rulebook's author might write: they keep many mutants valid,
/// so validation's edges and the engine are reached too.
const PLAUSIBLE: &[&str] = &["0.5", "1.0", "2.5", "3", "10.0", "24", "25", "99.9", "100.0", "1e-9", "0.001", "1e6", "2030"];

/// Lengths of time, valid and not.
const SPANS: &[&str] = &["1y", "6m", "90d", "100y", "1200m", "36600d", "3年", "0d", "101y", "y", "3", "", "1w"];

const STRINGS: &[&str] = &[
    "3年",
    "年",
    "",
    " ",
    "y",
    "3",
    "0y",
    "-3y",
    "+3y",
    "3Y",
    "3 y",
    "3ｙ",
    "３y",
    "٣y",
    "1.5y",
    "y3",
    "3年y",
    "99999999999y",
    "4294967295d",
    "4294967296d",
    "36600d",
    "36601d",
    "1200m",
    "1201m",
    "100y",
    "101y",
    "never",
    "never ",
    "Never",
    "rectified_on",
    "occurred_on",
    "linear",
    "deduct",
    "pass_fail",
    "county",
    "city",
    "🙂",
    "\\u0000",
    "\\uD800",
    "D1",
    "\u{202e}D1",
    "\u{0301}",
    "𝟛y",
];

const SNIPPETS: &[&str] = &[
    "[personnel]\nlookback = \"3年\"\n",
    "[personnel]\nlookback = \"5y\"\n",
    "[disclosure]\nresults_detail = true\n",
    "[disclosure.period]\njudgment = { length = \"3年\" }\n",
    "[disclosure.period]\npenalty = { length = \"1y\", minimum = \"3m\", from = \"rectified_on\" }\n",
    "[disclosure.period]\ndiscipline = \"never\"\ncourt_listing = { length = \"100y\", from = \"rectified_on\" }\n",
    "[disclosure.period]\njudgment = { length = \"1y\", extra = 1 }\n",
    "[disclosure.period]\njudgment = 5\n",
    "[[indicator]]\nid = \"public_rating\"\ndimension = \"D6\"\nweight = 1e308\nfunction = { kind = \"linear\", bad = -1e308, good = 1e308 }\ngroups = [\"county\"]\n",
    "[[indicator]]\nid = \"debt_limit\"\ndimension = \"D4\"\nweight = 5.0\nfunction = { kind = \"pass_fail\" }\ngroups = [\"county\", \"county\"]\n",
    "[grades]\nexcellent = inf\n",
    "[bonus.points]\nnational = 1e308\n",
    "year = 2025\n",
    "[dimensions]\nD9 = \"新\"\n",
    "\u{feff}",
    "[[indicator]]\n",
    "[a.b.c]\nd = [1, \"x\", { e = nan }]\n",
];

const TABLES: &[&str] = &[
    "dimensions",
    "proposals",
    "dishonesty",
    "dishonesty.deduction",
    "dishonesty.mitigation",
    "bonus",
    "bonus.points",
    "grades",
    "disclosure",
    "disclosure.period",
    "personnel",
    "[indicator]",
];

const KEYS: &[&str] = &[
    "year",
    "title",
    "default_due_months",
    "late_rectification_factor",
    "court_listing",
    "judgment",
    "penalty",
    "discipline",
    "accountability",
    "none",
    "reduced",
    "exempt",
    "cap",
    "national",
    "provincial",
    "city",
    "excellent",
    "good",
    "pass",
    "excellent_quota",
    "results_detail",
    "lookback",
    "id",
    "dimension",
    "weight",
    "function",
    "groups",
    "D1",
    "length",
    "from",
    "minimum",
];

/// Byte offsets at which the text may be cut without splitting a
/// character (the fuzzer must not be the one to panic).
fn boundary(rng: &mut Rng, text: &str) -> usize {
    let mut at = rng.below(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Replaces the value after one `key = ` with `value`.
fn replace_value(rng: &mut Rng, lines: &mut [String], value: &str) {
    let candidates: Vec<usize> = (0..lines.len()).filter(|i| lines[*i].contains(" = ")).collect();
    if candidates.is_empty() {
        return;
    }
    let i = *rng.pick(&candidates);
    let line = &lines[i];
    // Inside an inline table, one of its values; else the whole value.
    let eqs: Vec<usize> = line.match_indices(" = ").map(|(at, _)| at + 3).collect();
    let start = *rng.pick(&eqs);
    let end = line[start..].find([',', '}']).map_or(line.len(), |e| start + e);
    lines[i] = format!("{}{value}{}", &line[..start], &line[end..]);
}

/// A `[personnel]` or `[disclosure]` table at the end, often valid.
fn own_table(rng: &mut Rng) -> String {
    if rng.below(2) == 0 {
        format!("[personnel]\nlookback = \"{}\"", rng.pick(SPANS))
    } else {
        let kind = rng.pick(&["court_listing", "judgment", "penalty", "discipline", "accountability", "other"]);
        let period = match rng.below(4) {
            0 => "\"never\"".to_string(),
            1 => format!("{{ length = \"{}\" }}", rng.pick(SPANS)),
            2 => format!(
                "{{ length = \"{}\", from = \"{}\" }}",
                rng.pick(SPANS),
                rng.pick(&["rectified_on", "occurred_on", "never"])
            ),
            _ => format!("{{ length = \"{}\", minimum = \"{}\" }}", rng.pick(SPANS), rng.pick(SPANS)),
        };
        format!("[disclosure]\nresults_detail = {}\n[disclosure.period]\n{kind} = {period}", rng.below(2) == 0)
    }
}

fn mutate_once(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    match rng.below(13) {
        0 | 1 => {
            let n = *rng.pick(NUMBERS);
            replace_value(rng, &mut lines, n);
        }
        2 | 3 => {
            let n = *rng.pick(PLAUSIBLE);
            replace_value(rng, &mut lines, n);
        }
        4 => {
            let s = format!("\"{}\"", rng.pick(STRINGS));
            replace_value(rng, &mut lines, &s);
        }
        5 | 6 => lines.push(own_table(rng)),
        7 if !lines.is_empty() => {
            let i = rng.below(lines.len());
            lines.remove(i);
        }
        8 if !lines.is_empty() => {
            let i = rng.below(lines.len());
            let line = lines[i].clone();
            lines.insert(rng.below(lines.len() + 1), line);
        }
        9 => {
            // A table header (and what follows it, up to the next) again.
            let headers: Vec<usize> = (0..lines.len()).filter(|i| lines[*i].starts_with('[')).collect();
            if let Some(&h) = headers.get(rng.below(headers.len().max(1))) {
                let end = (h + 1..lines.len()).find(|i| lines[*i].starts_with('[')).unwrap_or(lines.len());
                let block: Vec<String> = lines[h..end].to_vec();
                let at = rng.below(lines.len() + 1);
                lines.splice(at..at, block);
            }
        }
        10 => {
            let at = rng.below(lines.len() + 1);
            lines.insert(at, rng.pick(SNIPPETS).to_string());
        }
        11 if lines.len() > 1 => {
            let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
            lines.swap(a, b);
        }
        _ => {
            let mut out = lines.join("\n");
            let at = boundary(rng, &out);
            if rng.below(3) == 0 {
                out.truncate(at);
            } else {
                let c = *rng.pick(&['"', '\'', '[', ']', '{', '}', '=', '\n', '#', '\\', '年', '\u{0}', '.', ',', '-']);
                out.insert(at, c);
            }
            return out;
        }
    }
    lines.join("\n")
}

/// A document of the rulebook's own keys and tables with random values.
fn arbitrary(rng: &mut Rng) -> String {
    let mut out = String::new();
    for _ in 0..rng.below(40) {
        match rng.below(6) {
            0 => out.push_str(&format!("[{}]\n", rng.pick(TABLES))),
            1 => out.push_str(*rng.pick(SNIPPETS)),
            _ => {
                let value = match rng.below(5) {
                    0 => rng.pick(NUMBERS).to_string(),
                    1 => format!("\"{}\"", rng.pick(STRINGS)),
                    2 => format!("[\"{}\", \"{}\"]", rng.pick(&["county", "department", "township", "city"]), rng.pick(STRINGS)),
                    3 => format!(
                        "{{ kind = \"{}\", bad = {}, good = {} }}",
                        rng.pick(&["linear", "deduct", "pass_fail", "x"]),
                        rng.pick(NUMBERS),
                        rng.pick(NUMBERS)
                    ),
                    _ => format!("{{ length = \"{}\", from = \"{}\" }}", rng.pick(STRINGS), rng.pick(STRINGS)),
                };
                out.push_str(&format!("{} = {value}\n", rng.pick(KEYS)));
            }
        }
    }
    out
}

fn case(rng: &mut Rng) -> String {
    if rng.below(5) == 0 {
        return arbitrary(rng);
    }
    let mut text = rng.pick(&SHIPPED).to_string();
    // A third of the cases change one thing an author might: these mostly
    // parse, and reach validation's edges and the engine.
    if rng.below(3) == 0 {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        match rng.below(3) {
            0 => lines.push(own_table(rng)),
            _ => {
                let n = *rng.pick(PLAUSIBLE);
                replace_value(rng, &mut lines, n)
            }
        }
        return lines.join("\n");
    }
    for _ in 0..=rng.below(3) {
        text = mutate_once(rng, &text);
    }
    text
}

/// A small year touching every source, for scoring with a rulebook that
/// parsed.
fn small_year() -> RecordSet {
    let mut set = departments(&[70.0, 85.0, 95.0]);
    set.units.push(county("330302"));
    set.units.push(unit("330302001", PeerGroup::Township, Some("330302")));
    set.ratings.push(rating("330302", 2025, 88.0));
    set.commitments.push(commitment(
        "C1",
        "330302",
        "2025-01-01",
        "2025-06-30",
        CommitmentStatus::Fulfilled,
        Some("2025-06-01"),
    ));
    set.commitments
        .push(commitment("C2", "330302", "2025-01-01", "2025-06-30", CommitmentStatus::Breached, None));
    set.proposals.push(proposal(
        "P1",
        "330302",
        "2025-03-01",
        Some("2025-04-15"),
        Some(Satisfaction::Basic),
        Some(Resolution::B),
    ));
    set.hotline.push(ticket(
        "H1",
        "330302001",
        "2025-06-01 09:00:00",
        "2025-06-05 09:00:00",
        Some("2025-06-06 09:00:00"),
    ));
    set.debt.push(debt("330302", 2025, 200.0, 180.0, 150.0, 30.0, 0.3, 1));
    set.dishonesty.push(record("R1", "330302", DishonestyType::Penalty, "2025-04-12"));
    set.dishonesty.push(listing("R2", "330302", "2024-05-01", "2025-03-01", Some("2025-05-01")));
    set.honours.push(honour("HN1", "330302", 2025, HonourLevel::National));
    set
}

/// Everything the server does with a rulebook, on one text; whether it
/// parsed.
fn use_everything(text: &str, inputs: &Inputs) -> bool {
    let book = match Rulebook::parse(text) {
        Ok(book) => book,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return false;
        }
    };
    assert_eq!(Rulebook::parse(&book.to_toml()).as_ref(), Ok(&book), "the canonical text reads back");
    for r in &book.indicators {
        let _ = explain::formula(r);
    }
    for day in [NaiveDate::MIN, d("2025-03-01"), NaiveDate::MAX] {
        let _ = book.personnel.since(day);
        for kind in DishonestyType::ALL {
            let facts = RecordFacts {
                kind: *kind,
                of_a_body: true,
                occurred_on: day,
                rectified_on: Some(day),
                voided: false,
                repaired_on: Some(day),
            };
            let _ = book.disclosure.shown_on(&facts, day);
            let person = PersonRecordFacts {
                kind: *kind,
                occurred_on: day,
                mitigation: Mitigation::Reduced,
                voided: false,
            };
            let _ = book.personnel.restricts(&person, day);
        }
    }
    let window = Window::new(book.year, None, t("2101-01-01 00:00:00")).unwrap();
    score::assess(inputs, &book, &window, None).unwrap();
    true
}

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|s| s.parse().ok())
}

#[test]
fn mutated_rulebooks_never_make_parsing_or_scoring_panic() {
    let seconds: Option<f64> = env("ZHENGXIN_RULEBOOK_FUZZ_SECONDS");
    let cases: u64 = env("ZHENGXIN_RULEBOOK_FUZZ_CASES").unwrap_or(300);
    let mut rng = Rng::seeded(env("ZHENGXIN_RULEBOOK_FUZZ_SEED").unwrap_or(0x5EED_2024));
    let inputs = Inputs::from_records(&small_year(), &Voided::default()).unwrap();
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs_f64(s));
    let started = Instant::now();
    let (mut runs, mut parsed) = (0u64, 0u64);
    while deadline.map_or(runs < cases, |d| Instant::now() < d) {
        let text = case(&mut rng);
        let Ok(used) = catch_unwind(AssertUnwindSafe(|| use_everything(&text, &inputs))) else {
            let dir = std::path::PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into())).join("tmp");
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join("rulebook-fuzz-failure.toml");
            let _ = std::fs::write(&path, &text);
            panic!("a mutated rulebook panicked after {runs} cases; the input is in {}", path.display());
        };
        parsed += u64::from(used);
        runs += 1;
    }
    eprintln!(
        "rulebook fuzz: {runs} cases ({parsed} parsed and scored) in {:.0} s without a panic",
        started.elapsed().as_secs_f64()
    );
    assert!(runs > 0);
}
