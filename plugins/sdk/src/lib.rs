//! The oip policy SDK: everything the regional policy modules share, written once.
//!
//! A region crate declares its figures in a [`Region`] and implements [`Policy`]; regional
//! procedure that is really different (a fast track) is code in that implementation. The SDK
//! supplies the evaluation order of rules.md ([`rules`]), the benefit formulas ([`benefits`]),
//! fen arithmetic with the scheme's one rounding rule ([`money`]), the working-day calendar
//! ([`calendar`]), the national tables and citations ([`tables`]), the reason codes
//! ([`reasons`]), and the WebAssembly export glue ([`export_policy!`]).
//!
//! A policy crate builds natively too, so its rules are unit-tested with plain `cargo test`; the
//! export glue only exists on `wasm32`.

#[cfg(target_arch = "wasm32")]
mod arena;
pub mod benefits;
#[cfg(feature = "testing")]
pub mod cases;
pub mod dependants;
pub mod pilot;
pub mod reasons;
pub mod region;
pub mod rules;
pub mod tables;

pub use oip_types as types;
pub use oip_types::{calendar, holidays, money};
pub use reasons::ReasonDef;
pub use region::{Cite, Region, Sourced, YearFigure};

use oip_types::{
    Citation, Date, Decision, Document, Facts, PolicyError, PolicyManifest, Text, WIT_VERSION,
};

/// A region's fast track: a shorter document list and shorter deadlines.
#[derive(Clone, Debug)]
pub struct FastTrack {
    /// The reason line that names the fast track.
    pub reason: ReasonDef,
    /// The documents it requires (replacing the standard list).
    pub documents: Vec<Document>,
    /// Determination due after this many working days (0 = the same day).
    pub determination_working_days: u32,
    /// Payment due after this many working days, where the region sets it.
    pub payment_working_days: Option<u32>,
}

/// A regional policy.
pub trait Policy: Sized {
    /// The region's figures.
    fn region() -> &'static Region;

    /// The region's fast track, if these (covered) facts qualify. None by default.
    fn fast_track(_facts: &Facts) -> Option<FastTrack> {
        None
    }

    /// The manifest: region, version, window, figures, citations.
    fn manifest() -> PolicyManifest {
        manifest_of(Self::region())
    }

    /// Decides a claim.
    fn decide(facts: &Facts) -> Result<Decision, PolicyError> {
        rules::evaluate::<Self>(facts)
    }
}

/// The manifest of a region's policy.
pub fn manifest_of(region: &Region) -> PolicyManifest {
    let mut citations: Vec<_> = tables::NATIONAL_CITATIONS
        .iter()
        .map(Cite::to_citation)
        .collect();
    citations.push(pilot::RSTH_2025_79.to_citation());
    citations.extend(region.citations.iter().map(Cite::to_citation));
    citations.extend(holidays::YEARS.iter().map(|y| Citation {
        id: format!("holidays-{}", y.year),
        title: format!(
            "国务院办公厅关于{}年部分节假日安排的通知 (State Council holiday arrangement {})",
            y.year, y.year
        ),
        source: y.source.into(),
    }));
    PolicyManifest {
        policy_id: format!("oip-policy-{}", region.code.to_ascii_lowercase()),
        region: region.code.into(),
        version: region.policy_version.into(),
        wit_version: WIT_VERSION.into(),
        name: Text::new(
            format!("{}新就业形态就业人员职业伤害保障", region.name_zh),
            format!(
                "{} occupational injury protection for platform workers",
                region.name_en
            ),
        ),
        effective_from: region.effective_from,
        effective_to: region.effective_to,
        parameters: benefits::manifest_parameters(region),
        citations,
    }
}

/// A date for `Region` declarations; panics at compile time on an impossible date.
pub const fn date(year: i32, month: u8, day: u8) -> Date {
    match Date::new(year, month, day) {
        Some(d) => d,
        None => panic!("no such date"),
    }
}

/// Every policy module allocates from a bump arena (see [`arena`]).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: arena::Arena = arena::Arena::new();

/// The bindings generated from `engine/wit` (wasm32 only).
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "policy-module",
        path: "../../engine/wit",
        pub_export_macro: true,
        export_macro_name: "__export_policy_module",
        default_bindings_module: "oip_sdk::bindings",
    });

    use exports::oip::policy::policy as wit;
    oip_types::wit_conversions!(wit);
}

/// Exports a [`Policy`] as the module's `oip:policy/policy@1.1.0` implementation (on wasm32;
/// natively it expands to nothing, so the crate's tests link as a plain library).
#[macro_export]
macro_rules! export_policy {
    ($policy:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            use $crate::bindings::exports::oip::policy::policy as wit;
            use $crate::types::Convert as _;

            struct Export;

            impl wit::Guest for Export {
                fn manifest() -> wit::PolicyManifest {
                    <$policy as $crate::Policy>::manifest().convert()
                }

                fn decide(facts: wit::Facts) -> Result<wit::Decision, wit::PolicyError> {
                    <$policy as $crate::Policy>::decide(&facts.convert()).convert()
                }
            }

    $crate::bindings::__export_policy_module!(Export with_types_in $crate::bindings);
        };
    };
}
