//! The policy case files of every region built into the engine (the `cn-*` crates of
//! `policies/` that `build.rs` found: the one list of regions), run through the engine on the
//! built module; each must match its file. The same files run natively in each crate's own
//! tests (`cargo test --manifest-path policies/Cargo.toml --workspace`), so the native and the
//! wasm builds of a policy answer every case alike; a decision made twice in two instances is
//! byte-identical.

mod common;

use common::*;
use oip_engine::Limits;
use oip_engine::types::Facts;
use oip_sdk::cases::{check, load_dir};

/// A region of a complete policy crate carries at least this many cases; one made by
/// `oip policy new` carries its template's until its figures are filled in.
const CASES_OF_A_COMPLETE_REGION: usize = 20;

/// Whether a module's figures are complete: none missing, no figure of zero.
fn complete(m: &oip_engine::types::PolicyManifest) -> bool {
    m.parameters
        .iter()
        .all(|p| p.confidence != oip_engine::types::Confidence::Missing && p.value != Some(0))
}

fn run_region(region: &str) -> usize {
    let host = host(Limits::default());
    let module = host.load(builtin(region)).expect("load");
    assert_eq!(module.manifest().region, region);
    let dir = format!(
        "{}/../policies/{}/cases",
        env!("CARGO_MANIFEST_DIR"),
        region.to_lowercase()
    );
    let cases = load_dir(&dir).expect("cases");
    assert!(!cases.is_empty(), "{region}: no cases");
    if complete(module.manifest()) {
        assert!(
            cases.len() >= CASES_OF_A_COMPLETE_REGION,
            "{region}: only {} cases",
            cases.len()
        );
    }
    let decide = |facts: &Facts| {
        host.decide(&module, facts).map_err(|e| match e {
            oip_engine::Error::Guest { error, .. } => error,
            other => panic!("{region}: engine error {other}"),
        })
    };
    let mut failures = Vec::new();
    for case in &cases {
        let (first, second) = (decide(&case.facts), decide(&case.facts));
        let bytes =
            |r: &Result<oip_engine::Evaluated, _>| r.as_ref().map(|e| e.decision_json.clone()).ok();
        if bytes(&first) != bytes(&second) {
            failures.push(format!("{}: two instances differ", case.path.display()));
        }
        if let Err(e) = check(case, &first.map(|e| e.decision)) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{region}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    cases.len()
}

/// The regions built in: the `cn-*` crates of the guest workspace.
fn regions() -> Vec<&'static str> {
    oip_engine::builtin::POLICIES
        .iter()
        .map(|p| p.region)
        .collect()
}

#[test]
fn every_policy_crate_is_a_built_in_module() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies");
    let mut crates: Vec<String> = std::fs::read_dir(dir)
        .expect("policies/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.starts_with("cn-"))
        .map(|n| n.to_uppercase())
        .collect();
    crates.sort();
    let mut built: Vec<String> = regions().into_iter().map(str::to_string).collect();
    built.sort();
    assert_eq!(built, crates);
}

#[test]
fn every_region_s_cases_pass_through_the_engine() {
    for r in regions() {
        run_region(r);
    }
}

/// Whether a region has the outpatient case the cross-region tests use (a region made by
/// `oip policy new` has not yet).
fn has_outpatient_case(region: &str) -> bool {
    std::path::Path::new(&format!(
        "{}/../policies/{}/cases/covered_order_accident_outpatient.json",
        env!("CARGO_MANIFEST_DIR"),
        region.to_lowercase()
    ))
    .exists()
}

#[test]
fn fast_tracks_are_regional_code() {
    // Beijing's minor-injury fast track and Hainan's are code in their crates, not flags.
    let host = host(Limits::default());
    for (region, fast) in [
        ("CN-BJ", true),
        ("CN-HI", true),
        ("CN-SH", false),
        ("CN-SC", false),
    ] {
        let m = host.load(builtin(region)).expect("load");
        let d = host
            .decide(&m, &example_outpatient(region))
            .expect("decide");
        assert_eq!(d.decision.fast_track, fast, "{region}");
    }
}

fn example_outpatient(region: &str) -> Facts {
    let dir = format!(
        "{}/../policies/{}/cases",
        env!("CARGO_MANIFEST_DIR"),
        region.to_lowercase()
    );
    let path = format!("{dir}/covered_order_accident_outpatient.json");
    oip_sdk::cases::load(std::path::Path::new(&path))
        .expect("case")
        .facts
}

#[test]
fn a_claim_in_each_region_is_decided_by_its_own_module_inside_its_window_only() {
    let host = host(Limits::default());
    let registry = oip_engine::Registry::new();
    for (i, b) in oip_engine::builtin::POLICIES.iter().enumerate() {
        let p = host.load(b.wasm).expect("load");
        registry.activate(oip_engine::Entry::from_manifest(p, i as u64));
    }
    for region in regions().into_iter().filter(|r| has_outpatient_case(r)) {
        let mut facts = example_outpatient(region);
        let p = registry.policy_for(&facts).expect("in force");
        assert_eq!(p.manifest().region, region);
        let d = host.decide(&p, &facts).expect("decide");
        assert_eq!(d.provenance.region, region);
        assert_eq!(d.provenance.sha256, p.sha256());
        // The day before the region's start: no policy in force, and the caller is told so.
        let start = p.manifest().effective_from;
        let before = start.add_days(-1).start_beijing();
        facts.incident.occurred_at = oip_engine::types::Timestamp(before.0 + 10 * 3600);
        match registry.policy_for(&facts) {
            Err(oip_engine::Error::NoPolicyInForce { region: r, date }) => {
                assert_eq!(r, region);
                assert_eq!(date, start.add_days(-1).to_string());
            }
            other => panic!("{region}: expected NoPolicyInForce, got {other:?}"),
        }
    }
    let mut elsewhere = example_outpatient("CN-SC");
    elsewhere.region = "CN-JL".into();
    assert!(matches!(
        registry.policy_for(&elsewhere),
        Err(oip_engine::Error::NoPolicyInForce { .. })
    ));
}
