//! Which policy is in force: `(region, incident date) → policy version`.
//!
//! Each entry carries an effective window (by default the manifest's) and an activation
//! sequence number; where windows overlap, the latest activation wins, so a newer version for
//! the same dates supersedes the older one without deleting it (rolling back is deactivating
//! the newer entry). The table is swapped atomically: a decision holds the `Arc` of the policy
//! it started with and finishes on it, whatever is activated meanwhile.

use crate::LoadedPolicy;
use arc_swap::ArcSwap;
use oip_types::Date;
use std::sync::Arc;

/// One activated policy version.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The compiled policy.
    pub policy: Arc<LoadedPolicy>,
    /// First incident date it decides.
    pub from: Date,
    /// Last incident date it decides, if bounded.
    pub to: Option<Date>,
    /// Activation order: higher supersedes lower where windows overlap.
    pub sequence: u64,
}

impl Entry {
    /// An entry with the manifest's window.
    pub fn from_manifest(policy: Arc<LoadedPolicy>, sequence: u64) -> Entry {
        let m = policy.manifest();
        let (from, to) = (m.effective_from, m.effective_to);
        Entry {
            policy,
            from,
            to,
            sequence,
        }
    }

    fn covers(&self, region: &str, date: Date) -> bool {
        self.policy.manifest().region == region
            && date >= self.from
            && self.to.is_none_or(|to| date <= to)
    }
}

/// The table of policies in force.
#[derive(Debug, Default)]
pub struct Registry {
    entries: ArcSwap<Vec<Entry>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// The policy in force for `region` on `date`, if any.
    pub fn lookup(&self, region: &str, date: Date) -> Option<Arc<LoadedPolicy>> {
        self.entries
            .load()
            .iter()
            .filter(|e| e.covers(region, date))
            .max_by_key(|e| e.sequence)
            .map(|e| e.policy.clone())
    }

    /// The policy in force for a claim's region and incident date (Beijing), or
    /// [`Error::NoPolicyInForce`](crate::Error::NoPolicyInForce).
    pub fn policy_for(&self, facts: &oip_types::Facts) -> Result<Arc<LoadedPolicy>, crate::Error> {
        let date = facts.incident.occurred_at.beijing_date();
        self.lookup(&facts.region, date)
            .ok_or_else(|| crate::Error::NoPolicyInForce {
                region: facts.region.clone(),
                date: date.to_string(),
            })
    }

    /// Adds an entry (atomically). An entry with the same digest is replaced.
    pub fn activate(&self, entry: Entry) {
        self.entries.rcu(|old| {
            let mut v: Vec<Entry> = old
                .iter()
                .filter(|e| e.policy.sha256() != entry.policy.sha256())
                .cloned()
                .collect();
            v.push(entry.clone());
            v
        });
    }

    /// Removes the entry of a digest (atomically); true when there was one.
    pub fn deactivate(&self, sha256: &str) -> bool {
        let mut found = false;
        self.entries.rcu(|old| {
            found = old.iter().any(|e| e.policy.sha256() == sha256);
            old.iter()
                .filter(|e| e.policy.sha256() != sha256)
                .cloned()
                .collect::<Vec<_>>()
        });
        found
    }

    /// Replaces the whole table at once (e.g. after reading the database).
    pub fn replace(&self, entries: Vec<Entry>) {
        self.entries.store(Arc::new(entries));
    }

    /// A snapshot of the table.
    pub fn entries(&self) -> Arc<Vec<Entry>> {
        self.entries.load_full()
    }

    /// The regions with at least one entry, sorted.
    pub fn regions(&self) -> Vec<String> {
        let mut r: Vec<String> = self
            .entries
            .load()
            .iter()
            .map(|e| e.policy.manifest().region.clone())
            .collect();
        r.sort();
        r.dedup();
        r
    }
}
