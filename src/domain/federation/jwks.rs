//! A JWK Set of public keys (RFC 7517 §5) as an operator hands it over at `trust add`: bounded,
//! and held to the same rules as a client's set ([`PublicKeySet`]: every key a public signing
//! key `check_key` accepts, `kid`s distinct), so that a set accepted here verifies later.

use crate::domain::AdminError;
use crate::domain::client_auth::PublicKeySet;

/// Largest JWK Set accepted, in bytes of JSON.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;

/// A checked JWK Set of public keys, kept as the operator wrote it.
#[derive(Debug, Clone)]
pub struct PublicJwkSet(serde_json::Value);

impl PublicJwkSet {
    pub fn parse(text: &str) -> Result<Self, AdminError> {
        if text.len() > MAX_JWKS_BYTES {
            return Err(AdminError::Invalid(
                format!("a JWK Set is at most {MAX_JWKS_BYTES} bytes").into(),
            ));
        }
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|_| AdminError::invalid("the JWK Set is not JSON"))?;
        // The set is parsed again by this rule when a token is verified with it.
        PublicKeySet::parse(&value).map_err(AdminError::Invalid)?;
        Ok(Self(value))
    }

    pub fn into_value(self) -> serde_json::Value {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA: &str = r#"{"kty":"RSA","kid":"a","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"}"#;

    #[test]
    fn public_keys_pass_and_a_private_member_is_refused_by_name() {
        assert!(PublicJwkSet::parse(&format!(r#"{{"keys":[{RSA}]}}"#)).is_ok());
        let private = RSA.replace(r#""e":"AQAB""#, r#""e":"AQAB","d":"x""#);
        let e = PublicJwkSet::parse(&format!(r#"{{"keys":[{private}]}}"#)).unwrap_err();
        assert!(e.to_string().contains("key \"a\": it holds"), "{e}");
        assert!(e.to_string().contains("member \"d\""), "{e}");
        let hmac = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#;
        assert!(PublicJwkSet::parse(hmac).is_err());
        for bad in ["[]", r#"{"keys":[]}"#, r#"{"keys":[1]}"#, "{"] {
            assert!(PublicJwkSet::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_key_is_held_to_the_rules_of_a_clients_set() {
        let encryption = RSA.replace(r#""kid":"a""#, r#""kid":"a","use":"enc""#);
        let e = PublicJwkSet::parse(&format!(r#"{{"keys":[{encryption}]}}"#)).unwrap_err();
        assert!(e.to_string().contains("key \"a\""), "{e}");
    }
}
