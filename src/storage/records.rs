//! Record types as stored in sled, each behind a version tag so the format can evolve.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// The on-disk envelope: `{"v":1, ...fields}`. A new format adds a variant and a migration.
#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum Versioned<T> {
    #[serde(rename = "1")]
    V1(T),
}

pub(crate) fn encode<T: Serialize>(record: T) -> anyhow::Result<Vec<u8>> {
    Ok(serde_json::to_vec(&Versioned::V1(record))?)
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> anyhow::Result<T> {
    match serde_json::from_slice::<Versioned<T>>(bytes)? {
        Versioned::V1(record) => Ok(record),
    }
}

/// A registered client. Only the SHA-256 digest of its secret is ever stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientRecord {
    pub client_id: String,
    pub secret_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<PreviousSecret>,
    pub audiences: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub grants: Vec<String>,
    pub token_ttl: u64,
    #[serde(default)]
    pub disabled: bool,
    pub created_at: u64,
    /// The JWS algorithm of the client's tokens; records written before it existed are RS512.
    #[serde(default = "default_alg")]
    pub alg: String,
    /// Random per registration; 0 in records written before it existed.
    #[serde(default)]
    pub registration: u64,
}

fn default_alg() -> String {
    "RS512".to_owned()
}

/// A rotated-out secret that keeps working until `valid_until`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviousSecret {
    pub secret_sha256: String,
    pub valid_until: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keys::{KeyRecord, KeyState};

    #[test]
    fn a_record_round_trips_through_its_version_tag() {
        let rec = KeyRecord {
            kid: "k".into(),
            alg: "RS512".into(),
            created_at: 1,
            state: KeyState::Retiring { since: 1, until: 2 },
            activated_at: Some(1),
        };
        let bytes = encode(rec.clone()).unwrap();
        assert!(String::from_utf8_lossy(&bytes).starts_with(r#"{"v":"1""#));
        assert_eq!(decode::<KeyRecord>(&bytes).unwrap(), rec);
    }

    #[test]
    fn a_record_with_an_unknown_version_is_an_error() {
        assert!(decode::<KeyRecord>(br#"{"v":"9","kid":"k"}"#).is_err());
    }
}
