//! A rulebook's numbers by key: each indicator's weight and its scoring
//! function's parameters, and the grade lines. The what-if form edits
//! them without TOML ([`apply`]); [`Rulebook::validate`] states its rules
//! on them through [`indicator_problems`] and [`grade_problems`], so a
//! refusal names the value in words, in Chinese and English, wherever the
//! rulebook came from.

use crate::rulebook::{Function, GradeRules, IndicatorRule, Rulebook};

/// One of an indicator's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    Weight,
    /// `linear`: the value that earns full points.
    Good,
    /// `linear`: the value at (or beyond) which it earns none.
    Bad,
    /// `deduct`: the deduction per counted item.
    PerItem,
}

/// One of `[grades]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GradeLine {
    Excellent,
    Good,
    Pass,
    ExcellentQuota,
}

/// A number of a rulebook a person may change on a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Indicator { id: String, param: Param },
    Grade(GradeLine),
}

impl Param {
    fn code(self) -> &'static str {
        match self {
            Param::Weight => "weight",
            Param::Good => "good",
            Param::Bad => "bad",
            Param::PerItem => "per_item",
        }
    }

    /// Its name in words: (Chinese, English).
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Param::Weight => ("权重", "weight"),
            Param::Good => ("满分值", "value for full points"),
            Param::Bad => ("零分值", "value for zero points"),
            Param::PerItem => ("每项扣分", "deduction per item"),
        }
    }
}

impl GradeLine {
    pub const ALL: [GradeLine; 4] = [GradeLine::Excellent, GradeLine::Good, GradeLine::Pass, GradeLine::ExcellentQuota];

    fn code(self) -> &'static str {
        match self {
            GradeLine::Excellent => "excellent",
            GradeLine::Good => "good",
            GradeLine::Pass => "pass",
            GradeLine::ExcellentQuota => "excellent_quota",
        }
    }

    /// Its name in words: (Chinese, English).
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            GradeLine::Excellent => ("优秀分数线", "excellent line"),
            GradeLine::Good => ("良好分数线", "good line"),
            GradeLine::Pass => ("合格分数线", "pass line"),
            GradeLine::ExcellentQuota => ("优秀比例上限", "excellent quota"),
        }
    }
}

impl Key {
    fn indicator(id: &str, param: Param) -> Key {
        Key::Indicator { id: id.to_string(), param }
    }

    /// The form field's name, as the rulebook's keys read:
    /// `commit_ontime.weight`, `grades.excellent_quota`.
    pub fn name(&self) -> String {
        match self {
            Key::Indicator { id, param } => format!("{id}.{}", param.code()),
            Key::Grade(line) => format!("grades.{}", line.code()),
        }
    }

    /// The key of a form field's name, if it is one.
    pub fn from_name(name: &str) -> Option<Key> {
        let (head, tail) = name.split_once('.')?;
        if head == "grades" {
            return GradeLine::ALL.into_iter().find(|l| l.code() == tail).map(Key::Grade);
        }
        let param = [Param::Weight, Param::Good, Param::Bad, Param::PerItem].into_iter().find(|p| p.code() == tail)?;
        Some(Key::indicator(head, param))
    }

    /// The value named in words: (Chinese, English), e.g.
    /// 指标「承诺按期兑现率」的权重 / the weight of “Commitments kept on time”.
    pub fn words(&self) -> (String, String) {
        match self {
            Key::Indicator { id, param } => {
                let (zh, en) = crate::indicators::label(id);
                let (pzh, pen) = param.words();
                (format!("指标「{zh}」的{pzh}"), format!("the {pen} of “{en}”"))
            }
            Key::Grade(line) => {
                let (zh, en) = line.words();
                (format!("等次的{zh}"), format!("the grades' {en}"))
            }
        }
    }

    /// Its value in `rules`, if the rulebook has it.
    pub fn get(&self, rules: &Rulebook) -> Option<f64> {
        match self {
            Key::Indicator { id, param } => {
                let rule = rules.indicator(id)?;
                match (param, &rule.function) {
                    (Param::Weight, _) => Some(rule.weight),
                    (Param::Good, Function::Linear { good, .. }) => Some(*good),
                    (Param::Bad, Function::Linear { bad, .. }) => Some(*bad),
                    (Param::PerItem, Function::Deduct { per_item }) => *per_item,
                    _ => None,
                }
            }
            Key::Grade(line) => Some(grade(&rules.grades, *line)),
        }
    }

    /// Sets its value in `rules`; false when the rulebook has no such value.
    fn set(&self, rules: &mut Rulebook, value: f64) -> bool {
        match self {
            Key::Indicator { id, param } => {
                let Some(rule) = rules.indicators.iter_mut().find(|r| r.id == *id) else { return false };
                let slot = match (param, &mut rule.function) {
                    (Param::Weight, _) => &mut rule.weight,
                    (Param::Good, Function::Linear { good, .. }) => good,
                    (Param::Bad, Function::Linear { bad, .. }) => bad,
                    (Param::PerItem, Function::Deduct { per_item: Some(p) }) => p,
                    _ => return false,
                };
                *slot = value;
                true
            }
            Key::Grade(line) => {
                *grade_mut(&mut rules.grades, *line) = value;
                true
            }
        }
    }
}

fn grade(g: &GradeRules, line: GradeLine) -> f64 {
    match line {
        GradeLine::Excellent => g.excellent,
        GradeLine::Good => g.good,
        GradeLine::Pass => g.pass,
        GradeLine::ExcellentQuota => g.excellent_quota,
    }
}

fn grade_mut(g: &mut GradeRules, line: GradeLine) -> &mut f64 {
    match line {
        GradeLine::Excellent => &mut g.excellent,
        GradeLine::Good => &mut g.good,
        GradeLine::Pass => &mut g.pass,
        GradeLine::ExcellentQuota => &mut g.excellent_quota,
    }
}

/// The keys an indicator's function has: its weight, then `good` and
/// `bad` (linear) or `per_item` (deduct with an amount of its own).
pub fn indicator_keys(rule: &IndicatorRule) -> Vec<Key> {
    let mut keys = vec![Key::indicator(&rule.id, Param::Weight)];
    match rule.function {
        Function::Linear { .. } => keys.extend([Key::indicator(&rule.id, Param::Good), Key::indicator(&rule.id, Param::Bad)]),
        Function::Deduct { per_item: Some(_) } => keys.push(Key::indicator(&rule.id, Param::PerItem)),
        Function::Deduct { per_item: None } | Function::PassFail => {}
    }
    keys
}

/// Every key of `rules` a form offers, in the rulebook's order, the grade
/// lines last.
pub fn keys(rules: &Rulebook) -> Vec<Key> {
    let mut keys: Vec<Key> = rules.indicators.iter().flat_map(indicator_keys).collect();
    keys.extend(GradeLine::ALL.map(Key::Grade));
    keys
}

/// A value the method does not allow, at its key, with the reason in
/// Chinese and English.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {en}", .key.name())]
pub struct ValueError {
    pub key: Key,
    pub zh: String,
    pub en: String,
}

impl ValueError {
    fn new(key: Key, zh: String, en: String) -> ValueError {
        ValueError { key, zh, en }
    }

    /// The whole message in Chinese: the value in words, then the reason.
    pub fn zh_message(&self) -> String {
        format!("{}：{}", self.key.words().0, self.zh)
    }

    /// [`Self::zh_message`] with the key as a rulebook file writes it, for
    /// those who edit one.
    pub fn zh_message_with_key(&self) -> String {
        format!("{}（{}）：{}", self.key.words().0, self.key.name(), self.zh)
    }

    /// The whole message in English.
    pub fn en_message(&self) -> String {
        let words = self.key.words().1;
        let mut chars = words.chars();
        let capital: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
        format!("{capital} ({}): {}", self.key.name(), self.en)
    }
}

/// What the method requires of an indicator's numbers: a weight above 0,
/// finite thresholds that differ (the linear function divides by their
/// distance), a deduction per item above 0.
pub fn indicator_problems(rule: &IndicatorRule) -> Vec<ValueError> {
    let key = |p| Key::indicator(&rule.id, p);
    let mut out = Vec::new();
    if !(rule.weight.is_finite() && rule.weight > 0.0) {
        out.push(ValueError::new(key(Param::Weight), format!("应为大于 0 的数，现为 {}", rule.weight), format!("must be a positive number, not {:?}", rule.weight)));
    }
    match &rule.function {
        Function::Linear { bad, good } => {
            for (p, v) in [(Param::Good, good), (Param::Bad, bad)] {
                if !v.is_finite() {
                    out.push(ValueError::new(key(p), format!("应为数，现为 {v}"), format!("must be a number, not {v:?}")));
                }
            }
            if bad.is_finite() && good.is_finite() {
                if bad == good {
                    out.push(ValueError::new(
                        key(Param::Good),
                        format!("与零分值相同（都是 {good}），线性计分无法计算"),
                        format!("equals the value for zero points ({good}); the linear function would divide by zero"),
                    ));
                } else if !(good - bad).is_finite() {
                    out.push(ValueError::new(key(Param::Good), format!("与零分值 {bad:?} 相差过大，无法计算"), format!("is too far from the value for zero points ({bad:?}) to divide by their distance")));
                }
            }
        }
        Function::Deduct { per_item: Some(p) } if !(p.is_finite() && *p > 0.0) => {
            out.push(ValueError::new(key(Param::PerItem), format!("应为大于 0 的数，现为 {p}"), format!("must be a positive number, not {p:?}")));
        }
        Function::Deduct { .. } | Function::PassFail => {}
    }
    out
}

/// What the method requires of the grade lines: numbers, excellent above
/// good above pass, pass at least 0; a quota in (0, 1].
pub fn grade_problems(g: &GradeRules) -> Vec<ValueError> {
    let key = Key::Grade;
    let mut out = Vec::new();
    for (line, v) in [(GradeLine::Excellent, g.excellent), (GradeLine::Good, g.good), (GradeLine::Pass, g.pass)] {
        if !v.is_finite() {
            out.push(ValueError::new(key(line), format!("应为数，现为 {v}"), format!("must be a number, not {v:?}")));
        }
    }
    if out.is_empty() {
        if g.good >= g.excellent {
            out.push(ValueError::new(key(GradeLine::Good), format!("应低于优秀分数线 {}，现为 {}", g.excellent, g.good), format!("must be below the excellent line {:?}, not {:?}", g.excellent, g.good)));
        }
        if g.pass >= g.good {
            out.push(ValueError::new(key(GradeLine::Pass), format!("应低于良好分数线 {}，现为 {}", g.good, g.pass), format!("must be below the good line {:?}, not {:?}", g.good, g.pass)));
        } else if g.pass < 0.0 {
            out.push(ValueError::new(key(GradeLine::Pass), format!("不应小于 0，现为 {}", g.pass), format!("must be at least 0, not {:?}", g.pass)));
        }
    }
    let q = g.excellent_quota;
    if !(q > 0.0 && q <= 1.0) {
        out.push(ValueError::new(key(GradeLine::ExcellentQuota), format!("应大于 0、不超过 1（0.30 即 30%），现为 {q}"), format!("must be in (0, 1] (0.30 is 30%), not {q:?}")));
    }
    out
}

/// The largest weight the form takes: an indicator is scored in points of
/// a total out of 100.
pub const MAX_WEIGHT: f64 = 100.0;

/// A form's text as a number: trimmed, full-width digits and signs (as a
/// Chinese input method types them) read as ASCII.
pub fn number(text: &str) -> Option<f64> {
    let ascii: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' | '。' => '.',
            '－' => '-',
            '＋' => '+',
            other => other,
        })
        .collect();
    ascii.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// One submitted value read and checked on its own.
fn read(key: &Key, text: &str) -> Result<f64, ValueError> {
    let fail = |zh: String, en: String| Err(ValueError::new(key.clone(), zh, en));
    if text.trim().is_empty() {
        return fail("未填写".into(), "is empty".into());
    }
    let Some(v) = number(text) else {
        return fail(format!("应为数，现为「{}」", text.trim()), format!("must be a number, not “{}”", text.trim()));
    };
    match key {
        Key::Indicator { param: Param::Weight, .. } if !(v > 0.0 && v <= MAX_WEIGHT) => fail(format!("应为大于 0、不超过 100 的数，现为 {v}"), format!("must be above 0 and at most 100, not {v}")),
        Key::Indicator { param: Param::PerItem, .. } if v <= 0.0 => fail(format!("应为大于 0 的数，现为 {v}"), format!("must be a positive number, not {v}")),
        Key::Grade(GradeLine::Excellent | GradeLine::Good | GradeLine::Pass) if !(0.0..=105.0).contains(&v) => {
            fail(format!("应在 0 到 105 之间（总分最高 105），现为 {v}"), format!("must be from 0 to 105 (the highest total), not {v}"))
        }
        _ => Ok(v),
    }
}

/// `rules` with the submitted `values` (form field name → text) put in
/// place of its own; a key not submitted keeps its value, a name that is
/// no key is ignored. Every value is checked on its own and then with the
/// others (thresholds that coincide, grade lines out of order); the
/// answer lists every problem, in the form's order, not only the first.
pub fn apply(rules: &Rulebook, values: &[(String, String)]) -> Result<Rulebook, Vec<ValueError>> {
    let mut edited = rules.clone();
    let mut errors = Vec::new();
    for key in keys(rules) {
        let name = key.name();
        let Some((_, text)) = values.iter().rev().find(|(n, _)| *n == name) else { continue };
        match read(&key, text) {
            Ok(v) => {
                key.set(&mut edited, v);
            }
            Err(e) => errors.push(e),
        }
    }
    let failed: Vec<Key> = errors.iter().map(|e| e.key.clone()).collect();
    let mut together: Vec<ValueError> = edited.indicators.iter().flat_map(indicator_problems).collect();
    together.extend(grade_problems(&edited.grades));
    errors.extend(together.into_iter().filter(|e| !failed.contains(&e.key)));
    let order = keys(rules);
    errors.sort_by_key(|e| order.iter().position(|k| *k == e.key));
    if errors.is_empty() { Ok(edited) } else { Err(errors) }
}

/// The keys whose value differs between `a` and `b`, in `a`'s order.
pub fn changed(a: &Rulebook, b: &Rulebook) -> Vec<Key> {
    keys(a).into_iter().filter(|k| k.get(a).map(f64::to_bits) != k.get(b).map(f64::to_bits)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rulebook {
        Rulebook::parse(include_str!("../../seeds/rulebooks/2025.toml")).unwrap()
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn every_indicator_offers_only_the_parameters_its_function_has() {
        let names: Vec<String> = keys(&rules()).iter().map(Key::name).collect();
        assert_eq!(&names[..5], ["commit_ontime.weight", "commit_ontime.good", "commit_ontime.bad", "commit_breach.weight", "commit_breach.per_item"]);
        assert!(names.contains(&"debt_limit.weight".to_string()) && !names.iter().any(|n| n.starts_with("debt_limit.") && n != "debt_limit.weight"));
        assert!(names.contains(&"dishonesty.weight".to_string()) && !names.contains(&"dishonesty.per_item".to_string()));
        assert_eq!(&names[names.len() - 4..], ["grades.excellent", "grades.good", "grades.pass", "grades.excellent_quota"]);
        for name in &names {
            assert_eq!(Key::from_name(name).map(|k| k.name()).as_deref(), Some(name.as_str()));
        }
    }

    #[test]
    fn the_submitted_values_replace_the_rulebooks_and_nothing_else() {
        let base = rules();
        let unchanged: Vec<(String, String)> = keys(&base).iter().map(|k| (k.name(), format!("{}", k.get(&base).unwrap()))).collect();
        assert_eq!(apply(&base, &unchanged).unwrap(), base, "the form as given changes nothing");
        let edited = apply(&base, &form(&[("public_rating.weight", "30"), ("public_rating.bad", " ５０ "), ("grades.excellent_quota", "0.2"), ("csrf", "x")])).unwrap();
        assert_eq!(edited.indicator("public_rating").unwrap().weight, 30.0);
        assert_eq!(edited.indicator("public_rating").unwrap().function, Function::Linear { bad: 50.0, good: 95.0 });
        assert_eq!(edited.grades.excellent_quota, 0.2);
        let names: Vec<String> = changed(&base, &edited).iter().map(Key::name).collect();
        assert_eq!(names, ["public_rating.weight", "public_rating.bad", "grades.excellent_quota"]);
        assert!(edited.validate().is_ok());
    }

    #[test]
    fn every_refusal_names_the_value_in_words_and_says_why() {
        let base = rules();
        let errors = apply(&base, &form(&[("grades.good", "95"), ("commit_ontime.weight", "150"), ("commit_breach.per_item", "abc"), ("hotline_ontime.good", "0.85"), ("debt_ratio.weight", "")])).unwrap_err();
        let zh: Vec<String> = errors.iter().map(ValueError::zh_message).collect();
        assert_eq!(
            zh,
            [
                "指标「承诺按期兑现率」的权重：应为大于 0、不超过 100 的数，现为 150",
                "指标「承诺违约」的每项扣分：应为数，现为「abc」",
                "指标「热线按期办结率」的满分值：与零分值相同（都是 0.85），线性计分无法计算",
                "指标「债务率」的权重：未填写",
                "等次的良好分数线：应低于优秀分数线 90，现为 95",
            ]
        );
        assert_eq!(errors[0].en_message(), "The weight of “Commitments kept on time” (commit_ontime.weight): must be above 0 and at most 100, not 150");
    }

    #[test]
    fn validation_names_the_key_too() {
        let mut book = rules();
        book.grades.excellent_quota = 0.0;
        match book.validate() {
            Err(crate::rulebook::RulebookError::Value(e)) => assert_eq!(e.zh_message(), "等次的优秀比例上限：应大于 0、不超过 1（0.30 即 30%），现为 0"),
            other => panic!("{other:?}"),
        }
    }
}
