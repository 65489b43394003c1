//! One module per page: each takes its view model and returns `Markup`.
//! What pages share is in `crate::parts`.

pub mod audit;
pub mod home;
pub mod imports;
pub mod jobs;
pub mod login;
pub mod objections;
pub mod overview;
pub mod persons;
pub mod public;
pub mod publication;
pub mod records;
pub mod repairs;
pub mod scorecard;
pub mod security;
pub mod statistics;
pub mod supervision;
pub mod two_factor;
pub mod users;
pub mod whatif;
