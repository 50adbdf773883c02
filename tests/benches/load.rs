//! Load benchmark: the real server over HTTP on 127.0.0.1, 64 concurrent clients, on SQLite
//! and (when DATABASE_URL is set) PostgreSQL; beside each, a baseline route that only inserts
//! one row durably, run in the same process, so the figures compare as a ratio.
//!
//!     cargo bench -p oip-tests --bench load
//!     DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p oip-tests --bench load
//!
//! OIP_LOAD_SECONDS sets the duration of each run (default 10).

use oip_server::config::Config;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The allocator of the `oip` binary, so that the embedded server runs as it does there.
#[global_allocator]
static GLOBAL: oip_server::Allocator = oip_server::Allocator;

const CLIENTS: usize = 64;
const ADMIN: &str = "bench-admin";

fn example(n: u64) -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/claim-example.json"
    ))
    .expect("example");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    v["platform_claim_ref"] = format!("LOAD-{n}").into();
    v
}

/// A well-formed identity number (GB 11643: a real birth date and the check character) for
/// worker `n`, so that every claim of the load comes from another worker, as in real traffic
/// (claims of one worker for one incident are flagged as possible duplicates of each other).
fn id_number(n: u64) -> String {
    const WEIGHTS: [u64; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let day = n / 1000;
    let base = format!(
        "510104{:04}{:02}{:02}{:03}",
        1960 + day / 336 % 40,
        day / 28 % 12 + 1,
        day % 28 + 1,
        n % 1000
    );
    let sum: u64 = base
        .bytes()
        .zip(WEIGHTS)
        .map(|(c, w)| u64::from(c - b'0') * w)
        .sum();
    format!("{base}{}", CHECK[(sum % 11) as usize] as char)
}

/// The next worker number, across all runs of the process.
static WORKERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The server's group-commit writer counters from `/metrics`: batches, jobs, busy seconds.
async fn writer_counters(url: &str) -> [f64; 3] {
    let text = reqwest::get(format!("{url}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    let counter = |name: &str| oip_tests::metric(&text, name);
    [
        counter("oip_writer_batches_total"),
        counter("oip_writer_jobs_total"),
        counter("oip_writer_busy_seconds_total"),
    ]
}

/// The process's CPU time so far (user and system, all threads), from `/proc/self/stat`
/// (clock ticks of 1/100 s, Linux's USER_HZ).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

struct Run {
    /// CPU seconds of the whole process (server and clients) during the run.
    cpu: f64,
    ok: usize,
    errors: usize,
    seconds: f64,
    p50: Duration,
    p99: Duration,
    /// The writer during the run: jobs per batch, and the share of the run it was busy.
    jobs_per_batch: f64,
    writer_busy: f64,
}

async fn drive(
    url: &str,
    token: &str,
    path: &'static str,
    seconds: u64,
    claims: bool,
    run: u64,
) -> Run {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("client");
    let template = example(0);
    let before = writer_counters(url).await;
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..CLIENTS as u64 {
        let (http, url, token, template) = (
            http.clone(),
            url.to_string(),
            token.to_string(),
            template.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            let mut i = 0u64;
            while Instant::now() < until {
                i += 1;
                let n = run * 1_000_000_000 + c * 10_000_000 + i;
                let mut req = http.post(format!("{url}{path}")).bearer_auth(&token);
                if claims {
                    let mut body = template.clone();
                    body["platform_claim_ref"] = format!("LOAD-{n}").into();
                    let worker = WORKERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    body["worker"]["id_number"] = id_number(worker).into();
                    req = req
                        .header("Idempotency-Key", format!("load-{n}"))
                        .json(&body);
                }
                let t = Instant::now();
                match req.send().await {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.expect("client task");
        all.extend(l);
        errors += e;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    let after = writer_counters(url).await;
    all.sort();
    let pick = |p: f64| {
        all.get(((all.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    Run {
        cpu,
        ok: all.len(),
        errors,
        seconds,
        p50: pick(0.5),
        p99: pick(0.99),
        jobs_per_batch: (after[1] - before[1]) / (after[0] - before[0]).max(1.0),
        writer_busy: (after[2] - before[2]) / seconds,
    }
}

async fn bench(label: &str, database_url: Option<String>, seconds: u64) {
    let dir = std::env::temp_dir().join(format!("oip-load-{}-{label}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut c = Config::new(&dir);
    c.bootstrap_token = Some(ADMIN.into());
    c.database_url = database_url;
    c.baseline_route = true;
    // One token sends every claim, far above the per-token default rate.
    c.limits.token_requests_per_second = 0;
    let state = oip_server::AppState::start(c).await.expect("server");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(oip_server::run(listener, state, std::future::pending()));
    let http = reqwest::Client::new();
    let t: Value = http
        .post(format!("{url}/v1/tokens"))
        .bearer_auth(ADMIN)
        .json(&json!({"role": "platform", "platform": "meituan"}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token = t["token"].as_str().expect("token").to_string();
    // Warm up both routes.
    drive(&url, &token, "/v1/baseline", 1, false, 1).await;
    drive(&url, &token, "/v1/claims", 1, true, 2).await;
    let base = drive(&url, &token, "/v1/baseline", seconds, false, 3).await;
    let claims = drive(&url, &token, "/v1/claims", seconds, true, 4).await;
    let rate = |r: &Run| r.ok as f64 / r.seconds;
    for (name, r) in [
        ("baseline (insert one row)", &base),
        ("claims (validate+decide+store)", &claims),
    ] {
        println!(
            "{label:<10} {name:<32} {:>8.0}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ok {:>7}  errors {}  CPU {:.0} us/request  writer: {:.1} jobs/batch, busy {:.0} %",
            rate(r),
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.ok,
            r.errors,
            r.cpu / (r.ok.max(1) as f64) * 1e6,
            r.jobs_per_batch,
            r.writer_busy * 100.0
        );
    }
    println!(
        "{label:<10} claims / baseline throughput: {:.2}",
        rate(&claims) / rate(&base)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The run's PostgreSQL database, on the server of `base`.
fn pg_name() -> String {
    format!("oip_load_{}", std::process::id())
}

async fn fresh_pg(base: &str) -> String {
    use sea_orm::ConnectionTrait;
    let name = pg_name();
    let db = sea_orm::Database::connect(base).await.expect("PostgreSQL");
    db.execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let (prefix, _) = base.rsplit_once('/').expect("url");
    format!("{prefix}/{name}")
}

/// Drops the run's database (the server still holds connections to it; FORCE ends them).
async fn drop_pg(base: &str) {
    use sea_orm::ConnectionTrait;
    let name = pg_name();
    let db = sea_orm::Database::connect(base).await.expect("PostgreSQL");
    if let Err(e) = db
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
    {
        eprintln!("could not drop {name}: {e}");
    }
}

fn main() {
    let seconds: u64 = std::env::var("OIP_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!("oip load benchmark: {CLIENTS} concurrent clients, {seconds} s per run, server and clients in one process on 127.0.0.1");
        bench("sqlite", None, seconds).await;
        if let Ok(url) = std::env::var("DATABASE_URL") {
            let db = fresh_pg(&url).await;
            bench("postgres", Some(db), seconds).await;
            drop_pg(&url).await;
        }
    });
}
