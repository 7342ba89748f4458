//! The `[dpop]` table: how old a proof may be, the clock leeway, and the nonces (RFC 9449 §8).

use serde::{Deserialize, Serialize};
use smart_default::SmartDefault;

/// Settings of DPoP at the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq, SmartDefault, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DpopSettings {
    /// How old a proof's `iat` may be, in seconds. Clients make a proof right before each
    /// request; every accepted `jti` is held this long (plus the leeway) in the single-use
    /// record, so a short window keeps that record small: 60 s at 1,000 proofs/s is 70,000.
    #[default(60)]
    pub max_age_secs: u64,
    /// Clock difference tolerated between a client and the dealer, in seconds, both ways.
    #[default(10)]
    pub leeway_secs: u64,
    /// Require a server-provided nonce in every proof (RFC 9449 §8): proofs cannot be made
    /// ahead of time, and a client's clock no longer matters.
    pub nonce: bool,
    /// How long one nonce is handed out, in seconds; a nonce is accepted during its window and
    /// the next, so for one to two windows.
    #[default(120)]
    pub nonce_window_secs: u64,
}

impl DpopSettings {
    /// Whether the values make sense together: one clear error for the first that does not.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=3600).contains(&self.max_age_secs),
            "dpop.max_age_secs must be between 1 and 3600"
        );
        anyhow::ensure!(
            self.leeway_secs <= 300,
            "dpop.leeway_secs must be at most 300"
        );
        anyhow::ensure!(
            (10..=86_400).contains(&self.nonce_window_secs),
            "dpop.nonce_window_secs must be between 10 and 86400"
        );
        Ok(())
    }
}
