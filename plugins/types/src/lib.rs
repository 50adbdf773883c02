//! The data that crosses the oip policy boundary, as plain Rust shared by both sides.
//!
//! The WIT package in `engine/wit/` is the contract. This crate mirrors its records and enums
//! once, so that the engine (host) and the policy SDK (guest) speak the same domain types, and
//! each converts to its generated bindings with [`wit_conversions!`]. It has no dependency but
//! an optional `serde`, so it compiles into a policy module at almost no cost.

mod convert;
mod model;
mod time;

pub use convert::Convert;
pub use model::*;
pub use time::{BEIJING_OFFSET_SECONDS, Date, ParseError, Timestamp};

/// The WIT package version these types mirror.
pub const WIT_VERSION: &str = "1.0.0";
