//! One signing key, parsed once: signs `header.claims` itself and knows its public JWK.

use anyhow::{Context, anyhow};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::RSA_PKCS1_SHA512;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde::Serialize;

/// A private key in memory with everything derived from it precomputed: its `kid` (the RFC 7638
/// SHA-256 thumbprint), its public JWK, a decoding key, and the encoded JWT headers.
pub struct SigningKey {
    kid: String,
    pair: KeyPair,
    jwk: Jwk,
    decoding: DecodingKey,
    /// `{"alg":"RS512","typ":"at+jwt","kid":...}`, base64url, with the trailing dot.
    access_header: String,
    /// `{"typ":"JWT","alg":"RS512"}`, base64url, with the trailing dot: tokenleader's header.
    legacy_header: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new RSA-2048 key, and its PKCS#8 DER to be written to disk.
    pub fn generate() -> anyhow::Result<(Self, Vec<u8>)> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| anyhow!("RSA key generation failed"))?;
        let der = pair
            .as_der()
            .map_err(|_| anyhow!("serializing the new key"))?
            .as_ref()
            .to_vec();
        Ok((Self::from_der("PRIVATE KEY", &der)?, der))
    }

    /// Parses a private key from a PEM block: `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1,
    /// as tokenleader's keys are).
    pub fn from_der(pem_tag: &str, der: &[u8]) -> anyhow::Result<Self> {
        let pair = match pem_tag {
            "PRIVATE KEY" => KeyPair::from_pkcs8(der),
            "RSA PRIVATE KEY" => KeyPair::from_der(der),
            other => {
                return Err(anyhow!(
                    "unsupported PEM block {other:?}: want an RSA private key"
                ));
            }
        }
        .map_err(|e| anyhow!("rejected RSA private key: {e}"))?;
        if pair.public_modulus_len() < 256 {
            return Err(anyhow!("RSA keys under 2048 bits are refused"));
        }
        let pem_text = pem::encode(&pem::Pem::new(pem_tag, der.to_vec()));
        let encoding =
            EncodingKey::from_rsa_pem(pem_text.as_bytes()).context("deriving the public key")?;
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS512)?;
        let kid = jwk.thumbprint(ThumbprintHash::SHA256)?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let decoding = DecodingKey::from_jwk(&jwk)?;
        let access_header =
            encode_header(&serde_json::json!({"alg": "RS512", "typ": "at+jwt", "kid": kid}))?;
        // Field order as tokenleader (PyJWT 1.7) wrote it.
        let legacy_header = format!("{}.", B64.encode(br#"{"typ":"JWT","alg":"RS512"}"#));
        Ok(Self {
            kid,
            pair,
            jwk,
            decoding,
            access_header,
            legacy_header,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> Algorithm {
        Algorithm::RS512
    }

    /// The public key as a JWK: `kty, use, alg, kid, n, e`.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// The RSA modulus and exponent, base64url, as in the JWK.
    pub fn public_components(&self) -> Option<(&str, &str)> {
        match &self.jwk.algorithm {
            jsonwebtoken::jwk::AlgorithmParameters::RSA(p) => Some((&p.n, &p.e)),
            _ => None,
        }
    }

    /// An RFC 9068 access token (`typ: at+jwt`, with `kid`) carrying `claims`.
    pub fn sign_access_token<C: Serialize>(&self, claims: &C) -> anyhow::Result<String> {
        self.sign(&self.access_header, claims)
    }

    /// A token in tokenleader's layout (`typ: JWT`, no `kid`), for its existing clients.
    pub fn sign_legacy_token<C: Serialize>(&self, claims: &C) -> anyhow::Result<String> {
        self.sign(&self.legacy_header, claims)
    }

    fn sign<C: Serialize>(&self, header: &str, claims: &C) -> anyhow::Result<String> {
        let json = serde_json::to_vec(claims)?;
        let sig_len = self.pair.public_modulus_len();
        let b64_len = |n: usize| n.div_ceil(3) * 4;
        let mut token =
            String::with_capacity(header.len() + b64_len(json.len()) + 1 + b64_len(sig_len));
        token.push_str(header);
        B64.encode_string(&json, &mut token);
        let mut sig = vec![0u8; sig_len];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.pair
            .sign(&RSA_PKCS1_SHA512, &rng, token.as_bytes(), &mut sig)
            .map_err(|_| anyhow!("RSA signing failed"))?;
        token.push('.');
        B64.encode_string(&sig, &mut token);
        Ok(token)
    }
}

fn encode_header(header: &serde_json::Value) -> anyhow::Result<String> {
    Ok(format!("{}.", B64.encode(serde_json::to_vec(header)?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Validation, decode, decode_header};

    #[test]
    fn a_signed_token_verifies_with_jsonwebtoken_and_carries_the_kid() {
        let (key, _) = SigningKey::generate().unwrap();
        let token = key
            .sign_access_token(&serde_json::json!({"sub": "svc", "exp": 4_000_000_000u64}))
            .unwrap();
        let header = decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(key.kid()));
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        let data = decode::<serde_json::Value>(
            &token,
            key.decoding_key(),
            &Validation::new(Algorithm::RS512),
        )
        .unwrap();
        assert_eq!(data.claims["sub"], "svc");
    }

    #[test]
    fn a_key_reloaded_from_its_der_has_the_same_kid() {
        let (key, der) = SigningKey::generate().unwrap();
        assert_eq!(
            SigningKey::from_der("PRIVATE KEY", &der).unwrap().kid(),
            key.kid()
        );
    }
}
