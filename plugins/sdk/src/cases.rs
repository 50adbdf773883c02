//! Case files and their checker (see `oip_types::cases`), and [`assert_dir`], which runs a
//! folder of them natively through a policy.

pub use oip_types::cases::*;

use crate::Policy;

/// Runs every case of a folder natively through `P` and panics with every failure.
pub fn assert_dir<P: Policy>(dir: &str) {
    let cases = load_dir(dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(!cases.is_empty(), "no cases in {dir}");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| check(c, &P::decide(&c.facts)).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
