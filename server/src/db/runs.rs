//! The `payment_runs` table and what a run reads of the ledger: its totals, its lines with
//! their origin, its payees (the bank file), a region's outlay. See [`crate::payments`].

use super::payments::{ENTRY_COLS, EntryRow, contract_enum, entry_row, month};
use super::{Db, i, named, os, s};
use crate::domain::{EntryKind, Month, RunStatus};
use oip_engine::types::{BenefitItem, Payer};
use sea_orm::{DbErr, QueryResult, Statement, Value};

/// A run's line: its entry and where it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct RunLineRow {
    /// The entry.
    pub entry: EntryRow,
    /// The decision.
    pub decision_id: Option<String>,
    /// The module's version.
    pub policy_version: Option<String>,
    /// The module's SHA-256.
    pub policy_sha256: Option<String>,
    /// The rule (citation JSON).
    pub rule: String,
}

/// A region's monthly payment run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    /// Id (`run_...`).
    pub id: String,
    /// The region.
    pub region: String,
    /// The month it pays.
    pub month: Month,
    /// Where it stands.
    pub status: RunStatus,
    /// How far the build got: `` (not begun), `monthly:{entitlement id}`, `done`.
    pub cursor: String,
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
}

/// A total of a run: lines and amount of one payer, item and kind.
#[derive(Clone, Debug, PartialEq)]
pub struct TotalRow {
    /// Who pays.
    pub payer: Payer,
    /// The item.
    pub item: BenefitItem,
    /// The kind of entry.
    pub kind: EntryKind,
    /// How many lines.
    pub lines: i64,
    /// Their sum, fen.
    pub amount_fen: i64,
}

/// One payee's total in a run (a line of the bank file).
#[derive(Clone, Debug, PartialEq)]
pub struct PayeeRow {
    /// The claim.
    pub claim_id: String,
    /// To whom.
    pub payee: String,
    /// Who pays.
    pub payer: Payer,
    /// How many entries.
    pub lines: i64,
    /// Their sum, fen.
    pub amount_fen: i64,
}

const RUN_COLS: &str =
    "id, region, month, status, cursor, built_by, started_at, built_at, released_by, released_at";

fn run_row(r: &QueryResult) -> Result<RunRow, DbErr> {
    Ok(RunRow {
        id: s(r, "id")?,
        region: s(r, "region")?,
        month: month(r, "month")?,
        status: named(r, "status")?,
        cursor: s(r, "cursor")?,
        built_by: s(r, "built_by")?,
        started_at: s(r, "started_at")?,
        built_at: os(r, "built_at")?,
        released_by: os(r, "released_by")?,
        released_at: os(r, "released_at")?,
    })
}

/// A `SUM` column (cast to BIGINT in the query: PostgreSQL sums BIGINT as NUMERIC).
fn sum(r: &QueryResult, c: &str) -> Result<i64, DbErr> {
    i(r, c)
}

impl Db {
    /// Starts a run (returns its id when it did: none for the region and month yet).
    pub fn insert_run_stmt(&self, r: &RunRow) -> Statement {
        self.stmt(
            &format!(
                "INSERT INTO payment_runs ({RUN_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL) \
                 ON CONFLICT DO NOTHING RETURNING id"
            ),
            vec![
                r.id.clone().into(),
                r.region.clone().into(),
                r.month.0.into(),
                r.status.as_str().into(),
                r.cursor.clone().into(),
                r.built_by.clone().into(),
                r.started_at.clone().into(),
            ],
        )
    }

    /// One run.
    pub async fn run(&self, id: &str) -> Result<Option<RunRow>, DbErr> {
        self.one(
            &format!("SELECT {RUN_COLS} FROM payment_runs WHERE id = ?"),
            vec![id.into()],
            run_row,
        )
        .await
    }

    /// The run of a region and month.
    pub async fn run_for(&self, region: &str, month: Month) -> Result<Option<RunRow>, DbErr> {
        self.one(
            &format!("SELECT {RUN_COLS} FROM payment_runs WHERE region = ? AND month = ?"),
            vec![region.into(), month.0.into()],
            run_row,
        )
        .await
    }

    /// The runs of some regions (`None`: every region), newest month first.
    pub async fn runs(&self, regions: Option<&[String]>) -> Result<Vec<RunRow>, DbErr> {
        let mut sql = format!("SELECT {RUN_COLS} FROM payment_runs WHERE 1 = 1");
        let mut values = Vec::new();
        if let Some(regions) = regions {
            if regions.is_empty() {
                return Ok(Vec::new());
            }
            super::push_in(&mut sql, &mut values, "region", regions);
        }
        sql.push_str(" ORDER BY month DESC, region LIMIT 500");
        self.all(&sql, values, run_row).await
    }

    /// The runs whose build has not finished (resumed at start).
    pub async fn runs_building(&self) -> Result<Vec<RunRow>, DbErr> {
        self.all(
            &format!("SELECT {RUN_COLS} FROM payment_runs WHERE status = 'building' ORDER BY id"),
            vec![],
            run_row,
        )
        .await
    }

    /// Moves a run's build from `from` to `to` (returns its id when it did: no other builder
    /// moved it meanwhile). The guard of every step of a build.
    pub fn advance_run_stmt(&self, id: &str, from: &str, to: &str) -> Statement {
        self.stmt(
            "UPDATE payment_runs SET cursor = ? WHERE id = ? AND cursor = ? AND status = 'building' \
             RETURNING id",
            vec![to.into(), id.into(), from.into()],
        )
    }

    /// Marks a run built (its cursor `done`).
    pub fn finish_run_stmt(&self, id: &str, at: &str) -> Statement {
        self.stmt(
            "UPDATE payment_runs SET status = 'built', built_at = ? WHERE id = ? \
             AND status = 'building' AND cursor = 'done' RETURNING id",
            vec![at.into(), id.into()],
        )
    }

    /// Releases a built run (returns its id when it did: built, and `by` did not start it).
    pub fn release_run_stmt(&self, id: &str, by: &str, at: &str) -> Statement {
        self.stmt(
            "UPDATE payment_runs SET status = 'released', released_by = ?, released_at = ? \
             WHERE id = ? AND status = 'built' AND built_by <> ? RETURNING id",
            vec![by.into(), at.into(), id.into(), by.into()],
        )
    }

    /// A released run's entries are paid (handed to the bank).
    pub fn pay_run_stmt(&self, id: &str) -> Statement {
        self.stmt(
            "UPDATE ledger SET state = 'paid' WHERE run_id = ? AND state = 'in_batch'",
            vec![id.into()],
        )
    }

    /// Puts into a run the region's entries owed up to its month and in no run (lump sums,
    /// true-ups, re-queued returns).
    pub fn attach_owed_stmt(&self, run_id: &str, region: &str, month: Month) -> Statement {
        self.stmt(
            "UPDATE ledger SET state = 'in_batch', run_id = ? \
             WHERE region = ? AND state = 'scheduled' AND month <= ?",
            vec![run_id.into(), region.into(), month.0.into()],
        )
    }

    /// A run's totals by payer, item and kind.
    pub async fn run_totals(&self, run_id: &str) -> Result<Vec<TotalRow>, DbErr> {
        Ok(self
            .runs_totals(&[run_id.to_string()])
            .await?
            .into_iter()
            .map(|(_, t)| t)
            .collect())
    }

    /// The totals of several runs by payer, item and kind, in one query, each with its run.
    pub async fn runs_totals(&self, run_ids: &[String]) -> Result<Vec<(String, TotalRow)>, DbErr> {
        if run_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = "SELECT run_id, payer, item, kind, COUNT(*) AS lines, \
             CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS amount_fen FROM ledger WHERE 1 = 1"
            .to_string();
        let mut values = Vec::new();
        super::push_in(&mut sql, &mut values, "run_id", run_ids);
        sql.push_str(" GROUP BY run_id, payer, item, kind ORDER BY run_id, payer, item, kind");
        self.all(&sql, values, |r| {
            Ok((
                s(r, "run_id")?,
                TotalRow {
                    payer: contract_enum(r, "payer")?,
                    item: contract_enum(r, "item")?,
                    kind: named(r, "kind")?,
                    lines: i(r, "lines")?,
                    amount_fen: sum(r, "amount_fen")?,
                },
            ))
        })
        .await
    }

    /// A page of a run's lines after `after`, in id order, each with its origin.
    pub async fn run_lines(
        &self,
        run_id: &str,
        after: &str,
        limit: u64,
    ) -> Result<Vec<RunLineRow>, DbErr> {
        let cols = ENTRY_COLS
            .split(", ")
            .map(|c| format!("l.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.all(
            &format!(
                "SELECT {cols}, e.decision_id, e.policy_version, e.policy_sha256, e.rule \
                 FROM ledger l JOIN entitlements e ON e.id = l.entitlement_id \
                 WHERE l.run_id = ? AND l.id > ? ORDER BY l.id LIMIT {limit}"
            ),
            vec![run_id.into(), after.into()],
            |r| {
                Ok(RunLineRow {
                    entry: entry_row(r)?,
                    decision_id: os(r, "decision_id")?,
                    policy_version: os(r, "policy_version")?,
                    policy_sha256: os(r, "policy_sha256")?,
                    rule: s(r, "rule")?,
                })
            },
        )
        .await
    }

    /// A page of a run's payees (claim, payee, payer) after `after` (`{claim}|{payee}|{payer}`).
    pub async fn run_payees(
        &self,
        run_id: &str,
        after: (&str, &str, &str),
        limit: u64,
    ) -> Result<Vec<PayeeRow>, DbErr> {
        self.all(
            &format!(
                "SELECT claim_id, payee, payer, COUNT(*) AS lines, CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS amount_fen \
                 FROM ledger WHERE run_id = ? \
                 AND (claim_id > ? OR (claim_id = ? AND (payee > ? OR (payee = ? AND payer > ?)))) \
                 GROUP BY claim_id, payee, payer ORDER BY claim_id, payee, payer LIMIT {limit}"
            ),
            vec![
                run_id.into(),
                after.0.into(),
                after.0.into(),
                after.1.into(),
                after.1.into(),
                after.2.into(),
            ],
            |r| {
                Ok(PayeeRow {
                    claim_id: s(r, "claim_id")?,
                    payee: s(r, "payee")?,
                    payer: contract_enum(r, "payer")?,
                    lines: i(r, "lines")?,
                    amount_fen: sum(r, "amount_fen")?,
                })
            },
        )
        .await
    }

    /// Marks a paid entry of a run returned by the bank (returns its id when it did).
    pub fn return_entry_stmt(&self, run_id: &str, id: &str) -> Statement {
        self.stmt(
            "UPDATE ledger SET state = 'returned' WHERE run_id = ? AND id = ? AND state = 'paid' \
             RETURNING id",
            vec![run_id.into(), id.into()],
        )
    }

    /// Entries of a run by id.
    pub async fn run_entries(&self, run_id: &str, ids: &[String]) -> Result<Vec<EntryRow>, DbErr> {
        let mut sql = format!("SELECT {ENTRY_COLS} FROM ledger WHERE run_id = ?");
        let mut values: Vec<Value> = vec![run_id.into()];
        super::push_in(&mut sql, &mut values, "id", ids);
        self.all(&sql, values, entry_row).await
    }

    /// A region's outlay by month: the sum of the entries of its runs.
    pub async fn outlay(&self, region: &str) -> Result<Vec<(Month, i64, i64)>, DbErr> {
        self.all(
            "SELECT r.month AS month, COUNT(*) AS lines, CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT) AS amount_fen \
             FROM payment_runs r JOIN ledger l ON l.run_id = r.id WHERE r.region = ? \
             GROUP BY r.month ORDER BY r.month",
            vec![region.into()],
            |r| Ok((month(r, "month")?, i(r, "lines")?, sum(r, "amount_fen")?)),
        )
        .await
    }
}
