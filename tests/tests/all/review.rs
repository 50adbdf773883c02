//! The adjusters' workflow: transitions (allowed and refused), four eyes, overrides, appeals,
//! straight-through sampling, scope, the audit chain, platform events, the notice.

use oip_tests::*;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

async fn server(b: &Backend, threshold_fen: u64) -> TestServer {
    let mut c = config(b, "review").await;
    c.four_eyes_threshold_fen = threshold_fen;
    TestServer::with_config(c).await
}

async fn review(s: &TestServer, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    s.call(
        "POST",
        &format!("/v1/claims/{id}/review"),
        token,
        Some(body),
        None,
    )
    .await
}

async fn status_of(s: &TestServer, token: &str, id: &str) -> String {
    let (_, v) = s
        .call("GET", &format!("/v1/claims/{id}"), token, None, None)
        .await;
    v["status"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transition_allowed_and_refused() {
    each_backend(|b| async move {
        let s = server(&b, 100_000_000).await;
        let mt = s.platform("meituan").await;
        let a = s.adjuster(&["CN-SC"]).await;
        let (_, c) = s.submit(&mt, "t1", &example(1)).await;
        let id = c["id"].as_str().unwrap().to_string();
        assert_eq!(c["status"], "pending_review");
        // Refused from pending_review: close.
        let (st, e) = review(&s, &a, &id, json!({"action": "close"})).await;
        assert_eq!(st, StatusCode::CONFLICT);
        assert_eq!(e["error"]["code"], "invalid_transition");
        // Appeal before any decision: refused.
        let (st, _) = s.call("POST", &format!("/v1/claims/{id}/appeal"), &mt, Some(json!({"grounds": "x"})), None).await;
        assert_eq!(st, StatusCode::CONFLICT);
        // An unknown action is a validation error.
        let (st, e) = review(&s, &a, &id, json!({"action": "shrug"})).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        // Deny needs a reason code and a note.
        let (st, e) = review(&s, &a, &id, json!({"action": "deny"})).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e["error"]["fields"].to_string().contains("reason_code"));
        // Approve → approved → close → closed; nothing after closed.
        let (st, r) = review(&s, &a, &id, json!({"action": "approve"})).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["status"], "approved");
        let (st, _) = review(&s, &a, &id, json!({"action": "approve"})).await;
        assert_eq!(st, StatusCode::CONFLICT, "approving twice");
        let (st, r) = review(&s, &a, &id, json!({"action": "close"})).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(status_of(&s, &mt, &id).await, "closed");
        let (st, _) = s.call("POST", &format!("/v1/claims/{id}/appeal"), &mt, Some(json!({"grounds": "x"})), None).await;
        assert_eq!(st, StatusCode::CONFLICT, "closed claims are not appealed");

        // request_information → needs_information → supplement → decided again.
        let (_, c2) = s.submit(&mt, "t2", &example(2)).await;
        let id2 = c2["id"].as_str().unwrap();
        let (st, e) = review(&s, &a, id2, json!({"action": "request_information", "documents": ["selfie"]})).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        let (st, r) = review(&s, &a, id2, json!({"action": "request_information", "documents": ["liability_finding"], "note": "police report"})).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(status_of(&s, &mt, id2).await, "needs_information");
        let (st, again) = s.call("POST", &format!("/v1/claims/{id2}/supplements"), &mt, Some(json!({"documents": ["liability_finding"]})), None).await;
        assert_eq!(st, StatusCode::OK, "{again}");
        assert_eq!(again["status"], "pending_review");
        let (_, hist) = s.call("GET", &format!("/v1/claims/{id2}/reviews"), &a, None, None).await;
        assert_eq!(hist["items"][0]["action"], "request_information");
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_eyes_override_deny_and_appeal() {
    each_backend(|b| async move {
        // 50,000 yuan: the example's lump sums (37,000 + 68,814 yuan) are above it.
        let s = server(&b, 5_000_000).await;
        let mt = s.platform("meituan").await;
        let a = s.adjuster(&["CN-SC"]).await;
        let b2 = s.adjuster(&["CN-SC"]).await;
        let bj = s.adjuster(&["CN-BJ"]).await;
        let (_, c) = s.submit(&mt, "fe", &example(3)).await;
        let id = c["id"].as_str().unwrap().to_string();
        // Another region's adjuster cannot see or act on it.
        assert_eq!(review(&s, &bj, &id, json!({"action": "approve"})).await.0, StatusCode::NOT_FOUND);
        let (_, q) = s.call("GET", "/v1/review/queue", &bj, None, None).await;
        assert!(q["items"].as_array().unwrap().is_empty());
        let (_, q) = s.call("GET", "/v1/review/queue", &a, None, None).await;
        assert_eq!(q["items"][0]["id"], id.as_str());
        assert_eq!(q["items"][0]["due"], "2025-09-15");
        assert_eq!(q["items"][0]["overdue"], true);

        // Override the meal subsidy (no published rate) with a reason; above the threshold.
        let (st, e) = review(&s, &a, &id, json!({"action": "override", "reason_code": "document_evidence", "note": "n",
            "benefits": [{"item": "hospital_meal_subsidy", "amount_fen": 27000, "reason_code": "bogus", "note": "x"}]})).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        let (st, r) = review(&s, &a, &id, json!({"action": "override", "reason_code": "document_evidence", "note": "hospital's rate",
            "benefits": [{"item": "hospital_meal_subsidy", "amount_fen": 27000, "reason_code": "document_evidence", "note": "30 yuan/day × 9"}]})).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["status"], "awaiting_second_approval");
        // The author cannot be the second approver.
        let (st, e) = review(&s, &a, &id, json!({"action": "approve"})).await;
        assert_eq!(st, StatusCode::CONFLICT);
        assert_eq!(e["error"]["code"], "different_adjuster_required");
        let (st, r) = review(&s, &b2, &id, json!({"action": "approve"})).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["status"], "approved");
        let lines = &r["review"]["approved_benefits"];
        let meal = lines.as_array().unwrap().iter().find(|l| l["item"] == "hospital_meal_subsidy").unwrap();
        assert_eq!(meal["amount_fen"], 27000);
        assert!(meal["recommended_amount_fen"].is_null(), "the recommendation (no amount) is kept beside it");
        assert_eq!(meal["change"]["reason_code"], "document_evidence");

        // The platform appeals; the author of the decision may not review the appeal.
        let (st, r) = s.call("POST", &format!("/v1/claims/{id}/appeal"), &mt, Some(json!({"grounds": "the rate is 50 yuan"})), None).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["status"], "appealed");
        let (st, e) = review(&s, &a, &id, json!({"action": "deny", "reason_code": "other", "note": "no"})).await;
        assert_eq!(st, StatusCode::CONFLICT, "{e}");
        assert_eq!(e["error"]["code"], "different_adjuster_required");
        let (st, r) = review(&s, &b2, &id, json!({"action": "deny", "reason_code": "document_evidence", "note": "the receipts show 30 yuan"})).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["status"], "denied");
        assert_eq!(r["review"]["appeal_outcome"]["outcome"], "denied");
        assert_eq!(r["review"]["appeal_outcome"]["appealed_decision_id"], c["decision"]["id"]);
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_track_claims_go_straight_through_and_a_share_is_sampled() {
    let s = server(&Backend::Sqlite, 10_000_000).await;
    let mt = s.platform("meituan").await;
    let bj = s.adjuster(&["CN-BJ"]).await;
    let n = 300u64;
    let mut sampled = 0;
    for i in 0..n {
        let mut body = example(1000 + i);
        body["region"] = "CN-BJ".into();
        body["medical"] = json!({"first_treatment_at": "2025-08-01T10:50:00+08:00", "outpatient_fen": 50000, "inpatient_fen": 0,
                                 "out_of_catalogue_fen": 0, "inpatient_days": 0, "treated_outside_region": false});
        body["assessment"] =
            json!({"disability_grade": null, "care_level": null, "assessed_at": null});
        body["documents"] = json!([
            "benefit_application_form",
            "consent_form",
            "diagnosis",
            "medical_receipts"
        ]);
        let (st, c) = s.submit(&mt, &format!("stp-{i}"), &body).await;
        assert_eq!(st, StatusCode::CREATED, "{c}");
        assert_eq!(c["decision"]["fast_track"], true);
        assert_eq!(c["status"], "approved");
        assert_eq!(c["review"]["auto_approved"], true);
        sampled += usize::from(c["review"]["quality_review"] == true);
    }
    // 5 % of 300 = 15; a binomial 95 % range is about 8..23.
    assert!((6..=26).contains(&sampled), "sampled {sampled} of {n}");
    let (_, q) = s.call("GET", "/v1/review/queue", &bj, None, None).await;
    let quality: Vec<&Value> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["queue"] == "quality_review")
        .collect();
    assert_eq!(quality.len(), sampled);
    // Reviewing a sample clears it from the queue.
    let id = quality[0]["id"].as_str().unwrap().to_string();
    let (st, _) = review(&s, &bj, &id, json!({"action": "approve"})).await;
    assert_eq!(st, StatusCode::OK);
    let (_, q) = s.call("GET", "/v1/review/queue", &bj, None, None).await;
    assert_eq!(q["items"].as_array().unwrap().len(), sampled - 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_chain_verifies_and_a_tampered_row_is_named() {
    each_backend(|b| async move {
        let s = server(&b, 100_000_000).await;
        let mt = s.platform("meituan").await;
        let a = s.adjuster(&["CN-SC"]).await;
        let auditor = s.token(json!({"role": "auditor"})).await;
        let (_, c) = s.submit(&mt, "au", &example(4)).await;
        let id = c["id"].as_str().unwrap();
        review(&s, &a, id, json!({"action": "approve"})).await;
        // A read of personal data is audited.
        let (st, w) = s.call("GET", &format!("/v1/claims/{id}/worker"), &a, None, None).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(w["worker"]["id_number"], "510104199003071237");
        assert_eq!(s.call("GET", &format!("/v1/claims/{id}/worker"), &mt, None, None).await.0, StatusCode::FORBIDDEN);
        let (_, trail) = s.call("GET", &format!("/v1/audit?claim={id}"), &auditor, None, None).await;
        let actions: Vec<&str> = trail["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["claim.created", "review.approve", "claim.personal_data_read"]);
        assert_eq!(s.call("GET", "/v1/audit", &a, None, None).await.0, StatusCode::FORBIDDEN);

        assert!(matches!(oip_server::audit::verify(&s.state.db).await.unwrap(), oip_server::audit::Verdict::Intact(n) if n >= 6));
        // Tamper with the review entry directly in the database.
        let seq = trail["items"][1]["seq"].as_i64().unwrap();
        s.state.db.conn.execute_unprepared(&format!("UPDATE audit SET actor = 'someone-else' WHERE seq = {seq}")).await.unwrap();
        match oip_server::audit::verify(&s.state.db).await.unwrap() {
            oip_server::audit::Verdict::Broken { seq: at, .. } => assert_eq!(at, seq),
            other => panic!("tampering not detected: {other:?}"),
        }
        // The command line says the same, and fails.
        let mut cmd = crate::oip_cli();
        cmd.args(["audit", "verify", "--data-dir"]).arg(&s.state.config.data_dir);
        match &s.state.config.database_url {
            Some(u) => cmd.env("DATABASE_URL", u),
            None => cmd.env_remove("DATABASE_URL"),
        };
        let out = cmd.output().expect("oip audit verify");
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(&format!("broken at entry {seq}")), "{text}");
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_events_consumer_resuming_from_its_cursor_misses_nothing_and_sees_nothing_twice() {
    each_backend(|b| async move {
        let s = server(&b, 100_000_000).await;
        let mt = s.platform("meituan").await;
        let ele = s.platform("eleme").await;
        let a = s.adjuster(&["CN-SC"]).await;
        let mut ids = Vec::new();
        for i in 0..5 {
            let (_, c) = s.submit(&mt, &format!("ev{i}"), &example(20 + i)).await;
            ids.push(c["id"].as_str().unwrap().to_string());
        }
        s.submit(&ele, "other", &example(99)).await;
        review(&s, &a, &ids[0], json!({"action": "approve"})).await;
        // Consume in small pages, "restarting" (a fresh read from the saved cursor) each time.
        let mut cursor = 0i64;
        let mut seen = Vec::new();
        loop {
            let (_, page) = s
                .call(
                    "GET",
                    &format!("/v1/events?after={cursor}&limit=3"),
                    &mt,
                    None,
                    None,
                )
                .await;
            let items = page["items"].as_array().unwrap();
            if items.is_empty() {
                break;
            }
            for e in items {
                seen.push(e["seq"].as_i64().unwrap());
                assert!(
                    ids.contains(&e["claim_id"].as_str().unwrap().to_string()),
                    "another platform's event: {e}"
                );
            }
            cursor = page["next_cursor"].as_i64().unwrap();
        }
        let (_, all) = s
            .call("GET", "/v1/events?limit=1000", &mt, None, None)
            .await;
        let all: Vec<i64> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect();
        assert_eq!(seen, all);
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "strictly increasing, no repeats"
        );
        // 5 claims × (created, decision, status) + 1 status change from the approval.
        assert_eq!(seen.len(), 16, "{seen:?}");
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notice_explains_the_decision_in_both_languages() {
    let s = server(&Backend::Sqlite, 100_000_000).await;
    let mt = s.platform("meituan").await;
    let (_, c) = s.submit(&mt, "no", &example(5)).await;
    let id = c["id"].as_str().unwrap();
    let zh = s
        .http
        .get(format!("{}/v1/claims/{id}/notice", s.url))
        .bearer_auth(&mt)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(zh.contains("职业伤害确认结论书"));
    assert!(zh.contains("68,814.00"), "the one-off subsidy in yuan");
    assert!(zh.contains("预发"), "provisional items are explained");
    assert!(zh.contains("《工伤保险条例》第三十七条"));
    assert!(zh.contains("5101**********1237"));
    assert!(!zh.contains("510104199003071237"));
    let en = s
        .http
        .get(format!("{}/v1/claims/{id}/notice?lang=en", s.url))
        .bearer_auth(&mt)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("occupational injury recognised"));
    assert!(en.contains("How to appeal"));
    s.stop().await;
}

/// A Beijing claim that takes the minor-injury fast track (outpatient only): approved straight
/// through.
fn beijing_fast_track(n: u64) -> Value {
    let mut body = example(n);
    body["region"] = "CN-BJ".into();
    body["medical"] = json!({"first_treatment_at": "2025-08-01T10:50:00+08:00", "outpatient_fen": 50000, "inpatient_fen": 0,
                             "out_of_catalogue_fen": 0, "inpatient_days": 0, "treated_outside_region": false});
    body["assessment"] = json!({"disability_grade": null, "care_level": null, "assessed_at": null});
    body["documents"] = json!([
        "benefit_application_form",
        "consent_form",
        "diagnosis",
        "medical_receipts"
    ]);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_line_with_a_misspelt_period_is_refused_naming_the_field() {
    each_backend(|b| async move {
        let s = server(&b, 10_000_000).await;
        let mt = s.platform("meituan").await;
        let a = s.adjuster(&["CN-SC"]).await;
        let (_, c) = s.submit(&mt, "lump", &example(1)).await;
        let id = c["id"].as_str().unwrap().to_string();
        // A trillion yuan on a line whose period is spelt `lump-sum`: round 1 approved it alone.
        let (st, e) = review(&s, &a, &id, json!({"action": "override", "reason_code": "other", "note": "x",
            "benefits": [{"item": "funeral_subsidy", "amount_fen": 100_000_000_000_000u64, "period": "lump-sum",
                          "reason_code": "other", "note": "x"}]})).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["code"], "invalid_request");
        let fields = e["error"]["fields"].to_string();
        assert!(fields.contains("benefits[0].period"), "{fields}");
        // Spelt right, the amount is above the cap of a line.
        let (st, e) = review(&s, &a, &id, json!({"action": "override", "reason_code": "other", "note": "x",
            "benefits": [{"item": "funeral_subsidy", "amount_fen": 100_000_000_000_000u64, "period": "lump_sum",
                          "reason_code": "other", "note": "x"}]})).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(e["error"]["fields"].to_string().contains("benefits[0].amount_fen"), "{e}");
        assert_eq!(status_of(&s, &a, &id).await, "pending_review");
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_override_lines_whose_sum_overflows_are_refused() {
    each_backend(|b| async move {
        let s = server(&b, 10_000_000).await;
        let mt = s.platform("meituan").await;
        let a = s.adjuster(&["CN-SC"]).await;
        let (_, c) = s.submit(&mt, "wrap", &example(2)).await;
        let id = c["id"].as_str().unwrap().to_string();
        // 2^63 + 2^63 wraps a u64 to 0: under any threshold.
        let half = 1u64 << 63;
        let (st, e) = review(&s, &a, &id, json!({"action": "override", "reason_code": "other", "note": "x",
            "benefits": [
                {"item": "funeral_subsidy", "amount_fen": half, "reason_code": "other", "note": "x"},
                {"item": "one_off_death_subsidy", "amount_fen": half, "reason_code": "other", "note": "x"}]})).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        let fields = e["error"]["fields"].to_string();
        assert!(
            fields.contains("benefits[0].amount_fen") && fields.contains("benefits[1].amount_fen"),
            "{fields}"
        );
        assert_eq!(status_of(&s, &a, &id).await, "pending_review");
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_claim_is_on_the_first_page_of_the_queue_behind_2500_approved_fast_track_claims() {
    each_backend(|b| async move {
        let mut c = config(&b, "queue").await;
        c.quality_sample_bp = 0;
        let s = TestServer::with_config(c).await;
        let mt = s.platform("meituan").await;
        let bj = s.adjuster(&["CN-BJ"]).await;
        for chunk in (0..2500u64).collect::<Vec<_>>().chunks(250) {
            let claims = chunk
                .iter()
                .map(|i| (format!("ft-{i}"), beijing_fast_track(10_000 + i)))
                .collect();
            for (st, c) in s.submit_all(&mt, claims).await {
                assert_eq!(st, StatusCode::CREATED, "{c}");
                assert_eq!(c["status"], "approved");
            }
        }
        // A claim that waits for a person: inpatient, not the fast track.
        let mut body = example(20_000);
        body["region"] = "CN-BJ".into();
        let (st, new) = s.submit_claim(&mt, "new", &body).await.expect("stored");
        assert_eq!(st, StatusCode::CREATED);
        assert_eq!(new.status.as_str(), "pending_review");
        let page = s.queue(&bj, "limit=10").await.expect("queue");
        assert!(
            page.items.iter().any(|i| i.id == new.id),
            "the new claim is on the first page: {:?}",
            page.items.iter().map(|i| &i.id).collect::<Vec<_>>()
        );
        assert_eq!(page.items.len(), 1, "nothing else waits");
        assert!(page.next_cursor.is_none());
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_pages_by_due_date_with_a_cursor_and_misses_nothing() {
    let s = server(&Backend::Sqlite, 100_000_000).await;
    let mt = s.platform("meituan").await;
    let a = s.adjuster(&["CN-SC"]).await;
    let mut ids = Vec::new();
    for i in 0..7u64 {
        let (_, c) = s.submit(&mt, &format!("pg-{i}"), &example(300 + i)).await;
        ids.push(c["id"].as_str().unwrap().to_string());
    }
    let mut seen = Vec::new();
    let mut query = "limit=3".to_string();
    loop {
        let page = s.queue(&a, &query).await.expect("page");
        assert!(page.items.len() <= 3);
        let dues: Vec<_> = page.items.iter().map(|i| i.due).collect();
        assert!(dues.windows(2).all(|w| w[0] <= w[1]), "ordered by due date");
        seen.extend(page.items.iter().map(|i| i.id.clone()));
        match page.next_cursor {
            Some(c) => query = format!("limit=3&cursor={c}"),
            None => break,
        }
    }
    ids.sort();
    seen.sort();
    assert_eq!(seen, ids, "every claim once");
    let e = s
        .queue(&a, "cursor=nonsense")
        .await
        .expect_err("a bad cursor");
    assert_eq!(e.code(), "invalid_request");
    assert_eq!(e.fields(), ["cursor"]);
    s.stop().await;
}

/// Issue 17, item 4: a region's shorter determination deadline is configuration. With
/// `CN-SC = 10` the example (application complete Monday 2025-08-04) is due 10 working days
/// later: 5-8 August (4), 11-15 August (9), Monday 18 August (10), not on the policy's 30
/// working days (Monday 2025-09-15, which the decision itself keeps).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_configured_to_shorten_the_deadline_puts_its_claims_due_earlier() {
    each_backend(|b| async move {
        let mut c = config(&b, "deadline").await;
        c.determination_working_days.insert("CN-SC".into(), 10);
        let s = TestServer::with_config(c).await;
        let mt = s.platform("meituan").await;
        let (st, v) = s.submit(&mt, "dd-1", &example(41)).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(v["due_on"], "2025-08-18", "{v}");
        assert_eq!(v["decision"]["due"]["determination"], "2025-09-15", "{v}");
        let a = s.adjuster(&["CN-SC"]).await;
        let (_, q) = s.call("GET", "/v1/review/queue", &a, None, None).await;
        assert_eq!(q["items"][0]["due"], "2025-08-18", "{q}");
        s.stop().await;
    })
    .await;
}
