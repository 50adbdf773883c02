//! A supplement (`POST /v1/claims/{id}/supplements`): the documents asked for, and facts that
//! were missing or wrong, applied to the stored facts and then checked exactly as intake checks
//! a report. The region, the order and the incident's time cannot change after intake.

use super::report::{DeathReport, DependantReport, DocumentCode};
use super::{Problems, sections};
use oip_engine::types::{CareLevel, Death, Facts, IncidentKind, Industry, Timestamp, WorkerFault};
use serde::Serialize;
use utoipa::ToSchema;

/// A supplement.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplementRequest {
    /// Documents now provided (added to those already given).
    #[serde(default)]
    #[schema(max_items = 50)]
    pub documents: Option<Vec<DocumentCode>>,
    /// Facts to set (only the fields given change).
    #[serde(default)]
    pub facts: Option<FactsPatch>,
}

/// Changes to the stored facts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactsPatch {
    /// The industry.
    #[serde(default)]
    pub industry: Option<Industry>,
    /// The incident (not its time).
    #[serde(default)]
    pub incident: Option<IncidentPatch>,
    /// Exclusions.
    #[serde(default)]
    pub exclusions: Option<ExclusionsPatch>,
    /// Treatment and costs.
    #[serde(default)]
    pub medical: Option<MedicalPatch>,
    /// The assessment.
    #[serde(default)]
    pub assessment: Option<AssessmentPatch>,
    /// The worker's death.
    #[serde(default)]
    pub death: Option<DeathReport>,
    /// The dependants (replacing those stored).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub dependants: Option<Vec<DependantReport>>,
}

/// Changes to the incident.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentPatch {
    /// What happened.
    #[serde(default)]
    pub kind: Option<IncidentKind>,
    /// On a reasonable route of the task.
    #[serde(default)]
    pub on_reasonable_route: Option<bool>,
    /// The worker's liability (a liability finding).
    #[serde(default)]
    pub worker_fault: Option<WorkerFault>,
}

/// Changes to the exclusions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExclusionsPatch {
    /// An intentional crime.
    #[serde(default)]
    pub intentional_crime: Option<bool>,
    /// Intoxicated or drugged.
    #[serde(default)]
    pub intoxicated_or_drugged: Option<bool>,
    /// Self-harm or suicide.
    #[serde(default)]
    pub self_harm: Option<bool>,
}

/// Changes to treatment and costs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MedicalPatch {
    /// First treatment.
    #[serde(default)]
    #[schema(value_type = Option<oip_engine::types::Timestamp>)]
    pub first_treatment_at: Option<String>,
    /// Outpatient costs inside the catalogues.
    #[serde(default, deserialize_with = "oip_engine::types::int::whole_opt")]
    #[schema(maximum = 1_000_000_000_000_u64)]
    pub outpatient_fen: Option<u64>,
    /// Inpatient costs inside the catalogues.
    #[serde(default, deserialize_with = "oip_engine::types::int::whole_opt")]
    #[schema(maximum = 1_000_000_000_000_u64)]
    pub inpatient_fen: Option<u64>,
    /// Costs outside the catalogues.
    #[serde(default, deserialize_with = "oip_engine::types::int::whole_opt")]
    #[schema(maximum = 1_000_000_000_000_u64)]
    pub out_of_catalogue_fen: Option<u64>,
    /// Days in hospital.
    #[serde(default, deserialize_with = "oip_engine::types::int::whole_opt")]
    #[schema(maximum = 3650)]
    pub inpatient_days: Option<u32>,
    /// Treated outside the region.
    #[serde(default)]
    pub treated_outside_region: Option<bool>,
}

/// Changes to the assessment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentPatch {
    /// Disability grade, 1 to 10.
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

/// The stored facts with a supplement applied, checked as intake checks a report; `at` is
/// when the application became complete.
pub fn amend(
    stored: &Facts,
    s: &SupplementRequest,
    at: Timestamp,
) -> Result<Facts, Vec<crate::error::FieldProblem>> {
    let mut f = stored.clone();
    let mut p = Problems::default();
    if let Some(docs) = &s.documents {
        f.documents.extend(docs.iter().map(|d| d.0));
    }
    if let Some(patch) = &s.facts {
        if let Some(i) = patch.industry {
            f.industry = i;
        }
        if let Some(i) = &patch.incident {
            if let Some(k) = i.kind {
                f.incident.kind = k;
            }
            if let Some(r) = i.on_reasonable_route {
                f.incident.on_reasonable_route = r;
            }
            if i.worker_fault.is_some() {
                f.incident.worker_fault = i.worker_fault;
            }
        }
        if let Some(e) = &patch.exclusions {
            let x = &mut f.exclusions;
            x.intentional_crime = e.intentional_crime.unwrap_or(x.intentional_crime);
            x.intoxicated_or_drugged = e.intoxicated_or_drugged.unwrap_or(x.intoxicated_or_drugged);
            x.self_harm = e.self_harm.unwrap_or(x.self_harm);
        }
        if let Some(m) = &patch.medical {
            let x = &mut f.medical;
            if let Some(t) = &m.first_treatment_at {
                x.first_treatment_at = p.timestamp("facts.medical.first_treatment_at", t);
            }
            x.outpatient_fen = m.outpatient_fen.unwrap_or(x.outpatient_fen);
            x.inpatient_fen = m.inpatient_fen.unwrap_or(x.inpatient_fen);
            x.out_of_catalogue_fen = m.out_of_catalogue_fen.unwrap_or(x.out_of_catalogue_fen);
            x.inpatient_days = m.inpatient_days.unwrap_or(x.inpatient_days);
            x.treated_outside_region = m.treated_outside_region.unwrap_or(x.treated_outside_region);
        }
        if let Some(a) = &patch.assessment {
            let x = &mut f.assessment;
            if a.disability_grade.is_some() {
                x.disability_grade = a.disability_grade;
            }
            if a.care_level.is_some() {
                x.care_level = a.care_level;
            }
            if let Some(d) = &a.assessed_at {
                x.assessed_at = p.date("facts.assessment.assessed_at", d);
            }
        }
        if let Some(d) = &patch.death
            && let Some(t) = p.timestamp("facts.death.died_at", &d.died_at)
        {
            f.death = Some(Death { died_at: t });
        }
        if let Some(ds) = &patch.dependants {
            let mut inner = Problems::default();
            f.dependants = sections::dependants(ds, &mut inner);
            p.0.extend(inner.0.into_iter().map(|mut x| {
                x.path = format!("facts.{}", x.path);
                x
            }));
        }
    }
    if let Err(problems) = super::facts(&f, at) {
        p.0.extend(problems);
    }
    if !p.0.is_empty() {
        return Err(p.0);
    }
    f.application.complete_at = Some(at);
    f.canonicalize();
    Ok(f)
}
