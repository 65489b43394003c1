//! The assessed units as reference data: how lists name them and what a
//! form offers. Every page family reads them; nothing here decides or
//! writes (units are imported with the reference data). Adapters read
//! them here, not from `db::units`: they reach storage only through use
//! cases (ARCHITECTURE.md, checked by `scripts/architecture`).

pub use crate::db::units::{Names, UnitRef};
use crate::db::{Db, DbError};

/// Every unit's name by code, for lists.
pub async fn names(db: &Db) -> Result<Names, DbError> {
    crate::db::units::names(db).await
}

/// Every unit, for a form's choices.
pub async fn all(db: &Db) -> Result<Vec<UnitRef>, DbError> {
    crate::db::units::all(db).await
}
