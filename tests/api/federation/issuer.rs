//! A stand-in external issuer, in process: a Kubernetes API server's OpenID discovery
//! (`/.well-known/openid-configuration`, keys at `/openid/v1/jwks`) over plain HTTP on loopback,
//! and projected service-account tokens shaped as the kubelet gets them; plus the ways a hostile
//! or broken issuer answers (slowly, 10 MB, a redirect loop, a private key).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// An RSA signing key as an issuer holds it: PEM (for jsonwebtoken) and its public JWK.
pub struct IssuerKey {
    pub kid: String,
    encoding: EncodingKey,
    pub jwk: Value,
    /// The PKCS#8 private key, for a JWK Set that wrongly publishes it.
    pub private_der: Vec<u8>,
}

impl IssuerKey {
    pub fn generate(kid: &str) -> Self {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
            .unwrap()
            .as_ref()
            .to_vec();
        let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.clone()));
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256).unwrap();
        jwk.common.key_id = Some(kid.to_owned());
        Self {
            kid: kid.to_owned(),
            encoding,
            jwk: serde_json::to_value(&jwk).unwrap(),
            private_der: der,
        }
    }

    /// `claims` signed RS256 under this key's `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A projected service-account token's claims (Kubernetes 1.30: `iss`, `sub`, `aud`, `exp`,
/// `iat`, `nbf`, `jti` and the `kubernetes.io` claim), valid for an hour from now.
pub fn service_account_claims(iss: &str, namespace: &str, name: &str, aud: &str) -> Value {
    let now = now();
    json!({
        "iss": iss,
        "sub": format!("system:serviceaccount:{namespace}:{name}"),
        "aud": [aud],
        "exp": now + 3600,
        "iat": now,
        "nbf": now,
        "jti": format!("{:032x}", rand::random::<u128>()),
        "kubernetes.io": {
            "namespace": namespace,
            "node": { "name": "node-1", "uid": "9e2c0b0a-0d36-4c8c-9f0e-2f1b7d3a1c11" },
            "pod": { "name": format!("{name}-7d4b9c-x2x5q"), "uid": "4b0e3c1a-52b0-4bd1-b0f9-5b8a0f5f0e21" },
            "serviceaccount": { "name": name, "uid": "a1f0c2d4-7a53-4a0e-8f5e-3c7d2b1e0f98" },
        },
    })
}

/// The stand-in issuer, serving until dropped with the test.
pub struct Issuer {
    /// `http://127.0.0.1:PORT`: its `iss`.
    pub url: String,
    pub key: IssuerKey,
}

impl Issuer {
    /// Serves discovery and the JWK Set of one fresh key.
    pub async fn start() -> Self {
        let key = IssuerKey::generate("sa-key-1");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let discovery = json!({
            "issuer": url,
            "jwks_uri": format!("{url}/openid/v1/jwks"),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        });
        let jwks = json!({ "keys": [key.jwk] });
        let mut private = key.jwk.clone();
        private["d"] = json!(base64_url(&key.private_der));
        let leaked = json!({ "keys": [private] });
        let router = Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || json_answer(discovery.clone())),
            )
            .route("/openid/v1/jwks", get(move || json_answer(jwks.clone())))
            .route("/leaked/jwks", get(move || json_answer(leaked.clone())))
            .route(
                "/slow/jwks",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    StatusCode::NO_CONTENT
                }),
            )
            .route(
                "/huge/jwks",
                get(|| async {
                    let mut body = String::from(r#"{"keys":[],"pad":""#);
                    body.push_str(&"x".repeat(10 * 1024 * 1024));
                    body.push_str(r#""}"#);
                    ([(header::CONTENT_TYPE, "application/json")], body)
                }),
            )
            .route(
                "/loop/jwks",
                get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/loop/jwks")]) }),
            );
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { url, key }
    }

    /// A projected token of `system:serviceaccount:NAMESPACE:NAME` for `aud`.
    pub fn token(&self, namespace: &str, name: &str, aud: &str) -> String {
        self.key
            .sign(&service_account_claims(&self.url, namespace, name, aud))
    }
}

async fn json_answer(body: Value) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
