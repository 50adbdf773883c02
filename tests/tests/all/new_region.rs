//! A new region from nothing: `oip policy new CN-XZ` in a copy of the guest workspace makes a
//! crate whose own tests pass, and which the rest of the repository takes as it is — the
//! engine's build finds it by its `cn-*` folder, and the conformance tests and the region
//! counts read the list that build makes, so no other file needs an edit. The command finds
//! the repository's policy workspace from any folder inside it (issue 17, item 5).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Copies a folder, leaving out build output.
fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let name = e.file_name();
        if name == "target" {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        if src.is_dir() {
            copy(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

#[test]
fn a_new_region_from_the_template_passes_its_own_tests() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tmp = oip_tests::temp_dir("new-region");
    // The guest workspace without its regions, and what it builds on.
    let ws = tmp.join("policies");
    std::fs::create_dir_all(&ws).expect("mkdir");
    for f in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(repo.join("policies").join(f), ws.join(f)).expect("copy");
    }
    copy(&repo.join("policies/.cargo"), &ws.join(".cargo"));
    copy(&repo.join("plugins"), &tmp.join("plugins"));

    // Run from a folder deep inside the repository, with no --workspace: the command finds
    // the repository's policies/ itself.
    let out = crate::oip_cli()
        .args([
            "policy",
            "new",
            "CN-XZ",
            "--name-zh",
            "西藏",
            "--name-en",
            "Tibet",
        ])
        .current_dir(tmp.join("plugins/sdk/src"))
        .output()
        .expect("oip policy new");
    let hint = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{hint}");
    let made = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert_eq!(made, ws.join("cn-xz"));
    // The next steps it prints work in that order: a test needs the module built first.
    assert!(
        hint.contains("oip policy build CN-XZ && oip policy test CN-XZ"),
        "{hint}"
    );
    assert!(
        made.join("cases")
            .read_dir()
            .expect("cases")
            .next()
            .is_some()
    );

    // Its own tests (the template's case, natively), in a target folder kept between runs.
    let target = repo.join("target/new-region");
    let status = Command::new(env!("CARGO"))
        .args(["test", "--quiet", "-p", "oip-policy-cn-xz"])
        .current_dir(&ws)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("cargo test");
    assert!(status.success(), "the new crate's own tests pass");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Issue 17, item 5 / issue 16, item 7: `casegen.py` deleted every case file of a region,
/// hand-written ones included. It now replaces and removes only the cases it wrote (listed in
/// `cases/.casegen`), keeps any other file, and says what parameters.json lacks for a region.
#[test]
fn casegen_keeps_hand_written_cases() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let casegen = repo.join("policies/tools/casegen.py");
    let out = oip_tests::temp_dir("casegen");
    std::fs::create_dir_all(&out).expect("mkdir");
    let hand = r#"{"description": "hand-written", "facts": {}, "expected": {}}"#;
    std::fs::write(out.join("hand_written.json"), hand).expect("write");
    // A name generated last time and no longer: removed. A generated name also written by
    // hand (not in the index): kept.
    std::fs::write(out.join("dropped_generated.json"), "{}").expect("write");
    std::fs::write(out.join("covered_violence.json"), hand).expect("write");
    std::fs::write(out.join(".casegen"), "dropped_generated\n").expect("write");
    let run = Command::new("python3")
        .arg(&casegen)
        .args(["CN-SC", "--out"])
        .arg(&out)
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("kept covered_violence.json"), "{stderr}");
    let read = |n: &str| std::fs::read_to_string(out.join(n)).ok();
    assert_eq!(read("hand_written.json").as_deref(), Some(hand));
    assert_eq!(read("covered_violence.json").as_deref(), Some(hand));
    assert_eq!(read("dropped_generated.json"), None);
    // Every generated case is the same as the repository's own.
    let ours = repo.join("policies/cn-sc/cases");
    let index = read(".casegen").expect("index");
    assert!(index.lines().count() >= 30, "{index}");
    for name in index.lines() {
        let file = format!("{name}.json");
        assert_eq!(
            read(&file),
            std::fs::read_to_string(ours.join(&file)).ok(),
            "{file}"
        );
    }
    assert!(!index.contains("covered_violence"), "{index}");

    let run = Command::new("python3")
        .arg(&casegen)
        .args(["CN-XZ", "--out"])
        .arg(&out)
        .output()
        .expect("python3 runs");
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("avg_monthly_wage_all_urban_employed.CN-XZ"),
        "{stderr}"
    );
}
