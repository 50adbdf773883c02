//! Hot swap across instances (PostgreSQL): two `oip serve` processes share one database while a
//! load generator submits claims to both; a new version is activated through the first, and
//! the test measures how long each instance goes on deciding with the old one (≤ 1 s) and
//! counts the failed requests (0); then it rolls back and measures again. Skipped without
//! `DATABASE_URL`.

use oip_tests::*;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// One submission: which instance, when it was sent, its status, the deciding version.
struct Sample {
    instance: usize,
    sent: Instant,
    status: StatusCode,
    sha: String,
}

/// The longest an instance went on deciding with `old` after `at` (zero if it never did).
fn lag(samples: &[Sample], instance: usize, old: &str, at: Instant) -> Duration {
    samples
        .iter()
        .filter(|s| s.instance == instance && s.sha == old && s.sent > at)
        .map(|s| s.sent - at)
        .max()
        .unwrap_or_default()
}

async fn swap(
    urls: &[String],
    samples: &Arc<Mutex<Vec<Sample>>>,
    step: impl std::future::Future<Output = ()>,
    old: &str,
    new: &str,
    what: &str,
) {
    tokio::time::sleep(Duration::from_millis(700)).await;
    let asked = Instant::now();
    step.await;
    let at = Instant::now();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let s = samples.lock().await;
    for i in 0..urls.len() {
        let l = lag(&s, i, old, at);
        let from_asked = lag(&s, i, old, asked);
        let after: Vec<&Sample> = s
            .iter()
            .filter(|x| x.instance == i && x.sent > at + Duration::from_millis(1200))
            .collect();
        println!(
            "{what}: instance {i} decided with the old version for {} ms after the call returned \
             ({} ms after it was sent; the call took {} ms); {} requests after that, all on the new one",
            l.as_millis(),
            from_asked.as_millis(),
            (at - asked).as_millis(),
            after.len()
        );
        assert!(
            l <= Duration::from_secs(1),
            "{what}: instance {i} lagged {l:?}"
        );
        assert!(!after.is_empty(), "{what}: instance {i} got no requests");
        assert!(
            after.iter().all(|x| x.sha == new),
            "{what}: instance {i} still on the old version"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_activation_reaches_every_instance_within_a_second_without_a_failed_request() {
    let Some(Backend::Postgres(base)) = Backend::all().into_iter().nth(1) else {
        eprintln!("skipped: set DATABASE_URL to run the two-instance test");
        return;
    };
    let db = fresh_pg(&base).await;
    let first = crate::start(&temp_dir("swap-a"), Some(&db));
    let second = crate::start(&temp_dir("swap-b"), Some(&db));
    let urls = vec![first.url.clone(), second.url.clone()];
    let http = reqwest::Client::new();
    let platform = token_at(
        &http,
        &urls[0],
        json!({"role": "platform", "platform": "meituan"}),
    )
    .await;
    let (st, c) = call(
        &http,
        &urls[1],
        "POST",
        "/v1/claims",
        &platform,
        Some(example(0)),
        Some("warm"),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let builtin = c["decision"]["policy"]["sha256"]
        .as_str()
        .expect("sha")
        .to_string();
    let (id, _, approver) = approved_next_sc(&http, &urls[0]).await;

    let samples = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(1));
    let mut clients = Vec::new();
    for c in 0..4 {
        let (http, urls, platform) = (http.clone(), urls.clone(), platform.clone());
        let (samples, stop, counter) = (samples.clone(), stop.clone(), counter.clone());
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let instance = (n as usize + c) % urls.len();
                let sent = Instant::now();
                let (status, v) = call(
                    &http,
                    &urls[instance],
                    "POST",
                    "/v1/claims",
                    &platform,
                    Some(example(n)),
                    Some(&format!("k{n}")),
                )
                .await;
                let sha = v["decision"]["policy"]["sha256"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                samples.lock().await.push(Sample {
                    instance,
                    sent,
                    status,
                    sha,
                });
            }
        }));
    }

    let activate = async {
        let (st, v) = call(
            &http,
            &urls[0],
            "POST",
            &format!("/v1/policies/{id}/activate"),
            &approver,
            Some(json!({})),
            None,
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
    };
    swap(&urls, &samples, activate, &builtin, &id, "activation").await;
    let rollback = async {
        let (st, v) = call(
            &http,
            &urls[0],
            "POST",
            "/v1/regions/CN-SC/rollback",
            &approver,
            None,
            None,
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
    };
    swap(&urls, &samples, rollback, &id, &builtin, "rollback").await;

    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.expect("client");
    }
    let s = samples.lock().await;
    let failed = s.iter().filter(|x| x.status != StatusCode::CREATED).count();
    println!("{} requests during the swaps, {failed} failed", s.len());
    assert_eq!(failed, 0, "no request fails during a swap");
    assert!(s.len() > 50, "the load generator ran: {}", s.len());
}
