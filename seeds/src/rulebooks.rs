//! The shipped rulebooks, one per assessment year (`seeds/rulebooks/`),
//! compiled into the binary so a fresh install scores without extra files.

/// The rulebook text for `year`, if one ships.
pub fn text(year: i32) -> Option<&'static str> {
    match year {
        2023 => Some(include_str!("../rulebooks/2023.toml")),
        2024 => Some(include_str!("../rulebooks/2024.toml")),
        2025 => Some(include_str!("../rulebooks/2025.toml")),
        2026 => Some(include_str!("../rulebooks/2026.toml")),
        _ => None,
    }
}

/// The years with a shipped rulebook.
pub const YEARS: [i32; 4] = [2023, 2024, 2025, 2026];

/// The parsed, validated rulebook for `year`; a year without one is an
/// error, never a silent default.
pub fn for_year(year: i32) -> Result<analytics::rulebook::Rulebook, analytics::rulebook::RulebookError> {
    let text = text(year).ok_or(analytics::rulebook::RulebookError::Missing(year))?;
    analytics::rulebook::Rulebook::parse_for(text, year)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_shipped_year_parses_and_others_are_missing() {
        for year in super::YEARS {
            assert_eq!(super::for_year(year).unwrap().year, year);
        }
        assert!(matches!(super::for_year(2019), Err(analytics::rulebook::RulebookError::Missing(2019))));
    }
}
