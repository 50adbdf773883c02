//! Validation of a claim report (shared/domain/claim-example.json) into the facts a policy
//! decides on, plus the worker's personal data kept apart (encrypted at rest).
//!
//! The report is walked as JSON rather than deserialized straight into types, so that every
//! problem is reported at once, each with the path of the field at fault.

use crate::error::FieldProblem;
use oip_engine::types::{
    Applicant, Application, Assessment, CareLevel, Date, Death, Dependant, Document, Exclusions,
    Facts, Incident, IncidentKind, Industry, Medical, OrderTask, Relation, Timestamp, WorkerFault,
};
use serde_json::{Map, Value};

/// ISO 3166-2:CN codes of the provincial-level divisions.
pub const REGIONS: &[&str] = &[
    "CN-AH", "CN-BJ", "CN-CQ", "CN-FJ", "CN-GD", "CN-GS", "CN-GX", "CN-GZ", "CN-HA", "CN-HB",
    "CN-HE", "CN-HI", "CN-HK", "CN-HL", "CN-HN", "CN-JL", "CN-JS", "CN-JX", "CN-LN", "CN-MO",
    "CN-NM", "CN-NX", "CN-QH", "CN-SC", "CN-SD", "CN-SH", "CN-SN", "CN-SX", "CN-TJ", "CN-TW",
    "CN-XJ", "CN-XZ", "CN-YN", "CN-ZJ",
];

/// The worker's personal data: never given to a policy, encrypted at rest, never logged.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// A claim that passed validation.
#[derive(Clone, Debug)]
pub struct ValidClaim {
    /// The platform's own reference.
    pub platform_claim_ref: String,
    /// The facts for the policy (nothing personal).
    pub facts: Facts,
    /// The worker's personal data.
    pub worker: Worker,
    /// The rest of the report that people read: order id, location, description.
    pub narrative: Value,
}

/// Masks an identity number for display: `5101**********1234`.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// Whether an 18-character identity number is well formed: digits, a real birth date and
/// the ISO 7064 MOD 11-2 check character (GB 11643).
pub fn id_number_problem(id: &str) -> Option<&'static str> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let b = id.as_bytes();
    if b.len() != 18 {
        return Some("must be 18 characters");
    }
    if !b[..17].iter().all(u8::is_ascii_digit) {
        return Some("the first 17 characters must be digits");
    }
    let birth = &id[6..14];
    if Date::parse(&format!("{}-{}-{}", &birth[..4], &birth[4..6], &birth[6..])).is_err() {
        return Some("characters 7-14 must be a real birth date");
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    let expected = CHECK[(sum % 11) as usize];
    if b[17].to_ascii_uppercase() != expected {
        return Some("check character does not match");
    }
    None
}

struct V {
    problems: Vec<FieldProblem>,
}

impl V {
    fn bad(&mut self, path: &str, problem: impl Into<String>) {
        self.problems.push(FieldProblem::new(path, problem));
    }

    fn join(path: &str, key: &str) -> String {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    }

    /// An object at `path`, checking its keys against `allowed`.
    fn object<'v>(
        &mut self,
        v: Option<&'v Value>,
        path: &str,
        allowed: &[&str],
        required: bool,
    ) -> Option<&'v Map<String, Value>> {
        match v {
            None | Some(Value::Null) => {
                if required {
                    self.bad(path, "required");
                }
                None
            }
            Some(Value::Object(m)) => {
                for k in m.keys() {
                    if !allowed.contains(&k.as_str()) {
                        self.bad(&Self::join(path, k), "unknown field");
                    }
                }
                Some(m)
            }
            Some(_) => {
                self.bad(path, "must be an object");
                None
            }
        }
    }

    fn string(
        &mut self,
        m: &Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
        max: usize,
    ) -> Option<String> {
        let p = Self::join(path, key);
        match m.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.bad(&p, "required");
                }
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() && required => {
                self.bad(&p, "must not be empty");
                None
            }
            Some(Value::String(s)) if s.chars().count() > max => {
                self.bad(&p, format!("at most {max} characters"));
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.bad(&p, "must be a string");
                None
            }
        }
    }

    fn timestamp(
        &mut self,
        m: &Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Option<Timestamp> {
        let s = self.string(m, path, key, required, 64)?;
        match Timestamp::parse_rfc3339(&s) {
            Ok(t) => Some(t),
            Err(e) => {
                self.bad(
                    &Self::join(path, key),
                    format!("{e} (RFC 3339 with an offset, e.g. 2025-08-01T10:15:00+08:00)"),
                );
                None
            }
        }
    }

    fn date(&mut self, m: &Map<String, Value>, path: &str, key: &str) -> Option<Date> {
        let s = self.string(m, path, key, false, 16)?;
        match Date::parse(&s) {
            Ok(d) => Some(d),
            Err(e) => {
                self.bad(&Self::join(path, key), format!("{e} (YYYY-MM-DD)"));
                None
            }
        }
    }

    fn fen(&mut self, m: &Map<String, Value>, path: &str, key: &str) -> u64 {
        let p = Self::join(path, key);
        match m.get(key) {
            None | Some(Value::Null) => 0,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(v) if v <= 1_000_000_000_000 => v,
                Some(_) => {
                    self.bad(&p, "implausibly large");
                    0
                }
                None => {
                    self.bad(&p, "must be a non-negative integer number of fen");
                    0
                }
            },
            Some(_) => {
                self.bad(&p, "must be a non-negative integer number of fen");
                0
            }
        }
    }

    fn uint(
        &mut self,
        m: &Map<String, Value>,
        path: &str,
        key: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Option<u64> {
        let p = Self::join(path, key);
        match m.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(v) if range.contains(&v) => Some(v),
                _ => {
                    self.bad(
                        &p,
                        format!(
                            "must be an integer from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    );
                    None
                }
            },
            Some(_) => {
                self.bad(
                    &p,
                    format!(
                        "must be an integer from {} to {}",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
        }
    }

    fn boolean(
        &mut self,
        m: &Map<String, Value>,
        path: &str,
        key: &str,
        default: Option<bool>,
    ) -> bool {
        let p = Self::join(path, key);
        match (m.get(key), default) {
            (Some(Value::Bool(b)), _) => *b,
            (None | Some(Value::Null), Some(d)) => d,
            (None | Some(Value::Null), None) => {
                self.bad(&p, "required");
                false
            }
            (Some(_), _) => {
                self.bad(&p, "must be true or false");
                false
            }
        }
    }

    fn choice<T: Copy>(
        &mut self,
        m: &Map<String, Value>,
        path: &str,
        key: &str,
        table: &[(&str, T)],
        required: bool,
    ) -> Option<T> {
        let s = self.string(m, path, key, required, 64)?;
        match table.iter().find(|(name, _)| *name == s) {
            Some((_, t)) => Some(*t),
            None => {
                let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
                self.bad(
                    &Self::join(path, key),
                    format!("must be one of: {}", names.join(", ")),
                );
                None
            }
        }
    }
}

const INDUSTRIES: &[(&str, Industry)] = &[
    ("ride_hailing", Industry::RideHailing),
    ("instant_delivery", Industry::InstantDelivery),
    ("freight", Industry::Freight),
];
const KINDS: &[(&str, IncidentKind)] = &[
    ("order_accident", IncidentKind::OrderAccident),
    ("violence", IncidentKind::Violence),
    ("missing", IncidentKind::Missing),
    ("traffic_accident", IncidentKind::TrafficAccident),
    ("sudden_illness", IncidentKind::SuddenIllness),
    ("other", IncidentKind::Other),
];
const FAULTS: &[(&str, WorkerFault)] = &[
    ("none", WorkerFault::None),
    ("minor", WorkerFault::Minor),
    ("equal", WorkerFault::Equal),
    ("primary", WorkerFault::Primary),
    ("full", WorkerFault::Full),
    ("undetermined", WorkerFault::Undetermined),
];
const CARE: &[(&str, CareLevel)] = &[
    ("partial", CareLevel::Partial),
    ("most", CareLevel::Most),
    ("complete", CareLevel::Complete),
];
const RELATIONS: &[(&str, Relation)] = &[
    ("spouse", Relation::Spouse),
    ("child", Relation::Child),
    ("parent", Relation::Parent),
    ("sibling", Relation::Sibling),
    ("grandparent", Relation::Grandparent),
    ("grandchild", Relation::Grandchild),
];
const APPLICANTS: &[(&str, Applicant)] = &[
    ("platform", Applicant::Platform),
    ("worker", Applicant::Worker),
    ("relative", Applicant::Relative),
    ("trade_union", Applicant::TradeUnion),
];

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

/// Validates document codes at `path` (a list of strings).
pub fn documents(v: Option<&Value>, path: &str, problems: &mut Vec<FieldProblem>) -> Vec<Document> {
    let mut out = Vec::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let code = item.as_str().unwrap_or_default();
                match Document::ALL.iter().find(|d| document_code(**d) == code) {
                    Some(d) => out.push(*d),
                    None => problems.push(FieldProblem::new(
                        format!("{path}[{i}]"),
                        "unknown document code",
                    )),
                }
            }
        }
        Some(_) => problems.push(FieldProblem::new(path, "must be a list of document codes")),
    }
    out
}

/// Validates a claim report. `now` bounds the timestamps (nothing may lie in the future).
pub fn claim(body: &Value, now: Timestamp) -> Result<ValidClaim, Vec<FieldProblem>> {
    let mut v = V {
        problems: Vec::new(),
    };
    let top = [
        "platform_claim_ref",
        "region",
        "industry",
        "worker",
        "order",
        "incident",
        "exclusions",
        "medical",
        "assessment",
        "death",
        "dependants",
        "application",
        "documents",
    ];
    let Some(root) = v.object(Some(body), "", &top, true) else {
        return Err(vec![FieldProblem::new(
            "",
            "the body must be a JSON object",
        )]);
    };
    let claim_ref = v.string(root, "", "platform_claim_ref", true, 128);
    let region = v.string(root, "", "region", true, 8);
    if let Some(r) = &region {
        if !REGIONS.contains(&r.as_str()) {
            v.bad("region", "must be an ISO 3166-2:CN code such as CN-SC");
        }
    }
    let industry = v.choice(root, "", "industry", INDUSTRIES, true);

    let worker = v.object(
        root.get("worker"),
        "worker",
        &["id_number", "name", "birth_date", "phone"],
        true,
    );
    let worker = worker.and_then(|w| {
        let id = v.string(w, "worker", "id_number", true, 18);
        if let Some(problem) = id.as_deref().and_then(id_number_problem) {
            v.bad("worker.id_number", problem);
        }
        let name = v.string(w, "worker", "name", true, 64);
        let birth_date = v.date(w, "worker", "birth_date").map(|d| d.to_string());
        let phone = v.string(w, "worker", "phone", false, 32);
        Some(Worker {
            id_number: id?.to_ascii_uppercase(),
            name: name?,
            birth_date,
            phone,
        })
    });

    let order = v.object(
        root.get("order"),
        "order",
        &["order_id", "accepted_at", "completed_at"],
        true,
    );
    let (order_id, accepted, completed) = match order {
        Some(o) => (
            v.string(o, "order", "order_id", true, 128),
            v.timestamp(o, "order", "accepted_at", true),
            v.timestamp(o, "order", "completed_at", false),
        ),
        None => (None, None, None),
    };

    let incident = v.object(
        root.get("incident"),
        "incident",
        &[
            "occurred_at",
            "kind",
            "on_reasonable_route",
            "worker_fault",
            "location",
            "description",
        ],
        true,
    );
    let mut narrative = Map::new();
    let incident = incident.and_then(|i| {
        let occurred = v.timestamp(i, "incident", "occurred_at", true);
        let kind = v.choice(i, "incident", "kind", KINDS, true);
        let route = v.boolean(i, "incident", "on_reasonable_route", Some(true));
        let fault = v.choice(i, "incident", "worker_fault", FAULTS, false);
        for key in ["location", "description"] {
            if let Some(s) = v.string(i, "incident", key, false, 2000) {
                narrative.insert(key.into(), Value::String(s));
            }
        }
        Some(Incident {
            occurred_at: occurred?,
            kind: kind?,
            on_reasonable_route: route,
            worker_fault: fault,
        })
    });
    if let Some(id) = &order_id {
        narrative.insert("order_id".into(), Value::String(id.clone()));
    }

    let ex = v.object(
        root.get("exclusions"),
        "exclusions",
        &["intentional_crime", "intoxicated_or_drugged", "self_harm"],
        false,
    );
    let exclusions = match ex {
        Some(e) => Exclusions {
            intentional_crime: v.boolean(e, "exclusions", "intentional_crime", Some(false)),
            intoxicated_or_drugged: v.boolean(
                e,
                "exclusions",
                "intoxicated_or_drugged",
                Some(false),
            ),
            self_harm: v.boolean(e, "exclusions", "self_harm", Some(false)),
        },
        None => Exclusions {
            intentional_crime: false,
            intoxicated_or_drugged: false,
            self_harm: false,
        },
    };

    let med_keys = [
        "first_treatment_at",
        "outpatient_fen",
        "inpatient_fen",
        "out_of_catalogue_fen",
        "inpatient_days",
        "treated_outside_region",
    ];
    let empty = Map::new();
    let m = v
        .object(root.get("medical"), "medical", &med_keys, false)
        .unwrap_or(&empty);
    let medical = Medical {
        first_treatment_at: v.timestamp(m, "medical", "first_treatment_at", false),
        outpatient_fen: v.fen(m, "medical", "outpatient_fen"),
        inpatient_fen: v.fen(m, "medical", "inpatient_fen"),
        out_of_catalogue_fen: v.fen(m, "medical", "out_of_catalogue_fen"),
        inpatient_days: v
            .uint(m, "medical", "inpatient_days", 0..=3650)
            .unwrap_or(0) as u32,
        treated_outside_region: v.boolean(m, "medical", "treated_outside_region", Some(false)),
    };

    let a = v
        .object(
            root.get("assessment"),
            "assessment",
            &["disability_grade", "care_level", "assessed_at"],
            false,
        )
        .unwrap_or(&empty);
    let assessment = Assessment {
        disability_grade: v
            .uint(a, "assessment", "disability_grade", 1..=10)
            .map(|g| g as u8),
        care_level: v.choice(a, "assessment", "care_level", CARE, false),
        assessed_at: v.date(a, "assessment", "assessed_at"),
    };

    let death = v
        .object(root.get("death"), "death", &["died_at"], false)
        .and_then(|d| v.timestamp(d, "death", "died_at", true))
        .map(|died_at| Death { died_at });

    let mut dependants = Vec::new();
    match root.get("dependants") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let p = format!("dependants[{i}]");
                if let Some(d) = v.object(
                    Some(item),
                    &p,
                    &["relation", "birth_date", "orphan", "lone_elderly"],
                    true,
                ) {
                    let relation = v.choice(d, &p, "relation", RELATIONS, true);
                    let birth_date = v.date(d, &p, "birth_date");
                    let orphan = v.boolean(d, &p, "orphan", Some(false));
                    let lone_elderly = v.boolean(d, &p, "lone_elderly", Some(false));
                    if let Some(relation) = relation {
                        dependants.push(Dependant {
                            relation,
                            birth_date,
                            orphan,
                            lone_elderly,
                        });
                    }
                }
            }
        }
        Some(_) => v.bad("dependants", "must be a list"),
    }
    if !dependants.is_empty() && death.is_none() {
        v.bad(
            "dependants",
            "dependants are claimed only for a deceased worker",
        );
    }

    let app = v.object(
        root.get("application"),
        "application",
        &["applicant", "applied_at", "late_statement"],
        true,
    );
    let application = app.and_then(|a| {
        let applicant = v.choice(a, "application", "applicant", APPLICANTS, true);
        let applied = v.timestamp(a, "application", "applied_at", true);
        let late = v.boolean(a, "application", "late_statement", Some(false));
        Some(Application {
            applicant: applicant?,
            applied_at: applied?,
            late_statement: late,
            complete_at: None,
        })
    });
    let docs = documents(root.get("documents"), "documents", &mut v.problems);

    // Cross-field checks: the order window is well formed and opened before the incident;
    // nothing happens before the incident or in the future.
    let future = Timestamp(now.0 + 300);
    if let (Some(acc), Some(comp)) = (accepted, completed) {
        if comp < acc {
            v.bad("order.completed_at", "must not be before order.accepted_at");
        }
    }
    if let Some(i) = &incident {
        if accepted.is_some_and(|acc| acc > i.occurred_at) {
            v.bad(
                "order.accepted_at",
                "the order must be accepted before the incident",
            );
        }
        if i.occurred_at > future {
            v.bad("incident.occurred_at", "must not be in the future");
        }
        if let Some(app) = &application {
            if app.applied_at < i.occurred_at {
                v.bad("application.applied_at", "must not be before the incident");
            }
        }
        if let Some(d) = &death {
            if d.died_at < i.occurred_at {
                v.bad("death.died_at", "must not be before the incident");
            }
        }
        if medical
            .first_treatment_at
            .is_some_and(|t| t < i.occurred_at)
        {
            v.bad(
                "medical.first_treatment_at",
                "must not be before the incident",
            );
        }
        if i.kind == IncidentKind::TrafficAccident && i.worker_fault.is_none() {
            // Allowed: the policy asks for the liability finding. Nothing to refuse here.
        }
    }
    if application.as_ref().is_some_and(|a| a.applied_at > future) {
        v.bad("application.applied_at", "must not be in the future");
    }

    if !v.problems.is_empty() {
        return Err(v.problems);
    }
    match (
        claim_ref,
        region,
        industry,
        worker,
        accepted,
        incident,
        application,
    ) {
        (
            Some(claim_ref),
            Some(region),
            Some(industry),
            Some(worker),
            Some(accepted_at),
            Some(incident),
            Some(application),
        ) => Ok(ValidClaim {
            platform_claim_ref: claim_ref,
            facts: Facts {
                region,
                industry,
                order: OrderTask {
                    accepted_at,
                    completed_at: completed,
                },
                incident,
                exclusions,
                medical,
                assessment,
                death,
                dependants,
                application,
                documents: docs,
            },
            worker,
            narrative: Value::Object(narrative),
        }),
        _ => Err(vec![FieldProblem::new("", "incomplete claim")]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Value {
        // docs/claim-example.json: the shared example with a valid check character (the shared
        // example's …1234 fails its own check; it should end in 7).
        serde_json::from_str(include_str!("../../docs/claim-example.json")).unwrap()
    }

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-11-29T12:00:00+08:00").unwrap()
    }

    fn problems(v: &Value) -> Vec<String> {
        claim(v, now())
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| format!("{}: {}", p.path, p.problem))
            .collect()
    }

    #[test]
    fn the_example_is_valid() {
        let c = claim(&example(), now()).expect("valid");
        assert_eq!(c.facts.region, "CN-SC");
        assert_eq!(c.facts.medical.inpatient_fen, 3_580_000);
        assert_eq!(c.worker.id_number, "510104199003071237");
        assert_eq!(mask_id(&c.worker.id_number), "5101**********1237");
        assert_eq!(
            id_number_problem("510104199003071234"),
            Some("check character does not match")
        );
        assert_eq!(id_number_problem("11010519491231002X"), None);
    }

    #[test]
    fn each_problem_names_its_field() {
        let mut v = example();
        v["region"] = "SC".into();
        v["worker"]["id_number"] = "510104199003071234".into();
        v["medical"]["outpatient_fen"] = (-5).into();
        v["medical"]["inpatient_fen"] = 1.5.into();
        v["assessment"]["disability_grade"] = 11.into();
        v["incident"]["occurred_at"] = "2025-08-01T10:15:00".into();
        v["surprise"] = true.into();
        v["documents"][0] = "selfie".into();
        let p = problems(&v);
        for expected in [
            "region: must be an ISO 3166-2:CN code such as CN-SC",
            "worker.id_number: check character does not match",
            "medical.outpatient_fen: must be a non-negative integer number of fen",
            "medical.inpatient_fen: must be a non-negative integer number of fen",
            "assessment.disability_grade: must be an integer from 1 to 10",
            "surprise: unknown field",
            "documents[0]: unknown document code",
        ] {
            assert!(
                p.iter().any(|x| x == expected),
                "missing {expected:?} in {p:#?}"
            );
        }
        assert!(
            p.iter().any(|x| x.starts_with("incident.occurred_at:")),
            "{p:#?}"
        );
    }

    #[test]
    fn the_order_must_open_before_the_incident() {
        let mut v = example();
        v["order"]["accepted_at"] = "2025-08-01T10:20:00+08:00".into();
        assert!(
            problems(&v)
                .iter()
                .any(|p| p.starts_with("order.accepted_at"))
        );
    }
}
