//! Schema migrations: frozen history, written as SQL from table and column names (never from
//! entities), with the few type names that differ per backend substituted.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

/// All migrations, in order.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001Initial),
            Box::new(M0002Baseline),
            Box::new(M0003Workflow),
            Box::new(M0004Webhooks),
            Box::new(M0005DuplicateIndex),
            Box::new(M0006DropShortIndex),
            Box::new(M0007Lifecycle),
            Box::new(M0008RegionScan),
            Box::new(M0009Queue),
            Box::new(M0010DataKeys),
            Box::new(M0011KeyApproval),
            Box::new(M0012Users),
            Box::new(M0013PolicyRelease),
            Box::new(M0014AuditRequestId),
            Box::new(M0015Calendars),
            Box::new(M0016Payments),
        ]
    }
}

/// A migration that runs one SQL script (statements separated by `;`).
macro_rules! sql_migration {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $script:expr) => {
        $(#[$doc])*
        struct $ty;

        impl MigrationName for $ty {
            fn name(&self) -> &str {
                $name
            }
        }

        #[sea_orm_migration::async_trait::async_trait]
        impl MigrationTrait for $ty {
            async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                run_script(manager, $script).await
            }
        }
    };
}

const M0001: &str = "
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    platform TEXT,
    regions TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE policies (
    sha256 TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    version TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    effective_to TEXT,
    manifest TEXT NOT NULL,
    bytes BLOB NOT NULL,
    status TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX policies_region ON policies (region, status);
CREATE TABLE claims (
    id TEXT PRIMARY KEY,
    platform TEXT NOT NULL,
    platform_claim_ref TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    region TEXT NOT NULL,
    status TEXT NOT NULL,
    incident_at BIGINT NOT NULL,
    facts TEXT NOT NULL,
    narrative TEXT NOT NULL,
    worker_sealed TEXT NOT NULL,
    worker_hash TEXT NOT NULL,
    worker_masked TEXT NOT NULL,
    possible_duplicate_of TEXT,
    decision_id TEXT,
    last_error TEXT,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (platform, idempotency_key),
    UNIQUE (platform, platform_claim_ref)
);
CREATE INDEX claims_region_status ON claims (region, status);
CREATE INDEX claims_worker ON claims (worker_hash, incident_at);
CREATE INDEX claims_retry ON claims (status, next_attempt_at);
CREATE TABLE decisions (
    id TEXT PRIMARY KEY,
    claim_id TEXT NOT NULL REFERENCES claims (id),
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    body TEXT NOT NULL,
    provenance TEXT NOT NULL,
    policy_sha256 TEXT NOT NULL,
    facts TEXT NOT NULL,
    replaces TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX decisions_claim ON decisions (claim_id);
";

sql_migration!(
    /// Tokens, policies, claims, decisions.
    M0001Initial,
    "m0001_initial",
    M0001
);

sql_migration!(
    /// A one-row-per-request table for the load benchmark's baseline route.
    M0002Baseline,
    "m0002_baseline",
    "CREATE TABLE baseline (id TEXT PRIMARY KEY, created_at TEXT NOT NULL)"
);

const M0003: &str = "
ALTER TABLE claims ADD COLUMN workflow TEXT;
CREATE TABLE reviews (
    id TEXT PRIMARY KEY,
    claim_id TEXT NOT NULL REFERENCES claims (id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    reason_code TEXT,
    note TEXT,
    benefits TEXT,
    documents TEXT,
    status_before TEXT NOT NULL,
    status_after TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reviews_claim ON reviews (claim_id);
CREATE TABLE audit (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    claim_id TEXT,
    before TEXT,
    after TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_claim ON audit (claim_id);
CREATE TABLE events (
    seq BIGINT PRIMARY KEY,
    platform TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX events_platform ON events (platform, seq);
CREATE TABLE chain_head (
    id INTEGER PRIMARY KEY,
    audit_seq BIGINT NOT NULL,
    audit_hash TEXT NOT NULL,
    event_seq BIGINT NOT NULL
);
INSERT INTO chain_head (id, audit_seq, audit_hash, event_seq) VALUES (1, 0, '', 0)
";

sql_migration!(
    /// Reviews, the hash-chained audit trail, platform events, and the chain head that
    /// serializes their sequence numbers across instances.
    M0003Workflow,
    "m0003_workflow",
    M0003
);

sql_migration!(
    /// Webhooks: per platform, where to deliver its events and how far delivery got. The events
    /// table is the outbox; `delivered_seq` only moves after a 2xx, so delivery is at least once,
    /// across restarts.
    M0004Webhooks,
    "m0004_webhooks",
    "CREATE TABLE webhooks (
                platform TEXT PRIMARY KEY,
                url TEXT NOT NULL,
                secret_sealed TEXT NOT NULL,
                delivered_seq BIGINT NOT NULL,
                failures INTEGER NOT NULL,
                next_attempt_at BIGINT NOT NULL,
                last_error TEXT,
                updated_at TEXT NOT NULL
            )"
);

sql_migration!(
    /// The possible-duplicate lookup (same worker, same incident time, same region, earliest id)
    /// answered from the index alone; without `id` in it, a worker with many claims at one time
    /// made every intake scan them all (found by the load benchmark: 273 claims/s).
    M0005DuplicateIndex,
    "m0005_duplicate_index",
    "CREATE INDEX claims_duplicate ON claims (worker_hash, incident_at, region, id)"
);

sql_migration!(
    /// The shorter worker index is subsumed by `claims_duplicate`; dropped so that no planner
    /// picks it and sorts.
    M0006DropShortIndex,
    "m0006_drop_short_index",
    "DROP INDEX claims_worker"
);

const M0007: &str = "
ALTER TABLE policies ADD COLUMN uploaded_by TEXT;
ALTER TABLE policies ADD COLUMN signed_by TEXT;
ALTER TABLE policies ADD COLUMN approved_by TEXT;
ALTER TABLE policies ADD COLUMN approved_at TEXT;
ALTER TABLE policies ADD COLUMN activate_at BIGINT;
ALTER TABLE policies ADD COLUMN activated_at TEXT;
ALTER TABLE policies ADD COLUMN validation TEXT;
CREATE TABLE signing_keys (
    id TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    added_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX signing_keys_region ON signing_keys (region);
CREATE TABLE policy_jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    policy_sha256 TEXT NOT NULL,
    region TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    total BIGINT NOT NULL,
    done BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    report TEXT,
    error TEXT,
    requested_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX policy_jobs_policy ON policy_jobs (policy_sha256, kind)
";

sql_migration!(
    /// The policy lifecycle: who uploaded, signed, approved and activated a version, its
    /// scheduled activation and its validation report; the regions' signing keys; shadow-run
    /// and re-decision jobs with their progress and report.
    M0007Lifecycle,
    "m0007_lifecycle",
    M0007
);

sql_migration!(
    /// A region's claims in id order, a page at a time (shadow runs, re-decisions): without it
    /// the planner took the (region, status) index and sorted the whole region for every page
    /// (found by the shadow benchmark: pages slowed down as the table grew).
    M0008RegionScan,
    "m0008_region_scan",
    "CREATE INDEX claims_region_id ON claims (region, id)"
);

const M0009: &str = "
ALTER TABLE claims ADD COLUMN queue TEXT;
ALTER TABLE claims ADD COLUMN due_on TEXT;
ALTER TABLE claims ADD COLUMN fast_track BIGINT NOT NULL DEFAULT 0;
ALTER TABLE claims ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX claims_queue ON claims (due_on, id) WHERE queue IS NOT NULL
";

/// The review queue in the database: each claim keeps the queue it waits in and its due date
/// (set by every write), so that a page of the queue is one query on a partial index instead
/// of a scan of the region; `fast_track` for the queue's notes; `version` for guarded updates.
/// Claims stored before are placed by the same rules as new ones.
struct M0009Queue;

impl MigrationName for M0009Queue {
    fn name(&self) -> &str {
        "m0009_queue"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0009Queue {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, M0009).await?;
        backfill_queue(manager).await
    }
}

/// Places the claims stored before M0009: the queue from the status (and the quality-review
/// flag), the due date from the decision's determination date, an appeal's filing date plus
/// 30 working days, or the claim's creation plus 30 working days.
async fn backfill_queue(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use oip_engine::types::{Date, Timestamp};
    use serde::Deserialize;
    /// What the backfill reads of a stored decision.
    #[derive(Default, Deserialize)]
    struct DecisionBits {
        #[serde(default)]
        due: DueBits,
        #[serde(default)]
        fast_track: bool,
    }
    #[derive(Default, Deserialize)]
    struct DueBits {
        determination: Option<Date>,
    }
    /// What it reads of a stored review state.
    #[derive(Default, Deserialize)]
    struct WorkflowBits {
        #[serde(default)]
        quality_review: bool,
        #[serde(default)]
        appeal: Option<AppealBits>,
    }
    #[derive(Deserialize)]
    struct AppealBits {
        filed_at: String,
    }
    let db = manager.get_connection();
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT c.id, c.status, c.workflow, c.created_at, d.body FROM claims c \
             LEFT JOIN decisions d ON d.id = c.decision_id",
        ))
        .await?;
    let plus_30 = |t: &str| {
        Timestamp::parse_rfc3339(t)
            .ok()
            .map(|t| oip_engine::types::calendar::add_working_days(t.beijing_date(), 30).date)
    };
    for r in rows {
        let id: String = r.try_get("", "id")?;
        let status: String = r.try_get("", "status")?;
        let workflow: Option<String> = r.try_get("", "workflow")?;
        let created: String = r.try_get("", "created_at")?;
        let body: Option<String> = r.try_get("", "body")?;
        let w: WorkflowBits = workflow
            .as_deref()
            .and_then(|w| serde_json::from_str(w).ok())
            .unwrap_or_default();
        let d: DecisionBits = body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or_default();
        let queue = match status.as_str() {
            "pending_review" | "awaiting_second_approval" | "appealed" => Some(status.clone()),
            "approved" if w.quality_review => Some("quality_review".into()),
            _ => None,
        };
        let due = match &w.appeal {
            Some(a) if status == "appealed" => plus_30(&a.filed_at),
            _ => d.due.determination.or_else(|| plus_30(&created)),
        };
        let sql = match backend {
            DbBackend::Postgres => {
                "UPDATE claims SET queue = $1, due_on = $2, fast_track = $3 WHERE id = $4"
            }
            _ => "UPDATE claims SET queue = ?, due_on = ?, fast_track = ? WHERE id = ?",
        };
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            vec![
                queue.into(),
                due.map(|d| d.to_string()).into(),
                i64::from(d.fast_track).into(),
                id.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

const M0010: &str = "
CREATE TABLE data_keys (
    generation BIGINT PRIMARY KEY,
    wrapped TEXT NOT NULL,
    created_at TEXT NOT NULL,
    reseal_cursor TEXT,
    resealed_at TEXT
);
CREATE TABLE key_check (
    id INTEGER PRIMARY KEY,
    check_value TEXT NOT NULL
)
";

sql_migration!(
    /// The data keys in the database, wrapped by the master key every instance is given, and
    /// the master key's check value: every instance opens what another sealed.
    M0010DataKeys,
    "m0010_data_keys",
    M0010
);

const M0011: &str = "
ALTER TABLE signing_keys ADD COLUMN approved_by TEXT;
ALTER TABLE signing_keys ADD COLUMN approved_at TEXT;
ALTER TABLE signing_keys ADD COLUMN revoke_requested_by TEXT;
ALTER TABLE signing_keys ADD COLUMN revoke_requested_at TEXT;
UPDATE signing_keys SET approved_by = added_by, approved_at = created_at
";

sql_migration!(
    /// Two admins per signing key: one proposes, another approves; one asks for a revocation,
    /// another carries it out. Keys registered before this migration stay live (their adder
    /// stands as their approver).
    M0011KeyApproval,
    "m0011_key_approval",
    M0011
);

const M0012: &str = "
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    employee_id TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    regions TEXT NOT NULL,
    active BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    disabled_at TEXT,
    disabled_by TEXT,
    password_hash TEXT,
    totp_secret TEXT,
    totp_last_step BIGINT
);
CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT,
    token_id TEXT,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
ALTER TABLE tokens ADD COLUMN user_id TEXT;
ALTER TABLE tokens ADD COLUMN label TEXT;
ALTER TABLE tokens ADD COLUMN expires_at BIGINT;
CREATE INDEX tokens_user ON tokens (user_id)
";

sql_migration!(
    /// Users: the named people who hold tokens and sign in to the console (argon2id password,
    /// optional TOTP); each token names its user, a label and an expiry (tokens issued before
    /// name no user and never expire: revoke and reissue them); the console's server-side
    /// sessions.
    M0012Users,
    "m0012_users",
    M0012
);

const M0013: &str = "
ALTER TABLE policies ADD COLUMN release BIGINT;
CREATE UNIQUE INDEX policies_release ON policies (region, release)
";

sql_migration!(
    /// A region's release numbers are unique in the schema, not only by the upload's check: two
    /// uploads of one release number at once store one. Versions stored before keep their
    /// number in their validation report only (NULL here, which the index does not compare).
    M0013PolicyRelease,
    "m0013_policy_release",
    M0013
);

const M0014: &str = "
ALTER TABLE audit ADD COLUMN request_id TEXT
";

sql_migration!(
    /// Each audit entry written for a request names the request's id (the `x-request-id` of
    /// its answer and of its log lines). Entries written before, and those of background work,
    /// name none.
    M0014AuditRequestId,
    "m0014_audit_request_id",
    M0014
);

const M0015: &str = "
CREATE TABLE calendars (
    id TEXT PRIMARY KEY,
    version TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    key_id TEXT NOT NULL REFERENCES signing_keys (id),
    signature TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    approved_by TEXT,
    approved_at TEXT
)
";

sql_migration!(
    /// The working-day calendar as signed data: the State Council's arrangements, uploaded by
    /// an admin, signed by a key of `CN`, put in force by another admin; the last approved is
    /// in force.
    M0015Calendars,
    "m0015_calendars",
    M0015
);

const M0016: &str = "
CREATE TABLE entitlements (
    id TEXT PRIMARY KEY,
    claim_id TEXT NOT NULL REFERENCES claims (id),
    decision_id TEXT,
    region TEXT NOT NULL,
    line BIGINT NOT NULL,
    item TEXT NOT NULL,
    payer TEXT NOT NULL,
    period TEXT NOT NULL,
    payee TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    first_month BIGINT NOT NULL,
    last_month BIGINT,
    entered_through BIGINT,
    rule TEXT NOT NULL,
    formula TEXT,
    policy_sha256 TEXT,
    policy_version TEXT,
    provisional BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    superseded_at TEXT
);
CREATE INDEX entitlements_region ON entitlements (region, period, id);
CREATE INDEX entitlements_claim ON entitlements (claim_id);
CREATE TABLE enrolments (
    claim_id TEXT PRIMARY KEY REFERENCES claims (id),
    claim_version BIGINT NOT NULL,
    lines_sha256 TEXT NOT NULL,
    enrolled_at TEXT NOT NULL
);
CREATE TABLE payment_runs (
    id TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    month BIGINT NOT NULL,
    status TEXT NOT NULL,
    cursor TEXT NOT NULL,
    built_by TEXT NOT NULL,
    started_at TEXT NOT NULL,
    built_at TEXT,
    released_by TEXT,
    released_at TEXT,
    UNIQUE (region, month)
);
CREATE TABLE ledger (
    id TEXT PRIMARY KEY,
    entitlement_id TEXT NOT NULL REFERENCES entitlements (id),
    claim_id TEXT NOT NULL,
    region TEXT NOT NULL,
    kind TEXT NOT NULL,
    item TEXT NOT NULL,
    payer TEXT NOT NULL,
    payee TEXT NOT NULL,
    month BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    state TEXT NOT NULL,
    run_id TEXT REFERENCES payment_runs (id),
    refers_to TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ledger_run ON ledger (run_id, id);
CREATE INDEX ledger_claim ON ledger (claim_id, month);
CREATE INDEX ledger_owed ON ledger (region, month) WHERE state = 'scheduled';
CREATE TABLE bills (
    claim_id TEXT NOT NULL REFERENCES claims (id),
    number TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    out_of_catalogue_fen BIGINT NOT NULL,
    inpatient_days BIGINT NOT NULL,
    issued_on TEXT NOT NULL,
    hospital TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    decision_id TEXT,
    PRIMARY KEY (claim_id, number)
)
";

/// The payment ledger: what each approved claim is entitled to (one row per approved line, a
/// monthly line with its first and last month), the entries owed and paid, and the monthly
/// payment runs that batch them; and a claim's medical bills, each once by its number. On PostgreSQL the entitlements' pages keep room for the
/// update every run makes (`entered_through`, in no index), so it is a heap-only update that
/// writes no index entry.
struct M0016Payments;

impl MigrationName for M0016Payments {
    fn name(&self) -> &str {
        "m0016_payments"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0016Payments {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, M0016).await?;
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE entitlements SET (fillfactor = 50)")
                .await?;
        }
        Ok(())
    }
}

async fn run_script(manager: &SchemaManager<'_>, script: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let script = match db.get_database_backend() {
        DbBackend::Postgres => script.replace(" BLOB ", " BYTEA "),
        _ => script.to_string(),
    };
    for stmt in script.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        db.execute_unprepared(stmt).await?;
    }
    Ok(())
}
