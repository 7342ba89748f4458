//! DPoP-bound admin tokens at the admin API: refused as bearer tokens, accepted with a proof for
//! the request, once; every wrong proof refused and none spent.

use reqwest::Method;
use serde_json::json;

use super::{call, dpop_admin, dpop_refused, public};
use crate::dpop::ProofKey;
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_dpop_bound_admin_token_sent_as_a_bearer_token_is_refused_with_a_dpop_challenge() {
    let app = spawn_app().await;
    let key = ProofKey::es256();
    let (_, token) = dpop_admin(&app, &key).await;
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "Bearer",
        &token,
        &[],
        None,
    )
    .await;
    assert_eq!(dpop_refused(r).await, "invalid_token");
    let new = json!({"client_id": "sneaky", "audiences": ["https://api"]});
    let r = call(
        &app,
        Method::POST,
        "/admin/clients",
        "Bearer",
        &token,
        &[],
        Some(new),
    )
    .await;
    assert_eq!(dpop_refused(r).await, "invalid_token");
    let shown = app.admin(Method::GET, "/admin/clients/sneaky", None).await;
    assert_eq!(shown.status(), 404, "nothing was created");
    // A valid proof does not make a bearer presentation acceptable either.
    let proof = key.proof_for("GET", &public(&app, "/admin/clients"), &token);
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "Bearer",
        &token,
        &[&proof],
        None,
    )
    .await;
    assert_eq!(dpop_refused(r).await, "invalid_token");
}

#[tokio::test]
async fn a_dpop_bound_admin_token_with_a_proof_for_the_request_is_accepted_and_the_proof_once() {
    let app = spawn_app().await;
    let key = ProofKey::es256();
    let (_, token) = dpop_admin(&app, &key).await;
    let url = public(&app, "/admin/clients");
    let proof = key.proof_for("GET", &url, &token);
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "DPoP",
        &token,
        &[&proof],
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    let replayed = call(
        &app,
        Method::GET,
        "/admin/clients",
        "DPoP",
        &token,
        &[&proof],
        None,
    )
    .await;
    assert_eq!(dpop_refused(replayed).await, "invalid_dpop_proof");

    let new = json!({"client_id": "made-with-dpop", "audiences": ["https://api"]});
    let proof = key.proof_for("POST", &url, &token);
    let r = call(
        &app,
        Method::POST,
        "/admin/clients",
        "DPoP",
        &token,
        &[&proof],
        Some(new),
    )
    .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn a_proof_for_another_url_method_token_or_key_or_none_at_all_is_refused() {
    let app = spawn_app().await;
    let key = ProofKey::es256();
    let (_, token) = dpop_admin(&app, &key).await;
    let url = public(&app, "/admin/clients");
    let other_token = app.admin_token().await;
    let cases = [
        (
            "another URL",
            key.proof_for("GET", &public(&app, "/admin/keys"), &token),
            "invalid_dpop_proof",
        ),
        (
            "another method",
            key.proof_for("POST", &url, &token),
            "invalid_dpop_proof",
        ),
        (
            "another token",
            key.proof_for("GET", &url, &other_token),
            "invalid_dpop_proof",
        ),
        (
            "no ath",
            key.proof_with("GET", &url, None, None),
            "invalid_dpop_proof",
        ),
        (
            "another key",
            ProofKey::es256().proof_for("GET", &url, &token),
            "invalid_token",
        ),
    ];
    for (case, proof, expected) in cases {
        let r = call(
            &app,
            Method::GET,
            "/admin/clients",
            "DPoP",
            &token,
            &[&proof],
            None,
        )
        .await;
        assert_eq!(dpop_refused(r).await, expected, "{case}");
    }
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "DPoP",
        &token,
        &[],
        None,
    )
    .await;
    assert_eq!(dpop_refused(r).await, "invalid_dpop_proof", "no proof");
    let (a, b) = (
        key.proof_for("GET", &url, &token),
        key.proof_for("GET", &url, &token),
    );
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "DPoP",
        &token,
        &[&a, &b],
        None,
    )
    .await;
    assert_eq!(dpop_refused(r).await, "invalid_dpop_proof", "two proofs");
    // None of the refused proofs was spent: a good one still works.
    let good = key.proof_for("GET", &url, &token);
    let r = call(
        &app,
        Method::GET,
        "/admin/clients",
        "DPoP",
        &token,
        &[&good],
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
}
