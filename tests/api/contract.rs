//! The HTTP contract OAuth2 clients rely on, each rule on every endpoint it applies to:
//! challenges, client authentication failures, registrable client ids, CORS on the
//! public documents only, the issuer as configured, normalized passwords.

mod challenges;
mod client_ids;
mod cors;
mod issuer;
mod passwords;
mod token_size;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Response;
use serde_json::Value;

const CLIENT_AUTHENTICATED: [&str; 3] = ["/oauth/token", "/oauth/introspect", "/oauth/revoke"];
/// The challenge after a failed `Authorization` header, as oidc-provider sends it.
const BASIC: &str = r#"Basic realm="tokendealer", error="invalid_client", error_description="client authentication failed""#;
const API: &str = "https://api.example";

/// A form every client-authenticated endpoint can take: a grant type and a token.
fn form(token: &str) -> Vec<(&str, &str)> {
    vec![("grant_type", "client_credentials"), ("token", token)]
}

/// Status, `error` and `WWW-Authenticate` of an answer.
async fn outcome(r: Response) -> (u16, String, Option<String>) {
    let status = r.status().as_u16();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (
        status,
        body["error"].as_str().unwrap_or("").to_owned(),
        challenge,
    )
}

/// A failed client authentication: challenged when the client tried the `Authorization` header,
/// the JSON body alone when it tried the form or sent nothing (RFC 6749 §5.2).
fn unauthorized_client(in_header: bool) -> (u16, String, Option<String>) {
    (
        401,
        "invalid_client".into(),
        in_header.then(|| BASIC.into()),
    )
}

fn raw_basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}
