//! The data that crosses the oip policy boundary, as plain Rust shared by both sides.
//!
//! The WIT package in `engine/wit/` is the contract. This crate mirrors its records and enums
//! once, so that the engine (host) and the policy SDK (guest) speak the same domain types, and
//! each converts to its generated bindings with [`wit_conversions!`]. It has no dependency but
//! an optional `serde`, so it compiles into a policy module at almost no cost.
//!
//! What the host and the guests must read alike lives here too: the working-day calendar
//! ([`calendar`], [`holidays`]), fen arithmetic and its formatting ([`money`]), and, with the
//! `cases` feature, the case files and their checker ([`cases`]).

pub mod calendar;
#[cfg(feature = "cases")]
pub mod cases;
mod convert;
pub mod holidays;
#[cfg(feature = "serde")]
pub mod int;
mod model;
pub mod money;
mod time;

pub use convert::Convert;
pub use model::*;
pub use time::{
    BEIJING_OFFSET_SECONDS, DATE_PATTERN, Date, ParseError, TIMESTAMP_PATTERN, Timestamp,
};

/// The WIT package version these types mirror.
pub const WIT_VERSION: &str = "1.1.0";
