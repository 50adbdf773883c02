//! Case files: `policies/<region>/cases/<name>.json`, each the facts of one claim and what the
//! policy must decide. The same files run natively (the policy crate's tests) and through the
//! engine on the built module (the conformance tests); both must agree with the file and with
//! each other.
//!
//! A case file:
//! ```json
//! { "description": "what it shows, with the arithmetic",
//!   "facts": { ... },
//!   "expected": { "outcome": "covered", "reasons": [{"code": "order_accident"}], ... } }
//! ```
//! or `"expected_error": { "code": "outside_effective_window", "field": "incident.occurred_at" }`.
//! `expected` is matched as a subset: every key it gives must be in the decision with the same
//! value; lists must have the same length and match element by element.

use crate::{Decision, Facts, PolicyError};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One case.
#[derive(Debug, Clone)]
pub struct Case {
    /// The file it came from.
    pub path: PathBuf,
    /// What it shows.
    pub description: String,
    /// The facts.
    pub facts: Facts,
    /// The expected decision (a subset), or the expected error (a subset).
    pub expected: Expected,
}

/// What a case expects.
#[derive(Debug, Clone)]
pub enum Expected {
    /// A decision matching this subset.
    Decision(Value),
    /// An error matching this subset.
    Error(Value),
}

/// Reads one case file.
pub fn load(path: &Path) -> Result<Case, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    from_value(path, v)
}

/// A case from its JSON (a case file's content); `path` names it in messages (for an uploaded
/// case, its name).
pub fn from_value(path: &Path, mut v: Value) -> Result<Case, String> {
    if !v.is_object() {
        return Err(format!("{}: a case file is a JSON object", path.display()));
    }
    let facts = serde_json::from_value(v["facts"].take())
        .map_err(|e| format!("{}: facts: {e}", path.display()))?;
    let description = v["description"].as_str().unwrap_or_default().to_string();
    let expected = match (v.get("expected"), v.get("expected_error")) {
        (Some(d), None) => Expected::Decision(d.clone()),
        (None, Some(e)) => Expected::Error(e.clone()),
        _ => {
            return Err(format!(
                "{}: give exactly one of expected, expected_error",
                path.display()
            ));
        }
    };
    Ok(Case {
        path: path.to_path_buf(),
        description,
        facts,
        expected,
    })
}

/// Reads every `*.json` case in a folder, sorted by name.
pub fn load_dir(dir: &str) -> Result<Vec<Case>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{dir}: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths.iter().map(|p| load(p)).collect()
}

/// Whether `actual` contains `expected` (see the module docs).
pub fn subset_mismatch(expected: &Value, actual: &Value, at: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().find_map(|(k, ev)| match a.get(k) {
            Some(av) => subset_mismatch(ev, av, &format!("{at}.{k}")),
            None => Some(format!("{at}.{k}: missing in the decision")),
        }),
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (ev, av))| subset_mismatch(ev, av, &format!("{at}[{i}]"))),
        (Value::Array(e), Value::Array(a)) => Some(format!(
            "{at}: expected {} items, got {}: {actual}",
            e.len(),
            a.len()
        )),
        (e, a) if e == a => None,
        (e, a) => Some(format!("{at}: expected {e}, got {a}")),
    }
}

/// Checks one result against its case; `Err` says where they differ.
pub fn check(case: &Case, result: &Result<Decision, PolicyError>) -> Result<(), String> {
    let mismatch = match (&case.expected, result) {
        (Expected::Decision(e), Ok(d)) => {
            let actual = serde_json::to_value(d).map_err(|e| e.to_string())?;
            subset_mismatch(e, &actual, "decision")
        }
        (Expected::Error(e), Err(err)) => {
            let actual = serde_json::to_value(err).map_err(|e| e.to_string())?;
            subset_mismatch(e, &actual, "error")
        }
        (Expected::Decision(_), Err(err)) => {
            Some(format!("expected a decision, got error {err:?}"))
        }
        (Expected::Error(_), Ok(d)) => Some(format!("expected an error, got decision {d:?}")),
    };
    match mismatch {
        None => Ok(()),
        Some(m) => Err(format!("{}: {m}", case.path.display())),
    }
}
