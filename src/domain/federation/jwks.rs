//! A JWK Set of public keys (RFC 7517 §5) as an operator hands it over: bounded, every key one
//! jsonwebtoken can verify with, and never a private or symmetric key.

use crate::domain::AdminError;

/// Largest JWK Set accepted, in bytes of JSON.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;
/// Most keys in one set (a rotation needs two or three).
pub const MAX_KEYS: usize = 32;
/// Members that only a private (or a symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1;
/// RFC 8037 §2): a set holding one was not meant to be published.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// A checked JWK Set of public keys.
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
        let keys = value
            .get("keys")
            .and_then(|k| k.as_array())
            .ok_or(AdminError::invalid(
                "a JWK Set is an object with a \"keys\" array",
            ))?;
        if keys.is_empty() || keys.len() > MAX_KEYS {
            return Err(AdminError::Invalid(
                format!("a JWK Set holds 1 to {MAX_KEYS} keys").into(),
            ));
        }
        for key in keys {
            let object = key
                .as_object()
                .ok_or(AdminError::invalid("every key of a JWK Set is an object"))?;
            if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| object.contains_key(**m)) {
                return Err(AdminError::Invalid(
                    format!(
                        "the JWK Set holds a private or symmetric key (member \"{member}\"): give public keys only"
                    )
                    .into(),
                ));
            }
            let kty = object.get("kty").and_then(|k| k.as_str());
            if !matches!(kty, Some("RSA" | "EC" | "OKP")) {
                return Err(AdminError::invalid("every key's kty is RSA, EC or OKP"));
            }
            serde_json::from_value::<jsonwebtoken::jwk::Jwk>(key.clone())
                .map_err(|_| AdminError::invalid("a key of the JWK Set is malformed"))?;
        }
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
        assert!(e.to_string().contains("member \"d\""), "{e}");
        let hmac = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#;
        assert!(PublicJwkSet::parse(hmac).is_err());
        for bad in ["[]", r#"{"keys":[]}"#, r#"{"keys":[1]}"#, "{"] {
            assert!(PublicJwkSet::parse(bad).is_err(), "{bad}");
        }
    }
}
