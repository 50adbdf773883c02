//! The policy lifecycle on a real server: every refusal of an upload, then upload → shadow run
//! (report, chart) → approval (four eyes) → activation → claims decided by the new version →
//! re-decision → rollback; scheduled activation; the audit trail of every step.

use oip_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn upload(s: &TestServer, token: &str, region: &str, body: Value) -> (StatusCode, Value) {
    s.call(
        "POST",
        &format!("/v1/regions/{region}/policies"),
        token,
        Some(body),
        None,
    )
    .await
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_upload_check_refuses_with_its_code() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let sc_key = signing_key(7);
        let bj_key = signing_key(8);
        for (region, key) in [("CN-SC", &sc_key), ("CN-BJ", &bj_key)] {
            let (st, v) = register_key(&s.http, &s.url, region, key).await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
        }
        // Registering a malformed key is a validation error naming the field.
        let (st, v) = s
            .call(
                "POST",
                "/v1/keys",
                ADMIN,
                Some(json!({"region": "CN-SC", "public_key": "abc"})),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["error"]["fields"][0]["path"], "public_key");
        let sc = s
            .token(json!({"role": "policy_admin", "regions": ["CN-SC"]}))
            .await;
        let bj = s
            .token(json!({"role": "policy_admin", "regions": ["CN-BJ"]}))
            .await;
        let adjuster = s.adjuster(&["CN-SC"]).await;
        let module = next_sc_module();
        let good = || upload_body(&module, Some(&sc_key), sc_cases(false));

        // Roles and scope, settled before the body is read: a small body, since the server
        // answers without reading it and a client still writing a large one may see its
        // connection closed first (security.rs sends the large one over raw TCP).
        let small = || json!({"module": "AAAA"});
        let (st, _) = upload(&s, &adjuster, "CN-SC", small()).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _) = upload(&s, &bj, "CN-SC", small()).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _) = upload(&s, ADMIN, "CN-SC", small()).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "uploads are a policy_admin's");

        // Malformed bodies: each problem named by its field.
        for (body, field) in [
            (json!({"module": "AAAA", "extra": 1}), "extra"),
            (json!({"module": "%%%"}), "module"),
            (json!({"signature": "AAAA"}), "module"),
        ] {
            let (st, v) = upload(&s, &sc, "CN-SC", body).await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(code(&v), "invalid_request");
            let fields = v["error"]["fields"].to_string();
            assert!(fields.contains(field), "{field}: {fields}");
        }

        // Signatures: none, tampered, another region's key.
        let (st, v) = upload(
            &s,
            &sc,
            "CN-SC",
            upload_body(&module, None, sc_cases(false)),
        )
        .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "signature_required")
        );
        let mut tampered = upload_body(&module, Some(&sc_key), sc_cases(false));
        let mut altered = module.clone();
        let last = altered.len() - 1;
        altered[last] ^= 0x01;
        tampered["module"] = upload_body(&altered, None, vec![])["module"].clone();
        let (st, v) = upload(&s, &sc, "CN-SC", tampered).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "signature_invalid")
        );
        let (st, v) = upload(
            &s,
            &sc,
            "CN-SC",
            upload_body(&module, Some(&bj_key), sc_cases(false)),
        )
        .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "signing_key_wrong_region")
        );
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("CN-BJ"),
            "{v}"
        );
        let unknown = signing_key(9);
        let (st, v) = upload(
            &s,
            &sc,
            "CN-SC",
            upload_body(&module, Some(&unknown), sc_cases(false)),
        )
        .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "signature_invalid")
        );

        // The module itself: imports, contract version, region.
        let wasi =
            std::fs::read(oip_engine::builtin::fixture_path("imports-wasi")).expect("fixture");
        let (st, v) = upload(
            &s,
            &sc,
            "CN-SC",
            upload_body(&wasi, Some(&sc_key), sc_cases(false)),
        )
        .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "policy_invalid"),
            "{v}"
        );
        let v2 = std::fs::read(oip_engine::builtin::fixture_path("wit-v2")).expect("fixture");
        let (st, v) = upload(
            &s,
            &sc,
            "CN-SC",
            upload_body(&v2, Some(&sc_key), sc_cases(false)),
        )
        .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "policy_incompatible"),
            "{v}"
        );
        let (st, v) = upload(
            &s,
            &bj,
            "CN-BJ",
            upload_body(&module, Some(&bj_key), sc_cases(false)),
        )
        .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "policy_region_mismatch")
        );
        assert_eq!(v["error"]["fields"][0]["path"], "manifest.region");

        // Its own cases: required, and they must pass. The built-in case decided on the W(2024)
        // stand-in fails on the version that has W(2025), and the refusal names it.
        let (st, v) = upload(
            &s,
            &sc,
            "CN-SC",
            upload_body(&module, Some(&sc_key), vec![]),
        )
        .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "policy_cases_required")
        );
        let (st, v) = upload(
            &s,
            &sc,
            "CN-SC",
            upload_body(&module, Some(&sc_key), sc_cases(true)),
        )
        .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "policy_cases_failed")
        );
        let failed = v["error"]["fields"].as_array().expect("fields");
        assert_eq!(failed.len(), 1, "{v}");
        assert!(
            failed[0]["problem"]
                .as_str()
                .unwrap_or_default()
                .contains("covered_wage_base_stand_in")
        );

        // Nothing refused was stored.
        let (_, list) = s
            .call("GET", "/v1/regions/CN-SC/policies", &sc, None, None)
            .await;
        assert_eq!(
            list["items"].as_array().map(Vec::len),
            Some(1),
            "only the built-in version"
        );

        // Accepted: stored as `uploaded`, not in force; the same bytes again are the same version.
        let (st, p) = upload(&s, &sc, "CN-SC", good()).await;
        assert_eq!(st, StatusCode::CREATED, "{p}");
        assert_eq!(p["status"], "uploaded");
        assert_eq!(p["version"], "2026.2");
        assert_eq!(p["in_force_today"], false);
        assert_eq!(p["validation"]["passed"], sc_cases(false).len());
        let (st, again) = upload(&s, &sc, "CN-SC", good()).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(again["id"], p["id"]);
        // A revoked key signs nothing any more.
        let (_, keys) = s.call("GET", "/v1/keys", ADMIN, None, None).await;
        let sc_key_id = keys["items"]
            .as_array()
            .expect("keys")
            .iter()
            .find(|k| k["region"] == "CN-SC")
            .expect("key")["id"]
            .as_str()
            .expect("id")
            .to_string();
        revoke_key(&s.http, &s.url, &sc_key_id).await;
        let (st, v) = upload(&s, &sc, "CN-SC", good()).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "signature_invalid")
        );
        s.stop().await;
    })
    .await;
}

async fn decided_by(s: &TestServer, platform: &str, key: &str, claim: &Value) -> String {
    let (st, c) = s.submit(platform, key, claim).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    c["decision"]["policy"]["sha256"]
        .as_str()
        .expect("sha256")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shadow_approve_activate_redecide_roll_back() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let mt = s.platform("meituan").await;
        // Stored claims: 4 of 2025 (no change expected), 3 of 2026 (decided on the W(2024)
        // stand-in, provisional), 2 of Beijing (another region: not in the run).
        let mut builtin_sc = String::new();
        for n in 0..4 {
            builtin_sc = decided_by(&s, &mt, &format!("y25-{n}"), &example(n)).await;
        }
        let mut ids_2026 = Vec::new();
        for n in 0..3 {
            let (st, c) = s.submit(&mt, &format!("y26-{n}"), &example_2026(n)).await;
            assert_eq!(st, StatusCode::CREATED, "{c}");
            assert!(
                c["decision"]["benefits"]
                    .to_string()
                    .contains("\"provisional\":true"),
                "{c}"
            );
            ids_2026.push(c["id"].as_str().expect("id").to_string());
        }
        for n in 0..2 {
            let mut bj = example(100 + n);
            bj["region"] = json!("CN-BJ");
            let (st, c) = s.submit(&mt, &format!("bj-{n}"), &bj).await;
            assert_eq!(st, StatusCode::CREATED, "{c}");
        }

        let key = signing_key(7);
        let (st, _) = register_key(&s.http, &s.url, "CN-SC", &key).await;
        assert_eq!(st, StatusCode::CREATED);
        let a = s
            .token(json!({"role": "policy_admin", "regions": ["CN-SC"]}))
            .await;
        let b2 = s
            .token(json!({"role": "policy_admin", "regions": ["CN-SC"]}))
            .await;
        let bj_admin = s
            .token(json!({"role": "policy_admin", "regions": ["CN-BJ"]}))
            .await;
        let (st, p) = upload(
            &s,
            &a,
            "CN-SC",
            upload_body(&next_sc_module(), Some(&key), sc_cases(false)),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{p}");
        let id = p["id"].as_str().expect("id").to_string();
        assert_ne!(id, builtin_sc);

        // A dry run of the candidate (issue 17, item 7): `/v1/evaluate?policy=` decides with
        // it; without it, the version in force decides; only a reader of the version names it.
        let facts = example_2026(9);
        let (st, in_force) = s
            .call("POST", "/v1/evaluate", &a, Some(facts.clone()), None)
            .await;
        assert_eq!(st, StatusCode::OK, "{in_force}");
        assert_eq!(in_force["policy"]["sha256"], builtin_sc.as_str());
        let dry = format!("/v1/evaluate?policy={id}");
        let (st, tried) = s.call("POST", &dry, &a, Some(facts.clone()), None).await;
        assert_eq!(st, StatusCode::OK, "{tried}");
        assert_eq!(tried["policy"]["sha256"], id.as_str());
        assert_ne!(
            tried["decision"]["benefits"],
            in_force["decision"]["benefits"]
        );
        let (st, v) = s.call("POST", &dry, &mt, Some(facts.clone()), None).await;
        assert_eq!((st, code(&v)), (StatusCode::FORBIDDEN, "forbidden"), "{v}");

        // Approval needs a shadow run first.
        let (st, v) = s
            .call(
                "POST",
                &format!("/v1/policies/{id}/approve"),
                &b2,
                None,
                None,
            )
            .await;
        assert_eq!((st, code(&v)), (StatusCode::CONFLICT, "shadow_required"));
        // Another region's admin does not even see it.
        let (st, _) = s
            .call(
                "POST",
                &format!("/v1/policies/{id}/shadow"),
                &bj_admin,
                None,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);

        // The shadow run: 7 Sichuan claims, the three of 2026 change, nothing is written.
        let (st, job) = s
            .call("POST", &format!("/v1/policies/{id}/shadow"), &a, None, None)
            .await;
        assert_eq!(st, StatusCode::ACCEPTED, "{job}");
        assert_eq!(job["total"], 7);
        let done = wait_job(&s.http, &s.url, &a, job["id"].as_str().expect("job")).await;
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(done["done"], 7);
        let (_, m) = s.call("GET", "/metrics", "", None, None).await;
        let m = m.as_str().unwrap_or_default();
        assert!(
            m.contains("oip_jobs_total{kind=\"shadow\",status=\"done\"} 1"),
            "{m}"
        );
        assert!(m.contains("oip_job_claims_total{kind=\"shadow\"} 7"), "{m}");
        let r = &done["report"];
        assert_eq!(r["compared"], 7, "{r}");
        assert_eq!(r["failed"], 0);
        assert_eq!(r["changed"], 3, "{r}");
        assert_eq!(r["unchanged"], 4);
        let changed: Vec<&str> = r["changed_claims"]
            .as_array()
            .expect("list")
            .iter()
            .map(|c| c["claim_id"].as_str().unwrap_or_default())
            .collect();
        for cid in &ids_2026 {
            assert!(changed.contains(&cid.as_str()), "{cid} not in {changed:?}");
        }
        // W(2025) = 7,800.00 > W(2024) = 7,646.00: every changed amount went up.
        let moved: Vec<&Value> = r["benefits"]
            .as_array()
            .expect("benefits")
            .iter()
            .filter(|b| b["claims_changed"].as_i64().unwrap_or(0) > 0)
            .collect();
        assert!(!moved.is_empty(), "{r}");
        for b in &moved {
            assert_eq!(b["claims_changed"], 3, "{b}");
            assert!(b["min_change_fen"].as_i64().unwrap_or(0) > 0, "{b}");
            assert_eq!(
                b["sum_after_fen"].as_i64().unwrap_or(0)
                    - b["sum_before_fen"].as_i64().unwrap_or(0),
                b["sum_change_fen"].as_i64().unwrap_or(-1)
            );
        }
        let buckets: i64 = r["payout_change"]["buckets"]
            .as_array()
            .expect("buckets")
            .iter()
            .map(|b| b["count"].as_i64().unwrap_or(0))
            .sum();
        assert_eq!(buckets, 3);
        let chart = s
            .http
            .get(format!("{}/v1/policies/{id}/shadow/chart.svg", s.url))
            .bearer_auth(&a)
            .send()
            .await
            .expect("chart");
        assert_eq!(chart.status(), StatusCode::OK);
        assert!(
            chart.headers()["content-type"]
                .to_str()
                .unwrap_or_default()
                .starts_with("image/svg+xml")
        );
        let svg = chart.text().await.expect("svg");
        assert_eq!(svg.matches("class=\"bar\"").count(), 11);
        // Nothing changed: the 2026 claims still have one decision each.
        let (_, ds) = s
            .call(
                "GET",
                &format!("/v1/claims/{}/decisions", ids_2026[0]),
                &mt,
                None,
                None,
            )
            .await;
        assert_eq!(ds["items"].as_array().map(Vec::len), Some(1), "{ds}");

        // A date range: the incidents of 2026 only; a malformed date names its field.
        let (st, v) = s
            .call(
                "POST",
                &format!("/v1/policies/{id}/shadow"),
                &a,
                Some(json!({"from": "2026-13-01"})),
                None,
            )
            .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request")
        );
        assert_eq!(v["error"]["fields"][0]["path"], "from");
        let (st, job) = s
            .call(
                "POST",
                &format!("/v1/policies/{id}/shadow"),
                &a,
                Some(json!({"from": "2026-01-01", "to": "2026-12-31"})),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::ACCEPTED, "{job}");
        assert_eq!(job["total"], 3);
        let ranged = wait_job(&s.http, &s.url, &a, job["id"].as_str().expect("job")).await;
        assert_eq!(
            (
                ranged["report"]["changed"].clone(),
                ranged["report"]["unchanged"].clone()
            ),
            (json!(3), json!(0)),
            "{ranged}"
        );

        // Four eyes, then approval.
        let (st, v) = s
            .call(
                "POST",
                &format!("/v1/policies/{id}/approve"),
                &a,
                None,
                None,
            )
            .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, "different_approver_required")
        );
        let (st, v) = s
            .call(
                "POST",
                &format!("/v1/policies/{id}/approve"),
                &b2,
                None,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "approved");
        let (st, v) = s
            .call(
                "POST",
                &format!("/v1/policies/{id}/approve"),
                &b2,
                None,
                None,
            )
            .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, "invalid_policy_transition")
        );
        // Still the built-in version in force until activation.
        assert_eq!(
            decided_by(&s, &mt, "before-activation", &example(50)).await,
            builtin_sc
        );

        // Activation: the next claim is decided by the new version.
        let (st, v) = s
            .call(
                "POST",
                &format!("/v1/policies/{id}/activate"),
                &b2,
                Some(json!({})),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "active");
        assert_eq!(v["in_force_today"], true);
        assert_eq!(
            decided_by(&s, &mt, "after-activation", &example(51)).await,
            id
        );
        let (_, regions) = s.call("GET", "/v1/regions", &mt, None, None).await;
        let sc = regions["items"]
            .as_array()
            .expect("regions")
            .iter()
            .find(|r| r["region"] == "CN-SC")
            .expect("CN-SC")
            .clone();
        assert_eq!(sc["in_force_today"]["sha256"], id.as_str());

        // Re-decision: the three provisional 2026 claims, each new decision replacing the old.
        let (st, job) = s
            .call(
                "POST",
                &format!("/v1/policies/{id}/redecide"),
                &a,
                None,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::ACCEPTED, "{job}");
        let done = wait_job(&s.http, &s.url, &a, job["id"].as_str().expect("job")).await;
        assert_eq!(done["status"], "done", "{done}");
        // 9 open Sichuan claims: the 3 of 2026 change; the 5 others of 2025 would be decided
        // identically (not decided again); the one decided by the new version is skipped.
        assert_eq!(done["report"]["redecided"], 3, "{done}");
        assert_eq!(done["report"]["unchanged"], 5, "{done}");
        assert_eq!(done["report"]["skipped"], 1, "{done}");
        for cid in &ids_2026 {
            let (_, ds) = s
                .call(
                    "GET",
                    &format!("/v1/claims/{cid}/decisions"),
                    &mt,
                    None,
                    None,
                )
                .await;
            let items = ds["items"].as_array().expect("decisions");
            assert_eq!(items.len(), 2, "{ds}");
            assert_eq!(items[1]["replaces"], items[0]["id"], "{ds}");
            assert_eq!(items[1]["policy"]["sha256"], id.as_str());
        }

        // Rollback: the built-in version is in force again; once more, nothing to roll back to.
        let (st, v) = s
            .call("POST", "/v1/regions/CN-SC/rollback", &b2, None, None)
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["rolled_back"]["sha256"], id.as_str());
        assert_eq!(v["in_force"]["sha256"], builtin_sc.as_str());
        assert_eq!(
            decided_by(&s, &mt, "after-rollback", &example(52)).await,
            builtin_sc
        );
        let (st, v) = s
            .call("POST", "/v1/regions/CN-SC/rollback", &b2, None, None)
            .await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::CONFLICT, "nothing_to_roll_back")
        );

        // Every step is in the audit trail, in order.
        let (_, audit) = s
            .call("GET", "/v1/audit?limit=500", ADMIN, None, None)
            .await;
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .expect("audit")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .filter(|a| a.starts_with("policy.") || a.starts_with("key."))
            .collect();
        // The built-in versions, deployed at first start, come first.
        let builtin = oip_engine::builtin::POLICIES.len();
        assert!(
            actions[..builtin]
                .iter()
                .all(|a| *a == "policy.deployed_builtin"),
            "{actions:?}"
        );
        assert_eq!(
            actions[builtin..],
            [
                "key.added",
                "key.approved",
                "policy.uploaded",
                "policy.shadow_started",
                "policy.shadow_finished",
                "policy.shadow_started",
                "policy.shadow_finished",
                "policy.approved",
                "policy.activated",
                "policy.redecide_started",
                "policy.redecide_finished",
                "policy.rolled_back",
            ],
            "{audit}"
        );
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_version_takes_effect_at_its_time() {
    let b = Backend::Sqlite;
    let s = TestServer::spawn(&b).await;
    let mt = s.platform("meituan").await;
    let builtin_sc = decided_by(&s, &mt, "before", &example(1)).await;
    let (id, _, approver) = approved_next_sc(&s.http, &s.url).await;
    // A time without an offset is refused.
    let (st, v) = s
        .call(
            "POST",
            &format!("/v1/policies/{id}/activate"),
            &approver,
            Some(json!({"at": "2026-12-01 00:00"})),
            None,
        )
        .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request")
    );
    let at = oip_engine::types::Timestamp(oip_server::now().0 + 3);
    let (st, v) = s
        .call(
            "POST",
            &format!("/v1/policies/{id}/activate"),
            &approver,
            Some(json!({"at": at.to_string()})),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "scheduled");
    assert_eq!(
        decided_by(&s, &mt, "scheduled", &example(2)).await,
        builtin_sc
    );
    let mut n = 10;
    let switched = eventually(Duration::from_secs(10), || {
        n += 1;
        let key = format!("poll-{n}");
        let (s, mt, builtin_sc) = (&s, &mt, &builtin_sc);
        async move {
            (decided_by(s, mt, &key, &example(n)).await != *builtin_sc)
                .then_some(oip_server::now().0)
        }
    })
    .await
    .expect("the scheduled version takes effect");
    assert!(switched >= at.0, "not before its time");
    let (_, p) = s
        .call("GET", &format!("/v1/policies/{id}"), &approver, None, None)
        .await;
    assert_eq!(p["status"], "active", "{p}");
    s.stop().await;
}

/// The module with a custom section appended: other bytes, the same code and manifest.
fn with_custom_section(module: &[u8], name: &str) -> Vec<u8> {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let mut payload = Vec::new();
    leb(name.len(), &mut payload);
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(b"test");
    let mut out = module.to_vec();
    out.push(0);
    leb(payload.len(), &mut out);
    out.extend(payload);
    out
}

/// A body signed for a given release statement.
fn release_body(
    module: &[u8],
    statement: oip_server::policies::release::ReleaseStatement,
) -> Value {
    let f = oip_server::cli::keys::sign_statement(&signing_key(7), statement);
    let mut v = upload_body(module, None, sc_cases(false));
    v["signature"] = json!(f.signature);
    v["release"] = serde_json::to_value(&f.release).expect("json");
    v
}

/// Issue 15, item 6: the signature covered only the file's digest, so a module signed long ago
/// could be uploaded again as new (a rollback past the four eyes), and nothing signed said which
/// release or manifest the key holder meant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_release_is_refused_at_upload_and_the_statement_must_match_the_module() {
    each_backend(|b| async move {
        use oip_server::policies::release::ReleaseStatement;
        let s = TestServer::spawn(&b).await;
        let (st, v) = register_key(&s.http, &s.url, "CN-SC", &signing_key(7)).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let sc = s
            .token(json!({"role": "policy_admin", "regions": ["CN-SC"]}))
            .await;
        let base = next_sc_module();
        let (a, bb) = (
            with_custom_section(&base, "oip-test-a"),
            with_custom_section(&base, "oip-test-b"),
        );
        let of = |module: &[u8], release| signed(&signing_key(7), module, release).release;
        let (st, v) = upload(&s, &sc, "CN-SC", release_body(&a, of(&a, 10))).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(v["validation"]["release"], 10);
        for release in [9, 10] {
            let (st, v) = upload(&s, &sc, "CN-SC", release_body(&bb, of(&bb, release))).await;
            assert_eq!(
                (st, code(&v)),
                (StatusCode::CONFLICT, "policy_release_not_newer"),
                "release {release}: {v}"
            );
            assert_eq!(v["error"]["fields"][0]["path"], "release");
        }
        // The same file again is the version stored (not a new release).
        let (st, again) = upload(&s, &sc, "CN-SC", release_body(&a, of(&a, 10))).await;
        assert_eq!(st, StatusCode::OK, "{again}");
        // A statement the key holder signed that the module contradicts.
        let forged = ReleaseStatement {
            version: "2099.1".into(),
            ..of(&bb, 11)
        };
        let (st, v) = upload(&s, &sc, "CN-SC", release_body(&bb, forged)).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "policy_release_mismatch"),
            "{v}"
        );
        assert_eq!(v["error"]["fields"][0]["path"], "release.version");
        // A signature without its statement (as before) names the field.
        let mut bare = release_body(&bb, of(&bb, 11));
        bare.as_object_mut().expect("body").remove("release");
        let (st, v) = upload(&s, &sc, "CN-SC", bare).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
            "{v}"
        );
        assert_eq!(v["error"]["fields"][0]["path"], "release");
        // A newer release is taken.
        let (st, v) = upload(&s, &sc, "CN-SC", release_body(&bb, of(&bb, 11))).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        s.stop().await;
    })
    .await;
}

/// A `multipart/form-data` body from `(name, file name, bytes)` parts; `(content type, body)`.
fn multipart(parts: &[(&str, Option<String>, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "oip-test-boundary-7d3f";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match file {
            Some(f) => {
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n")
            }
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"Content-Type: application/octet-stream\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Issue 15, item 10: the module travelled only as base64 inside a JSON body; it can now be
/// sent as its raw bytes, and it is the same version as the JSON upload of those bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_uploaded_as_raw_bytes_in_a_multipart_form_is_the_same_version_as_its_json_upload()
{
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let (st, v) = register_key(&s.http, &s.url, "CN-SC", &signing_key(7)).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let sc = s
            .token(json!({"role": "policy_admin", "regions": ["CN-SC"]}))
            .await;
        let module = next_sc_module();
        let sig = signed(&signing_key(7), &module, next_release());
        let mut parts = vec![
            (
                "module",
                Some("oip_policy_cn_sc.wasm".to_string()),
                module.clone(),
            ),
            (
                "signature",
                Some("oip_policy_cn_sc.wasm.sig".to_string()),
                serde_json::to_vec(&sig).expect("json"),
            ),
        ];
        for mut case in sc_cases(false) {
            let name = case["name"].as_str().expect("name").to_string();
            case.as_object_mut().expect("case").remove("name");
            parts.push((
                "cases",
                Some(format!("{name}.json")),
                serde_json::to_vec(&case).expect("json"),
            ));
        }
        let send = |parts: Vec<(&'static str, Option<String>, Vec<u8>)>| {
            let (ct, body) = multipart(&parts);
            let req = s
                .http
                .post(format!("{}/v1/regions/CN-SC/policies", s.url))
                .bearer_auth(&sc)
                .header("Content-Type", ct)
                .body(body);
            async move {
                let resp = req.send().await.expect("upload");
                let st = resp.status();
                (st, resp.json::<Value>().await.expect("json"))
            }
        };
        let (st, v) = send(parts.clone()).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(v["status"], "uploaded");
        assert_eq!(v["validation"]["passed"], sc_cases(false).len());
        // The same bytes as JSON: the version stored.
        let mut json_body = upload_body(&module, None, sc_cases(false));
        json_body["signature"] = json!(sig.signature);
        json_body["release"] = serde_json::to_value(&sig.release).expect("json");
        let (st, again) = upload(&s, &sc, "CN-SC", json_body).await;
        assert_eq!(st, StatusCode::OK, "{again}");
        assert_eq!(again["id"], v["id"]);
        // A form without its module names the field.
        let (st, v) = send(parts[1..].to_vec()).await;
        assert_eq!(
            (st, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
            "{v}"
        );
        assert_eq!(v["error"]["fields"][0]["path"], "module");
        s.stop().await;
    })
    .await;
}

/// Issue 15, item 3: an admin could approve a version, so one admin could register a region's
/// key, issue a policy_admin token, upload with it and approve alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_cannot_approve_a_policy_version() {
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let (id, _, _) = shadowed_next_sc(&s.http, &s.url).await;
    let (st, v) = s
        .call(
            "POST",
            &format!("/v1/policies/{id}/approve"),
            ADMIN,
            None,
            None,
        )
        .await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::FORBIDDEN, "approver_must_be_policy_admin"),
        "{v}"
    );
    let (_, p) = s
        .call("GET", &format!("/v1/policies/{id}"), ADMIN, None, None)
        .await;
    assert_eq!(p["status"], "uploaded", "{p}");
    s.stop().await;
}

/// `oip policy push` sends what `oip policy build` and `sign` left on disk as a multipart form:
/// the module's raw bytes, the `.sig` file, the case files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oip_policy_push_uploads_the_module_file_as_raw_bytes() {
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let key = signing_key(7);
    let (st, v) = register_key(&s.http, &s.url, "CN-SC", &key).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let sc = s
        .token(json!({"role": "policy_admin", "regions": ["CN-SC"]}))
        .await;
    let (wasm, cases, sig) = push_files(&temp_dir("push"), &key);
    let out = crate::oip_push(&s.url, &sc, (wasm, cases), None).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (st, p) = s
        .call("GET", &format!("/v1/policies/{id}"), &sc, None, None)
        .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(p["status"], "uploaded");
    assert_eq!(p["validation"]["release"], sig.release.release);
    assert_eq!(p["validation"]["passed"], sc_cases(false).len());
    s.stop().await;
}

/// The anti-rollback check read the region's newest release and the insert came later, so two
/// uploads of one release number at once could both be stored. The schema now holds a region's
/// release numbers unique: a row with a stored release number, as a concurrent upload past the
/// check would write it, is not stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_module_with_a_stored_release_number_is_not_stored_even_past_the_upload_check() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let (id, _, _) = shadowed_next_sc(&s.http, &s.url).await;
        let mut row = s.state.db.policy(&id).await.expect("read").expect("stored");
        assert!(row.validation.as_ref().and_then(|v| v.release).is_some());
        row.sha256 = "f".repeat(64);
        let stored = s
            .state
            .writer
            .submit_logged(
                Some(s.state.db.insert_policy_stmt(&row, b"another module")),
                vec![],
                vec![],
                vec![],
            )
            .await
            .expect("write");
        assert!(
            !stored,
            "a second version with the region's release number was stored"
        );
        s.stop().await;
    })
    .await;
}
