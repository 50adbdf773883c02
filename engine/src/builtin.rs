//! The region policies built from `policies/` by this crate's build script, embedded so that
//! a fresh server can deploy them on first start with no further step.

/// A built-in policy module.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// ISO 3166-2:CN region code.
    pub region: &'static str,
    /// The crate it was built from.
    pub crate_name: &'static str,
    /// The core module (with WIT metadata) as cargo built it.
    pub wasm: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// The path of a fixture module built from `plugins/fixtures/<name>` (test material; not
/// embedded in the binary).
pub fn fixture_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(FIXTURES_DIR).join(format!("oip_fixture_{}.wasm", name.replace('-', "_")))
}
