//! Issue 17, item 8: the operator's kit. `oip backup` copies the SQLite database of a running
//! server; `oip restore` puts it into a new data directory, which passes `oip audit verify` and
//! serves what was stored.
//!
//! Items 2 and 3: the JSON log (request ids, a span per decision, nothing personal) and the
//! metrics, read by a parser nobody here wrote.

use oip_tests::*;
use reqwest::StatusCode;
use serde_json::json;

fn oip(args: &[&str], data_dir: &std::path::Path) -> std::process::Output {
    crate::oip_cli()
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("OIP_MASTER_KEY", test_master_key().to_hex())
        .env_remove("DATABASE_URL")
        .env_remove("OIP_CONFIG")
        .output()
        .expect("oip")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_live_server_restored_into_a_new_data_directory_verifies_and_serves() {
    let dir = temp_dir("backup-live");
    let live = crate::start(&dir, None);
    let http = reqwest::Client::new();
    let mt = token_at(
        &http,
        &live.url,
        json!({"role": "platform", "platform": "meituan"}),
    )
    .await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let (st, c) = call(
            &http,
            &live.url,
            "POST",
            "/v1/claims",
            &mt,
            Some(example(700 + n)),
            Some(&format!("bk-{n}")),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{c}");
        ids.push(c["id"].as_str().expect("id").to_string());
    }
    // While it runs (and a platform goes on submitting).
    let out_file = temp_dir("backup-file").join("oip-backup.db");
    let (st, _) = call(
        &http,
        &live.url,
        "POST",
        "/v1/claims",
        &mt,
        Some(example(710)),
        Some("bk-during"),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    let out = tokio::task::spawn_blocking({
        let (dir, f) = (dir.clone(), out_file.clone());
        move || oip(&["backup", "--out", f.to_str().expect("utf-8")], &dir)
    })
    .await
    .expect("backup");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        said.contains("4 claims") && said.contains("integrity ok"),
        "{said}"
    );
    // A backup never overwrites.
    let again = oip(
        &["backup", "--out", out_file.to_str().expect("utf-8")],
        &dir,
    );
    assert!(!again.status.success());
    drop(live);

    // Restored into a new directory: the chain verifies, and a server on it serves the claims.
    let restored = temp_dir("backup-restored");
    let out = oip(
        &["restore", "--from", out_file.to_str().expect("utf-8")],
        &restored,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verify = oip(&["audit", "verify"], &restored);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("audit chain intact"));
    let into_existing = oip(
        &["restore", "--from", out_file.to_str().expect("utf-8")],
        &restored,
    );
    assert!(
        !into_existing.status.success(),
        "a restore never overwrites a database"
    );
    let server = crate::start(&restored, None);
    let auditor = token_at(&http, &server.url, json!({"role": "auditor"})).await;
    for id in &ids {
        let (st, w) = call(
            &http,
            &server.url,
            "GET",
            &format!("/v1/claims/{id}/worker"),
            &auditor,
            None,
            None,
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{w}");
        assert_eq!(
            w["worker"]["id_number"],
            example(700)["worker"]["id_number"],
            "{w}"
        );
    }
}

/// Issue 17, item 2: logs were plain text with no request id. With `--log-format json` every
/// line is a JSON object; a request's id (the client's `x-request-id`, or one made) is in its
/// answer's header, in its error body and on its log lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_id_is_in_the_answer_the_error_body_and_every_json_log_line_of_the_request() {
    use std::io::BufRead as _;
    let dir = temp_dir("json-logs");
    let log = dir.join("server.log");
    let mut child = crate::oip_cli()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--data-dir",
        ])
        .arg(&dir)
        .env("OIP_BOOTSTRAP_TOKEN", ADMIN)
        .env("OIP_MASTER_KEY", test_master_key().to_hex())
        .env("RUST_LOG", "info,oip_server=debug")
        .env_remove("DATABASE_URL")
        .env_remove("OIP_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("oip serve");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the listening line");
    let url = line.trim().rsplit(' ').next().expect("url").to_string();
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{url}/v1/claims/clm_none"))
        .bearer_auth(ADMIN)
        .header("x-request-id", "case-7-lookup")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()["x-request-id"], "case-7-lookup");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["request_id"], "case-7-lookup", "{body}");
    // Without one (or with one that is not an id), the server makes one.
    let r = http
        .get(format!("{url}/healthz"))
        .header("x-request-id", "bad id\twith tab")
        .send()
        .await
        .expect("get");
    let made = r.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_string();
    assert!(made.starts_with("req_"), "{made}");
    // A claim decided in a request: its decision has a span of its own, inside the request's.
    let mt = token_at(
        &http,
        &url,
        json!({"role": "platform", "platform": "meituan"}),
    )
    .await;
    let (st, c) = call(
        &http,
        &url,
        "POST",
        "/v1/claims",
        &mt,
        Some(example(810)),
        Some("log-810"),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    // A claim refused for its identity number: the refusal is logged, the number is not.
    let mut bad = example(811);
    bad["worker"]["id_number"] = "51010419900307123X".into();
    let (st, _) = call(
        &http,
        &url,
        "POST",
        "/v1/claims",
        &mt,
        Some(bad),
        Some("log-811"),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    // Background decisions (an upload's cases, a shadow run) have their spans too, a shadow
    // run's inside its job's.
    shadowed_next_sc(&http, &url).await;
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(!lines.is_empty());
    let of_request = lines
        .iter()
        .filter(|l| l.to_string().contains("\"request_id\":\"case-7-lookup\""))
        .count();
    assert!(of_request >= 1, "no log line names the request:\n{text}");
    let decided = lines
        .iter()
        .find(|l| l["span"]["name"] == "policy.decision" && l["span"]["outcome"].is_string())
        .unwrap_or_else(|| panic!("no line in a decision's span:\n{text}"));
    assert_eq!(decided["span"]["region"], "CN-SC", "{decided}");
    assert_eq!(
        decided["span"]["sha256"].as_str().map(str::len),
        Some(64),
        "{decided}"
    );
    assert!(decided["span"]["version"].is_string(), "{decided}");
    let outer = decided["spans"].as_array().expect("spans");
    assert!(
        outer
            .iter()
            .any(|s| s["name"] == "http.request" && s["matched_path"] == "/v1/claims"),
        "the decision's span is not inside its request's: {decided}"
    );
    let in_lane = |lane: &str| {
        lines
            .iter()
            .find(|l| l["span"]["name"] == "policy.decision" && l["span"]["lane"] == lane)
            .unwrap_or_else(|| panic!("no {lane} decision in its span:\n{text}"))
    };
    let shadow = in_lane("shadow");
    assert_eq!(shadow["span"]["region"], "CN-SC", "{shadow}");
    assert!(shadow["span"]["outcome"].is_string(), "{shadow}");
    let job = shadow["spans"]
        .as_array()
        .expect("spans")
        .iter()
        .find(|s| s["name"] == "job")
        .unwrap_or_else(|| panic!("the shadow decision is not inside its job's span: {shadow}"));
    assert_eq!(job["kind"], "Shadow", "{job}");
    assert!(
        job["job_id"]
            .as_str()
            .is_some_and(|j| j.starts_with("job_")),
        "{job}"
    );
    let cases = in_lane("cases");
    assert!(
        cases["spans"]
            .as_array()
            .expect("spans")
            .iter()
            .any(|s| s["name"] == "http.request"),
        "an upload's cases are decided inside its request's span: {cases}"
    );
    // Nothing personal: neither the worker's identity numbers nor the name sent.
    for personal in ["510104199003071237", "51010419900307123X", "张兴伟"] {
        assert!(
            !text.contains(personal),
            "{personal} is in the log:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_with_help_and_type_for_every_family_and_latency_histograms() {
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let mt = s.platform("meituan").await;
    s.submit(&mt, "metrics", &example(820)).await;
    assert_eq!(
        s.call("GET", "/v1/claims/clm_none", &mt, None, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let r = s
        .http
        .get(format!("{}/metrics", s.url))
        .send()
        .await
        .expect("metrics");
    assert_eq!(r.status(), StatusCode::OK);
    let kind = r.headers()["content-type"]
        .to_str()
        .expect("type")
        .to_string();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    let text = r.text().await.expect("text");
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(
        !text.contains("..\n"),
        "a HELP text ends in two full stops:\n{text}"
    );
    // Every family has its HELP and its TYPE, once each.
    let mut typed = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().expect("name");
            assert!(
                text.contains(&format!("# HELP {name} ")),
                "{name} has no HELP:\n{text}"
            );
            assert!(!typed.contains(&name), "{name} twice:\n{text}");
            typed.push(name);
        }
    }
    for family in [
        "oip_http_requests",
        "oip_http_request_duration_seconds",
        "oip_decisions",
        "oip_decision_seconds",
        "oip_writer_batches",
        "oip_writer_jobs",
        "oip_writer_busy_seconds",
        "oip_db_pool_connections",
        "oip_db_pool_idle_connections",
    ] {
        assert!(typed.contains(&family), "no family {family}:\n{text}");
    }
    // Read by a parser nobody here wrote.
    let scrape = scrape(&text);
    let histogram = |name: &str, label: &str, value: &str| -> Vec<(f64, f64)> {
        let sample = scrape
            .samples
            .iter()
            .find(|x| x.metric == name && x.labels.get(label) == Some(value))
            .unwrap_or_else(|| panic!("no {name} with {label}={value}:\n{text}"));
        match &sample.value {
            prometheus_parse::Value::Histogram(b) => {
                b.iter().map(|c| (c.less_than, c.count)).collect()
            }
            other => panic!("{name} is not a histogram: {other:?}"),
        }
    };
    // The submission: one request on its route, with status 201, in the latency histogram.
    let submitted = histogram("oip_http_request_duration_seconds", "route", "/v1/claims");
    assert!(submitted.len() >= 10, "{submitted:?}");
    assert_eq!(
        submitted.last(),
        Some(&(f64::INFINITY, 1.0)),
        "{submitted:?}"
    );
    assert!(
        submitted
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
        "buckets not cumulative: {submitted:?}"
    );
    // prometheus-parse cuts a label value at a brace (`{id}`), so this one is read as text;
    // CI also reads a whole scrape with Python's strict OpenMetrics parser.
    assert!(
        text.contains(
            "oip_http_request_duration_seconds_count{route=\"/v1/claims/{id}\",status=\"404\"} 1\n"
        ),
        "{text}"
    );
    // The decision: by region and outcome, with its latency.
    let decided = histogram("oip_decision_seconds", "region", "CN-SC");
    assert_eq!(decided.last(), Some(&(f64::INFINITY, 1.0)), "{decided:?}");
    assert_eq!(metric(&text, "oip_decisions_total"), 1.0, "{text}");
    assert!(metric(&text, "oip_db_pool_connections") >= 1.0, "{text}");
    assert!(
        metric(&text, "oip_db_pool_idle_connections") <= metric(&text, "oip_db_pool_connections"),
        "{text}"
    );
    s.stop().await;
}

#[test]
fn oip_config_show_names_the_variable_a_value_came_from_and_hides_secrets() {
    let dir = temp_dir("config-show");
    let out = crate::oip_cli()
        .args([
            "config",
            "show",
            "--straight-through",
            "false",
            "--data-dir",
        ])
        .arg(&dir)
        .env("OIP_QUALITY_SAMPLE_BP", "250")
        .env("OIP_BOOTSTRAP_TOKEN", "a-secret-admin-token")
        .env("DATABASE_URL", "postgres://oip:hunter2@db.internal/oip")
        .env_remove("OIP_CONFIG")
        .env_remove("OIP_MASTER_KEY")
        .output()
        .expect("oip config show");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    for line in [
        "quality_sample_bp = 250  # environment OIP_QUALITY_SAMPLE_BP",
        "straight_through = false  # flag --straight-through",
        "four_eyes_threshold_fen = 10000000  # default",
        "# bootstrap_token: set (not shown)  # environment OIP_BOOTSTRAP_TOKEN",
        "database_url = \"postgres://oip:****@db.internal/oip\"  # environment DATABASE_URL",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
    assert!(
        !text.contains("a-secret-admin-token") && !text.contains("hunter2"),
        "{text}"
    );
}

/// The request id was on the answer and the log lines but not in the audit entry the request
/// wrote. Now it is, hashed with the rest: changing it breaks the chain at that entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_entry_names_the_request_that_wrote_it_and_the_id_is_in_its_hash() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let mt = s.platform("meituan").await;
        let auditor = s.token(json!({"role": "auditor"})).await;
        let r = s
            .http
            .post(format!("{}/v1/claims", s.url))
            .bearer_auth(&mt)
            .header("idempotency-key", "audit-request-id")
            .header("x-request-id", "case-9-intake")
            .json(&example(830))
            .send()
            .await
            .expect("submit");
        assert_eq!(r.status(), StatusCode::CREATED);
        let c: serde_json::Value = r.json().await.expect("json");
        let id = c["id"].as_str().expect("id");
        let (st, trail) = s
            .call(
                "GET",
                &format!("/v1/audit?claim={id}"),
                &auditor,
                None,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{trail}");
        let created = &trail["items"][0];
        assert_eq!(created["action"], "claim.created", "{trail}");
        assert_eq!(created["request_id"], "case-9-intake", "{trail}");
        assert!(matches!(
            oip_server::audit::verify(&s.state.db)
                .await
                .expect("verify"),
            oip_server::audit::Verdict::Intact(_)
        ));
        let seq = created["seq"].as_i64().expect("seq");
        use sea_orm::ConnectionTrait as _;
        s.state
            .db
            .conn
            .execute_unprepared(&format!(
                "UPDATE audit SET request_id = 'case-9-other' WHERE seq = {seq}"
            ))
            .await
            .expect("update");
        match oip_server::audit::verify(&s.state.db)
            .await
            .expect("verify")
        {
            oip_server::audit::Verdict::Broken { seq: at, .. } => assert_eq!(at, seq),
            other => panic!("a changed request id was not detected: {other:?}"),
        }
        s.stop().await;
    })
    .await;
}
