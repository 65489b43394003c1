//! The reference units of Wenzhou, embedded from `seeds/units/*.csv`.

use analytics::domain::PeerGroup;
use analytics::records::Unit;

const DIVISIONS: &str = include_str!("../units/wenzhou-divisions.csv");
const DEPARTMENTS: &str = include_str!("../units/wenzhou-departments.csv");

/// The CSV text of the reference units (the `units.csv` format).
pub fn reference_csv() -> [(&'static str, &'static str); 2] {
    [("wenzhou-divisions.csv", DIVISIONS), ("wenzhou-departments.csv", DEPARTMENTS)]
}

/// Counties, then their townships, then departments, as in the files.
pub fn reference_units() -> Vec<Unit> {
    [DIVISIONS, DEPARTMENTS]
        .iter()
        .flat_map(|text| text.lines().skip(1))
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            // The reference files hold no quoted fields (checked by a test).
            let f: Vec<&str> = line.split(',').collect();
            Unit {
                code: f[0].to_string(),
                name: f[1].to_string(),
                group: PeerGroup::parse(f[2]).expect("reference groups are valid"),
                parent_code: f.get(3).filter(|p| !p.is_empty()).map(|p| p.to_string()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wenzhou_has_12_counties_185_townships_and_35_departments() {
        let units = reference_units();
        let count = |g| units.iter().filter(|u| u.group == g).count();
        assert_eq!(count(PeerGroup::County), 12);
        assert_eq!(count(PeerGroup::Township), 185);
        assert_eq!(count(PeerGroup::Department), 35);
        assert!(!DIVISIONS.contains('"') && !DEPARTMENTS.contains('"'));
    }

    #[test]
    fn every_township_has_a_county_parent() {
        let units = reference_units();
        for t in units.iter().filter(|u| u.group == PeerGroup::Township) {
            let parent = t.parent_code.as_deref().expect("township has a parent");
            assert!(units.iter().any(|u| u.code == parent && u.group == PeerGroup::County), "{}", t.name);
        }
        assert!(units.iter().any(|u| u.name == "五马街道"));
        assert!(units.iter().any(|u| u.name == "温州市财政局"));
    }
}
