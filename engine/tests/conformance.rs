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
        "CN-BJ" => <oip_policy_cn_bj::Beijing as Policy>::decide,
        "CN-SH" => <oip_policy_cn_sh::Shanghai as Policy>::decide,
        "CN-JS" => <oip_policy_cn_js::Jiangsu as Policy>::decide,
        "CN-GD" => <oip_policy_cn_gd::Guangdong as Policy>::decide,
        "CN-HI" => <oip_policy_cn_hi::Hainan as Policy>::decide,
        "CN-CQ" => <oip_policy_cn_cq::Chongqing as Policy>::decide,
        "CN-SC" => <oip_policy_cn_sc::Sichuan as Policy>::decide,
        "CN-TJ" => <oip_policy_cn_tj::Tianjin as Policy>::decide,
        "CN-HE" => <oip_policy_cn_he::Hebei as Policy>::decide,
        "CN-LN" => <oip_policy_cn_ln::Liaoning as Policy>::decide,
        "CN-ZJ" => <oip_policy_cn_zj::Zhejiang as Policy>::decide,
        "CN-AH" => <oip_policy_cn_ah::Anhui as Policy>::decide,
        "CN-FJ" => <oip_policy_cn_fj::Fujian as Policy>::decide,
        "CN-SD" => <oip_policy_cn_sd::Shandong as Policy>::decide,
        "CN-HB" => <oip_policy_cn_hb::Hubei as Policy>::decide,
        "CN-GX" => <oip_policy_cn_gx::Guangxi as Policy>::decide,
        "CN-NX" => <oip_policy_cn_nx::Ningxia as Policy>::decide,
        "CN-HN" => <oip_policy_cn_hn::Hunan as Policy>::decide,
        other => panic!("no native crate linked for {other}"),
    }
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
    assert!(cases.len() >= 20, "{region}: only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let native_result = native(region)(&case.facts);
        let engine_result = host
            .decide(&module, &case.facts)
            .map(|e| e.decision)
            .map_err(|e| match e {
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
    assert!(
        failures.is_empty(),
        "{region}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    cases.len()
}

const REGIONS: [&str; 18] = [
    "CN-BJ", "CN-SH", "CN-JS", "CN-GD", "CN-HI", "CN-CQ", "CN-SC", "CN-TJ", "CN-HE", "CN-LN",
    "CN-ZJ", "CN-AH", "CN-FJ", "CN-SD", "CN-HB", "CN-GX", "CN-NX", "CN-HN",
];

#[test]
fn every_region_has_a_built_in_module() {
    let built: Vec<&str> = oip_engine::builtin::POLICIES
        .iter()
        .map(|p| p.region)
        .collect();
    for r in REGIONS {
        assert!(built.contains(&r), "{r} is not built in");
    }
    assert_eq!(built.len(), REGIONS.len());
}

#[test]
fn every_region_s_cases_agree_natively_and_through_the_engine() {
    let total: usize = REGIONS.iter().map(|r| run_region(r)).sum();
    assert!(total >= 18 * 30, "only {total} cases");
}

#[test]
fn fast_tracks_are_regional_code() {
    // Beijing's minor-injury fast track and Hainan's are code in their crates, not flags.
    assert!(oip_policy_cn_bj::qualifies(&example_outpatient("CN-BJ")));
    assert!(oip_policy_cn_hi::qualifies(&example_outpatient("CN-HI")));
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
    for region in REGIONS {
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
