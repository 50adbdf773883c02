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
