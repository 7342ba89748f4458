//! The `[federation]` table: how many external issuers may be trusted, and how many of their
//! subjects one client may be bound to.

use serde::{Deserialize, Serialize};
use smart_default::SmartDefault;

/// Bounds of workload identity federation.
#[derive(Debug, Clone, PartialEq, Eq, SmartDefault, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FederationSettings {
    /// Trusted issuers at most; adding one more is refused (409).
    #[default(64)]
    pub max_trusted_issuers: usize,
    /// Federated subjects one client may be bound to at most.
    #[default(16)]
    pub max_subjects_per_client: usize,
}

impl FederationSettings {
    /// One clear error for the first bound that makes no sense.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.max_trusted_issuers > 0 && self.max_trusted_issuers <= 10_000,
            "federation.max_trusted_issuers must be between 1 and 10000"
        );
        anyhow::ensure!(
            self.max_subjects_per_client > 0 && self.max_subjects_per_client <= 1_000,
            "federation.max_subjects_per_client must be between 1 and 1000"
        );
        Ok(())
    }
}
