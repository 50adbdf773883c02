//! Shared helpers of the engine's integration tests.
#![allow(dead_code, unreachable_pub, missing_docs)]

use oip_engine::builtin::{POLICIES, fixture_path};
use oip_engine::types::{Facts, IncidentKind};
use oip_engine::{HostConfig, Limits, LoadedPolicy, PolicyHost};
use std::sync::Arc;

pub fn host(limits: Limits) -> PolicyHost {
    PolicyHost::new(HostConfig {
        limits,
        cache_dir: None,
        cache_key: None,
    })
    .expect("host")
}

pub fn builtin(region: &str) -> &'static [u8] {
    POLICIES
        .iter()
        .find(|b| b.region == region)
        .map(|b| b.wasm)
        .expect("built-in policy")
}

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).expect("fixture built by engine/build.rs")
}

pub fn load_fixture(host: &PolicyHost, name: &str) -> Arc<LoadedPolicy> {
    host.load(&fixture_bytes(name)).expect("fixture loads")
}

/// The claim example's facts (CN-SC), from the Sichuan case files.
pub fn example_facts() -> Facts {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../policies/cn-sc/cases/covered_grade9_inpatient.json"
    );
    oip_sdk::cases::load(std::path::Path::new(path))
        .expect("case")
        .facts
}

/// Facts that make the hostile fixture misbehave: `kind` chooses how, `n` how much.
pub fn hostile_facts(kind: IncidentKind, n: u64) -> Facts {
    let mut f = example_facts();
    f.region = "CN-JL".into();
    f.incident.kind = kind;
    f.medical.outpatient_fen = n;
    f
}
