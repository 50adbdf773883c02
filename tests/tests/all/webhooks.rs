//! Webhook delivery: signed with HMAC-SHA256 (oip's header and the Standard Webhooks ones),
//! retried after failures, at least once and in order, across a restart of the server; never
//! redirected.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use hmac::{Hmac, Mac};
use oip_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "a-webhook-secret-of-meituan";

#[derive(Default)]
struct Receiver {
    seqs: Vec<i64>,
    refuse: usize,
    bad_signatures: usize,
    requests: usize,
}

/// The receiver, over HTTPS with a certificate made here: its URL, what it got, and the
/// certificate's PEM file (for the server's `ca_file`).
async fn receiver() -> (String, Arc<Mutex<Receiver>>, std::path::PathBuf) {
    let got: Arc<Mutex<Receiver>> = Arc::new(Mutex::new(Receiver {
        refuse: 2,
        ..Receiver::default()
    }));
    let g = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let g = g.clone();
            async move {
                let mut r = g.lock().unwrap();
                r.requests += 1;
                let mut mac =
                    <Hmac<sha2::Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
                mac.update(&body);
                let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
                // Both signatures: oip's own over the body, and the Standard Webhooks one
                // (id, timestamp and body), checked by the scheme's own library.
                let standard = standardwebhooks::Webhook::from_bytes(SECRET.as_bytes().to_vec())
                    .expect("key")
                    .verify(&body, &headers);
                if headers.get("x-oip-signature").and_then(|v| v.to_str().ok())
                    != Some(expected.as_str())
                    || standard.is_err()
                {
                    r.bad_signatures += 1;
                    return AxStatus::UNAUTHORIZED;
                }
                if r.refuse > 0 {
                    r.refuse -= 1;
                    return AxStatus::SERVICE_UNAVAILABLE;
                }
                let v: Value = serde_json::from_slice(&body).unwrap();
                for e in v["items"].as_array().unwrap() {
                    r.seqs.push(e["seq"].as_i64().unwrap());
                }
                AxStatus::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/hook", listener.local_addr().unwrap());
    let dir = temp_dir("hook-tls");
    let (cert, key) = crate::localhost_cert(&dir);
    crate::serve_tls(listener, app, &cert, &key);
    (url, got, cert)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_the_webhook_signed_at_least_once_across_a_restart() {
    for b in Backend::all() {
        let (url, got, ca) = receiver().await;
        let mut c = config(&b, "hook").await;
        // Production's rule: https:// only; the receiver's certificate is trusted as an
        // operator's own CA would be.
        c.dev_http_webhooks = false;
        c.ca_file = Some(ca);
        let s = TestServer::with_config(c.clone()).await;
        let mt = s.platform("meituan").await;
        let plain = url.replacen("https://", "http://", 1);
        let (st, e) = s
            .call(
                "PUT",
                "/v1/platforms/meituan/webhook",
                ADMIN,
                Some(json!({"url": plain, "secret": SECRET})),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["path"], "url", "{e}");
        let (st, e) = s
            .call(
                "PUT",
                "/v1/platforms/meituan/webhook",
                ADMIN,
                Some(json!({"url": url, "secret": "short"})),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        let (st, e) = s
            .call(
                "PUT",
                "/v1/platforms/meituan/webhook",
                ADMIN,
                Some(json!({"url": url, "secret": SECRET})),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{e}");
        for i in 0..3 {
            s.submit(&mt, &format!("h{i}"), &example(300 + i)).await;
        }
        // Two refusals first, then delivery after backoff.
        let first = eventually(Duration::from_secs(20), || async {
            (got.lock().unwrap().seqs.len() >= 9).then_some(())
        })
        .await;
        assert!(
            first.is_some(),
            "{b:?}: delivered {:?}",
            got.lock().unwrap().seqs
        );
        s.stop().await;

        // While the server is down, nothing; after a restart, the new events follow.
        let s = TestServer::with_config(c).await;
        for i in 3..5 {
            s.submit(&mt, &format!("h{i}"), &example(300 + i)).await;
        }
        let all = eventually(Duration::from_secs(20), || async {
            (got.lock().unwrap().seqs.len() >= 15).then_some(())
        })
        .await;
        assert!(
            all.is_some(),
            "{b:?}: delivered {:?}",
            got.lock().unwrap().seqs
        );
        let r = got.lock().unwrap();
        let mut unique = r.seqs.clone();
        unique.dedup();
        assert_eq!(
            unique,
            (1..=15).collect::<Vec<i64>>(),
            "every event, in order"
        );
        assert_eq!(r.bad_signatures, 0);
        assert!(r.requests >= 3, "the refusals were retried");
        drop(r);
        s.stop().await;
    }
}

/// Issue 15, item 18: the delivery client followed redirects, so a receiver (or whoever
/// controls its address) could send the signed events of a platform to any URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_answering_with_a_redirect_is_not_followed() {
    let hits = Arc::new(Mutex::new((0usize, 0usize)));
    let h = hits.clone();
    let h2 = hits.clone();
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(move || {
                let h = h.clone();
                async move {
                    h.lock().unwrap().0 += 1;
                    (AxStatus::TEMPORARY_REDIRECT, [("location", "/elsewhere")])
                }
            }),
        )
        .route(
            "/elsewhere",
            axum::routing::post(move || {
                let h = h2.clone();
                async move {
                    h.lock().unwrap().1 += 1;
                    AxStatus::OK
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let s = TestServer::spawn(&Backend::Sqlite).await;
    let mt = s.platform("meituan").await;
    let (st, e) = s
        .call(
            "PUT",
            "/v1/platforms/meituan/webhook",
            ADMIN,
            Some(json!({"url": url, "secret": SECRET})),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{e}");
    s.submit(&mt, "r1", &example(400)).await;
    // The first attempt and one retry (backoff 1 s, then 2 s).
    let tried = eventually(Duration::from_secs(20), || async {
        (hits.lock().unwrap().0 >= 2).then_some(())
    })
    .await;
    assert!(tried.is_some(), "the receiver was never called");
    assert_eq!(hits.lock().unwrap().1, 0, "the redirect was followed");
    s.stop().await;
}
