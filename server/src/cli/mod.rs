//! The `oip` command line: parses configuration (defaults < file < `OIP_*` variables <
//! flags), sets up tracing, binds, and hands over to [`crate::run`]. Lives in the library so
//! that the integration tests can run the very same entry point as a separate process.

mod calendar;
mod client;
mod eval;
pub mod keys;
pub mod policy;
mod settings;
pub mod template;
pub mod users;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use sea_orm_migration::MigratorTrait;
pub use settings::ServeArgs;
use settings::config;
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
    /// The configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The working-day calendar as signed data: sign, push, approve, list.
    Calendar {
        #[command(subcommand)]
        command: calendar::CalendarCommand,
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
enum ConfigCommand {
    /// Print the effective configuration of `oip serve` given the same flags, variables and
    /// file: as a config file would hold it, each key with where its value came from.
    Show(ServeArgs),
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
    }
    .under(c.crypto);
    if let Some(file) = new_master_key_file {
        let new = crate::crypto::MasterKey::load_or_create(&file, true)?.under(c.crypto);
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
    let (cli, matches) = settings::parse::<Cli>();
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
        Command::Calendar { command } => calendar::calendar(command).await?,
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
        Command::Config {
            command: ConfigCommand::Show(args),
        } => {
            let m = matches
                .subcommand_matches("config")
                .and_then(|m| m.subcommand_matches("show"));
            print!("{}", settings::show(args, m)?);
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
            let db = crate::db::Db::connect(&c.database_url())
                .await?
                .under(c.crypto);
            crate::data_keys::same_profile(&db, c.crypto).await?;
            if let Some(file) = &args.checkpoints {
                let key =
                    crate::audit::checkpoints::load_or_create_key(&c.checkpoint_key(), c.crypto)?;
                let list = crate::audit::checkpoints::read(file).map_err(anyhow::Error::msg)?;
                match crate::audit::checkpoints::verify(&db, &list, &key.public()).await? {
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
