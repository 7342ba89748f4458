//! `private_key_jwt` (RFC 7523 §2.2): clients registered with public keys authenticate with a
//! signed assertion at the token, introspection and revocation endpoints; every bad assertion
//! is the same `invalid_client`, never a 5xx.

mod bad_input;
mod commands;
mod fetch_queue;
mod fetching;
pub mod key_checks;
mod rules;
mod shares;
mod ssrf;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};
use reqwest::{Method, Response};
use serde_json::{Value, json};

use tokendealer::domain::keys::{SigningAlg, SigningKey};

use crate::helpers::TestApp;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
pub const API: &str = "https://api.example";

/// A client's key pair: signs assertions; its public half goes in the client's JWK Set.
pub struct Signer {
    key: EncodingKey,
    pub jwk: Jwk,
    pub alg: Algorithm,
}

impl Signer {
    pub fn ed25519(kid: &str) -> Self {
        Self::generate(SigningAlg::EdDsa, Algorithm::EdDSA, kid)
    }

    pub fn rsa(kid: &str) -> Self {
        Self::generate(SigningAlg::Rs512, Algorithm::RS256, kid)
    }

    /// A key made as the dealer makes its own; the JWK names no `alg`, so RSA signs RS256.
    fn generate(kind: SigningAlg, alg: Algorithm, kid: &str) -> Self {
        let (made, pkcs8) = SigningKey::generate_for(kind).unwrap();
        let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8));
        let key = match alg {
            Algorithm::EdDSA => EncodingKey::from_ed_pem(pem.as_bytes()).unwrap(),
            _ => EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        };
        let mut jwk = made.jwk().clone();
        jwk.common.key_id = Some(kid.to_owned());
        jwk.common.key_algorithm = None;
        Self { key, jwk, alg }
    }

    /// `header.claims.signature`, with the header as given (a test's odd headers included).
    pub fn sign_raw(&self, header: &Value, claims: &Value) -> String {
        let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let input = format!("{}.{}", enc(header), enc(claims));
        let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &self.key, self.alg).unwrap();
        format!("{input}.{sig}")
    }

    pub fn header(&self) -> Value {
        json!({"alg": alg_name(self.alg), "kid": self.jwk.common.key_id, "typ": "JWT"})
    }

    pub fn sign(&self, claims: &Value) -> String {
        self.sign_raw(&self.header(), claims)
    }
}

pub fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::EdDSA => "EdDSA",
        Algorithm::RS256 => "RS256",
        _ => unreachable!(),
    }
}

pub fn jwks(signers: &[&Signer]) -> Value {
    json!({"keys": signers.iter().map(|s| &s.jwk).collect::<Vec<_>>()})
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Claims of a valid assertion of `client` for `app`, with a fresh `jti`.
pub fn claims(app: &TestApp, client: &str) -> Value {
    json!({
        "iss": client,
        "sub": client,
        "aud": app.issuer,
        "iat": now(),
        "exp": now() + 300,
        "jti": hex::encode(rand::random::<[u8; 16]>()),
    })
}

/// Registers `id` with the inline JWK Set `set`.
pub async fn register_with_keys(app: &TestApp, id: &str, set: Value) -> Value {
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(json!({"client_id": id, "audiences": [API], "jwks": set})),
        )
        .await;
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

/// A token request authenticated by `assertion` alone.
pub async fn token_with(app: &TestApp, assertion: &str, extra: &[(&str, &str)]) -> Response {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
    ];
    form.extend_from_slice(extra);
    app.http
        .post(app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Asserts the answer is the one `invalid_client` every failed assertion gets.
pub async fn assert_invalid_client(r: Response, why: &str) {
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (401, Some("invalid_client")),
        "{why}: {body}"
    );
}
