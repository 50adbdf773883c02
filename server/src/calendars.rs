//! The working-day calendar as data: the State Council's holiday arrangement of a year, loaded
//! into the running servers without rebuilding or re-signing any region's module.
//!
//! A calendar dataset is signed, like a policy release, by a key registered (by two admins)
//! for `CN`, the national datasets' "region" (such a key signs no region's module); an admin
//! uploads it and another admin approves it, which puts it in force on every instance within a
//! poll interval. The dataset in force is attached to the facts of every decision
//! ([`with_calendar`]) and stored with them, so a decision replays byte for byte; a module of
//! contract 1.0 ignores it and counts on its compiled-in table. A year that neither the dataset
//! nor a module's table arranges is counted with weekends alone and the decision says so
//! (`calendar_beyond_known`).

use crate::auth::{Principal, Role};
use crate::db::calendars::CalendarRow;
use crate::db::writer::AuditDraft;
use crate::error::{Code, Error, FieldProblem};
use crate::{AppState, new_id, now};
use base64::Engine as _;
use oip_engine::types::{Calendar, Date, Facts};
use sea_orm::DbErr;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use utoipa::ToSchema;

/// The "region" of the keys that sign national datasets.
pub const NATIONAL: &str = "CN";

/// A calendar dataset to upload (`POST /v1/calendars`).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarUpload {
    /// The dataset: its version and the years it arranges.
    #[schema(value_type = Object)]
    pub calendar: Calendar,
    /// The signature (base64) over `oip:calendar:v1\n` and the dataset as JSON, by a live key
    /// registered for `CN` (ed25519; SM2 under `crypto = "gm"`).
    #[schema(max_length = 200)]
    pub signature: String,
}

/// A stored calendar dataset.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarView {
    /// Id (`cal_...`).
    pub id: String,
    /// The dataset's version.
    pub version: String,
    /// The years it arranges.
    pub years: Vec<i32>,
    /// The key that signed it.
    pub key_id: String,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: String,
    /// The second admin who approved it (it is in force from then).
    pub approved_by: Option<String>,
    /// When.
    pub approved_at: Option<String>,
    /// Whether it is the dataset in force (the last approved).
    pub in_force: bool,
}

/// What a calendar's signature covers names it so.
const LABEL: &str = "oip:calendar:v1";

/// The dataset as JSON: what is signed (after [`LABEL`]) and stored.
fn json_of(calendar: &Calendar) -> String {
    // Plain strings, numbers and dates: serializing cannot fail.
    serde_json::to_string(calendar).unwrap_or_default()
}

/// The bytes a calendar's signature covers.
pub fn signed_bytes(calendar: &Calendar) -> Vec<u8> {
    crate::signing::statement_bytes(LABEL, json_of(calendar).as_bytes())
}

/// The facts as they are decided: with the calendar in force, when one is.
pub fn with_calendar(state: &AppState, mut facts: Facts) -> Facts {
    facts.calendar = state.calendar.load_full().map(|c| (*c).clone());
    facts
}

/// The date `n` working days after `start` on the calendar in force (the server's own
/// deadlines: an appeal's, a claim's determination when no policy names one).
pub fn add_working_days(state: &AppState, start: Date, n: u32) -> Date {
    let calendar = state.calendar.load_full();
    oip_engine::types::calendar::add_working_days_on(calendar.as_deref(), start, n).date
}

fn check(c: &Calendar) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    if c.version.trim().is_empty() || c.version.len() > 64 {
        problems.push(FieldProblem::new("calendar.version", "1 to 64 characters"));
    }
    if c.years.is_empty() || c.years.len() > 50 {
        problems.push(FieldProblem::new("calendar.years", "1 to 50 years"));
    }
    let mut seen = Vec::new();
    for (i, y) in c.years.iter().enumerate() {
        if !(2000..=2100).contains(&y.year) {
            problems.push(FieldProblem::new(
                format!("calendar.years[{i}].year"),
                "a year from 2000 to 2100",
            ));
        }
        if seen.contains(&y.year) {
            problems.push(FieldProblem::new(
                format!("calendar.years[{i}].year"),
                "given twice",
            ));
        }
        seen.push(y.year);
        if y.source.trim().is_empty() || y.source.len() > 500 {
            problems.push(FieldProblem::new(
                format!("calendar.years[{i}].source"),
                "the notice, 1 to 500 characters",
            ));
        }
        for (list, dates) in [
            ("days_off", &y.days_off),
            ("makeup_workdays", &y.makeup_workdays),
        ] {
            if dates.len() > 60 {
                problems.push(FieldProblem::new(
                    format!("calendar.years[{i}].{list}"),
                    "at most 60 dates",
                ));
            }
            // A notice may move a day of the year before or after, no further.
            for (j, d) in dates.iter().enumerate() {
                if Date::new(d.year, d.month, d.day).is_none() || (d.year - y.year).abs() > 1 {
                    problems.push(FieldProblem::new(
                        format!("calendar.years[{i}].{list}[{j}]"),
                        "a date of the year (or of the next or previous year)",
                    ));
                }
            }
        }
        if let Some(j) = y.makeup_workdays.iter().position(|d| !d.is_weekend()) {
            problems.push(FieldProblem::new(
                format!("calendar.years[{i}].makeup_workdays[{j}]"),
                "a make-up working day is a Saturday or a Sunday",
            ));
        }
    }
    problems
}

/// Stores a signed calendar dataset (admin); another admin puts it in force ([`approve`]).
pub async fn upload(
    state: &AppState,
    who: &Principal,
    req: &CalendarUpload,
) -> Result<CalendarView, Error> {
    who.require(&[Role::Admin])?;
    let problems = check(&req.calendar);
    if !problems.is_empty() {
        return Err(Error::invalid_request(problems));
    }
    let bad = || Error::field(Code::SignatureInvalid, "signature", "does not verify");
    let sig = base64::engine::general_purpose::STANDARD
        .decode(req.signature.trim())
        .map_err(|_| bad())?;
    let body = json_of(&req.calendar);
    let bytes = crate::signing::statement_bytes(LABEL, body.as_bytes());
    let key = state
        .db
        .keys(Some(NATIONAL))
        .await?
        .into_iter()
        .filter(|k| k.live() && k.region == NATIONAL)
        .find(|k| {
            crate::signing::PublicKey::parse(state.config.crypto, &k.public_key)
                .is_some_and(|pk| pk.verifies(&bytes, &sig))
        })
        .ok_or_else(bad)?;
    let row = CalendarRow {
        id: new_id("cal"),
        version: req.calendar.version.clone(),
        body,
        key_id: key.id.clone(),
        signature: req.signature.trim().to_string(),
        uploaded_by: who.person().to_string(),
        uploaded_at: now().to_string(),
        approved_by: None,
        approved_at: None,
    };
    let audit = AuditDraft {
        actor: who.person().to_string(),
        action: "calendar.uploaded".into(),
        claim_id: None,
        before: None,
        after: Some(
            json!({ "calendar_id": row.id, "version": row.version, "key_id": key.id,
                    "years": req.calendar.years.iter().map(|y| y.year).collect::<Vec<_>>() })
            .to_string(),
        ),
    };
    let insert = state.db.insert_calendar_stmt(&row);
    if !state
        .writer
        .submit_logged(Some(insert), vec![], vec![audit], vec![])
        .await?
    {
        return Err(Error::field(
            Code::CalendarVersionExists,
            "calendar.version",
            "already stored",
        ));
    }
    let in_force = state.db.calendar_in_force().await?;
    Ok(view(&row, in_force.as_ref()))
}

/// Puts an uploaded dataset in force (an admin other than the uploader), while its signing key
/// is live.
pub async fn approve(state: &AppState, who: &Principal, id: &str) -> Result<CalendarView, Error> {
    who.require(&[Role::Admin])?;
    let mut row = state.db.calendar(id).await?.ok_or(Code::NotFound)?;
    if row.approved_by.is_some() {
        return Err(Code::CalendarNotPending.into());
    }
    if row.uploaded_by == who.person() {
        return Err(Code::CalendarSecondAdminRequired.into());
    }
    let live = state.db.key(&row.key_id).await?.is_some_and(|k| k.live());
    if !live {
        return Err(Error::field(
            Code::SignatureInvalid,
            "signature",
            "its signing key is revoked",
        ));
    }
    let at = now().to_string();
    let audit = AuditDraft {
        actor: who.person().to_string(),
        action: "calendar.approved".into(),
        claim_id: None,
        before: None,
        after: Some(json!({ "calendar_id": id, "version": row.version }).to_string()),
    };
    let update = state.db.approve_calendar_stmt(id, who.person(), &at);
    if !state
        .writer
        .submit_logged(Some(update), vec![], vec![audit], vec![])
        .await?
    {
        return Err(Code::CalendarNotPending.into());
    }
    reload(state).await?;
    tracing::info!(calendar = %row.version, "working-day calendar in force");
    row.approved_by = Some(who.person().to_string());
    row.approved_at = Some(at);
    let in_force = state.db.calendar_in_force().await?;
    Ok(view(&row, in_force.as_ref()))
}

/// Every stored dataset, newest first (admin, auditor, policy_admin).
pub async fn list(state: &AppState, who: &Principal) -> Result<Vec<CalendarView>, Error> {
    who.require(&[Role::Admin, Role::Auditor, Role::PolicyAdmin])?;
    let in_force = state.db.calendar_in_force().await?;
    Ok(state
        .db
        .calendars()
        .await?
        .iter()
        .map(|r| view(r, in_force.as_ref()))
        .collect())
}

/// Loads the dataset in force into the instance (at start, on every poll, after an approval):
/// a poll reads its id and version only, the dataset itself when it changed.
pub async fn reload(state: &AppState) -> Result<(), DbErr> {
    let Some((id, version)) = state.db.calendar_in_force().await? else {
        return Ok(());
    };
    if state.calendar.load().as_ref().map(|c| &c.version) == Some(&version) {
        return Ok(());
    }
    let Some(row) = state.db.calendar(&id).await? else {
        return Ok(());
    };
    match serde_json::from_str::<Calendar>(&row.body) {
        Ok(c) => state.calendar.store(Some(Arc::new(c))),
        Err(e) => {
            tracing::error!(calendar = %version, error = %e, "a stored calendar does not read")
        }
    }
    Ok(())
}

/// The view of a stored dataset, `in_force` being the id and version of the one in force.
fn view(r: &CalendarRow, in_force: Option<&(String, String)>) -> CalendarView {
    let years = serde_json::from_str::<Calendar>(&r.body)
        .map(|c| c.years.iter().map(|y| y.year).collect())
        .unwrap_or_default();
    CalendarView {
        id: r.id.clone(),
        version: r.version.clone(),
        years,
        key_id: r.key_id.clone(),
        uploaded_by: r.uploaded_by.clone(),
        uploaded_at: r.uploaded_at.clone(),
        approved_by: r.approved_by.clone(),
        approved_at: r.approved_at.clone(),
        in_force: in_force.is_some_and(|(id, _)| *id == r.id),
    }
}
