//! The engine's errors. Each says which policy and which limit; none is told apart by its text.

use oip_types::PolicyError;
use std::time::Duration;

/// Everything that can go wrong loading a module or running a decision.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not a WebAssembly component or core module, or cannot be compiled.
    #[error("not a usable policy module: {reason}")]
    Invalid {
        /// What is wrong.
        reason: String,
    },
    /// The module targets a WIT version this engine does not support.
    #[error("module targets oip:policy@{found}; this engine supports oip:policy@{expected}")]
    Incompatible {
        /// The versions supported.
        expected: String,
        /// The version found (or "none" when it exports no policy interface).
        found: String,
    },
    /// The module imports something; policy modules must import nothing.
    #[error("module imports `{name}`; policy modules may import nothing")]
    ForbiddenImport {
        /// The import's name.
        name: String,
    },
    /// The decision ran longer than the wall-clock limit.
    #[error("{policy}: stopped after the time limit of {limit:?}")]
    Timeout {
        /// The policy.
        policy: String,
        /// The limit.
        limit: Duration,
    },
    /// The decision used up its fuel (instruction budget).
    #[error("{policy}: ran out of fuel ({limit} units)")]
    OutOfFuel {
        /// The policy.
        policy: String,
        /// The limit.
        limit: u64,
    },
    /// The module tried to grow its memory (or a table) past the limit.
    #[error("{policy}: memory limit of {limit} bytes reached")]
    MemoryLimit {
        /// The policy.
        policy: String,
        /// The limit.
        limit: usize,
    },
    /// The module overflowed its stack (unbounded recursion).
    #[error("{policy}: stack overflow")]
    StackOverflow {
        /// The policy.
        policy: String,
    },
    /// The module trapped (a panic, `unreachable`, an out-of-bounds access, ...).
    #[error("{policy}: trapped: {message}")]
    Trap {
        /// The policy.
        policy: String,
        /// wasmtime's description of the trap.
        message: String,
    },
    /// The decision was larger than the output limit.
    #[error("{policy}: output of {size} bytes exceeds the limit of {limit}")]
    OutputTooLarge {
        /// The policy.
        policy: String,
        /// The limit.
        limit: usize,
        /// The size found.
        size: usize,
    },
    /// The module could not decide these facts (its own `policy-error`).
    #[error("{policy}: {}: {}", error.code, error.message.en)]
    Guest {
        /// The policy.
        policy: String,
        /// The module's error.
        error: PolicyError,
    },
    /// Every instance slot is in use; try again.
    #[error("all {limit} instance slots are busy")]
    Busy {
        /// The number of slots.
        limit: u32,
    },
    /// No policy is in force for this region and date.
    #[error("no policy in force for {region} on {date}")]
    NoPolicyInForce {
        /// The region.
        region: String,
        /// The incident date.
        date: String,
    },
    /// The compiled-code cache could not be read or written.
    #[error("compiled-code cache: {0}")]
    Cache(#[from] std::io::Error),
    /// Anything else the runtime reported.
    #[error("engine: {0}")]
    Internal(String),
}

impl Error {
    /// A stable code for the error, for APIs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "invalid_module",
            Error::Incompatible { .. } => "incompatible_wit_version",
            Error::ForbiddenImport { .. } => "forbidden_import",
            Error::Timeout { .. } => "timeout",
            Error::OutOfFuel { .. } => "out_of_fuel",
            Error::MemoryLimit { .. } => "memory_limit",
            Error::StackOverflow { .. } => "stack_overflow",
            Error::Trap { .. } => "trap",
            Error::OutputTooLarge { .. } => "output_too_large",
            Error::Guest { .. } => "policy_error",
            Error::Busy { .. } => "busy",
            Error::NoPolicyInForce { .. } => "no_policy_in_force",
            Error::Cache(_) => "cache",
            Error::Internal(_) => "internal",
        }
    }

    /// Whether the module misbehaved (a limit or a trap), as opposed to refusing the facts or
    /// the module being refused at load.
    pub fn is_runtime_fault(&self) -> bool {
        matches!(
            self,
            Error::Timeout { .. }
                | Error::OutOfFuel { .. }
                | Error::MemoryLimit { .. }
                | Error::StackOverflow { .. }
                | Error::Trap { .. }
                | Error::OutputTooLarge { .. }
        )
    }
}
