//! `oip keys ...`: signing keys of the regions' policy modules.

use super::client::{Client, Remote};
use crate::api::views::{KeyStatus, KeyView, List};
use crate::crypto::Profile;
use crate::policies::keys::NewKey;
use crate::signing::SigningKey;
use anyhow::{Context, anyhow};
use base64::Engine as _;
use clap::Subcommand;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `oip keys ...`
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Make a key pair: the secret key goes to FILE (hex), the public key is printed. ed25519,
    /// or SM2 with --crypto gm (for a server run with crypto = "gm").
    Generate {
        /// Where to write the secret key.
        #[arg(long)]
        out: PathBuf,
        /// The profile of the server the key will be registered on.
        #[arg(long, value_enum, default_value = "standard")]
        crypto: Profile,
    },
    /// Propose a region's public key (admin token); another admin approves it (`keys approve`).
    Add {
        /// The region whose modules the key may sign, e.g. CN-SC, or CN for a key that signs the
        /// national datasets (the working-day calendar).
        #[arg(long)]
        region: String,
        /// The public key, hex (as `keys generate` prints it).
        #[arg(long)]
        public_key: String,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// Approve a key another admin proposed (admin token): from then on it signs.
    Approve {
        /// The key's id (`key_...`, as `keys add` or `keys list` prints it).
        id: String,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// Revoke a key (admin token): a proposed key at once; a live key needs a second admin to
    /// run the same command after the first.
    Revoke {
        /// The key's id.
        id: String,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// List the registered keys.
    List {
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// Rotate the keys of personal data, on the database directly: `--new-master-key-file`
    /// re-wraps the data keys under a new master key (made in FILE when absent); `--data` makes
    /// a new data key, which running instances pick up and re-encrypt everything stored under,
    /// in the background, resumably.
    Rotate {
        /// Where the data and the current master key are.
        #[command(flatten)]
        serve: super::ServeArgs,
        /// Make a new data-key generation.
        #[arg(long)]
        data: bool,
        /// Re-wrap the data keys under the master key in this file.
        #[arg(long)]
        new_master_key_file: Option<std::path::PathBuf>,
    },
}

pub(crate) fn read_secret(path: &Path) -> anyhow::Result<SigningKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    SigningKey::from_text(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Signs a module's release: reads its manifest through `host` and signs the release
/// statement; the signature file's contents.
pub fn sign_release(
    host: &oip_engine::PolicyHost,
    key: &SigningKey,
    module: &[u8],
    release: u64,
) -> anyhow::Result<crate::policies::release::SignatureFile> {
    let policy = host.load(module)?;
    let statement = crate::policies::release::ReleaseStatement::of(
        key.profile(),
        policy.manifest(),
        module,
        release,
    );
    Ok(sign_statement(key, statement))
}

/// Signs a release statement; the signature file's contents.
pub fn sign_statement(
    key: &SigningKey,
    statement: crate::policies::release::ReleaseStatement,
) -> crate::policies::release::SignatureFile {
    let sig = statement.sign(key);
    crate::policies::release::SignatureFile {
        release: statement,
        signature: base64::engine::general_purpose::STANDARD.encode(sig),
    }
}

/// Runs `oip keys ...`.
pub async fn keys(cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Rotate {
            serve,
            data,
            new_master_key_file,
        } => super::rotate_keys(serve, data, new_master_key_file).await?,
        KeysCommand::Generate { out, crypto } => {
            let key = SigningKey::generate(crypto);
            write_secret(&out, &key.to_text())?;
            println!("{}", key.public().to_hex());
            eprintln!(
                "secret key written to {} (keep it private); the line above is the public key",
                out.display()
            );
        }
        KeysCommand::Add {
            region,
            public_key,
            remote,
        } => {
            let k: KeyView = Client::new(&remote)?
                .post("/v1/keys", &NewKey { region, public_key })
                .await?;
            println!("{}", k.id);
            eprintln!(
                "proposed: another admin approves it with `oip keys approve {}`",
                k.id
            );
        }
        KeysCommand::Approve { id, remote } => {
            let k: KeyView = Client::new(&remote)?
                .post(&format!("/v1/keys/{id}/approve"), &serde_json::json!({}))
                .await?;
            println!("{} {}", k.id, status_name(k.status));
        }
        KeysCommand::Revoke { id, remote } => {
            let k: Option<KeyView> = Client::new(&remote)?
                .delete(&format!("/v1/keys/{id}"))
                .await?;
            match k {
                None => println!("{id} revoked"),
                Some(k) => {
                    println!("{} {}", k.id, status_name(k.status));
                    eprintln!("another admin carries the revocation out with the same command");
                }
            }
        }
        KeysCommand::List { remote } => {
            let keys: List<KeyView> = Client::new(&remote)?.get("/v1/keys").await?;
            for k in keys.items {
                let state = status_name(k.status);
                println!(
                    "{} {} {} [{state}] added by {} {}",
                    k.id, k.region, k.public_key, k.added_by, k.created_at
                );
            }
        }
    }
    Ok(())
}

fn status_name(s: KeyStatus) -> &'static str {
    match s {
        KeyStatus::Proposed => "proposed",
        KeyStatus::Live => "live",
        KeyStatus::RevocationRequested => "revocation requested",
        KeyStatus::Revoked => "revoked",
    }
}

fn write_secret(path: &Path, hex_key: &str) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist)", path.display()))?;
    writeln!(f, "{hex_key}")?;
    Ok(())
}
