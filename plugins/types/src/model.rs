//! The records and enums of the WIT package `oip:policy@1.1.0`, as plain Rust.
//!
//! Field for field the same as `engine/wit/policy.wit` (which documents each one); the
//! `wit_conversions!` macro maps them to and from the generated bindings on either side. With
//! the `serde` feature they read and write the JSON the HTTP API and the case files use:
//! snake_case names, instants as RFC 3339 text in Beijing time, dates as `YYYY-MM-DD`.

use crate::time::{Date, Timestamp};

macro_rules! wit_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
        #[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
        pub enum $name { $($(#[$vm])* $var),* }

        impl $name {
            /// Every case, in WIT order.
            pub const ALL: &'static [$name] = &[$($name::$var),*];
        }
    };
}

/// Facts-side records refuse unknown fields: a misspelt field must not be silently ignored.
macro_rules! facts_record {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(deny_unknown_fields))]
        #[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
        pub struct $name { $($(#[$fm])* pub $field: $ty),* }
    };
}

macro_rules! decision_record {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
        pub struct $name { $($(#[$fm])* pub $field: $ty),* }
    };
}

decision_record!(
    /// A text in zh-CN and English.
    Text {
        /// Simplified Chinese.
        zh: String,
        /// English.
        en: String,
    }
);

impl Text {
    /// A text from its two languages.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

wit_enum!(
    /// The platform's industry.
    Industry {
        /// 出行.
        RideHailing,
        /// 即时配送.
        InstantDelivery,
        /// 同城货运.
        Freight,
    }
);

facts_record!(
    /// The order task.
    OrderTask {
        /// When the order was accepted.
        accepted_at: Timestamp,
        /// When it was completed, if ever.
        #[cfg_attr(feature = "serde", serde(default))]
        completed_at: Option<Timestamp>,
    }
);

wit_enum!(
    /// What kind of event hurt the worker.
    IncidentKind {
        /// An accident while carrying out the order.
        OrderAccident,
        /// Violence or another accident while carrying out the order.
        Violence,
        /// Missing in an accident while on the task.
        Missing,
        /// A traffic accident.
        TrafficAccident,
        /// Sudden illness.
        SuddenIllness,
        /// Anything else.
        Other,
    }
);

wit_enum!(
    /// The worker's liability in a traffic accident.
    WorkerFault {
        /// None.
        None,
        /// Minor.
        Minor,
        /// Equal.
        Equal,
        /// Primary.
        Primary,
        /// Full.
        Full,
        /// Not determined.
        Undetermined,
    }
);

facts_record!(
    /// The incident.
    Incident {
        /// When it happened.
        occurred_at: Timestamp,
        /// What happened.
        kind: IncidentKind,
        /// On a reasonable route of the task.
        on_reasonable_route: bool,
        /// Liability, for traffic accidents.
        #[cfg_attr(feature = "serde", serde(default))]
        worker_fault: Option<WorkerFault>,
    }
);

facts_record!(
    /// Exclusions as reported.
    Exclusions {
        /// Intentional crime.
        intentional_crime: bool,
        /// Intoxicated or drugged.
        intoxicated_or_drugged: bool,
        /// Self-harm or suicide.
        self_harm: bool,
    }
);

facts_record!(
    /// Treatment and costs, in fen.
    Medical {
        /// First treatment.
        #[cfg_attr(feature = "serde", serde(default))]
        first_treatment_at: Option<Timestamp>,
        /// Outpatient costs inside the catalogues.
        #[cfg_attr(feature = "serde", serde(deserialize_with = "crate::int::whole"))]
        outpatient_fen: u64,
        /// Inpatient costs inside the catalogues.
        #[cfg_attr(feature = "serde", serde(deserialize_with = "crate::int::whole"))]
        inpatient_fen: u64,
        /// Costs outside the catalogues (not paid).
        #[cfg_attr(feature = "serde", serde(deserialize_with = "crate::int::whole"))]
        out_of_catalogue_fen: u64,
        /// Days in hospital.
        #[cfg_attr(feature = "serde", serde(deserialize_with = "crate::int::whole"))]
        inpatient_days: u32,
        /// Treated outside the region.
        treated_outside_region: bool,
    }
);

wit_enum!(
    /// Loss of self-care.
    CareLevel {
        /// 部分.
        Partial,
        /// 大部分.
        Most,
        /// 完全.
        Complete,
    }
);

facts_record!(
    /// The work-ability assessment.
    Assessment {
        /// Grade 1-10.
        #[cfg_attr(feature = "serde", serde(default, deserialize_with = "crate::int::whole_opt"))]
        disability_grade: Option<u8>,
        /// Loss of self-care.
        #[cfg_attr(feature = "serde", serde(default))]
        care_level: Option<CareLevel>,
        /// Date of the assessment.
        #[cfg_attr(feature = "serde", serde(default))]
        assessed_at: Option<Date>,
    }
);

facts_record!(
    /// The worker's death.
    Death {
        /// When.
        died_at: Timestamp,
    }
);

wit_enum!(
    /// A dependant's relation to the worker.
    Relation {
        /// Spouse.
        Spouse,
        /// Child.
        Child,
        /// Parent.
        Parent,
        /// Sibling.
        Sibling,
        /// Grandparent.
        Grandparent,
        /// Grandchild.
        Grandchild,
    }
);

facts_record!(
    /// A dependant.
    Dependant {
        /// Relation.
        relation: Relation,
        /// Birth date.
        #[cfg_attr(feature = "serde", serde(default))]
        birth_date: Option<Date>,
        /// Orphan.
        #[cfg_attr(feature = "serde", serde(default))]
        orphan: bool,
        /// Elderly and alone.
        #[cfg_attr(feature = "serde", serde(default))]
        lone_elderly: bool,
        /// Sex, where an age test needs it.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        sex: Option<Sex>,
        /// Fully without capacity to work.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "crate::model::no"))]
        fully_incapacitated: bool,
        /// Relied on the worker for their main support (true unless the documents say not).
        #[cfg_attr(
            feature = "serde",
            serde(default = "crate::model::yes", skip_serializing_if = "crate::model::is_yes")
        )]
        dependent_on_worker: bool,
        /// The relatives between them and the worker are gone (Order No. 18 Art. 3 (五)-(七)).
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "crate::model::no"))]
        closer_relatives_gone: bool,
    }
);

impl Dependant {
    /// A dependant of this relation with every other fact at its default (what a 1.0 module's
    /// facts and a report that names only the relation amount to).
    pub fn of(relation: Relation) -> Dependant {
        Dependant {
            relation,
            birth_date: None,
            orphan: false,
            lone_elderly: false,
            sex: None,
            fully_incapacitated: false,
            dependent_on_worker: true,
            closer_relatives_gone: false,
        }
    }
}

// The facts 1.1 added are written only when they differ from their defaults, so that facts
// stored before 1.1 serialize, and hash, exactly as they did.
#[cfg(feature = "serde")]
fn yes() -> bool {
    true
}

#[cfg(feature = "serde")]
fn is_yes(b: &bool) -> bool {
    *b
}

#[cfg(feature = "serde")]
fn no(b: &bool) -> bool {
    !*b
}

wit_enum!(
    /// A person's sex, where an age test differs by it.
    Sex {
        /// Male.
        Male,
        /// Female.
        Female,
    }
);

wit_enum!(
    /// Who applied.
    Applicant {
        /// The platform.
        Platform,
        /// The worker.
        Worker,
        /// A close relative.
        Relative,
        /// A trade union.
        TradeUnion,
    }
);

facts_record!(
    /// The application.
    Application {
        /// Who applied.
        applicant: Applicant,
        /// When.
        applied_at: Timestamp,
        /// A late-application statement is claimed.
        #[cfg_attr(feature = "serde", serde(default))]
        late_statement: bool,
        /// When the application became complete.
        #[cfg_attr(feature = "serde", serde(default))]
        complete_at: Option<Timestamp>,
    }
);

wit_enum!(
    /// A document code.
    Document {
        /// 待遇申请表.
        BenefitApplicationForm,
        /// 知情同意确认书.
        ConsentForm,
        /// 身份证明.
        IdCard,
        /// 订单记录.
        OrderRecord,
        /// 事故经过说明.
        IncidentStatement,
        /// 诊断证明.
        Diagnosis,
        /// 收费票据.
        MedicalReceipts,
        /// 事故责任认定书.
        LiabilityFinding,
        /// 劳动能力鉴定结论书.
        DisabilityAssessment,
        /// 死亡证明.
        DeathCertificate,
        /// 亲属关系证明.
        KinshipProof,
        /// 超期说明.
        LateApplicationStatement,
    }
);

facts_record!(
    /// Everything a policy needs to decide a claim; nothing personal.
    Facts {
        /// ISO 3166-2:CN code of the place of injury.
        region: String,
        /// Industry.
        industry: Industry,
        /// Order task.
        order: OrderTask,
        /// Incident.
        incident: Incident,
        /// Exclusions.
        exclusions: Exclusions,
        /// Treatment.
        medical: Medical,
        /// Assessment.
        assessment: Assessment,
        /// Death.
        #[cfg_attr(feature = "serde", serde(default))]
        death: Option<Death>,
        /// Dependants.
        #[cfg_attr(feature = "serde", serde(default))]
        dependants: Vec<Dependant>,
        /// Application.
        application: Application,
        /// Documents provided.
        documents: Vec<Document>,
        /// The host's working-day calendar (since 1.1); set by the server, never submitted.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        #[cfg_attr(feature = "utoipa", schema(ignore))]
        calendar: Option<Calendar>,
    }
);

facts_record!(
    /// One year of the State Council's holiday arrangement.
    CalendarYear {
        /// The year the notice arranges.
        year: i32,
        /// Days off that would otherwise be working days.
        days_off: Vec<Date>,
        /// Weekend days that are working days (调休上班).
        makeup_workdays: Vec<Date>,
        /// The notice.
        source: String,
    }
);

facts_record!(
    /// The working-day calendar the host holds: a signed, versioned dataset.
    Calendar {
        /// The dataset's version.
        version: String,
        /// The years it arranges.
        years: Vec<CalendarYear>,
    }
);

impl Facts {
    /// The canonical form: documents sorted and without repeats (their order means nothing).
    /// Canonical facts are what is hashed, stored and replayed.
    pub fn canonicalize(&mut self) {
        self.documents.sort();
        self.documents.dedup();
    }
}

wit_enum!(
    /// The outcome.
    Outcome {
        /// Covered.
        Covered,
        /// Not covered.
        NotCovered,
        /// Needs information.
        NeedsInformation,
    }
);

wit_enum!(
    /// Confidence of a figure's source.
    Confidence {
        /// Official or mainstream source.
        Confirmed,
        /// Computed from published figures.
        Derived,
        /// Secondary source.
        Secondary,
        /// Provisional.
        Provisional,
        /// No figure.
        Missing,
    }
);

impl Confidence {
    /// Whether a line using a figure of this confidence must be marked provisional.
    pub fn is_provisional(self) -> bool {
        !matches!(self, Confidence::Confirmed | Confidence::Derived)
    }
}

decision_record!(
    /// A citation.
    Citation {
        /// Stable id.
        id: String,
        /// Document and article.
        title: String,
        /// Where to read it.
        source: String,
    }
);

decision_record!(
    /// A reason for the outcome.
    Reason {
        /// Stable code.
        code: String,
        /// The text, in both languages.
        #[cfg_attr(feature = "serde", serde(flatten))]
        text: Text,
        /// The rule applied.
        citation: Citation,
    }
);

wit_enum!(
    /// Who pays.
    Payer {
        /// The fund.
        Fund,
        /// The platform.
        Platform,
    }
);

wit_enum!(
    /// Once or monthly.
    Period {
        /// Once.
        LumpSum,
        /// Monthly.
        Monthly,
    }
);

wit_enum!(
    /// Benefit items.
    BenefitItem {
        /// 医疗费.
        Medical,
        /// 住院伙食补助费.
        HospitalMealSubsidy,
        /// 一次性伤残补助金.
        OneOffDisabilitySubsidy,
        /// 伤残津贴.
        DisabilityAllowance,
        /// 生活护理费.
        LivingCare,
        /// 一次性工亡补助金.
        OneOffDeathSubsidy,
        /// 丧葬补助金.
        FuneralSubsidy,
        /// 供养亲属抚恤金.
        DependantPension,
    }
);

decision_record!(
    /// A figure used.
    Parameter {
        /// Stable name.
        name: String,
        /// Value in its unit.
        value: Option<i64>,
        /// Unit.
        unit: String,
        /// Period of the figure.
        period: Option<String>,
        /// Source.
        source: String,
        /// Confidence of the source.
        confidence: Confidence,
    }
);

decision_record!(
    /// A benefit line.
    BenefitLine {
        /// Item.
        item: BenefitItem,
        /// Payer.
        payer: Payer,
        /// Period.
        period: Period,
        /// Amount in fen.
        amount_fen: Option<u64>,
        /// Rests on an unconfirmed figure.
        provisional: bool,
        /// Formula with the figures.
        formula: Text,
        /// Figures used.
        parameters: Vec<Parameter>,
        /// Rule applied.
        citation: Citation,
        /// Remark.
        note: Option<Text>,
    }
);

decision_record!(
    /// Due dates.
    DueDates {
        /// Determination due.
        determination: Option<Date>,
        /// Payment due.
        payment: Option<Date>,
    }
);

decision_record!(
    /// A decision, as the module returns it.
    Decision {
        /// Outcome.
        outcome: Outcome,
        /// Basis.
        reasons: Vec<Reason>,
        /// Benefit lines.
        benefits: Vec<BenefitLine>,
        /// Missing documents.
        missing_documents: Vec<Document>,
        /// Fast track.
        fast_track: bool,
        /// Due dates.
        due: DueDates,
        /// Provisional parameters used.
        provisional_parameters: Vec<String>,
    }
);

decision_record!(
    /// What a module says about itself.
    PolicyManifest {
        /// Policy id.
        policy_id: String,
        /// Region.
        region: String,
        /// Version.
        version: String,
        /// WIT version built against.
        wit_version: String,
        /// Name.
        name: Text,
        /// First incident date.
        effective_from: Date,
        /// Last incident date.
        effective_to: Option<Date>,
        /// Figures.
        parameters: Vec<Parameter>,
        /// Citations.
        citations: Vec<Citation>,
    }
);

decision_record!(
    /// The module could not decide.
    PolicyError {
        /// Stable code.
        code: String,
        /// What is wrong.
        message: Text,
        /// Field at fault.
        field: Option<String>,
    }
);
