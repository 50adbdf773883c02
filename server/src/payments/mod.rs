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

pub mod enrol;
pub mod run;

use crate::auth::{Principal, Role};
use crate::db::payments::{EntitlementRow, EntryRow, PayeeRow, RunLineRow, RunRow, TotalRow};
use crate::db::writer::AuditDraft;
use crate::domain::{EntryKind, EntryState, Month, REGIONS, RunStatus};
use crate::error::{Code, Error, FieldProblem};
use crate::{AppState, new_id, now};
use oip_engine::types::{BenefitItem, Citation, Payer, Period, Text};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// Who an item is paid to: the worker, or (the death items) the dependants.
pub fn payee_of(item: BenefitItem) -> &'static str {
    match item {
        BenefitItem::OneOffDeathSubsidy
        | BenefitItem::FuneralSubsidy
        | BenefitItem::DependantPension => "dependants",
        _ => "worker",
    }
}

/// A run to start (`POST /v1/payments/runs`).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The region (one of the officer's).
    #[schema(value_type = crate::domain::RegionCode)]
    pub region: String,
    /// The month to pay, `YYYY-MM`: the current month (Beijing time) or an earlier one.
    pub month: Month,
}

/// Bank refusals to record (`POST /v1/payments/runs/{id}/returns`).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnsRequest {
    /// The ids of the run's entries the bank returned.
    #[schema(min_items = 1, max_items = 1000)]
    pub entries: Vec<String>,
    /// The bank's reason, as given.
    #[schema(max_length = 500)]
    pub reason: String,
}

/// A total of a run.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RunTotal {
    /// Who pays.
    #[schema(value_type = String)]
    pub payer: Payer,
    /// The item.
    #[schema(value_type = String)]
    pub item: BenefitItem,
    /// The kind of entry.
    pub kind: EntryKind,
    /// Lines.
    pub lines: i64,
    /// Their sum, fen.
    pub amount_fen: i64,
}

/// A monthly payment run.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RunView {
    /// Id (`run_...`).
    pub id: String,
    /// The region.
    pub region: String,
    /// The month it pays.
    pub month: Month,
    /// Where it stands.
    pub status: RunStatus,
    /// The officer who started it.
    pub built_by: String,
    /// When.
    pub started_at: String,
    /// When its build finished.
    pub built_at: Option<String>,
    /// The second officer who released it.
    pub released_by: Option<String>,
    /// When.
    pub released_at: Option<String>,
    /// Its lines so far.
    pub lines: i64,
    /// Their sum, fen.
    pub total_fen: i64,
    /// The totals by payer, item and kind.
    pub totals: Vec<RunTotal>,
}

/// A line of a run, traceable to its decision, its module version and its rule.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RunLine {
    /// The entry's id.
    pub id: String,
    /// The claim.
    pub claim_id: String,
    /// What it is.
    pub kind: EntryKind,
    /// The item.
    #[schema(value_type = String)]
    pub item: BenefitItem,
    /// Who pays.
    #[schema(value_type = String)]
    pub payer: Payer,
    /// To whom (`worker`, `dependants`).
    pub payee: String,
    /// The month it pays for.
    pub month: Month,
    /// The amount, fen (a true-up may be negative).
    pub amount_fen: i64,
    /// Where it stands.
    pub state: EntryState,
    /// The entry it corrects or owes again.
    pub refers_to: Option<String>,
    /// The entitlement it pays out of.
    pub entitlement_id: String,
    /// The decision.
    pub decision_id: Option<String>,
    /// The module's version.
    pub policy_version: Option<String>,
    /// The module's SHA-256.
    pub policy_sha256: Option<String>,
    /// The rule.
    #[schema(value_type = Object)]
    pub rule: Citation,
}

/// A page of a run's lines.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RunLines {
    /// The lines.
    pub items: Vec<RunLine>,
    /// The cursor of the next page (`after`), if there is one.
    pub next: Option<String>,
}

/// What an approved line entitles its payee to.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EntitlementView {
    /// Id.
    pub id: String,
    /// The item.
    #[schema(value_type = String)]
    pub item: BenefitItem,
    /// Who pays.
    #[schema(value_type = String)]
    pub payer: Payer,
    /// Once or monthly.
    #[schema(value_type = String)]
    pub period: Period,
    /// To whom.
    pub payee: String,
    /// The amount (a month's, for a monthly line), fen.
    pub amount_fen: i64,
    /// The first month owed.
    pub first_month: Month,
    /// The last month owed; none while it runs.
    pub last_month: Option<Month>,
    /// The last month a run entered.
    pub entered_through: Option<Month>,
    /// The rule.
    #[schema(value_type = Object)]
    pub rule: Citation,
    /// The formula with its figures.
    #[schema(value_type = Option<Object>)]
    pub formula: Option<Text>,
    /// The decision.
    pub decision_id: Option<String>,
    /// The module's version.
    pub policy_version: Option<String>,
    /// Rests on an unconfirmed figure (to be trued up).
    pub provisional: bool,
    /// When later approved lines replaced it.
    pub superseded_at: Option<String>,
}

/// A payment still to come.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UpcomingPayment {
    /// The month.
    pub month: Month,
    /// The entitlement.
    pub entitlement_id: String,
    /// The item.
    #[schema(value_type = String)]
    pub item: BenefitItem,
    /// To whom.
    pub payee: String,
    /// The amount, fen.
    pub amount_fen: i64,
}

/// A ledger entry of a claim.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EntryView {
    /// Id.
    pub id: String,
    /// The entitlement.
    pub entitlement_id: String,
    /// What it is.
    pub kind: EntryKind,
    /// The item.
    #[schema(value_type = String)]
    pub item: BenefitItem,
    /// Who pays.
    #[schema(value_type = String)]
    pub payer: Payer,
    /// To whom.
    pub payee: String,
    /// The month it pays for.
    pub month: Month,
    /// The amount, fen.
    pub amount_fen: i64,
    /// Where it stands.
    pub state: EntryState,
    /// The run it is in.
    pub run_id: Option<String>,
    /// The entry it corrects or owes again.
    pub refers_to: Option<String>,
}

/// A claim's payments: what it is entitled to, what was entered, what is to come.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Schedule {
    /// The claim.
    pub claim_id: String,
    /// Its entitlements, the current ones first.
    pub entitlements: Vec<EntitlementView>,
    /// The ledger's entries, by month.
    pub entries: Vec<EntryView>,
    /// The next twelve months of each current monthly entitlement not yet entered.
    pub upcoming: Vec<UpcomingPayment>,
}

/// A region's outlay in a month (the sum of its run).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Outlay {
    /// The month.
    pub month: Month,
    /// Lines.
    pub lines: i64,
    /// Their sum, fen.
    pub amount_fen: i64,
}

fn citation(rule: &str) -> Citation {
    serde_json::from_str(rule).unwrap_or_else(|_| Citation {
        id: "unknown".into(),
        title: rule.to_string(),
        source: String::new(),
    })
}

fn entry_view(e: &EntryRow) -> EntryView {
    EntryView {
        id: e.id.clone(),
        entitlement_id: e.entitlement_id.clone(),
        kind: e.kind,
        item: e.item,
        payer: e.payer,
        payee: e.payee.clone(),
        month: e.month,
        amount_fen: e.amount_fen,
        state: e.state,
        run_id: e.run_id.clone(),
        refers_to: e.refers_to.clone(),
    }
}

fn entitlement_view(e: &EntitlementRow) -> EntitlementView {
    EntitlementView {
        id: e.id.clone(),
        item: e.item,
        payer: e.payer,
        period: e.period,
        payee: e.payee.clone(),
        amount_fen: e.amount_fen,
        first_month: e.first_month,
        last_month: e.last_month,
        entered_through: e.entered_through,
        rule: citation(&e.rule),
        formula: e
            .formula
            .as_deref()
            .and_then(|f| serde_json::from_str(f).ok()),
        decision_id: e.decision_id.clone(),
        policy_version: e.policy_version.clone(),
        provisional: e.provisional,
        superseded_at: e.superseded_at.clone(),
    }
}

fn total_view(t: &TotalRow) -> RunTotal {
    RunTotal {
        payer: t.payer,
        item: t.item,
        kind: t.kind,
        lines: t.lines,
        amount_fen: t.amount_fen,
    }
}

fn line_view(l: &RunLineRow) -> RunLine {
    RunLine {
        id: l.entry.id.clone(),
        claim_id: l.entry.claim_id.clone(),
        kind: l.entry.kind,
        item: l.entry.item,
        payer: l.entry.payer,
        payee: l.entry.payee.clone(),
        month: l.entry.month,
        amount_fen: l.entry.amount_fen,
        state: l.entry.state,
        refers_to: l.entry.refers_to.clone(),
        entitlement_id: l.entry.entitlement_id.clone(),
        decision_id: l.decision_id.clone(),
        policy_version: l.policy_version.clone(),
        policy_sha256: l.policy_sha256.clone(),
        rule: citation(&l.rule),
    }
}

/// A run's view with its totals.
async fn run_view(state: &AppState, r: &RunRow) -> Result<RunView, Error> {
    let totals = state.db.run_totals(&r.id).await?;
    Ok(RunView {
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
    })
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
    let this_month = Month::of_date(now().beijing_date());
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
    let mut out = Vec::new();
    for r in state.db.runs(scope).await? {
        out.push(run_view(state, &r).await?);
    }
    Ok(out)
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
    let this_month = Month::of_date(now().beijing_date());
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

/// The bank file of a released run: one line per payee (claim, payee, payer), amounts in
/// yuan with two decimals, and a checksum line (count, total, and the digest of every line
/// before it, SHA-256 or SM3 under `crypto = "gm"`).
pub async fn export_csv(state: &AppState, who: &Principal, id: &str) -> Result<String, Error> {
    let r = released(state, who, id).await?;
    let mut out = String::from("run_id,region,month,claim_id,payee,payer,lines,amount_yuan\n");
    let (mut count, mut total) = (0i64, 0i64);
    for p in payees(state, &r.id).await? {
        count += 1;
        total = total
            .checked_add(p.amount_fen)
            .ok_or_else(|| Error::internal("a run's total overflows"))?;
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            r.id,
            r.region,
            r.month,
            p.claim_id,
            p.payee,
            crate::domain::serde_name(&p.payer),
            p.lines,
            yuan(p.amount_fen)
        ));
    }
    let digest = hex::encode(state.config.crypto.digest(out.as_bytes()));
    let algorithm = match state.config.crypto {
        crate::crypto::Profile::Standard => "sha256",
        crate::crypto::Profile::Gm => "sm3",
    };
    out.push_str(&format!(
        "#checksum,{count},{},{algorithm}:{digest}\n",
        yuan(total)
    ));
    Ok(out)
}

/// The same, as JSON.
pub async fn export_json(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<serde_json::Value, Error> {
    let r = released(state, who, id).await?;
    let payees = payees(state, &r.id).await?;
    let total: i64 = payees.iter().map(|p| p.amount_fen).sum();
    Ok(json!({
        "run_id": r.id, "region": r.region, "month": r.month.to_string(),
        "released_by": r.released_by, "released_at": r.released_at,
        "payees": payees.iter().map(|p| json!({
            "claim_id": p.claim_id, "payee": p.payee,
            "payer": crate::domain::serde_name(&p.payer),
            "lines": p.lines, "amount_fen": p.amount_fen, "amount_yuan": yuan(p.amount_fen),
        })).collect::<Vec<_>>(),
        "count": payees.len(), "total_fen": total, "total_yuan": yuan(total),
    }))
}

async fn released(state: &AppState, who: &Principal, id: &str) -> Result<RunRow, Error> {
    let r = visible_run(state, who, id).await?;
    if r.status != RunStatus::Released {
        return Err(Code::PaymentRunNotReleased.into());
    }
    Ok(r)
}

/// Every payee of a run, read a page at a time.
async fn payees(state: &AppState, run_id: &str) -> Result<Vec<PayeeRow>, Error> {
    let mut out: Vec<PayeeRow> = Vec::new();
    loop {
        let after = out
            .last()
            .map(|p| {
                (
                    p.claim_id.clone(),
                    p.payee.clone(),
                    crate::domain::serde_name(&p.payer),
                )
            })
            .unwrap_or_default();
        let page = state
            .db
            .run_payees(run_id, (&after.0, &after.1, &after.2), 10_000)
            .await?;
        let done = page.len() < 10_000;
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}

/// Fen as yuan with two decimals (`-12.30` for −1,230 fen).
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
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
    let this_month = Month::of_date(now().beijing_date());
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
