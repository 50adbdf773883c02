//! The claim report a platform sends (`POST /v1/claims`), section by section: the HTTP
//! contract, with every bound JSON Schema can state in its OpenAPI schema. A body that does
//! not read as a report is refused at its first structural problem, with its path; what a
//! schema cannot state (a check character, an impossible date, the order of instants) is checked
//! by [`super::claim`], every problem at once.

use oip_engine::types::{
    Applicant, CareLevel, Document, IncidentKind, Industry, Relation, Sex, WorkerFault,
};
use serde::Serialize;
use utoipa::ToSchema;

/// The largest amount of fen a report may state for one cost: 10 billion yuan.
pub const MAX_REPORTED_FEN: u64 = 1_000_000_000_000;

/// A document code, as an element of a list (so that a wrong one is named by its index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct DocumentCode(pub Document);

impl utoipa::PartialSchema for DocumentCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <Document as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for DocumentCode {
    fn name() -> std::borrow::Cow<'static, str> {
        <Document as utoipa::ToSchema>::name()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((
            <Document as utoipa::ToSchema>::name().into_owned(),
            <Document as utoipa::PartialSchema>::schema(),
        ));
    }
}

/// A claim report.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimReport {
    /// The platform's own reference, unique per platform.
    #[schema(min_length = 1, max_length = 128, pattern = "\\S")]
    pub platform_claim_ref: String,
    /// ISO 3166-2:CN code of the place of injury.
    #[schema(value_type = crate::domain::RegionCode, example = "CN-SC")]
    pub region: String,
    /// The platform's industry.
    pub industry: Industry,
    /// The worker (personal data: encrypted at rest, never given to a policy).
    pub worker: WorkerReport,
    /// The order task.
    pub order: OrderReport,
    /// The incident.
    pub incident: IncidentReport,
    /// Exclusions as reported (all false when absent).
    #[serde(default)]
    pub exclusions: Option<ExclusionsReport>,
    /// Treatment and costs.
    #[serde(default)]
    pub medical: Option<MedicalReport>,
    /// The work-ability assessment.
    #[serde(default)]
    pub assessment: Option<AssessmentReport>,
    /// The worker's death.
    #[serde(default)]
    pub death: Option<DeathReport>,
    /// Dependants (of a deceased worker).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub dependants: Option<Vec<DependantReport>>,
    /// The application.
    pub application: ApplicationReport,
    /// Documents provided.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub documents: Option<Vec<DocumentCode>>,
}

/// The worker's personal data (its `Debug` shows the masked identity number only).
#[derive(Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkerReport {
    /// 18-character resident identity number (GB 11643: birth date, check character).
    #[schema(
        min_length = 18,
        max_length = 18,
        pattern = "^[0-9]{17}[0-9Xx]$",
        example = "510104199003071237"
    )]
    pub id_number: String,
    /// Name.
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub name: String,
    /// Birth date.
    #[serde(default)]
    #[schema(value_type = Option<oip_engine::types::Date>)]
    pub birth_date: Option<String>,
    /// Phone.
    #[serde(default)]
    #[schema(max_length = 32)]
    pub phone: Option<String>,
}

/// The order task.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderReport {
    /// The platform's order id.
    #[schema(min_length = 1, max_length = 128, pattern = "\\S")]
    pub order_id: String,
    /// When the order was accepted (before the incident).
    #[schema(value_type = oip_engine::types::Timestamp, example = "2025-08-01T10:02:00+08:00")]
    pub accepted_at: String,
    /// When it was completed, if it was (not before it was accepted).
    #[serde(default)]
    #[schema(value_type = Option<oip_engine::types::Timestamp>)]
    pub completed_at: Option<String>,
}

/// The incident.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentReport {
    /// When it happened (not in the future).
    #[schema(value_type = oip_engine::types::Timestamp, example = "2025-08-01T10:15:00+08:00")]
    pub occurred_at: String,
    /// What happened.
    pub kind: IncidentKind,
    /// On a reasonable route of the task (default true).
    #[serde(default = "yes")]
    pub on_reasonable_route: bool,
    /// The worker's liability, for traffic accidents.
    #[serde(default)]
    pub worker_fault: Option<WorkerFault>,
    /// Where.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub location: Option<String>,
    /// What happened, in words.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

/// Exclusions as reported.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExclusionsReport {
    /// An intentional crime.
    #[serde(default)]
    pub intentional_crime: bool,
    /// Intoxicated or drugged.
    #[serde(default)]
    pub intoxicated_or_drugged: bool,
    /// Self-harm or suicide.
    #[serde(default)]
    pub self_harm: bool,
}

/// Treatment and costs, in fen.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MedicalReport {
    /// First treatment (not before the incident).
    #[serde(default)]
    #[schema(value_type = Option<oip_engine::types::Timestamp>)]
    pub first_treatment_at: Option<String>,
    /// Outpatient costs inside the catalogues.
    #[serde(default, deserialize_with = "oip_engine::types::int::whole")]
    #[schema(maximum = 1_000_000_000_000_u64)]
    pub outpatient_fen: u64,
    /// Inpatient costs inside the catalogues.
    #[serde(default, deserialize_with = "oip_engine::types::int::whole")]
    #[schema(maximum = 1_000_000_000_000_u64)]
    pub inpatient_fen: u64,
    /// Costs outside the catalogues (not paid).
    #[serde(default, deserialize_with = "oip_engine::types::int::whole")]
    #[schema(maximum = 1_000_000_000_000_u64)]
    pub out_of_catalogue_fen: u64,
    /// Days in hospital.
    #[serde(default, deserialize_with = "oip_engine::types::int::whole")]
    #[schema(maximum = 3650)]
    pub inpatient_days: u32,
    /// Treated outside the region.
    #[serde(default)]
    pub treated_outside_region: bool,
}

/// The work-ability assessment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentReport {
    /// Disability grade, 1 (most severe) to 10.
    #[serde(default, deserialize_with = "oip_engine::types::int::whole_opt")]
    #[schema(minimum = 1, maximum = 10)]
    pub disability_grade: Option<u8>,
    /// Loss of self-care.
    #[serde(default)]
    pub care_level: Option<CareLevel>,
    /// Date of the assessment.
    #[serde(default)]
    #[schema(value_type = Option<oip_engine::types::Date>)]
    pub assessed_at: Option<String>,
}

/// The worker's death.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeathReport {
    /// When (not before the incident).
    #[schema(value_type = oip_engine::types::Timestamp)]
    pub died_at: String,
}

/// A dependant of a deceased worker.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DependantReport {
    /// Relation to the worker.
    pub relation: Relation,
    /// Birth date.
    #[serde(default)]
    #[schema(value_type = Option<oip_engine::types::Date>)]
    pub birth_date: Option<String>,
    /// An orphan.
    #[serde(default)]
    pub orphan: bool,
    /// Elderly and alone.
    #[serde(default)]
    pub lone_elderly: bool,
    /// Sex; needed where the age alone cannot decide (a spouse, parent or grandparent of 55 to
    /// 59: eligible as a woman, not as a man).
    #[serde(default)]
    pub sex: Option<Sex>,
    /// Fully without capacity to work, per an appraisal (Order No. 18 Art. 3 (一)).
    #[serde(default)]
    pub fully_incapacitated: bool,
    /// Relied on the worker for their main support (the documents show it); true when absent.
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub dependent_on_worker: bool,
    /// For a grandparent or sibling: both of the worker's parents are dead (for a sibling, dead
    /// or fully incapacitated); for a grandchild: the worker's children are (Art. 3 (五)-(七)).
    #[serde(default)]
    pub closer_relatives_gone: bool,
}

fn yes() -> bool {
    true
}

/// The application.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationReport {
    /// Who applied.
    pub applicant: Applicant,
    /// When (not before the incident, not in the future).
    #[schema(value_type = oip_engine::types::Timestamp)]
    pub applied_at: String,
    /// A late-application statement is claimed.
    #[serde(default)]
    pub late_statement: bool,
}

impl std::fmt::Debug for WorkerReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerReport")
            .field("id_number", &super::mask_id(&self.id_number))
            .finish_non_exhaustive()
    }
}
