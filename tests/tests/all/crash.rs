//! Durability: a 201 means the claim and its decision are committed. The server process is
//! killed with SIGKILL while 32 clients submit; after a restart every claim that got a 201 is
//! there with its decision, and no claim is half-written.

use oip_tests::*;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

async fn crash_and_recover(backend: Backend) {
    let dir = temp_dir("crash");
    let db_url = match &backend {
        Backend::Postgres(u) => Some(fresh_pg(u).await),
        Backend::Sqlite => None,
    };
    let first = crate::start(&dir, db_url.as_deref());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let (st, t) = call(
        &http,
        &first.url,
        "POST",
        "/v1/tokens",
        ADMIN,
        Some(json!({"role": "platform", "platform": "meituan"})),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    let mt = t["token"].as_str().unwrap().to_string();
    let (_, a) = issue_token(&http, &first.url, ADMIN, json!({"role": "auditor"})).await;
    let auditor = a["token"].as_str().unwrap().to_string();

    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut clients = Vec::new();
    for c in 0..32u64 {
        let (http, url, mt, ack) = (
            http.clone(),
            first.url.clone(),
            mt.clone(),
            acknowledged.clone(),
        );
        clients.push(tokio::spawn(async move {
            for i in 0..10_000u64 {
                if Instant::now() > deadline {
                    break;
                }
                let n = c * 100_000 + i;
                let key = format!("crash-{n}");
                let body = example(n);
                let resp = http
                    .post(format!("{url}/v1/claims"))
                    .bearer_auth(&mt)
                    .header("Idempotency-Key", &key)
                    .json(&body)
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        let v: serde_json::Value = match r.json().await {
                            Ok(v) => v,
                            Err(_) => break, // killed while answering: not acknowledged
                        };
                        ack.lock()
                            .unwrap()
                            .push((key, v["id"].as_str().unwrap().to_string()));
                    }
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Let them write for a while, then kill the server mid-stream.
    let enough = eventually(Duration::from_secs(15), || async {
        (acknowledged.lock().unwrap().len() >= 200).then_some(())
    })
    .await;
    assert!(
        enough.is_some(),
        "too few claims acknowledged before the kill"
    );
    drop(first); // SIGKILL
    for c in clients {
        c.await.unwrap();
    }
    let acked = acknowledged.lock().unwrap().clone();

    let second = crate::start(&dir, db_url.as_deref());
    for (key, id) in &acked {
        let (st, v) = call(
            &http,
            &second.url,
            "GET",
            &format!("/v1/claims/{id}"),
            &mt,
            None,
            None,
        )
        .await;
        assert_eq!(
            st,
            StatusCode::OK,
            "{backend:?}: acknowledged claim {id} ({key}) lost after SIGKILL"
        );
        assert_eq!(v["status"], "pending_review");
        assert_eq!(v["decision"]["outcome"], "covered", "{id} has no decision");
    }
    // Nothing half-written: every stored claim has its decision.
    let mut cursor: Option<String> = None;
    let mut stored = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/claims?limit=500&cursor={c}"),
            None => "/v1/claims?limit=500".to_string(),
        };
        let (_, page) = call(&http, &second.url, "GET", &path, &auditor, None, None).await;
        for item in page["items"].as_array().unwrap() {
            stored += 1;
            assert_eq!(item["status"], "pending_review", "{item}");
            let id = item["id"].as_str().unwrap();
            let (_, ds) = call(
                &http,
                &second.url,
                "GET",
                &format!("/v1/claims/{id}/decisions"),
                &auditor,
                None,
                None,
            )
            .await;
            assert_eq!(
                ds["items"].as_array().unwrap().len(),
                1,
                "claim {id} without its decision"
            );
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert!(
        stored >= acked.len(),
        "stored {stored} < acknowledged {}",
        acked.len()
    );
    eprintln!(
        "{backend:?}: {} acknowledged, {stored} stored, all intact after SIGKILL",
        acked.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_load_loses_no_acknowledged_claim() {
    for b in Backend::all() {
        crash_and_recover(b).await;
    }
}
