//! Conversions between these types and the bindings generated from the WIT package.
//!
//! The host (wasmtime's `bindgen!`) and the guests (`wit-bindgen`) each generate their own copy
//! of the WIT types. Rather than hand-writing two sets of conversions, each side invokes
//! [`wit_conversions!`](crate::wit_conversions) on its generated module; the field lists below
//! are the only place where the mapping is spelt out.

use crate::time::Timestamp;

/// A lossless conversion between two copies of the same WIT type.
pub trait Convert<T> {
    /// Converts.
    fn convert(self) -> T;
}

macro_rules! identity {
    ($($t:ty),*) => { $(impl Convert<$t> for $t { fn convert(self) -> $t { self } })* };
}
identity!(bool, u8, u32, u64, i32, i64, String);

impl<A: Convert<B>, B> Convert<Option<B>> for Option<A> {
    fn convert(self) -> Option<B> {
        self.map(Convert::convert)
    }
}

impl<A: Convert<B>, B> Convert<Vec<B>> for Vec<A> {
    fn convert(self) -> Vec<B> {
        self.into_iter().map(Convert::convert).collect()
    }
}

impl<A: Convert<B>, B, E: Convert<F>, F> Convert<Result<B, F>> for Result<A, E> {
    fn convert(self) -> Result<B, F> {
        self.map(Convert::convert).map_err(Convert::convert)
    }
}

impl Convert<Timestamp> for i64 {
    fn convert(self) -> Timestamp {
        Timestamp(self)
    }
}

impl Convert<i64> for Timestamp {
    fn convert(self) -> i64 {
        self.0
    }
}

/// Implements [`Convert`] both ways between every type of this crate and its generated copy in
/// the module `$w` (e.g. `use bindings::exports::oip::policy::policy as wit;`), for bindings of
/// the current package (1.1). `wit_conversions!(wit, "1.0")` does the same for bindings of
/// `oip:policy@1.0`, whose dependant lacks the facts 1.1 added and whose facts carry no
/// calendar: they are dropped on the way to 1.0 and take their defaults
/// ([`Dependant::of`](crate::Dependant::of), no calendar) on the way back.
#[macro_export]
macro_rules! wit_conversions {
    ($w:ident) => {
        $crate::__wit_conversions_common!($w);
        $crate::__wit_conversions!($w;
            records {
                Dependant { relation, birth_date, orphan, lone_elderly, sex, fully_incapacitated,
                            dependent_on_worker, closer_relatives_gone },
                Facts { region, industry, order, incident, exclusions, medical, assessment, death,
                        dependants, application, documents, calendar },
                CalendarYear { year, days_off, makeup_workdays, source },
                Calendar { version, years },
            }
            enums {
                Sex { Male, Female },
            }
        );
    };
    ($w:ident, "1.0") => {
        $crate::__wit_conversions_common!($w);
        impl $crate::Convert<$crate::Dependant> for $w::Dependant {
            fn convert(self) -> $crate::Dependant {
                $crate::Dependant {
                    birth_date: $crate::Convert::convert(self.birth_date),
                    orphan: self.orphan,
                    lone_elderly: self.lone_elderly,
                    ..$crate::Dependant::of($crate::Convert::convert(self.relation))
                }
            }
        }
        impl $crate::Convert<$w::Dependant> for $crate::Dependant {
            fn convert(self) -> $w::Dependant {
                $w::Dependant {
                    relation: $crate::Convert::convert(self.relation),
                    birth_date: $crate::Convert::convert(self.birth_date),
                    orphan: self.orphan,
                    lone_elderly: self.lone_elderly,
                }
            }
        }
        // 1.0 facts carry no calendar: a 1.0 module counts on its own.
        $crate::__wit_record_without!($w; Facts {
            region, industry, order, incident, exclusions, medical, assessment, death,
            dependants, application, documents
        } without { calendar: None });
    };
}

/// The records and enums alike in every version of the package.
#[doc(hidden)]
#[macro_export]
macro_rules! __wit_conversions_common {
    ($w:ident) => {
        $crate::__wit_conversions!($w;
            records {
                Date { year, month, day },
                Text { zh, en },
                OrderTask { accepted_at, completed_at },
                Incident { occurred_at, kind, on_reasonable_route, worker_fault },
                Exclusions { intentional_crime, intoxicated_or_drugged, self_harm },
                Medical { first_treatment_at, outpatient_fen, inpatient_fen, out_of_catalogue_fen,
                          inpatient_days, treated_outside_region },
                Assessment { disability_grade, care_level, assessed_at },
                Death { died_at },
                Application { applicant, applied_at, late_statement, complete_at },
                Citation { id, title, source },
                Reason { code, text, citation },
                Parameter { name, value, unit, period, source, confidence },
                BenefitLine { item, payer, period, amount_fen, provisional, formula, parameters,
                              citation, note },
                DueDates { determination, payment },
                Decision { outcome, reasons, benefits, missing_documents, fast_track, due,
                           provisional_parameters },
                PolicyManifest { policy_id, region, version, wit_version, name, effective_from,
                           effective_to, parameters, citations },
                PolicyError { code, message, field },
            }
            enums {
                Industry { RideHailing, InstantDelivery, Freight },
                IncidentKind { OrderAccident, Violence, Missing, TrafficAccident, SuddenIllness, Other },
                WorkerFault { None, Minor, Equal, Primary, Full, Undetermined },
                CareLevel { Partial, Most, Complete },
                Relation { Spouse, Child, Parent, Sibling, Grandparent, Grandchild },
                Applicant { Platform, Worker, Relative, TradeUnion },
                Document { BenefitApplicationForm, ConsentForm, IdCard, OrderRecord,
                           IncidentStatement, Diagnosis, MedicalReceipts, LiabilityFinding,
                           DisabilityAssessment, DeathCertificate, KinshipProof,
                           LateApplicationStatement },
                Outcome { Covered, NotCovered, NeedsInformation },
                Confidence { Confirmed, Derived, Secondary, Provisional, Missing },
                Payer { Fund, Platform },
                Period { LumpSum, Monthly },
                BenefitItem { Medical, HospitalMealSubsidy, OneOffDisabilitySubsidy,
                              DisabilityAllowance, LivingCare, OneOffDeathSubsidy, FuneralSubsidy,
                              DependantPension },
            }
        );
    };
}

/// [`Convert`] both ways for a record whose generated copy lacks fields of this crate's: they
/// are dropped on the way out and take the values given on the way back.
#[doc(hidden)]
#[macro_export]
macro_rules! __wit_record_without {
    ($w:ident; $r:ident { $($f:ident),* $(,)? } without { $($g:ident: $v:expr),* $(,)? }) => {
        impl $crate::Convert<$crate::$r> for $w::$r {
            fn convert(self) -> $crate::$r {
                $crate::$r { $($f: $crate::Convert::convert(self.$f),)* $($g: $v),* }
            }
        }
        impl $crate::Convert<$w::$r> for $crate::$r {
            fn convert(self) -> $w::$r {
                $w::$r { $($f: $crate::Convert::convert(self.$f)),* }
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __wit_conversions {
    ($w:ident;
     records { $($r:ident { $($f:ident),* $(,)? }),* $(,)? }
     enums { $($e:ident { $($v:ident),* $(,)? }),* $(,)? }) => {
        $(
            impl $crate::Convert<$crate::$r> for $w::$r {
                fn convert(self) -> $crate::$r {
                    $crate::$r { $($f: $crate::Convert::convert(self.$f)),* }
                }
            }
            impl $crate::Convert<$w::$r> for $crate::$r {
                fn convert(self) -> $w::$r {
                    $w::$r { $($f: $crate::Convert::convert(self.$f)),* }
                }
            }
        )*
        $(
            impl $crate::Convert<$crate::$e> for $w::$e {
                fn convert(self) -> $crate::$e {
                    match self { $($w::$e::$v => $crate::$e::$v),* }
                }
            }
            impl $crate::Convert<$w::$e> for $crate::$e {
                fn convert(self) -> $w::$e {
                    match self { $($crate::$e::$v => $w::$e::$v),* }
                }
            }
        )*
    };
}
