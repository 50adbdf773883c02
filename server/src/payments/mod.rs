//! Benefits as the agency pays them: the payment ledger and the monthly payment runs.
//!
//! An approved claim is *enrolled* ([`enrol`]): each approved line becomes an entitlement,
//! a lump sum one ledger entry. A payments officer of the region starts the run of a month
//! (`POST /v1/payments/runs`); it is built in the background ([`run::build`], resumable) from
//! the ledger: the entries owed and in no run, and every current monthly entitlement for each
//! month owed up to the run's month. Another officer releases it (four eyes), which freezes it
//! and marks its entries paid; the bank file is its export (CSV or JSON). A payment the bank
//! returns is owed again and paid in the next run. Every line names its entitlement, whose
//! decision, module version and rule say where it comes from.

mod bank_file;
pub mod enrol;
pub mod run;
mod views;

pub use bank_file::{export_csv, export_json, yuan};
pub use views::*;

use crate::auth::{Principal, Role};
use crate::db::payments::EntryRow;
use crate::db::runs::{RunRow, TotalRow};
use crate::db::writer::AuditDraft;
use crate::domain::{EntryKind, EntryState, Month, REGIONS, RunStatus};
use crate::error::{Code, Error, FieldProblem};
use crate::{AppState, new_id, now};
use oip_engine::types::{BenefitItem, Period};
use serde_json::json;

/// Who an item is paid to: the worker, or (the death items) the dependants.
pub fn payee_of(item: BenefitItem) -> &'static str {
    match item {
        BenefitItem::OneOffDeathSubsidy
        | BenefitItem::FuneralSubsidy
        | BenefitItem::DependantPension => "dependants",
        _ => "worker",
    }
}

/// A run's view with its totals.
async fn run_view(state: &AppState, r: &RunRow) -> Result<RunView, Error> {
    Ok(view_of(r, &state.db.run_totals(&r.id).await?))
}

/// A run's view from its row and its totals.
fn view_of(r: &RunRow, totals: &[TotalRow]) -> RunView {
    RunView {
        id: r.id.clone(),
        region: r.region.clone(),
        month: r.month,
        status: r.status,
        built_by: r.built_by.clone(),
        started_at: r.started_at.clone(),
        built_at: r.built_at.clone(),
        released_by: r.released_by.clone(),
        released_at: r.released_at.clone(),
        lines: totals.iter().map(|t| t.lines).sum(),
        total_fen: totals.iter().map(|t| t.amount_fen).sum(),
        totals: totals.iter().map(total_view).collect(),
    }
}

/// The regions whose runs the caller sees: an officer its own, an auditor and an admin all.
fn run_scope(who: &Principal) -> Result<Option<&[String]>, Error> {
    who.require(&[Role::PaymentsOfficer, Role::Auditor, Role::Admin])?;
    Ok((who.role == Role::PaymentsOfficer).then_some(who.regions.as_slice()))
}

/// A run the caller may see, or `not_found`.
async fn visible_run(state: &AppState, who: &Principal, id: &str) -> Result<RunRow, Error> {
    let scope = run_scope(who)?;
    let run = state.db.run(id).await?.ok_or(Code::NotFound)?;
    if scope.is_some_and(|regions| !regions.contains(&run.region)) {
        return Err(Code::NotFound.into());
    }
    Ok(run)
}

/// A run of an officer's own region, for the officer to act on.
async fn own_run(state: &AppState, who: &Principal, id: &str) -> Result<RunRow, Error> {
    who.require(&[Role::PaymentsOfficer])?;
    visible_run(state, who, id).await
}

/// Starts the run of a region and month (a payments officer of the region), or answers the
/// one started already: a run for the same region and month is one batch. `Ok((run, true))`
/// when this request started it; it builds in the background.
pub async fn start(
    state: &AppState,
    who: &Principal,
    req: &RunRequest,
) -> Result<(RunView, bool), Error> {
    who.require(&[Role::PaymentsOfficer])?;
    let mut problems = Vec::new();
    if !REGIONS.contains(&req.region.as_str()) {
        problems.push(FieldProblem::new("region", "an ISO 3166-2:CN region code"));
    }
    let this_month = Month::current();
    if req.month > this_month {
        problems.push(FieldProblem::new(
            "month",
            format!(
                "a month not after the current one ({this_month}): a future month is not paid yet"
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(Error::invalid_request(problems));
    }
    if !who.regions.contains(&req.region) {
        return Err(Error::field(
            Code::Forbidden,
            "region",
            "not one of this officer's regions",
        ));
    }
    if let Some(r) = state.db.run_for(&req.region, req.month).await? {
        if r.status == RunStatus::Building {
            spawn_build(state, &r.id);
        }
        return Ok((run_view(state, &r).await?, false));
    }
    let row = RunRow {
        id: new_id("run"),
        region: req.region.clone(),
        month: req.month,
        status: RunStatus::Building,
        cursor: String::new(),
        built_by: who.person().to_string(),
        started_at: now().to_string(),
        built_at: None,
        released_by: None,
        released_at: None,
    };
    let audit = AuditDraft {
        actor: who.person().to_string(),
        action: "payment_run.started".into(),
        claim_id: None,
        before: None,
        after: Some(
            json!({ "run_id": row.id, "region": row.region, "month": row.month.to_string() })
                .to_string(),
        ),
    };
    let inserted = state
        .writer
        .submit_logged(
            Some(state.db.insert_run_stmt(&row)),
            vec![],
            vec![audit],
            vec![],
        )
        .await?;
    // Another officer's request started it meanwhile: that one is the run.
    let r = if inserted {
        row
    } else {
        state
            .db
            .run_for(&req.region, req.month)
            .await?
            .ok_or_else(|| Error::internal("a run neither inserted nor found"))?
    };
    spawn_build(state, &r.id);
    Ok((run_view(state, &r).await?, inserted))
}

fn spawn_build(state: &AppState, id: &str) {
    let state = state.clone();
    let id = id.to_string();
    tokio::spawn(async move {
        if let Err(e) = run::build(&state, &id).await {
            tracing::error!(run_id = %id, error = %e, "payment run failed");
        }
    });
}

/// One run with its totals.
pub async fn get(state: &AppState, who: &Principal, id: &str) -> Result<RunView, Error> {
    let r = visible_run(state, who, id).await?;
    run_view(state, &r).await
}

/// The runs the caller sees, newest month first.
pub async fn list(state: &AppState, who: &Principal) -> Result<Vec<RunView>, Error> {
    let scope = run_scope(who)?;
    let runs = state.db.runs(scope).await?;
    let ids: Vec<String> = runs.iter().map(|r| r.id.clone()).collect();
    let mut totals: std::collections::HashMap<String, Vec<TotalRow>> = Default::default();
    for (run, t) in state.db.runs_totals(&ids).await? {
        totals.entry(run).or_default().push(t);
    }
    Ok(runs
        .iter()
        .map(|r| view_of(r, totals.get(&r.id).map_or(&[][..], Vec::as_slice)))
        .collect())
}

/// A page of a run's lines.
pub async fn lines(
    state: &AppState,
    who: &Principal,
    id: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<RunLines, Error> {
    let r = visible_run(state, who, id).await?;
    let rows = state
        .db
        .run_lines(&r.id, after.unwrap_or(""), limit)
        .await?;
    let next = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|l| l.entry.id.clone()))
        .flatten();
    Ok(RunLines {
        items: rows.iter().map(line_view).collect(),
        next,
    })
}

/// Releases a built run (a payments officer of the region other than the one who started
/// it): the run is frozen and its entries are paid.
pub async fn release(state: &AppState, who: &Principal, id: &str) -> Result<RunView, Error> {
    let r = own_run(state, who, id).await?;
    match r.status {
        RunStatus::Building => return Err(Code::PaymentRunNotBuilt.into()),
        RunStatus::Released => return Err(Code::PaymentRunReleased.into()),
        RunStatus::Built => {}
    }
    if r.built_by == who.person() {
        return Err(Error::field(
            Code::PaymentRunSecondOfficerRequired,
            "released_by",
            "the officer who started the run does not release it",
        ));
    }
    let totals = state.db.run_totals(&r.id).await?;
    let audit = AuditDraft {
        actor: who.person().to_string(),
        action: "payment_run.released".into(),
        claim_id: None,
        before: None,
        after: Some(
            json!({ "run_id": r.id, "region": r.region, "month": r.month.to_string(),
                    "lines": totals.iter().map(|t| t.lines).sum::<i64>(),
                    "total_fen": totals.iter().map(|t| t.amount_fen).sum::<i64>() })
            .to_string(),
        ),
    };
    let at = now().to_string();
    let release = state.db.release_run_stmt(&r.id, who.person(), &at);
    let pay = state.db.pay_run_stmt(&r.id);
    if !state
        .writer
        .submit_logged(Some(release), vec![pay], vec![audit], vec![])
        .await?
    {
        return Err(Code::PaymentRunReleased.into());
    }
    let r = state.db.run(&r.id).await?.ok_or(Code::NotFound)?;
    run_view(state, &r).await
}

/// Records payments the bank returned: each entry becomes `returned` and is owed again (a
/// `requeue` entry, paid in the next run of the region).
pub async fn returns(
    state: &AppState,
    who: &Principal,
    id: &str,
    req: &ReturnsRequest,
) -> Result<Vec<EntryView>, Error> {
    let r = own_run(state, who, id).await?;
    let mut problems = Vec::new();
    if req.entries.is_empty() || req.entries.len() > 1000 {
        problems.push(FieldProblem::new("entries", "1 to 1000 entry ids"));
    }
    if req.reason.trim().is_empty() || req.reason.len() > 500 {
        problems.push(FieldProblem::new(
            "reason",
            "the bank's reason, 1 to 500 characters",
        ));
    }
    if !problems.is_empty() {
        return Err(Error::invalid_request(problems));
    }
    if r.status != RunStatus::Released {
        return Err(Code::PaymentRunNotReleased.into());
    }
    let found = state.db.run_entries(&r.id, &req.entries).await?;
    for (n, e) in req.entries.iter().enumerate() {
        match found.iter().find(|f| &f.id == e) {
            None => problems.push(FieldProblem::new(
                format!("entries[{n}]"),
                "not a line of this run",
            )),
            Some(f) if f.state != EntryState::Paid => problems.push(FieldProblem::new(
                format!("entries[{n}]"),
                format!("{}: only a paid line is returned", f.state),
            )),
            Some(_) => {}
        }
    }
    if !problems.is_empty() {
        return Err(Error::invalid_request(problems));
    }
    let at = now().to_string();
    let this_month = Month::current();
    let mut out = Vec::new();
    for f in found {
        let requeue = EntryRow {
            id: format!("{}:r", f.id),
            kind: EntryKind::Requeue,
            month: this_month,
            state: EntryState::Scheduled,
            run_id: None,
            refers_to: Some(f.id.clone()),
            created_at: at.clone(),
            ..f.clone()
        };
        let audit = AuditDraft {
            actor: who.person().to_string(),
            action: "payment.returned".into(),
            claim_id: Some(f.claim_id.clone()),
            before: None,
            after: Some(
                json!({ "run_id": r.id, "entry_id": f.id, "requeued_as": requeue.id,
                        "amount_fen": f.amount_fen, "reason": req.reason.trim() })
                .to_string(),
            ),
        };
        let guard = crate::db::writer::Guard::Stmt(state.db.return_entry_stmt(&r.id, &f.id));
        let applied = state
            .writer
            .submit_rows_then(Some(guard), vec![requeue.row()], vec![], vec![audit])
            .await?;
        if matches!(applied, crate::db::writer::Applied::Done(_)) {
            out.push(entry_view(&requeue));
        }
    }
    Ok(out)
}

/// A claim's schedule (enrolling it first when its approval is not enrolled yet): the
/// adjusters of its region, the payments officers of its region, auditors and admins.
pub async fn schedule(
    state: &AppState,
    who: &Principal,
    claim_id: &str,
) -> Result<Schedule, Error> {
    who.require(&[
        Role::Adjuster,
        Role::PaymentsOfficer,
        Role::Auditor,
        Role::Admin,
    ])?;
    let claim = state.db.claim(claim_id).await?.ok_or(Code::NotFound)?;
    let sees = match who.role {
        Role::Adjuster | Role::PaymentsOfficer => who.regions.contains(&claim.region),
        _ => true,
    };
    if !sees {
        return Err(Code::NotFound.into());
    }
    enrol::enrol(state, &claim).await?;
    let entitlements = state.db.entitlements_of(claim_id).await?;
    let entries = state.db.entries_of(claim_id).await?;
    let this_month = Month::current();
    let mut upcoming = Vec::new();
    for e in entitlements
        .iter()
        .filter(|e| e.superseded_at.is_none() && e.period == Period::Monthly)
    {
        let from = e
            .entered_through
            .map(|m| m.next())
            .unwrap_or(e.first_month)
            .max(e.first_month)
            .max(this_month.min(e.first_month));
        for m in (from.0..from.0 + 12).map(Month) {
            if e.last_month.is_some_and(|l| m > l) {
                break;
            }
            upcoming.push(UpcomingPayment {
                month: m,
                entitlement_id: e.id.clone(),
                item: e.item,
                payee: e.payee.clone(),
                amount_fen: e.amount_fen,
            });
        }
    }
    upcoming.sort_by(|a, b| {
        a.month
            .cmp(&b.month)
            .then(a.entitlement_id.cmp(&b.entitlement_id))
    });
    Ok(Schedule {
        claim_id: claim_id.to_string(),
        entitlements: entitlements.iter().map(entitlement_view).collect(),
        entries: entries.iter().map(entry_view).collect(),
        upcoming,
    })
}

/// A region's monthly outlay, from its runs (officers of the region, auditors, admins).
pub async fn outlay(state: &AppState, who: &Principal, region: &str) -> Result<Vec<Outlay>, Error> {
    if run_scope(who)?.is_some_and(|regions| !regions.iter().any(|r| r == region)) {
        return Err(Code::Forbidden.into());
    }
    Ok(state
        .db
        .outlay(region)
        .await?
        .into_iter()
        .map(|(month, lines, amount_fen)| Outlay {
            month,
            lines,
            amount_fen,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_has_two_decimals_and_a_sign() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(123_456), "1234.56");
        assert_eq!(yuan(-1_230), "-12.30");
    }
}
