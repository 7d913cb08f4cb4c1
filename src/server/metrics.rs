//! Counters of the server's work, rendered in the Prometheus text format for `GET /metrics`.

use crate::CacheStats;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds (seconds) of the query latency histogram's buckets; `+Inf` is implied.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Server-wide counters; all updates are relaxed atomics (each counter is read on its own).
#[derive(Default)]
pub(super) struct Metrics {
    queries: AtomicU64,
    errors: AtomicU64,
    /// Statements that ended cancelled: by a CancelRequest or because their client left.
    cancelled: AtomicU64,
    /// Observations per bucket, not cumulative; the last one is `+Inf`.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    duration_ns: AtomicU64,
    connections_total: AtomicU64,
    connections_open: AtomicU64,
}

impl Metrics {
    /// Records one statement run (through either protocol) and whether it failed.
    pub fn observe(&self, elapsed: Duration, ok: bool) {
        self.queries.fetch_add(1, Relaxed);
        if !ok {
            self.errors.fetch_add(1, Relaxed);
        }
        let secs = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|&le| secs <= le)
            .unwrap_or(BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Relaxed);
        self.duration_ns.fetch_add(
            u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX),
            Relaxed,
        );
    }

    /// Records that a statement (already [observed](Metrics::observe) as failed) ended
    /// cancelled.
    pub fn cancelled(&self) {
        self.cancelled.fetch_add(1, Relaxed);
    }

    pub fn connection_opened(&self) {
        self.connections_total.fetch_add(1, Relaxed);
        self.connections_open.fetch_add(1, Relaxed);
    }

    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Relaxed);
    }

    /// The Prometheus text exposition of these counters, the query cache's, `in_flight` and
    /// `bytes_scanned` (`grizzly_runtime::storage::bytes_scanned`).
    pub fn render(&self, cache: &CacheStats, in_flight: usize, bytes_scanned: u64) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        metric(
            "grizzly_queries_total",
            "counter",
            "Statements run, through either protocol.",
            self.queries.load(Relaxed).to_string(),
        );
        metric(
            "grizzly_query_errors_total",
            "counter",
            "Statements that failed.",
            self.errors.load(Relaxed).to_string(),
        );
        metric(
            "grizzly_queries_cancelled_total",
            "counter",
            "Statements cancelled: by a cancel request, or because their client disconnected.",
            self.cancelled.load(Relaxed).to_string(),
        );
        metric(
            "grizzly_bytes_scanned_total",
            "counter",
            "Stored bytes of table columns read, by every database of this process.",
            bytes_scanned.to_string(),
        );
        metric(
            "grizzly_queries_in_flight",
            "gauge",
            "Statements running now.",
            in_flight.to_string(),
        );
        metric(
            "grizzly_connections_total",
            "counter",
            "PostgreSQL protocol connections accepted.",
            self.connections_total.load(Relaxed).to_string(),
        );
        metric(
            "grizzly_connections",
            "gauge",
            "PostgreSQL protocol connections open now.",
            self.connections_open.load(Relaxed).to_string(),
        );
        metric(
            "grizzly_query_cache_hits_total",
            "counter",
            "Query cache lookups that found the query's shape.",
            cache.hits.to_string(),
        );
        metric(
            "grizzly_query_cache_misses_total",
            "counter",
            "Query cache lookups that made a new entry.",
            cache.misses.to_string(),
        );
        metric(
            "grizzly_query_cache_compiles_total",
            "counter",
            "Queries compiled to native code.",
            cache.compiles.to_string(),
        );
        metric(
            "grizzly_query_cache_evictions_total",
            "counter",
            "Query cache entries dropped to stay within capacity.",
            cache.evictions.to_string(),
        );
        metric(
            "grizzly_query_cache_compile_seconds_total",
            "counter",
            "Time spent compiling queries.",
            cache.compile_time_total.as_secs_f64().to_string(),
        );
        metric(
            "grizzly_query_cache_entries",
            "gauge",
            "Entries in the query cache.",
            cache.entries.to_string(),
        );
        metric(
            "grizzly_query_cache_code_bytes",
            "gauge",
            "Bytes of native code held by the query cache.",
            cache.code_bytes.to_string(),
        );

        let name = "grizzly_query_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time to run a statement.\n# TYPE {name} histogram"
        );
        let mut cumulative = 0;
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Relaxed);
            let le = BUCKETS.get(i).map_or("+Inf".to_string(), f64::to_string);
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
        }
        let sum = self.duration_ns.load(Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {cumulative}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let m = Metrics::default();
        m.observe(Duration::from_micros(100), true);
        m.observe(Duration::from_millis(30), false);
        m.observe(Duration::from_secs(60), true);
        m.cancelled();
        let text = m.render(&CacheStats::default(), 0, 4096);
        assert!(text.contains("grizzly_queries_total 3\n"));
        assert!(text.contains("grizzly_query_errors_total 1\n"));
        assert!(text.contains("grizzly_queries_cancelled_total 1\n"));
        assert!(text.contains("grizzly_bytes_scanned_total 4096\n"));
        assert!(text.contains("grizzly_query_duration_seconds_bucket{le=\"0.0005\"} 1\n"));
        assert!(text.contains("grizzly_query_duration_seconds_bucket{le=\"0.05\"} 2\n"));
        assert!(text.contains("grizzly_query_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("grizzly_query_duration_seconds_count 3\n"));
    }
}
