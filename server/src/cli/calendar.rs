//! `oip calendar ...`: the working-day calendar as signed data (see [`crate::calendars`]).

use super::client::{Client, Remote};
use super::keys::read_secret;
use crate::api::views::List;
use crate::calendars::{CalendarUpload, CalendarView};
use anyhow::Context;
use base64::Engine as _;
use clap::Subcommand;
use oip_engine::types::Calendar;
use std::path::PathBuf;

/// `oip calendar ...`
#[derive(Subcommand, Debug)]
pub(super) enum CalendarCommand {
    /// Sign a calendar dataset (a JSON file: `{"version", "years": [{"year", "days_off",
    /// "makeup_workdays", "source"}]}`) with a key of CN: writes `<file>.signed.json`, the body
    /// `calendar push` sends.
    Sign {
        /// The dataset.
        file: PathBuf,
        /// The secret key file of a key registered for CN (from `oip keys generate`).
        #[arg(long)]
        key: PathBuf,
    },
    /// Upload a signed dataset (admin token); another admin puts it in force (`calendar
    /// approve`). Prints its id.
    Push {
        /// The signed dataset (`calendar sign` wrote it).
        file: PathBuf,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// Put an uploaded dataset in force (an admin other than the uploader).
    Approve {
        /// The dataset's id (`cal_...`).
        id: String,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// List the stored datasets, the one in force marked.
    List {
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
}

/// Runs `oip calendar ...`.
pub(super) async fn calendar(cmd: CalendarCommand) -> anyhow::Result<()> {
    match cmd {
        CalendarCommand::Sign { file, key } => {
            let key = read_secret(&key)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let calendar: Calendar = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a calendar dataset", file.display()))?;
            let signature = base64::engine::general_purpose::STANDARD
                .encode(key.sign(&crate::calendars::signed_bytes(&calendar)));
            let out = PathBuf::from(format!("{}.signed.json", file.display()));
            let body = CalendarUpload {
                calendar,
                signature,
            };
            std::fs::write(&out, serde_json::to_string_pretty(&body)? + "\n")?;
            println!("{}", out.display());
        }
        CalendarCommand::Push { file, remote } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let body: CalendarUpload = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{}: not a signed dataset (run oip calendar sign)",
                    file.display()
                )
            })?;
            let c: CalendarView = Client::new(&remote)?.post("/v1/calendars", &body).await?;
            println!("{}", c.id);
            eprintln!(
                "stored, not in force: another admin runs `oip calendar approve {}`",
                c.id
            );
        }
        CalendarCommand::Approve { id, remote } => {
            let c: CalendarView = Client::new(&remote)?
                .post(
                    &format!("/v1/calendars/{id}/approve"),
                    &serde_json::json!({}),
                )
                .await?;
            println!("{} {} in force", c.id, c.version);
        }
        CalendarCommand::List { remote } => {
            let list: List<CalendarView> = Client::new(&remote)?.get("/v1/calendars").await?;
            for c in list.items {
                let years: Vec<String> = c.years.iter().map(i32::to_string).collect();
                println!(
                    "{} {} [{}]{} uploaded by {} {}",
                    c.id,
                    c.version,
                    years.join(","),
                    if c.in_force { " in force" } else { "" },
                    c.uploaded_by,
                    c.uploaded_at
                );
            }
        }
    }
    Ok(())
}
