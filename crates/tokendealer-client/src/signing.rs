//! The private keys this library signs with (client assertions, DPoP proofs): parsed once from
//! PKCS#8 PEM or generated, signed with aws-lc-rs, their public half as a JWK.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
    EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair as _, RsaEncoding,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::error::ClientError;

/// A private key and the algorithm it signs with: RS256/384/512 and PS256/384/512 (RSA),
/// ES256 (P-256), ES384 (P-384) or EdDSA (Ed25519). Cheap to clone; clones share the key.
///
/// The key is parsed once, when it is made: jsonwebtoken's `encode` would parse it again for
/// every signature, which for RSA costs more than the signature itself.
#[derive(Clone)]
pub struct SigningKey {
    inner: Arc<Inner>,
}

struct Inner {
    alg: Algorithm,
    pair: Pair,
    /// The public key, with no `alg`/`kid` members: what a DPoP proof's `jwk` header carries.
    public: Jwk,
    /// Its RFC 7638 thumbprint, computed once.
    thumbprint: String,
}

enum Pair {
    Rsa(RsaKeyPair, &'static dyn RsaEncoding),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl SigningKey {
    /// Reads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`; for RSA also PKCS#1's
    /// `BEGIN RSA PRIVATE KEY`) that signs with `alg`. Fails when the key is not of the kind
    /// `alg` needs (an RSA key for ES256, a P-384 key for ES256) or `alg` is symmetric.
    pub fn from_pem(pem: &[u8], alg: Algorithm) -> Result<Self, ClientError> {
        let bad = |e: jsonwebtoken::errors::Error| {
            ClientError::Config(format!("the private key is not a {alg:?} PEM key: {e}"))
        };
        let encoding = match alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => EncodingKey::from_rsa_pem(pem).map_err(bad)?,
            Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(pem).map_err(bad)?,
            Algorithm::EdDSA => EncodingKey::from_ed_pem(pem).map_err(bad)?,
            _ => {
                return Err(ClientError::Config(format!(
                    "{alg:?} is not an asymmetric algorithm a private key signs with"
                )));
            }
        };
        Self::from_encoding_key(&encoding, alg)
    }

    /// A new random key for `alg`: ES256, ES384 or EdDSA (what a DPoP key usually is; RSA
    /// keys take too long to make for that).
    pub fn generate(alg: Algorithm) -> Result<Self, ClientError> {
        let failed = |_| ClientError::Config("the key could not be generated".into());
        let der = match alg {
            Algorithm::ES256 | Algorithm::ES384 => {
                let pair = EcdsaKeyPair::generate(ec_signing(alg)?).map_err(failed)?;
                let der = pair.to_pkcs8v1().map_err(failed)?;
                EncodingKey::from_ec_der(der.as_ref())
            }
            Algorithm::EdDSA => {
                let pair = Ed25519KeyPair::generate().map_err(failed)?;
                let der = pair.to_pkcs8v1().map_err(failed)?;
                EncodingKey::from_ed_der(der.as_ref())
            }
            _ => {
                return Err(ClientError::Config(format!(
                    "keys for {alg:?} are not generated here: use ES256, ES384 or EdDSA"
                )));
            }
        };
        Self::from_encoding_key(&der, alg)
    }

    /// `encoding` holds PKCS#1 DER for RSA (as jsonwebtoken's PEM reader leaves it) and
    /// PKCS#8 DER for EC and Ed25519.
    fn from_encoding_key(encoding: &EncodingKey, alg: Algorithm) -> Result<Self, ClientError> {
        let der = encoding.as_bytes();
        let rejected =
            |e| ClientError::Config(format!("the private key is not usable for {alg:?}: {e}"));
        let pair = match alg {
            Algorithm::ES256 | Algorithm::ES384 => {
                Pair::Ecdsa(EcdsaKeyPair::from_pkcs8(ec_signing(alg)?, der).map_err(rejected)?)
            }
            Algorithm::EdDSA => {
                Pair::Ed25519(Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(rejected)?)
            }
            _ => Pair::Rsa(
                RsaKeyPair::from_der(der).map_err(rejected)?,
                rsa_padding(alg)?,
            ),
        };
        let public = public_jwk(&pair, encoding, alg)?;
        let thumbprint = public.thumbprint(ThumbprintHash::SHA256).map_err(|e| {
            ClientError::Config(format!("the key's thumbprint could not be computed: {e}"))
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                alg,
                pair,
                public,
                thumbprint,
            }),
        })
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.inner.alg
    }

    /// The public key as a JWK (RFC 7517), without `alg`, `kid` or `use`.
    pub fn public_jwk(&self) -> &Jwk {
        &self.inner.public
    }

    /// The RFC 7638 SHA-256 thumbprint of the public key, base64url: what a DPoP-bound token
    /// names in `cnf.jkt`.
    pub fn thumbprint(&self) -> &str {
        &self.inner.thumbprint
    }

    /// A compact JWS of `claims` under `header`, whose `alg` is set to this key's.
    pub(crate) fn sign_jwt(
        &self,
        header: &mut Header,
        claims: &impl Serialize,
    ) -> Result<String, ClientError> {
        header.alg = self.inner.alg;
        let mut jws = format!("{}.{}", b64_json(header)?, b64_json(claims)?);
        let signature = self.sign(jws.as_bytes())?;
        jws.push('.');
        jws.push_str(&B64.encode(signature));
        Ok(jws)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, ClientError> {
        let failed = |_| ClientError::Config("signing failed".into());
        match &self.inner.pair {
            Pair::Rsa(pair, padding) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(*padding, &SystemRandom::new(), message, &mut signature)
                    .map_err(failed)?;
                Ok(signature)
            }
            Pair::Ecdsa(pair) => Ok(pair
                .sign(&SystemRandom::new(), message)
                .map_err(failed)?
                .as_ref()
                .to_vec()),
            Pair::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.inner.alg)
            .field("thumbprint", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

/// The public half as a JWK with only its key members. EC and Ed25519 keys are read from the
/// parsed pair, which took PKCS#8 v1 and v2 alike (jsonwebtoken's own derivation refuses an
/// Ed25519 v2 key, as rcgen and aws-lc-rs write them); RSA's `n` and `e` from jsonwebtoken.
fn public_jwk(pair: &Pair, encoding: &EncodingKey, alg: Algorithm) -> Result<Jwk, ClientError> {
    let b64 = |bytes: &[u8]| B64.encode(bytes);
    let json = match pair {
        Pair::Ed25519(pair) => {
            serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref())})
        }
        Pair::Ecdsa(pair) => {
            // SEC 1 uncompressed point: 0x04, then x and y of equal length.
            let point = pair.public_key().as_ref();
            let coordinates = point.get(1..).unwrap_or_default();
            let (x, y) = coordinates.split_at(coordinates.len() / 2);
            let crv = if alg == Algorithm::ES384 {
                "P-384"
            } else {
                "P-256"
            };
            serde_json::json!({"kty": "EC", "crv": crv, "x": b64(x), "y": b64(y)})
        }
        Pair::Rsa(..) => {
            let mut jwk = Jwk::from_encoding_key(encoding, alg).map_err(|e| {
                ClientError::Config(format!("the public key could not be derived: {e}"))
            })?;
            jwk.common = Default::default();
            return Ok(jwk);
        }
    };
    serde_json::from_value(json)
        .map_err(|e| ClientError::Config(format!("the public key could not be derived: {e}")))
}

fn ec_signing(alg: Algorithm) -> Result<&'static EcdsaSigningAlgorithm, ClientError> {
    match alg {
        Algorithm::ES256 => Ok(&ECDSA_P256_SHA256_FIXED_SIGNING),
        Algorithm::ES384 => Ok(&ECDSA_P384_SHA384_FIXED_SIGNING),
        other => Err(ClientError::Config(format!(
            "{other:?} is not an ECDSA algorithm"
        ))),
    }
}

fn rsa_padding(alg: Algorithm) -> Result<&'static dyn RsaEncoding, ClientError> {
    Ok(match alg {
        Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_SHA384,
        Algorithm::PS512 => &signature::RSA_PSS_SHA512,
        other => {
            return Err(ClientError::Config(format!(
                "{other:?} is not an RSA algorithm"
            )));
        }
    })
}

fn b64_json<T: Serialize + ?Sized>(value: &T) -> Result<String, ClientError> {
    serde_json::to_vec(value)
        .map(|json| B64.encode(json))
        .map_err(|e| ClientError::Config(format!("a JWT part did not serialize: {e}")))
}
