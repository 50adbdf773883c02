//! The policy case files, run natively and through the engine on the built module: both must
//! match the file, and each other byte for byte.

mod common;

use common::*;
use oip_engine::Limits;
use oip_engine::canonical::decision_json;
use oip_engine::types::{Decision, Facts, PolicyError};
use oip_sdk::Policy;
use oip_sdk::cases::{check, load_dir};

/// Native entry points of the policy crates linked into this test.
fn native(region: &str) -> fn(&Facts) -> Result<Decision, PolicyError> {
    match region {
        "CN-SC" => <oip_policy_cn_sc::Sichuan as Policy>::decide,
        other => panic!("no native crate linked for {other}"),
    }
}

fn run_region(region: &str) -> usize {
    let host = host(Limits::default());
    let module = host.load(builtin(region)).expect("load");
    assert_eq!(module.manifest().region, region);
    let dir = format!("{}/../policies/{}/cases", env!("CARGO_MANIFEST_DIR"), region.to_lowercase());
    let cases = load_dir(&dir).expect("cases");
    assert!(cases.len() >= 20, "{region}: only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let native_result = native(region)(&case.facts);
        let engine_result = host.decide(&module, &case.facts).map(|e| e.decision).map_err(|e| match e {
            oip_engine::Error::Guest { error, .. } => error,
            other => panic!("{}: engine error {other}", case.path.display()),
        });
        if let Err(e) = check(case, &engine_result) {
            failures.push(format!("engine: {e}"));
        }
        if let Err(e) = check(case, &native_result) {
            failures.push(format!("native: {e}"));
        }
        let same = match (&native_result, &engine_result) {
            (Ok(a), Ok(b)) => decision_json(a) == decision_json(b),
            (Err(a), Err(b)) => a == b,
            _ => false,
        };
        if !same {
            failures.push(format!("{}: native and engine differ", case.path.display()));
        }
    }
    assert!(failures.is_empty(), "{region}: {} failures:\n{}", failures.len(), failures.join("\n"));
    cases.len()
}

#[test]
fn sichuan_cases_agree_natively_and_through_the_engine() {
    run_region("CN-SC");
}
