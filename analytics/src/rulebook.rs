//! The rulebook: one assessment year's rules as data (`seeds/rulebooks/<year>.toml`).
//!
//! Every weight, threshold, scoring function, deduction amount, grade band,
//! quota, bonus and group applicability of `assessment-method.md` lives
//! here, so an assessment team changes a year's rules without a code change.
//! The engine knows *how* to compute each indicator's value (that is the
//! method's definition of the indicator); the rulebook says how much it
//! weighs, how the value becomes points, and whom it applies to.
//!
//! [`Rulebook::parse`] validates everything and rejects mistakes with a
//! message naming the indicator and the field. Whatever the text, it
//! answers `Ok` or `Err`, never a panic: a rulebook arrives from uploads
//! and files, and a what-if page must answer 422, not drop the connection
//! (`tests/rulebook_fuzz.rs` mutates the shipped rulebooks to hold it to
//! that).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::domain::{DishonestyType, HonourLevel, Mitigation, PeerGroup};
use crate::edits;

/// The indicators the engine can compute, in the method's order. A
/// rulebook may use any subset, in any order (its order is the export's).
pub const KNOWN_INDICATORS: &[(&str, FunctionKind)] = &[
    ("commit_ontime", FunctionKind::Linear),
    ("commit_breach", FunctionKind::Deduct),
    ("proposal_ontime", FunctionKind::Linear),
    ("proposal_satisfaction", FunctionKind::Linear),
    ("proposal_resolution", FunctionKind::Linear),
    ("hotline_ontime", FunctionKind::Linear),
    ("hotline_satisfaction", FunctionKind::Linear),
    ("hotline_repeat", FunctionKind::Linear),
    ("hotline_integrity", FunctionKind::Linear),
    ("debt_ratio", FunctionKind::Linear),
    ("debt_limit", FunctionKind::PassFail),
    ("debt_overdue", FunctionKind::Linear),
    ("debt_violations", FunctionKind::Deduct),
    ("dishonesty", FunctionKind::Deduct),
    ("public_rating", FunctionKind::Linear),
];

/// Which family of scoring function an indicator uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionKind {
    Linear,
    Deduct,
    PassFail,
}

impl FunctionKind {
    /// Its name as the rulebook writes it (`kind = "pass_fail"`), which the
    /// engine's frames and the what-if form use too.
    pub fn code(self) -> &'static str {
        match self {
            FunctionKind::Linear => "linear",
            FunctionKind::Deduct => "deduct",
            FunctionKind::PassFail => "pass_fail",
        }
    }
}

/// How an indicator's value becomes points `s` in `[0, weight]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Function {
    /// `s = w × clamp((v − bad) / (good − bad), 0, 1)`; `bad > good` for
    /// "lower is better".
    Linear { bad: f64, good: f64 },
    /// `s = max(0, w − D)`. `per_item` is the deduction per counted item
    /// (breaches, violations); the dishonesty indicator takes its amounts
    /// from [`DishonestyRules`] instead and has none.
    Deduct {
        #[serde(default)]
        per_item: Option<f64>,
    },
    /// `s = w` when the condition holds, else 0.
    PassFail,
}

impl Function {
    pub fn kind(&self) -> FunctionKind {
        match self {
            Function::Linear { .. } => FunctionKind::Linear,
            Function::Deduct { .. } => FunctionKind::Deduct,
            Function::PassFail => FunctionKind::PassFail,
        }
    }
}

/// One indicator's rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorRule {
    pub id: String,
    /// The dimension's key in [`Rulebook::dimensions`], e.g. `D1`.
    pub dimension: String,
    pub weight: f64,
    pub function: Function,
    /// The peer groups it applies to.
    pub groups: Vec<PeerGroup>,
}

/// 失信记录 amounts (§4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DishonestyRules {
    /// Deduction per record type, before mitigation.
    pub deduction: BTreeMap<DishonestyType, f64>,
    /// Multiplier per mitigation (信用修复).
    pub mitigation: BTreeMap<Mitigation, f64>,
    /// A court listing rectified after its deadline deducts this many times
    /// its amount.
    pub late_rectification_factor: f64,
}

/// Bonus points for integrity honours (加分).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BonusRules {
    pub points: BTreeMap<HonourLevel, f64>,
    pub cap: f64,
}

/// Grade bands (等次) and the excellence quota.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeRules {
    pub excellent: f64,
    pub good: f64,
    pub pass: f64,
    /// Share of a group's graded units that may be excellent (ties at the
    /// boundary all qualify); at least one.
    pub excellent_quota: f64,
}

/// Proposal handling deadlines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalRules {
    /// A proposal without its own due date is due this many calendar months
    /// after assignment, clamped to the month's last day.
    pub default_due_months: u32,
}

/// A whole year's rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rulebook {
    pub year: i32,
    pub title: String,
    /// Dimension key → Chinese name, e.g. `D1 = "践诺履约"`.
    pub dimensions: BTreeMap<String, String>,
    pub proposals: ProposalRules,
    pub dishonesty: DishonestyRules,
    pub bonus: BonusRules,
    pub grades: GradeRules,
    #[serde(rename = "indicator")]
    pub indicators: Vec<IndicatorRule>,
    /// What the public pages show (integrity-records.md §1); the spec's
    /// defaults when the rulebook has no `[disclosure]` table.
    #[serde(default)]
    pub disclosure: crate::disclosure::DisclosureRules,
    /// The appointment check's look-back (integrity-records.md §4); `3y`
    /// when the rulebook has no `[personnel]` table.
    #[serde(default)]
    pub personnel: crate::personnel::PersonnelRules,
}

/// A rulebook that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RulebookError {
    #[error("the rulebook is not valid TOML or misses a field: {0}")]
    Syntax(String),
    /// A value of the wrong form: `key` names it as it is written, e.g.
    /// `[personnel] lookback (line 61)`.
    #[error("{key}: {message}")]
    Field { key: String, message: String },
    #[error("rulebook {year}: {message}")]
    Invalid { year: i32, message: String },
    /// A number the method does not allow, named in words
    /// ([`crate::edits`]).
    #[error("{0}")]
    Value(crate::edits::ValueError),
    #[error("the rulebook is for {found}, not for {expected}")]
    WrongYear { expected: i32, found: i32 },
    #[error("no rulebook for {0}: an assessment year needs its own rulebook (seeds/rulebooks/{0}.toml)")]
    Missing(i32),
}

impl Rulebook {
    /// Parses and validates a rulebook's TOML text.
    pub fn parse(text: &str) -> Result<Rulebook, RulebookError> {
        let document = toml::Deserializer::parse(text).map_err(|e| RulebookError::Syntax(located(text, &e)))?;
        let book: Rulebook = serde_path_to_error::deserialize(document).map_err(|e| {
            let at = located(text, e.inner());
            match key_of(e.path(), line_key(text, e.inner())) {
                Some(key) => RulebookError::Field { key, message: at },
                None => RulebookError::Syntax(at),
            }
        })?;
        book.validate()?;
        Ok(book)
    }

    /// Parses `text` and checks it is the rulebook for `year`.
    pub fn parse_for(text: &str, year: i32) -> Result<Rulebook, RulebookError> {
        let book = Rulebook::parse(text)?;
        if book.year != year {
            return Err(RulebookError::WrongYear { expected: year, found: book.year });
        }
        Ok(book)
    }

    pub fn indicator(&self, id: &str) -> Option<&IndicatorRule> {
        self.indicators.iter().find(|r| r.id == id)
    }

    /// Checks every rule the method states about a rulebook's numbers:
    /// weights positive, amounts and thresholds finite (TOML can write
    /// `nan` and `inf`), and sums that stay numbers, so no figure the
    /// engine computes from them is NaN or infinite.
    pub fn validate(&self) -> Result<(), RulebookError> {
        let fail = |message: String| Err(RulebookError::Invalid { year: self.year, message });
        if !(2000..=2100).contains(&self.year) {
            return fail(format!("year {} is not a plausible assessment year", self.year));
        }
        if self.indicators.is_empty() {
            return fail("it has no indicators".into());
        }
        let mut seen = BTreeSet::new();
        for rule in &self.indicators {
            let id = &rule.id;
            let Some((_, expected)) = KNOWN_INDICATORS.iter().find(|(known, _)| known == id) else {
                let known: Vec<&str> = KNOWN_INDICATORS.iter().map(|(k, _)| *k).collect();
                return fail(format!("unknown indicator id {id:?} (known: {})", known.join(", ")));
            };
            if !seen.insert(id.as_str()) {
                return fail(format!("indicator {id} is listed twice"));
            }
            if rule.function.kind() != *expected {
                return fail(format!("indicator {id}: its function must be {expected:?}, not {:?}", rule.function.kind()));
            }
            if !self.dimensions.contains_key(&rule.dimension) {
                return fail(format!("indicator {id}: unknown dimension {:?}", rule.dimension));
            }
            if rule.groups.is_empty() {
                return fail(format!("indicator {id}: it applies to no group"));
            }
            // A group listed twice would count the indicator twice for it.
            if let Some(twice) = rule.groups.iter().enumerate().find_map(|(i, g)| rule.groups[..i].contains(g).then_some(g)) {
                return fail(format!("indicator {id}: groups lists {} twice", twice.code()));
            }
            if let ("dishonesty", Function::Deduct { per_item: Some(_) }) = (id.as_str(), &rule.function) {
                return fail("indicator dishonesty: its amounts are in [dishonesty.deduction], not per_item".into());
            }
            if let (id, Function::Deduct { per_item: None }) = (id.as_str(), &rule.function)
                && id != "dishonesty"
            {
                return fail(format!("indicator {id}: per_item must be a positive number"));
            }
            if let Some(problem) = edits::indicator_problems(rule).into_iter().next() {
                return Err(RulebookError::Value(problem));
            }
        }
        let total_weight: f64 = self.indicators.iter().map(|r| r.weight).sum();
        if !total_weight.is_finite() {
            return fail("the indicators' weights add up to more than a number can hold".into());
        }
        if let Some(problem) = edits::grade_problems(&self.grades).into_iter().next() {
            return Err(RulebookError::Value(problem));
        }
        self.validate_amounts()
    }

    /// [`Self::validate`]'s part for the dishonesty amounts, the bonus and
    /// the proposal deadline.
    fn validate_amounts(&self) -> Result<(), RulebookError> {
        let fail = |message: String| Err(RulebookError::Invalid { year: self.year, message });
        for t in DishonestyType::ALL {
            match self.dishonesty.deduction.get(t) {
                Some(v) if v.is_finite() && *v >= 0.0 => {}
                _ => return fail(format!("dishonesty.deduction.{t} must be a number ≥ 0")),
            }
        }
        for m in Mitigation::ALL {
            match self.dishonesty.mitigation.get(m) {
                Some(v) if (0.0..=1.0).contains(v) => {}
                _ => return fail(format!("dishonesty.mitigation.{m} must be a factor between 0 and 1")),
            }
        }
        let factor = self.dishonesty.late_rectification_factor;
        if !(factor.is_finite() && factor >= 1.0) {
            return fail(format!("dishonesty.late_rectification_factor must be a number ≥ 1, not {factor:?}"));
        }
        if self.dishonesty.deduction.values().any(|v| !(v * factor).is_finite()) {
            return fail(format!("dishonesty.deduction: an amount times late_rectification_factor {factor:?} is more than a number can hold"));
        }
        for l in HonourLevel::ALL {
            match self.bonus.points.get(l) {
                Some(v) if v.is_finite() && *v >= 0.0 => {}
                _ => return fail(format!("bonus.points.{l} must be a number ≥ 0")),
            }
        }
        if !self.bonus.points.values().sum::<f64>().is_finite() {
            return fail("bonus.points add up to more than a number can hold".into());
        }
        if !(self.bonus.cap.is_finite() && self.bonus.cap >= 0.0) {
            return fail("bonus.cap must be a number ≥ 0".into());
        }
        if !(1..=24).contains(&self.proposals.default_due_months) {
            return fail("proposals.default_due_months must be between 1 and 24".into());
        }
        Ok(())
    }

    /// The canonical TOML text, stored with every result version so a
    /// published result names exactly the rules it was computed with.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a rulebook always serialises")
    }
}

/// A TOML error's message with the line it is on (the toml crate's own
/// text spreads over several lines with a drawing, unfit for a page).
fn located(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim_end();
    match e.span().and_then(|span| text.as_bytes().get(..span.start)) {
        Some(before) => format!("{message} (line {})", before.iter().filter(|b| **b == b'\n').count() + 1),
        None => message.to_string(),
    }
}

/// The key at the start of the error's line (`judgment` of `judgment = {
/// length = "3年" }`): the path does not record keys read as an enum (the
/// record types of `[disclosure.period]` and `[dishonesty.deduction]`).
fn line_key(text: &str, e: &toml::de::Error) -> Option<String> {
    let start = e.span()?.start;
    let (before, after) = (text.get(..start)?, text.get(start..)?);
    let line = format!("{}{}", before.rsplit('\n').next()?, after.split('\n').next()?);
    let key = line.split_once('=')?.0.trim();
    (!key.is_empty() && !key.contains(['[', '{', '"'])).then(|| key.to_string())
}

/// Where a value sits, as a rulebook's author writes it: `[personnel]
/// lookback`, `[disclosure.period] judgment`, `[[indicator]] #4 weight`
/// (the fourth indicator), `year`; `None` for the document itself.
fn key_of(path: &serde_path_to_error::Path, line_key: Option<String>) -> Option<String> {
    use serde_path_to_error::Segment;
    let parts: Vec<String> = path
        .iter()
        .map(|s| match s {
            Segment::Seq { index } => format!("#{}", index + 1),
            Segment::Map { key } => key.clone(),
            Segment::Enum { variant } => variant.clone(),
            Segment::Unknown => line_key.clone().unwrap_or_else(|| "?".to_string()),
        })
        .collect();
    match parts.as_slice() {
        [] => None,
        [key] => Some(key.clone()),
        [array, n, rest @ ..] if array == "indicator" && n.starts_with('#') => Some(format!("[[indicator]] {n} {}", rest.join(".")).trim_end().to_string()),
        [tables @ .., key] => Some(format!("[{}] {key}", tables.join("."))),
    }
}
