//! `oip policy new`: a region's policy crate from the template.

use super::policy::crate_dir;
use anyhow::{anyhow, bail};
use std::path::{Path, PathBuf};

/// Writes a new region crate from the template.
pub fn new_crate(
    workspace: &Path,
    region: &str,
    name_zh: &str,
    name_en: &str,
    effective_from: &str,
) -> anyhow::Result<PathBuf> {
    if !crate::domain::REGIONS.contains(&region) {
        bail!("{region} is not an ISO 3166-2:CN code such as CN-SC");
    }
    let from = oip_engine::types::Date::parse(effective_from)
        .map_err(|_| anyhow!("--effective-from must be YYYY-MM-DD"))?;
    let dir = crate_dir(workspace, region);
    if dir.exists() {
        bail!("{} exists already", dir.display());
    }
    let lower = region.to_lowercase();
    let ty = name_en
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>();
    let ty = if ty.is_empty() || ty.starts_with(|c: char| c.is_ascii_digit()) {
        format!("Region{}", lower.replace("cn-", "").to_uppercase())
    } else {
        ty
    };
    let fill = |t: &str| {
        t.replace("{CODE}", region)
            .replace("{code}", &lower)
            .replace("{NAME_ZH}", name_zh)
            .replace("{NAME_EN}", name_en)
            .replace("{TYPE}", &ty)
            .replace("{Y}", &from.year.to_string())
            .replace("{M}", &from.month.to_string())
            .replace("{D}", &from.day.to_string())
    };
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::create_dir_all(dir.join("cases"))?;
    std::fs::write(dir.join("Cargo.toml"), fill(TEMPLATE_CARGO))?;
    std::fs::write(dir.join("src/lib.rs"), fill(TEMPLATE_LIB))?;
    let day_before = from.add_days(-1).to_string();
    let case = fill(TEMPLATE_CASE)
        .replace("{BEFORE}", &day_before)
        .replace("{FROM}", &from.to_string());
    std::fs::write(dir.join("cases/error_before_effective_window.json"), case)?;
    Ok(dir)
}

const TEMPLATE_CARGO: &str = r#"[package]
name = "oip-policy-{code}"
description = "Occupational injury protection policy of {NAME_EN} ({CODE})."
edition.workspace = true
version.workspace = true
license.workspace = true

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
oip-sdk.workspace = true

[dev-dependencies]
oip-sdk = { workspace = true, features = ["testing"] }

[lints]
workspace = true
"#;

const TEMPLATE_LIB: &str = r#"//! {NAME_EN} ({NAME_ZH}, {CODE}): occupational injury protection for platform workers.
//! Made by `oip policy new`: every figure below is a placeholder marked `Missing` until you
//! replace it with the published one and its source (see docs/policy-authoring.md).

use oip_sdk::types::Confidence::Missing;
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// {NAME_EN}'s figures, each with its source.
pub static REGION: Region = Region {
    code: "{CODE}",
    name_zh: "{NAME_ZH}",
    name_en: "{NAME_EN}",
    policy_version: "{Y}.1",
    effective_from: date({Y}, {M}, {D}),
    effective_to: None,
    in_force: ("TODO: the act that puts the scheme in force", Missing),
    wage_base: &[YearFigure {
        year: {Y},
        fen: 0,
        source: "TODO: the average monthly wage and its source",
        confidence: Missing,
    }],
    // The average annual wage of urban private-unit employees by year, when found (the base of
    // the 2025 procedure's death items); empty leaves those lines without an amount.
    private_wage: &[],
    min_wage: Sourced {
        value: 0,
        source: "TODO: the minimum monthly wage and its source",
        confidence: Missing,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-{code}",
    title: "TODO: the act that puts the scheme in force",
    source: "TODO",
}];

/// The {NAME_EN} policy.
pub struct {TYPE};

impl Policy for {TYPE} {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!({TYPE});

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::{TYPE}>(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"));
    }
}
"#;

const TEMPLATE_CASE: &str = r#"{
  "description": "Incident on {BEFORE}, the day before the policy takes effect ({FROM}): the module refuses to decide.",
  "facts": {
    "region": "{CODE}",
    "industry": "instant_delivery",
    "order": { "accepted_at": "{BEFORE}T10:02:00+08:00", "completed_at": "{BEFORE}T10:48:00+08:00" },
    "incident": { "occurred_at": "{BEFORE}T10:15:00+08:00", "kind": "order_accident", "on_reasonable_route": true, "worker_fault": "none" },
    "exclusions": { "intentional_crime": false, "intoxicated_or_drugged": false, "self_harm": false },
    "medical": { "first_treatment_at": "{BEFORE}T10:50:00+08:00", "outpatient_fen": 120000, "inpatient_fen": 0, "out_of_catalogue_fen": 0, "inpatient_days": 0, "treated_outside_region": false },
    "assessment": { "disability_grade": null, "care_level": null, "assessed_at": null },
    "death": null,
    "dependants": [],
    "application": { "applicant": "platform", "applied_at": "{BEFORE}T16:00:00+08:00", "late_statement": false, "complete_at": null },
    "documents": ["benefit_application_form", "consent_form", "id_card", "order_record", "incident_statement", "diagnosis", "medical_receipts"]
  },
  "expected_error": { "code": "outside_effective_window", "field": "incident.occurred_at" }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn the_template_fills_every_placeholder() {
        let dir = std::env::temp_dir().join(format!("oip-new-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let made = new_crate(&dir, "CN-XZ", "西藏", "Tibet", "2026-03-01").expect("new crate");
        for f in [
            "Cargo.toml",
            "src/lib.rs",
            "cases/error_before_effective_window.json",
        ] {
            let text = std::fs::read_to_string(made.join(f)).expect("file");
            assert!(
                !text.contains("{CODE}") && !text.contains("{TYPE}") && !text.contains("{BEFORE}"),
                "{f}"
            );
        }
        let lib = std::fs::read_to_string(made.join("src/lib.rs")).expect("lib");
        assert!(lib.contains("date(2026, 3, 1)") && lib.contains("pub struct Tibet;"));
        let case: Value = serde_json::from_str(
            &std::fs::read_to_string(made.join("cases/error_before_effective_window.json"))
                .expect("case"),
        )
        .expect("case JSON");
        assert_eq!(
            case["facts"]["incident"]["occurred_at"],
            "2026-02-28T10:15:00+08:00"
        );
        assert!(
            new_crate(&dir, "CN-XZ", "西藏", "Tibet", "2026-03-01").is_err(),
            "exists"
        );
        assert!(
            new_crate(&dir, "XX-00", "", "", "2026-03-01").is_err(),
            "bad region"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
