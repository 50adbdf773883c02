//! Issue 17, item 6: the working-day calendar as signed data. From 1 January 2027 the
//! compiled-in calendar (2022-2026) counts deadlines with weekends alone; a dataset uploaded by
//! one admin, signed by a key of `CN` and approved by another puts a year's arrangement in
//! force without rebuilding any module, and the decisions made on it replay byte for byte.

use base64::Engine as _;
use oip_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A Chengdu grade-9 claim applied for on Tuesday 2026-12-01: its determination is due 30
/// working days later (条例 Art. 20 as the SDK counts it), in January 2027.
fn applied_2026_12_01(n: u64) -> Value {
    let text = example(n)
        .to_string()
        .replace("\"2025-08-01T", "\"2026-11-30T")
        .replace("\"2025-08-04T", "\"2026-12-01T")
        .replace("\"2025-12-10\"", "\"2026-12-05\"");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    v["platform_claim_ref"] = format!("MT-CAL-{n}").into();
    v
}

fn codes(claim: &Value) -> Vec<String> {
    claim["decision"]["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|r| r["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// TEST DATA, not the State Council's 2027 notice (which this repository does not hold): New
/// Year's Day and the Monday and Tuesday after it off, Saturday 2027-01-09 a make-up day.
fn test_2027() -> Value {
    json!({
        "version": "test-2027.1",
        "years": [{
            "year": 2027,
            "days_off": ["2027-01-01", "2027-01-04",
                         "2027-01-05"],
            "makeup_workdays": ["2027-01-09"],
            "source": "test data for oip's integration tests"
        }]
    })
}

fn signed(key: &oip_server::signing::SigningKey, calendar: &Value) -> Value {
    let c: oip_engine::types::Calendar =
        serde_json::from_value(calendar.clone()).expect("calendar");
    let sig = key.sign(&oip_server::calendars::signed_bytes(&c));
    json!({"calendar": calendar, "signature": base64::engine::general_purpose::STANDARD.encode(sig)})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2027_calendar_loaded_as_data_moves_deadlines_without_a_rebuild() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let mt = s.platform("meituan").await;

        // Before: 2027 is unknown, so only weekends are skipped. From Tue 2026-12-01: 22
        // weekdays to Thu 2026-12-31, Fri 2027-01-01 the 23rd, 4-8 January the 24th-28th,
        // 11 and 12 January the 29th and 30th: due Tuesday 2027-01-12, flagged.
        let (st, before) = s.submit(&mt, "cal-1", &applied_2026_12_01(1)).await;
        assert_eq!(st, StatusCode::CREATED, "{before}");
        assert_eq!(
            before["decision"]["due"]["determination"], "2027-01-12",
            "{before}"
        );
        assert!(codes(&before).contains(&"calendar_beyond_known_years".to_string()));

        // The dataset: a key of CN, registered by two admins, signs it; one admin uploads it.
        let key = signing_key(21);
        let (st, v) = register_key(&s.http, &s.url, "CN", &key).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let sc_key = signing_key(22);
        let (st, v) = register_key(&s.http, &s.url, "CN-SC", &sc_key).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let path = "/v1/calendars";
        let adj = s.adjuster(&["CN-SC"]).await;
        let (st, _) = s
            .call("POST", path, &adj, Some(signed(&key, &test_2027())), None)
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        // Signed by a region's key, or altered after signing: refused, naming the signature.
        for body in [signed(&sc_key, &test_2027()), {
            let mut b = signed(&key, &test_2027());
            b["calendar"]["years"][0]["days_off"][2] = "2027-01-06".into();
            b
        }] {
            let (st, v) = s.call("POST", path, ADMIN, Some(body), None).await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(v["error"]["code"], "signature_invalid");
            assert_eq!(v["error"]["fields"][0]["path"], "signature");
        }
        // A make-up working day that is a weekday: the field named.
        let mut weekday = test_2027();
        weekday["years"][0]["makeup_workdays"][0] = "2027-01-08".into();
        let (st, v) = s
            .call("POST", path, ADMIN, Some(signed(&key, &weekday)), None)
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(
            v["error"]["fields"][0]["path"],
            "calendar.years[0].makeup_workdays[0]"
        );
        // Signed and pushed as an operator would: `oip calendar sign`, `oip calendar push`.
        let dir = temp_dir("calendar");
        let (file, key_file) = (dir.join("2027.json"), dir.join("cn.key"));
        std::fs::write(&file, test_2027().to_string()).expect("dataset");
        std::fs::write(&key_file, key.to_text()).expect("key");
        let (url, d) = (s.url.clone(), dir.clone());
        let out = tokio::task::spawn_blocking(move || {
            let sign = crate::oip_cli()
                .args(["calendar", "sign"])
                .arg(&file)
                .arg("--key")
                .arg(&key_file)
                .output()
                .expect("oip calendar sign");
            assert!(
                sign.status.success(),
                "{}",
                String::from_utf8_lossy(&sign.stderr)
            );
            crate::oip_cli()
                .args(["calendar", "push"])
                .arg(d.join("2027.json.signed.json"))
                .args(["--server", &url, "--token", ADMIN])
                .env_remove("OIP_TOKEN")
                .env_remove("OIP_SERVER")
                .output()
                .expect("oip calendar push")
        })
        .await
        .expect("cli");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let (st, list) = s.call("GET", path, ADMIN, None, None).await;
        assert_eq!(st, StatusCode::OK);
        let up = list["items"][0].clone();
        assert_eq!(up["id"], id.as_str(), "{list}");
        assert_eq!(up["in_force"], false);
        let (st, v) = s
            .call("POST", path, ADMIN, Some(signed(&key, &test_2027())), None)
            .await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("calendar_version_exists"))
        );
        // Not in force until a second admin approves it; the uploader may not.
        let approve = format!("/v1/calendars/{}/approve", up["id"].as_str().expect("id"));
        let (st, v) = s.call("POST", &approve, ADMIN, None, None).await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("calendar_second_admin_required"))
        );
        let second = second_admin(&s.http, &s.url).await;
        let (st, v) = s.call("POST", &approve, &second, None, None).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["in_force"], true);
        assert_eq!(v["years"], json!([2027]));

        // After: 22 working days in December, 1, 4 and 5 January off, 6-8 January the
        // 23rd-25th, Saturday 9 January (make-up) the 26th, 11-14 January the 27th-30th: due
        // Thursday 2027-01-14, and no longer flagged. No module was rebuilt or pushed.
        let (st, after) = s.submit(&mt, "cal-2", &applied_2026_12_01(2)).await;
        assert_eq!(st, StatusCode::CREATED, "{after}");
        assert_eq!(
            after["decision"]["due"]["determination"], "2027-01-14",
            "{after}"
        );
        assert!(!codes(&after).contains(&"calendar_beyond_known_years".to_string()));
        // The decision replays byte for byte from what is stored (the facts with the dataset),
        // and the earlier one, made before the dataset, still replays as it was.
        for claim in [&after, &before] {
            let id = claim["decision"]["id"].as_str().expect("decision id");
            let replay = format!("/v1/decisions/{id}/replay");
            let (st, r) = s.call("POST", &replay, &adj, None, None).await;
            assert_eq!(st, StatusCode::OK, "{r}");
            assert_eq!(r["identical"], true, "{r}");
        }

        // A key of CN signs no region's module.
        let sc = s
            .token(json!({"role": "policy_admin", "regions": ["CN-SC"]}))
            .await;
        let body = upload_body(&next_sc_module(), Some(&key), sc_cases(false));
        let (st, v) = s
            .call("POST", "/v1/regions/CN-SC/policies", &sc, Some(body), None)
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["code"], "signing_key_wrong_region");

        // Listed for an auditor, the one in force marked.
        let aud = s.token(json!({"role": "auditor"})).await;
        let (st, list) = s.call("GET", path, &aud, None, None).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(list["items"][0]["version"], "test-2027.1");
        assert_eq!(list["items"][0]["in_force"], true);
        s.stop().await;
    })
    .await;
}
