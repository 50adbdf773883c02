//! Prometheus metrics, kept in memory and rendered as text at `/metrics`: requests by route
//! and status, decisions by region and outcome, a decision latency histogram, engine errors,
//! and the group-commit writer's batches, jobs and busy time.

use crate::db::writer::WriterStats;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 12] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; 12],
    sum: f64,
    count: u64,
}

/// The counters.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
    latency: Mutex<Histogram>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"")
}

impl Metrics {
    fn inc(&self, name: &'static str, labels: String) {
        *self
            .counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((name, labels))
            .or_default() += 1;
    }

    /// One HTTP request.
    pub fn request(&self, route: &str, status: u16) {
        self.inc(
            "oip_http_requests_total",
            format!("route=\"{}\",status=\"{status}\"", escape(route)),
        );
    }

    /// One decision.
    pub fn decision(&self, region: &str, outcome: &str, took: Duration) {
        self.inc(
            "oip_decisions_total",
            format!(
                "region=\"{}\",outcome=\"{}\"",
                escape(region),
                escape(outcome)
            ),
        );
        let mut h = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let secs = took.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    /// A connection closed at once: the server was at its connection cap.
    pub fn connection_refused(&self) {
        self.inc("oip_connections_refused_total", String::new());
    }

    /// One engine error.
    pub fn engine_error(&self, region: &str, code: &str) {
        self.inc(
            "oip_engine_errors_total",
            format!("region=\"{}\",code=\"{}\"", escape(region), escape(code)),
        );
    }

    /// The Prometheus text exposition, the writer's counters included.
    pub fn render(&self, writer: WriterStats) -> String {
        let mut out = String::new();
        let counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let mut last = "";
        for ((name, labels), v) in counters.iter() {
            if *name != last {
                let _ = writeln!(out, "# TYPE {name} counter");
                last = name;
            }
            if labels.is_empty() {
                let _ = writeln!(out, "{name} {v}");
            } else {
                let _ = writeln!(out, "{name}{{{labels}}} {v}");
            }
        }
        for name in [
            "oip_http_requests_total",
            "oip_decisions_total",
            "oip_engine_errors_total",
        ] {
            if !counters.keys().any(|(n, _)| *n == name) {
                let _ = writeln!(out, "# TYPE {name} counter");
            }
        }
        drop(counters);
        let h = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(out, "# TYPE oip_decision_seconds histogram");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "oip_decision_seconds_bucket{{le=\"{b}\"}} {}",
                h.counts[i]
            );
        }
        let _ = writeln!(
            out,
            "oip_decision_seconds_bucket{{le=\"+Inf\"}} {}",
            h.count
        );
        let _ = writeln!(out, "oip_decision_seconds_sum {}", h.sum);
        let _ = writeln!(out, "oip_decision_seconds_count {}", h.count);
        for (name, value) in [
            ("oip_writer_batches_total", writer.batches as f64),
            ("oip_writer_jobs_total", writer.jobs as f64),
            ("oip_writer_busy_seconds_total", writer.busy.as_secs_f64()),
        ] {
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }
}
