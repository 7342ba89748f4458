//! One signing key, parsed once: signs `header.claims` itself and knows its public JWK.

use anyhow::{Context, anyhow};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RSA_PKCS1_SHA512,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
    ThumbprintHash,
};
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::Serialize;

use super::SigningAlg;

/// The parsed private key, one variant per algorithm: parsing costs more than signing for RSA.
enum Pair {
    Rsa(RsaKeyPair),
    Ed(Ed25519KeyPair),
    Ec(EcdsaKeyPair),
}

/// A private key in memory with everything derived from it precomputed: its `kid` (the RFC 7638
/// SHA-256 thumbprint), its public JWK, a decoding key, and the encoded JWT headers.
pub struct SigningKey {
    kid: String,
    alg: SigningAlg,
    pair: Pair,
    jwk: Jwk,
    decoding: DecodingKey,
    /// `{"alg":...,"typ":"at+jwt","kid":...}`, base64url, with the trailing dot.
    access_header: String,
    /// `{"typ":"JWT","alg":"RS512"}`, base64url, with the trailing dot: tokenleader's header.
    tokenleader_header: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new RSA-2048 key, and its PKCS#8 DER to be written to disk.
    pub fn generate() -> anyhow::Result<(Self, Vec<u8>)> {
        Self::generate_for(SigningAlg::Rs512)
    }

    /// A new key for `alg` (RSA-2048, Ed25519 or P-256), and its PKCS#8 DER.
    pub fn generate_for(alg: SigningAlg) -> anyhow::Result<(Self, Vec<u8>)> {
        let failed = |_| anyhow!("{alg} key generation failed");
        let der = match alg {
            SigningAlg::Rs512 => RsaKeyPair::generate(KeySize::Rsa2048)
                .map_err(failed)?
                .as_der()
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            SigningAlg::EdDsa => Ed25519KeyPair::generate()
                .map_err(failed)?
                .to_pkcs8v1()
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            SigningAlg::Es256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                .map_err(failed)?
                .to_pkcs8v1()
                .map_err(failed)?
                .as_ref()
                .to_vec(),
        };
        Ok((Self::from_der("PRIVATE KEY", &der)?, der))
    }

    /// Parses a private key from a PEM block: `PRIVATE KEY` (PKCS#8: RSA, Ed25519 or P-256) or
    /// `RSA PRIVATE KEY` (PKCS#1, as tokenleader's keys are).
    pub fn from_der(pem_tag: &str, der: &[u8]) -> anyhow::Result<Self> {
        let pair = match pem_tag {
            "PRIVATE KEY" => parse_pkcs8(der)?,
            "RSA PRIVATE KEY" => Pair::Rsa(
                RsaKeyPair::from_der(der).map_err(|e| anyhow!("rejected RSA private key: {e}"))?,
            ),
            other => {
                return Err(anyhow!(
                    "unsupported PEM block {other:?}: want a PKCS#8 or PKCS#1 RSA private key"
                ));
            }
        };
        let (alg, params) = match &pair {
            Pair::Rsa(rsa) => {
                // Over 4096 bits every token would carry a signature of 1 KiB and more (and
                // cost eight times the signing time): the token size budget assumes at most 4096.
                if !(256..=512).contains(&rsa.public_modulus_len()) {
                    return Err(anyhow!("RSA keys must be 2048 to 4096 bits"));
                }
                let pem_text = pem::encode(&pem::Pem::new(pem_tag, der.to_vec()));
                let encoding = EncodingKey::from_rsa_pem(pem_text.as_bytes())
                    .context("deriving the public key")?;
                let jwk = Jwk::from_encoding_key(&encoding, SigningAlg::Rs512.jwt())?;
                (SigningAlg::Rs512, jwk.algorithm)
            }
            Pair::Ed(ed) => (
                SigningAlg::EdDsa,
                AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                    key_type: OctetKeyPairType::OctetKeyPair,
                    curve: EllipticCurve::Ed25519,
                    x: B64.encode(ed.public_key().as_ref()),
                }),
            ),
            Pair::Ec(ec) => {
                // Uncompressed SEC1 point: 0x04 || x || y.
                let (x, y) = match ec.public_key().as_ref() {
                    [4, xy @ ..] if xy.len() == 64 => xy.split_at(32),
                    _ => return Err(anyhow!("unexpected P-256 public key encoding")),
                };
                (
                    SigningAlg::Es256,
                    AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                        key_type: EllipticCurveKeyType::EC,
                        curve: EllipticCurve::P256,
                        x: B64.encode(x),
                        y: B64.encode(y),
                    }),
                )
            }
        };
        let mut jwk = Jwk {
            common: CommonParameters {
                key_algorithm: Some(alg.jwt().into()),
                ..Default::default()
            },
            algorithm: params,
        };
        let kid = jwk.thumbprint(ThumbprintHash::SHA256)?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let decoding = DecodingKey::from_jwk(&jwk)?;
        let access_header =
            encode_header(&serde_json::json!({"alg": alg.as_str(), "typ": "at+jwt", "kid": kid}))?;
        // Field order as tokenleader (PyJWT 1.7) wrote it.
        let tokenleader_header =
            encode_header_text(&format!(r#"{{"typ":"JWT","alg":"{}"}}"#, alg.as_str()));
        Ok(Self {
            kid,
            alg,
            pair,
            jwk,
            decoding,
            access_header,
            tokenleader_header,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> jsonwebtoken::Algorithm {
        self.alg.jwt()
    }

    pub fn signing_alg(&self) -> SigningAlg {
        self.alg
    }

    /// The public key as a JWK: `kty, use, alg, kid` and `n, e` (RSA), `crv, x` (OKP) or
    /// `crv, x, y` (EC).
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// The RSA modulus and exponent, base64url, as in the JWK; `None` for other key types.
    pub fn public_components(&self) -> Option<(&str, &str)> {
        match &self.jwk.algorithm {
            AlgorithmParameters::RSA(p) => Some((&p.n, &p.e)),
            _ => None,
        }
    }

    /// An RFC 9068 access token (`typ: at+jwt`, with `kid`) carrying `claims`.
    pub fn sign_access_token<C: Serialize>(&self, claims: &C) -> anyhow::Result<String> {
        self.sign(&self.access_header, claims)
    }

    /// A token in tokenleader's layout (`typ: JWT`, no `kid`), for its existing clients.
    pub fn sign_tokenleader_token<C: Serialize>(&self, claims: &C) -> anyhow::Result<String> {
        self.sign(&self.tokenleader_header, claims)
    }

    /// `header.base64url(claims).base64url(signature)`: the claims are serialized once into a
    /// buffer and encoded in one pass (base64's streaming writer, fed serde's many small
    /// writes, cost about as much again: buffering, UTF-8 checks, a zeroed 1 KiB buffer), the
    /// token is sized once, the signature lands on the stack.
    fn sign<C: Serialize>(&self, header: &str, claims: &C) -> anyhow::Result<String> {
        let sig_len = match &self.pair {
            Pair::Rsa(rsa) => rsa.public_modulus_len(),
            Pair::Ed(_) | Pair::Ec(_) => 64,
        };
        let mut json = Vec::with_capacity(512);
        serde_json::to_writer(&mut json, claims)?;
        let b64_len = |n: usize| n.div_ceil(3) * 4;
        let mut token =
            String::with_capacity(header.len() + b64_len(json.len()) + 1 + b64_len(sig_len));
        token.push_str(header);
        B64.encode_string(&json, &mut token);
        let failed = || anyhow!("{} signing failed", self.alg);
        let rng = aws_lc_rs::rand::SystemRandom::new();
        match &self.pair {
            Pair::Rsa(rsa) => {
                let mut sig = [0u8; 1024];
                let sig = sig.get_mut(..sig_len).ok_or_else(failed)?;
                rsa.sign(&RSA_PKCS1_SHA512, &rng, token.as_bytes(), sig)
                    .map_err(|_| failed())?;
                token.push('.');
                B64.encode_string(sig, &mut token);
            }
            Pair::Ed(ed) => {
                let sig = ed.sign(token.as_bytes());
                token.push('.');
                B64.encode_string(sig.as_ref(), &mut token);
            }
            Pair::Ec(ec) => {
                let sig = ec.sign(&rng, token.as_bytes()).map_err(|_| failed())?;
                token.push('.');
                B64.encode_string(sig.as_ref(), &mut token);
            }
        }
        Ok(token)
    }
}

/// A PKCS#8 key of any algorithm the dealer signs with.
fn parse_pkcs8(der: &[u8]) -> anyhow::Result<Pair> {
    if let Ok(rsa) = RsaKeyPair::from_pkcs8(der) {
        return Ok(Pair::Rsa(rsa));
    }
    if let Ok(ed) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
        return Ok(Pair::Ed(ed));
    }
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
        .map(Pair::Ec)
        .map_err(|e| anyhow!("rejected private key: not RSA, Ed25519 or P-256 PKCS#8 ({e})"))
}

fn encode_header(header: &serde_json::Value) -> anyhow::Result<String> {
    Ok(format!("{}.", B64.encode(serde_json::to_vec(header)?)))
}

fn encode_header_text(header: &str) -> String {
    format!("{}.", B64.encode(header))
}

#[cfg(test)]
mod tests;
