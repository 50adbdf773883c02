//! Validation: request bodies read with every structural problem named by its path
//! ([`parse`]), and a claim report turned into the facts a policy decides on plus the worker's
//! personal data kept apart ([`claim`]), section by section: what the OpenAPI schema cannot
//! state is checked here (a check character, an impossible date, the order of instants, nothing
//! in the future).

mod id_number;
mod patch;
mod report;
mod sections;
mod strict;

pub use id_number::{id_number_problem, mask_id};
pub use patch::*;
pub use report::*;

use crate::domain::Narrative;
use crate::error::{Code, Error, FieldProblem};
use oip_engine::types::{Document, Facts, Timestamp};

/// The worker's personal data: never given to a policy, encrypted at rest, never logged (its
/// `Debug` shows the masked identity number only).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Worker {
    /// 18-character resident identity number.
    pub id_number: String,
    /// Name.
    pub name: String,
    /// Birth date, as given.
    pub birth_date: Option<String>,
    /// Phone, as given.
    pub phone: Option<String>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id_number", &mask_id(&self.id_number))
            .finish_non_exhaustive()
    }
}

/// A claim that passed validation.
#[derive(Clone, Debug)]
pub struct ValidClaim {
    /// The platform's own reference.
    pub platform_claim_ref: String,
    /// The facts for the policy (nothing personal).
    pub facts: Facts,
    /// The worker's personal data.
    pub worker: Worker,
    /// What people read: order id, location, description.
    pub narrative: Narrative,
}

/// The problem of a failed deserialization at its field's path (`worker.id_number`,
/// `documents[0]`); an unknown or missing field is named itself, not its parent.
fn problem(e: &serde_path_to_error::Error<serde_json::Error>) -> FieldProblem {
    let mut path = e.path().to_string();
    if path == "." {
        path.clear();
    }
    let mut message = e.inner().to_string();
    if let Some(at) = message.find(" at line ") {
        message.truncate(at);
    }
    for prefix in ["unknown field `", "missing field `"] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((name, _)) = rest.split_once('`')
        {
            if !path.ends_with(name) {
                path = if path.is_empty() {
                    name.to_string()
                } else {
                    format!("{path}.{name}")
                };
            }
            message = if prefix.starts_with("unknown") {
                "unknown field".into()
            } else {
                "required".into()
            };
        }
    }
    FieldProblem::new(path, message)
}

/// Reads a JSON body into `T`: `malformed_request` when it is not JSON at all, otherwise its
/// first structural problem, at its path, under `code` (`invalid_claim` or `invalid_request`).
pub fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8], code: Code) -> Result<T, Error> {
    let malformed = |e: &serde_json::Error| {
        Error::new(Code::MalformedRequest).message(
            format!("请求不是有效的 JSON：{e}"),
            format!("not JSON: {e}"),
        )
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = match serde_path_to_error::deserialize::<_, T>(strict::Strict(&mut de)) {
        Ok(v) => v,
        Err(e) if e.inner().is_syntax() || e.inner().is_eof() => return Err(malformed(e.inner())),
        Err(e) => return Err(Error::with_fields(code, vec![problem(&e)])),
    };
    de.end().map_err(|e| malformed(&e))?;
    Ok(v)
}

/// Collects problems with their paths.
#[derive(Default)]
pub(crate) struct Problems(pub(crate) Vec<FieldProblem>);

impl Problems {
    pub(crate) fn bad(&mut self, path: &str, problem: impl Into<String>) {
        self.0.push(FieldProblem::new(path, problem));
    }

    /// An RFC 3339 instant at `path`.
    pub(crate) fn timestamp(&mut self, path: &str, s: &str) -> Option<Timestamp> {
        match Timestamp::parse_rfc3339(s) {
            Ok(t) => Some(t),
            Err(e) => {
                self.bad(
                    path,
                    format!("{e} (RFC 3339 with an offset, e.g. 2025-08-01T10:15:00+08:00)"),
                );
                None
            }
        }
    }

    /// A date at `path`.
    pub(crate) fn date(&mut self, path: &str, s: &str) -> Option<oip_engine::types::Date> {
        match oip_engine::types::Date::parse(s) {
            Ok(d) => Some(d),
            Err(e) => {
                self.bad(path, format!("{e} (YYYY-MM-DD)"));
                None
            }
        }
    }

    /// A string that must hold more than whitespace.
    pub(crate) fn not_blank(&mut self, path: &str, s: &str) {
        if s.trim().is_empty() {
            self.bad(path, "must not be empty");
        }
    }
}

/// Validates a claim report. `now` bounds the instants (nothing may lie in the future).
pub fn claim(report: &ClaimReport, now: Timestamp) -> Result<ValidClaim, Vec<FieldProblem>> {
    let mut p = Problems::default();
    let valid = sections::claim(report, now, &mut p);
    match valid {
        Some(v) if p.0.is_empty() => Ok(v),
        _ if !p.0.is_empty() => Err(p.0),
        _ => Err(vec![FieldProblem::new("", "incomplete claim")]),
    }
}

/// Validates facts given as a policy reads them (`/v1/evaluate`'s facts form, a supplement's
/// amended facts): their bounds and their coherence, each problem named under `facts.`.
pub fn facts(f: &Facts, now: Timestamp) -> Result<(), Vec<FieldProblem>> {
    let mut p = Problems::default();
    sections::check_ranges(f, &mut p);
    sections::check_facts(f, now, &mut p);
    if p.0.is_empty() {
        return Ok(());
    }
    Err(p
        .0
        .into_iter()
        .map(|mut x| {
            x.path = format!("facts.{}", x.path);
            x
        })
        .collect())
}

/// The facts of what `/v1/evaluate` (and `oip policy eval`) is given: `{"facts": ...}`, facts
/// as a policy reads them, or a claim report, validated as intake validates it.
pub fn facts_of_body(body: &[u8], now: Timestamp) -> Result<Facts, Error> {
    /// Which form the body takes: a top-level `facts` member makes it the facts form.
    #[derive(serde::Deserialize)]
    struct Form {
        facts: Option<serde::de::IgnoredAny>,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct FactsOnly {
        facts: Facts,
    }
    match serde_json::from_slice::<Form>(body) {
        Ok(Form { facts: Some(_) }) => {
            let f = parse::<FactsOnly>(body, Code::InvalidClaim)?.facts;
            facts(&f, now).map_err(Error::invalid_claim)?;
            Ok(f)
        }
        _ => {
            let report = parse::<ClaimReport>(body, Code::InvalidClaim)?;
            Ok(claim(&report, now).map_err(Error::invalid_claim)?.facts)
        }
    }
}

/// The document codes, as the API spells them.
pub fn document_code(d: Document) -> &'static str {
    match d {
        Document::BenefitApplicationForm => "benefit_application_form",
        Document::ConsentForm => "consent_form",
        Document::IdCard => "id_card",
        Document::OrderRecord => "order_record",
        Document::IncidentStatement => "incident_statement",
        Document::Diagnosis => "diagnosis",
        Document::MedicalReceipts => "medical_receipts",
        Document::LiabilityFinding => "liability_finding",
        Document::DisabilityAssessment => "disability_assessment",
        Document::DeathCertificate => "death_certificate",
        Document::KinshipProof => "kinship_proof",
        Document::LateApplicationStatement => "late_application_statement",
    }
}

#[cfg(test)]
mod tests;
