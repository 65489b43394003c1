//! `/metrics` for the IT team's Prometheus ([`crate::metrics`]), and the
//! layer that counts and times every request by its route template.
//!
//! Never to the public: the metrics are served to a scraper on the same
//! machine connecting directly (a loopback peer that is not the trusted
//! proxy and sends no forwarding header, so a proxy in front does not make
//! the public "local"), or to one that sends `Authorization: Bearer` with
//! the `--metrics-token`. Anyone else is told there is no such page.

use std::net::IpAddr;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::config::Config;
use crate::metrics;

/// Counts and times a request under its route template (`/units/{code}`;
/// `unmatched` for a path no route has), its method (`other` for one this
/// server does not serve) and its status.
pub async fn measure(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS") => m.to_string(),
        _ => "other".to_string(),
    };
    let started = Instant::now();
    let response = next.run(request).await;
    let m = metrics::get();
    m.request_seconds.get_or_create(&metrics::Route { route: route.clone() }).observe(started.elapsed().as_secs_f64());
    m.requests.get_or_create(&metrics::Request { route, method, status: response.status().as_u16() }).inc();
    response
}

/// Whether this request may read the metrics (the guard asks, for
/// `Need::Scraper`).
pub fn may_scrape(peer: Option<IpAddr>, headers: &HeaderMap, config: &Config) -> bool {
    let proxied = headers.contains_key("x-forwarded-for") || headers.contains_key(header::FORWARDED);
    let direct_local = peer.is_some_and(|p| p.is_loopback() && Some(p) != config.trusted_proxy.map(|t| t.to_canonical())) && !proxied;
    let token = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    // Compared as hashes: the time taken says nothing of the token.
    let bearer = match (token, config.metrics_token.as_deref()) {
        (Some(sent), Some(wanted)) => crate::hashing::sha256(sent) == crate::hashing::sha256(wanted),
        _ => false,
    };
    direct_local || bearer
}

/// The metrics, with the state a scrape reads set into them (the guard
/// let only a scraper through).
pub async fn scrape(State(state): State<AppState>) -> Response {
    let (connections, idle) = state.db.pool_use();
    let snapshot = metrics::Snapshot {
        jobs_running: state.jobs.running(),
        places_in_use: state.places.in_use(),
        db_connections: connections,
        db_idle: idle,
        backup_verified_at: state.config.backups.as_ref().and_then(|s| crate::backups::verified(&s.dir).last().map(|(at, _)| *at)),
    };
    let text = metrics::scrape(snapshot);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_direct_local_scraper_or_the_token_reads_the_metrics() {
        let local: Option<IpAddr> = Some("127.0.0.1".parse().unwrap());
        let remote: Option<IpAddr> = Some("203.0.113.9".parse().unwrap());
        let mut config = Config::new("sqlite::memory:".into(), "127.0.0.1:0".parse().unwrap());
        let none = HeaderMap::new();
        assert!(may_scrape(local, &none, &config));
        assert!(!may_scrape(remote, &none, &config));
        assert!(!may_scrape(None, &none, &config));
        let mut forwarded = HeaderMap::new();
        forwarded.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
        assert!(!may_scrape(local, &forwarded, &config), "through a proxy, however configured");
        config.trusted_proxy = Some("127.0.0.1".parse().unwrap());
        assert!(!may_scrape(local, &none, &config), "the trusted proxy is not a local scraper");
        config.metrics_token = Some("s3cret-token".into());
        let mut bearer = HeaderMap::new();
        bearer.insert(header::AUTHORIZATION, "Bearer s3cret-token".parse().unwrap());
        assert!(may_scrape(remote, &bearer, &config));
        bearer.insert(header::AUTHORIZATION, "Bearer s3cret-tokeN".parse().unwrap());
        assert!(!may_scrape(remote, &bearer, &config));
    }
}
