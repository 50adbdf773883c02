//! A policy version's statuses and the one state machine that moves them.
//!
//! ```text
//! uploaded ──approve (another person, after a shadow run)──▶ approved
//! approved | scheduled ──activate at a later time──▶ scheduled
//! approved | scheduled ──activate (now, or when the time comes)──▶ active
//! active ──rollback (the region's latest)──▶ rolled_back
//! ```
//! Built-in and configured modules are stored `active` directly. Shadow runs may be made of any
//! version; a re-decision needs an active one.

use super::named_enum;

named_enum!(
    /// Where a policy version stands.
    pub enum PolicyStatus {
        /// Uploaded and checked; waiting for a shadow run and approval.
        Uploaded = "uploaded",
        /// Approved by a second person; waiting to be activated.
        Approved = "approved",
        /// To be activated at a set time.
        Scheduled = "scheduled",
        /// In force for the dates of its window (unless a later activation supersedes it).
        Active = "active",
        /// Withdrawn by a rollback.
        RolledBack = "rolled_back",
    }
);

named_enum!(
    /// A step of the policy lifecycle.
    pub enum PolicyStep {
        /// A shadow run over the region's claims.
        Shadow = "shadow",
        /// Approval by a second person.
        Approve = "approve",
        /// Activation at a later time.
        Schedule = "schedule",
        /// Activation now.
        Activate = "activate",
        /// Rollback of the region's latest activation.
        Rollback = "rollback",
        /// Deciding again the claims the version now covers.
        Redecide = "redecide",
    }
);

impl PolicyStatus {
    /// The status a step leads to from this one, or `None` when the step is not allowed here.
    pub fn allowed(self, step: PolicyStep) -> Option<PolicyStatus> {
        use PolicyStatus as S;
        use PolicyStep as P;
        match (step, self) {
            (P::Shadow, s) => Some(s),
            (P::Approve, S::Uploaded) => Some(S::Approved),
            (P::Schedule, S::Approved | S::Scheduled) => Some(S::Scheduled),
            (P::Activate, S::Approved | S::Scheduled) => Some(S::Active),
            (P::Rollback, S::Active) => Some(S::RolledBack),
            (P::Redecide, S::Active) => Some(S::Active),
            _ => None,
        }
    }

    /// The statuses a step may start from (for the conditional updates that take it).
    pub fn from_for(step: PolicyStep) -> Vec<PolicyStatus> {
        use super::Named;
        PolicyStatus::ALL
            .iter()
            .copied()
            .filter(|s| s.allowed(step).is_some())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_the_lifecycle() {
        use PolicyStatus as S;
        use PolicyStep as P;
        assert_eq!(S::Uploaded.allowed(P::Approve), Some(S::Approved));
        assert_eq!(S::Uploaded.allowed(P::Activate), None);
        assert_eq!(S::Approved.allowed(P::Activate), Some(S::Active));
        assert_eq!(S::Scheduled.allowed(P::Schedule), Some(S::Scheduled));
        assert_eq!(S::Active.allowed(P::Rollback), Some(S::RolledBack));
        assert_eq!(S::RolledBack.allowed(P::Activate), None);
        assert_eq!(S::Approved.allowed(P::Redecide), None);
        assert_eq!(
            PolicyStatus::from_for(P::Activate),
            vec![S::Approved, S::Scheduled]
        );
    }
}

named_enum!(
    /// Where a stored version came from.
    pub enum PolicySource {
        /// Built into the binary, deployed on first start.
        Builtin = "builtin",
        /// Named in the configuration (`--policy`), deployed at start.
        Config = "config",
        /// Uploaded through the lifecycle.
        Upload = "upload",
    }
);
