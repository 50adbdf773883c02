//! The callers' roles. Default deny: every route and step names the roles it admits.

use super::named_enum;

named_enum!(
    /// A role.
    pub enum Role {
        /// A platform: submits and reads its own claims.
        Platform = "platform",
        /// A case handler: reviews the claims of its regions.
        Adjuster = "adjuster",
        /// Provincial IT: deploys policies for its region.
        PolicyAdmin = "policy_admin",
        /// Reads everything, changes nothing.
        Auditor = "auditor",
        /// Issues tokens, registers signing keys and webhooks.
        Admin = "admin",
        /// Handling agency finance: builds a region's monthly payment runs; another officer
        /// releases them.
        PaymentsOfficer = "payments_officer",
    }
);
