//! The domain's words, one place each: the statuses of claims, policy versions and jobs, the
//! actions that move them, the roles of callers, and the limits on money. Each entity has one
//! state machine (`allowed`), which the services enforce and the console reads to offer its
//! buttons.
//!
//! Nothing here knows HTTP or SQL; the stored and the API names of every enum are its serde
//! names (snake_case), read and written by [`Named`].

mod claim;
mod events;
mod job;
mod money;
mod payment;
mod policy;
mod role;
mod workflow;

pub use claim::{
    Actor, ClaimAction, ClaimStatus, QueueKind, ReasonCode, Refusal, ReviewAction, ReviewState,
    Transition,
};
pub use events::Event;
pub use job::{JobKind, JobStatus};
pub use money::{MAX_LINE_FEN, MAX_LINES, Overflow, checked_sum};
pub use payment::{EntryKind, EntryState, Month, RunStatus};
pub use policy::{PolicySource, PolicyStatus, PolicyStep};
pub use role::Role;
pub use workflow::{
    Appeal, AppealOutcome, LineChangeNote, Proposal, ReviewedLine, Undecided, Workflow, items,
    lump_sum_fen,
};

/// What a claim report says besides the facts, for people to read: the order id, where it
/// happened, what happened. Never given to a policy.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Narrative {
    /// The platform's order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Where it happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// What happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The stable (serde) name of an enum value of the contract's (an item, a payer, a period,
/// a confidence): what the database and the views store.
pub fn serde_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// An enum with a stable name: its serde name, the same in the API, the database and the logs.
pub trait Named: Sized + Copy + 'static {
    /// Every value.
    const ALL: &'static [Self];

    /// The stable name.
    fn name(self) -> &'static str;

    /// The value of a stable name.
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == s)
    }
}

/// Declares a unit enum with its stable names, serde, `Display`, and its OpenAPI schema.
macro_rules! named_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
                 serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $var),* }

        impl $crate::domain::Named for $name {
            const ALL: &'static [Self] = &[$($name::$var),*];
            fn name(self) -> &'static str {
                match self { $($name::$var => $s),* }
            }
        }

        impl $name {
            /// The stable name (the serde name).
            pub fn as_str(self) -> &'static str {
                $crate::domain::Named::name(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use named_enum;

/// ISO 3166-2:CN codes of the provincial-level divisions.
pub const REGIONS: &[&str] = &[
    "CN-AH", "CN-BJ", "CN-CQ", "CN-FJ", "CN-GD", "CN-GS", "CN-GX", "CN-GZ", "CN-HA", "CN-HB",
    "CN-HE", "CN-HI", "CN-HK", "CN-HL", "CN-HN", "CN-JL", "CN-JS", "CN-JX", "CN-LN", "CN-MO",
    "CN-NM", "CN-NX", "CN-QH", "CN-SC", "CN-SD", "CN-SH", "CN-SN", "CN-SX", "CN-TJ", "CN-TW",
    "CN-XJ", "CN-XZ", "CN-YN", "CN-ZJ",
];

/// [`REGIONS`] as a regular expression, for the API schema.
pub const REGION_PATTERN: &str = "^CN-(AH|BJ|CQ|FJ|GD|GS|GX|GZ|HA|HB|HE|HI|HK|HL|HN|JL|JS|JX|LN|MO|NM|NX|QH|SC|SD|SH|SN|SX|TJ|TW|XJ|XZ|YN|ZJ)$";

#[cfg(test)]
mod tests {
    use super::Named;

    /// The stable names are the serde names (the API's, the schema's) of every enum.
    fn names_are_serde_names<T: Named + serde::Serialize + std::fmt::Debug>() {
        for v in T::ALL {
            assert_eq!(
                serde_json::to_value(v).ok(),
                Some(serde_json::json!(v.name())),
                "{v:?}"
            );
            assert_eq!(T::parse(v.name()).map(|x| x.name()), Some(v.name()));
        }
    }

    #[test]
    fn every_enum_s_names_are_its_serde_names() {
        names_are_serde_names::<super::ClaimStatus>();
        names_are_serde_names::<super::ReviewAction>();
        names_are_serde_names::<super::ReasonCode>();
        names_are_serde_names::<super::QueueKind>();
        names_are_serde_names::<super::PolicyStatus>();
        names_are_serde_names::<super::PolicyStep>();
        names_are_serde_names::<super::PolicySource>();
        names_are_serde_names::<super::JobKind>();
        names_are_serde_names::<super::JobStatus>();
        names_are_serde_names::<super::Role>();
    }

    #[test]
    fn the_region_pattern_names_every_region() {
        for r in super::REGIONS {
            assert!(
                super::REGION_PATTERN.contains(&format!("|{}", &r[3..]))
                    || super::REGION_PATTERN.contains(&format!("({}", &r[3..])),
                "{r}"
            );
        }
        assert_eq!(
            super::REGION_PATTERN.matches('|').count() + 1,
            super::REGIONS.len()
        );
    }
}

/// A region code in the API's schema: one of [`REGIONS`] (the field is a string).
pub struct RegionCode;

impl utoipa::PartialSchema for RegionCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(REGIONS.iter().copied()))
            .description(Some(
                "An ISO 3166-2:CN code of a provincial-level division.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for RegionCode {}
