//! Every column name the engine reads or writes, as constants: `col()`
//! never takes a string literal, so a renamed column is one edit here and a
//! typo is a compile error.
//!
//! Input frames (see [`crate::inputs`]) use the import formats' English
//! names; output frames use the export's names.

// Shared by several inputs.
pub const ID: &str = "id";
pub const UNIT_CODE: &str = "unit_code";
pub const YEAR: &str = "year";
pub const SATISFACTION: &str = "satisfaction";
pub const VOIDED: &str = "voided";

// units
pub const UNIT_NAME: &str = "unit_name";
pub const GROUP: &str = "group";
pub const PARENT_CODE: &str = "parent_code";

// commitments
pub const MADE_ON: &str = "made_on";
pub const DUE_ON: &str = "due_on";
pub const STATUS: &str = "status";
pub const FULFILLED_ON: &str = "fulfilled_on";

// proposals (the lead unit is in UNIT_CODE)
pub const ASSIGNED_ON: &str = "assigned_on";
pub const REPLIED_ON: &str = "replied_on";
pub const RESOLUTION: &str = "resolution";

// hotline
pub const RECEIVED_AT: &str = "received_at";
pub const DUE_AT: &str = "due_at";
pub const CLOSED_AT: &str = "closed_at";
pub const INTEGRITY_RELATED: &str = "integrity_related";
pub const VERIFIED: &str = "verified";
pub const REPEAT: &str = "repeat";

// debt
pub const LIMIT: &str = "limit";
pub const BALANCE: &str = "balance";
pub const CAPACITY: &str = "capacity";
pub const DUE_AMOUNT: &str = "due_amount";
pub const OVERDUE_AMOUNT: &str = "overdue_amount";
pub const VIOLATIONS: &str = "violations";

// dishonesty
pub const SUBJECT: &str = "subject";
pub const TYPE: &str = "type";
pub const OCCURRED_ON: &str = "occurred_on";
pub const RECTIFY_DEADLINE: &str = "rectify_deadline";
pub const RECTIFIED_ON: &str = "rectified_on";
pub const MITIGATION: &str = "mitigation";

// ratings and honours
pub const SCORE: &str = "score";
pub const LEVEL: &str = "level";

// Per-record flags, shared by scoring and explanation.
pub const IN_DENOMINATOR: &str = "in_denominator";
pub const IN_NUMERATOR: &str = "in_numerator";
/// A record's weight in a numerator (1, or 0.5 for a B resolution).
pub const NUMERATOR_WEIGHT: &str = "numerator_weight";
pub const DEDUCTION: &str = "deduction";
pub const COUNTS: &str = "counts";
pub const EFFECTIVE_DUE: &str = "effective_due";
pub const RECTIFIED_LATE: &str = "rectified_late";
pub const VETOES: &str = "vetoes";

// Indicator results (one row per unit and indicator).
pub const INDICATOR: &str = "indicator";
pub const DIMENSION: &str = "dimension";
pub const NUMERATOR: &str = "numerator";
pub const DENOMINATOR: &str = "denominator";
pub const VALUE: &str = "value";
pub const WEIGHT: &str = "weight";
pub const KIND: &str = "kind";
pub const BAD: &str = "bad";
pub const GOOD: &str = "good";
pub const APPLICABLE: &str = "applicable";
pub const POINTS: &str = "points";
pub const ABSENT_MEANS_ZERO: &str = "absent_means_zero";
pub const ORDER: &str = "order";
/// A constant join key.
pub const ALL: &str = "all";

// Unit results (one row per unit).
pub const POINTS_SUM: &str = "points_sum";
pub const WEIGHT_SUM: &str = "weight_sum";
pub const RATED_INDICATORS: &str = "rated_indicators";
pub const BASE: &str = "base";
pub const BONUS: &str = "bonus";
pub const TOTAL: &str = "total";
pub const GRADED: &str = "graded";
pub const RANK: &str = "rank";
pub const COUNTY_RANK: &str = "county_rank";
pub const GROUP_SIZE: &str = "group_size";
pub const GRADE: &str = "grade";
pub const VETOED: &str = "vetoed";
pub const VETO_REASON: &str = "veto_reason";
pub const PREV_TOTAL: &str = "prev_total";
pub const PREV_RANK: &str = "prev_rank";
pub const TOTAL_CHANGE: &str = "total_change";
pub const RANK_CHANGE: &str = "rank_change";
pub const RANK_TOTAL: &str = "rank_total";

// Data-quality findings.
pub const SOURCE: &str = "source";
pub const RECORD_ID: &str = "record_id";
pub const DETAIL: &str = "detail";
