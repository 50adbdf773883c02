//! The server's configuration: one typed struct, filled from defaults < a TOML file <
//! `OIP_*` environment variables < command-line flags. Unknown keys in the file are errors.
//! The library never reads the environment itself: `main` does, through clap.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything the server needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Where the SQLite database, the key file and the compiled-code cache live.
    pub data_dir: PathBuf,
    /// PostgreSQL URL; `None` = embedded SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// Admin token to create on first start when none exists.
    pub bootstrap_token: Option<String>,
    /// The key file of earlier versions (`<data_dir>/oip.key` by default): on a database without
    /// data keys it becomes data key generation 1, so that what it sealed still opens.
    pub key_file: Option<PathBuf>,
    /// The master key file (64 hex digits); default `<data_dir>/master.key`, made on first
    /// start. Every instance on one database needs the same master key.
    pub master_key_file: Option<PathBuf>,
    /// The master key itself (`OIP_MASTER_KEY`), instead of a file.
    pub master_key: Option<crate::crypto::MasterKey>,
    /// The algorithms: `standard` (AES-256-GCM, SHA-256, ed25519) or `gm` (SM4-GCM, SM3, SM2,
    /// for deployments assessed against GB/T 39786-2021). Chosen when the database is made;
    /// an instance of the other profile refuses to start on it.
    pub crypto: crate::crypto::Profile,
    /// Where compiled policy code is cached; default `<data_dir>/compiled`. Entries are keyed
    /// by module digest and engine build, and authenticated with a MAC derived from the master
    /// key, so several servers given one master key may share one.
    pub compiled_cache_dir: Option<PathBuf>,
    /// Extra policy modules to deploy at start (beside the built-in ones), e.g. a module a
    /// provincial IT team is trying out locally. They go live unsigned and without four eyes,
    /// so the server refuses them unless [`Config::dev_unsigned_policies`] is set.
    pub policies: Vec<PathBuf>,
    /// Development only: deploy [`Config::policies`] without signature or approval. Logged at
    /// every start, reported by `/readyz`, and each deployment is audited.
    pub dev_unsigned_policies: bool,
    /// Largest request body accepted.
    pub body_limit_bytes: usize,
    /// Largest policy upload accepted (the module in base64 and its cases).
    pub policy_upload_limit_bytes: usize,
    /// Time limit for one request.
    pub request_timeout: Duration,
    /// How often the background worker looks for claims to decide again.
    pub retry_interval: Duration,
    /// The first retry's delay after a failed decision, in seconds; each later one doubles,
    /// up to an hour.
    pub retry_backoff_seconds: i64,
    /// Attempts before a claim the module keeps failing on goes to an adjuster
    /// (`cannot_decide`); a module's own refusal of the facts goes there at once.
    pub max_attempts: i64,
    /// How often a server checks the database for policy changes made elsewhere.
    pub policy_poll_interval: Duration,
    /// Lump sums above which an approval needs a second adjuster, in fen (default 100,000 yuan).
    pub four_eyes_threshold_fen: u64,
    /// Per-region thresholds, overriding the default.
    pub four_eyes_thresholds: std::collections::HashMap<String, u64>,
    /// Per region, a shorter determination deadline than the policy's, in working days from
    /// the day the application was complete (a province's own commitment, at most the 30 of
    /// the national procedure): the claim is due at the earlier of the two.
    pub determination_working_days: std::collections::HashMap<String, u32>,
    /// Days a settled claim (denied or closed, untouched since) keeps the worker's personal data
    /// before it is erased; `None` keeps it (see [`crate::retention`]).
    pub personal_data_retention_days: Option<u64>,
    /// How often the retention pass runs.
    pub retention_interval: Duration,
    /// Approve fast-track decisions automatically (straight-through processing).
    pub straight_through: bool,
    /// Share of straight-through approvals sampled for quality review, in basis points.
    pub quality_sample_bp: u64,
    /// How often pending webhook deliveries are attempted.
    pub webhook_interval: Duration,
    /// Serve `POST /v1/baseline` (inserts one row durably): the load benchmark's baseline.
    pub baseline_route: bool,
    /// Per-token request rate and failed authentications per address.
    pub limits: crate::gate::Limits,
    /// Time a client has to send a request's headers (also the idle time allowed between
    /// requests on a kept-alive connection).
    pub header_read_timeout: Duration,
    /// Connections served at once; one more is closed at once.
    pub max_connections: usize,
    /// How often the audit chain's head is signed into the checkpoint file (when it moved).
    pub audit_checkpoint_interval: Duration,
    /// The append-only checkpoint file; default `<data_dir>/audit-checkpoints.jsonl`.
    pub audit_checkpoint_file: Option<PathBuf>,
    /// The checkpoint signing key (ed25519 seed), never in the database; default
    /// `<data_dir>/audit-checkpoint.key`.
    pub audit_checkpoint_key: Option<PathBuf>,
    /// Mark the console's cookies `Secure` (sent over HTTPS only): set it whenever the
    /// console is reached over TLS (a TLS-terminating proxy in front); always so when the
    /// server serves HTTPS itself.
    pub secure_cookies: bool,
    /// Serve HTTPS with this certificate chain (PEM) and [`Config::tls_key`].
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1) of [`Config::tls_cert`].
    pub tls_key: Option<PathBuf>,
    /// More certificate authorities (PEM) to trust for outgoing HTTPS (webhooks), beside the
    /// Mozilla roots built in.
    pub ca_file: Option<PathBuf>,
    /// Development only: accept `http://` webhook URLs (production takes `https://` only).
    pub dev_http_webhooks: bool,
    /// A console session ends after this long without a request.
    pub console_idle: Duration,
    /// A console session ends this long after sign-in, however busy.
    pub console_session: Duration,
}

impl Config {
    /// Defaults for a data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: data_dir.into(),
            database_url: None,
            bootstrap_token: None,
            key_file: None,
            master_key_file: None,
            master_key: None,
            compiled_cache_dir: None,
            policies: Vec::new(),
            dev_unsigned_policies: false,
            body_limit_bytes: 256 << 10,
            policy_upload_limit_bytes: 32 << 20,
            request_timeout: Duration::from_secs(30),
            retry_interval: Duration::from_secs(5),
            retry_backoff_seconds: 5,
            max_attempts: 12,
            policy_poll_interval: Duration::from_millis(500),
            baseline_route: false,
            webhook_interval: Duration::from_millis(500),
            four_eyes_threshold_fen: 10_000_000,
            four_eyes_thresholds: std::collections::HashMap::new(),
            determination_working_days: std::collections::HashMap::new(),
            personal_data_retention_days: None,
            retention_interval: Duration::from_secs(3600),
            straight_through: true,
            quality_sample_bp: 500,
            limits: crate::gate::Limits::default(),
            header_read_timeout: Duration::from_secs(10),
            max_connections: 4096,
            audit_checkpoint_interval: Duration::from_secs(60),
            audit_checkpoint_file: None,
            audit_checkpoint_key: None,
            secure_cookies: false,
            tls_cert: None,
            tls_key: None,
            ca_file: None,
            dev_http_webhooks: false,
            crypto: crate::crypto::Profile::Standard,
            console_idle: Duration::from_secs(30 * 60),
            console_session: Duration::from_secs(8 * 3600),
        }
    }

    /// Whether the server serves HTTPS itself.
    pub fn serves_tls(&self) -> bool {
        self.tls_cert.is_some()
    }

    /// Whether the console's cookies are `Secure`.
    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies || self.serves_tls()
    }

    /// The TLS acceptor of [`Config::tls_cert`] and [`Config::tls_key`], or none (plain HTTP).
    pub fn tls_acceptor(&self) -> anyhow::Result<Option<tokio_rustls::TlsAcceptor>> {
        use anyhow::Context as _;
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let (cert, key) = match (&self.tls_cert, &self.tls_key) {
            (None, None) => return Ok(None),
            (Some(c), Some(k)) => (c, k),
            _ => anyhow::bail!("--tls-cert and --tls-key go together"),
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .with_context(|| format!("cannot read the certificate {}", cert.display()))?
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("no PEM certificate in {}", cert.display()))?;
        anyhow::ensure!(!chain.is_empty(), "no certificate in {}", cert.display());
        let key = PrivateKeyDer::from_pem_file(key)
            .with_context(|| format!("no PEM private key in {}", key.display()))?;
        let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let mut tls = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS versions")?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .context("the certificate and the key do not go together")?;
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Some(tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(
            tls,
        ))))
    }

    /// The checkpoint file's path.
    pub fn checkpoint_file(&self) -> PathBuf {
        self.audit_checkpoint_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("audit-checkpoints.jsonl"))
    }

    /// The checkpoint key's path.
    pub fn checkpoint_key(&self) -> PathBuf {
        self.audit_checkpoint_key
            .clone()
            .unwrap_or_else(|| self.data_dir.join("audit-checkpoint.key"))
    }

    /// The master key file's path.
    pub fn master_key_path(&self) -> PathBuf {
        self.master_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("master.key"))
    }

    /// The key file's path.
    pub fn key_path(&self) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("oip.key"))
    }

    /// The database URL in use (SQLite in the data directory by default).
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("oip.db").display()
            ),
        }
    }
}

/// The keys a config file may hold (all optional; unknown keys are refused). Serialized, it is
/// what `oip config show` prints.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// See [`Config::bind`].
    pub bind: Option<SocketAddr>,
    /// See [`Config::data_dir`].
    pub data_dir: Option<PathBuf>,
    /// See [`Config::database_url`].
    pub database_url: Option<String>,
    /// See [`Config::bootstrap_token`].
    pub bootstrap_token: Option<String>,
    /// See [`Config::key_file`].
    pub key_file: Option<PathBuf>,
    /// See [`Config::master_key_file`].
    pub master_key_file: Option<PathBuf>,
    /// See [`Config::crypto`].
    pub crypto: Option<crate::crypto::Profile>,
    /// See [`Config::policies`].
    pub policies: Option<Vec<PathBuf>>,
    /// See [`Config::dev_unsigned_policies`].
    pub dev_unsigned_policies: Option<bool>,
    /// See [`Config::body_limit_bytes`].
    pub body_limit_bytes: Option<usize>,
    /// Seconds; see [`Config::request_timeout`].
    pub request_timeout_seconds: Option<u64>,
    /// See [`crate::gate::Limits::token_requests_per_second`] (0: unlimited).
    pub token_requests_per_second: Option<u32>,
    /// See [`crate::gate::Limits::token_burst`].
    pub token_burst: Option<u32>,
    /// See [`crate::gate::Limits::auth_failures_per_minute`] (0: unlimited).
    pub auth_failures_per_minute: Option<u32>,
    /// Seconds; see [`Config::header_read_timeout`].
    pub header_read_timeout_seconds: Option<u64>,
    /// See [`Config::max_connections`].
    pub max_connections: Option<usize>,
    /// See [`Config::audit_checkpoint_file`].
    pub audit_checkpoint_file: Option<PathBuf>,
    /// See [`Config::audit_checkpoint_key`].
    pub audit_checkpoint_key: Option<PathBuf>,
    /// See [`Config::secure_cookies`].
    pub secure_cookies: Option<bool>,
    /// See [`Config::tls_cert`].
    pub tls_cert: Option<PathBuf>,
    /// See [`Config::tls_key`].
    pub tls_key: Option<PathBuf>,
    /// See [`Config::ca_file`].
    pub ca_file: Option<PathBuf>,
    /// See [`Config::dev_http_webhooks`].
    pub dev_http_webhooks: Option<bool>,
    /// Minutes; see [`Config::console_idle`].
    pub console_idle_minutes: Option<u64>,
    /// Hours; see [`Config::console_session`].
    pub console_session_hours: Option<u64>,
    /// See [`Config::four_eyes_threshold_fen`].
    pub four_eyes_threshold_fen: Option<u64>,
    /// See [`Config::four_eyes_thresholds`]: a table, region code = fen.
    pub four_eyes_thresholds: Option<std::collections::HashMap<String, u64>>,
    /// See [`Config::determination_working_days`]: a table, region code = working days.
    pub determination_working_days: Option<std::collections::HashMap<String, u32>>,
    /// See [`Config::personal_data_retention_days`].
    pub personal_data_retention_days: Option<u64>,
    /// See [`Config::straight_through`].
    pub straight_through: Option<bool>,
    /// See [`Config::quality_sample_bp`] (0 to 10,000).
    pub quality_sample_bp: Option<u64>,
    /// See [`Config::max_attempts`].
    pub max_attempts: Option<i64>,
    /// Seconds; see [`Config::retry_backoff_seconds`].
    pub retry_backoff_seconds: Option<i64>,
}

impl FileConfig {
    /// Reads a TOML file.
    pub fn read(path: &Path) -> Result<FileConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// `builder` trusting the certificate authorities of `ca_file` (PEM) too, beside the built-in
/// Mozilla roots: for webhooks and the command line, when a deployment has its own CA.
pub fn with_ca_file(
    mut builder: reqwest::ClientBuilder,
    ca_file: Option<&std::path::Path>,
) -> anyhow::Result<reqwest::ClientBuilder> {
    use anyhow::Context as _;
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("no PEM certificate in {}", path.display()))?;
        anyhow::ensure!(!certs.is_empty(), "no certificate in {}", path.display());
        for c in certs {
            builder = builder.add_root_certificate(c);
        }
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::FileConfig;

    /// The example in `deploy/` is a configuration this server reads (unknown keys are errors).
    #[test]
    fn the_deploy_example_configuration_parses() {
        let c: FileConfig =
            toml::from_str(include_str!("../../deploy/oip.toml")).expect("deploy/oip.toml");
        assert_eq!(c.secure_cookies, Some(true));
        assert_eq!(
            c.master_key_file.as_deref(),
            Some(std::path::Path::new("/etc/oip/master.key"))
        );
        assert!(c.bootstrap_token.is_none() && c.dev_http_webhooks.is_none());
    }
}
