//! Integration tests of oip: see tests/*.rs. What the tests and the benchmarks share lives here.

/// A sample's value in a Prometheus text exposition (`name value` lines); 0 when absent.
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}
