//! The integration tests, one binary (it links once): a real server on 127.0.0.1:0, a real
//! database (SQLite, and PostgreSQL when `DATABASE_URL` is set), the real policy modules.

mod calendar;
mod claims;
mod console;
mod crash;
mod eval;
mod hot_swap;
mod keys;
mod new_region;
mod ops;
mod payments;
mod policies;
mod review;
mod security;
mod tls;
mod users;
mod webhooks;

/// This package's `oip` binary as a command, under the test servers' crypto profile.
pub(crate) fn oip_cli() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_oip-under-test"));
    cmd.env("OIP_CRYPTO", oip_tests::test_profile().name());
    cmd
}

/// Starts this package's `oip` binary as a server process.
pub(crate) fn start(data_dir: &std::path::Path, database_url: Option<&str>) -> oip_tests::Proc {
    oip_tests::start_bin(env!("CARGO_BIN_EXE_oip-under-test"), data_dir, database_url)
}

/// `oip policy push CN-SC <wasm> --cases <cases>` to `url` with `token` (and the deployment's
/// CA, when given), run off the async runtime; its id on stdout when it succeeds.
pub(crate) async fn oip_push(
    url: &str,
    token: &str,
    (wasm, cases): (std::path::PathBuf, std::path::PathBuf),
    ca_file: Option<std::path::PathBuf>,
) -> std::process::Output {
    let (url, token) = (url.to_string(), token.to_string());
    tokio::task::spawn_blocking(move || {
        let mut cmd = crate::oip_cli();
        cmd.args(["policy", "push", "CN-SC"])
            .arg(&wasm)
            .arg("--cases")
            .arg(&cases)
            .args(["--server", &url, "--token", &token])
            .env_remove("OIP_TOKEN")
            .env_remove("OIP_SERVER")
            .env_remove("OIP_CA_FILE");
        if let Some(ca) = ca_file {
            cmd.arg("--ca-file").arg(ca);
        }
        cmd.output().expect("oip policy push")
    })
    .await
    .expect("push")
}

/// A self-signed certificate for 127.0.0.1 and localhost, made here (rcgen): the PEM files of
/// the certificate and its key, in `dir`.
pub(crate) fn localhost_cert(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let rcgen::CertifiedKey { cert, key_pair } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("a certificate");
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, cert.pem()).expect("cert");
    std::fs::write(&k, key_pair.serialize_pem()).expect("key");
    (c, k)
}

/// Serves `app` over HTTPS on `listener` with the certificate of [`localhost_cert`] (a plain
/// rustls acceptor and hyper, not the server's own code).
pub(crate) fn serve_tls(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    cert: &std::path::Path,
    key: &std::path::Path,
) {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = vec![CertificateDer::from_pem_file(cert).expect("cert pem")];
    let key = PrivateKeyDer::from_pem_file(key).expect("key pem");
    let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let tls = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(tls));
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = hyper::service::service_fn(move |req| {
                    use tower::Service as _;
                    app.clone().call(req)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
}
