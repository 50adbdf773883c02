//! Issue 15, item 4: the keys of personal data are in the database, wrapped by one master key
//! every instance is given; a sealed value is bound to its record; a rotation re-encrypts.

use oip_tests::*;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use std::time::Duration;

const ID_NUMBER: &str = "510104199003071237";

/// Before the fix each instance made its own key file, so a worker sealed by one instance was
/// a 500 on the other (and duplicate lookups, webhook secrets and CSRF differed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_sealed_through_one_instance_is_read_through_another() {
    each_backend(|b| async move {
        let c1 = config(&b, "keys-one").await;
        let mut c2 = config(&b, "keys-two").await;
        c2.database_url = Some(c1.database_url());
        let one = TestServer::with_config(c1.clone()).await;
        let two = TestServer::with_config(c2).await;
        let mt = one.platform("meituan").await;
        let (st, c) = one.submit(&mt, "two-instances", &example(1)).await;
        assert_eq!(st, StatusCode::CREATED, "{c}");
        let id = c["id"].as_str().expect("id").to_string();
        let a = two.adjuster(&["CN-SC"]).await;
        let (st, w) = two
            .call("GET", &format!("/v1/claims/{id}/worker"), &a, None, None)
            .await;
        assert_eq!(st, StatusCode::OK, "{w}");
        assert_eq!(w["worker"]["id_number"], ID_NUMBER);
        // The duplicate lookup is keyed alike: the same worker at the same time through the
        // other instance is found.
        let (st, d) = two.submit(&mt, "two-instances-again", &example(2)).await;
        assert_eq!(st, StatusCode::CREATED, "{d}");
        assert_eq!(d["possible_duplicate"], true, "{d}");

        // A sealed worker copied into another claim's row does not open there.
        let other = d["id"].as_str().expect("id");
        one.state
            .db
            .conn
            .execute_unprepared(&format!(
                "UPDATE claims SET worker_sealed = (SELECT worker_sealed FROM claims WHERE id = '{id}') \
                 WHERE id = '{other}'"
            ))
            .await
            .expect("copy");
        let (st, v) = two
            .call("GET", &format!("/v1/claims/{other}/worker"), &a, None, None)
            .await;
        assert_eq!(st, StatusCode::INTERNAL_SERVER_ERROR, "{v}");
        assert!(!v.to_string().contains(ID_NUMBER));

        // An instance given another master key refuses to start, naming the check value.
        let mut wrong = c1.clone();
        wrong.database_url = Some(c1.database_url());
        wrong.data_dir = temp_dir("keys-wrong");
        wrong.master_key = Some(oip_server::crypto::MasterKey::generate());
        let err = oip_server::AppState::start(wrong)
            .await
            .expect_err("a wrong master key");
        assert!(err.to_string().contains("key check value"), "{err}");
        one.stop().await;
        two.stop().await;
    })
    .await;
}

/// A data-key rotation: new claims are sealed under the new generation, the stored ones are
/// re-encrypted in the background, and every one still opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_key_rotation_re_encrypts_every_stored_claim_and_they_still_open() {
    each_backend(|b| async move {
        let s = TestServer::spawn(&b).await;
        let mt = s.platform("meituan").await;
        let a = s.adjuster(&["CN-SC"]).await;
        let mut ids = Vec::new();
        for n in 0..5 {
            let (st, c) = s.submit(&mt, &format!("rot-{n}"), &example(10 + n)).await;
            assert_eq!(st, StatusCode::CREATED, "{c}");
            ids.push(c["id"].as_str().expect("id").to_string());
        }
        let sealed = || async {
            s.state
                .db
                .sealed_claims_after("", 100)
                .await
                .expect("sealed")
        };
        assert!(sealed().await.iter().all(|(_, v)| v.starts_with("k1.")));
        // A user enrolled in TOTP: the secret is sealed too, and goes with the rotation.
        let (_, user) = add_user(
            &s.http,
            &s.url,
            ADMIN,
            &serde_json::json!({"role": "auditor"}),
        )
        .await;
        let uid = user["id"].as_str().expect("id").to_string();
        let (st, enrol) = s
            .call("POST", &format!("/v1/users/{uid}/totp"), ADMIN, None, None)
            .await;
        assert_eq!(st, StatusCode::OK, "{enrol}");
        let totp_sealed = || async { s.state.db.totp_secrets().await.expect("totp secrets") };
        assert!(
            totp_sealed()
                .await
                .iter()
                .all(|(_, v)| v.starts_with("k1."))
        );
        let g = oip_server::data_keys::rotate_data(&s.state.db, &test_master_key())
            .await
            .expect("rotate");
        assert_eq!(g, 2);
        let done = eventually(Duration::from_secs(20), || async {
            let rows = s.state.db.data_keys().await.expect("keys");
            (rows.len() == 2 && rows[1].resealed_at.is_some()).then_some(())
        })
        .await;
        assert!(done.is_some(), "re-encryption finished");
        let all = sealed().await;
        assert_eq!(all.len(), 5);
        assert!(all.iter().all(|(_, v)| v.starts_with("k2.")), "{all:?}");
        let totps = totp_sealed().await;
        assert_eq!(totps.len(), 1);
        assert!(totps[0].1.starts_with("k2."), "{totps:?}");
        let plain = s
            .state
            .open_sealed(&totps[0].1, &oip_server::data_keys::totp_context(&uid))
            .await
            .expect("opens");
        let b32 = totp_rs::Secret::Raw(plain).to_encoded().to_string();
        assert_eq!(
            b32,
            enrol["secret"].as_str().expect("secret"),
            "the same secret"
        );
        let (st, c) = s.submit(&mt, "rot-new", &example(20)).await;
        assert_eq!(st, StatusCode::CREATED, "{c}");
        ids.push(c["id"].as_str().expect("id").to_string());
        for id in &ids {
            let (st, w) = s
                .call("GET", &format!("/v1/claims/{id}/worker"), &a, None, None)
                .await;
            assert_eq!(st, StatusCode::OK, "{w}");
            assert_eq!(w["worker"]["id_number"], ID_NUMBER);
        }
        assert!(
            s.state
                .db
                .sealed_claims_after("", 100)
                .await
                .expect("sealed")
                .iter()
                .all(|(_, v)| v.starts_with("k2."))
        );
        s.stop().await;
    })
    .await;
}

/// The command line: `oip keys rotate --new-master-key-file` re-wraps (the old master key no
/// longer starts the server; the new one opens what was stored) and `--data` adds a generation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oip_keys_rotate_re_wraps_under_a_new_master_key_and_adds_a_data_key() {
    let dir = temp_dir("keys-cli");
    // The test servers' master key, as a file too (the processes get it in OIP_MASTER_KEY).
    let test_key = test_master_key().to_hex();
    std::fs::write(dir.join("master.key"), &test_key).expect("master key file");
    let id = {
        let p = crate::start(&dir, None);
        let http = reqwest::Client::new();
        let mt = token_at(
            &http,
            &p.url,
            serde_json::json!({"role": "platform", "platform": "meituan"}),
        )
        .await;
        let (st, c) = call(
            &http,
            &p.url,
            "POST",
            "/v1/claims",
            &mt,
            Some(example(1)),
            Some("cli-1"),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{c}");
        c["id"].as_str().expect("id").to_string()
    };
    let oip = |args: &[&str]| {
        crate::oip_cli()
            .args(args)
            .arg("--data-dir")
            .arg(&dir)
            .env_remove("DATABASE_URL")
            .env_remove("OIP_CONFIG")
            .env_remove("OIP_MASTER_KEY")
            .output()
            .expect("oip")
    };
    let rotate = |args: &[&str]| {
        let mut all = vec!["keys", "rotate"];
        all.extend_from_slice(args);
        let out = oip(&all);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let path = |name: &str| dir.join(name).display().to_string();
    let said = rotate(&["--new-master-key-file", &path("new.key")]);
    assert!(said.contains("1 data key(s) re-wrapped"), "{said}");
    // The old master key (master.key) no longer opens the database.
    let refused = oip(&["serve", "--bind", "127.0.0.1:0"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("key check value"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // Back under the test key (a file holding it), then a new data key.
    std::fs::write(dir.join("back.key"), &test_key).expect("key file");
    let said = rotate(&[
        "--master-key-file",
        &path("new.key"),
        "--new-master-key-file",
        &path("back.key"),
    ]);
    assert!(said.contains("re-wrapped"), "{said}");
    let said = rotate(&["--data"]);
    assert!(said.contains("generation 2"), "{said}");
    let p = crate::start(&dir, None);
    let http = reqwest::Client::new();
    let a = token_at(
        &http,
        &p.url,
        serde_json::json!({"role": "adjuster", "regions": ["CN-SC"]}),
    )
    .await;
    let (st, w) = call(
        &http,
        &p.url,
        "GET",
        &format!("/v1/claims/{id}/worker"),
        &a,
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{w}");
    assert_eq!(w["worker"]["id_number"], ID_NUMBER);
}
