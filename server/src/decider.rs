//! The bridge to the policy engine: which module is in force (kept in step with the database),
//! and decisions run off the async workers, on a few threads of their own, behind a semaphore
//! sized to the instance pool.

use crate::db::Db;
use crate::db::policies::PolicyRow;
use crate::domain::PolicyStatus;
use oip_engine::types::{Date, Facts};
use oip_engine::{Entry, Error, Evaluated, LoadedPolicy, PolicyHost, Registry};
use std::collections::HashMap;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use tokio::sync::Semaphore;

type Job = Box<dyn FnOnce() + Send>;

/// Which queue a job waits in: live claims are always taken first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lane {
    /// A claim someone is waiting for (intake, supplement, retry, evaluate).
    Live,
    /// Shadow runs, an upload's cases, re-decisions: run when no live job waits.
    Background,
}

#[derive(Default)]
struct Queues {
    live: VecDeque<Job>,
    background: VecDeque<Job>,
    closed: bool,
}

/// The threads decisions run on: as many as the machine has cores, fed by two queues, live
/// claims first.
///
/// A decision takes tens of microseconds, so it is run off the async workers (a runaway module
/// may hold its thread until the engine's deadline) but not through `spawn_blocking`, whose
/// pool grew under load to one thread per waiting claim. These threads take decisions from
/// the queues back to back; the load benchmark measured no throughput change against
/// `spawn_blocking` (within its noise), the gain is a bounded thread count. They end when the
/// decider is dropped.
struct Pool {
    queues: Arc<(Mutex<Queues>, Condvar)>,
    threads: usize,
}

impl Pool {
    fn start(threads: usize) -> Pool {
        let queues: Arc<(Mutex<Queues>, Condvar)> = Arc::default();
        for i in 0..threads {
            let queues = queues.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("oip-decide-{i}"))
                .spawn(move || {
                    while let Some(job) = next_job(&queues) {
                        // A panic would drop the job's reply, which its caller reports as an
                        // internal error; the thread itself stays.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a decision thread");
            }
        }
        Pool { queues, threads }
    }

    fn send(&self, lane: Lane, job: Job) -> Result<(), Error> {
        let (lock, ready) = &*self.queues;
        let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
        if q.closed {
            return Err(Error::Internal("the decision threads have stopped".into()));
        }
        match lane {
            Lane::Live => q.live.push_back(job),
            Lane::Background => q.background.push_back(job),
        }
        ready.notify_one();
        Ok(())
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let (lock, ready) = &*self.queues;
        lock.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
        ready.notify_all();
    }
}

/// The next job, live ones first; `None` once the pool is dropped.
fn next_job(queues: &(Mutex<Queues>, Condvar)) -> Option<Job> {
    let (lock, ready) = queues;
    let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some(job) = q.live.pop_front().or_else(|| q.background.pop_front()) {
            return Some(job);
        }
        if q.closed {
            return None;
        }
        q = ready.wait(q).unwrap_or_else(|e| e.into_inner());
    }
}

/// Decides claims with the policy in force.
pub struct Decider {
    host: Arc<PolicyHost>,
    registry: Registry,
    /// One per engine instance: every decision, live or background, holds one.
    permits: Arc<Semaphore>,
    /// Background work in flight at most (one batch per decision thread), so that it never
    /// holds more than a few of the instances live claims need.
    background: Arc<Semaphore>,
    pool: Pool,
    modules: Mutex<HashMap<String, Arc<LoadedPolicy>>>,
    fingerprint: Mutex<String>,
    sync_lock: tokio::sync::Mutex<()>,
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
        let pool = Pool::start(std::thread::available_parallelism().map_or(2, |n| n.get()));
        Decider {
            host: Arc::new(host),
            registry: Registry::new(),
            permits,
            background: Arc::new(Semaphore::new(pool.threads)),
            pool,
            modules: Mutex::new(HashMap::new()),
            fingerprint: Mutex::new(String::new()),
            sync_lock: tokio::sync::Mutex::new(()),
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
        let permit = acquire(&self.permits).await?;
        self.run(permit, policy, facts).await
    }

    async fn run(
        &self,
        permit: tokio::sync::OwnedSemaphorePermit,
        policy: Arc<LoadedPolicy>,
        facts: Facts,
    ) -> Result<Evaluated, Error> {
        self.on_pool(Lane::Live, permit, move |host| host.decide(&policy, &facts))
            .await?
    }

    /// Runs `work` on a decision thread, holding `permit`.
    async fn on_pool<T: Send + 'static>(
        &self,
        lane: Lane,
        permit: tokio::sync::OwnedSemaphorePermit,
        work: impl FnOnce(&PolicyHost) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let host = self.host.clone();
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _permit = permit;
            let _ = reply.send(work(&host));
        });
        self.pool.send(lane, job)?;
        answer
            .await
            .map_err(|_| Error::Internal("a decision thread failed".into()))
    }

    /// Runs background decisions (a batch of a shadow run, an upload's cases) on the decision
    /// threads, behind every live claim: the batch waits for a background slot and an engine
    /// instance, and a thread takes it only when no live decision is queued. `work` decides
    /// one at a time (it holds one instance); keep a batch to a few milliseconds, since a live
    /// claim arriving meanwhile waits for the batches already running.
    pub async fn background<T: Send + 'static>(
        &self,
        work: impl FnOnce(&PolicyHost) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let slot = acquire(&self.background).await?;
        let permit = acquire(&self.permits).await?;
        self.on_pool(Lane::Background, permit, move |host| {
            let _slot = slot;
            work(host)
        })
        .await
    }

    /// Decides without waiting for a permit: `Busy` when every slot is taken.
    pub async fn try_decide(&self, facts: Facts) -> Result<Evaluated, Error> {
        let policy = self.registry.policy_for(&facts)?;
        self.try_decide_with(policy, facts).await
    }

    /// As [`Decider::try_decide`], with a given module (a dry run of an uploaded version).
    pub async fn try_decide_with(
        &self,
        policy: Arc<LoadedPolicy>,
        facts: Facts,
    ) -> Result<Evaluated, Error> {
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
        // One sync at a time: two at once compiled the same module twice (on a busy machine
        // that delayed an activation by seconds), and the one that read the table first could
        // finish last and put back an older registry.
        let _one = self.sync_lock.lock().await;
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
        // Versions that may be activated are compiled as soon as they are uploaded, so that
        // their activation (here or through another instance) swaps the registry without a
        // compile on the way.
        for row in rows.iter().filter(|r| {
            matches!(
                r.status,
                PolicyStatus::Uploaded | PolicyStatus::Approved | PolicyStatus::Scheduled
            )
        }) {
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

/// A permit of `semaphore`, waited for (the semaphores are never closed).
async fn acquire(semaphore: &Arc<Semaphore>) -> Result<tokio::sync::OwnedSemaphorePermit, Error> {
    semaphore
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| Error::Internal(e.to_string()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Issue 15, item 16: shadow runs and upload cases went around the pool and could take
    /// every core from live claims. Now they queue in the background lane, and a thread that
    /// frees up takes a waiting live decision before any background batch queued earlier.
    #[test]
    fn a_live_decision_queued_behind_background_batches_runs_first() {
        let pool = Pool::start(1);
        let (hold, held) = mpsc::channel::<()>();
        let (started, is_running) = mpsc::channel::<()>();
        pool.send(
            Lane::Background,
            Box::new(move || {
                let _ = started.send(());
                let _ = held.recv();
            }),
        )
        .unwrap();
        is_running.recv().unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let (done, finished) = mpsc::channel::<()>();
        for (lane, name) in [
            (Lane::Background, "shadow batch 1"),
            (Lane::Background, "shadow batch 2"),
            (Lane::Live, "live claim"),
            (Lane::Background, "upload cases"),
        ] {
            let (order, done) = (order.clone(), done.clone());
            pool.send(
                lane,
                Box::new(move || {
                    order.lock().unwrap().push(name);
                    let _ = done.send(());
                }),
            )
            .unwrap();
        }
        hold.send(()).unwrap();
        for _ in 0..4 {
            finished.recv().unwrap();
        }
        assert_eq!(
            *order.lock().unwrap(),
            [
                "live claim",
                "shadow batch 1",
                "shadow batch 2",
                "upload cases"
            ]
        );
    }

    #[test]
    fn a_dropped_pool_refuses_work_and_its_threads_end() {
        let pool = Pool::start(2);
        let queues = pool.queues.clone();
        drop(pool);
        assert!(queues.0.lock().unwrap().closed);
        // The threads hold clones of the queues until they see `closed` and return.
        for _ in 0..200 {
            if Arc::strong_count(&queues) == 1 {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!("decision threads still running after the pool was dropped");
    }
}

/// Decides on a decision thread in a span of its own, as a live decision has (`policy.decision`:
/// region, version and digest, outcome and time taken), marked with its `lane` (`shadow`,
/// `cases`) and under `parent` (the job's or the request's span, which does not follow the
/// work onto the decision thread by itself).
pub fn decide_traced(
    host: &PolicyHost,
    policy: &LoadedPolicy,
    facts: &Facts,
    parent: &tracing::Span,
    lane: &'static str,
) -> Result<Evaluated, Error> {
    let span = tracing::info_span!(
        parent: parent,
        "policy.decision",
        lane,
        region = %facts.region,
        version = %policy.manifest().version,
        sha256 = %policy.sha256(),
        outcome = tracing::field::Empty,
        took_us = tracing::field::Empty,
    );
    // Entered on this thread, so that a log line's list of spans (the JSON format's `spans`,
    // read from the thread's current span) names the job or request around it.
    let _entered = span.enter();
    let started = std::time::Instant::now();
    let result = host.decide(policy, facts);
    let took = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    span.record("took_us", took);
    match &result {
        Ok(e) => {
            span.record("outcome", crate::claims::outcome_code(e.decision.outcome));
            tracing::debug!(parent: &span, "decided");
        }
        Err(e) => tracing::debug!(parent: &span, code = e.code(), "decision failed"),
    }
    result
}
