//! tokenleader-layout tokens: `{"typ":"JWT","alg":"RS512"}`, claims `exp`, `iat` and `sub` as an
//! object, no `aud`, `iss` or `jti`, so tokenleaderclient verifies them unchanged.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};

use super::directory::User;
use crate::domain::UnixTime;
use crate::domain::keys::SigningKey;

/// The `sub.wfc` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenleaderWfc {
    pub id: u64,
    pub name: String,
    pub org: String,
    pub orgunit: String,
    pub department: String,
}

/// The `sub` object: who the token is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenleaderSubject {
    pub id: u64,
    pub username: String,
    pub email: String,
    pub roles: Vec<String>,
    pub wfc: TokenleaderWfc,
}

/// A tokenleader token's claims, in tokenleader's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenleaderClaims {
    pub exp: u64,
    pub iat: u64,
    pub sub: TokenleaderSubject,
}

impl TokenleaderClaims {
    pub fn new(user: &User, now: UnixTime, ttl: u64) -> Self {
        Self {
            exp: now.plus(ttl).as_secs(),
            iat: now.as_secs(),
            sub: TokenleaderSubject {
                id: user.id,
                username: user.username.clone(),
                email: user.email.clone(),
                roles: user.roles.clone(),
                wfc: TokenleaderWfc {
                    id: user.wfc.id,
                    name: user.wfc.name.clone(),
                    org: user.wfc.org.clone(),
                    orgunit: user.wfc.orgunit.clone(),
                    department: user.wfc.department.clone(),
                },
            },
        }
    }
}

/// Why a legacy token was refused: tokenleader told these two apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenleaderRejection {
    Expired,
    Invalid,
}

/// Verifies a legacy token: RS512 only, signed by a key of the ring (legacy tokens carry no
/// `kid`, so the active key is tried first, then the retiring ones), exactly tokenleader's claims
/// (so no `aud`), and `now < exp`. `Expired` only once the signature is good.
///
/// The signature is checked with `jsonwebtoken::crypto::verify` and the claims parsed here:
/// `jsonwebtoken::decode` cannot validate a token whose `sub` is an object.
pub fn verify(
    keys: &[Arc<SigningKey>],
    token: &str,
    now: UnixTime,
) -> Result<TokenleaderClaims, TokenleaderRejection> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenleaderRejection::Invalid)?;
    if header.alg != Algorithm::RS512 || header.kid.is_some() || header.crit.is_some() {
        return Err(TokenleaderRejection::Invalid);
    }
    let (message, signature) = token
        .rsplit_once('.')
        .ok_or(TokenleaderRejection::Invalid)?;
    let (_, payload) = message
        .split_once('.')
        .ok_or(TokenleaderRejection::Invalid)?;
    let signed = keys.iter().any(|key| {
        jsonwebtoken::crypto::verify(
            signature,
            message.as_bytes(),
            key.decoding_key(),
            Algorithm::RS512,
        )
        .unwrap_or(false)
    });
    if !signed {
        return Err(TokenleaderRejection::Invalid);
    }
    let json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenleaderRejection::Invalid)?;
    let claims: TokenleaderClaims =
        serde_json::from_slice(&json).map_err(|_| TokenleaderRejection::Invalid)?;
    if now.as_secs() >= claims.exp {
        return Err(TokenleaderRejection::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: u64) -> TokenleaderClaims {
        TokenleaderClaims {
            exp,
            iat: exp - 3600,
            sub: TokenleaderSubject {
                id: 1,
                username: "alice".into(),
                email: "alice@acme.example".into(),
                roles: vec!["ops".into()],
                wfc: TokenleaderWfc {
                    id: 2,
                    name: "w".into(),
                    org: "o".into(),
                    orgunit: "u".into(),
                    department: "d".into(),
                },
            },
        }
    }

    #[test]
    fn a_token_is_good_until_its_exp_and_expired_from_then_on() {
        let (key, _) = SigningKey::generate().unwrap();
        let token = key.sign_tokenleader_token(&claims(5000)).unwrap();
        let keys = [Arc::new(key)];
        let at = |t| verify(&keys, &token, UnixTime::from_secs(t));
        assert_eq!(at(4999).unwrap(), claims(5000));
        assert_eq!(at(5000).unwrap_err(), TokenleaderRejection::Expired);
    }

    #[test]
    fn a_retiring_key_still_verifies_and_a_foreign_one_does_not() {
        let (old, _) = SigningKey::generate().unwrap();
        let (new, _) = SigningKey::generate().unwrap();
        let (foreign, _) = SigningKey::generate().unwrap();
        let token = old.sign_tokenleader_token(&claims(5000)).unwrap();
        let forged = foreign.sign_tokenleader_token(&claims(5000)).unwrap();
        let keys = [Arc::new(new), Arc::new(old)];
        let now = UnixTime::from_secs(10);
        assert!(verify(&keys, &token, now).is_ok());
        assert_eq!(
            verify(&keys, &forged, now),
            Err(TokenleaderRejection::Invalid)
        );
        // A forgery is invalid even once past its exp: expiry is only told for good signatures.
        let later = UnixTime::from_secs(9999);
        assert_eq!(
            verify(&keys, &forged, later),
            Err(TokenleaderRejection::Invalid)
        );
    }
}
