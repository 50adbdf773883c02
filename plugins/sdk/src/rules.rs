//! The evaluation order of the scheme (rules.md, "Order of evaluation"), written once.
//!
//! 1. exclusions → 2. connection to an order task → 3. application on time → 4. documents →
//! 5. covered, with benefit lines. The first step that settles the outcome ends it; a region
//! changes the order only through [`Policy::fast_track`].

use crate::benefits::benefit_lines;
use crate::calendar::add_working_days_on;
use crate::reasons::{self, ReasonDef};
use crate::tables::*;
use crate::{FastTrack, Policy};
use oip_types::{
    Applicant, Date, Decision, Document, DueDates, Facts, IncidentKind, Outcome, PolicyError,
    Reason, Text, WorkerFault,
};

/// What step 2 found.
#[derive(Clone, Copy, Debug)]
pub enum Situation {
    /// A covered situation.
    Covered(ReasonDef),
    /// The outcome is settled here.
    Settled(Outcome, ReasonDef),
}

fn invalid(code: &str, field: &str, zh: &str, en: &str) -> PolicyError {
    PolicyError {
        code: code.into(),
        message: Text::new(zh, en),
        field: Some(field.into()),
    }
}

/// Facts the module cannot interpret are an error, not a decision.
pub fn check_facts(region: &crate::Region, facts: &Facts) -> Result<(), PolicyError> {
    if facts.region != region.code {
        return Err(invalid(
            "wrong_region",
            "region",
            &format!("本模块只处理 {} 的案件", region.code),
            &format!("this module decides claims of {} only", region.code),
        ));
    }
    let date = facts.incident.occurred_at.beijing_date();
    let before = date < region.effective_from;
    let after = region.effective_to.is_some_and(|to| date > to);
    if before || after {
        return Err(invalid(
            "outside_effective_window",
            "incident.occurred_at",
            "事故日期不在本政策有效期内",
            "the incident date is outside this policy's effective window",
        ));
    }
    if let Some(g) = facts.assessment.disability_grade {
        if !(1..=10).contains(&g) {
            return Err(invalid(
                "invalid_facts",
                "assessment.disability_grade",
                "伤残等级应为 1 至 10 级",
                "the disability grade must be 1 to 10",
            ));
        }
    }
    if facts
        .order
        .completed_at
        .is_some_and(|c| c < facts.order.accepted_at)
    {
        return Err(invalid(
            "invalid_facts",
            "order.completed_at",
            "订单完成时间早于接单时间",
            "the order was completed before it was accepted",
        ));
    }
    if facts
        .death
        .as_ref()
        .is_some_and(|d| d.died_at < facts.incident.occurred_at)
    {
        return Err(invalid(
            "invalid_facts",
            "death.died_at",
            "死亡时间早于事故时间",
            "the death is dated before the incident",
        ));
    }
    Ok(())
}

/// Step 1: the exclusions.
pub fn exclusion(facts: &Facts) -> Option<ReasonDef> {
    let e = &facts.exclusions;
    if e.intentional_crime {
        Some(reasons::EXCLUDED_INTENTIONAL_CRIME)
    } else if e.intoxicated_or_drugged {
        Some(reasons::EXCLUDED_INTOXICATION)
    } else if e.self_harm {
        Some(reasons::EXCLUDED_SELF_HARM)
    } else {
        None
    }
}

/// Step 2: the connection to an order task and the situation.
pub fn situation(facts: &Facts) -> Situation {
    use Outcome::{NeedsInformation, NotCovered};
    let at = facts.incident.occurred_at;
    let end = facts.order.completed_at.unwrap_or(at);
    if at < facts.order.accepted_at || at > end {
        return Situation::Settled(NotCovered, reasons::OUTSIDE_ORDER_TASK);
    }
    match facts.incident.kind {
        IncidentKind::OrderAccident => Situation::Covered(reasons::ORDER_ACCIDENT),
        IncidentKind::Violence => Situation::Covered(reasons::VIOLENCE),
        IncidentKind::Missing => Situation::Covered(reasons::MISSING),
        IncidentKind::TrafficAccident if !facts.incident.on_reasonable_route => {
            Situation::Settled(NotCovered, reasons::OUTSIDE_ORDER_TASK)
        }
        IncidentKind::TrafficAccident => match facts.incident.worker_fault {
            Some(WorkerFault::None | WorkerFault::Minor | WorkerFault::Equal) => {
                Situation::Covered(reasons::TRAFFIC_NOT_MAINLY_AT_FAULT)
            }
            Some(WorkerFault::Primary | WorkerFault::Full) => {
                Situation::Settled(NotCovered, reasons::TRAFFIC_PRIMARY_FAULT)
            }
            Some(WorkerFault::Undetermined) | None => {
                Situation::Settled(NeedsInformation, reasons::LIABILITY_UNDETERMINED)
            }
        },
        IncidentKind::SuddenIllness => match (&facts.death, facts.medical.first_treatment_at) {
            (None, _) => Situation::Settled(NotCovered, reasons::ILLNESS_WITHOUT_DEATH),
            // Treatment comes after the onset: a death within 48 hours of the onset is within
            // 48 hours of any treatment; a later one needs the treatment's time.
            (Some(d), None) if d.died_at.0 - at.0 <= SUDDEN_ILLNESS_HOURS * 3600 => {
                Situation::Covered(reasons::SUDDEN_ILLNESS_DEATH_48H)
            }
            (Some(_), None) => {
                Situation::Settled(NeedsInformation, reasons::FIRST_TREATMENT_TIME_NEEDED)
            }
            (Some(d), Some(t)) if d.died_at.0 - t.0 <= SUDDEN_ILLNESS_HOURS * 3600 => {
                Situation::Covered(reasons::SUDDEN_ILLNESS_DEATH_48H)
            }
            (Some(_), Some(_)) => Situation::Settled(NotCovered, reasons::ILLNESS_NOT_WITHIN_48H),
        },
        IncidentKind::Other => Situation::Settled(NeedsInformation, reasons::SITUATION_UNCLEAR),
    }
}

/// Step 3: whether the application came after its deadline.
pub fn is_late(facts: &Facts) -> bool {
    let incident = facts.incident.occurred_at.beijing_date();
    let applied = facts.application.applied_at.beijing_date();
    let deadline = match facts.application.applicant {
        Applicant::Platform => {
            add_working_days_on(
                facts.calendar.as_ref(),
                incident,
                PLATFORM_APPLICATION_WORKING_DAYS,
            )
            .date
        }
        Applicant::Worker | Applicant::Relative | Applicant::TradeUnion => {
            incident.add_days(OTHER_APPLICANT_DAYS)
        }
    };
    applied > deadline
}

/// Step 4: the documents the standard procedure requires for these facts.
pub fn required_documents(facts: &Facts, late: bool) -> Vec<Document> {
    use Document::*;
    let mut docs = vec![
        BenefitApplicationForm,
        ConsentForm,
        IdCard,
        OrderRecord,
        IncidentStatement,
        Diagnosis,
    ];
    let m = &facts.medical;
    if m.outpatient_fen + m.inpatient_fen > 0 {
        docs.push(MedicalReceipts);
    }
    if facts.incident.kind == IncidentKind::TrafficAccident {
        docs.push(LiabilityFinding);
    }
    if facts.assessment.disability_grade.is_some() || facts.assessment.care_level.is_some() {
        docs.push(DisabilityAssessment);
    }
    if facts.death.is_some() {
        docs.push(DeathCertificate);
    }
    if !facts.dependants.is_empty() {
        docs.push(KinshipProof);
    }
    if late {
        docs.push(LateApplicationStatement);
    }
    docs
}

/// A set of documents, one bit per [`Document`] kind.
const _: () = assert!(Document::ALL.len() <= 32, "a document set is a u32");
fn document_set(documents: &[Document]) -> u32 {
    documents.iter().fold(0, |set, d| set | 1 << *d as u32)
}

/// The required documents not provided, in [`Document`] order and without repeats.
fn missing(required: &[Document], facts: &Facts) -> Vec<Document> {
    let missing = document_set(required) & !document_set(&facts.documents);
    Document::ALL
        .iter()
        .copied()
        .filter(|d| missing & 1 << *d as u32 != 0)
        .collect()
}

/// Whether covered facts are a minor outpatient injury: no hospital stay or inpatient cost,
/// no assessment, no death — the common core of the regional fast tracks.
pub fn minor_outpatient_injury(facts: &Facts) -> bool {
    let m = &facts.medical;
    m.inpatient_fen == 0
        && m.inpatient_days == 0
        && facts.assessment.disability_grade.is_none()
        && facts.assessment.care_level.is_none()
        && facts.death.is_none()
}

/// Whether the case is simple: medical costs only, no assessment, no death.
pub fn is_simple(facts: &Facts) -> bool {
    facts.assessment.disability_grade.is_none()
        && facts.assessment.care_level.is_none()
        && facts.death.is_none()
}

fn due_dates(facts: &Facts, fast: Option<&FastTrack>, reasons: &mut Vec<Reason>) -> DueDates {
    let complete: Date = facts
        .application
        .complete_at
        .unwrap_or(facts.application.applied_at)
        .beijing_date();
    let (standard, simple) = DETERMINATION_WORKING_DAYS;
    let days = match fast {
        Some(f) => f.determination_working_days,
        None if is_simple(facts) => simple,
        None => standard,
    };
    // The host's calendar when it passes one (1.1), else the compiled-in one.
    let calendar = facts.calendar.as_ref();
    let determination = add_working_days_on(calendar, complete, days);
    let payment = fast
        .and_then(|f| f.payment_working_days)
        .map(|n| add_working_days_on(calendar, complete, n));
    if determination.beyond_calendar || payment.is_some_and(|p| p.beyond_calendar) {
        reasons.push(reasons::CALENDAR_BEYOND_KNOWN.to_reason());
    }
    DueDates {
        determination: Some(determination.date),
        payment: payment.map(|p| p.date),
    }
}

fn decision(outcome: Outcome, reasons: Vec<Reason>) -> Decision {
    Decision {
        outcome,
        reasons,
        benefits: Vec::new(),
        missing_documents: Vec::new(),
        fast_track: false,
        due: DueDates {
            determination: None,
            payment: None,
        },
        provisional_parameters: Vec::new(),
    }
}

fn needs_information(reasons: Vec<Reason>, missing: Vec<Document>) -> Decision {
    Decision {
        missing_documents: missing,
        ..decision(Outcome::NeedsInformation, reasons)
    }
}

fn not_covered(facts: &Facts, reason: ReasonDef) -> Decision {
    let mut reasons = vec![reason.to_reason()];
    let due = due_dates(facts, None, &mut reasons);
    Decision {
        due,
        ..decision(Outcome::NotCovered, reasons)
    }
}

/// Decides `facts` under policy `P`, in the order of rules.md.
pub fn evaluate<P: Policy>(facts: &Facts) -> Result<Decision, PolicyError> {
    let region = P::region();
    check_facts(region, facts)?;

    if let Some(reason) = exclusion(facts) {
        return Ok(not_covered(facts, reason));
    }

    let late = is_late(facts);
    let covered_reason = match situation(facts) {
        Situation::Settled(Outcome::NotCovered, reason) => return Ok(not_covered(facts, reason)),
        Situation::Settled(_, reason) => {
            // One-time supplement notice: ask for the document the situation needs and every
            // other one still missing, all at once.
            let mut required = required_documents(facts, late);
            if reason.code == reasons::SITUATION_UNCLEAR.code {
                required.push(Document::IncidentStatement);
            }
            let mut missing = missing(&required, facts);
            if reason.code == reasons::LIABILITY_UNDETERMINED.code
                && !missing.contains(&Document::LiabilityFinding)
                && !facts.documents.contains(&Document::LiabilityFinding)
            {
                missing.push(Document::LiabilityFinding);
            }
            return Ok(needs_information(vec![reason.to_reason()], missing));
        }
        Situation::Covered(reason) => reason,
    };

    let fast = P::fast_track(facts);
    let mut required = match &fast {
        Some(f) => f.documents.clone(),
        None => required_documents(facts, false),
    };
    if late {
        required.push(Document::LateApplicationStatement);
    }
    let missing = missing(&required, facts);
    if late && !facts.application.late_statement {
        let mut reasons = vec![reasons::LATE_APPLICATION.to_reason()];
        if missing
            .iter()
            .any(|d| *d != Document::LateApplicationStatement)
        {
            reasons.push(reasons::MISSING_DOCUMENTS.to_reason());
        }
        return Ok(needs_information(reasons, missing));
    }
    if !missing.is_empty() {
        return Ok(needs_information(
            vec![reasons::MISSING_DOCUMENTS.to_reason()],
            missing,
        ));
    }

    let dependants = crate::dependants::decide(facts);
    if !dependants.needed.is_empty() {
        return Ok(needs_information(dependants.needed, Vec::new()));
    }
    let mut reasons = vec![covered_reason.to_reason()];
    if let Some(f) = &fast {
        reasons.push(f.reason.to_reason());
    }
    reasons.extend(dependants.not_eligible);
    let (benefits, provisional_parameters) = benefit_lines(region, facts, &dependants.pensioners);
    let due = due_dates(facts, fast.as_ref(), &mut reasons);
    Ok(Decision {
        benefits,
        provisional_parameters,
        fast_track: fast.is_some(),
        due,
        ..decision(Outcome::Covered, reasons)
    })
}
