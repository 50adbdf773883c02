//! Issue 16, items 3 to 5: the payment ledger and the monthly runs. A grade-3 Chongqing claim
//! approved by an adjuster is owed its lump sums once and its disability allowance every month
//! from the month after the appraisal; the run of the current month pays the arrears and the
//! month, is one batch however often it is asked for, is released by a second officer only,
//! and exports a bank file whose checksum line adds up. A returned payment is owed again; an
//! override after payment owes the difference for every month paid (true-ups).

use oip_tests::*;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::time::Duration;

/// The current month in Beijing, and the month `back` months before it.
fn month_back(back: i64) -> (i32, u8) {
    let today = oip_server::now().beijing_date();
    let m = oip_server::domain::Month::of(today.year, today.month);
    let b = oip_server::domain::Month(m.0 - back);
    (b.year() as i32, b.month() as u8)
}

fn ym(back: i64) -> String {
    let (y, m) = month_back(back);
    format!("{y:04}-{m:02}")
}

/// A grade-3 Chongqing claim (injured on 2025-08-01: its allowance rests on Chongqing's 2024
/// private-unit wage), appraised on the 10th three months ago.
fn grade_3(n: u64) -> Value {
    let mut v = example(n);
    v["region"] = "CN-CQ".into();
    v["platform_claim_ref"] = format!("MT-PAY-{n}").into();
    v["assessment"]["disability_grade"] = 3.into();
    v["assessment"]["assessed_at"] = format!("{}-10", ym(3)).into();
    v
}

/// A server with four eyes out of the way of these amounts, a platform, two adjusters and
/// two payments officers of Chongqing.
struct Cast {
    s: TestServer,
    mt: String,
    adj: String,
    adj2: String,
    officer: String,
    second: String,
}

async fn cast(b: &Backend, tag: &str) -> Cast {
    let mut c = config(b, tag).await;
    c.four_eyes_threshold_fen = 1_000_000_000;
    let s = TestServer::with_config(c).await;
    let officer = json!({"role": "payments_officer", "regions": ["CN-CQ"]});
    Cast {
        mt: s.platform("meituan").await,
        adj: s.adjuster(&["CN-CQ"]).await,
        adj2: s.adjuster(&["CN-CQ"]).await,
        officer: s.token(officer.clone()).await,
        second: s.token(officer).await,
        s,
    }
}

async fn approve(s: &TestServer, adjuster: &str, id: &str) {
    let (st, r) = s
        .call(
            "POST",
            &format!("/v1/claims/{id}/review"),
            adjuster,
            Some(json!({"action": "approve"})),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
}

/// Starts the run of a region and month, waits until it is built, has another officer
/// release it; its id.
async fn paid_run(
    s: &TestServer,
    officer: &str,
    second: &str,
    region: &str,
    month: &str,
) -> String {
    let (st, run) = s
        .call(
            "POST",
            "/v1/payments/runs",
            officer,
            Some(json!({"region": region, "month": month})),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{run}");
    let id = run["id"].as_str().expect("run id").to_string();
    wait_built(s, officer, &id).await;
    let (st, r) = s
        .call(
            "POST",
            &format!("/v1/payments/runs/{id}/release"),
            second,
            None,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    id
}

async fn wait_built(s: &TestServer, token: &str, id: &str) -> Value {
    eventually(Duration::from_secs(60), || async {
        let (st, r) = s
            .call("GET", &format!("/v1/payments/runs/{id}"), token, None, None)
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        (r["status"] != "building").then_some(r)
    })
    .await
    .expect("the run is built within a minute")
}

fn monthly_amount(claim: &Value, item: &str) -> i64 {
    claim["decision"]["benefits"]
        .as_array()
        .expect("benefits")
        .iter()
        .find(|l| l["item"] == item && l["period"] == "monthly")
        .and_then(|l| l["amount_fen"].as_i64())
        .unwrap_or_else(|| panic!("a monthly {item} line in {claim}"))
}

fn lump_sums(claim: &Value) -> i64 {
    claim["decision"]["benefits"]
        .as_array()
        .expect("benefits")
        .iter()
        .filter(|l| l["period"] == "lump_sum")
        .filter_map(|l| l["amount_fen"].as_i64())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_is_paid_month_by_month_in_runs_released_by_a_second_officer() {
    each_backend(|b| async move {
        let Cast { s, mt, adj, adj2, officer, second } = cast(&b, "payments").await;
        let beijing = s.token(json!({"role": "payments_officer", "regions": ["CN-BJ"]})).await;

        let (st, claim) = s.submit(&mt, "pay-1", &grade_3(1)).await;
        assert_eq!(st, StatusCode::CREATED, "{claim}");
        let id = claim["id"].as_str().expect("id").to_string();
        let allowance = monthly_amount(&claim, "disability_allowance");
        let lumps = lump_sums(&claim);
        assert!(allowance > 0 && lumps > 0, "{claim}");
        approve(&s, &adj, &id).await;

        // The schedule: the allowance from the month after the appraisal, twelve months ahead.
        let (st, sched) = s
            .call("GET", &format!("/v1/claims/{id}/schedule"), &officer, None, None)
            .await;
        assert_eq!(st, StatusCode::OK, "{sched}");
        let ent = sched["entitlements"]
            .as_array()
            .expect("entitlements")
            .iter()
            .find(|e| e["item"] == "disability_allowance")
            .cloned()
            .expect("the allowance is an entitlement");
        assert_eq!(ent["first_month"], ym(2), "{ent}");
        assert_eq!(ent["amount_fen"], allowance);
        assert!(ent["rule"]["title"].as_str().is_some_and(|t| !t.is_empty()), "{ent}");
        assert_eq!(sched["upcoming"].as_array().map(Vec::len), Some(12), "{sched}");
        assert_eq!(sched["upcoming"][0]["month"], ym(2));
        let scheduled: i64 = sched["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .inspect(|e| assert_eq!(e["state"], "scheduled", "{e}"))
            .map(|e| e["amount_fen"].as_i64().expect("amount"))
            .sum();
        assert_eq!(scheduled, lumps, "the lump sums are owed once each");
        // Another region's officer does not see it.
        let (st, _) = s
            .call("GET", &format!("/v1/claims/{id}/schedule"), &beijing, None, None)
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);

        // A future month is refused, naming the field; an adjuster starts no run.
        let (st, e) = s
            .call("POST", "/v1/payments/runs", &officer, Some(json!({"region": "CN-CQ", "month": ym(-1)})), None)
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["path"], "month", "{e}");
        let (st, _) = s
            .call("POST", "/v1/payments/runs", &adj, Some(json!({"region": "CN-CQ", "month": ym(0)})), None)
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _) = s
            .call("POST", "/v1/payments/runs", &beijing, Some(json!({"region": "CN-CQ", "month": ym(0)})), None)
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);

        // The current month's run: the lump sums, two months of arrears and the month.
        let (st, run) = s
            .call("POST", "/v1/payments/runs", &officer, Some(json!({"region": "CN-CQ", "month": ym(0)})), None)
            .await;
        assert_eq!(st, StatusCode::ACCEPTED, "{run}");
        let run_id = run["id"].as_str().expect("run id").to_string();
        let built = wait_built(&s, &officer, &run_id).await;
        assert_eq!(built["status"], "built", "{built}");
        let monthly: Vec<&Value> = built["totals"]
            .as_array()
            .expect("totals")
            .iter()
            .filter(|t| t["item"] == "disability_allowance" && t["kind"] == "monthly")
            .collect();
        assert_eq!(monthly.len(), 1, "{built}");
        assert_eq!(monthly[0]["lines"], 3, "{built}");
        assert_eq!(monthly[0]["amount_fen"], 3 * allowance);
        assert_eq!(built["total_fen"], lumps + 3 * allowance, "{built}");

        // Each line names its decision, its module version and its rule.
        let (st, lines) = s
            .call("GET", &format!("/v1/payments/runs/{run_id}/lines?limit=100"), &officer, None, None)
            .await;
        assert_eq!(st, StatusCode::OK, "{lines}");
        let items = lines["items"].as_array().expect("lines");
        assert_eq!(items.len() as i64, built["lines"].as_i64().unwrap());
        for l in items {
            assert_eq!(l["decision_id"], claim["decision"]["id"], "{l}");
            assert!(l["policy_version"].is_string() && l["rule"]["id"].is_string(), "{l}");
        }
        let months: Vec<&str> = items
            .iter()
            .filter(|l| l["kind"] == "monthly")
            .map(|l| l["month"].as_str().unwrap())
            .collect();
        assert_eq!(months, [ym(2), ym(1), ym(0)]);

        // Asked again (another officer): the same run, the same lines.
        let (st, again) = s
            .call("POST", "/v1/payments/runs", &second, Some(json!({"region": "CN-CQ", "month": ym(0)})), None)
            .await;
        assert_eq!(st, StatusCode::OK, "{again}");
        assert_eq!(again["id"], run_id.as_str());
        assert_eq!(again["total_fen"], built["total_fen"]);

        // Not released by the officer who started it; the bank file waits for the release.
        let release = format!("/v1/payments/runs/{run_id}/release");
        let (st, e) = s.call("POST", &release, &officer, None, None).await;
        assert_eq!(st, StatusCode::CONFLICT, "{e}");
        assert_eq!(e["error"]["code"], "payment_run_second_officer_required");
        assert_eq!(e["error"]["fields"][0]["path"], "released_by", "{e}");
        let csv_path = format!("/v1/payments/runs/{run_id}/bank-file.csv");
        let (st, e) = s.call("GET", &csv_path, &officer, None, None).await;
        assert_eq!(st, StatusCode::CONFLICT, "{e}");
        assert_eq!(e["error"]["code"], "payment_run_not_released");
        let (st, rel) = s.call("POST", &release, &second, None, None).await;
        assert_eq!(st, StatusCode::OK, "{rel}");
        assert_eq!(rel["status"], "released");
        assert_eq!(rel["total_fen"], built["total_fen"], "releasing changes no line");
        let (st, e) = s.call("POST", &release, &second, None, None).await;
        assert_eq!(st, StatusCode::CONFLICT);
        assert_eq!(e["error"]["code"], "payment_run_released");

        // The bank file: one line per payee, yuan with two decimals, a checksum line that adds up.
        let (st, csv) = s.call("GET", &csv_path, &officer, None, None).await;
        assert_eq!(st, StatusCode::OK);
        let csv = csv.as_str().expect("csv text").to_string();
        let (body, check) = csv.trim_end().rsplit_once('\n').expect("a checksum line");
        let body = format!("{body}\n");
        let rows: Vec<&str> = body.lines().skip(1).collect();
        assert_eq!(rows.len(), 1, "one payee: the worker, paid by the fund\n{csv}");
        let total = rows[0].rsplit(',').next().unwrap();
        let fen = built["total_fen"].as_i64().unwrap();
        assert_eq!(total, format!("{}.{:02}", fen / 100, fen % 100), "{csv}");
        let profile = test_profile();
        let algorithm = if profile.name() == "gm" { "sm3" } else { "sha256" };
        assert_eq!(
            check,
            format!("#checksum,1,{total},{algorithm}:{}", hex::encode(profile.digest(body.as_bytes()))),
            "{csv}"
        );
        let (st, j) = s
            .call("GET", &format!("/v1/payments/runs/{run_id}/bank-file.json"), &auditor(&s).await, None, None)
            .await;
        assert_eq!(st, StatusCode::OK, "{j}");
        assert_eq!(j["total_fen"], fen);

        // The bank returns this month's allowance: it is owed again, and its line stays paid
        // in the run as released.
        let this_month = items
            .iter()
            .find(|l| l["kind"] == "monthly" && l["month"] == ym(0))
            .expect("this month's line");
        let (st, e) = s
            .call("POST", &format!("/v1/payments/runs/{run_id}/returns"), &officer,
                  Some(json!({"entries": ["nope"], "reason": "account closed"})), None)
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["path"], "entries[0]");
        let (st, back) = s
            .call("POST", &format!("/v1/payments/runs/{run_id}/returns"), &officer,
                  Some(json!({"entries": [this_month["id"]], "reason": "account closed"})), None)
            .await;
        assert_eq!(st, StatusCode::OK, "{back}");
        assert_eq!(back["items"][0]["kind"], "requeue");
        assert_eq!(back["items"][0]["amount_fen"], allowance);

        // An appeal overrides the allowance upward after three months were paid: each owes
        // the difference, with the re-queued month, in the next run.
        let (st, r) = s
            .call("POST", &format!("/v1/claims/{id}/appeal"), &mt, Some(json!({"grounds": "the published wage base is higher"})), None)
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        let raised = allowance + 12_345;
        let (st, r) = s
            .call("POST", &format!("/v1/claims/{id}/review"), &adj2, Some(json!({
                "action": "override", "reason_code": "figure_published", "note": "2025 wage base published",
                "benefits": [{"item": "disability_allowance", "amount_fen": raised,
                              "reason_code": "figure_published", "note": "the published base"}]
            })), None)
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        let (_, sched) = s
            .call("GET", &format!("/v1/claims/{id}/schedule"), &officer, None, None)
            .await;
        let true_ups: Vec<&Value> = sched["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter(|e| e["kind"] == "true_up")
            .collect();
        assert_eq!(true_ups.len(), 3, "{sched}");
        assert!(true_ups.iter().all(|t| t["amount_fen"] == 12_345 && t["state"] == "scheduled"), "{sched}");
        let current: Vec<&Value> = sched["entitlements"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["item"] == "disability_allowance" && e["superseded_at"].is_null())
            .collect();
        assert_eq!(current.len(), 1, "{sched}");
        assert_eq!(current[0]["amount_fen"], raised);
        assert_eq!(current[0]["entered_through"], ym(0), "months paid are not paid again");

        // What was stored, read as SQL: no month entered twice, amounts never rewritten.
        let rows = s.state.db.conn
            .query_all_raw(s.state.db.stmt(
                "SELECT month, COUNT(*) AS n FROM ledger WHERE claim_id = ? AND kind = 'monthly' GROUP BY month",
                vec![id.clone().into()],
            ))
            .await
            .expect("ledger");
        assert_eq!(rows.len(), 3);
        for r in rows {
            let n: i64 = r.try_get("", "n").or_else(|_| r.try_get::<i32>("", "n").map(i64::from)).unwrap();
            assert_eq!(n, 1);
        }
        s.stop().await;
    })
    .await;
}

async fn auditor(s: &TestServer) -> String {
    s.token(json!({"role": "auditor"})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appraisal_arrives_on_its_own_and_a_reappraisal_changes_the_months_after_it() {
    each_backend(|b| async move {
        let Cast {
            s,
            mt,
            adj,
            officer,
            second,
            ..
        } = cast(&b, "appraisal").await;

        // Determined covered before any appraisal: no grade yet.
        let mut body = grade_3(10);
        body["assessment"] =
            json!({"disability_grade": null, "care_level": null, "assessed_at": null});
        body["documents"] = json!([
            "benefit_application_form",
            "consent_form",
            "diagnosis",
            "medical_receipts",
            "id_card",
            "order_record",
            "incident_statement"
        ]);
        let (st, claim) = s.submit(&mt, "appr-1", &body).await;
        assert_eq!(st, StatusCode::CREATED, "{claim}");
        assert_eq!(claim["decision"]["outcome"], "covered", "{claim}");
        let id = claim["id"].as_str().unwrap().to_string();
        let path = format!("/v1/claims/{id}/appraisals");
        let appraisal = |grade: u8, on: String| {
            json!({
                "disability_grade": grade, "care_level": null, "concluded_on": on,
                "appraisal_body": "重庆市劳动能力鉴定委员会", "fee_fen": 30000
            })
        };

        // A future conclusion is refused, naming the field.
        let future = oip_server::now().beijing_date().add_days(1);
        let (st, e) = s
            .call(
                "POST",
                &path,
                &mt,
                Some(appraisal(3, future.to_string())),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["path"], "concluded_on", "{e}");

        // Grade 3, concluded three months ago: decided again, a monthly allowance appears.
        let (st, again) = s
            .call(
                "POST",
                &path,
                &mt,
                Some(appraisal(3, format!("{}-10", ym(3)))),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{again}");
        assert_eq!(again["status"], "pending_review");
        assert_eq!(again["decision"]["kind"], "appraisal", "{again}");
        let (_, n) = s
            .call("GET", &format!("/v1/claims/{id}/notice"), &mt, None, None)
            .await;
        assert!(
            n.as_str()
                .is_some_and(|h| h.contains("劳动能力鉴定后职业伤害保障待遇核定通知书")),
            "{n}"
        );
        assert_eq!(again["decision"]["replaces"], claim["decision"]["id"]);
        let allowance = monthly_amount(&again, "disability_allowance");
        approve(&s, &adj, &id).await;

        // This month's run pays the three months since the conclusion.
        paid_run(&s, &officer, &second, "CN-CQ", &ym(0)).await;

        // A re-appraisal last month, grade 2: from this month on the grade-2 allowance, the
        // difference owed for this month only (already paid at grade 3), none for before.
        let (st, re) = s
            .call(
                "POST",
                &path,
                &adj,
                Some(appraisal(2, format!("{}-05", ym(1)))),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{re}");
        let grade_2 = monthly_amount(&re, "disability_allowance");
        assert!(
            grade_2 > allowance,
            "grade 2 pays more: {grade_2} vs {allowance}"
        );
        approve(&s, &adj, &id).await;
        let (_, sched) = s
            .call(
                "GET",
                &format!("/v1/claims/{id}/schedule"),
                &officer,
                None,
                None,
            )
            .await;
        let true_ups: Vec<(String, i64)> = sched["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "true_up" && e["item"] == "disability_allowance")
            .map(|e| {
                (
                    e["month"].as_str().unwrap().to_string(),
                    e["amount_fen"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(true_ups, [(ym(0), grade_2 - allowance)], "{sched}");
        let current = sched["entitlements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["item"] == "disability_allowance" && e["superseded_at"].is_null())
            .cloned()
            .unwrap();
        assert_eq!(current["first_month"], ym(0), "{current}");
        assert_eq!(current["amount_fen"], grade_2);

        // A claim not determined covered is not appraised (409, naming the claim).
        let mut drunk = grade_3(11);
        drunk["exclusions"]["intoxicated_or_drugged"] = true.into();
        let (_, denied) = s.submit(&mt, "appr-2", &drunk).await;
        assert_eq!(denied["decision"]["outcome"], "not_covered", "{denied}");
        let (st, e) = s
            .call(
                "POST",
                &format!("/v1/claims/{}/appraisals", denied["id"].as_str().unwrap()),
                &mt,
                Some(appraisal(3, format!("{}-10", ym(3)))),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{e}");
        assert_eq!(e["error"]["code"], "claim_not_covered");
        assert_eq!(e["error"]["fields"][0]["path"], "id");
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_denied_on_appeal_after_payment_stops_and_owes_back_what_was_paid() {
    each_backend(|b| async move {
        let Cast { s, mt, adj, adj2, officer, second } = cast(&b, "denied").await;
        let (_, claim) = s.submit(&mt, "deny-1", &grade_3(20)).await;
        let id = claim["id"].as_str().unwrap().to_string();
        approve(&s, &adj, &id).await;
        let run = paid_run(&s, &officer, &second, "CN-CQ", &ym(0)).await;
        let (_, paid) = s.call("GET", &format!("/v1/payments/runs/{run}"), &officer, None, None).await;
        let paid_fen = paid["total_fen"].as_i64().unwrap();
        assert!(paid_fen > 0, "{paid}");

        // Appealed and denied by another adjuster: nothing more is owed, everything paid is
        // recovered, and the region's next entries stop.
        let (st, r) = s.call("POST", &format!("/v1/claims/{id}/appeal"), &mt, Some(json!({"grounds": "reconsider"})), None).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        let (st, r) = s
            .call("POST", &format!("/v1/claims/{id}/review"), &adj2,
                  Some(json!({"action": "deny", "reason_code": "not_occupational", "note": "the order had ended"})), None)
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["status"], "denied", "{r}");
        let (_, sched) = s.call("GET", &format!("/v1/claims/{id}/schedule"), &officer, None, None).await;
        assert!(
            sched["entitlements"].as_array().unwrap().iter().all(|e| e["superseded_at"].is_string()),
            "every entitlement stops: {sched}"
        );
        assert!(sched["upcoming"].as_array().unwrap().is_empty(), "{sched}");
        let recovered: i64 = sched["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "true_up")
            .map(|e| e["amount_fen"].as_i64().unwrap())
            .sum();
        assert_eq!(recovered, -paid_fen, "{sched}");
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bill_adds_its_costs_once_and_a_bill_twice_is_refused_naming_its_number() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let mt = s.platform("meituan").await;
        let (_, claim) = s.submit(&mt, "bill-1", &grade_3(30)).await;
        let id = claim["id"].as_str().unwrap().to_string();
        let medical = |c: &Value| {
            c["decision"]["benefits"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["item"] == "medical")
                .and_then(|l| l["amount_fen"].as_i64())
                .expect("a medical line")
        };
        // The example's costs: outpatient 1,200 + inpatient 35,800 = 37,000 yuan.
        assert_eq!(medical(&claim), 3_700_000);
        let path = format!("/v1/claims/{id}/bills");
        let bill = json!({"number": "CQ-2025-0815-001", "kind": "inpatient", "amount_fen": 500_000,
                          "inpatient_days": 3, "issued_on": "2025-08-15", "hospital": "重庆医科大学附属第一医院"});
        let (st, again) = s.call("POST", &path, &mt, Some(bill.clone()), None).await;
        assert_eq!(st, StatusCode::OK, "{again}");
        assert_eq!(again["decision"]["kind"], "bill");
        assert_eq!(again["decision"]["replaces"], claim["decision"]["id"]);
        // 37,000 + 5,000 = 42,000 yuan inside the catalogues.
        assert_eq!(medical(&again), 4_200_000, "{again}");
        // The stage's notice, in both languages.
        for (lang, title) in [("zh-CN", "职业伤害保障医疗费用核定通知书"), ("en", "Notice of the medical costs determined on a bill")] {
            let (st, n) = s.call("GET", &format!("/v1/claims/{id}/notice?lang={lang}"), &mt, None, None).await;
            assert_eq!(st, StatusCode::OK);
            assert!(n.as_str().is_some_and(|h| h.contains(title)), "{lang}: {n}");
        }

        // The same bill again: refused, naming its number; nothing changes.
        let (st, e) = s.call("POST", &path, &mt, Some(bill), None).await;
        assert_eq!(st, StatusCode::CONFLICT, "{e}");
        assert_eq!(e["error"]["code"], "bill_already_submitted");
        assert_eq!(e["error"]["fields"][0]["path"], "number");
        let (_, now) = s.call("GET", &format!("/v1/claims/{id}"), &mt, None, None).await;
        assert_eq!(now["decision"]["id"], again["decision"]["id"]);
        assert_eq!(medical(&now), 4_200_000);

        // Days in hospital on an outpatient bill, or a bill from before the incident.
        let (st, e) = s
            .call("POST", &path, &mt, Some(json!({"number": "CQ-2", "kind": "outpatient", "amount_fen": 100,
                  "inpatient_days": 2, "issued_on": "2025-07-01", "hospital": "x"})), None)
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        let paths: Vec<&str> = e["error"]["fields"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
        assert_eq!(paths, ["inpatient_days", "issued_on"], "{e}");

        // Stored once, with the claim decided on it (read as SQL).
        let rows = s.state.db.conn
            .query_all_raw(s.state.db.stmt("SELECT number, amount_fen FROM bills WHERE claim_id = ?", vec![id.clone().into()]))
            .await
            .expect("bills");
        assert_eq!(rows.len(), 1);

        // A claim not determined covered takes no bill.
        let mut drunk = grade_3(31);
        drunk["exclusions"]["intoxicated_or_drugged"] = true.into();
        let (_, denied) = s.submit(&mt, "bill-2", &drunk).await;
        let (st, e) = s
            .call("POST", &format!("/v1/claims/{}/bills", denied["id"].as_str().unwrap()), &mt,
                  Some(json!({"number": "CQ-3", "kind": "outpatient", "amount_fen": 100,
                              "issued_on": "2025-08-02", "hospital": "x"})), None)
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{e}");
        assert_eq!(e["error"]["code"], "claim_not_covered");
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reappraisal_before_the_months_since_the_last_run_were_paid_owes_them_at_the_old_amount()
{
    each_backend(|b| async move {
        let Cast { s, mt, adj, officer, second, .. } = cast(&b, "gap").await;
        // Grade 3 concluded three months ago: owed from two months ago; only that month's run
        // is made before the re-appraisal.
        let (_, claim) = s.submit(&mt, "gap-1", &grade_3(40)).await;
        let id = claim["id"].as_str().unwrap().to_string();
        let grade_3_fen = monthly_amount(&claim, "disability_allowance");
        approve(&s, &adj, &id).await;
        paid_run(&s, &officer, &second, "CN-CQ", &ym(2)).await;
        // Re-appraised grade 2 last month: grade 2 from this month; last month is still owed
        // at grade 3, though no run entered it before the change.
        let body = json!({"disability_grade": 2, "care_level": null, "concluded_on": format!("{}-05", ym(1)),
                          "appraisal_body": "重庆市劳动能力鉴定委员会", "fee_fen": 0});
        let (st, re) = s.call("POST", &format!("/v1/claims/{id}/appraisals"), &adj, Some(body), None).await;
        assert_eq!(st, StatusCode::OK, "{re}");
        let grade_2_fen = monthly_amount(&re, "disability_allowance");
        approve(&s, &adj, &id).await;
        let run = paid_run(&s, &officer, &second, "CN-CQ", &ym(0)).await;
        let (_, lines) = s.call("GET", &format!("/v1/payments/runs/{run}/lines"), &officer, None, None).await;
        let monthly: Vec<(String, i64)> = lines["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["item"] == "disability_allowance")
            .map(|l| (l["month"].as_str().unwrap().to_string(), l["amount_fen"].as_i64().unwrap()))
            .collect();
        assert_eq!(monthly, [(ym(1), grade_3_fen), (ym(0), grade_2_fen)], "{lines}");
        s.stop().await;
    })
    .await;
}
