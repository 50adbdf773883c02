//! Issue 15, item 1: users. Four eyes compared tokens, so one person holding two tokens was
//! two people; tokens never expired and named nobody. Each test names the hole it closes.

use oip_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}

/// A user of `role` and `regions`, and two tokens the user holds.
async fn person_with_two_tokens(
    s: &TestServer,
    role: &str,
    regions: &[&str],
) -> (Value, String, String) {
    let (_, user) = add_user(
        &s.http,
        &s.url,
        ADMIN,
        &json!({"role": role, "regions": regions}),
    )
    .await;
    let mut tokens = Vec::new();
    for label in ["laptop", "phone"] {
        let (st, t) = issue_token(
            &s.http,
            &s.url,
            ADMIN,
            json!({"user_id": user["id"], "label": label}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{t}");
        assert_eq!(t["user_id"], user["id"], "{t}");
        assert_eq!(t["role"], role, "{t}");
        assert_eq!(t["label"], label, "{t}");
        assert!(t["expires_at"].is_string(), "{t}");
        tokens.push(t["token"].as_str().expect("token").to_string());
    }
    let b = tokens.pop().expect("two");
    let a = tokens.pop().expect("two");
    (user, a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_holding_two_tokens_is_one_person_for_four_eyes_and_the_uploader_rule() {
    each_backend(|b| async move {
        let mut c = config(&b, "users").await;
        c.four_eyes_threshold_fen = 5_000_000;
        let s = TestServer::with_config(c).await;
        let mt = s.platform("meituan").await;
        let (zhang, a1, a2) = person_with_two_tokens(&s, "adjuster", &["CN-SC"]).await;
        let other = s.adjuster(&["CN-SC"]).await;
        let (_, c) = s.submit(&mt, "users-4e", &example(3)).await;
        let id = c["id"].as_str().expect("id").to_string();
        let path = format!("/v1/claims/{id}/review");
        let (st, r) = s
            .call("POST", &path, &a1, Some(json!({"action": "override", "reason_code": "document_evidence", "note": "hospital's rate",
                "benefits": [{"item": "hospital_meal_subsidy", "amount_fen": 27000, "reason_code": "document_evidence", "note": "30 yuan/day × 9"}]})), None)
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["status"], "awaiting_second_approval", "{r}");
        // The same person through the other token is not a second pair of eyes.
        let (st, e) = s
            .call("POST", &path, &a2, Some(json!({"action": "approve"})), None)
            .await;
        assert_eq!(
            (st, code(&e)),
            (StatusCode::CONFLICT, "different_adjuster_required"),
            "{e}"
        );
        let (st, r) = s
            .call("POST", &path, &other, Some(json!({"action": "approve"})), None)
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["status"], "approved", "{r}");
        // The audit trail names the user, not the token.
        let (_, audit) = s
            .call("GET", &format!("/v1/audit?claim={id}"), ADMIN, None, None)
            .await;
        let actors: Vec<&str> = audit["items"]
            .as_array()
            .expect("audit")
            .iter()
            .filter(|e| e["action"].as_str().is_some_and(|a| a.starts_with("review.")))
            .filter_map(|e| e["actor"].as_str())
            .collect();
        assert!(actors.contains(&zhang["id"].as_str().expect("id")), "{audit}");
        assert!(actors.iter().all(|a| a.starts_with("usr_")), "{actors:?}");

        // A policy_admin who uploads through one token does not approve through another.
        let key = signing_key(7);
        let (st, v) = register_key(&s.http, &s.url, "CN-SC", &key).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let (_, p1, p2) = person_with_two_tokens(&s, "policy_admin", &["CN-SC"]).await;
        let (st, p) = s
            .call(
                "POST",
                "/v1/regions/CN-SC/policies",
                &p1,
                Some(upload_body(&next_sc_module(), Some(&key), sc_cases(false))),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{p}");
        let vid = p["id"].as_str().expect("id").to_string();
        let (st, j) = s
            .call("POST", &format!("/v1/policies/{vid}/shadow"), &p1, None, None)
            .await;
        assert_eq!(st, StatusCode::ACCEPTED, "{j}");
        wait_job(&s.http, &s.url, &p1, j["id"].as_str().expect("job")).await;
        let (st, e) = s
            .call("POST", &format!("/v1/policies/{vid}/approve"), &p2, None, None)
            .await;
        assert_eq!(
            (st, code(&e)),
            (StatusCode::CONFLICT, "different_approver_required"),
            "{e}"
        );
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_a_person_names_its_user_and_a_disabled_users_tokens_are_refused_at_once() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        // A bare person's token, as every token was before users, is refused naming the field.
        let (st, e) = s
            .call(
                "POST",
                "/v1/tokens",
                ADMIN,
                Some(json!({"role": "adjuster", "regions": ["CN-SC"]})),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["path"], "user_id", "{e}");
        // A user's employee id is theirs alone; a platform is no person.
        let person = json!({"name": "周杰", "employee_id": "SC-7", "role": "auditor"});
        let (st, u) = s
            .call("POST", "/v1/users", ADMIN, Some(person.clone()), None)
            .await;
        assert_eq!(st, StatusCode::CREATED, "{u}");
        assert_eq!(u["active"], true, "{u}");
        let (st, e) = s.call("POST", "/v1/users", ADMIN, Some(person), None).await;
        assert_eq!(
            (st, code(&e)),
            (StatusCode::CONFLICT, "user_already_exists"),
            "{e}"
        );
        let (st, e) = s
            .call(
                "POST",
                "/v1/users",
                ADMIN,
                Some(json!({"name": "Meituan", "employee_id": "MT", "role": "platform"})),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["path"], "role", "{e}");

        let (uid, t1, t2) = {
            let (user, a, b) = person_with_two_tokens(&s, "auditor", &[]).await;
            (user["id"].as_str().expect("id").to_string(), a, b)
        };
        for t in [&t1, &t2] {
            assert_eq!(
                s.call("GET", "/v1/claims", t, None, None).await.0,
                StatusCode::OK
            );
        }
        // The user's tokens are listed, never the tokens themselves.
        let (st, list) = s
            .call("GET", &format!("/v1/users/{uid}/tokens"), ADMIN, None, None)
            .await;
        assert_eq!(st, StatusCode::OK, "{list}");
        let items = list["items"].as_array().expect("items");
        assert_eq!(items.len(), 2, "{list}");
        assert!(items.iter().all(|t| t.get("token").is_none()), "{list}");
        assert!(!list.to_string().contains(&t1), "{list}");

        // Disabled: both tokens refused on the next request (they were cached), and no new one.
        let (st, u) = s
            .call(
                "POST",
                &format!("/v1/users/{uid}/disable"),
                ADMIN,
                None,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{u}");
        assert_eq!(u["active"], false, "{u}");
        for t in [&t1, &t2] {
            assert_eq!(
                s.call("GET", "/v1/claims", t, None, None).await.0,
                StatusCode::UNAUTHORIZED
            );
        }
        let (st, e) = s
            .call(
                "POST",
                "/v1/tokens",
                ADMIN,
                Some(json!({"user_id": uid})),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["path"], "user_id", "{e}");
        let (_, audit) = s.call("GET", "/v1/audit", ADMIN, None, None).await;
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .expect("audit")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .filter(|a| a.starts_with("user."))
            .collect();
        assert_eq!(
            actions.iter().filter(|a| **a == "user.disabled").count(),
            1,
            "{actions:?}"
        );
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_past_its_expiry_is_refused() {
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let (_, user) = add_user(&s.http, &s.url, ADMIN, &json!({"role": "auditor"})).await;
    let now = oip_server::now().0;
    let at = |secs: i64| oip_engine::types::Timestamp(now + secs).to_string();
    for (when, why) in [
        (-60, "must be in the future"),
        (401 * 86_400, "at most 400 days ahead"),
    ] {
        let (st, e) = s
            .call(
                "POST",
                "/v1/tokens",
                ADMIN,
                Some(json!({"user_id": user["id"], "expires_at": at(when)})),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["path"], "expires_at", "{e}");
        assert!(e.to_string().contains(why), "{e}");
    }
    let (st, t) = s
        .call(
            "POST",
            "/v1/tokens",
            ADMIN,
            Some(json!({"user_id": user["id"], "label": "short", "expires_at": at(2)})),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{t}");
    let token = t["token"].as_str().expect("token");
    assert_eq!(
        s.call("GET", "/v1/claims", token, None, None).await.0,
        StatusCode::OK
    );
    // Past its expiry, and past the two seconds a valid token stays cached.
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    assert_eq!(
        s.call("GET", "/v1/claims", token, None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    // The default: 90 days for a person's token.
    let (_, t) = s
        .call(
            "POST",
            "/v1/tokens",
            ADMIN,
            Some(json!({"user_id": user["id"]})),
            None,
        )
        .await;
    let expires =
        oip_engine::types::Timestamp::parse_rfc3339(t["expires_at"].as_str().expect("expiry"))
            .expect("rfc 3339");
    assert!((expires.0 - now - 90 * 86_400).abs() < 60, "{t}");
    s.stop().await;
}

/// `oip users add|list|disable` and `oip tokens issue|list|revoke`, run as the binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oip_users_and_tokens_commands_manage_people_and_their_tokens() {
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let url = s.url.clone();
    let oip = move |args: Vec<String>| {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let out = crate::oip_cli()
                    .args(&args)
                    .args(["--server", &url, "--token", ADMIN])
                    .env_remove("OIP_TOKEN")
                    .env_remove("OIP_SERVER")
                    .output()
                    .expect("oip");
                assert!(
                    out.status.success(),
                    "oip {args:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                String::from_utf8_lossy(&out.stdout).trim().to_string()
            })
            .await
            .expect("oip")
        }
    };
    let words = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
    let uid = oip(words("users add --name Wang --employee-id SC-CLI-1 --role adjuster --region CN-SC --region CN-BJ")).await;
    assert!(uid.starts_with("usr_"), "{uid}");
    let listed = oip(words("users list")).await;
    assert!(
        listed.contains(&uid) && listed.contains("CN-SC,CN-BJ"),
        "{listed}"
    );
    let token = oip(words(&format!("tokens issue --user {uid} --label cli"))).await;
    assert!(token.starts_with("oip_"), "{token}");
    assert_eq!(
        s.call("GET", "/v1/review/queue", &token, None, None)
            .await
            .0,
        StatusCode::OK
    );
    let tokens = oip(words(&format!("tokens list --user {uid}"))).await;
    assert!(tokens.contains(" cli "), "{tokens}");
    let token_id = tokens.split(' ').next().expect("id").to_string();
    oip(words(&format!("tokens revoke {token_id}"))).await;
    assert_eq!(
        s.call("GET", "/v1/review/queue", &token, None, None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let platform = oip(words("tokens issue --platform meituan --label nightly")).await;
    assert_eq!(
        s.call("GET", "/v1/claims", &platform, None, None).await.0,
        StatusCode::OK
    );
    let pw = std::env::temp_dir().join(format!("oip-cli-pw-{}", std::process::id()));
    std::fs::write(&pw, "a passphrase from a file\n").expect("password file");
    let set = oip(vec![
        "users".into(),
        "password".into(),
        uid.clone(),
        "--password-file".into(),
        pw.display().to_string(),
    ])
    .await;
    assert!(set.ends_with("password set"), "{set}");
    let _ = std::fs::remove_file(&pw);
    let uri = oip(words(&format!("users totp {uid}"))).await;
    assert!(
        uri.starts_with("otpauth://totp/oip%3ASC-CLI-1?secret="),
        "{uri}"
    );
    let disabled = oip(words(&format!("users disable {uid}"))).await;
    assert!(disabled.ends_with("disabled"), "{disabled}");
    s.stop().await;
}
