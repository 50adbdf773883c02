//! The claims API against a real server, on SQLite and (when DATABASE_URL is set) PostgreSQL.

use oip_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_is_stored_decided_and_read_back() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let mt = s.platform("meituan").await;
        let (status, c) = s.submit(&mt, "k-1", &example(1)).await;
        assert_eq!(status, StatusCode::CREATED, "{b:?}: {c}");
        assert_eq!(c["status"], "pending_review");
        assert_eq!(c["region"], "CN-SC");
        assert_eq!(c["platform_claim_ref"], "MT-TEST-1");
        assert_eq!(c["worker"]["id_number"], "5101**********1237");
        assert!(
            !c.to_string().contains("510104199003071237"),
            "the identity number leaks"
        );
        assert!(!c.to_string().contains("张兴伟"), "the name leaks");
        let d = &c["decision"];
        assert_eq!(d["outcome"], "covered");
        assert_eq!(d["reasons"][0]["code"], "order_accident");
        assert!(
            d["reasons"][0]["zh"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        );
        let items: Vec<&str> = d["benefits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["item"].as_str().unwrap())
            .collect();
        assert_eq!(
            items,
            [
                "medical",
                "hospital_meal_subsidy",
                "one_off_disability_subsidy"
            ]
        );
        assert_eq!(d["benefits"][0]["amount_fen"], 3_700_000);
        assert_eq!(
            d["benefits"][2]["amount_fen"], 6_881_400,
            "9 × 7,646.00 yuan"
        );
        assert_eq!(d["benefits"][2]["period"], "lump_sum");
        assert_eq!(d["policy"]["region"], "CN-SC");
        assert_eq!(d["policy"]["sha256"].as_str().unwrap().len(), 64);
        assert_eq!(d["due"]["determination"], "2025-09-15");

        let id = c["id"].as_str().unwrap();
        let (st, again) = s
            .call("GET", &format!("/v1/claims/{id}"), &mt, None, None)
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(again["decision"]["id"], d["id"]);
        let (st, list) = s
            .call(
                "GET",
                &format!("/v1/claims/{id}/decisions"),
                &mt,
                None,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(list["items"].as_array().unwrap().len(), 1);

        // Replay: the same module bytes on the same canonical facts, byte for byte.
        let did = d["id"].as_str().unwrap();
        let (st, r) = s
            .call(
                "POST",
                &format!("/v1/decisions/{did}/replay"),
                &mt,
                None,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["identical"], true);
        assert_eq!(r["decision"]["benefits"], d["benefits"]);
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_and_claim_references() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let mt = s.platform("meituan").await;
        let (st, first) = s.submit(&mt, "same", &example(2)).await;
        assert_eq!(st, StatusCode::CREATED);
        let (st, again) = s.submit(&mt, "same", &example(2)).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(again["id"], first["id"]);
        assert_eq!(again["decision"]["id"], first["decision"]["id"]);
        // The same key with another body.
        let (st, e) = s.submit(&mt, "same", &example(3)).await;
        assert_eq!(st, StatusCode::CONFLICT);
        assert_eq!(e["error"]["code"], "idempotency_key_reused");
        // Another key, the same platform_claim_ref.
        let (st, e) = s.submit(&mt, "other", &example(2)).await;
        assert_eq!(st, StatusCode::CONFLICT, "{e}");
        assert_eq!(e["error"]["code"], "duplicate_platform_claim_ref");
        // No key at all.
        let (st, e) = s
            .call("POST", "/v1/claims", &mt, Some(example(4)), None)
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST);
        assert_eq!(e["error"]["code"], "missing_header");
        // Another platform may use the same key and reference: keys are per platform.
        let ele = s.platform("eleme").await;
        let (st, other) = s.submit(&ele, "same", &example(2)).await;
        assert_eq!(st, StatusCode::CREATED);
        assert_ne!(other["id"], first["id"]);
        // Same worker, same incident time, same region: flagged as a possible duplicate.
        assert_eq!(other["possible_duplicate"], true);
        // Which claim, only the agency reads: it may be another platform's.
        assert!(other["possible_duplicate_of"].is_null(), "{other}");
        let a = s.adjuster(&["CN-SC"]).await;
        let other_id = other["id"].as_str().unwrap();
        let (_, seen) = s
            .call("GET", &format!("/v1/claims/{other_id}"), &a, None, None)
            .await;
        assert_eq!(seen["possible_duplicate_of"], first["id"], "{seen}");
        assert_eq!(first["possible_duplicate"], false);
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_clients_racing_with_one_key_make_one_claim() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let mt = s.platform("meituan").await;
        let body = example(50);
        let answers = s
            .submit_all(&mt, vec![("race".to_string(), body); 50])
            .await;
        let mut ids = std::collections::HashSet::new();
        let mut created = 0;
        for (st, v) in answers {
            assert!(
                st == StatusCode::CREATED || st == StatusCode::OK,
                "{st}: {v}"
            );
            created += usize::from(st == StatusCode::CREATED);
            ids.insert(v["id"].as_str().unwrap().to_string());
        }
        assert_eq!(ids.len(), 1, "{b:?}: several claims for one key: {ids:?}");
        assert_eq!(created, 1);
        let (_, list) = s.call("GET", "/v1/claims", &mt, None, None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        s.stop().await;
    })
    .await;
}

/// Concurrent claims land in the same writer batch, whose rows are inserted together; the
/// possible-duplicate flag and the claim-reference conflict must come out as if each claim were
/// stored alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_of_one_worker_are_flagged_as_if_stored_one_by_one() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let mt = s.platform("meituan").await;
        // Claims 0-24: one worker, one incident, each its own reference. Claims 25-29 reuse
        // reference 0 under their own keys, each at another incident time (so the writer may
        // put them in one statement with claim 0): one claim only may hold a reference.
        let claims = (0..30u64)
            .map(|i| {
                let body = if i < 25 {
                    example(300 + i)
                } else {
                    let mut b = example(300);
                    b["incident"]["occurred_at"] =
                        format!("2025-08-01T10:{}:00+08:00", i - 9).into();
                    b
                };
                (format!("batch-{i}"), body)
            })
            .collect();
        let answers = s.submit_all(&mt, claims).await;
        let mut created = Vec::new();
        let mut conflicts = 0;
        for (i, (st, v)) in answers.into_iter().enumerate() {
            match st {
                StatusCode::CREATED => created.push((i, v)),
                StatusCode::CONFLICT => {
                    assert_eq!(v["error"]["code"], "duplicate_platform_claim_ref", "{v}");
                    conflicts += 1;
                }
                _ => panic!("{b:?}: {st}: {v}"),
            }
        }
        // 25 distinct references; the 5 others collide with reference 0 (or it with them).
        assert_eq!(created.len(), 25, "{b:?}");
        assert_eq!(conflicts, 5, "{b:?}");
        // Of the claims at the shared incident time exactly one stands alone; a claim 25-29
        // that won reference 0 is alone at its own time.
        let alone: Vec<usize> = created
            .iter()
            .filter(|(_, c)| c["possible_duplicate"] == false)
            .map(|(i, _)| *i)
            .collect();
        let shared_alone = alone.iter().filter(|i| **i < 25).count();
        assert_eq!(shared_alone, 1, "{b:?}: alone: {alone:?}");
        // Which claim each duplicates, as an adjuster reads it (a platform is not told).
        let adjuster = s.adjuster(&["CN-SC"]).await;
        let (_, seen) = s
            .call("GET", "/v1/claims?limit=100", &adjuster, None, None)
            .await;
        let created: Vec<Value> = seen["items"].as_array().unwrap().clone();
        assert_eq!(created.len(), 25, "{b:?}: {seen}");
        let ids: std::collections::HashSet<&str> =
            created.iter().map(|c| c["id"].as_str().unwrap()).collect();
        for c in &created {
            if c["possible_duplicate"] == true {
                let of = c["possible_duplicate_of"].as_str().unwrap();
                assert!(ids.contains(of) && of != c["id"], "{b:?}: {c}");
            }
        }
        let (_, list) = s.call("GET", "/v1/claims?limit=100", &mt, None, None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 25, "{b:?}: {list}");
        s.stop().await;
    })
    .await;
}

fn problem_paths(v: &Value) -> Vec<String> {
    v["error"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["path"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_validation_error_names_its_field() {
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let mt = s.platform("meituan").await;
    let cases: Vec<(&str, Box<dyn Fn(&mut Value)>)> = vec![
        ("region", Box::new(|v| v["region"] = "SC".into())),
        (
            "worker.id_number",
            Box::new(|v| v["worker"]["id_number"] = "510104199003071234".into()),
        ),
        (
            "worker.id_number",
            Box::new(|v| v["worker"]["id_number"] = "5101041990".into()),
        ),
        (
            "order.accepted_at",
            Box::new(|v| v["order"]["accepted_at"] = "2025-08-01 10:02".into()),
        ),
        (
            "incident.occurred_at",
            Box::new(|v| v["incident"]["occurred_at"] = "2025-08-01T10:15:00".into()),
        ),
        (
            "order.accepted_at",
            Box::new(|v| v["order"]["accepted_at"] = "2025-08-01T10:20:00+08:00".into()),
        ),
        (
            "medical.outpatient_fen",
            Box::new(|v| v["medical"]["outpatient_fen"] = json!(-1)),
        ),
        (
            "medical.inpatient_fen",
            Box::new(|v| v["medical"]["inpatient_fen"] = json!(12.5)),
        ),
        (
            "assessment.disability_grade",
            Box::new(|v| v["assessment"]["disability_grade"] = json!(0)),
        ),
        (
            "assessment.disability_grade",
            Box::new(|v| v["assessment"]["disability_grade"] = json!(11)),
        ),
        (
            "industry",
            Box::new(|v| v["industry"] = "space_travel".into()),
        ),
        (
            "incident.kind",
            Box::new(|v| v["incident"]["kind"] = "alien".into()),
        ),
        (
            "documents[0]",
            Box::new(|v| v["documents"][0] = "selfie".into()),
        ),
        ("nickname", Box::new(|v| v["nickname"] = "x".into())),
        (
            "worker.email",
            Box::new(|v| v["worker"]["email"] = "x@example.com".into()),
        ),
        (
            "platform_claim_ref",
            Box::new(|v| {
                v.as_object_mut()
                    .unwrap()
                    .remove("platform_claim_ref")
                    .map(|_| ())
                    .unwrap_or(())
            }),
        ),
        (
            "incident.occurred_at",
            Box::new(|v| v["incident"]["occurred_at"] = "2099-01-01T10:00:00+08:00".into()),
        ),
    ];
    for (i, (path, edit)) in cases.iter().enumerate() {
        let mut body = example(100 + i as u64);
        edit(&mut body);
        let (st, e) = s.submit(&mt, &format!("v-{i}"), &body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {e}");
        assert_eq!(e["error"]["code"], "invalid_claim");
        assert!(
            problem_paths(&e).iter().any(|p| p == path),
            "{path} not named in {e}"
        );
    }
    // Not JSON at all.
    let resp = s
        .http
        .post(format!("{}/v1/claims", s.url))
        .bearer_auth(&mt)
        .header("Idempotency-Key", "nj")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["code"], "malformed_request");
    // Too large.
    let big = json!({ "platform_claim_ref": "x".repeat(400_000) });
    let (st, e) = s.submit(&mt, "big", &big).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{e}");
    assert_eq!(e["error"]["code"], "payload_too_large");
    // Nothing was stored by any of these.
    let (_, list) = s.call("GET", "/v1/claims", &mt, None, None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_scopes_are_default_deny() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let mt = s.platform("meituan").await;
        let ele = s.platform("eleme").await;
        let sc = s.adjuster(&["CN-SC"]).await;
        let bj = s.adjuster(&["CN-BJ"]).await;
        let (_, c) = s.submit(&mt, "scope", &example(7)).await;
        let id = c["id"].as_str().unwrap();
        let path = format!("/v1/claims/{id}");
        assert_eq!(
            s.call("GET", &path, &mt, None, None).await.0,
            StatusCode::OK
        );
        assert_eq!(
            s.call("GET", &path, &sc, None, None).await.0,
            StatusCode::OK
        );
        assert_eq!(
            s.call("GET", &path, &ele, None, None).await.0,
            StatusCode::NOT_FOUND,
            "another platform"
        );
        assert_eq!(
            s.call("GET", &path, &bj, None, None).await.0,
            StatusCode::NOT_FOUND,
            "an adjuster of another region"
        );
        let (_, l) = s.call("GET", "/v1/claims", &ele, None, None).await;
        assert_eq!(l["items"].as_array().unwrap().len(), 0);
        let (_, l) = s.call("GET", "/v1/claims", &bj, None, None).await;
        assert_eq!(l["items"].as_array().unwrap().len(), 0);
        let (_, l) = s
            .call(
                "GET",
                "/v1/claims?region=CN-SC&status=pending_review",
                &sc,
                None,
                None,
            )
            .await;
        assert_eq!(l["items"].as_array().unwrap().len(), 1);
        // Adjusters do not submit; platforms do not issue tokens; nobody anonymous.
        assert_eq!(
            s.submit(&sc, "adj", &example(8)).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            s.call(
                "POST",
                "/v1/tokens",
                &mt,
                Some(json!({"role": "admin"})),
                None
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            s.call("GET", &path, "", None, None).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            s.call("GET", &path, "oip_forged", None, None).await.0,
            StatusCode::UNAUTHORIZED
        );
        // User requests are validated.
        let (st, e) = s
            .call(
                "POST",
                "/v1/users",
                ADMIN,
                Some(
                    json!({"name": "Li", "employee_id": "E1", "role": "policy_admin",
                            "regions": ["CN-SC", "CN-BJ"]}),
                ),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["path"], "regions", "{e}");
        // Revocation takes effect.
        let (_, t) = issue_token(&s.http, &s.url, ADMIN, json!({"role": "auditor"})).await;
        let token = t["token"].as_str().unwrap();
        assert_eq!(
            s.call("GET", &path, token, None, None).await.0,
            StatusCode::OK
        );
        let tid = t["id"].as_str().unwrap();
        assert_eq!(
            s.call("DELETE", &format!("/v1/tokens/{tid}"), ADMIN, None, None)
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            s.call("GET", &path, token, None, None).await.0,
            StatusCode::UNAUTHORIZED
        );
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supplements_decide_the_claim_again() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let mt = s.platform("meituan").await;
        let mut body = example(9);
        body["documents"] = json!(["benefit_application_form", "consent_form"]);
        let (st, c) = s.submit(&mt, "supp", &body).await;
        assert_eq!(st, StatusCode::CREATED);
        assert_eq!(c["status"], "needs_information");
        let missing = c["decision"]["missing_documents"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(missing.len(), 6, "{missing:?}");
        let id = c["id"].as_str().unwrap();
        let (st, after) = s
            .call(
                "POST",
                &format!("/v1/claims/{id}/supplements"),
                &mt,
                Some(json!({ "documents": missing })),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{after}");
        assert_eq!(after["status"], "pending_review");
        assert_eq!(after["decision"]["outcome"], "covered");
        assert_eq!(after["decision"]["replaces"], c["decision"]["id"]);
        let (_, ds) = s
            .call(
                "GET",
                &format!("/v1/claims/{id}/decisions"),
                &mt,
                None,
                None,
            )
            .await;
        assert_eq!(
            ds["items"].as_array().unwrap().len(),
            2,
            "decisions are appended"
        );
        // Not waiting for information any more.
        let (st, e) = s
            .call(
                "POST",
                &format!("/v1/claims/{id}/supplements"),
                &mt,
                Some(json!({ "documents": [] })),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT);
        assert_eq!(e["error"]["code"], "invalid_transition");
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_without_a_policy_in_force_is_stored_and_evaluate_stores_nothing() {
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let mt = s.platform("meituan").await;
    let mut body = example(10);
    body["region"] = "CN-JL".into(); // Jilin: no policy deployed
    let (st, c) = s.submit(&mt, "jl", &body).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    assert_eq!(c["status"], "no_policy_in_force");
    assert!(c["decision"].is_null());
    let (st, e) = s.call("POST", "/v1/evaluate", &mt, Some(body), None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["code"], "no_policy_in_force");
    let (st, e) = s
        .call("POST", "/v1/evaluate", &mt, Some(example(11)), None)
        .await;
    assert_eq!(st, StatusCode::OK, "{e}");
    assert_eq!(e["decision"]["outcome"], "covered");
    let (_, list) = s.call("GET", "/v1/claims", &mt, None, None).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "evaluate stored nothing"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_endpoints() {
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let mt = s.platform("meituan").await;
    s.submit(&mt, "ops", &example(12)).await;
    let (st, r) = s.call("GET", "/readyz", "", None, None).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["regions"], oip_engine::builtin::POLICIES.len());
    let (st, doc) = s.call("GET", "/openapi.json", "", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(doc["paths"]["/v1/claims"]["post"].is_object());
    assert!(doc["paths"]["/v1/decisions/{id}/replay"]["post"].is_object());
    let (st, m) = s.call("GET", "/metrics", "", None, None).await;
    assert_eq!(st, StatusCode::OK);
    let m = m.as_str().unwrap().to_string();
    assert!(
        m.contains("oip_decisions_total{region=\"CN-SC\",outcome=\"covered\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("oip_http_requests_total{route=\"/v1/claims\",status=\"201\"} 1"),
        "{m}"
    );
    // The claim went through the group-commit writer, which counts its batches and jobs.
    let counter = |name: &str| oip_tests::metric(&m, name);
    let (batches, jobs) = (
        counter("oip_writer_batches_total"),
        counter("oip_writer_jobs_total"),
    );
    assert!(batches >= 1.0 && jobs >= batches, "{m}");
    assert!(counter("oip_writer_busy_seconds_total") > 0.0, "{m}");
    let (st, regions) = s.call("GET", "/v1/regions", &mt, None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        regions["items"].as_array().unwrap().len(),
        oip_engine::builtin::POLICIES.len()
    );
    let (st, p) = s
        .call("GET", "/v1/regions/CN-BJ/policies", &mt, None, None)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(p["items"][0]["status"], "active");
    assert_eq!(
        s.call("GET", "/nowhere", "", None, None).await.0,
        StatusCode::NOT_FOUND
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_module_leaves_the_claim_stored_and_retried() {
    each_backend(|b| async move {
        let mut c = config(&b, "hostile").await;
        c.policies = vec![oip_engine::builtin::fixture_path("hostile")];
        c.dev_unsigned_policies = true;
        let s = TestServer::with_config(c).await;
        let mt = s.platform("meituan").await;
        let mut body = example(13);
        body["region"] = "CN-JL".into(); // the hostile fixture's region
        body["incident"]["kind"] = "other".into(); // which makes it panic
        let (st, claim) = s.submit(&mt, "boom", &body).await;
        assert_eq!(st, StatusCode::CREATED, "{claim}");
        assert_eq!(claim["status"], "engine_error");
        assert_eq!(claim["last_error"], "trap");
        let id = claim["id"].as_str().unwrap().to_string();
        // The background worker retries with backoff; the claim stays stored.
        let retried = eventually(Duration::from_secs(20), || async {
            let (_, v) = s
                .call("GET", &format!("/v1/claims/{id}"), &mt, None, None)
                .await;
            (v["attempts"].as_i64().unwrap_or(0) >= 2).then_some(v)
        })
        .await
        .expect("retried in the background");
        assert_eq!(retried["status"], "engine_error");
        // And the server keeps deciding other claims.
        let (st, ok) = s.submit(&mt, "fine", &example(14)).await;
        assert_eq!(st, StatusCode::CREATED);
        assert_eq!(ok["decision"]["outcome"], "covered");
        s.stop().await;
    })
    .await;
}

/// A death claim of the example's worker: died the evening of the incident, `dependants` listed.
fn death_claim(n: u64, dependants: Value) -> Value {
    let mut v = example(n);
    v["assessment"] = json!({"disability_grade": null, "care_level": null, "assessed_at": null});
    v["death"] = json!({"died_at": "2025-08-01T20:00:00+08:00"});
    v["dependants"] = dependants;
    v["documents"] = json!([
        "benefit_application_form",
        "consent_form",
        "diagnosis",
        "medical_receipts",
        "id_card",
        "order_record",
        "incident_statement",
        "death_certificate",
        "kinship_proof"
    ]);
    v
}

/// Issue 16: "a 34-year-old spouse gets 40 %". Order No. 18 Art. 3 pays a spouse who is a man
/// of 60 or a woman of 55 (or fully incapacitated): through the API, the 34-year-old spouse gets
/// nothing and the decision says why, the 57-year-old widow in Chongqing gets 40 % of the 2025
/// procedure's base B(2024) = 5 % × 65,098.00 = 3,254.90 yuan, so 1,301.96 yuan, and a
/// 57-year-old spouse of unknown sex makes the decision ask for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_34_year_old_spouse_gets_no_pension_and_a_widow_of_57_does() {
    let b = Backend::Sqlite;
    let s = TestServer::spawn(&b).await;
    let mt = s.platform("meituan").await;
    let pension = |d: &Value| {
        d["benefits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["item"] == "dependant_pension")
            .map(|l| l["amount_fen"].clone())
    };
    let codes = |d: &Value| -> Vec<String> {
        d["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap().to_string())
            .collect()
    };

    let young = death_claim(
        1,
        json!([{"relation": "spouse", "birth_date": "1991-05-01"}]),
    );
    let (st, c) = s.submit(&mt, "spouse-34", &young).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let d = &c["decision"];
    assert_eq!(d["outcome"], "covered");
    assert_eq!(
        pension(d),
        None,
        "no pension line for an ineligible spouse: {d}"
    );
    assert_eq!(codes(d), ["order_accident", "dependant_not_eligible"]);
    assert!(
        d["reasons"][1]["en"].as_str().unwrap().contains("aged 34"),
        "{}",
        d["reasons"][1]
    );

    let mut widow = death_claim(
        2,
        json!([{"relation": "spouse", "birth_date": "1968-03-01", "sex": "female"}]),
    );
    widow["region"] = json!("CN-CQ");
    let (st, c) = s.submit(&mt, "widow-57", &widow).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    assert_eq!(codes(&c["decision"]), ["order_accident"]);
    assert_eq!(pension(&c["decision"]), Some(json!(130_196)));

    let unknown = death_claim(
        3,
        json!([{"relation": "spouse", "birth_date": "1968-03-01"}]),
    );
    let (st, c) = s.submit(&mt, "spouse-57", &unknown).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    assert_eq!(c["decision"]["outcome"], "needs_information");
    assert_eq!(codes(&c["decision"]), ["dependant_facts_needed"]);

    // A field of the dependant that is not Order No. 18's is refused, named.
    let bad = death_claim(4, json!([{"relation": "spouse", "sex": "unknown"}]));
    let (st, e) = s.submit(&mt, "bad-sex", &bad).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e.to_string().contains("dependants[0].sex"), "{e}");
    s.stop().await;
}

/// Issue 16: "the pilot's own bases are not used". For an incident from 2025-07-01 the funeral
/// grant is 6 × B, B = 60 % of the previous year's monthly private-unit wage (人社厅函〔2025〕79号
/// Art. 39): Chongqing, B(2024) = 65,098.00 × 5 % = 3,254.90 yuan, funeral 19,529.40 yuan (not
/// 6 × W). Sichuan has no private-unit figure: the line has no amount, and its base says Missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn death_items_from_2025_07_are_paid_on_the_private_unit_base() {
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let mt = s.platform("meituan").await;
    let funeral = |d: &Value| {
        d["benefits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["item"] == "funeral_subsidy")
            .cloned()
            .expect("a funeral line")
    };
    let mut cq = death_claim(11, json!([]));
    cq["region"] = json!("CN-CQ");
    // No dependants, so no kinship proof.
    cq["documents"]
        .as_array_mut()
        .unwrap()
        .retain(|d| d != "kinship_proof");
    let (st, c) = s.submit(&mt, "cq-death", &cq).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let line = funeral(&c["decision"]);
    assert_eq!(line["amount_fen"], 1_952_940, "{line}");
    assert_eq!(line["parameters"][0]["name"], "pilot_death_base.CN-CQ.2024");
    assert_eq!(line["parameters"][0]["value"], 325_490);

    let mut sc = cq.clone();
    sc["region"] = json!("CN-SC");
    sc["platform_claim_ref"] = json!("MT-TEST-12");
    let (st, c) = s.submit(&mt, "sc-death", &sc).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let line = funeral(&c["decision"]);
    assert_eq!(line["amount_fen"], Value::Null, "{line}");
    assert_eq!(line["provisional"], true);
    assert_eq!(line["parameters"][0]["confidence"], "missing");
    s.stop().await;
}
