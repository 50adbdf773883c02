//! Every limit of the sandbox, obeyed and violated, with the hostile fixture; after each
//! violation the same host decides a good claim (and the hostile module behaves again).

mod common;

use common::*;
use oip_engine::types::{IncidentKind, Outcome};
use oip_engine::{Error, Limits, PolicyHost};
use std::time::{Duration, Instant};

fn still_serving(host: &PolicyHost) {
    let good = host.load(builtin("CN-SC")).expect("load CN-SC");
    let d = host
        .decide(&good, &example_facts())
        .expect("a good module still decides");
    assert_eq!(d.decision.outcome, Outcome::Covered);
    let hostile = load_fixture(host, "hostile");
    let calm = host
        .decide(&hostile, &hostile_facts(IncidentKind::TrafficAccident, 0))
        .expect("calm call");
    assert_eq!(calm.decision.reasons[0].code, "call-1");
}

#[test]
fn endless_loop_runs_out_of_fuel() {
    let host = host(Limits {
        fuel: Some(5_000_000),
        timeout: Duration::from_secs(30),
        ..Limits::default()
    });
    let m = load_fixture(&host, "hostile");
    // Obeyed: a thousand iterations fit in the budget.
    host.decide(&m, &hostile_facts(IncidentKind::OrderAccident, 1_000))
        .expect("short loop");
    // Violated: an endless loop.
    let err = host
        .decide(&m, &hostile_facts(IncidentKind::OrderAccident, u64::MAX))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutOfFuel {
                limit: 5_000_000,
                ..
            }
        ),
        "{err:?}"
    );
    still_serving(&host);
}

#[test]
fn endless_loop_is_stopped_by_the_deadline() {
    let limit = Duration::from_millis(50);
    let host = host(Limits {
        fuel: None,
        timeout: limit,
        ..Limits::default()
    });
    let m = load_fixture(&host, "hostile");
    host.decide(&m, &hostile_facts(IncidentKind::OrderAccident, 1_000))
        .expect("short loop");
    let started = Instant::now();
    let err = host
        .decide(&m, &hostile_facts(IncidentKind::OrderAccident, u64::MAX))
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(took >= limit, "stopped before its deadline: {took:?}");
    assert!(took < limit * 20, "stopped far too late: {took:?}");
    still_serving(&host);
}

#[test]
fn memory_bomb_hits_the_memory_limit() {
    let host = host(Limits {
        memory_bytes: 8 << 20,
        ..Limits::default()
    });
    let m = load_fixture(&host, "hostile");
    host.decide(&m, &hostile_facts(IncidentKind::Violence, 1 << 20))
        .expect("1 MiB fits in 8 MiB");
    let err = host
        .decide(&m, &hostile_facts(IncidentKind::Violence, 1 << 30))
        .unwrap_err();
    assert!(
        matches!(err, Error::MemoryLimit { limit, .. } if limit == 8 << 20),
        "{err:?}"
    );
    still_serving(&host);
}

#[test]
fn unbounded_recursion_overflows_the_stack() {
    let host = host(Limits::default());
    let m = load_fixture(&host, "hostile");
    host.decide(&m, &hostile_facts(IncidentKind::Missing, 100))
        .expect("shallow recursion");
    let err = host
        .decide(&m, &hostile_facts(IncidentKind::Missing, u64::MAX))
        .unwrap_err();
    assert!(
        matches!(err, Error::StackOverflow { .. } | Error::Trap { .. }),
        "recursion must end in a stack trap: {err:?}"
    );
    still_serving(&host);
}

#[test]
fn a_panic_is_a_trap() {
    let host = host(Limits::default());
    let m = load_fixture(&host, "hostile");
    let err = host
        .decide(&m, &hostile_facts(IncidentKind::Other, 0))
        .unwrap_err();
    assert!(matches!(err, Error::Trap { .. }), "{err:?}");
    assert!(err.is_runtime_fault());
    still_serving(&host);
}

#[test]
fn huge_output_is_refused() {
    let host = host(Limits {
        output_bytes: 64 << 10,
        ..Limits::default()
    });
    let m = load_fixture(&host, "hostile");
    host.decide(&m, &hostile_facts(IncidentKind::SuddenIllness, 10 << 10))
        .expect("10 KiB fits");
    let err = host
        .decide(&m, &hostile_facts(IncidentKind::SuddenIllness, 1 << 20))
        .unwrap_err();
    assert!(
        matches!(err, Error::OutputTooLarge { limit, size, .. } if limit == 64 << 10 && size > 1 << 20),
        "{err:?}"
    );
    still_serving(&host);
}

#[test]
fn no_state_leaks_between_decisions() {
    let host = host(Limits::default());
    let m = load_fixture(&host, "hostile");
    for _ in 0..5 {
        let d = host
            .decide(&m, &hostile_facts(IncidentKind::TrafficAccident, 0))
            .expect("decide");
        assert_eq!(
            d.decision.reasons[0].code, "call-1",
            "a fresh instance has seen one call"
        );
    }
    // A reused instance does carry state: the reason fresh instances are the rule.
    let mut reused = host.reused_instance(&m).expect("instance");
    reused
        .decide(&hostile_facts(IncidentKind::TrafficAccident, 0))
        .expect("first");
    let second = reused
        .decide(&hostile_facts(IncidentKind::TrafficAccident, 0))
        .expect("second");
    assert_eq!(second.reasons[0].code, "call-2");
}

#[test]
fn a_module_importing_wasi_is_refused() {
    let host = host(Limits::default());
    let err = host.load(&fixture_bytes("imports-wasi")).unwrap_err();
    match err {
        Error::ForbiddenImport { name } => assert_eq!(name, "wasi:clocks/wall-clock@0.2.0"),
        other => panic!("expected ForbiddenImport, got {other:?}"),
    }
}

#[test]
fn a_module_for_another_wit_major_is_refused() {
    let host = host(Limits::default());
    let err = host.load(&fixture_bytes("wit-v2")).unwrap_err();
    match err {
        Error::Incompatible { expected, found } => {
            assert_eq!(expected, "1.1.0");
            assert_eq!(found, "2.0.0");
        }
        other => panic!("expected Incompatible, got {other:?}"),
    }
}

#[test]
fn garbage_is_refused() {
    let host = host(Limits::default());
    assert!(matches!(
        host.load(b"not wasm at all").unwrap_err(),
        Error::Invalid { .. }
    ));
    let mut truncated = builtin("CN-SC").to_vec();
    truncated.truncate(truncated.len() / 2);
    assert!(matches!(
        host.load(&truncated).unwrap_err(),
        Error::Invalid { .. }
    ));
}

#[test]
fn concurrent_decisions_beyond_the_pool_are_busy_not_stuck() {
    let host = host(Limits {
        instances: 2,
        fuel: None,
        timeout: Duration::from_millis(300),
        ..Limits::default()
    });
    let m = load_fixture(&host, "hostile");
    std::thread::scope(|s| {
        let slow: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    loop {
                        // A slow call may meet the pool full of the probe's instance: try again.
                        match host.decide(&m, &hostile_facts(IncidentKind::OrderAccident, u64::MAX))
                        {
                            Err(Error::Busy { .. }) => std::thread::yield_now(),
                            other => return other,
                        }
                    }
                })
            })
            .collect();
        // While both slots are taken by endless loops, a third decision fails at once.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut saw_busy = false;
        while Instant::now() < deadline && !saw_busy {
            match host.decide(&m, &hostile_facts(IncidentKind::TrafficAccident, 0)) {
                Err(Error::Busy { limit: 2 }) => saw_busy = true,
                _ => std::thread::yield_now(),
            }
        }
        for h in slow {
            assert!(matches!(
                h.join().expect("thread"),
                Err(Error::Timeout { .. })
            ));
        }
        assert!(saw_busy, "a third decision never saw the pool full");
    });
    still_serving(&host);
}

/// Issue 15, item 9: the bindings typechecked `oip:policy/policy@1.0.0` while the engine
/// called the first `@1.0.x` export it found, unchecked. A module exporting the interface
/// twice (the second version's `decide` takes a `u32`) is refused at load.
#[test]
fn a_module_exporting_the_interface_twice_is_refused_rather_than_called_unchecked() {
    let host = host(Limits::default());
    match host.load(&fixture_bytes("two-exports")) {
        Err(Error::Invalid { reason }) => {
            assert!(reason.contains("1.0.1"), "{reason}");
            assert!(reason.contains("1.0.0"), "{reason}");
        }
        Err(other) => panic!("expected Invalid, got {other:?}"),
        Ok(p) => panic!("loaded {}: a module exporting two versions", p.sha256()),
    }
}
