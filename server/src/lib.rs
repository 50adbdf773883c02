//! The oip server: the HTTP API over the policy engine, persistence on SQLite or PostgreSQL,
//! tokens and roles, background work (retries, decisions once a policy is in force, policy
//! changes made by other instances).
//!
//! [`AppState::start`] opens the database, migrates it, deploys the built-in policies on first
//! start and loads the registry; [`router`] builds the axum router; [`run`] serves it until the
//! shutdown future resolves. `main` only parses configuration and binds.

pub mod api;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod calendars;
pub mod chart;
pub mod claims;
pub mod cli;
pub mod config;
pub mod console;
pub mod crypto;
pub mod data_keys;
pub mod db;
pub mod decider;
pub mod domain;
pub mod error;
pub mod gate;
pub mod jobs;
pub mod metrics;
pub mod notice;
pub mod payments;
pub mod policies;
pub mod retention;
pub mod review;
pub mod signing;
pub mod tokens;
pub mod users;
pub mod validate;
pub mod webhooks;
mod workers;

use crate::auth::{Principal, Role};
use crate::config::Config;
use crate::crypto::Keys;
use crate::db::Db;
use crate::db::policies::PolicyRow;
use crate::db::writer::Writer;
use crate::domain::PolicySource;

use crate::decider::Decider;
/// The allocator the `oip` binary (and the load benchmark, which embeds the server) runs on.
pub use mimalloc::MiMalloc as Allocator;
use oip_engine::types::Timestamp;
use oip_engine::{HostConfig, Limits, LoadedPolicy, PolicyHost};
use rand::RngCore;
use sea_orm_migration::MigratorTrait;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use api::router;
pub use error::{Code, Error};

/// Shared state of one server process.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

/// What the state holds.
#[derive(Debug)]
pub struct Inner {
    /// Configuration.
    pub config: Config,
    /// Database.
    pub db: Db,
    /// Group-commit writer.
    pub writer: Writer,
    /// Keys for personal data.
    pub keys: Keys,
    /// The master key (wraps the data keys; the compiled-code cache's MAC key derives from it).
    pub master: crate::crypto::MasterKey,
    /// Policies in force and the engine.
    pub decider: Decider,
    /// Metrics.
    pub metrics: metrics::Metrics,
    /// The token cache and the rate limits.
    pub gate: gate::Gate,
    /// The working-day calendar in force (a signed dataset), when one is.
    pub calendar: arc_swap::ArcSwapOption<oip_engine::types::Calendar>,
    wake: tokio::sync::Notify,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The current instant.
pub fn now() -> Timestamp {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Timestamp(secs)
}

/// A time-ordered id: prefix, milliseconds, random.
pub fn new_id(prefix: &str) -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    format!("{prefix}_{ms:012x}{:016x}", rand::rngs::OsRng.next_u64())
}

/// Migrates the database and nothing else (`oip migrate`).
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)?;
    let db = Db::connect(&config.database_url()).await?;
    db::migrations::Migrator::up(&db.conn, None).await?;
    Ok(())
}

impl AppState {
    /// Opens everything: database (migrated), keys, engine, built-in policies on first start,
    /// the registry, and the background workers.
    pub async fn start(config: Config) -> anyhow::Result<AppState> {
        if !config.policies.is_empty() {
            anyhow::ensure!(
                config.dev_unsigned_policies,
                "{} policy module(s) given to deploy at start: such modules go live unsigned and \
                 unapproved, which only --dev-unsigned-policies (development only) allows; in \
                 production upload them signed (oip policy push)",
                config.policies.len()
            );
            tracing::warn!(
                modules = config.policies.len(),
                "DEVELOPMENT MODE: --dev-unsigned-policies deploys policy modules with no \
                 signature and no four eyes; never run a production server like this"
            );
        }
        if config.dev_http_webhooks {
            tracing::warn!(
                "DEVELOPMENT MODE: --dev-http-webhooks sends platforms' events (personal data) \
                 over plain http:// where a webhook says so; never run a production server like this"
            );
        }
        std::fs::create_dir_all(&config.data_dir)?;
        let db = Db::connect(&config.database_url())
            .await?
            .under(config.crypto);
        db::migrations::Migrator::up(&db.conn, None).await?;
        let master = match &config.master_key {
            Some(k) => k.clone(),
            None => crate::crypto::MasterKey::load_or_create(&config.master_key_path(), true)?,
        }
        .under(config.crypto);
        let keys = data_keys::open(&db, &master, &config.key_path()).await?;
        let host = PolicyHost::new(HostConfig {
            limits: Limits::default(),
            cache_dir: Some(
                config
                    .compiled_cache_dir
                    .clone()
                    .unwrap_or_else(|| config.data_dir.join("compiled")),
            ),
            cache_key: Some(master.compiled_cache_key()),
        })?;
        let decider = Decider::new(host);
        let writer = Writer::start(&config.database_url(), config.crypto).await?;
        let gate = gate::Gate::new(config.limits, config.crypto);
        let metrics = metrics::Metrics::new(writer.clone(), db.clone());
        let state = AppState(Arc::new(Inner {
            config,
            db,
            writer,
            keys,
            master,
            decider,
            metrics,
            gate,
            calendar: arc_swap::ArcSwapOption::empty(),
            wake: tokio::sync::Notify::new(),
        }));
        calendars::reload(&state).await?;
        state.bootstrap().await?;
        state
            .decider
            .sync(&state.db)
            .await
            .map_err(anyhow::Error::msg)?;
        workers::spawn(state.clone());
        // A payment run an earlier process left half built finishes now.
        let resuming = state.clone();
        tokio::spawn(async move { payments::run::resume(&resuming).await });
        Ok(state)
    }

    async fn bootstrap(&self) -> anyhow::Result<()> {
        let has_admin = self.db.has_admin().await?;
        if self.config.bootstrap_token.is_some() && has_admin {
            tracing::warn!(
                "OIP_BOOTSTRAP_TOKEN ignored: the database already has an admin token (it only \
                 seeds an empty database)"
            );
        }
        if let Some(token) = &self.config.bootstrap_token
            && !has_admin
        {
            let t = Timestamp(now().0).to_string();
            // The operator's first token: it names no user (it adds the first users) and
            // does not expire; revoke it once the admins have their own.
            self.db
                .insert_token(&db::tokens::NewTokenRow {
                    id: &new_id("tok"),
                    hash: &auth::token_hash(self.config.crypto, token),
                    role: Role::Admin,
                    platform: None,
                    regions: &[],
                    user_id: None,
                    label: Some("bootstrap"),
                    expires_at: None,
                    now: &t,
                })
                .await?;
            tracing::info!("bootstrap admin token created");
        }
        if self.db.policies(None).await?.is_empty() {
            let mut deployed = 0;
            for (i, b) in oip_engine::builtin::POLICIES.iter().enumerate() {
                // A region crate whose figures are placeholders (`oip policy new` before they
                // are filled in) must not decide claims: its region stays without a policy.
                let p = self.decider.load(b.wasm)?;
                let lacking = policies::incomplete_figures(p.manifest());
                if !lacking.is_empty() {
                    tracing::warn!(
                        region = b.region,
                        crate_name = b.crate_name,
                        lacking = %lacking.join(", "),
                        "built-in policy not deployed: its figures are incomplete; the region has no policy"
                    );
                    continue;
                }
                self.deploy(&p, PolicySource::Builtin, i as i64 + 1).await?;
                deployed += 1;
            }
            tracing::info!(count = deployed, "built-in policies deployed");
        }
        let mut next = self.db.max_sequence().await? + 1;
        for path in &self.config.policies {
            let p = self.decider.load(&std::fs::read(path)?)?;
            if self.deploy(&p, PolicySource::Config, next).await? {
                tracing::warn!(path = %path.display(), "unsigned policy module deployed (development mode)");
            }
            next += 1;
        }
        Ok(())
    }

    /// Stores and activates a module with its audit entry; false when its digest was stored
    /// before (then nothing changes).
    async fn deploy(
        &self,
        p: &LoadedPolicy,
        source: PolicySource,
        sequence: i64,
    ) -> anyhow::Result<bool> {
        let row = PolicyRow::deployed(
            p.manifest().clone(),
            p.sha256(),
            source,
            sequence,
            &now().to_string(),
        );
        let audit = db::writer::AuditDraft {
            actor: "system".into(),
            action: match source {
                PolicySource::Config => "policy.deployed_unsigned",
                _ => "policy.deployed_builtin",
            }
            .into(),
            claim_id: None,
            before: None,
            after: Some(policies::transitions::summary(&row)),
        };
        Ok(self
            .writer
            .submit_logged(
                Some(self.db.insert_policy_stmt(&row, p.component_bytes())),
                vec![],
                vec![audit],
                vec![],
            )
            .await?)
    }

    /// The caller behind a bearer token presented from `peer` (valid tokens cached for two
    /// seconds; see [`gate::Gate`]): `Ok(None)` for an unknown or revoked token,
    /// `rate_limited` when `peer` presented too many of those lately.
    pub async fn principal(
        &self,
        token: &str,
        peer: Option<std::net::IpAddr>,
    ) -> Result<Option<Principal>, Error> {
        self.gate
            .principal(token, peer, |hash| async move {
                let at = now().0;
                Ok(self
                    .db
                    .token(&hash)
                    .await?
                    .and_then(|row| row.admits(at).then(|| Principal::from(row))))
            })
            .await
    }

    /// Forgets cached tokens (after a revocation).
    pub fn forget_tokens(&self) {
        self.gate.forget_tokens();
    }

    /// Brings the registry in step with the policy table; wakes the background worker when it
    /// changed (claims waiting for a policy may now be decided).
    pub async fn sync_policies(&self) {
        match self.decider.sync(&self.db).await {
            Ok(true) => self.wake_workers(),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "policy sync failed"),
        }
    }

    /// Wakes the background worker (a policy changed, a claim needs another look).
    pub fn wake_workers(&self) {
        self.wake.notify_one();
    }
}

/// Serves the router on `listener` until `shutdown` resolves, then drains in-flight requests
/// (at most 30 seconds).
///
/// HTTP/1.1 through hyper directly rather than `axum::serve`, for what that lacks: a
/// header-read timeout (a client that sends its headers slowly, or idles between requests, is
/// disconnected after [`Config::header_read_timeout`]) and a cap on connections served at once
/// ([`Config::max_connections`]; one more is closed at once, and counted). Each request
/// carries its connection's address (`ConnectInfo`), which the failed-authentication limit
/// keys on.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::Service as _;
    let header_timeout = state.config.header_read_timeout;
    let slots = Arc::new(tokio::sync::Semaphore::new(state.config.max_connections));
    let tls = state
        .config
        .tls_acceptor()
        .map_err(|e| std::io::Error::other(format!("{e:#}")))?;
    let app = router(state.clone());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            state.metrics.connection_refused();
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                app.clone().call(req)
            });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(header_timeout);
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let served = match tls {
                None => {
                    watcher
                        .watch(http.serve_connection(TokioIo::new(stream), service))
                        .await
                }
                // The handshake has the header-read time too: a client that stalls in it is
                // disconnected like one that stalls in its headers.
                Some(acceptor) => {
                    match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            watcher
                                .watch(http.serve_connection(TokioIo::new(tls), service))
                                .await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!("TLS handshake timed out");
                            return;
                        }
                    }
                }
            };
            if let Err(e) = served {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(30)) => {
            tracing::warn!("connections still open after 30 s; closing them");
        }
    }
    Ok(())
}
