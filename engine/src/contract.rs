//! The versions of the contract the engine speaks, and the one place that converts between
//! them. Modules built against `oip:policy@1.1` (`engine/wit`, what the SDK builds today) get
//! the facts as they are; modules built against `oip:policy@1.0` (`engine/wit-1.0`, frozen) get
//! them without the dependant facts 1.1 added, and their decisions read back unchanged (the
//! decision and manifest records are alike in both).

use crate::limits::StoreState;
use oip_types::{Convert, Decision, Facts, PolicyError, PolicyManifest};
use wasmtime::Store;
use wasmtime::component::{ComponentExportIndex, ComponentNamedList, Func, Instance, Lift, Lower};

/// The host bindings of `oip:policy@1.1`, generated from the same file the guests use.
mod v1_1 {
    wasmtime::component::bindgen!({
        world: "policy-module",
        path: "wit",
    });
    pub(super) use exports::oip::policy::policy as wit;
    oip_types::wit_conversions!(wit);
}

/// The host bindings of `oip:policy@1.0`.
mod v1_0 {
    wasmtime::component::bindgen!({
        world: "policy-module",
        path: "wit-1.0",
    });
    pub(super) use exports::oip::policy::policy as wit;
    oip_types::wit_conversions!(wit, "1.0");
}

/// A version of the contract a module exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Contract {
    /// `oip:policy/policy@1.0.x`.
    V1_0,
    /// `oip:policy/policy@1.1.x`.
    V1_1,
}

impl Contract {
    /// The contract of an export's version (`1.0.2` → 1.0), if the engine speaks it.
    pub(crate) fn of_version(version: &str) -> Option<Contract> {
        let mut parts = version.split('.');
        match (parts.next(), parts.next()) {
            (Some("1"), Some("0")) => Some(Contract::V1_0),
            (Some("1"), Some("1")) => Some(Contract::V1_1),
            _ => None,
        }
    }

    /// Typechecks `manifest` and `decide` of the interface against this contract's types, then
    /// calls `manifest`. Every later call of `decide` relies on this check (see
    /// [`Contract::decide`]).
    pub(crate) fn check_and_read_manifest(
        self,
        store: &mut Store<StoreState>,
        instance: &Instance,
        manifest: &ComponentExportIndex,
        decide: &ComponentExportIndex,
    ) -> Result<PolicyManifest, Checked> {
        macro_rules! check {
            ($v:ident) => {{
                use $v::wit;
                instance
                    .get_typed_func::<(&wit::Facts,), (Result<wit::Decision, wit::PolicyError>,)>(
                        &mut *store,
                        decide,
                    )
                    .map_err(|e| Checked::WrongType("decide", e))?;
                let manifest = instance
                    .get_typed_func::<(), (wit::PolicyManifest,)>(&mut *store, manifest)
                    .map_err(|e| Checked::WrongType("manifest", e))?;
                let (m,) = manifest.call(&mut *store, ()).map_err(Checked::Failed)?;
                Ok(m.convert())
            }};
        }
        match self {
            Contract::V1_0 => check!(v1_0),
            Contract::V1_1 => check!(v1_1),
        }
    }

    /// Calls `decide` on `facts`, converted to this contract.
    ///
    /// `func` must be the `decide` export that [`Contract::check_and_read_manifest`]
    /// typechecked, in an instance of the same component.
    pub(crate) fn decide(
        self,
        store: &mut Store<StoreState>,
        func: Func,
        facts: Facts,
    ) -> wasmtime::Result<Result<Decision, PolicyError>> {
        macro_rules! decide {
            ($v:ident) => {{
                use $v::wit;
                let facts: wit::Facts = facts.convert();
                let (result,): (Result<wit::Decision, wit::PolicyError>,) =
                    call_checked(store, func, (&facts,))?;
                Ok(result.convert())
            }};
        }
        match self {
            Contract::V1_0 => decide!(v1_0),
            Contract::V1_1 => decide!(v1_1),
        }
    }
}

/// Why a module failed the check at load.
pub(crate) enum Checked {
    /// An export has another type than the contract's.
    WrongType(&'static str, wasmtime::Error),
    /// `manifest` failed when called.
    Failed(wasmtime::Error),
}

/// Calls `func` as a function of these types without typechecking it again.
fn call_checked<P, R>(store: &mut Store<StoreState>, func: Func, params: P) -> wasmtime::Result<R>
where
    P: ComponentNamedList + Lower,
    R: ComponentNamedList + Lift,
{
    // SAFETY: the caller passes the `decide` export that `check_and_read_manifest` typechecked
    // against exactly these types (`get_typed_func` on that index of the same component).
    // Skipping the check here saves walking the whole decision type on every decision.
    #[allow(unsafe_code)]
    let typed = unsafe { wasmtime::component::TypedFunc::<P, R>::new_unchecked(func) };
    typed.call(store, params)
}
