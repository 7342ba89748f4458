//! Proof keys (ES256, EdDSA, RS256) and proofs signed with them, as a DPoP client makes them;
//! and, for the refusals, proofs made wrong on purpose.

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

/// A key a client proves possession of.
pub struct ProofKey {
    pub encoding: EncodingKey,
    pub alg: Algorithm,
    /// The public JWK, as it goes in the proof's header.
    pub jwk: Value,
}

impl ProofKey {
    pub fn es256() -> Self {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        Self::from_encoding(
            EncodingKey::from_ec_der(pair.to_pkcs8v1().unwrap().as_ref()),
            Algorithm::ES256,
        )
    }

    pub fn ed25519() -> Self {
        let pair = Ed25519KeyPair::generate().unwrap();
        Self::from_encoding(
            EncodingKey::from_ed_der(pair.to_pkcs8v1().unwrap().as_ref()),
            Algorithm::EdDSA,
        )
    }

    pub fn rs256() -> Self {
        use aws_lc_rs::encoding::AsDer;
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let der = pair.as_der().unwrap();
        let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
        Self::from_encoding(
            EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
            Algorithm::RS256,
        )
    }

    fn from_encoding(encoding: EncodingKey, alg: Algorithm) -> Self {
        let mut jwk =
            serde_json::to_value(Jwk::from_encoding_key(&encoding, alg).unwrap()).unwrap();
        jwk.as_object_mut()
            .unwrap()
            .retain(|name, _| ["kty", "crv", "x", "y", "n", "e"].contains(&name.as_str()));
        Self { encoding, alg, jwk }
    }

    /// The RFC 7638 thumbprint: what `cnf.jkt` must say.
    pub fn jkt(&self) -> String {
        let jwk: Jwk = serde_json::from_value(self.jwk.clone()).unwrap();
        tokendealer_client::dpop::thumbprint(&jwk).unwrap()
    }

    /// The header a client sends: `typ`, `alg`, the public `jwk`.
    pub fn header(&self) -> Value {
        json!({"typ": "dpop+jwt", "alg": self.alg, "jwk": self.jwk})
    }

    /// A fresh proof for `POST htu` now, with a new `jti`.
    pub fn proof(&self, htu: &str) -> String {
        self.sign(&self.header(), &claims(htu))
    }

    /// A fresh proof carrying `nonce`.
    pub fn proof_with_nonce(&self, htu: &str, nonce: &str) -> String {
        let mut c = claims(htu);
        c["nonce"] = json!(nonce);
        self.sign(&self.header(), &c)
    }

    /// A fresh proof for `htm htu` sent with `access_token` (its `ath`, RFC 9449 §4.2).
    pub fn proof_for(&self, htm: &str, htu: &str, access_token: &str) -> String {
        self.proof_with(htm, htu, Some(access_token), None)
    }

    /// A fresh proof for `htm htu`, with the `ath` of `access_token` and `nonce` if given.
    pub fn proof_with(
        &self,
        htm: &str,
        htu: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
    ) -> String {
        let mut c = claims(htu);
        c["htm"] = json!(htm);
        if let Some(token) = access_token {
            c["ath"] = json!(tokendealer_client::dpop::access_token_hash(token));
        }
        if let Some(nonce) = nonce {
            c["nonce"] = json!(nonce);
        }
        self.sign(&self.header(), &c)
    }

    /// `header` and `claims` signed with this key, whatever they say.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let message = format!("{}.{}", b64(header), b64(claims));
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &self.encoding, self.alg).unwrap();
        format!("{message}.{signature}")
    }
}

/// A proof's claims for `POST htu` now, with a new `jti`.
pub fn claims(htu: &str) -> Value {
    json!({
        "jti": hex::encode(rand::random::<[u8; 16]>()),
        "htm": "POST",
        "htu": htu,
        "iat": now(),
    })
}

pub fn now() -> u64 {
    tokendealer::domain::UnixTime::now().as_secs()
}

pub fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}
