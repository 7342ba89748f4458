//! A signing key's metadata: its algorithm, when it was made, and where it is in its life.

use serde::{Deserialize, Serialize};

/// Metadata of a signing key; the private key itself is kept by the [`crate::domain::ports::KeyMaterial`] store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub kid: String,
    pub alg: String,
    pub created_at: u64,
    pub state: KeyState,
}

/// Where a key is in its life: signing, still verifying until `until`, or gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum KeyState {
    Active,
    Retiring { since: u64, until: u64 },
    Retired { at: u64 },
}
