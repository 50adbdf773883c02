//! Benchmark of `decide` on the Sichuan policy with the claim example, printed as a table with
//! ratios against the native call of the same policy crate, run in the same process.
//!
//!     cargo bench -p oip-engine --bench decide
//!
//! Prints p50/p99 of a fresh-instance decision (the production path), of a reused instance,
//! and of the native call; decisions per second on one core; the time to compile the module
//! and to load it from the disk cache.

use oip_engine::builtin::POLICIES;
use oip_engine::types::Facts;
use oip_engine::{HostConfig, Limits, PolicyHost};
use oip_sdk::Policy;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The allocator of the `oip` binary (`server/src/main.rs`), so that the host side of a
/// decision allocates here as it does in production.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn measure(n: usize, mut f: impl FnMut()) -> (Duration, Duration, f64) {
    for _ in 0..n / 10 {
        f();
    }
    let mut samples = Vec::with_capacity(n);
    let started = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        f();
        samples.push(t.elapsed());
    }
    let total = started.elapsed();
    samples.sort();
    (
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        n as f64 / total.as_secs_f64(),
    )
}

fn us(d: Duration) -> String {
    format!("{:8.2} µs", d.as_secs_f64() * 1e6)
}

fn main() {
    let n: usize = std::env::var("OIP_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let wasm = POLICIES
        .iter()
        .find(|p| p.region == "CN-SC")
        .expect("CN-SC built in")
        .wasm;
    let case = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../policies/cn-sc/cases/covered_grade9_inpatient.json"
    );
    let facts: Facts = oip_sdk::cases::load(std::path::Path::new(case))
        .expect("case")
        .facts;

    let cache_dir = std::env::temp_dir().join(format!("oip-bench-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache_dir);
    let config = HostConfig {
        limits: Limits::default(),
        cache_dir: Some(cache_dir.clone()),
        cache_key: Some(oip_engine::CacheKey::hmac_sha256([7; 32])),
    };
    let host = PolicyHost::new(config.clone()).expect("host");
    let t = Instant::now();
    let policy = host.load(wasm).expect("load");
    let compile = t.elapsed();
    let restarted = PolicyHost::new(config).expect("host");
    let mut cached = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let p = restarted.load(wasm).expect("load from cache");
        cached.push(t.elapsed());
        assert!(p.stats().from_cache);
    }
    cached.sort();
    let _ = std::fs::remove_dir_all(&cache_dir);

    let (fresh50, fresh99, fresh_rate) = measure(n, || {
        black_box(host.decide(&policy, black_box(&facts)).expect("decide"));
    });
    let mut reused = host.reused_instance(&policy).expect("instance");
    let (reused50, reused99, reused_rate) = measure(n, || {
        black_box(reused.decide(black_box(&facts)).expect("decide"));
    });
    let (native50, native99, native_rate) = measure(n, || {
        black_box(
            <oip_policy_cn_sc::Sichuan as Policy>::decide(black_box(&facts)).expect("decide"),
        );
    });

    println!("oip-engine decide benchmark: CN-SC, claim example (grade 9, inpatient), n = {n}");
    println!(
        "module: {} bytes (core), {} bytes (component)",
        wasm.len(),
        policy.component_bytes().len()
    );
    println!(
        "{:<28} {:>11} {:>11} {:>12} {:>10}",
        "path", "p50", "p99", "per second", "p50 ratio"
    );
    for (name, p50, p99, rate) in [
        ("native call", native50, native99, native_rate),
        ("reused instance", reused50, reused99, reused_rate),
        ("fresh instance (production)", fresh50, fresh99, fresh_rate),
    ] {
        println!(
            "{name:<28} {} {} {:>12.0} {:>9.1}x",
            us(p50),
            us(p99),
            rate,
            p50.as_secs_f64() / native50.as_secs_f64()
        );
    }
    println!(
        "fresh / reused p50: {:.2}x; fresh-instance decisions/s on one core: {:.0}",
        fresh50.as_secs_f64() / reused50.as_secs_f64(),
        fresh_rate
    );
    println!(
        "compile (no cache): {:.1} ms; load from disk cache: p50 {:.2} ms, max {:.2} ms ({:.0}x faster)",
        compile.as_secs_f64() * 1e3,
        percentile(&cached, 0.5).as_secs_f64() * 1e3,
        cached[cached.len() - 1].as_secs_f64() * 1e3,
        compile.as_secs_f64() / percentile(&cached, 0.5).as_secs_f64()
    );
}
