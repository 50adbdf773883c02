//! A claim report, section by section, into facts: each function checks what the schema
//! cannot state about its section and returns its part of the facts.

use super::report::*;
use super::{Problems, ValidClaim, Worker, id_number_problem};
use crate::domain::{Narrative, REGIONS};
use oip_engine::types::{
    Application, Assessment, Death, Dependant, Exclusions, Facts, Incident, Medical, OrderTask,
    Timestamp,
};

/// The whole report; `None` when a section could not be read (its problems are in `p`).
pub(super) fn claim(r: &ClaimReport, now: Timestamp, p: &mut Problems) -> Option<ValidClaim> {
    p.not_blank("platform_claim_ref", &r.platform_claim_ref);
    if !REGIONS.contains(&r.region.as_str()) {
        p.bad("region", "must be an ISO 3166-2:CN code such as CN-SC");
    }
    let worker = worker(&r.worker, p);
    let order = order(&r.order, p);
    let incident = incident(&r.incident, p);
    let medical = medical(r.medical.as_ref(), p);
    let assessment = assessment(r.assessment.as_ref(), p);
    let death = r
        .death
        .as_ref()
        .and_then(|d| p.timestamp("death.died_at", &d.died_at))
        .map(|died_at| Death { died_at });
    let dependants = dependants(r.dependants.as_deref().unwrap_or_default(), p);
    let application = application(&r.application, p);
    let documents = r
        .documents
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|d| d.0)
        .collect();
    let exclusions = r.exclusions.clone().unwrap_or_default();
    let mut narrative = Narrative {
        order_id: Some(r.order.order_id.clone()),
        location: r.incident.location.clone(),
        description: r.incident.description.clone(),
    };
    narrative.order_id = narrative.order_id.filter(|o| !o.is_empty());
    let facts = Facts {
        region: r.region.clone(),
        industry: r.industry,
        order: order?,
        incident: incident?,
        exclusions: Exclusions {
            intentional_crime: exclusions.intentional_crime,
            intoxicated_or_drugged: exclusions.intoxicated_or_drugged,
            self_harm: exclusions.self_harm,
        },
        medical,
        assessment,
        death,
        dependants,
        application: application?,
        documents,
        // The server's calendar is attached when the facts are decided.
        calendar: None,
    };
    check_facts(&facts, now, p);
    Some(ValidClaim {
        platform_claim_ref: r.platform_claim_ref.clone(),
        facts,
        worker: worker?,
        narrative,
    })
}

/// The bounds of the facts' amounts, days and grade (a report's sections check them on the
/// report; a supplement's amended facts here).
pub(crate) fn check_ranges(f: &Facts, p: &mut Problems) {
    check_medical(&f.medical, p);
    check_grade(f.assessment.disability_grade, p);
}

fn check_medical(m: &Medical, p: &mut Problems) {
    for (field, fen) in [
        ("medical.outpatient_fen", m.outpatient_fen),
        ("medical.inpatient_fen", m.inpatient_fen),
        ("medical.out_of_catalogue_fen", m.out_of_catalogue_fen),
    ] {
        if fen > MAX_REPORTED_FEN {
            p.bad(field, "implausibly large");
        }
    }
    if m.inpatient_days > 3650 {
        p.bad(
            "medical.inpatient_days",
            "must be an integer from 0 to 3650",
        );
    }
}

fn check_grade(g: Option<u8>, p: &mut Problems) {
    if g.is_some_and(|g| !(1..=10).contains(&g)) {
        p.bad(
            "assessment.disability_grade",
            "must be an integer from 1 to 10",
        );
    }
}

/// What the facts must satisfy as a whole, whether they come from a report or from stored
/// facts amended by a supplement: dependants only of a deceased worker, the order opened before
/// the incident, nothing before the incident or in the future.
pub(crate) fn check_facts(f: &Facts, now: Timestamp, p: &mut Problems) {
    if !f.dependants.is_empty() && f.death.is_none() {
        p.bad(
            "dependants",
            "dependants are claimed only for a deceased worker",
        );
    }
    let i = &f.incident;
    if f.order.accepted_at > i.occurred_at {
        p.bad(
            "order.accepted_at",
            "the order must be accepted before the incident",
        );
    }
    let future = Timestamp(now.0 + 300);
    if i.occurred_at > future {
        p.bad("incident.occurred_at", "must not be in the future");
    }
    if f.application.applied_at < i.occurred_at {
        p.bad("application.applied_at", "must not be before the incident");
    }
    if f.application.applied_at > future {
        p.bad("application.applied_at", "must not be in the future");
    }
    if f.death.as_ref().is_some_and(|d| d.died_at < i.occurred_at) {
        p.bad("death.died_at", "must not be before the incident");
    }
    if f.medical
        .first_treatment_at
        .is_some_and(|t| t < i.occurred_at)
    {
        p.bad(
            "medical.first_treatment_at",
            "must not be before the incident",
        );
    }
}

fn worker(w: &WorkerReport, p: &mut Problems) -> Option<Worker> {
    if let Some(problem) = id_number_problem(&w.id_number) {
        p.bad("worker.id_number", problem);
    }
    p.not_blank("worker.name", &w.name);
    let birth_date = w
        .birth_date
        .as_deref()
        .and_then(|b| p.date("worker.birth_date", b))
        .map(|d| d.to_string());
    Some(Worker {
        id_number: w.id_number.to_ascii_uppercase(),
        name: w.name.clone(),
        birth_date,
        phone: w.phone.clone(),
    })
}

fn order(o: &OrderReport, p: &mut Problems) -> Option<OrderTask> {
    p.not_blank("order.order_id", &o.order_id);
    let accepted = p.timestamp("order.accepted_at", &o.accepted_at);
    let completed = o
        .completed_at
        .as_deref()
        .and_then(|c| p.timestamp("order.completed_at", c));
    if let (Some(a), Some(c)) = (accepted, completed)
        && c < a
    {
        p.bad("order.completed_at", "must not be before order.accepted_at");
    }
    Some(OrderTask {
        accepted_at: accepted?,
        completed_at: completed,
    })
}

fn incident(i: &IncidentReport, p: &mut Problems) -> Option<Incident> {
    Some(Incident {
        occurred_at: p.timestamp("incident.occurred_at", &i.occurred_at)?,
        kind: i.kind,
        on_reasonable_route: i.on_reasonable_route,
        worker_fault: i.worker_fault,
    })
}

fn medical(m: Option<&MedicalReport>, p: &mut Problems) -> Medical {
    let m = m.cloned().unwrap_or_default();
    let medical = Medical {
        first_treatment_at: m
            .first_treatment_at
            .as_deref()
            .and_then(|t| p.timestamp("medical.first_treatment_at", t)),
        outpatient_fen: m.outpatient_fen,
        inpatient_fen: m.inpatient_fen,
        out_of_catalogue_fen: m.out_of_catalogue_fen,
        inpatient_days: m.inpatient_days,
        treated_outside_region: m.treated_outside_region,
    };
    check_medical(&medical, p);
    medical
}

fn assessment(a: Option<&AssessmentReport>, p: &mut Problems) -> Assessment {
    let a = a.cloned().unwrap_or_default();
    check_grade(a.disability_grade, p);
    Assessment {
        disability_grade: a.disability_grade,
        care_level: a.care_level,
        assessed_at: a
            .assessed_at
            .as_deref()
            .and_then(|d| p.date("assessment.assessed_at", d)),
    }
}

pub(super) fn dependants(ds: &[DependantReport], p: &mut Problems) -> Vec<Dependant> {
    ds.iter()
        .enumerate()
        .map(|(i, d)| Dependant {
            relation: d.relation,
            birth_date: d
                .birth_date
                .as_deref()
                .and_then(|b| p.date(&format!("dependants[{i}].birth_date"), b)),
            orphan: d.orphan,
            lone_elderly: d.lone_elderly,
            sex: d.sex,
            fully_incapacitated: d.fully_incapacitated,
            dependent_on_worker: d.dependent_on_worker,
            closer_relatives_gone: d.closer_relatives_gone,
        })
        .collect()
}

fn application(a: &ApplicationReport, p: &mut Problems) -> Option<Application> {
    Some(Application {
        applicant: a.applicant,
        applied_at: p.timestamp("application.applied_at", &a.applied_at)?,
        late_statement: a.late_statement,
        complete_at: None,
    })
}
