//! `oip policy eval`: a module file decides facts on this machine, as the server would decide
//! them (the same validation of the input, the same engine and limits), with nothing sent or
//! stored. It takes what `/v1/evaluate` takes, or a region's case file (its facts). `--trace` lists what the decision rests on: each rule applied (the reasons' and the
//! benefit lines' citations) and each figure read, with its period, source and confidence.

use crate::notice::code;
use anyhow::{Context, anyhow};
use oip_engine::types::{Citation, Decision};
use std::fmt::Write as _;
use std::path::Path;

/// Decides the facts of `facts` with `module`; prints the decision (JSON) on stdout and, with
/// `trace`, the rules and figures on stderr. A refusal (of the input or by the module) is an
/// error naming the code and every field at fault.
pub(super) fn eval(module: &Path, facts: &Path, trace: bool) -> anyhow::Result<()> {
    let mut body = std::fs::read(facts).with_context(|| facts.display().to_string())?;
    // A case file (`description`, `facts`, `expected`) is tried on its facts.
    if let Ok(serde_json::Value::Object(mut case)) = serde_json::from_slice(&body)
        && case.contains_key("expected")
        && let Some(f) = case.remove("facts")
    {
        body = serde_json::to_vec(&serde_json::json!({ "facts": f }))?;
    }
    let facts = crate::validate::facts_of_body(&body, crate::now()).map_err(refusal)?;
    let host = oip_engine::PolicyHost::new(oip_engine::HostConfig::default())?;
    let bytes = std::fs::read(module).with_context(|| module.display().to_string())?;
    let policy = host
        .load(&bytes)
        .map_err(|e| refusal(crate::error::Error::from(e)))?;
    let manifest = policy.manifest();
    if manifest.region != facts.region {
        return Err(anyhow!(
            "{} is the module of {}; the facts are of {}",
            module.display(),
            manifest.region,
            facts.region
        ));
    }
    let e = host
        .decide(&policy, &facts)
        .map_err(|e| refusal(crate::error::Error::from(e)))?;
    let out = serde_json::json!({ "decision": e.decision, "policy": e.provenance });
    println!("{}", serde_json::to_string_pretty(&out)?);
    if trace {
        eprint!("{}", trace_of(&e.decision));
    }
    Ok(())
}

/// An error of the server's, as the command line says it: code, message, fields.
fn refusal(e: crate::error::Error) -> anyhow::Error {
    let mut text = e.to_string();
    for f in &e.fields {
        let _ = write!(text, "\n  {}: {}", f.path, f.problem);
    }
    anyhow!(text)
}

fn rule(c: &Citation) -> String {
    format!("{} ({}) {}", c.title, c.id, c.source)
}

/// The rules a decision applied and the figures it read, one per line.
fn trace_of(d: &Decision) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "outcome {}", code(&d.outcome));
    for r in &d.reasons {
        let _ = writeln!(out, "rule   {}: {}", r.code, rule(&r.citation));
        let _ = writeln!(out, "       {}", r.text.en);
    }
    for b in &d.benefits {
        let amount = b
            .amount_fen
            .map_or_else(|| "no amount".to_string(), |f| format!("{f} fen"));
        let _ = writeln!(
            out,
            "line   {} {} ({}, {}){}: {amount}",
            code(&b.item),
            code(&b.period),
            code(&b.payer),
            rule(&b.citation),
            if b.provisional { " provisional" } else { "" },
        );
        let _ = writeln!(out, "       {}", b.formula.en);
        for p in &b.parameters {
            let value = p
                .value
                .map_or_else(|| "none".to_string(), |v| v.to_string());
            let _ = writeln!(
                out,
                "figure   {} = {value} {}{} [{}] {}",
                p.name,
                p.unit,
                p.period
                    .as_deref()
                    .map_or_else(String::new, |x| format!(" ({x})")),
                code(&p.confidence),
                p.source
            );
        }
    }
    for doc in &d.missing_documents {
        let _ = writeln!(out, "asks   {}", code(doc));
    }
    out
}
