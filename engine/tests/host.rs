//! Loading, caching, determinism and replay, and the registry.

mod common;

use common::*;
use oip_engine::canonical::{canonical_facts, decision_json, sha256_hex};
use oip_engine::types::{Date, Document, Outcome};
use oip_engine::{CacheKey, Entry, HostConfig, Limits, PolicyHost, Registry};
use std::sync::Arc;

#[test]
fn a_core_module_is_componentized_and_reads_its_manifest() {
    let host = host(Limits::default());
    let p = host.load(builtin("CN-SC")).expect("load");
    let m = p.manifest();
    assert_eq!(m.region, "CN-SC");
    assert_eq!(m.policy_id, "oip-policy-cn-sc");
    assert_eq!(m.wit_version, "1.1.0");
    assert_eq!(m.effective_from, Date::new(2022, 7, 1).unwrap());
    assert!(m.citations.iter().any(|c| c.id == "gsbx-37"));
    assert!(
        m.parameters
            .iter()
            .any(|p| p.name == "avg_monthly_wage.CN-SC.2024" && p.value == Some(764_600))
    );
    // The digest is of the component; loading that component again is the same version.
    assert_eq!(p.sha256(), sha256_hex(p.component_bytes()));
    let again = host.load(p.component_bytes()).expect("load component");
    assert_eq!(again.sha256(), p.sha256());
}

#[test]
fn the_disk_cache_is_used_on_the_second_load_and_survives_corruption() {
    let dir = std::env::temp_dir().join(format!("oip-cache-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = HostConfig {
        limits: Limits::default(),
        cache_dir: Some(dir.clone()),
        cache_key: Some(CacheKey::hmac_sha256([1; 32])),
    };
    let first = PolicyHost::new(config.clone()).expect("host");
    let a = first.load(builtin("CN-SC")).expect("load");
    assert!(!a.stats().from_cache);
    let facts = example_facts();
    let da = first.decide(&a, &facts).expect("decide");
    drop(first);
    // A new host (a restart) loads from the cache, and decides identically.
    let second = PolicyHost::new(config.clone()).expect("host");
    let b = second.load(builtin("CN-SC")).expect("load");
    assert!(b.stats().from_cache);
    let db = second.decide(&b, &facts).expect("decide");
    assert_eq!(da, db);
    // A corrupted entry is discarded and the module recompiled, never deserialized.
    for entry in std::fs::read_dir(&dir).expect("dir") {
        let path = entry.expect("entry").path();
        let mut bytes = std::fs::read(&path).expect("read");
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&path, bytes).expect("write");
    }
    let third = PolicyHost::new(config).expect("host");
    let c = third.load(builtin("CN-SC")).expect("load");
    assert!(!c.stats().from_cache);
    assert_eq!(third.decide(&c, &facts).expect("decide"), db);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 15, item 5: the entries were checksummed with an unkeyed SHA-256, so anyone who could
/// write the cache folder could have the server run native code of their choosing (here:
/// another region's compiled module filed under Sichuan's name).
#[test]
fn a_cache_entry_not_authenticated_by_the_cache_key_is_recompiled_not_run() {
    let dir = std::env::temp_dir().join(format!("oip-cache-forge-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = |key: u8| HostConfig {
        limits: Limits::default(),
        cache_dir: Some(dir.clone()),
        cache_key: Some(CacheKey::hmac_sha256([key; 32])),
    };
    let host = PolicyHost::new(config(1)).expect("host");
    let sc = host.load(builtin("CN-SC")).expect("load");
    let bj = host.load(builtin("CN-BJ")).expect("load");
    drop(host);
    let entry = |sha: &str| {
        std::fs::read_dir(&dir)
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(sha))
            .expect("an entry for the module")
    };
    let (sc_path, bj_path) = (entry(sc.sha256()), entry(bj.sha256()));
    let bj_file = std::fs::read(&bj_path).expect("read");
    let forgeries: [(&str, Vec<u8>); 2] = [
        // What the old format accepted: Beijing's code under its own unkeyed SHA-256.
        ("unkeyed checksum", {
            let payload = &bj_file[64..];
            let mut f = sha256_hex(payload).into_bytes();
            f.extend_from_slice(payload);
            f
        }),
        // A genuine entry, moved to another module's name.
        ("renamed entry", bj_file.clone()),
    ];
    for (what, forged) in forgeries {
        std::fs::write(&sc_path, &forged).expect("write");
        let host = PolicyHost::new(config(1)).expect("host");
        let loaded = host.load(builtin("CN-SC")).expect("load");
        assert!(!loaded.stats().from_cache, "{what}: recompiled");
        assert_eq!(
            loaded.manifest().region,
            "CN-SC",
            "{what}: Sichuan's code runs"
        );
        assert_ne!(
            std::fs::read(&sc_path).expect("rewritten"),
            forged,
            "{what}: replaced"
        );
    }
    // Entries written under another key are not trusted either; under the right one they are.
    let other = PolicyHost::new(config(2)).expect("host");
    assert!(
        !other
            .load(builtin("CN-BJ"))
            .expect("load")
            .stats()
            .from_cache
    );
    let same = PolicyHost::new(config(2)).expect("host");
    assert!(
        same.load(builtin("CN-BJ"))
            .expect("load")
            .stats()
            .from_cache
    );
    // Issue 15, the gm profile: the same key bytes under HMAC-SM3 do not accept an entry
    // HMAC-SHA256 authenticated; what HMAC-SM3 wrote it accepts.
    let sm3 = |key: u8| HostConfig {
        cache_key: Some(CacheKey::hmac_sm3([key; 32])),
        ..config(key)
    };
    let gm = PolicyHost::new(sm3(2)).expect("host");
    assert!(!gm.load(builtin("CN-BJ")).expect("load").stats().from_cache);
    let gm_again = PolicyHost::new(sm3(2)).expect("host");
    assert!(
        gm_again
            .load(builtin("CN-BJ"))
            .expect("load")
            .stats()
            .from_cache
    );
    // And a cache without a key is refused outright.
    let keyless = HostConfig {
        cache_key: None,
        ..config(1)
    };
    assert!(PolicyHost::new(keyless).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn same_bytes_and_same_facts_give_byte_identical_decisions() {
    let facts = example_facts();
    let one = host(Limits::default());
    let two = host(Limits::default());
    let p1 = one.load(builtin("CN-SC")).expect("load");
    let p2 = two.load(builtin("CN-SC")).expect("load");
    let a = one.decide(&p1, &facts).expect("decide");
    let b = two.decide(&p2, &facts).expect("decide");
    assert_eq!(decision_json(&a.decision), decision_json(&b.decision));
    assert_eq!(a.provenance, b.provenance);
    assert_eq!(a.provenance.sha256, p1.sha256());
    assert_eq!(
        a.provenance.facts_sha256,
        sha256_hex(&canonical_facts(&facts).1)
    );
    // The order of documents does not change the canonical facts or the decision.
    let mut shuffled = facts.clone();
    shuffled.documents.reverse();
    shuffled.documents.push(Document::Diagnosis);
    let c = one.decide(&p1, &shuffled).expect("decide");
    assert_eq!(c, a);
    // A different fact changes the hash.
    let mut other = facts;
    other.medical.inpatient_days += 1;
    assert_ne!(
        one.decide(&p1, &other)
            .expect("decide")
            .provenance
            .facts_sha256,
        a.provenance.facts_sha256
    );
}

#[test]
fn the_registry_picks_the_version_in_force_and_swaps_atomically() {
    let host = host(Limits::default());
    let old = host.load(builtin("CN-SC")).expect("load");
    let reg = Registry::new();
    let day = Date::new(2025, 8, 1).unwrap();
    assert!(reg.lookup("CN-SC", day).is_none());
    reg.activate(Entry::from_manifest(old.clone(), 1));
    assert_eq!(reg.lookup("CN-SC", day).unwrap().sha256(), old.sha256());
    assert!(
        reg.lookup("CN-SC", Date::new(2022, 6, 30).unwrap())
            .is_none(),
        "before the window"
    );
    assert!(reg.lookup("CN-BJ", day).is_none(), "another region");

    // A second version (here: the hostile fixture standing in, registered for CN-SC dates by
    // its window) activated later supersedes the first for the dates it covers.
    let newer = load_fixture(&host, "hostile");
    let held: Arc<_> = reg.lookup("CN-SC", day).unwrap(); // an in-flight decision holds this
    reg.activate(Entry {
        policy: old.clone(),
        from: Date::new(2022, 7, 1).unwrap(),
        to: None,
        sequence: 1,
    });
    reg.activate(Entry {
        policy: newer.clone(),
        from: Date::new(2025, 1, 1).unwrap(),
        to: None,
        sequence: 2,
    });
    // The hostile manifest says CN-JL, so it covers CN-JL only: CN-SC keeps the old one.
    assert_eq!(reg.lookup("CN-SC", day).unwrap().sha256(), old.sha256());
    assert_eq!(reg.lookup("CN-JL", day).unwrap().sha256(), newer.sha256());
    assert!(
        reg.lookup("CN-JL", Date::new(2024, 12, 31).unwrap())
            .is_none()
    );
    assert_eq!(held.sha256(), old.sha256());
    assert_eq!(
        host.decide(&held, &example_facts())
            .expect("decide")
            .decision
            .outcome,
        Outcome::Covered
    );
    // Rolling back is deactivating.
    assert!(reg.deactivate(newer.sha256()));
    assert!(reg.lookup("CN-JL", day).is_none());
    assert_eq!(reg.regions(), vec!["CN-SC".to_string()]);
}

#[test]
fn a_newer_activation_supersedes_an_older_one_for_overlapping_dates() {
    let host = host(Limits::default());
    let p = host.load(builtin("CN-SC")).expect("load");
    let component = host.load(p.component_bytes()).expect("same module again");
    let reg = Registry::new();
    reg.activate(Entry {
        policy: p.clone(),
        from: Date::new(2022, 7, 1).unwrap(),
        to: None,
        sequence: 1,
    });
    assert_eq!(reg.entries().len(), 1);
    // The same digest activated again replaces its entry (new window), it does not duplicate.
    reg.activate(Entry {
        policy: component,
        from: Date::new(2023, 1, 1).unwrap(),
        to: None,
        sequence: 5,
    });
    assert_eq!(reg.entries().len(), 1);
    assert!(
        reg.lookup("CN-SC", Date::new(2022, 8, 1).unwrap())
            .is_none()
    );
    assert!(
        reg.lookup("CN-SC", Date::new(2023, 8, 1).unwrap())
            .is_some()
    );
}

#[test]
fn a_reused_instance_gives_its_memory_back_after_every_call() {
    // The policies allocate from a bump arena (plugins/sdk/src/arena.rs) that empties once a
    // call's results are freed. Without that, 5,000 decisions (several KiB each) would need
    // far more than these 4 MiB and the instance would hit the memory limit.
    let host = host(Limits {
        memory_bytes: 4 << 20,
        ..Limits::default()
    });
    let p = host.load(builtin("CN-SC")).expect("load");
    let facts = example_facts();
    let expected = host.decide(&p, &facts).expect("decide").decision;
    let mut reused = host.reused_instance(&p).expect("instance");
    for i in 0..5_000 {
        let d = reused
            .decide(&facts)
            .unwrap_or_else(|e| panic!("call {i}: {e}"));
        assert_eq!(d, expected, "call {i}");
    }
}

/// Issue 16, item 2: the contract grew to `oip:policy@1.1` (the dependant facts of Order
/// No. 18), and a module built against 1.0 still loads and decides: the facts reach it without
/// the 1.1 fields, its decision comes back whole, and the provenance names 1.0.
#[test]
fn a_module_built_against_contract_1_0_still_loads_and_decides() {
    use oip_engine::types::{Dependant, Relation, Sex};
    let host = host(Limits::default());
    let p = load_fixture(&host, "contract-1-0");
    assert_eq!(p.manifest().wit_version, "1.0.0");
    let mut facts = example_facts();
    facts.region = "CN-JL".into();
    facts.dependants = vec![
        Dependant {
            birth_date: Date::new(1960, 3, 1),
            sex: Some(Sex::Female),
            fully_incapacitated: true,
            ..Dependant::of(Relation::Parent)
        },
        Dependant::of(Relation::Child),
    ];
    let evaluated = host.decide(&p, &facts).expect("a 1.0 module decides");
    assert_eq!(evaluated.decision.outcome, Outcome::Covered);
    assert_eq!(evaluated.provenance.wit_version, "1.0.0");
    let line = &evaluated.decision.benefits[0];
    assert_eq!(line.amount_fen, Some(200));
    assert_eq!(line.formula.en, "Parent 1960-03-01, Child ?");
    // The same module and facts decide the same bytes again (replay).
    let again = host.decide(&p, &facts).expect("again");
    assert_eq!(again.decision_json, evaluated.decision_json);
}
