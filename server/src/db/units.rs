//! The unit register: every known code with its name, group and parent,
//! as the importer, the user register and the pages need it.

use super::{Db, Result, Tx};
use crate::{on_db, on_tx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UnitRef {
    pub code: String,
    pub name: String,
    /// The group's English code.
    #[sqlx(rename = "grp")]
    pub group: String,
    pub parent_code: Option<String>,
}

pub async fn all(db: &Db) -> Result<Vec<UnitRef>> {
    const SQL: &str = concat!(
        "SELECT code, name, grp, parent_code FROM units WHERE ",
        crate::visible_records!(),
        " ORDER BY code"
    );
    Ok(on_db!(db, pool => sqlx::query_as::<_, UnitRef>(SQL).fetch_all(pool).await?))
}

/// Every unit's name by its code, for pages and documents that name the
/// units of records.
pub struct Names(std::collections::HashMap<String, String>);

impl Names {
    /// The unit's name, or its code when the register does not know it.
    pub fn of(&self, code: &str) -> String {
        self.0.get(code).cloned().unwrap_or_else(|| code.to_string())
    }
}

pub async fn names(db: &Db) -> Result<Names> {
    Ok(Names(all(db).await?.into_iter().map(|u| (u.code, u.name)).collect()))
}

/// Whether `code` is a known unit, inside a write.
pub async fn exists(tx: &mut Tx, code: &str) -> Result<bool> {
    const SQL: &str = concat!("SELECT 1 FROM units WHERE code = $1 AND ", crate::visible_records!());
    Ok(on_tx!(tx, conn => sqlx::query(SQL).bind(code).fetch_optional(conn).await?.is_some()))
}
