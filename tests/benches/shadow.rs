//! Shadow-run throughput: the candidate Sichuan version (fixture `cn-sc-next`) over N stored
//! claims on SQLite (default 1,000,000), beside the raw `decide` throughput of the same module
//! on the same number of threads in the same process, so the overhead of the run (reading the
//! claims and their decisions, parsing, comparing, progress) shows as a ratio.
//!
//!     cargo bench -p oip-tests --bench shadow
//!     OIP_SHADOW_CLAIMS=100000 cargo bench -p oip-tests --bench shadow
//!
//! The synthetic claims are the facts of the built-in Sichuan cases (those that decide),
//! repeated, each stored with the decision the built-in version gave it.

use oip_engine::types::Facts;
use oip_server::config::Config;
use oip_server::db::claims::ClaimRow;
use oip_server::db::jobs::{JobParams, JobRow, Range};
use oip_server::domain::{ClaimStatus, JobKind, JobStatus, Narrative, Workflow};
use sea_orm::{ConnectionTrait, TransactionTrait};
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let n: usize = std::env::var("OIP_SHADOW_CLAIMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run(n));
}

async fn run(n: usize) {
    let dir = std::env::temp_dir().join(format!("oip-bench-shadow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut c = Config::new(dir.clone());
    c.compiled_cache_dir = Some(std::env::temp_dir().join("oip-test-compiled-cache"));
    let state = oip_server::AppState::start(c).await.expect("server state");

    // The base facts and the decisions the built-in version gives them.
    let cases_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/cn-sc/cases");
    let cases = oip_sdk_cases(cases_dir);
    let mut bases = Vec::new();
    for facts in cases.into_iter().filter(|f| f.region == "CN-SC") {
        if let Ok(e) = state.decider.decide(facts.clone()).await {
            let (_, canonical) = oip_engine::canonical::canonical_facts(&facts);
            bases.push((facts, String::from_utf8(canonical).expect("utf8"), e));
        }
    }
    println!(
        "{} base claims (CN-SC cases that decide), {n} stored claims",
        bases.len()
    );

    let started = Instant::now();
    let db = &state.db;
    let mut i = 0;
    while i < n {
        let txn = db.conn.begin().await.expect("begin");
        for _ in 0..10_000.min(n - i) {
            let (facts, facts_json, e) = &bases[i % bases.len()];
            let id = format!("clm_{i:012}");
            let d = oip_server::claims::decision_row(&id, "automatic", e, facts_json, None);
            let claim = ClaimRow {
                id: id.clone(),
                platform: "bench".into(),
                platform_claim_ref: format!("B-{i}"),
                idempotency_key: format!("k{i}"),
                request_sha256: String::new(),
                region: "CN-SC".into(),
                status: ClaimStatus::PendingReview,
                incident_at: facts.incident.occurred_at.0,
                facts: facts_json.clone(),
                narrative: Narrative::default(),
                worker_masked: String::new(),
                possible_duplicate_of: None,
                decision_id: Some(d.id.clone()),
                last_error: None,
                attempts: 0,
                next_attempt_at: None,
                created_at: String::new(),
                updated_at: String::new(),
                workflow: Workflow::default(),
                queue: Some(oip_server::domain::QueueKind::PendingReview),
                due_on: None,
                fast_track: false,
                version: 0,
            };
            txn.execute_raw(db.claim_guard(&claim, "", &format!("w{i}")).statement(&db))
                .await
                .expect("claim");
            txn.execute_raw(db.decision_insert(&d).statement(db))
                .await
                .expect("decision");
            i += 1;
        }
        txn.commit().await.expect("commit");
    }
    println!("stored in {:.1} s", started.elapsed().as_secs_f64());

    let candidate = state
        .decider
        .load(&std::fs::read(oip_engine::builtin::fixture_path("cn-sc-next")).expect("fixture"))
        .expect("candidate loads");
    let threads = std::thread::available_parallelism().map_or(2, |t| t.get());

    // Baseline: the same module deciding the same facts on the same threads, nothing else.
    let host = state.decider.host();
    let facts: Vec<Facts> = bases.iter().map(|b| b.0.clone()).collect();
    let per_thread = (n / threads).clamp(1, 200_000);
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (host, candidate, facts) = (&host, &candidate, &facts);
            s.spawn(move || {
                for k in 0..per_thread {
                    host.decide(candidate, &facts[k % facts.len()])
                        .expect("decide");
                }
            });
        }
    });
    let raw = (per_thread * threads) as f64 / t.elapsed().as_secs_f64();
    println!("raw decide: {raw:.0} decisions/s on {threads} threads");

    // The reading alone: every page of claims with their decisions, nothing decided.
    let t = Instant::now();
    let (mut after, mut read) = (String::new(), 0usize);
    loop {
        let page = state
            .db
            .shadow_page("CN-SC", Range::default(), None, &after, 2048)
            .await
            .expect("page");
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        read += page.len();
    }
    let read_rate = read as f64 / t.elapsed().as_secs_f64();
    println!("reading alone: {read_rate:.0} claims/s (one thread)");
    let t = Instant::now();
    let pool = state.db.conn.get_sqlite_connection_pool();
    let (mut after, mut read) = (String::new(), 0usize);
    loop {
        let page: Vec<(String, String, String, Option<String>, Option<String>)> = sea_orm::sqlx::query_as(
            "SELECT c.id, c.status, c.facts, d.body, d.policy_sha256 FROM claims c \
             LEFT JOIN decisions d ON d.id = c.decision_id WHERE c.region = ? AND c.id > ? ORDER BY c.id LIMIT 2048",
        )
        .bind("CN-SC")
        .bind(&after)
        .fetch_all(pool)
        .await
        .expect("page");
        let Some(last) = page.last() else { break };
        after = last.0.clone();
        read += page.len();
    }
    println!(
        "reading alone, sqlx directly: {:.0} claims/s",
        read as f64 / t.elapsed().as_secs_f64()
    );

    let mut job = JobRow {
        id: "job_bench".into(),
        kind: JobKind::Shadow,
        policy_sha256: candidate.sha256().to_string(),
        region: "CN-SC".into(),
        params: JobParams::default(),
        status: JobStatus::Running,
        total: n as i64,
        done: 0,
        failed: 0,
        report: None,
        error: None,
        requested_by: "bench".into(),
        created_at: String::new(),
        started_at: 0,
        heartbeat_at: 0,
        finished_at: None,
    };
    let t = Instant::now();
    let report = oip_server::jobs::shadow::run(&state, &mut job, Arc::clone(&candidate))
        .await
        .expect("shadow run");
    let oip_server::jobs::JobReport::Shadow(report) = report else {
        panic!("a shadow run reports a shadow report");
    };
    let secs = t.elapsed().as_secs_f64();
    let rate = n as f64 / secs;
    println!(
        "shadow run: {n} claims in {secs:.1} s = {rate:.0} claims/s ({:.2}x raw decide); changed {}, unchanged {}, failed {}",
        rate / raw,
        report.changed,
        report.unchanged,
        report.failed
    );
    assert_eq!(report.compared + report.failed, n as i64);
    let _ = std::fs::remove_dir_all(&dir);
}

fn oip_sdk_cases(dir: &str) -> Vec<Facts> {
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("cases")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    for p in paths {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&p).expect("read")).expect("json");
        if let Ok(f) = serde_json::from_value::<Facts>(v["facts"].clone()) {
            out.push(f);
        }
    }
    out
}
