//! Issue 15's regression tests: each names the hole it closes, and failed before the fix.

use oip_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}

/// The id of the region's only signing key.
async fn key_id(s: &TestServer, region: &str) -> String {
    let (st, keys) = s.call("GET", "/v1/keys", ADMIN, None, None).await;
    assert_eq!(st, StatusCode::OK, "{keys}");
    keys["items"]
        .as_array()
        .or(keys.as_array())
        .expect("keys")
        .iter()
        .find(|k| k["region"] == region)
        .and_then(|k| k["id"].as_str())
        .expect("a key of the region")
        .to_string()
}

async fn revoke_key(s: &TestServer, id: &str) {
    oip_tests::revoke_key(&s.http, &s.url, id).await;
}

async fn step(s: &TestServer, token: &str, id: &str, step: &str) -> (StatusCode, Value) {
    s.call(
        "POST",
        &format!("/v1/policies/{id}/{step}"),
        token,
        None,
        None,
    )
    .await
}

/// Item 3: one admin registered a region's signing key alone (and could then issue a
/// policy_admin token, upload and approve: a province of one). A key is proposed by one admin
/// and signs nothing until another approves it; revoking a live key takes two admins too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_or_revoking_a_signing_key_takes_two_admins() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let key = signing_key(7);
        let body = json!({"region": "CN-SC", "public_key": public_hex(&key)});
        let (st, k) = s.call("POST", "/v1/keys", ADMIN, Some(body), None).await;
        assert_eq!(st, StatusCode::CREATED, "{k}");
        assert_eq!(k["status"], "proposed", "{k}");
        let id = k["id"].as_str().expect("id").to_string();

        // A proposed key signs nothing.
        let sc = s
            .token(json!({"role": "policy_admin", "regions": ["CN-SC"]}))
            .await;
        let upload = || {
            s.call(
                "POST",
                "/v1/regions/CN-SC/policies",
                &sc,
                Some(upload_body(&next_sc_module(), Some(&key), sc_cases(false))),
                None,
            )
        };
        let (st, v) = upload().await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "signature_invalid"),
            "{v}"
        );

        // The proposer cannot approve it; a platform or policy_admin token cannot either.
        let srv = &s;
        let approve = |token: String| {
            let path = format!("/v1/keys/{id}/approve");
            async move { srv.call("POST", &path, &token, None, None).await }
        };
        let (st, v) = approve(ADMIN.to_string()).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, "second_admin_required"),
            "{v}"
        );
        let (st, _) = approve(sc.clone()).await;
        assert_eq!(st, StatusCode::FORBIDDEN);

        // A second admin approves: the key is live and signs.
        let second = second_admin(&s.http, &s.url).await;
        let (st, k) = approve(second.clone()).await;
        assert_eq!(st, StatusCode::OK, "{k}");
        assert_eq!(k["status"], "live", "{k}");
        assert!(k["approved_by"].is_string(), "{k}");
        let (st, v) = approve(second.clone()).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, "key_not_proposed"),
            "{v}"
        );
        let (st, v) = upload().await;
        assert_eq!(st, StatusCode::CREATED, "{v}");

        // Revocation: the first admin asks (the key still signs), asking twice is refused,
        // a second admin carries it out.
        let path = format!("/v1/keys/{id}");
        let (st, k) = s.call("DELETE", &path, ADMIN, None, None).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{k}");
        assert_eq!(k["status"], "revocation_requested", "{k}");
        let (st, v) = s.call("DELETE", &path, ADMIN, None, None).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, "second_admin_required"),
            "{v}"
        );
        let (_, keys) = s.call("GET", "/v1/keys", ADMIN, None, None).await;
        assert_eq!(keys["items"][0]["status"], "revocation_requested", "{keys}");
        let (st, _) = s.call("DELETE", &path, &second, None, None).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        let (_, keys) = s.call("GET", "/v1/keys", ADMIN, None, None).await;
        assert_eq!(keys["items"][0]["status"], "revoked", "{keys}");
        let (st, v) = s.call("DELETE", &path, &second, None, None).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{v}");

        // A proposal nobody approved is withdrawn by one admin at once.
        let other = signing_key(9);
        let body = json!({"region": "CN-SC", "public_key": public_hex(&other)});
        let (st, k) = s.call("POST", "/v1/keys", ADMIN, Some(body), None).await;
        assert_eq!(st, StatusCode::CREATED, "{k}");
        let path = format!("/v1/keys/{}", k["id"].as_str().expect("id"));
        let (st, _) = s.call("DELETE", &path, ADMIN, None, None).await;
        assert_eq!(st, StatusCode::NO_CONTENT);

        // Every step is in the audit trail under its admin.
        let (_, audit) = s.call("GET", "/v1/audit", ADMIN, None, None).await;
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .or(audit.as_array())
            .expect("audit")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .filter(|a| a.starts_with("key."))
            .collect();
        assert_eq!(
            actions,
            [
                "key.added",
                "key.approved",
                "key.revocation_requested",
                "key.revoked",
                "key.added",
                "key.revoked"
            ],
            "{audit}"
        );
        s.stop().await;
    })
    .await;
}

/// Item 7: revoking a key did not touch the modules it signed; activation never looked at
/// the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_signed_with_a_revoked_key_cannot_be_approved_or_activated_but_one_in_force_stays()
 {
    each_backend(|b| async move {
        // Approved, then the key is revoked: activation is refused.
        let s = TestServer::spawn(&b).await;
        let (id, _, approver) = approved_next_sc(&s.http, &s.url).await;
        revoke_key(&s, &key_id(&s, "CN-SC").await).await;
        let (st, v) = step(&s, &approver, &id, "activate").await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, "signing_key_revoked"),
            "{v}"
        );
        let (_, p) = s
            .call("GET", &format!("/v1/policies/{id}"), ADMIN, None, None)
            .await;
        assert_eq!(p["status"], "approved", "{p}");
        assert!(p["signing_key_revoked_at"].is_string(), "{p}");
        s.stop().await;

        // Uploaded and shadowed, then the key is revoked: approval is refused, and the
        // console offers no approval.
        let s = TestServer::spawn(&b).await;
        let key = signing_key(7);
        let (st, _) = register_key(&s.http, &s.url, "CN-SC", &key).await;
        assert_eq!(st, StatusCode::CREATED);
        let a = s
            .token(json!({"role": "policy_admin", "regions": ["CN-SC"]}))
            .await;
        let b2 = s
            .token(json!({"role": "policy_admin", "regions": ["CN-SC"]}))
            .await;
        let (st, p) = s
            .call(
                "POST",
                "/v1/regions/CN-SC/policies",
                &a,
                Some(upload_body(&next_sc_module(), Some(&key), sc_cases(false))),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{p}");
        let id = p["id"].as_str().expect("id").to_string();
        let (st, j) = step(&s, &a, &id, "shadow").await;
        assert_eq!(st, StatusCode::ACCEPTED, "{j}");
        wait_job(&s.http, &s.url, &a, j["id"].as_str().expect("job")).await;
        revoke_key(&s, &key_id(&s, "CN-SC").await).await;
        let (st, v) = step(&s, &b2, &id, "approve").await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, "signing_key_revoked"),
            "{v}"
        );
        s.stop().await;

        // Active, then the key is revoked: it stays in force until a replacement is active.
        let s = TestServer::spawn(&b).await;
        let (id, _, approver) = approved_next_sc(&s.http, &s.url).await;
        let (st, v) = step(&s, &approver, &id, "activate").await;
        assert_eq!(st, StatusCode::OK, "{v}");
        revoke_key(&s, &key_id(&s, "CN-SC").await).await;
        let (_, p) = s
            .call("GET", &format!("/v1/policies/{id}"), ADMIN, None, None)
            .await;
        assert_eq!(p["status"], "active", "{p}");
        assert_eq!(p["in_force_today"], true, "{p}");
        assert!(p["signing_key_revoked_at"].is_string(), "{p}");
        let mt = s.platform("meituan").await;
        let (st, c) = s.submit(&mt, "after-revocation", &example_2026(1)).await;
        assert_eq!(st, StatusCode::CREATED, "{c}");
        assert_eq!(c["decision"]["policy"]["sha256"], json!(id), "{c}");
        s.stop().await;
    })
    .await;
}

/// Item 8: `--policy` modules went live with no signature, no four eyes and no audit entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_modules_given_at_start_need_the_development_flag_and_are_audited() {
    each_backend(|b| async move {
        let mut c = config(&b, "unsigned").await;
        c.policies = vec![oip_engine::builtin::fixture_path("hostile")];
        let refused = oip_server::AppState::start(c.clone())
            .await
            .expect_err("a server with unsigned modules and no flag must not start");
        assert!(
            refused.to_string().contains("--dev-unsigned-policies"),
            "{refused}"
        );
        c.dev_unsigned_policies = true;
        let s = TestServer::with_config(c).await;
        let (st, ready) = s.call("GET", "/readyz", "", None, None).await;
        assert_eq!(st, StatusCode::OK, "{ready}");
        assert_eq!(ready["dev_unsigned_policies"], true, "{ready}");
        let (st, audit) = s
            .call("GET", "/v1/audit?limit=200", ADMIN, None, None)
            .await;
        assert_eq!(st, StatusCode::OK, "{audit}");
        let deployed: Vec<&Value> = audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|e| e["action"] == "policy.deployed_unsigned")
            .collect();
        assert_eq!(deployed.len(), 1, "{audit}");
        assert!(
            deployed[0]["after"].to_string().contains("CN-JL"),
            "{}",
            deployed[0]
        );
        s.stop().await;
    })
    .await;
}

async fn review_server(b: &Backend) -> TestServer {
    let mut c = config(b, "guard").await;
    c.four_eyes_threshold_fen = 100_000_000;
    TestServer::with_config(c).await
}

/// Item 14: claim updates were `... WHERE id = ?`, so a re-decision that had read the claim
/// before an adjuster approved it turned the approval back into `pending_review`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redecision_that_read_the_claim_before_an_approval_is_refused_and_the_approval_stands() {
    each_backend(|b| async move {
        let s = review_server(&b).await;
        let mt = s.platform("meituan").await;
        let a = s.adjuster(&["CN-SC"]).await;
        let (_, c) = s.submit(&mt, "race-1", &example(1)).await;
        let id = c["id"].as_str().expect("id").to_string();
        assert_eq!(c["status"], "pending_review", "{c}");
        let stale = s.state.db.claim(&id).await.expect("db").expect("claim");
        let (st, r) = s
            .call(
                "POST",
                &format!("/v1/claims/{id}/review"),
                &a,
                Some(json!({"action": "approve"})),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        let facts = stale.facts.clone();
        let err = oip_server::claims::store_again(
            &s.state,
            &stale,
            facts,
            "redecide",
            oip_server::claims::Attempt::NoPolicy,
        )
        .await
        .expect_err("the claim changed since it was read");
        assert_eq!(err.code, oip_server::Code::Conflict);
        let (_, now) = s
            .call("GET", &format!("/v1/claims/{id}"), &mt, None, None)
            .await;
        assert_eq!(now["status"], "approved", "{now}");
        s.stop().await;
    })
    .await;
}

/// Item 14: two supplements sent at once both applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_supplements_sent_at_once_apply_once() {
    each_backend(|b| async move {
        let s = review_server(&b).await;
        let mt = s.platform("meituan").await;
        let a = s.adjuster(&["CN-SC"]).await;
        for round in 0..5 {
            let (_, c) = s.submit(&mt, &format!("sup-{round}"), &example(10 + round)).await;
            let id = c["id"].as_str().expect("id").to_string();
            let (st, r) = s
                .call(
                    "POST",
                    &format!("/v1/claims/{id}/review"),
                    &a,
                    Some(json!({"action": "request_information", "documents": ["liability_finding"], "note": "police report"})),
                    None,
                )
                .await;
            assert_eq!(st, StatusCode::OK, "{r}");
            let path = format!("/v1/claims/{id}/supplements");
            let body = json!({"documents": ["liability_finding"]});
            let (one, two) = tokio::join!(
                s.call("POST", &path, &mt, Some(body.clone()), None),
                s.call("POST", &path, &mt, Some(body.clone()), None)
            );
            let ok = [&one, &two].iter().filter(|(st, _)| *st == StatusCode::OK).count();
            assert_eq!(ok, 1, "{one:?} {two:?}");
            for (st, v) in [&one, &two] {
                if *st != StatusCode::OK {
                    assert_eq!(*st, StatusCode::CONFLICT, "{v}");
                    assert!(
                        ["conflict", "invalid_transition"].contains(&code(v)),
                        "{v}"
                    );
                }
            }
            let (_, ds) = s.call("GET", &format!("/v1/claims/{id}/decisions"), &mt, None, None).await;
            assert_eq!(ds["items"].as_array().map(Vec::len), Some(2), "{ds}");
        }
        s.stop().await;
    })
    .await;
}

/// A claim for the hostile fixture's region (CN-JL), of `kind`, scaled by `n`.
fn hostile_claim(seq: u64, kind: &str, n: u64) -> Value {
    let mut body = example(seq);
    body["region"] = "CN-JL".into();
    body["incident"]["kind"] = kind.into();
    body["medical"]["outpatient_fen"] = n.into();
    body
}

async fn hostile_server(b: &Backend, tag: &str) -> oip_server::config::Config {
    let mut c = config(b, tag).await;
    c.policies = vec![oip_engine::builtin::fixture_path("hostile")];
    c.dev_unsigned_policies = true;
    c.max_attempts = 3;
    c.retry_backoff_seconds = 1;
    c
}

async fn in_queue(s: &TestServer, token: &str, id: &str) -> Option<Value> {
    let (st, q) = s
        .call("GET", "/v1/review/queue?limit=500", token, None, None)
        .await;
    assert_eq!(st, StatusCode::OK, "{q}");
    q["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
}

/// Item 15: a policy's own refusal of the facts was retried for ever as `engine_error` and
/// never reached a person.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_the_policy_refuses_goes_to_an_adjuster_at_once_with_the_reason() {
    each_backend(|b| async move {
        let s = TestServer::with_config(hostile_server(&b, "refused").await).await;
        let mt = s.platform("meituan").await;
        let a = s.adjuster(&["CN-JL"]).await;
        let (st, c) = s
            .submit(&mt, "refused", &hostile_claim(20, "traffic_accident", 4_040_404))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{c}");
        assert_eq!(c["status"], "cannot_decide", "{c}");
        assert_eq!(c["attempts"], 1, "{c}");
        let id = c["id"].as_str().expect("id").to_string();
        let (_, seen) = s.call("GET", &format!("/v1/claims/{id}"), &a, None, None).await;
        let why = &seen["review"]["undecided"];
        assert_eq!(why["error"], "policy_error", "{seen}");
        assert_eq!(why["policy_code"], "refused_on_purpose", "{seen}");
        assert_eq!(why["field"], "medical.outpatient_fen", "{seen}");
        let queued = in_queue(&s, &a, &id).await.expect("in the adjusters' queue");
        assert_eq!(queued["queue"], "cannot_decide", "{queued}");
        // It is not retried.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let (_, later) = s.call("GET", &format!("/v1/claims/{id}"), &a, None, None).await;
        assert_eq!(later["attempts"], 1, "{later}");
        // A person decides it.
        let (st, r) = s
            .call(
                "POST",
                &format!("/v1/claims/{id}/review"),
                &a,
                Some(json!({"action": "deny", "reason_code": "other", "note": "the facts make no sense"})),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["status"], "denied", "{r}");
        s.stop().await;
    })
    .await;
}

/// Item 15: a module that keeps failing was retried for ever; now the retries are capped and
/// the claim then waits for a person.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_the_module_keeps_failing_on_goes_to_an_adjuster_after_the_last_retry() {
    each_backend(|b| async move {
        let s = TestServer::with_config(hostile_server(&b, "capped").await).await;
        let mt = s.platform("meituan").await;
        let a = s.adjuster(&["CN-JL"]).await;
        let (st, c) = s.submit(&mt, "boom", &hostile_claim(21, "other", 1)).await;
        assert_eq!(st, StatusCode::CREATED, "{c}");
        assert_eq!(c["status"], "engine_error", "{c}");
        let id = c["id"].as_str().expect("id").to_string();
        let given_up = eventually(std::time::Duration::from_secs(30), || async {
            let (_, v) = s
                .call("GET", &format!("/v1/claims/{id}"), &a, None, None)
                .await;
            (v["status"] == "cannot_decide").then_some(v)
        })
        .await
        .expect("handed to a person after the third attempt");
        assert_eq!(given_up["attempts"], 3, "{given_up}");
        assert_eq!(
            given_up["review"]["undecided"]["error"], "trap",
            "{given_up}"
        );
        assert!(in_queue(&s, &a, &id).await.is_some());
        s.stop().await;
    })
    .await;
}

/// Item 15: the pass over claims waiting for a policy read the oldest 500 every time, so 500
/// claims no policy covers held back every claim after them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_waiting_for_a_policy_behind_500_that_none_covers_are_decided() {
    each_backend(|b| async move {
        let c = config(&b, "waiting").await;
        let s = TestServer::with_config(c.clone()).await;
        let mt = s.platform("meituan").await;
        // 520 claims of Tibet (no policy), then one of Jilin (no policy yet either).
        let tibet: Vec<(String, Value)> = (0..520)
            .map(|n| {
                let mut body = example(1000 + n);
                body["region"] = "CN-XZ".into();
                (format!("xz-{n}"), body)
            })
            .collect();
        for chunk in tibet.chunks(100) {
            for (st, v) in s.submit_all(&mt, chunk.to_vec()).await {
                assert_eq!(st, StatusCode::CREATED, "{v}");
                assert_eq!(v["status"], "no_policy_in_force", "{v}");
            }
        }
        let (st, jl) = s
            .submit(&mt, "jl", &hostile_claim(2000, "traffic_accident", 1))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{jl}");
        assert_eq!(jl["status"], "no_policy_in_force", "{jl}");
        let id = jl["id"].as_str().expect("id").to_string();
        s.stop().await;
        // The same database, now with a policy for Jilin.
        let mut c = c;
        c.policies = vec![oip_engine::builtin::fixture_path("hostile")];
        c.dev_unsigned_policies = true;
        let s = TestServer::with_config(c).await;
        let decided = eventually(std::time::Duration::from_secs(30), || async {
            let (_, v) = s
                .call("GET", &format!("/v1/claims/{id}"), &mt, None, None)
                .await;
            (v["status"] != "no_policy_in_force").then_some(v)
        })
        .await
        .expect("decided although 520 undecidable claims come before it");
        assert_eq!(decided["status"], "pending_review", "{decided}");
        s.stop().await;
    })
    .await;
}

// ---- item 18: the smaller holes ----

/// A platform's token and a claim it submitted, decided and reviewed by an adjuster who wrote
/// a note: `(server, platform token, adjuster token, claim id)`.
async fn reviewed_claim(b: &Backend) -> (TestServer, String, String, String) {
    let s = TestServer::spawn(b).await;
    let mt = s.platform("meituan").await;
    let a = s.adjuster(&["CN-SC"]).await;
    let (st, c) = s.submit(&mt, "k1", &example(1)).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let id = c["id"].as_str().expect("id").to_string();
    let (st, r) = s
        .call(
            "POST",
            &format!("/v1/claims/{id}/review"),
            &a,
            Some(json!({"action": "deny", "reason_code": "other",
                        "note": "INTERNAL-NOTE the rider's manager called us"})),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    (s, mt, a, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_does_not_learn_another_platforms_claim_id_from_possible_duplicate_of() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let mt = s.platform("meituan").await;
        let ele = s.platform("eleme").await;
        let a = s.adjuster(&["CN-SC"]).await;
        let (_, first) = s.submit(&mt, "k", &example(1)).await;
        let (st, other) = s.submit(&ele, "k", &example(2)).await;
        assert_eq!(st, StatusCode::CREATED, "{other}");
        // The platform learns that the claim may be a duplicate, not of which claim.
        assert_eq!(other["possible_duplicate"], true, "{other}");
        assert!(other["possible_duplicate_of"].is_null(), "{other}");
        let id = other["id"].as_str().expect("id");
        let (_, read) = s
            .call("GET", &format!("/v1/claims/{id}"), &ele, None, None)
            .await;
        assert!(read["possible_duplicate_of"].is_null(), "{read}");
        let (_, list) = s.call("GET", "/v1/claims", &ele, None, None).await;
        assert!(
            list["items"][0]["possible_duplicate_of"].is_null(),
            "{list}"
        );
        // The adjuster sees which.
        let (_, read) = s
            .call("GET", &format!("/v1/claims/{id}"), &a, None, None)
            .await;
        assert_eq!(read["possible_duplicate_of"], first["id"], "{read}");
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_reads_no_adjusters_note_no_token_id_and_no_audit_rows() {
    each_backend(|b| async move {
        let (s, mt, a, id) = reviewed_claim(&b).await;
        let (st, tokens) = s.call("GET", "/v1/tokens", ADMIN, None, None).await;
        let token_ids: Vec<String> = if st == StatusCode::OK {
            tokens["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["id"].as_str().map(String::from))
                .collect()
        } else {
            Vec::new()
        };
        for path in [
            format!("/v1/claims/{id}"),
            format!("/v1/claims/{id}/reviews"),
            "/v1/claims".into(),
        ] {
            let (st, v) = s.call("GET", &path, &mt, None, None).await;
            assert_eq!(st, StatusCode::OK, "{path}: {v}");
            let text = v.to_string();
            assert!(!text.contains("INTERNAL-NOTE"), "{path}: {text}");
            assert!(!text.contains("tok_"), "{path} names a token: {text}");
            assert!(!text.contains("usr_"), "{path} names a user: {text}");
            for t in &token_ids {
                assert!(!text.contains(t.as_str()), "{path} names {t}");
            }
        }
        let (_, reviews) = s
            .call("GET", &format!("/v1/claims/{id}/reviews"), &mt, None, None)
            .await;
        assert_eq!(reviews["items"][0]["actor"], "adjuster", "{reviews}");
        // The adjuster still reads both.
        let (_, v) = s
            .call("GET", &format!("/v1/claims/{id}/reviews"), &a, None, None)
            .await;
        assert!(v.to_string().contains("INTERNAL-NOTE"), "{v}");
        let adjuster_id = v["items"][0]["actor"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(adjuster_id.starts_with("usr_"), "{v}");

        // The console shows the platform its claim without the audit trail or the note.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let session = crate::console::http_sign_in(&http, &s.url, &mt).await;
        let page = http
            .get(format!("{}/console/claims/{id}", s.url))
            .header("Cookie", format!("oip_session={session}"))
            .send()
            .await
            .expect("page");
        assert_eq!(page.status(), StatusCode::OK);
        let page = page.text().await.expect("body");
        assert!(
            !page.contains("id=\"audit\""),
            "audit rows shown to a platform"
        );
        assert!(!page.contains("INTERNAL-NOTE"), "note shown to a platform");
        assert!(
            !page.contains(&adjuster_id),
            "the adjuster's token id shown to a platform"
        );
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notice_page_forbids_scripts_and_caching() {
    each_backend(|b| async move {
        let (s, mt, _a, id) = reviewed_claim(&b).await;
        let r = s
            .http
            .get(format!("{}/v1/claims/{id}/notice", s.url))
            .bearer_auth(&mt)
            .send()
            .await
            .expect("notice");
        assert_eq!(r.status(), StatusCode::OK);
        let h = r.headers();
        let csp = h
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .expect("a CSP");
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(
            h.get("cache-control").and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        assert_eq!(
            h.get("x-content-type-options")
                .and_then(|v| v.to_str().ok()),
            Some("nosniff")
        );
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluate_checks_the_role_the_region_and_the_facts() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let mt = s.platform("meituan").await;
        let bj = s.adjuster(&["CN-BJ"]).await;
        let sc = s.adjuster(&["CN-SC"]).await;
        let auditor = s.token(json!({"role": "auditor"})).await;
        // The facts of the example, as the stored claim holds them.
        let (_, c) = s.submit(&mt, "k", &example(1)).await;
        let id = c["id"].as_str().expect("id");
        let row = s.state.db.claim(id).await.expect("read").expect("stored");
        let facts: Value = serde_json::from_str(&row.facts).expect("facts");
        let body = json!({ "facts": facts });
        for (token, want) in [
            (&mt, StatusCode::OK),
            (&sc, StatusCode::OK),
            (&bj, StatusCode::FORBIDDEN),
            (&auditor, StatusCode::FORBIDDEN),
            (&ADMIN.to_string(), StatusCode::FORBIDDEN),
        ] {
            let (st, v) = s
                .call("POST", "/v1/evaluate", token, Some(body.clone()), None)
                .await;
            assert_eq!(st, want, "{v}");
        }
        // Facts that no claim could carry are refused with the field, not decided.
        let mut bad = facts.clone();
        bad["order"]["accepted_at"] = json!("2099-01-01T00:00:00+08:00");
        bad["medical"]["outpatient_fen"] = json!(u64::MAX / 2);
        let (st, e) = s
            .call(
                "POST",
                "/v1/evaluate",
                &sc,
                Some(json!({ "facts": bad })),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(code(&e), "invalid_claim", "{e}");
        let fields: Vec<&str> = e["error"]["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .filter_map(|f| f["path"].as_str())
            .collect();
        assert!(fields.contains(&"facts.order.accepted_at"), "{e}");
        assert!(fields.contains(&"facts.medical.outpatient_fen"), "{e}");
        // An unknown member beside the facts is named too.
        let (st, e) = s
            .call(
                "POST",
                "/v1/evaluate",
                &sc,
                Some(json!({ "facts": facts, "extra": 1 })),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_fingerprint_is_keyed_and_an_old_bare_digest_still_matches() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let mt = s.platform("meituan").await;
        let (st, c) = s.submit(&mt, "k", &example(1)).await;
        assert_eq!(st, StatusCode::CREATED, "{c}");
        let id = c["id"].as_str().expect("id").to_string();
        let stored = |s: &TestServer, id: String| {
            let conn = s.state.db.conn.clone();
            async move {
                use sea_orm::ConnectionTrait;
                let row = conn
                    .query_one_raw(sea_orm::Statement::from_string(
                        conn.get_database_backend(),
                        format!("SELECT request_sha256 FROM claims WHERE id = '{id}'"),
                    ))
                    .await
                    .expect("query")
                    .expect("row");
                row.try_get::<String>("", "request_sha256").expect("column")
            }
        };
        let fingerprint = stored(&s, id.clone()).await;
        // Not a digest anyone could compute from a guessed body.
        assert!(fingerprint.starts_with("h1:"), "{fingerprint}");
        let report: oip_server::validate::ClaimReport =
            serde_json::from_value(example(1)).expect("report");
        let bare = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            serde_json::to_vec(&report).expect("json"),
        ));
        assert!(!fingerprint.contains(&bare));
        let (st, again) = s.submit(&mt, "k", &example(1)).await;
        assert_eq!(st, StatusCode::OK, "{again}");
        // A claim stored before the change holds the bare digest: its retries still match.
        use sea_orm::ConnectionTrait;
        s.state
            .db
            .conn
            .execute_unprepared(&format!(
                "UPDATE claims SET request_sha256 = '{bare}' WHERE id = '{id}'"
            ))
            .await
            .expect("update");
        let (st, again) = s.submit(&mt, "k", &example(1)).await;
        assert_eq!(st, StatusCode::OK, "{again}");
        assert_eq!(again["id"], id.as_str());
        let (st, e) = s.submit(&mt, "k", &example(2)).await;
        assert_eq!(st, StatusCode::CONFLICT, "{e}");
        s.stop().await;
    })
    .await;
}

// ---- items 11 and 12: the token cache, rate limits, slow clients ----

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds")
}

async fn get_as(s: &TestServer, token: &str, path: &str) -> reqwest::Response {
    s.http
        .get(format!("{}{path}", s.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

/// Issue 15, item 11: the token cache kept every bearer string ever presented, valid or
/// not, and never evicted it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_cache_keeps_only_valid_tokens_and_forgets_a_revoked_one_at_once() {
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let (st, issued) = s
        .call(
            "POST",
            "/v1/tokens",
            ADMIN,
            Some(json!({"role": "platform", "platform": "meituan"})),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{issued}");
    let mt = issued["token"].as_str().expect("token").to_string();
    let id = issued["id"].as_str().expect("id").to_string();
    assert_eq!(get_as(&s, &mt, "/v1/claims").await.status(), StatusCode::OK);
    for i in 0..2000 {
        let r = get_as(&s, &format!("oip_not-a-token-{i}"), "/v1/claims").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let cached = s.state.gate.cached();
    assert!(
        cached <= 3,
        "{cached} tokens cached after 2,000 unknown ones"
    );
    // Revoked: refused on the next request, though it was cached.
    assert_eq!(get_as(&s, &mt, "/v1/claims").await.status(), StatusCode::OK);
    let (st, v) = s
        .call("DELETE", &format!("/v1/tokens/{id}"), ADMIN, None, None)
        .await;
    assert!(st.is_success(), "{st} {v}");
    assert_eq!(
        get_as(&s, &mt, "/v1/claims").await.status(),
        StatusCode::UNAUTHORIZED
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_authentications_from_one_address_are_limited_with_retry_after() {
    let mut c = config(&Backend::Sqlite, "authfail").await;
    c.limits.auth_failures_per_minute = 5;
    let s = TestServer::with_config(c).await;
    let mt = s.platform("meituan").await;
    // A valid token used before the guessing stays usable (it is cached).
    assert_eq!(get_as(&s, &mt, "/v1/claims").await.status(), StatusCode::OK);
    for i in 0..5 {
        let r = get_as(&s, &format!("oip_guess-{i}"), "/v1/claims").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let r = get_as(&s, "oip_guess-5", "/v1/claims").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&r);
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    let body: Value = r.json().await.expect("json");
    assert_eq!(code(&body), "rate_limited", "{body}");
    // While blocked, a token is not even looked up: a right guess would not be told apart.
    let fresh = s.adjuster(&["CN-SC"]).await;
    assert_eq!(
        get_as(&s, &fresh, "/v1/claims").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(get_as(&s, &mt, "/v1/claims").await.status(), StatusCode::OK);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_its_rate_is_answered_429_with_retry_after() {
    let mut c = config(&Backend::Sqlite, "tokrate").await;
    c.limits.token_requests_per_second = 2;
    c.limits.token_burst = 5;
    let s = TestServer::with_config(c).await;
    let mt = s.platform("meituan").await;
    let other = s.platform("eleme").await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(get_as(&s, &mt, "/v1/claims").await.status());
    }
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(limited >= 2, "{statuses:?}");
    assert_eq!(statuses[0], StatusCode::OK);
    let r = get_as(&s, &mt, "/v1/claims").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&r) >= 1);
    // Another token is not affected.
    assert_eq!(
        get_as(&s, &other, "/v1/claims").await.status(),
        StatusCode::OK
    );
    s.stop().await;
}

/// `n` connections to the server, each holding a request whose headers never end.
async fn unfinished_requests(s: &TestServer, n: usize) -> Vec<tokio::net::TcpStream> {
    use tokio::io::AsyncWriteExt;
    let addr = s.url.trim_start_matches("http://").to_string();
    let mut conns = Vec::with_capacity(n);
    for _ in 0..n {
        let mut conn = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: oip\r\nX-Slow: ")
            .await
            .expect("write");
        conns.push(conn);
    }
    conns
}

/// Issue 15, item 12: `axum::serve` ran hyper without a timer, so a client that never
/// finished its headers held its connection for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_slow_connections_are_cut_and_a_normal_request_is_answered_within_a_second() {
    use tokio::io::AsyncReadExt;
    let mut c = config(&Backend::Sqlite, "slow").await;
    c.header_read_timeout = std::time::Duration::from_secs(2);
    let s = TestServer::with_config(c).await;
    let slow = unfinished_requests(&s, 500).await;
    let started = std::time::Instant::now();
    let r = s
        .http
        .get(format!("{}/healthz", s.url))
        .send()
        .await
        .expect("a normal request");
    assert_eq!(r.status(), StatusCode::OK);
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(1),
        "answered after {took:?}"
    );
    // Every slow connection is closed by the server after the header-read timeout.
    let mut closed = 0;
    for mut conn in slow {
        let mut buf = Vec::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            conn.read_to_end(&mut buf),
        )
        .await;
        if read.is_ok() {
            closed += 1;
        }
    }
    assert_eq!(closed, 500, "slow connections still open");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_over_the_cap_is_closed_at_once_and_counted() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut c = config(&Backend::Sqlite, "cap").await;
    c.max_connections = 10;
    let s = TestServer::with_config(c).await;
    let addr = s.url.trim_start_matches("http://").to_string();
    let held = unfinished_requests(&s, 10).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mut extra = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let _ = extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: oip\r\n\r\n")
        .await;
    let mut buf = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        extra.read_to_end(&mut buf),
    )
    .await;
    assert!(read.is_ok(), "the connection over the cap was kept open");
    assert!(buf.is_empty(), "the connection over the cap was served");
    drop(held);
    // Once the others are gone, connections are served again.
    let ok = eventually(std::time::Duration::from_secs(5), || async {
        let r = s.http.get(format!("{}/metrics", s.url)).send().await.ok()?;
        r.text().await.ok()
    })
    .await
    .expect("served again");
    assert!(metric(&ok, "oip_connections_refused_total") >= 1.0, "{ok}");
    s.stop().await;
}

/// Issue 15, item 10: an upload's body (up to 32 MiB) was read and parsed before the role
/// was checked, so any token could make the server read and inflate one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_from_a_token_that_may_not_upload_is_refused_before_its_body_is_read() {
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let mt = s.platform("meituan").await;
    let bj_admin = s
        .token(json!({"role": "policy_admin", "regions": ["CN-BJ"]}))
        .await;
    // The headers of an 8 MiB upload, and no body at all: whoever may not upload is answered
    // at once, without the server waiting for (or reading) a byte of it.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = s.url.trim_start_matches("http://").to_string();
    for token in [&mt, &bj_admin] {
        let mut conn = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        conn.write_all(
            format!(
                "POST /v1/regions/CN-SC/policies HTTP/1.1\r\nHost: oip\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                8 << 20
            )
            .as_bytes(),
        )
        .await
        .expect("write");
        let mut head = vec![0u8; 4096];
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), conn.read(&mut head))
            .await
            .expect("answered before the body was sent")
            .expect("read");
        let text = String::from_utf8_lossy(&head[..n]);
        assert!(text.starts_with("HTTP/1.1 403"), "{text}");
        assert!(text.contains("\"forbidden\""), "{text}");
    }
    let body = vec![b'['; 8 << 20];
    // The region's policy_admin gets the body read (and refused as not an upload).
    let sc_admin = s
        .token(json!({"role": "policy_admin", "regions": ["CN-SC"]}))
        .await;
    let r = s
        .http
        .post(format!("{}/v1/regions/CN-SC/policies", s.url))
        .bearer_auth(&sc_admin)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("upload");
    assert!(
        [StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY].contains(&r.status()),
        "{}",
        r.status()
    );
    s.stop().await;
}

// ---- item 13: the audit chain ----

/// Issue 15, item 13: `verify` compared the head's sequence number only, so deleting the
/// last entry and moving the head's number back left a chain that verified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_tail_cut_with_the_head_moved_back_is_detected() {
    each_backend(|b| async move {
        use sea_orm::ConnectionTrait;
        let s = TestServer::spawn(&b).await;
        let _ = s.platform("meituan").await;
        let _ = s.adjuster(&["CN-SC"]).await;
        assert!(matches!(
            oip_server::audit::verify(&s.state.db).await.expect("verify"),
            oip_server::audit::Verdict::Intact(n) if n >= 2
        ));
        let conn = &s.state.db.conn;
        conn.execute_unprepared("DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)")
            .await
            .expect("delete");
        conn.execute_unprepared("UPDATE chain_head SET audit_seq = audit_seq - 1 WHERE id = 1")
            .await
            .expect("update");
        match oip_server::audit::verify(&s.state.db)
            .await
            .expect("verify")
        {
            oip_server::audit::Verdict::Broken { problem, .. } => {
                assert!(problem.contains("head"), "{problem}")
            }
            other => panic!("a cut tail verified: {other:?}"),
        }
        s.stop().await;
    })
    .await;
}

/// Issue 15, item 13: registering a webhook wrote no audit entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_registration_is_audited_without_its_secret_or_query() {
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let (st, v) = s
        .call(
            "PUT",
            "/v1/platforms/meituan/webhook",
            ADMIN,
            Some(json!({"url": "http://127.0.0.1:9/hook?key=SECRET-IN-QUERY",
                        "secret": "a-webhook-secret-of-meituan"})),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let auditor = s.token(json!({"role": "auditor"})).await;
    let (st, trail) = s.call("GET", "/v1/audit", &auditor, None, None).await;
    assert_eq!(st, StatusCode::OK, "{trail}");
    let entry = trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["action"] == "webhook.registered")
        .expect("the registration is audited")
        .to_string();
    assert!(entry.contains("127.0.0.1"), "{entry}");
    assert!(!entry.contains("SECRET-IN-QUERY"), "{entry}");
    assert!(!entry.contains("a-webhook-secret-of-meituan"), "{entry}");
    s.stop().await;
}

/// Issue 15, item 13: the chain's head lives in the same database as the chain, so a tail
/// cut with the head rewritten to match (sequence and hash) verified. The signed checkpoints
/// outside the database name the missing entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_tail_with_a_consistent_head_is_named_by_the_signed_checkpoints() {
    use sea_orm::ConnectionTrait;
    let mut c = config(&Backend::Sqlite, "checkpoints").await;
    c.audit_checkpoint_interval = std::time::Duration::from_millis(100);
    let s = TestServer::with_config(c).await;
    let _ = s.platform("meituan").await;
    let _ = s.adjuster(&["CN-SC"]).await;
    let (head, _) = s.state.db.chain_head().await.expect("head");
    let file = s.state.config.checkpoint_file();
    let written = eventually(std::time::Duration::from_secs(10), || async {
        let list = oip_server::audit::checkpoints::read(&file).ok()?;
        list.last().is_some_and(|c| c.seq >= head).then_some(list)
    })
    .await
    .expect("a checkpoint of the head");
    // Auditors read them over the API; platforms do not.
    let auditor = s.token(json!({"role": "auditor"})).await;
    let (st, served) = s
        .call("GET", "/v1/audit/checkpoints", &auditor, None, None)
        .await;
    assert_eq!(st, StatusCode::OK, "{served}");
    assert_eq!(
        served["items"].as_array().map(Vec::len),
        Some(written.len()),
        "{served}"
    );
    let mt = s.platform("eleme").await;
    let (st, _) = s
        .call("GET", "/v1/audit/checkpoints", &mt, None, None)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let key = oip_server::audit::checkpoints::load_or_create_key(
        &s.state.config.checkpoint_key(),
        s.state.config.crypto,
    )
    .expect("key")
    .public();
    assert!(matches!(
        oip_server::audit::checkpoints::verify(&s.state.db, &written, &key)
            .await
            .expect("verify"),
        oip_server::audit::Verdict::Intact(_)
    ));
    let data_dir = s.state.config.data_dir.clone();
    s.stop().await;

    // Cut the checkpointed tail and make the head agree: the chain alone verifies.
    let db =
        oip_server::db::Db::connect(&format!("sqlite://{}", data_dir.join("oip.db").display()))
            .await
            .expect("db")
            .under(test_profile());
    let cut = written.last().expect("checkpoint").seq;
    db.conn
        .execute_unprepared(&format!("DELETE FROM audit WHERE seq >= {cut}"))
        .await
        .expect("delete");
    db.conn
        .execute_unprepared(&format!(
            "UPDATE chain_head SET audit_seq = {}, audit_hash = (SELECT hash FROM audit WHERE seq = {}) WHERE id = 1",
            cut - 1,
            cut - 1
        ))
        .await
        .expect("update");
    assert!(matches!(
        oip_server::audit::verify(&db).await.expect("verify"),
        oip_server::audit::Verdict::Intact(_)
    ));
    match oip_server::audit::checkpoints::verify(&db, &written, &key)
        .await
        .expect("verify")
    {
        oip_server::audit::Verdict::Broken { seq, problem } => {
            assert_eq!(seq, cut, "{problem}");
            assert!(problem.contains("missing"), "{problem}");
        }
        other => panic!("a cut tail passed the checkpoints: {other:?}"),
    }
    // The command line says the same, and fails.
    let out = crate::oip_cli()
        .args(["audit", "verify", "--data-dir"])
        .arg(&data_dir)
        .arg("--checkpoints")
        .arg(data_dir.join("audit-checkpoints.jsonl"))
        .env_remove("DATABASE_URL")
        .env_remove("OIP_CONFIG")
        .output()
        .expect("oip audit verify");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("broken at entry {cut}")), "{text}");
}

/// A config of the other crypto profile than the test servers', or of `profile` itself.
async fn config_under(
    b: &Backend,
    tag: &str,
    profile: oip_server::crypto::Profile,
) -> oip_server::config::Config {
    let mut c = config(b, tag).await;
    c.crypto = profile;
    c.master_key = c.master_key.map(|k| k.under(profile));
    // Entries of the other profile's MAC would not pass: its own cache.
    c.compiled_cache_dir = Some(compiled_cache_of(profile));
    c
}

fn other(p: oip_server::crypto::Profile) -> oip_server::crypto::Profile {
    match p {
        oip_server::crypto::Profile::Standard => oip_server::crypto::Profile::Gm,
        oip_server::crypto::Profile::Gm => oip_server::crypto::Profile::Standard,
    }
}

/// Issue 15, the `gm` profile: a database is made under one profile; an instance of the other
/// would seal with the other cipher and chain the audit with the other hash, so it refuses to
/// start, naming the profile, and so does `oip audit verify`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_of_the_other_crypto_profile_refuses_the_database() {
    each_backend(|b| async move {
        let c = config(&b, "profile").await;
        let (dir, url) = (c.data_dir.clone(), c.database_url.clone());
        let s = TestServer::with_config(c).await;
        let mt = s.platform("meituan").await;
        let (st, v) = s.submit(&mt, "p-1", &example(1)).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        s.stop().await;
        let mut c = config_under(&b, "profile-other", other(test_profile())).await;
        c.data_dir = dir.clone();
        c.database_url = url.clone();
        let err = oip_server::AppState::start(c)
            .await
            .err()
            .expect("another profile's instance refuses the database")
            .to_string();
        assert!(
            err.contains(&format!("made under crypto = \"{}\"", test_profile())),
            "{err}"
        );
        let mut cmd = crate::oip_cli();
        cmd.args(["audit", "verify", "--data-dir"])
            .arg(&dir)
            .env("OIP_CRYPTO", other(test_profile()).name());
        match &url {
            Some(u) => cmd.env("DATABASE_URL", u),
            None => cmd.env_remove("DATABASE_URL"),
        };
        let out = cmd.output().expect("oip audit verify");
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("made under crypto"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    })
    .await;
}

/// Issue 15, the `gm` profile, checked from outside the server's code (the `sm3` and `sm2`
/// crates): the audit chain's hashes are SM3 over the entry's fields, the stored token digests
/// are SM3, the checkpoints are SM2 signatures, a region's key is an SM2 key (an ed25519 key is
/// refused), and a release must sign the module's SM3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gm_profile_hashes_the_audit_chain_with_sm3_and_signs_with_sm2() {
    use oip_server::crypto::Profile;
    use sea_orm::ConnectionTrait;
    use sm2::dsa::signature::Verifier;
    use sm3::Digest;
    let b = Backend::Sqlite;
    let mut c = config_under(&b, "gm", Profile::Gm).await;
    c.audit_checkpoint_interval = std::time::Duration::from_millis(100);
    let s = TestServer::with_config(c).await;
    let mt = s.platform("meituan").await;
    let (st, v) = s.submit(&mt, "gm-1", &example(1)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().expect("id").to_string();
    let adj = s.adjuster(&["CN-SC"]).await;
    let (st, _) = s
        .call("GET", &format!("/v1/claims/{id}/worker"), &adj, None, None)
        .await;
    assert_eq!(st, StatusCode::OK, "the worker opens (SM4-GCM)");

    // The chain, recomputed with SM3.
    let rows = s.state.db.audit(None, 0, 1000).await.expect("audit");
    assert!(rows.len() >= 3, "{}", rows.len());
    let mut prev = String::new();
    for e in &rows {
        let mut h = sm3::Sm3::new();
        for part in [
            prev.as_str(),
            &e.seq.to_string(),
            &e.at,
            &e.actor,
            &e.action,
            e.claim_id.as_deref().unwrap_or_default(),
            e.before.as_deref().unwrap_or_default(),
            e.after.as_deref().unwrap_or_default(),
        ] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        if let Some(r) = &e.request_id {
            h.update(r.as_bytes());
            h.update([0u8]);
        }
        assert_eq!(e.hash, hex::encode(h.finalize()), "entry {}", e.seq);
        prev = e.hash.clone();
    }
    // The platform token is stored as its SM3.
    let stored = s
        .state
        .db
        .conn
        .query_all_raw(sea_orm::Statement::from_string(
            s.state.db.backend,
            "SELECT token_hash FROM tokens",
        ))
        .await
        .expect("tokens");
    let hashes: Vec<String> = stored
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("hash"))
        .collect();
    assert!(hashes.contains(&hex::encode(sm3::Sm3::digest(mt.as_bytes()))));

    // A checkpoint, verified with the sm2 crate.
    let file = s.state.config.checkpoint_file();
    let c = eventually(std::time::Duration::from_secs(10), || async {
        oip_server::audit::checkpoints::read(&file)
            .ok()?
            .into_iter()
            .last()
    })
    .await
    .expect("a checkpoint");
    use base64::Engine as _;
    let vk = sm2::dsa::VerifyingKey::from_sec1_bytes(
        "1234567812345678",
        &hex::decode(&c.public_key).expect("hex"),
    )
    .expect("an SM2 public key");
    let sig = base64::engine::general_purpose::STANDARD
        .decode(&c.signature)
        .expect("base64");
    let sig = sm2::dsa::Signature::from_slice(&sig).expect("r || s");
    let message = format!("oip-audit-checkpoint-v1\n{}\n{}\n{}", c.seq, c.hash, c.at);
    assert!(vk.verify(message.as_bytes(), &sig).is_ok());

    // Keys: an ed25519 key is refused; an SM2 key is registered and signs a release that
    // carries the module's SM3.
    let ed = oip_server::signing::SigningKey::from_bytes(Profile::Standard, &[7; 32]).unwrap();
    let (st, v) = register_key(&s.http, &s.url, "CN-SC", &ed).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["fields"][0]["path"], "public_key");
    let key = oip_server::signing::SigningKey::from_bytes(Profile::Gm, &[7; 32]).unwrap();
    let (st, v) = register_key(&s.http, &s.url, "CN-SC", &key).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let sc = s
        .token(json!({"role": "policy_admin", "regions": ["CN-SC"]}))
        .await;
    let module = next_sc_module();
    let mut body = upload_body(&module, Some(&key), sc_cases(false));
    assert_eq!(
        body["release"]["module_sm3"],
        hex::encode(sm3::Sm3::digest(&module))
    );
    // Without the SM3 (as a standard-profile signer makes it) it is refused, naming it.
    let mut without = body.clone();
    without["release"]
        .as_object_mut()
        .expect("release")
        .remove("module_sm3");
    let path = "/v1/regions/CN-SC/policies";
    let (st, v) = s.call("POST", path, &sc, Some(without), None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["fields"][0]["path"], "release.module_sm3");
    let (st, v) = s.call("POST", path, &sc, Some(body.take()), None).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert!(matches!(
        oip_server::audit::verify(&s.state.db)
            .await
            .expect("verify"),
        oip_server::audit::Verdict::Intact(_)
    ));
    s.stop().await;
}

/// Issue 17, item 4: how long personal data is kept is configuration. With a retention of 0
/// days, a denied claim loses the worker's personal data at the next pass (410 on reading it,
/// an audit entry, nothing left in the row), while a claim still open keeps it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settled_claim_past_the_retention_period_loses_its_personal_data_and_an_open_one_keeps_it()
 {
    each_backend(|b| async move {
        let mut c = config(&b, "retention").await;
        c.personal_data_retention_days = Some(0);
        c.retention_interval = std::time::Duration::from_millis(200);
        let s = TestServer::with_config(c).await;
        let mt = s.platform("meituan").await;
        let a = s.adjuster(&["CN-SC"]).await;
        let (_, settled) = s.submit(&mt, "ret-1", &example(61)).await;
        let (_, open) = s.submit(&mt, "ret-2", &example(62)).await;
        let (settled, open) = (
            settled["id"].as_str().expect("id").to_string(),
            open["id"].as_str().expect("id").to_string(),
        );
        let deny = json!({"action": "deny", "reason_code": "document_evidence", "note": "n"});
        let (st, r) = s
            .call(
                "POST",
                &format!("/v1/claims/{settled}/review"),
                &a,
                Some(deny),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["status"], "denied");
        let worker = |id: String| {
            let (s, a) = (&s, a.clone());
            async move {
                s.call("GET", &format!("/v1/claims/{id}/worker"), &a, None, None)
                    .await
            }
        };
        let gone = eventually(std::time::Duration::from_secs(10), || async {
            let (st, v) = worker(settled.clone()).await;
            (st == StatusCode::GONE).then_some(v)
        })
        .await
        .expect("the settled claim's personal data is erased");
        assert_eq!(gone["error"]["code"], "personal_data_erased");
        let (st, v) = worker(open.clone()).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["worker"]["id_number"], "510104199003071237");
        let stored = s.state.db.worker_sealed(&settled).await.expect("read");
        assert_eq!(stored.as_deref(), Some(""));
        let aud = s.token(json!({"role": "auditor"})).await;
        let (_, log) = s
            .call(
                "GET",
                &format!("/v1/audit?claim={settled}"),
                &aud,
                None,
                None,
            )
            .await;
        assert!(
            log["items"]
                .as_array()
                .expect("items")
                .iter()
                .any(|e| e["action"] == "claim.personal_data_erased"),
            "{log}"
        );
        // The claim itself and its decisions stay.
        let (st, v) = s
            .call("GET", &format!("/v1/claims/{settled}"), &a, None, None)
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "denied");
        s.stop().await;
    })
    .await;
}
