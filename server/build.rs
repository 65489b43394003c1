//! `sqlx::migrate!` embeds the migration files when `db/mod.rs` compiles;
//! without this, a new migration file would not rebuild the crate and the
//! binary would silently lack it (what `sqlx migrate build-script` writes).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
