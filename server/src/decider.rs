//! The bridge to the policy engine: which module is in force (kept in step with the database),
//! and decisions run off the async workers, on a few threads of their own, behind a semaphore
//! sized to the instance pool.

use crate::db::Db;
use crate::db::policies::PolicyRow;
use crate::domain::PolicyStatus;
use oip_engine::types::{Date, Facts};
use oip_engine::{Entry, Error, Evaluated, LoadedPolicy, PolicyHost, Registry};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, mpsc};
use tokio::sync::Semaphore;

type Job = Box<dyn FnOnce() + Send>;

/// The threads decisions run on: as many as the machine has cores, fed by one queue.
///
/// A decision takes tens of microseconds, so it is run off the async workers (a runaway module
/// may hold its thread until the engine's deadline) but not through `spawn_blocking`, whose
/// pool grew under load to one thread per waiting claim. These threads take decisions from
/// the queue back to back; the load benchmark measured no throughput change against
/// `spawn_blocking` (within its noise), the gain is a bounded thread count. They end when the
/// decider is dropped.
struct Pool {
    jobs: mpsc::Sender<Job>,
}

impl Pool {
    fn start() -> Pool {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("oip-decide-{i}"))
                .spawn(move || {
                    loop {
                        // One thread waits on the queue, the others on the lock.
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        // A panic would drop the job's reply, which its caller reports as an
                        // internal error; the thread itself stays.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a decision thread");
            }
        }
        Pool { jobs }
    }
}

/// Decides claims with the policy in force.
pub struct Decider {
    host: Arc<PolicyHost>,
    registry: Registry,
    permits: Arc<Semaphore>,
    pool: Pool,
    modules: Mutex<HashMap<String, Arc<LoadedPolicy>>>,
    fingerprint: Mutex<String>,
}

impl std::fmt::Debug for Decider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decider").finish_non_exhaustive()
    }
}

impl Decider {
    /// A decider over a host.
    pub fn new(host: PolicyHost) -> Decider {
        let permits = Arc::new(Semaphore::new(host.limits().instances as usize));
        Decider {
            host: Arc::new(host),
            registry: Registry::new(),
            permits,
            pool: Pool::start(),
            modules: Mutex::new(HashMap::new()),
            fingerprint: Mutex::new(String::new()),
        }
    }

    /// The registry of versions in force.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The host.
    pub fn host(&self) -> &PolicyHost {
        &self.host
    }

    /// The host, shared (for work on blocking threads).
    pub fn host_arc(&self) -> Arc<PolicyHost> {
        self.host.clone()
    }

    /// Loads (or finds already loaded) a module by its bytes.
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<LoadedPolicy>, Error> {
        Ok(self.remember(self.host.load(bytes)?))
    }

    /// Keeps a loaded module for later lookups by digest (the first one loaded wins).
    pub fn remember(&self, p: Arc<LoadedPolicy>) -> Arc<LoadedPolicy> {
        let mut m = self.modules.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(p.sha256().to_string()).or_insert(p).clone()
    }

    /// A module by digest, from memory or the database.
    pub async fn module(&self, db: &Db, sha256: &str) -> Result<Option<Arc<LoadedPolicy>>, String> {
        if let Some(p) = self
            .modules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(sha256)
        {
            return Ok(Some(p.clone()));
        }
        let Some(bytes) = db.policy_bytes(sha256).await.map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let host = self.host.clone();
        let p = tokio::task::spawn_blocking(move || host.load(&bytes))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let p = self.remember(p);
        if p.sha256() != sha256 {
            return Err(format!("stored module {sha256} hashes to {}", p.sha256()));
        }
        Ok(Some(p))
    }

    /// Decides with the version in force for the facts' region and date.
    pub async fn decide(&self, facts: Facts) -> Result<Evaluated, Error> {
        let policy = self.registry.policy_for(&facts)?;
        self.decide_with(policy, facts).await
    }

    /// Decides with a given module, on a blocking thread, holding an instance permit.
    pub async fn decide_with(
        &self,
        policy: Arc<LoadedPolicy>,
        facts: Facts,
    ) -> Result<Evaluated, Error> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        self.run(permit, policy, facts).await
    }

    async fn run(
        &self,
        permit: tokio::sync::OwnedSemaphorePermit,
        policy: Arc<LoadedPolicy>,
        facts: Facts,
    ) -> Result<Evaluated, Error> {
        let host = self.host.clone();
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _permit = permit;
            let _ = reply.send(host.decide(&policy, &facts));
        });
        self.pool
            .jobs
            .send(job)
            .map_err(|_| Error::Internal("the decision threads have stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::Internal("a decision thread failed".into()))?
    }

    /// Decides without waiting for a permit: `Busy` when every slot is taken.
    pub async fn try_decide(&self, facts: Facts) -> Result<Evaluated, Error> {
        let policy = self.registry.policy_for(&facts)?;
        let permit = self
            .permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::Busy {
                limit: self.host.limits().instances,
            })?;
        self.run(permit, policy, facts).await
    }

    /// Rebuilds the registry from the database's active versions when the policy table
    /// changed since the last call; true when it did.
    pub async fn sync(&self, db: &Db) -> Result<bool, String> {
        let fp = db.policy_fingerprint().await.map_err(|e| e.to_string())?;
        if *self.fingerprint.lock().unwrap_or_else(|e| e.into_inner()) == fp {
            return Ok(false);
        }
        let rows = db.policies(None).await.map_err(|e| e.to_string())?;
        let mut entries = Vec::new();
        for row in rows.iter().filter(|r| r.status == PolicyStatus::Active) {
            match self.module(db, &row.sha256).await {
                Ok(Some(policy)) => entries.push(entry(policy, row)),
                Ok(None) => {
                    tracing::error!(sha256 = %row.sha256, "active policy has no stored bytes")
                }
                Err(e) => {
                    tracing::error!(sha256 = %row.sha256, error = %e, "active policy does not load")
                }
            }
        }
        // Versions about to be activated are compiled now, so that their activation (here or
        // through another instance) swaps the registry without a compile on the way.
        for row in rows
            .iter()
            .filter(|r| matches!(r.status, PolicyStatus::Approved | PolicyStatus::Scheduled))
        {
            if let Err(e) = self.module(db, &row.sha256).await {
                tracing::warn!(sha256 = %row.sha256, error = %e, "approved policy does not load");
            }
        }
        self.registry.replace(entries);
        *self.fingerprint.lock().unwrap_or_else(|e| e.into_inner()) = fp;
        tracing::info!(
            regions = self.registry.regions().len(),
            "policy registry loaded"
        );
        Ok(true)
    }
}

fn entry(policy: Arc<LoadedPolicy>, row: &PolicyRow) -> Entry {
    let from = Date::parse(&row.effective_from).unwrap_or(policy.manifest().effective_from);
    let to = row
        .effective_to
        .as_deref()
        .and_then(|t| Date::parse(t).ok());
    Entry {
        policy,
        from,
        to,
        sequence: u64::try_from(row.sequence).unwrap_or(0),
    }
}
