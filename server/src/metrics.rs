//! Prometheus metrics through `prometheus-client`, served at `/metrics` in the OpenMetrics text
//! format: every family with its HELP and TYPE, label values escaped by the library, counters
//! and histograms kept in atomics (no lock per request). The library ends each HELP text with a
//! full stop, so the texts here have none.
//!
//! - requests by matched route and status, with a latency histogram;
//! - decisions by region and outcome, with a latency histogram, and engine errors by code;
//! - connections refused at the connection cap;
//! - background jobs (shadow runs, re-decisions) by kind and how they ended, and the claims
//!   they went through;
//! - read at each scrape: the group-commit writer's batches, jobs and busy time, and the
//!   database pool's connections (open and idle).

use crate::db::Db;
use crate::db::writer::Writer;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry};
use std::time::Duration;

/// Upper bounds of the request latency buckets, in seconds (0.5 ms to 10 s).
const REQUEST_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Upper bounds of the decision latency buckets, in seconds (50 µs to 0.5 s: a decision runs
/// in a fresh instance under a fuel and time limit well below a second).
const DECISION_BUCKETS: [f64; 12] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    region: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    region: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn request_histogram() -> Histogram {
    Histogram::new(REQUEST_BUCKETS)
}

fn decision_histogram() -> Histogram {
    Histogram::new(DECISION_BUCKETS)
}

/// The registry and the handles the server records into.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteLabels, Counter>,
    request_seconds: Histograms<RouteLabels>,
    decisions: Family<DecisionLabels, Counter>,
    decision_seconds: Histograms<DecisionLabels>,
    engine_errors: Family<ErrorLabels, Counter>,
    refused: Counter,
    jobs: Family<JobLabels, Counter>,
    job_claims: Family<KindLabels, Counter>,
}

/// What is read at each scrape rather than counted as it happens.
#[derive(Debug)]
struct Scraped {
    writer: Writer,
    db: Db,
}

fn constant<M: EncodeMetric>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    metric: M,
) -> Result<(), std::fmt::Error> {
    let e = encoder.encode_descriptor(name, help, None, metric.metric_type())?;
    metric.encode(e)
}

impl Collector for Scraped {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let w = self.writer.stats();
        constant(
            &mut encoder,
            "oip_writer_batches",
            "Transactions the group-commit writer has run (committed or failed)",
            ConstCounter::new(w.batches),
        )?;
        constant(
            &mut encoder,
            "oip_writer_jobs",
            "Writes the group-commit writer has run, in those transactions",
            ConstCounter::new(w.jobs),
        )?;
        constant(
            &mut encoder,
            "oip_writer_busy_seconds",
            "Time the group-commit writer has spent running transactions",
            ConstCounter::new(w.busy.as_secs_f64()),
        )?;
        let (open, idle) = self.db.pool_size();
        constant(
            &mut encoder,
            "oip_db_pool_connections",
            "Connections the request handlers' database pool holds open",
            ConstGauge::new(i64::from(open)),
        )?;
        constant(
            &mut encoder,
            "oip_db_pool_idle_connections",
            "Of those, connections idle in the pool",
            ConstGauge::new(i64::try_from(idle).unwrap_or(i64::MAX)),
        )?;
        Ok(())
    }
}

/// `metric`, registered under `name` with its HELP text.
fn registered<M: Metric + Clone>(registry: &mut Registry, name: &str, help: &str, metric: M) -> M {
    registry.register(name, help, metric.clone());
    metric
}

impl Metrics {
    /// The registry, with the writer's and the pool's figures read at each scrape.
    pub fn new(writer: Writer, db: Db) -> Metrics {
        let mut registry = Registry::default();
        let requests = registered(
            &mut registry,
            "oip_http_requests",
            "HTTP requests answered, by matched route and status",
            Family::<RouteLabels, Counter>::default(),
        );
        let request_seconds: Histograms<RouteLabels> = registered(
            &mut registry,
            "oip_http_request_duration_seconds",
            "Time to answer an HTTP request, by matched route and status",
            Family::new_with_constructor(request_histogram),
        );
        let decisions = registered(
            &mut registry,
            "oip_decisions",
            "Decisions made by a policy module, by region and outcome",
            Family::<DecisionLabels, Counter>::default(),
        );
        let decision_seconds: Histograms<DecisionLabels> = registered(
            &mut registry,
            "oip_decision_seconds",
            "Time to decide (queue for an instance, instantiate, run), by region and outcome",
            Family::new_with_constructor(decision_histogram),
        );
        let engine_errors = registered(
            &mut registry,
            "oip_engine_errors",
            "Decisions a policy module failed (a limit, a trap, unreadable facts), by region and code",
            Family::<ErrorLabels, Counter>::default(),
        );
        let refused = registered(
            &mut registry,
            "oip_connections_refused",
            "Connections closed at once because the server was at its connection cap",
            Counter::default(),
        );
        let jobs = registered(
            &mut registry,
            "oip_jobs",
            "Background jobs finished (shadow runs, re-decisions), by kind and status",
            Family::<JobLabels, Counter>::default(),
        );
        let job_claims = registered(
            &mut registry,
            "oip_job_claims",
            "Claims background jobs have gone through, by kind",
            Family::<KindLabels, Counter>::default(),
        );
        registry.register_collector(Box::new(Scraped { writer, db }));
        Metrics {
            registry,
            requests,
            request_seconds,
            decisions,
            decision_seconds,
            engine_errors,
            refused,
            jobs,
            job_claims,
        }
    }

    /// One HTTP request, answered in `took`.
    pub fn request(&self, route: &str, status: u16, took: Duration) {
        let labels = RouteLabels {
            route: route.to_string(),
            status,
        };
        self.request_seconds
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        self.requests.get_or_create(&labels).inc();
    }

    /// One decision.
    pub fn decision(&self, region: &str, outcome: &str, took: Duration) {
        let labels = DecisionLabels {
            region: region.to_string(),
            outcome: outcome.to_string(),
        };
        self.decision_seconds
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        self.decisions.get_or_create(&labels).inc();
    }

    /// A connection closed at once: the server was at its connection cap.
    pub fn connection_refused(&self) {
        self.refused.inc();
    }

    /// One engine error.
    pub fn engine_error(&self, region: &str, code: &str) {
        self.engine_errors
            .get_or_create(&ErrorLabels {
                region: region.to_string(),
                code: code.to_string(),
            })
            .inc();
    }

    /// A background job ended (`status`: done or failed) after going through `claims`.
    pub fn job(&self, kind: &str, status: &str, claims: u64) {
        self.jobs
            .get_or_create(&JobLabels {
                kind: kind.to_string(),
                status: status.to_string(),
            })
            .inc();
        self.job_claims
            .get_or_create(&KindLabels {
                kind: kind.to_string(),
            })
            .inc_by(claims);
    }

    /// The OpenMetrics text exposition, `# EOF` included.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail; a collector's error would leave a partial text,
        // which is still better served than nothing.
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "cannot encode the metrics");
        }
        out
    }
}
