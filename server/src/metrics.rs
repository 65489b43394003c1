//! What the IT team's Prometheus scrapes from `/metrics` (issue 30 part 1),
//! in the OpenMetrics text format: requests by route and status with their
//! latency, sign-in failures and locks, imports (rows, seconds, failures),
//! scorings (seconds, the version made), jobs running, expensive places in
//! use, the database pool, the newest verified backup and the audit
//! chain's last verification.
//!
//! One registry per process ([`get`]): the counters are touched where the
//! thing happens (the throttle, the importer, the scoring), whichever
//! adapter started it; gauges of state (pool, jobs, places, backups) are
//! read when scraped ([`Snapshot`]). Labels are bounded: a route is its
//! template (`/units/{code}`), never the path a client sent, so neither a
//! person's reference nor an attacker's junk becomes a label.

use std::sync::OnceLock;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Request {
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Route {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Year {
    pub year: i64,
}

type Seconds = Family<Route, Histogram, fn() -> Histogram>;

fn request_seconds() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    /// The families' names, prefixed (`zhengxin_http_requests`).
    families: Vec<String>,
    pub requests: Family<Request, Counter>,
    pub request_seconds: Seconds,
    pub sign_in_failures: Counter,
    pub sign_in_locks: Counter,
    pub import_rows: Counter,
    pub import_seconds: Histogram,
    pub import_failures: Counter,
    pub scoring_seconds: Histogram,
    pub scored_version: Family<Year, Gauge>,
    pub jobs_running: Gauge,
    pub places_in_use: Gauge,
    pub db_connections: Gauge,
    pub db_idle: Gauge,
    pub backup_verified_at: Gauge<f64, AtomicU64>,
    pub backups_unverified: Counter,
    pub audit_verified_at: Gauge<f64, AtomicU64>,
    pub audit_intact: Gauge,
}

impl Metrics {
    fn new() -> Metrics {
        let mut m = Metrics {
            registry: Registry::with_prefix("zhengxin"),
            families: Vec::new(),
            requests: Family::default(),
            request_seconds: Family::new_with_constructor(request_seconds),
            sign_in_failures: Counter::default(),
            sign_in_locks: Counter::default(),
            import_rows: Counter::default(),
            // 0.1 s to about 27 min.
            import_seconds: Histogram::new(exponential_buckets(0.1, 2.0, 15)),
            import_failures: Counter::default(),
            // 10 ms to about 5.5 min.
            scoring_seconds: Histogram::new(exponential_buckets(0.01, 2.0, 15)),
            scored_version: Family::default(),
            jobs_running: Gauge::default(),
            places_in_use: Gauge::default(),
            db_connections: Gauge::default(),
            db_idle: Gauge::default(),
            backup_verified_at: Gauge::default(),
            backups_unverified: Counter::default(),
            audit_verified_at: Gauge::default(),
            audit_intact: Gauge::default(),
        };
        let (r, f) = (&mut m.registry, &mut m.families);
        register(r, f, "http_requests", "HTTP requests answered, by route template, method and status", m.requests.clone());
        register(r, f, "http_request_duration_seconds", "Time to answer an HTTP request, by route template", m.request_seconds.clone());
        register(r, f, "sign_in_failures", "Sign-ins refused for a wrong password or code", m.sign_in_failures.clone());
        register(r, f, "sign_in_locks", "Accounts or addresses locked out after repeated failures", m.sign_in_locks.clone());
        register(r, f, "import_rows", "Rows of source files imported (new, changed or unchanged)", m.import_rows.clone());
        register(r, f, "import_duration_seconds", "Time an import took", m.import_seconds.clone());
        register(r, f, "import_failures", "Imports that wrote nothing (bad files or an error)", m.import_failures.clone());
        register(r, f, "scoring_duration_seconds", "Time a scoring took", m.scoring_seconds.clone());
        register(r, f, "scored_version", "The newest result version scored in this process, by year", m.scored_version.clone());
        register(r, f, "jobs_running", "Long jobs (imports, scorings, publications) running in this process", m.jobs_running.clone());
        register(r, f, "expensive_places_in_use", "Places for expensive requests taken now", m.places_in_use.clone());
        register(r, f, "db_pool_connections", "Database connections open", m.db_connections.clone());
        register(r, f, "db_pool_idle_connections", "Database connections open and idle", m.db_idle.clone());
        register(r, f, "backup_verified_timestamp_seconds", "When the newest verified scheduled backup was taken (Unix time)", m.backup_verified_at.clone());
        register(r, f, "backups_unverified", "Scheduled backups that did not verify", m.backups_unverified.clone());
        register(r, f, "audit_chain_verified_timestamp_seconds", "When the audit chain was last verified in this process (Unix time)", m.audit_verified_at.clone());
        register(r, f, "audit_chain_intact", "1 when the last verification found the chain whole, 0 when not", m.audit_intact.clone());
        m
    }

    /// Every family's name (a series of a labelled family appears only
    /// once it has a sample).
    pub fn families(&self) -> &[String] {
        &self.families
    }

    /// The metrics in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

/// Registers `metric` as `name` and notes the family's name.
fn register(registry: &mut Registry, families: &mut Vec<String>, name: &str, help: &str, metric: impl prometheus_client::registry::Metric) {
    families.push(format!("zhengxin_{name}"));
    registry.register(name, help, metric);
}

/// The process's metrics.
pub fn get() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// The state a scrape reads: set into the gauges, then rendered.
#[derive(Debug, Clone, Copy, Default)]
pub struct Snapshot {
    pub jobs_running: usize,
    pub places_in_use: usize,
    pub db_connections: u32,
    pub db_idle: usize,
    /// The newest verified scheduled backup's time, if backups are scheduled.
    pub backup_verified_at: Option<chrono::NaiveDateTime>,
}

/// The metrics with `now` state in the gauges, in the text format.
pub fn scrape(now: Snapshot) -> String {
    let m = get();
    m.jobs_running.set(now.jobs_running as i64);
    m.places_in_use.set(now.places_in_use as i64);
    m.db_connections.set(i64::from(now.db_connections));
    m.db_idle.set(now.db_idle as i64);
    if let Some(at) = now.backup_verified_at {
        m.backup_verified_at.set(crate::clock::unix_seconds(at));
    }
    m.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_format_names_each_metric_with_its_help_and_labels() {
        let m = Metrics::new();
        m.requests.get_or_create(&Request { route: "/units/{code}".into(), method: "GET".into(), status: 200 }).inc();
        m.request_seconds.get_or_create(&Route { route: "/units/{code}".into() }).observe(0.003);
        m.scored_version.get_or_create(&Year { year: 2025 }).set(3);
        m.audit_intact.set(1);
        let text = m.render();
        for expected in [
            "# HELP zhengxin_http_requests HTTP requests answered",
            "zhengxin_http_requests_total{route=\"/units/{code}\",method=\"GET\",status=\"200\"} 1",
            "zhengxin_http_request_duration_seconds_bucket{le=\"0.004\",route=\"/units/{code}\"} 1",
            "zhengxin_http_request_duration_seconds_bucket{le=\"0.002\",route=\"/units/{code}\"} 0",
            "zhengxin_scored_version{year=\"2025\"} 3",
            "zhengxin_audit_chain_intact 1",
            "# EOF",
        ] {
            assert!(text.contains(expected), "{expected} not in:\n{text}");
        }
        assert_eq!(crate::clock::unix_seconds("2026-11-25T08:00:00".parse().unwrap()), 1_795_564_800.0);
    }
}
