//! The oip policy engine: the WIT contract, the sandboxed wasmtime host, the policy registry.
//!
//! A region's rules live in a WebAssembly component that imports nothing and exports
//! `oip:policy/policy@1.1.0` (see `engine/wit/policy.wit`; 1.0 modules still load). [`PolicyHost`] checks and compiles
//! such a module once ([`PolicyHost::load`]) and runs every decision in a fresh instance under
//! [`Limits`] ([`PolicyHost::decide`]); failures come back as typed [`Error`]s, never panics.
//! [`Registry`] maps `(region, incident date)` to the version in force and swaps atomically.
//! The rest of the system sees these types and the domain types of [`types`], never wasmtime's.

pub mod builtin;
mod cache;
pub mod canonical;
mod contract;
mod error;
mod host;
mod limits;
pub mod registry;

pub use cache::CacheKey;
pub use error::Error;
pub use host::{HostConfig, LoadStats, LoadedPolicy, PolicyHost, ReusedInstance};
pub use limits::Limits;
pub use oip_types as types;
pub use registry::{Entry, Registry};

/// Where a decision comes from: enough to replay it and to explain it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    /// The module's policy id.
    pub policy_id: String,
    /// Its region.
    pub region: String,
    /// Its version.
    pub version: String,
    /// SHA-256 of the component bytes.
    pub sha256: String,
    /// The WIT version it was built against.
    pub wit_version: String,
    /// SHA-256 of the canonical facts.
    pub facts_sha256: String,
}

/// A decision with its provenance.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Evaluated {
    /// What the module decided.
    pub decision: types::Decision,
    /// Which module, on which facts.
    pub provenance: Provenance,
    /// The decision's canonical JSON, made once for the output cap and reused by whoever
    /// stores or compares it.
    #[serde(skip)]
    pub decision_json: Vec<u8>,
}
