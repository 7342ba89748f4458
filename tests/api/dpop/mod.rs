//! DPoP at the token endpoint (RFC 9449): a valid proof binds the token to its key (`cnf.jkt`,
//! `token_type` `DPoP`), every bad proof is `400 invalid_dpop_proof`, a proof is spent once,
//! nonces (§8) when on, clients registered for DPoP get no token without a proof.
//! `proofs`: keys and proofs made the way clients make them.

mod bad_proofs;
mod clients;
mod nonces;
pub mod proofs;
mod resources;
mod spending;
mod tokens;

pub use proofs::ProofKey;
use reqwest::Response;
use serde_json::Value;

use crate::helpers::{Registered, TestApp};

const API: &str = "https://api.example";

/// The token endpoint's URL as proofs name it: the issuer's, not the socket's.
fn token_endpoint(app: &TestApp) -> String {
    format!("{}/oauth/token", app.issuer.trim_end_matches('/'))
}

/// A client-credentials request by `client` with the `DPoP` headers given (none, one or more).
async fn token_with_proofs(app: &TestApp, client: &Registered, proofs: &[&str]) -> Response {
    let mut request = app.http.post(app.url("/oauth/token")).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", client.id.as_str()),
        ("client_secret", client.secret.as_str()),
    ]);
    for proof in proofs {
        request = request.header("DPoP", *proof);
    }
    request.send().await.unwrap()
}

/// The error code and description of a refused request, after checking its status is 400.
async fn refused(r: Response) -> (String, String) {
    assert_eq!(r.status(), 400, "{:?}", r.headers());
    let body: Value = r.json().await.unwrap();
    (
        body["error"].as_str().unwrap().to_owned(),
        body["error_description"].as_str().unwrap_or("").to_owned(),
    )
}
