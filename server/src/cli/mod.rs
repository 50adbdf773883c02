//! The `oip` command line: parses configuration (defaults < file < `OIP_*` variables <
//! flags), sets up tracing, binds, and hands over to [`crate::run`]. Lives in the library so
//! that the integration tests can run the very same entry point as a separate process.

mod client;
pub mod keys;
pub mod policy;
pub mod template;
pub mod users;

use crate::config::{Config, FileConfig};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use sea_orm_migration::MigratorTrait;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "oip",
    version,
    about = "Occupational injury protection claims engine (职业伤害保障)"
)]
struct Cli {
    /// How log lines are written to stderr: `text` for people, `json` (one object a line) for
    /// a log collector.
    #[arg(long, global = true, env = "OIP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Run the database migrations and exit.
    Migrate(ServeArgs),
    /// Copy the SQLite database, consistently, while the server runs (`VACUUM INTO`); for
    /// PostgreSQL, use `pg_dump` (the command says how).
    Backup {
        /// Where the data is.
        #[command(flatten)]
        serve: ServeArgs,
        /// The backup file to write (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup made by `oip backup` in place as the database of a data directory that has
    /// none, checked and migrated.
    Restore {
        /// The data directory to restore into.
        #[command(flatten)]
        serve: ServeArgs,
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Signing keys of the regions' policy modules.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// The people who act in oip (admin token): add, list, disable.
    Users {
        #[command(subcommand)]
        command: users::UsersCommand,
    },
    /// API tokens (admin token): issue to a user or a platform, list a user's, revoke.
    Tokens {
        #[command(subcommand)]
        command: users::TokensCommand,
    },
    /// The policy lifecycle for provincial IT: new, build, test, sign, push, shadow, approve,
    /// activate, rollback, redecide, list.
    Policy {
        #[command(subcommand)]
        command: policy::PolicyCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain; name the first entry that does not match (exit status 1).
    Verify(VerifyArgs),
}

#[derive(Args)]
struct VerifyArgs {
    #[command(flatten)]
    serve: ServeArgs,
    /// Also check the database against this checkpoint file (signed by the checkpoint key of
    /// the configuration): the first checkpointed entry missing or altered is named.
    #[arg(long)]
    checkpoints: Option<PathBuf>,
}

/// Where the server's data and keys are (the flags of `oip serve`).
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// A TOML config file (keys as in `Config`); flags and OIP_* variables win over it.
    #[arg(long, env = "OIP_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "OIP_BIND")]
    bind: Option<SocketAddr>,
    /// Data directory: SQLite database, key file, compiled-code cache [default: ./oip-data].
    #[arg(long, env = "OIP_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// PostgreSQL URL; without it the server uses SQLite in the data directory.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Admin token created on first start when none exists.
    #[arg(long, env = "OIP_BOOTSTRAP_TOKEN", hide_env_values = true)]
    bootstrap_token: Option<String>,
    /// The key file of earlier versions, imported as the first data key of a new database
    /// [default: <data-dir>/oip.key].
    #[arg(long, env = "OIP_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// The master key file, 64 hex digits, the same on every instance
    /// [default: <data-dir>/master.key, made on first start].
    #[arg(long, env = "OIP_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
    /// The master key itself, 64 hex digits, instead of a file.
    #[arg(long, env = "OIP_MASTER_KEY", hide_env_values = true)]
    master_key: Option<String>,
    /// Extra policy module to deploy at start (repeatable): unsigned and unapproved, so only
    /// with --dev-unsigned-policies.
    #[arg(long = "policy")]
    policies: Vec<PathBuf>,
    /// Development only: let --policy modules go live with no signature and no four eyes
    /// (logged at every start, reported by /readyz, audited).
    #[arg(long, env = "OIP_DEV_UNSIGNED_POLICIES")]
    dev_unsigned_policies: bool,
    /// Mark the console's cookies `Secure`: set it when the console is reached over HTTPS
    /// through a proxy (always so with --tls-cert).
    #[arg(long, env = "OIP_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Serve HTTPS with this certificate chain (PEM), with --tls-key.
    #[arg(long, env = "OIP_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "OIP_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// More certificate authorities (PEM) to trust for webhooks, beside the built-in roots.
    #[arg(long, env = "OIP_CA_FILE")]
    ca_file: Option<PathBuf>,
    /// Development only: accept http:// webhook URLs.
    #[arg(long, env = "OIP_DEV_HTTP_WEBHOOKS")]
    dev_http_webhooks: bool,
    /// Requests per second one token may make on average, 0 for no limit [default: 200].
    #[arg(long, env = "OIP_TOKEN_REQUESTS_PER_SECOND")]
    token_requests_per_second: Option<u32>,
    /// Failed authentications per minute from one address before it is refused for a while,
    /// 0 for no limit [default: 30].
    #[arg(long, env = "OIP_AUTH_FAILURES_PER_MINUTE")]
    auth_failures_per_minute: Option<u32>,
    /// Connections served at once [default: 4096].
    #[arg(long, env = "OIP_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Lump sums in fen above which an approval needs a second adjuster [default: 10000000];
    /// per region in the config file (`[four_eyes_thresholds]`).
    #[arg(long, env = "OIP_FOUR_EYES_THRESHOLD_FEN")]
    four_eyes_threshold_fen: Option<u64>,
    /// Approve fast-track decisions automatically: true or false [default: true].
    #[arg(long, env = "OIP_STRAIGHT_THROUGH")]
    straight_through: Option<bool>,
    /// Share of straight-through approvals sampled for quality review, in basis points
    /// (0 to 10000) [default: 500].
    #[arg(long, env = "OIP_QUALITY_SAMPLE_BP")]
    quality_sample_bp: Option<u64>,
}

fn config(args: ServeArgs) -> anyhow::Result<Config> {
    let file = match &args.config {
        Some(p) => FileConfig::read(p).map_err(anyhow::Error::msg)?,
        None => FileConfig::default(),
    };
    let data_dir = args
        .data_dir
        .or(file.data_dir)
        .unwrap_or_else(|| PathBuf::from("oip-data"));
    let mut c = Config::new(data_dir);
    if let Some(b) = args.bind.or(file.bind) {
        c.bind = b;
    }
    c.database_url = args
        .database_url
        .or(file.database_url)
        .filter(|u| !u.is_empty());
    c.bootstrap_token = args
        .bootstrap_token
        .or(file.bootstrap_token)
        .filter(|t| !t.is_empty());
    c.key_file = args.key_file.or(file.key_file);
    c.master_key_file = args.master_key_file.or(file.master_key_file);
    c.master_key = args
        .master_key
        .filter(|k| !k.is_empty())
        .map(|k| crate::crypto::MasterKey::from_hex(&k))
        .transpose()
        .map_err(|e| anyhow::anyhow!("OIP_MASTER_KEY: {e}"))?;
    c.policies = if args.policies.is_empty() {
        file.policies.unwrap_or_default()
    } else {
        args.policies
    };
    c.dev_unsigned_policies =
        args.dev_unsigned_policies || file.dev_unsigned_policies == Some(true);
    if let Some(n) = file.body_limit_bytes {
        c.body_limit_bytes = n;
    }
    if let Some(s) = file.request_timeout_seconds {
        c.request_timeout = std::time::Duration::from_secs(s);
    }
    if let Some(n) = args
        .token_requests_per_second
        .or(file.token_requests_per_second)
    {
        c.limits.token_requests_per_second = n;
    }
    if let Some(n) = file.token_burst {
        c.limits.token_burst = n;
    }
    if let Some(n) = args
        .auth_failures_per_minute
        .or(file.auth_failures_per_minute)
    {
        c.limits.auth_failures_per_minute = n;
    }
    if let Some(s) = file.header_read_timeout_seconds {
        c.header_read_timeout = std::time::Duration::from_secs(s.max(1));
    }
    if let Some(n) = args.max_connections.or(file.max_connections) {
        c.max_connections = n.max(1);
    }
    c.audit_checkpoint_file = file.audit_checkpoint_file;
    c.audit_checkpoint_key = file.audit_checkpoint_key;
    c.secure_cookies = args.secure_cookies || file.secure_cookies == Some(true);
    if let Some(f) = args
        .four_eyes_threshold_fen
        .or(file.four_eyes_threshold_fen)
    {
        c.four_eyes_threshold_fen = f;
    }
    if let Some(t) = file.four_eyes_thresholds {
        let unknown: Vec<&String> = t
            .keys()
            .filter(|r| !crate::domain::REGIONS.contains(&r.as_str()))
            .collect();
        anyhow::ensure!(
            unknown.is_empty(),
            "four_eyes_thresholds: {unknown:?} are not ISO 3166-2:CN region codes"
        );
        c.four_eyes_thresholds = t;
    }
    if let Some(s) = args.straight_through.or(file.straight_through) {
        c.straight_through = s;
    }
    if let Some(bp) = args.quality_sample_bp.or(file.quality_sample_bp) {
        anyhow::ensure!(
            bp <= 10_000,
            "quality_sample_bp: {bp} is above 10000 (100 %)"
        );
        c.quality_sample_bp = bp;
    }
    if let Some(n) = file.max_attempts {
        c.max_attempts = n.max(1);
    }
    if let Some(s) = file.retry_backoff_seconds {
        c.retry_backoff_seconds = s.max(1);
    }
    c.tls_cert = args.tls_cert.clone().or(file.tls_cert);
    c.tls_key = args.tls_key.clone().or(file.tls_key);
    c.ca_file = args.ca_file.clone().or(file.ca_file);
    c.dev_http_webhooks = args.dev_http_webhooks || file.dev_http_webhooks == Some(true);
    if let Some(m) = file.console_idle_minutes {
        c.console_idle = std::time::Duration::from_secs(m.max(1) * 60);
    }
    if let Some(h) = file.console_session_hours {
        c.console_session = std::time::Duration::from_secs(h.max(1) * 3600);
    }
    Ok(c)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

/// `oip keys rotate`.
async fn rotate_keys(
    serve: ServeArgs,
    data: bool,
    new_master_key_file: Option<PathBuf>,
) -> anyhow::Result<()> {
    if !data && new_master_key_file.is_none() {
        anyhow::bail!("say what to rotate: --data, --new-master-key-file FILE, or both");
    }
    let c = config(serve)?;
    let db = crate::db::Db::connect(&c.database_url()).await?;
    crate::db::migrations::Migrator::up(&db.conn, None).await?;
    let mut master = match &c.master_key {
        Some(k) => k.clone(),
        None => crate::crypto::MasterKey::load_or_create(&c.master_key_path(), false)
            .with_context(|| c.master_key_path().display().to_string())?,
    };
    if let Some(file) = new_master_key_file {
        let new = crate::crypto::MasterKey::load_or_create(&file, true)?;
        let n = crate::data_keys::rotate_master(&db, &master, &new).await?;
        println!(
            "{n} data key(s) re-wrapped under the master key in {}; start every instance with it",
            file.display()
        );
        master = new;
    }
    if data {
        let g = crate::data_keys::rotate_data(&db, &master).await?;
        println!(
            "data key generation {g} made: running instances seal under it within seconds and \
             re-encrypt what is stored in the background"
        );
    }
    Ok(())
}

/// Runs the command line with the process's arguments.
pub fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run_cli())
}

async fn run_cli() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn,wasmtime=warn,cranelift=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    match cli.log_format {
        // Each line an object with its fields and the spans it is in (the request's id).
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .init(),
        LogFormat::Text => logs.init(),
    }
    match cli.command {
        Command::Keys { command } => keys::keys(command).await?,
        Command::Users { command } => users::users(command).await?,
        Command::Tokens { command } => users::tokens(command).await?,
        Command::Policy { command } => policy::policy(command).await?,
        Command::Backup { serve, out } => {
            let c = config(serve)?;
            let n = crate::backup::backup(&c, &out).await?;
            println!("{}: {n}", out.display());
            eprintln!(
                "keep the master key (master.key or OIP_MASTER_KEY), the audit checkpoint key and \
                 the checkpoint file with it: they are not in the database, by design"
            );
        }
        Command::Restore { serve, from } => {
            let c = config(serve)?;
            let n = crate::backup::restore(&c, &from).await?;
            println!("{}: {n}", c.data_dir.join("oip.db").display());
            eprintln!(
                "start the server with the master key the backup was made under; `oip audit \
                 verify` checks the chain"
            );
        }
        Command::Migrate(args) => {
            let c = config(args)?;
            crate::migrate(&c).await?;
            tracing::info!("migrations applied");
        }
        Command::Audit {
            command: AuditCommand::Verify(args),
        } => {
            let c = config(args.serve)?;
            let db = crate::db::Db::connect(&c.database_url()).await?;
            if let Some(file) = &args.checkpoints {
                let key = crate::audit::checkpoints::load_or_create_key(&c.checkpoint_key())?;
                let list = crate::audit::checkpoints::read(file).map_err(anyhow::Error::msg)?;
                match crate::audit::checkpoints::verify(&db, &list, &key.verifying_key()).await? {
                    crate::audit::Verdict::Intact(n) => println!("checkpoints hold: {n} checked"),
                    crate::audit::Verdict::Broken { seq, problem } => {
                        println!("audit chain broken at entry {seq}: {problem}");
                        std::process::exit(1);
                    }
                }
            }
            match crate::audit::verify(&db).await? {
                crate::audit::Verdict::Intact(n) => println!("audit chain intact: {n} entries"),
                crate::audit::Verdict::Broken { seq, problem } => {
                    println!("audit chain broken at entry {seq}: {problem}");
                    std::process::exit(1);
                }
            }
        }
        Command::Serve(args) => {
            let c = config(args)?;
            let bind = c.bind;
            let state = crate::AppState::start(c).await?;
            let listener = tokio::net::TcpListener::bind(bind).await?;
            tracing::info!(addr = %listener.local_addr()?, "listening");
            println!("oip listening on http://{}", listener.local_addr()?);
            crate::run(listener, state, shutdown_signal()).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn from(args: &[&str]) -> anyhow::Result<Config> {
        config(Serve::try_parse_from(std::iter::once("oip").chain(args.iter().copied()))?.args)
    }

    /// The business settings were not settings: a config file and flags set them now, the
    /// flag winning over the file, and a wrong value stops the start.
    #[test]
    fn business_settings_come_from_the_config_file_and_flags_win() {
        let dir = std::env::temp_dir().join(format!("oip-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("oip.toml");
        std::fs::write(
            &file,
            "four_eyes_threshold_fen = 5000000\nstraight_through = false\nquality_sample_bp = 1000\n\
             max_attempts = 3\n[four_eyes_thresholds]\nCN-BJ = 2000000\n",
        )
        .expect("write");
        let path = file.to_str().expect("utf-8");
        let c = from(&["--config", path]).expect("config");
        assert_eq!(c.four_eyes_threshold_fen, 5_000_000);
        assert!(!c.straight_through);
        assert_eq!(c.quality_sample_bp, 1_000);
        assert_eq!(c.max_attempts, 3);
        assert_eq!(c.four_eyes_thresholds.get("CN-BJ"), Some(&2_000_000));
        let c = from(&[
            "--config",
            path,
            "--four-eyes-threshold-fen",
            "7",
            "--straight-through",
            "true",
        ])
        .expect("config");
        assert_eq!(c.four_eyes_threshold_fen, 7);
        assert!(c.straight_through);
        assert!(from(&["--quality-sample-bp", "10001"]).is_err());
        std::fs::write(&file, "[four_eyes_thresholds]\nCN-XX = 1\n").expect("write");
        assert!(from(&["--config", path]).is_err(), "an unknown region");
        std::fs::write(&file, "four_eyes_treshold_fen = 1\n").expect("write");
        assert!(from(&["--config", path]).is_err(), "a misspelt key");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
