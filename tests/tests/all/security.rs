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
    let (st, v) = s
        .call("DELETE", &format!("/v1/keys/{id}"), ADMIN, None, None)
        .await;
    assert!(st.is_success(), "{st} {v}");
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
