//! What the payments routes read and answer: requests, runs, lines, schedules, outlays, and
//! the views of the ledger's rows.

use crate::db::payments::{EntitlementRow, EntryRow};
use crate::db::runs::{RunLineRow, TotalRow};
use crate::domain::{EntryKind, EntryState, Month, RunStatus};
use oip_engine::types::{BenefitItem, Citation, Payer, Period, Text};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

pub(crate) fn citation(rule: &str) -> Citation {
    serde_json::from_str(rule).unwrap_or_else(|_| Citation {
        id: "unknown".into(),
        title: rule.to_string(),
        source: String::new(),
    })
}

pub(crate) fn entry_view(e: &EntryRow) -> EntryView {
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

pub(crate) fn entitlement_view(e: &EntitlementRow) -> EntitlementView {
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

pub(crate) fn total_view(t: &TotalRow) -> RunTotal {
    RunTotal {
        payer: t.payer,
        item: t.item,
        kind: t.kind,
        lines: t.lines,
        amount_fen: t.amount_fen,
    }
}

pub(crate) fn line_view(l: &RunLineRow) -> RunLine {
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
