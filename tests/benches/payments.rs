//! Payment-run throughput: the monthly runs of 18 regions over N live monthly benefits in all
//! (synthetic; default 1,000,000), on SQLite and, when `OIP_BENCH_PG` names a server, on
//! PostgreSQL, beside a bare read of the same rows (the run's own query, paged the same way)
//! in the same process, so the run's overhead shows as a ratio. Then a build killed halfway
//! (its task aborted mid-transaction) resumes and finishes with no line twice.
//!
//!     cargo bench -p oip-tests --bench payments
//!     OIP_PAYMENT_LINES=100000 OIP_BENCH_PG=postgres://postgres@127.0.0.1:5432/test \
//!         cargo bench -p oip-tests --bench payments
//!
//! Each benefit is entered through last month, so the run of this month owes one line each.

use oip_server::config::Config;
use oip_server::db::runs::RunRow;
use oip_server::domain::{Month, RunStatus};
use sea_orm::ConnectionTrait;
use std::time::Instant;

const REGIONS: [&str; 18] = [
    "CN-AH", "CN-BJ", "CN-CQ", "CN-FJ", "CN-GD", "CN-GS", "CN-GX", "CN-GZ", "CN-HA", "CN-HB",
    "CN-HE", "CN-HI", "CN-JS", "CN-JX", "CN-SC", "CN-SD", "CN-SH", "CN-ZJ",
];

fn main() {
    let n: i64 = std::env::var("OIP_PAYMENT_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let pg = std::env::var("OIP_BENCH_PG").ok();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            run(n, None).await;
            if let Some(url) = pg {
                run(n, Some(oip_tests::fresh_pg(&url).await)).await;
            }
        });
}

/// The process's resident memory and its peak, in MiB.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            / 1024
    };
    (kb("VmRSS:"), kb("VmHWM:"))
}

async fn count(db: &oip_server::db::Db, sql: &str, run_id: &str) -> i64 {
    let r = db
        .conn
        .query_one_raw(db.stmt(sql, vec![run_id.into()]))
        .await
        .expect("count")
        .expect("a row");
    r.try_get::<i64>("", "n")
        .or_else(|_| r.try_get::<i32>("", "n").map(i64::from))
        .expect("n")
}

async fn run(n: i64, database_url: Option<String>) {
    let backend = if database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let dir = std::env::temp_dir().join(format!("oip-bench-payments-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut c = Config::new(dir.clone());
    c.compiled_cache_dir = Some(std::env::temp_dir().join("oip-test-compiled-cache-standard"));
    c.database_url = database_url.clone();
    let state = oip_server::AppState::start(c).await.expect("server state");
    let db = &state.db;
    let today = oip_server::now().beijing_date();
    let month = Month::of(today.year, today.month);
    let per_region = n / REGIONS.len() as i64;
    let n = per_region * REGIONS.len() as i64;

    // Synthetic approved, enrolled claims, one monthly benefit each, entered through last month.
    let t = Instant::now();
    let pad = |prefix: &str| match database_url {
        Some(_) => format!("'{prefix}' || lpad(i::text, 9, '0')"),
        None => format!("'{prefix}' || printf('%09d', i)"),
    };
    for (r, region) in REGIONS.iter().enumerate() {
        let id = pad(&format!("clm_{r:02}_"));
        let from = match database_url {
            Some(_) => format!("FROM generate_series(0, {}) AS g(i)", per_region - 1),
            None => "FROM n".to_string(),
        };
        let with = match database_url {
            Some(_) => String::new(),
            None => format!(
                "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {}) ",
                per_region - 1
            ),
        };
        for sql in [
            format!(
                "{with}INSERT INTO claims (id, platform, platform_claim_ref, idempotency_key, \
                 request_sha256, region, status, incident_at, facts, narrative, worker_sealed, \
                 worker_hash, worker_masked, attempts, created_at, updated_at, version) \
                 SELECT {id}, 'bench', {id}, {id}, '', '{region}', 'approved', 0, '{{}}', '{{}}', '', \
                 {id}, '', 0, '', '', 0 {from}"
            ),
            format!(
                "{with}INSERT INTO enrolments (claim_id, claim_version, lines_sha256, enrolled_at) \
                 SELECT {id}, 0, '', '' {from}"
            ),
            format!(
                "{with}INSERT INTO entitlements (id, claim_id, decision_id, region, line, item, \
                 payer, period, payee, amount_fen, first_month, last_month, entered_through, rule, \
                 formula, policy_sha256, policy_version, provisional, created_at, superseded_at) \
                 SELECT {id} || ':0:0', {id}, NULL, '{region}', 0, 'disability_allowance', 'fund', \
                 'monthly', 'worker', 300000 + (i % 1000), {first}, NULL, {last}, \
                 '{{\"id\":\"gsbx-35\",\"title\":\"《工伤保险条例》第三十五条\",\"source\":\"国务院令第586号\"}}', \
                 NULL, NULL, 'bench', 0, '', NULL {from}",
                first = month.0 - 12,
                last = month.0 - 1
            ),
        ] {
            db.conn
                .execute_unprepared(&sql)
                .await
                .expect("synthetic rows");
        }
    }
    if database_url.is_some() {
        db.conn
            .execute_unprepared("ANALYZE")
            .await
            .expect("analyze");
    }
    let (rss, _) = memory();
    println!(
        "{backend}: {n} live monthly benefits in {} regions stored in {:.1} s (RSS {rss} MiB)",
        REGIONS.len(),
        t.elapsed().as_secs_f64()
    );

    // Baseline: the run's own read of the same rows, paged the same way, nothing written.
    let t = Instant::now();
    let mut read = 0usize;
    for region in REGIONS {
        let mut after = String::new();
        loop {
            let page = db
                .live_monthly(region, &after, oip_server::payments::run::CHUNK)
                .await
                .expect("page");
            let Some(last) = page.last() else { break };
            after = last.id.clone();
            read += page.len();
        }
    }
    let read_rate = read as f64 / t.elapsed().as_secs_f64();
    println!("{backend}: bare read: {read} rows at {read_rate:.0} rows/s");

    // The runs of this month, one per region, one after another.
    let new_run = |region: &str, m: Month| RunRow {
        id: format!("run_bench_{region}_{m}"),
        region: region.to_string(),
        month: m,
        status: RunStatus::Building,
        cursor: String::new(),
        built_by: "bench".into(),
        started_at: String::new(),
        built_at: None,
        released_by: None,
        released_at: None,
    };
    let t = Instant::now();
    let mut lines = 0i64;
    for region in REGIONS {
        let r = new_run(region, month);
        db.conn
            .execute_raw(db.insert_run_stmt(&r))
            .await
            .expect("run row");
        oip_server::payments::run::build(&state, &r.id)
            .await
            .expect("build");
        lines += count(
            db,
            "SELECT COUNT(*) AS n FROM ledger WHERE run_id = ?",
            &r.id,
        )
        .await;
    }
    let secs = t.elapsed().as_secs_f64();
    let rate = lines as f64 / secs;
    let (rss, peak) = memory();
    println!(
        "{backend}: payment runs: {lines} lines in {secs:.1} s = {rate:.0} lines/s ({:.2}x the bare read); RSS {rss} MiB, peak {peak} MiB",
        rate / read_rate
    );
    assert_eq!(lines, n, "one line per benefit");

    // Killed halfway: next month's run of one region, its build aborted once it has entered
    // some lines, then resumed. Every benefit is entered once.
    let region = REGIONS[0];
    let r = new_run(region, month.next());
    db.conn
        .execute_raw(db.insert_run_stmt(&r))
        .await
        .expect("run row");
    let (s2, id) = (state.clone(), r.id.clone());
    let task = tokio::spawn(async move { oip_server::payments::run::build(&s2, &id).await });
    let sql = "SELECT COUNT(*) AS n FROM ledger WHERE run_id = ?";
    while count(db, sql, &r.id).await == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    task.abort();
    let _ = task.await;
    let before = count(db, sql, &r.id).await;
    oip_server::payments::run::build(&state, &r.id)
        .await
        .expect("resumed build");
    let after = count(db, sql, &r.id).await;
    let distinct = count(
        db,
        "SELECT COUNT(DISTINCT entitlement_id) AS n FROM ledger WHERE run_id = ?",
        &r.id,
    )
    .await;
    let status = db.run(&r.id).await.expect("run").expect("stored").status;
    println!(
        "{backend}: killed with {before} of {per_region} lines entered; resumed: {after} lines, {distinct} benefits, {status}"
    );
    assert!(
        before < per_region,
        "the build was killed before it finished"
    );
    assert_eq!((after, distinct), (per_region, per_region));
    assert_eq!(status, RunStatus::Built);
    drop(state);
    let _ = std::fs::remove_dir_all(&dir);
}
