//! Issue 17, item 1 (and issue 15's https-only webhooks): nothing spoke TLS. The server serves
//! HTTPS when given a certificate and a key; the command line reaches it with the deployment's
//! CA; webhooks go to https:// receivers only (webhooks.rs delivers to one).

use oip_tests::*;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_serves_https_with_its_certificate_and_the_cli_reaches_it_with_the_ca() {
    let dir = temp_dir("tls");
    let (cert, key) = crate::localhost_cert(&dir);
    let mut c = config(&Backend::Sqlite, "tls").await;
    c.tls_cert = Some(cert.clone());
    c.tls_key = Some(key);
    let state = oip_server::AppState::start(c).await.expect("server");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(oip_server::run(listener, state, std::future::pending()));
    let url = format!("https://{addr}");

    // A client that trusts the certificate is served; the console's cookies are Secure.
    let pem = std::fs::read(&cert).expect("pem");
    let https = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("cert"))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = https
        .get(format!("{url}/healthz"))
        .send()
        .await
        .expect("https");
    assert_eq!(r.status(), StatusCode::OK);
    let r = https
        .get(format!("{url}/console/login"))
        .send()
        .await
        .expect("https");
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");
    // One that does not trust it is refused in the handshake; plain HTTP gets no answer.
    let untrusting = reqwest::Client::new();
    assert!(
        untrusting
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_err()
    );
    let plain = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .expect("client");
    assert!(
        plain
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .is_err()
    );

    // The command line, given the CA, reaches it; without, it says why not.
    let run = |with_ca: bool| {
        let (url, cert) = (url.clone(), cert.clone());
        tokio::task::spawn_blocking(move || {
            let mut cmd = crate::oip_cli();
            cmd.args(["users", "list", "--server", &url, "--token", ADMIN])
                .env_remove("OIP_TOKEN")
                .env_remove("OIP_SERVER")
                .env_remove("OIP_CA_FILE");
            if with_ca {
                cmd.arg("--ca-file").arg(&cert);
            }
            cmd.output().expect("oip")
        })
    };
    let out = run(true).await.expect("oip");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(false).await.expect("oip");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot reach"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A provincial IT team pushes a signed module to the HTTPS server (multipart, raw bytes).
    let key = signing_key(7);
    let (st, v) = register_key(&https, &url, "CN-SC", &key).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let sc = token_at(
        &https,
        &url,
        serde_json::json!({"role": "policy_admin", "regions": ["CN-SC"]}),
    )
    .await;
    let (wasm, cases, sig) = push_files(&dir, &key);
    let out = crate::oip_push(&url, &sc, (wasm, cases), Some(cert.clone())).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (st, p) = call(
        &https,
        &url,
        "GET",
        &format!("/v1/policies/{id}"),
        &sc,
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(p["status"], "uploaded");
    assert_eq!(p["validation"]["release"], sig.release.release);
}
