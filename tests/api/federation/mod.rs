//! Workload identity federation: trusted issuers (admin API, command line, console), clients
//! bound to their subjects, and those subjects' tokens authenticating the clients.

mod authentication;
mod binding;
mod issuer;
mod races;
mod trust;
mod up_front;

use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// RFC 7517 appendix A.1's RSA public key: a well-formed public JWK Set.
pub const PUBLIC_JWKS: &str = r#"{"keys":[{"kty":"RSA","kid":"a","use":"sig","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB"}]}"#;

pub fn public_jwks() -> Value {
    serde_json::from_str(PUBLIC_JWKS).unwrap()
}

/// `POST /admin/trust` with `body`.
pub async fn trust_with(app: &TestApp, body: Value) -> Response {
    app.admin(Method::POST, "/admin/trust", Some(body)).await
}

/// Trusts `issuer` as `name` with the inline public JWK Set; asserts it was added.
pub async fn trust(app: &TestApp, name: &str, issuer: &str) -> Value {
    let r = trust_with(
        app,
        json!({ "name": name, "issuer": issuer, "jwks": public_jwks() }),
    )
    .await;
    assert_eq!(r.status(), 201, "{name} is trusted");
    r.json().await.unwrap()
}

/// Registers `id` bound to `subjects` (`(trust, subject)`), answering the admin API's response.
pub async fn add_federated(app: &TestApp, id: &str, subjects: &[(&str, &str)]) -> Response {
    let federated: Vec<Value> = subjects
        .iter()
        .map(|(t, s)| json!({ "trust": t, "subject": s }))
        .collect();
    let body =
        json!({ "client_id": id, "audiences": ["https://api.test"], "federated": federated });
    app.admin(Method::POST, "/admin/clients", Some(body)).await
}
