//! Builds the guest workspace (`policies/`: the region policies and the test fixtures) for
//! `wasm32-unknown-unknown`, so that `cargo build` / `cargo test` at the root are the only
//! commands anyone needs. The built-in region policies are embedded with `include_bytes!`; the
//! fixtures are only referred to by path (they are test material, not part of the product).
//!
//! The child cargo gets its own `--target-dir` (sharing ours would deadlock on the build lock)
//! and an environment without our `CARGO_*` build variables and `RUSTFLAGS`, so it reads the
//! guest workspace's own profile and `.cargo/config.toml`.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("engine/ has a parent")
        .to_path_buf();
    let guest = root.join("policies");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/<pkg>/out (one level deeper with --target).
    let target_root = out_dir
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "build"))
        .and_then(|b| b.parent())
        .and_then(|p| p.parent())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.join("target"));
    let guest_target = target_root.join("guest");

    watch(&root.join("engine/wit"));
    watch(&root.join("engine/wit-1.0"));
    watch(&guest.join("Cargo.toml"));
    watch(&guest.join("Cargo.lock"));
    watch(&guest.join(".cargo"));
    for dir in crate_dirs(&guest)
        .into_iter()
        .chain(crate_dirs(&root.join("plugins")))
    {
        watch(&dir.join("Cargo.toml"));
        watch(&dir.join("src"));
        watch(&dir.join("wit"));
    }
    for dir in crate_dirs(&root.join("plugins/fixtures")) {
        watch(&dir.join("Cargo.toml"));
        watch(&dir.join("src"));
        watch(&dir.join("wit"));
    }

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    ensure_wasm_target();
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&guest)
        .args([
            "build",
            "--release",
            "--workspace",
            "--target",
            "wasm32-unknown-unknown",
            "--target-dir",
        ])
        .arg(&guest_target);
    for (key, _) in env::vars_os() {
        let key_s = key.to_string_lossy();
        let strip = (key_s.starts_with("CARGO_") && key_s != "CARGO_HOME")
            || key_s == "RUSTFLAGS"
            || key_s == "RUSTC_WORKSPACE_WRAPPER"
            || key_s == "CARGO"
            || key_s == "RUSTC"
            || key_s == "RUSTDOC"
            || key_s == "TARGET"
            || key_s == "HOST"
            || key_s == "OUT_DIR"
            || key_s == "PROFILE"
            || key_s == "OPT_LEVEL"
            || key_s == "DEBUG"
            || key_s == "NUM_JOBS";
        if strip {
            cmd.env_remove(&key);
        }
    }
    let status = cmd
        .status()
        .expect("could not run cargo for the guest workspace");
    assert!(
        status.success(),
        "building the guest workspace (policies/) for wasm32 failed"
    );

    let wasm_dir = guest_target.join("wasm32-unknown-unknown/release");
    let mut src = String::new();
    src.push_str("/// The region policies built from `policies/`, as core modules with their WIT metadata.\n");
    src.push_str("pub static POLICIES: &[Builtin] = &[\n");
    for dir in crate_dirs(&guest) {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if !name.starts_with("cn-") {
            continue;
        }
        let file = format!("oip_policy_{}.wasm", name.replace('-', "_"));
        let from = wasm_dir.join(&file);
        let to = out_dir.join(&file);
        fs::copy(&from, &to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
        let region = name.to_uppercase();
        writeln!(
            src,
            "    Builtin {{ region: {region:?}, crate_name: \"oip-policy-{name}\", wasm: include_bytes!({:?}) }},",
            to.display()
        )
        .expect("write to string");
    }
    src.push_str("];\n");
    writeln!(
        src,
        "/// Where the fixture modules (`plugins/fixtures/*`) were built.\npub const FIXTURES_DIR: &str = {:?};",
        wasm_dir.display()
    )
    .expect("write to string");
    fs::write(out_dir.join("builtin.rs"), src).expect("write builtin.rs");
}

fn watch(path: &Path) {
    // A missing path would make cargo rerun this script on every build.
    if !path.exists() {
        return;
    }
    println!("cargo:rerun-if-changed={}", path.display());
}

fn crate_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join("Cargo.toml").is_file())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// `rust-toolchain.toml` names the wasm32 target, but rustup only installs it with the
/// toolchain; when the toolchain was already there (as on a fresh machine whose one toolchain
/// is the pinned one), the target is added here, once.
fn ensure_wasm_target() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    let target = std::path::Path::new(sysroot.trim()).join("lib/rustlib/wasm32-unknown-unknown");
    if !sysroot.trim().is_empty() && !target.exists() {
        println!("cargo:warning=adding the wasm32-unknown-unknown target with rustup");
        let _ = Command::new("rustup")
            .args(["target", "add", "wasm32-unknown-unknown"])
            .status();
    }
}
