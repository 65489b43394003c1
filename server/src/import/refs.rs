//! The unit register as seen by one import: units already stored plus the
//! units of the import's own units file, for resolving `unit_code` and
//! `unit_name` cells and suggesting the names a user probably meant.

use std::collections::HashMap;

use crate::db::units::UnitRef;

#[derive(Debug, Default)]
pub struct UnitIndex {
    by_code: HashMap<String, UnitRef>,
    by_name: HashMap<String, Vec<String>>,
}

/// How a unit cell resolved.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved<'a> {
    Found(&'a UnitRef),
    Unknown { suggestions: Vec<String> },
    Ambiguous { codes: Vec<String> },
}

impl UnitIndex {
    pub fn new(units: impl IntoIterator<Item = UnitRef>) -> UnitIndex {
        let mut index = UnitIndex::default();
        for u in units {
            index.insert(u);
        }
        index
    }

    /// Adds or replaces a unit (a units file may rename a stored unit).
    pub fn insert(&mut self, unit: UnitRef) {
        if let Some(old) = self.by_code.get(&unit.code)
            && let Some(codes) = self.by_name.get_mut(&old.name)
        {
            codes.retain(|c| c != &unit.code);
        }
        self.by_name.entry(unit.name.clone()).or_default().push(unit.code.clone());
        self.by_code.insert(unit.code.clone(), unit);
    }

    pub fn get(&self, code: &str) -> Option<&UnitRef> {
        self.by_code.get(code)
    }

    pub fn by_code(&self, code: &str) -> Resolved<'_> {
        match self.by_code.get(code) {
            Some(u) => Resolved::Found(u),
            None => Resolved::Unknown {
                suggestions: self.suggest(code, |u| &u.code),
            },
        }
    }

    /// The code of the one unit with exactly this name, without working
    /// out suggestions when there is none.
    pub fn by_name_exact(&self, name: &str) -> Option<&str> {
        match self.by_name.get(name).map(Vec::as_slice) {
            Some([code]) => Some(code.as_str()),
            _ => None,
        }
    }

    /// Only an exact name is accepted; anything else gets suggestions.
    pub fn by_name(&self, name: &str) -> Resolved<'_> {
        match self.by_name.get(name).map(Vec::as_slice) {
            Some([code]) => Resolved::Found(&self.by_code[code]),
            Some(codes) if !codes.is_empty() => Resolved::Ambiguous { codes: codes.to_vec() },
            _ => Resolved::Unknown {
                suggestions: self.suggest(name, |u| &u.name),
            },
        }
    }

    /// Up to three units whose code or name (per `field`) is closest to
    /// `wanted`, as "name (code)"; containment counts as closest.
    fn suggest(&self, wanted: &str, field: fn(&UnitRef) -> &String) -> Vec<String> {
        let wanted_len = wanted.chars().count().max(1);
        let mut scored: Vec<(usize, &UnitRef)> = self
            .by_code
            .values()
            .filter_map(|u| {
                let candidate = field(u);
                let distance = if candidate.contains(wanted) || wanted.contains(candidate.as_str()) {
                    0
                } else {
                    strsim::levenshtein(wanted, candidate)
                };
                (distance <= (wanted_len / 2).max(2)).then_some((distance, u))
            })
            .collect();
        scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.code.cmp(&b.1.code)));
        scored.into_iter().take(3).map(|(_, u)| format!("{} ({})", u.name, u.code)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, name: &str, group: &str, parent: Option<&str>) -> UnitRef {
        UnitRef {
            code: code.into(),
            name: name.into(),
            group: group.into(),
            parent_code: parent.map(Into::into),
        }
    }

    fn index() -> UnitIndex {
        UnitIndex::new([
            unit("330302", "鹿城区", "county", None),
            unit("330303", "龙湾区", "county", None),
            unit("330302006", "五马街道", "township", Some("330302")),
            unit("T1", "城关镇", "township", Some("330302")),
            unit("T2", "城关镇", "township", Some("330303")),
        ])
    }

    #[test]
    fn exact_names_resolve_and_near_misses_get_suggestions() {
        let idx = index();
        assert!(matches!(idx.by_name("鹿城区"), Resolved::Found(u) if u.code == "330302"));
        assert_eq!(
            idx.by_name("鹿城"),
            Resolved::Unknown {
                suggestions: vec!["鹿城区 (330302)".into()]
            }
        );
        assert_eq!(
            idx.by_name("五马街"),
            Resolved::Unknown {
                suggestions: vec!["五马街道 (330302006)".into()]
            }
        );
    }

    #[test]
    fn shared_names_are_ambiguous() {
        assert_eq!(
            index().by_name("城关镇"),
            Resolved::Ambiguous {
                codes: vec!["T1".into(), "T2".into()]
            }
        );
    }

    #[test]
    fn unknown_codes_suggest_close_codes() {
        let Resolved::Unknown { suggestions } = index().by_code("330304") else {
            panic!()
        };
        assert!(suggestions.contains(&"鹿城区 (330302)".to_string()));
        assert_eq!(index().by_code("XYZ-9999999"), Resolved::Unknown { suggestions: vec![] });
    }

    #[test]
    fn renaming_a_unit_moves_its_name() {
        let mut idx = index();
        idx.insert(unit("330302", "鹿城区（改）", "county", None));
        assert!(matches!(idx.by_name("鹿城区"), Resolved::Unknown { .. }));
        assert!(matches!(idx.by_name("鹿城区（改）"), Resolved::Found(_)));
    }
}
