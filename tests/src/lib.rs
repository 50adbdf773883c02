//! The test harness of the integration tests (`tests/all`) and the benchmarks: a real server
//! on 127.0.0.1:0 against a fresh SQLite file, or a fresh PostgreSQL database when
//! `DATABASE_URL` is set, with a client (raw JSON, and typed over the API's views), and the
//! policy lifecycle's helpers.
#![allow(missing_docs)]

mod typed;

pub use typed::*;

use oip_server::config::Config;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ADMIN: &str = "test-admin-token";

/// Which database a test runs on.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    /// SQLite always; PostgreSQL too when `DATABASE_URL` is set.
    pub fn all() -> Vec<Backend> {
        let mut v = vec![Backend::Sqlite];
        if let Ok(url) = std::env::var("DATABASE_URL") {
            if !url.is_empty() {
                v.push(Backend::Postgres(url));
            }
        }
        v
    }
}

/// Runs a test body once per backend.
pub async fn each_backend<F, Fut>(f: F)
where
    F: Fn(Backend) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for b in Backend::all() {
        f(b).await;
    }
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "oip-test-{tag}-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{t:x}{}", N.fetch_add(1, Ordering::Relaxed))
}

/// A fresh PostgreSQL database on the server of `base_url`; returns its URL. The first call
/// in a test process also drops the databases that finished test processes left behind (their
/// names carry the process id), so that repeated runs do not pile them up on the server.
pub async fn fresh_pg(base_url: &str) -> String {
    let name = format!("oip_t_{}_{}", std::process::id(), rand_suffix());
    let db = sea_orm::Database::connect(base_url)
        .await
        .expect("connect to PostgreSQL");
    static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SWEPT.get_or_init(|| drop_leftovers(&db)).await;
    db.execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let (prefix, _) = base_url
        .rsplit_once('/')
        .expect("database URL ends with /name");
    format!("{prefix}/{name}")
}

/// Drops `oip_t_<pid>_*` databases whose process is gone.
async fn drop_leftovers(db: &sea_orm::DatabaseConnection) {
    let Ok(rows) = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'oip\\_t\\_%'",
        ))
        .await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get_by_index::<String>(0) else {
            continue;
        };
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let gone = pid.is_some_and(|p| !std::path::Path::new(&format!("/proc/{p}")).exists());
        if gone {
            let _ = db
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

/// The master key of the test servers, under the test profile.
pub fn test_master_key() -> oip_server::crypto::MasterKey {
    oip_server::crypto::MasterKey::from_hex(&"5a".repeat(32))
        .expect("a master key")
        .under(test_profile())
}

/// The crypto profile the test servers run under: `standard`, or `gm` with
/// `OIP_TEST_CRYPTO=gm` (CI runs the security-relevant tests under both).
pub fn test_profile() -> oip_server::crypto::Profile {
    match std::env::var("OIP_TEST_CRYPTO").as_deref() {
        Ok("gm") => oip_server::crypto::Profile::Gm,
        _ => oip_server::crypto::Profile::Standard,
    }
}

/// The compiled-code cache every test server shares (one per profile: their entries carry
/// different MACs).
pub fn test_compiled_cache() -> PathBuf {
    compiled_cache_of(test_profile())
}

/// The shared compiled-code cache of the test servers of a profile.
pub fn compiled_cache_of(profile: oip_server::crypto::Profile) -> PathBuf {
    std::env::temp_dir().join(format!("oip-test-compiled-cache-{}", profile.name()))
}

/// A config for a backend, with short background intervals.
pub async fn config(backend: &Backend, tag: &str) -> Config {
    let mut c = Config::new(temp_dir(tag));
    c.bootstrap_token = Some(ADMIN.into());
    // One compiled-code cache for every test server: the 18 built-in modules compile once. Its
    // entries are authenticated with a key derived from the master key, so the test servers
    // share one master key.
    c.compiled_cache_dir = Some(test_compiled_cache());
    c.master_key = Some(test_master_key());
    c.crypto = test_profile();
    c.retry_interval = Duration::from_millis(200);
    c.policy_poll_interval = Duration::from_millis(200);
    // Tests send thousands of requests on one token and present bad tokens on purpose; the
    // rate limits have their own tests (security.rs), which set them.
    c.limits.token_requests_per_second = 0;
    c.limits.auth_failures_per_minute = 0;
    // The webhook receivers of the tests speak plain HTTP, but webhooks.rs's (HTTPS, as
    // production requires).
    c.dev_http_webhooks = true;
    if let Backend::Postgres(url) = backend {
        c.database_url = Some(fresh_pg(url).await);
    }
    c
}

pub struct TestServer {
    pub url: String,
    pub http: reqwest::Client,
    pub state: oip_server::AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn spawn(backend: &Backend) -> TestServer {
        let c = config(backend, "srv").await;
        TestServer::with_config(c).await
    }

    pub async fn with_config(c: Config) -> TestServer {
        let state = oip_server::AppState::start(c).await.expect("server starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let s = state.clone();
        let task = tokio::spawn(async move {
            let _ = oip_server::run(listener, s, async {
                let _ = rx.await;
            })
            .await;
        });
        TestServer {
            url,
            http: reqwest::Client::new(),
            state,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }

    /// A token as `body` describes it (see [`token_at`]).
    pub async fn token(&self, body: Value) -> String {
        token_at(&self.http, &self.url, body).await
    }

    pub async fn platform(&self, name: &str) -> String {
        self.token(json!({ "role": "platform", "platform": name }))
            .await
    }

    pub async fn adjuster(&self, regions: &[&str]) -> String {
        self.token(json!({ "role": "adjuster", "regions": regions }))
            .await
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        call(&self.http, &self.url, method, path, token, body, key).await
    }

    /// Submits every `(idempotency key, claim)` at once, each from its own task; the answers
    /// in the same order.
    pub async fn submit_all(
        &self,
        token: &str,
        claims: Vec<(String, Value)>,
    ) -> Vec<(StatusCode, Value)> {
        let tasks: Vec<_> = claims
            .into_iter()
            .map(|(key, body)| {
                let (http, url, token) = (self.http.clone(), self.url.clone(), token.to_string());
                tokio::spawn(async move {
                    call(
                        &http,
                        &url,
                        "POST",
                        "/v1/claims",
                        &token,
                        Some(body),
                        Some(&key),
                    )
                    .await
                })
            })
            .collect();
        let mut answers = Vec::with_capacity(tasks.len());
        for t in tasks {
            answers.push(t.await.expect("submitting task"));
        }
        answers
    }

    pub async fn submit(&self, token: &str, key: &str, body: &Value) -> (StatusCode, Value) {
        self.call("POST", "/v1/claims", token, Some(body.clone()), Some(key))
            .await
    }
}

pub async fn call(
    http: &reqwest::Client,
    url: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
    key: Option<&str>,
) -> (StatusCode, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = http.request(m, format!("{url}{path}"));
    if !token.is_empty() {
        req = req.bearer_auth(token);
    }
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, v)
}

/// The example claim (docs/claim-example.json) with a reference unique to `n`.
pub fn example(n: u64) -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/claim-example.json"
    ))
    .expect("claim example");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    v.as_object_mut().expect("object").remove("_notes");
    v["platform_claim_ref"] = format!("MT-TEST-{n}").into();
    v
}

/// Polls `f` until it returns Some or the deadline passes.
pub async fn eventually<T, F, Fut>(within: Duration, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An `oip serve` process (killed when dropped).
pub struct Proc {
    pub child: Child,
    pub url: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `oip serve` (the binary `bin`) as a process on a free port; returns once it listens.
pub fn start_bin(bin: &str, data_dir: &Path, database_url: Option<&str>) -> Proc {
    let mut cmd = Command::new(bin);
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("OIP_BOOTSTRAP_TOKEN", ADMIN)
        // Instances sharing a database share its master key (and the compiled-code cache's).
        .env("OIP_MASTER_KEY", test_master_key().to_hex())
        .env("OIP_CRYPTO", test_profile().name())
        .env("OIP_TOKEN_REQUESTS_PER_SECOND", "0")
        .env("OIP_AUTH_FAILURES_PER_MINUTE", "0")
        .env("RUST_LOG", "warn")
        .env_remove("OIP_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    match database_url {
        Some(u) => cmd.env("DATABASE_URL", u),
        None => cmd.env_remove("DATABASE_URL"),
    };
    let mut child = cmd.spawn().expect("start oip");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the listening line");
    let url = line.trim().rsplit(' ').next().expect("url").to_string();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "unexpected first line: {line:?}"
    );
    Proc { child, url }
}

// --- the policy lifecycle ------------------------------------------------------------------

/// A deterministic signing key of the test profile (ed25519 or SM2; the secret is the seed
/// repeated).
pub fn signing_key(seed: u8) -> oip_server::signing::SigningKey {
    oip_server::signing::SigningKey::from_bytes(test_profile(), &[seed; 32]).expect("a key")
}

/// The public key of a signing key, hex, as `POST /v1/keys` takes it.
pub fn public_hex(k: &oip_server::signing::SigningKey) -> String {
    k.public().to_hex()
}

/// The next Sichuan version (fixture `cn-sc-next`: 2026.2, with the 2025 wage base).
pub fn next_sc_module() -> Vec<u8> {
    std::fs::read(oip_engine::builtin::fixture_path("cn-sc-next"))
        .expect("fixture cn-sc-next built")
}

/// What `oip policy push CN-SC` is given, written into `dir`: the next Sichuan module, its
/// signature (`.sig`, signed with `key` at the next release number) and a folder of its cases.
pub fn push_files(
    dir: &Path,
    key: &oip_server::signing::SigningKey,
) -> (
    PathBuf,
    PathBuf,
    oip_server::policies::release::SignatureFile,
) {
    let module = next_sc_module();
    let wasm = dir.join("oip_policy_cn_sc.wasm");
    std::fs::write(&wasm, &module).expect("wasm");
    let sig = signed(key, &module, next_release());
    std::fs::write(
        dir.join("oip_policy_cn_sc.wasm.sig"),
        serde_json::to_string(&sig).expect("json"),
    )
    .expect("sig");
    let cases = dir.join("cases");
    std::fs::create_dir_all(&cases).expect("cases");
    for mut case in sc_cases(false) {
        let name = case["name"].as_str().expect("name").to_string();
        case.as_object_mut().expect("case").remove("name");
        std::fs::write(cases.join(format!("{name}.json")), case.to_string()).expect("case");
    }
    (wasm, cases, sig)
}

/// The built-in Sichuan cases as an upload carries them; without the one the 2025 wage base
/// changes (`covered_wage_base_stand_in`) unless `all`.
pub fn sc_cases(all: bool) -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/cn-sc/cases");
    oip_server::cli::policy::read_cases(&dir)
        .expect("cases")
        .into_iter()
        .filter(|c| all || c.name != "covered_wage_base_stand_in")
        .map(|c| serde_json::to_value(c).expect("case JSON"))
        .collect()
}

/// An upload body.
pub fn upload_body(
    module: &[u8],
    key: Option<&oip_server::signing::SigningKey>,
    cases: Vec<Value>,
) -> Value {
    use base64::Engine as _;
    let mut v = json!({
        "module": base64::engine::general_purpose::STANDARD.encode(module),
        "cases": cases,
    });
    if let Some(k) = key {
        let f = signed(k, module, next_release());
        v["signature"] = json!(f.signature);
        v["release"] = serde_json::to_value(&f.release).expect("json");
    }
    v
}

/// A release number above every one given before in this process (each test's database is
/// fresh, so uploads made in order are each newer than the last).
pub fn next_release() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A module's release signed by `key`, as `oip policy sign` writes it (the manifest read
/// through a host sharing the test servers' compiled-code cache).
pub fn signed(
    key: &oip_server::signing::SigningKey,
    module: &[u8],
    release: u64,
) -> oip_server::policies::release::SignatureFile {
    static HOST: std::sync::OnceLock<oip_engine::PolicyHost> = std::sync::OnceLock::new();
    let host = HOST.get_or_init(|| {
        oip_engine::PolicyHost::new(oip_engine::HostConfig {
            limits: oip_engine::Limits::default(),
            cache_dir: Some(test_compiled_cache()),
            cache_key: Some(test_master_key().compiled_cache_key()),
        })
        .expect("a host")
    });
    use oip_server::policies::release::ReleaseStatement;
    // A module that does not load (a test of the refusal) is signed with Sichuan's manifest
    // fields: the server verifies the signature before it loads the module.
    let statement = match host.load(module) {
        Ok(p) => ReleaseStatement::of(key.profile(), p.manifest(), module, release),
        Err(_) => {
            let sc = host
                .load(oip_engine::builtin::POLICIES[0].wasm)
                .expect("a built-in module");
            ReleaseStatement::of(key.profile(), sc.manifest(), module, release)
        }
    };
    oip_server::cli::keys::sign_statement(key, statement)
}

/// Registers a region's public key: the admin token proposes it and a second admin approves
/// it. The proposal's status comes back, with the key as approved (or the refusal).
pub async fn register_key(
    http: &reqwest::Client,
    url: &str,
    region: &str,
    key: &oip_server::signing::SigningKey,
) -> (StatusCode, Value) {
    let body = json!({"region": region, "public_key": public_hex(key)});
    let (s, v) = call(http, url, "POST", "/v1/keys", ADMIN, Some(body), None).await;
    if s != StatusCode::CREATED {
        return (s, v);
    }
    let id = v["id"].as_str().expect("key id");
    let second = second_admin(http, url).await;
    let (a, k) = call(
        http,
        url,
        "POST",
        &format!("/v1/keys/{id}/approve"),
        &second,
        None,
        None,
    )
    .await;
    assert_eq!(a, StatusCode::OK, "{k}");
    (s, k)
}

/// A second admin token (issued by the first), for the two-admin steps.
pub async fn second_admin(http: &reqwest::Client, url: &str) -> String {
    token_at(http, url, json!({"role": "admin"})).await
}

/// Revokes a key through two admins: the admin token asks, a second admin carries it out.
pub async fn revoke_key(http: &reqwest::Client, url: &str, id: &str) {
    let path = format!("/v1/keys/{id}");
    let (s, v) = call(http, url, "DELETE", &path, ADMIN, None, None).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let second = second_admin(http, url).await;
    let (s, v) = call(http, url, "DELETE", &path, &second, None, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
}

/// Creates a token through the admin token: a platform's as asked; for any other role, a new
/// user (a person of that role and those regions) first, and a token the user holds. Each call
/// is another person.
pub async fn token_at(http: &reqwest::Client, url: &str, body: Value) -> String {
    let (s, v) = issue_token(http, url, ADMIN, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["token"].as_str().expect("token").to_string()
}

/// As [`token_at`], through `admin`, giving back the answer (the token's view).
pub async fn issue_token(
    http: &reqwest::Client,
    url: &str,
    admin: &str,
    body: Value,
) -> (StatusCode, Value) {
    let body = if body["role"] == "platform" || body.get("user_id").is_some() {
        body
    } else {
        let (_, user) = add_user(http, url, admin, &body).await;
        json!({ "user_id": user["id"], "label": "test" })
    };
    call(http, url, "POST", "/v1/tokens", admin, Some(body), None).await
}

/// Adds a user of `person`'s role and regions (a fresh employee id), through `admin`.
pub async fn add_user(
    http: &reqwest::Client,
    url: &str,
    admin: &str,
    person: &Value,
) -> (StatusCode, Value) {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let body = json!({
        "name": format!("Test person {n}"),
        "employee_id": format!("T-{}-{n}", std::process::id()),
        "role": person["role"],
        "regions": person.get("regions").cloned().unwrap_or(json!([])),
    });
    let (s, v) = call(http, url, "POST", "/v1/users", admin, Some(body), None).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    (s, v)
}

/// Polls a job until it is no longer running.
pub async fn wait_job(http: &reqwest::Client, url: &str, token: &str, id: &str) -> Value {
    eventually(Duration::from_secs(120), || async {
        let (s, j) = call(
            http,
            url,
            "GET",
            &format!("/v1/jobs/{id}"),
            token,
            None,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{j}");
        (j["status"] != "running").then_some(j)
    })
    .await
    .expect("job ends within 120 s")
}

/// Two Sichuan policy admins (the uploader and the approver), with the region's key
/// registered; uploads, shadows and approves the next Sichuan version. Returns
/// (version id, uploader token, approver token).
pub async fn approved_next_sc(http: &reqwest::Client, url: &str) -> (String, String, String) {
    let (id, a, b) = shadowed_next_sc(http, url).await;
    let (s, v) = call(
        http,
        url,
        "POST",
        &format!("/v1/policies/{id}/approve"),
        &b,
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (id, a, b)
}

/// As [`approved_next_sc`], up to the finished shadow run (the version is `uploaded`).
pub async fn shadowed_next_sc(http: &reqwest::Client, url: &str) -> (String, String, String) {
    let key = signing_key(7);
    let (s, v) = register_key(http, url, "CN-SC", &key).await;
    assert!(s == StatusCode::CREATED || s == StatusCode::CONFLICT, "{v}");
    let a = token_at(
        http,
        url,
        json!({"role": "policy_admin", "regions": ["CN-SC"]}),
    )
    .await;
    let b = token_at(
        http,
        url,
        json!({"role": "policy_admin", "regions": ["CN-SC"]}),
    )
    .await;
    let (s, p) = call(
        http,
        url,
        "POST",
        "/v1/regions/CN-SC/policies",
        &a,
        Some(upload_body(&next_sc_module(), Some(&key), sc_cases(false))),
        None,
    )
    .await;
    assert!(s == StatusCode::CREATED || s == StatusCode::OK, "{p}");
    let id = p["id"].as_str().expect("id").to_string();
    let (s, j) = call(
        http,
        url,
        "POST",
        &format!("/v1/policies/{id}/shadow"),
        &a,
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{j}");
    let done = wait_job(http, url, &a, j["id"].as_str().expect("job id")).await;
    assert_eq!(done["status"], "done", "{done}");
    (id, a, b)
}

/// The example claim moved one year on (2026 incident: the built-in Sichuan version decides it
/// on W(2024) as a provisional stand-in).
pub fn example_2026(n: u64) -> Value {
    let text = example(n).to_string().replace("\"2025-", "\"2026-");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    v["platform_claim_ref"] = format!("MT-TEST-2026-{n}").into();
    v["assessment"]["assessed_at"] = "2026-10-10".into();
    v
}

/// The sum of the samples named `name` (over their labels) in a `/metrics` text; 0 when absent.
pub fn metric(text: &str, name: &str) -> f64 {
    scrape(text)
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

/// A `/metrics` text read by `prometheus-parse` (a parser nobody here wrote).
pub fn scrape(text: &str) -> prometheus_parse::Scrape {
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("parse metrics")
}
