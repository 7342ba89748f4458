//! A signing key's metadata: its algorithm, when it was made, and where it is in its life.

use serde::{Deserialize, Serialize};

/// Metadata of a signing key; the private key itself is kept by the [`crate::domain::ports::KeyMaterial`] store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub kid: String,
    pub alg: String,
    pub created_at: u64,
    pub state: KeyState,
    /// When it began to sign; `None` for a key that never has, and in records written before
    /// the schedule existed (their `created_at` stands in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<u64>,
}

impl KeyRecord {
    /// When the key began to sign, as well as the record tells.
    pub fn signing_since(&self) -> u64 {
        self.activated_at.unwrap_or(self.created_at)
    }
}

/// Where a key is in its life: published ahead of `due`, signing, still verifying until
/// `until`, or gone. Records from before `next` existed decode unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum KeyState {
    /// In the JWKS, not signing yet; it signs from `due` on.
    Next {
        due: u64,
    },
    Active,
    Retiring {
        since: u64,
        until: u64,
    },
    Retired {
        at: u64,
    },
}

impl KeyState {
    /// Whether the key is in the JWKS.
    pub fn published(&self) -> bool {
        !matches!(self, Self::Retired { .. })
    }

    /// The order `keys list` shows states in.
    pub fn rank(&self) -> u8 {
        match self {
            Self::Active => 0,
            Self::Next { .. } => 1,
            Self::Retiring { .. } => 2,
            Self::Retired { .. } => 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_written_before_the_schedule_still_decode() {
        for (raw, state) in [
            (r#"{"state":"active"}"#, KeyState::Active),
            (
                r#"{"state":"retiring","since":1,"until":2}"#,
                KeyState::Retiring { since: 1, until: 2 },
            ),
            (r#"{"state":"retired","at":3}"#, KeyState::Retired { at: 3 }),
        ] {
            let json = format!(r#"{{"kid":"k","alg":"RS512","created_at":7,"state":{raw}}}"#);
            let rec: KeyRecord = serde_json::from_str(&json).unwrap();
            assert_eq!(rec.state, state);
            assert_eq!((rec.activated_at, rec.signing_since()), (None, 7));
        }
    }

    #[test]
    fn a_next_key_round_trips_with_its_due_time() {
        let rec = KeyRecord {
            kid: "k".into(),
            alg: "EdDSA".into(),
            created_at: 1,
            state: KeyState::Next { due: 9 },
            activated_at: None,
        };
        let json = serde_json::to_string(&rec).unwrap();
        assert!(
            json.contains(r#""state":{"state":"next","due":9}"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<KeyRecord>(&json).unwrap(), rec);
    }
}
