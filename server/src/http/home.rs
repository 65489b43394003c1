//! The start page and the health check.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use dashboards::layout::Lang;
use dashboards::pages::home::{HomeView, SourceCount, render};
use maud::Markup;

use super::shared::LangQuery;
use super::{AppError, AppState};
use crate::sources;

/// English labels of the sources, for the English pages.
fn label_en(source: sources::Source) -> &'static str {
    use sources::Source::*;
    match source {
        Units => "Units",
        Commitments => "Commitments",
        Proposals => "NPC/CPPCC proposals",
        Hotline => "12345 hotline tickets",
        Debt => "Government debt",
        Dishonesty => "Dishonesty records",
        Ratings => "Public ratings",
        Honours => "Integrity honours",
    }
}

pub async fn home(State(state): State<AppState>, super::session::PageSession(session): super::session::PageSession, Query(q): Query<LangQuery>) -> Result<Markup, AppError> {
    let mut counts = Vec::new();
    for spec in sources::ALL {
        counts.push(SourceCount {
            label_zh: spec.zh.to_string(),
            label_en: label_en(spec.source).to_string(),
            rows: state.db.count_records(spec.table).await?,
        });
    }
    let view = HomeView {
        lang: Lang::from_param(q.lang.as_deref()),
        nav: super::session::nav(&session),
        backend: state.db.backend().to_string(),
        sources: counts,
    };
    Ok(render(&view))
}

/// `ok` when the database answers, for load balancers; no log-in needed.
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.db.ping().await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}
