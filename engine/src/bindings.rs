//! The host bindings, generated from `engine/wit` — the same files the guests use.

wasmtime::component::bindgen!({
    world: "policy-module",
    path: "wit",
});

pub(crate) use exports::oip::policy::policy as wit;

oip_types::wit_conversions!(wit);
