//! Issue 17, item 8: the operator's kit. `oip backup` copies the SQLite database of a running
//! server; `oip restore` puts it into a new data directory, which passes `oip audit verify` and
//! serves what was stored.

use oip_tests::*;
use reqwest::StatusCode;
use serde_json::json;

fn oip(args: &[&str], data_dir: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_oip-under-test"))
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
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_oip-under-test"))
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
}
