//! HTTP: shared state, the router and one module per page family.

pub mod home;
pub mod router;

use std::sync::Arc;

use crate::config::Config;
use crate::db::Db;

/// What every handler gets; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> AppState {
        AppState { db, config: Arc::new(config) }
    }
}

/// Errors at the HTTP edge: the status and message a user sees; the
/// internal cause is logged, never shown.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("internal error")]
    Internal(#[from] crate::db::DbError),
}

impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        tracing::error!(error = ?self, "request failed");
        (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误 / internal error").into_response()
    }
}
