//! `oip users ...` and `oip tokens ...`: the people who act in oip and the tokens they hold,
//! through a running server (admin token).

use super::client::{Client, Remote};
use crate::api::views::{IssuedTokenView, List, TokenView, UserView};
use crate::auth::Role;
use crate::tokens::NewToken;
use crate::users::NewUser;
use clap::Subcommand;

/// `oip users ...`
#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Add a person; prints the user's id (then `oip tokens issue --user ID`).
    Add {
        /// Full name.
        #[arg(long)]
        name: String,
        /// The employer's staff number (one user per number).
        #[arg(long)]
        employee_id: String,
        /// adjuster, policy_admin, auditor or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// A region (ISO 3166-2:CN), repeated for an adjuster's several.
        #[arg(long = "region")]
        regions: Vec<String>,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// List the users.
    List {
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// Set a user's console password, read from FILE (its first line; at least 12 characters).
    Password {
        /// The user's id (`usr_...`).
        id: String,
        /// The file holding the password (not a flag: flags are seen by everyone on the host).
        #[arg(long)]
        password_file: std::path::PathBuf,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// Enrol a user in TOTP: prints the otpauth URI for the authenticator app (shown once).
    Totp {
        /// The user's id.
        id: String,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// Disable a user: every token the user holds is refused from now on.
    Disable {
        /// The user's id (`usr_...`).
        id: String,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
}

/// `oip tokens ...`
#[derive(Subcommand, Debug)]
pub enum TokensCommand {
    /// Issue a token to a user, or to a platform; prints the token (shown once).
    Issue {
        /// The user who will hold it.
        #[arg(
            long,
            conflicts_with = "platform",
            required_unless_present = "platform"
        )]
        user: Option<String>,
        /// The platform, for a platform's token.
        #[arg(long)]
        platform: Option<String>,
        /// What it is for ("laptop", "nightly import").
        #[arg(long)]
        label: Option<String>,
        /// When it stops working (RFC 3339); default 90 days (a person's), 365 (a platform's).
        #[arg(long)]
        expires_at: Option<String>,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// List a user's tokens (never the tokens themselves).
    List {
        /// The user.
        #[arg(long)]
        user: String,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// Revoke a token.
    Revoke {
        /// The token's id (`tok_...`).
        id: String,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    <Role as crate::domain::Named>::parse(s)
        .ok_or_else(|| "one of adjuster, policy_admin, auditor, admin".to_string())
}

fn user_line(u: &UserView) -> String {
    let state = if u.active { "active" } else { "disabled" };
    format!(
        "{} {} [{}] {} {} {state}",
        u.id,
        u.employee_id,
        u.role,
        u.regions.join(","),
        u.name
    )
}

/// Runs `oip users ...`.
pub async fn users(cmd: UsersCommand) -> anyhow::Result<()> {
    match cmd {
        UsersCommand::Add {
            name,
            employee_id,
            role,
            regions,
            remote,
        } => {
            let u: UserView = Client::new(&remote)?
                .post(
                    "/v1/users",
                    &NewUser {
                        name,
                        employee_id,
                        role,
                        regions,
                    },
                )
                .await?;
            println!("{}", u.id);
        }
        UsersCommand::List { remote } => {
            let list: List<UserView> = Client::new(&remote)?.get("/v1/users").await?;
            for u in &list.items {
                println!("{}", user_line(u));
            }
        }
        UsersCommand::Password {
            id,
            password_file,
            remote,
        } => {
            let text = std::fs::read_to_string(&password_file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", password_file.display()))?;
            let password = text.lines().next().unwrap_or_default().to_string();
            Client::new(&remote)?
                .put_empty(
                    &format!("/v1/users/{id}/password"),
                    &serde_json::json!({ "password": password }),
                )
                .await?;
            println!("{id} password set");
        }
        UsersCommand::Totp { id, remote } => {
            let e: crate::users::TotpEnrolment = Client::new(&remote)?
                .post(&format!("/v1/users/{id}/totp"), &serde_json::json!({}))
                .await?;
            println!("{}", e.otpauth_uri);
        }
        UsersCommand::Disable { id, remote } => {
            let u: UserView = Client::new(&remote)?
                .post(&format!("/v1/users/{id}/disable"), &serde_json::json!({}))
                .await?;
            println!("{}", user_line(&u));
        }
    }
    Ok(())
}

/// Runs `oip tokens ...`.
pub async fn tokens(cmd: TokensCommand) -> anyhow::Result<()> {
    match cmd {
        TokensCommand::Issue {
            user,
            platform,
            label,
            expires_at,
            remote,
        } => {
            let expires_at = expires_at
                .map(|t| oip_engine::types::Timestamp::parse_rfc3339(&t))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--expires-at: {e}"))?;
            let req = NewToken {
                role: platform.is_some().then_some(Role::Platform),
                platform,
                regions: Vec::new(),
                user_id: user,
                label,
                expires_at,
            };
            let t: IssuedTokenView = Client::new(&remote)?.post("/v1/tokens", &req).await?;
            println!("{}", t.token);
            eprintln!(
                "token {} ({}), expires {}: shown once, keep it",
                t.id, t.role, t.expires_at
            );
        }
        TokensCommand::List { user, remote } => {
            let list: List<TokenView> = Client::new(&remote)?
                .get(&format!("/v1/users/{user}/tokens"))
                .await?;
            for t in &list.items {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "issued"
                };
                println!(
                    "{} {} {} expires {} {state}",
                    t.id,
                    t.label.as_deref().unwrap_or("-"),
                    t.created_at,
                    t.expires_at
                        .map(|e| e.to_string())
                        .unwrap_or("never".into()),
                );
            }
        }
        TokensCommand::Revoke { id, remote } => {
            let _: Option<serde_json::Value> = Client::new(&remote)?
                .delete(&format!("/v1/tokens/{id}"))
                .await?;
            println!("{id} revoked");
        }
    }
    Ok(())
}
