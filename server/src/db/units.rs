//! The unit register as the importer needs it: every known code with its
//! name, group and parent.

use sqlx::Row;

use super::{Db, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    pub code: String,
    pub name: String,
    /// The group's English code.
    pub group: String,
    pub parent_code: Option<String>,
}

pub async fn all(db: &Db) -> Result<Vec<UnitRef>> {
    const SQL: &str = concat!(
        "SELECT code, name, grp, parent_code FROM units WHERE ",
        crate::visible_records!(),
        " ORDER BY code"
    );
    let mut out = Vec::new();
    crate::on_db!(db, pool => {
        for row in sqlx::query(SQL).fetch_all(pool).await? {
            out.push(UnitRef { code: row.try_get(0)?, name: row.try_get(1)?, group: row.try_get(2)?, parent_code: row.try_get(3)? });
        }
    });
    Ok(out)
}
