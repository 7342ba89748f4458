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

/// What [`encode`] writes first: the tag of the only version so far.
const V1_PREFIX: &[u8] = br#"{"v":"1","#;

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> anyhow::Result<T> {
    // A record as `encode` wrote it is read straight into `T` (which ignores the tag field):
    // the tagged enum would first buffer every field into serde's generic `Content` and then
    // read them again — on the token path, for every client lookup. Any other layout takes the
    // general path, which also refuses versions this build does not know.
    if bytes.starts_with(V1_PREFIX)
        && let Ok(record) = serde_json::from_slice::<T>(bytes)
    {
        return Ok(record);
    }
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
    /// Tokens only with a DPoP proof; records written before it existed are not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dpop_bound_access_tokens: bool,
    /// How the client authenticates; records written before it existed use their secret.
    #[serde(default, skip_serializing_if = "is_secret")]
    pub auth_method: crate::domain::client_auth::ClientAuthMethod,
}

fn is_secret(m: &crate::domain::client_auth::ClientAuthMethod) -> bool {
    m.uses_secret()
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
    fn a_record_reads_the_same_whether_or_not_its_tag_comes_first() {
        let first =
            br#"{"v":"1","kid":"k","alg":"RS512","created_at":1,"state":{"state":"active"}}"#;
        let last =
            br#"{"kid":"k","alg":"RS512","created_at":1,"state":{"state":"active"},"v":"1"}"#;
        let (a, b) = (decode::<KeyRecord>(first), decode::<KeyRecord>(last));
        assert_eq!(a.unwrap(), b.unwrap());
        assert!(decode::<KeyRecord>(br#"{"kid":"k","v":"2"}"#).is_err());
    }

    #[test]
    fn a_record_with_an_unknown_version_is_an_error() {
        assert!(decode::<KeyRecord>(br#"{"v":"9","kid":"k"}"#).is_err());
    }
}
