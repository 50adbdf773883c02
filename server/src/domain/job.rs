//! Background jobs over a region's claims: their kinds and statuses.

use super::named_enum;

named_enum!(
    /// What a job does.
    pub enum JobKind {
        /// A shadow run: a candidate version decides the region's claims beside the decisions
        /// in force, changing nothing.
        Shadow = "shadow",
        /// A re-decision: an active version decides again the claims it should now decide.
        Redecide = "redecide",
    }
);

named_enum!(
    /// Where a job stands.
    pub enum JobStatus {
        /// Running (its heartbeat is recent).
        Running = "running",
        /// Finished; its report is ready.
        Done = "done",
        /// Stopped on an error.
        Failed = "failed",
        /// Stored as running, but its heartbeat stopped (its instance went away).
        Interrupted = "interrupted",
    }
);
