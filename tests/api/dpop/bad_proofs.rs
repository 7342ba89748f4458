//! Every way a proof can be wrong is `400 invalid_dpop_proof` with a description, never a 5xx,
//! and the dealer goes on serving.

use serde_json::{Value, json};

use super::proofs::{ProofKey, b64, claims, now};
use super::{API, refused, token_endpoint, token_with_proofs};
use crate::helpers::spawn_app;

#[tokio::test]
async fn each_broken_rule_is_invalid_dpop_proof_and_the_dealer_stays_healthy() {
    let app = spawn_app().await;
    let client = app.register("svc", &[API], &[]).await;
    let htu = token_endpoint(&app);
    let key = ProofKey::es256();
    let with = |name: &str, value: Value| {
        let mut c = claims(&htu);
        c[name] = value;
        key.sign(&key.header(), &c)
    };
    let mut private = key.header();
    private["jwk"]["d"] = json!("c2VjcmV0LWtleS1tYXRlcmlhbA");
    let mut none = key.header();
    none["alg"] = json!("none");
    let mut jwt_typed = key.header();
    jwt_typed["typ"] = json!("JWT");
    let mut critical = key.header();
    critical["crit"] = json!(["exp"]);
    critical["exp"] = json!(now());
    let hs = hs256_proof(&htu);
    let other = ProofKey::es256();
    let foreign_signature = other.sign(&key.header(), &claims(&htu));

    let cases: Vec<(&str, String)> = vec![
        ("another method", with("htm", json!("GET"))),
        (
            "another host",
            with("htu", json!("https://elsewhere.example/oauth/token")),
        ),
        (
            "another path",
            with("htu", json!(htu.replace("/oauth/token", "/oauth/revoke"))),
        ),
        ("a stale iat", with("iat", json!(now() - 3600))),
        ("a future iat", with("iat", json!(now() + 3600))),
        ("no jti", {
            let mut c = claims(&htu);
            c.as_object_mut().unwrap().remove("jti");
            key.sign(&key.header(), &c)
        }),
        ("a private jwk", key.sign(&private, &claims(&htu))),
        (
            "alg none",
            format!("{}.{}.", b64(&none), b64(&claims(&htu))),
        ),
        ("HS256", hs),
        ("typ JWT", key.sign(&jwt_typed, &claims(&htu))),
        ("a crit header", key.sign(&critical, &claims(&htu))),
        ("a negative iat", with("iat", json!(-1))),
        ("a signature by another key", foreign_signature),
        ("not a JWT", "not-a-jwt".into()),
    ];
    for (what, proof) in &cases {
        let (error, description) = refused(token_with_proofs(&app, &client, &[proof]).await).await;
        assert_eq!(error, "invalid_dpop_proof", "{what}");
        assert!(description.starts_with("the DPoP"), "{what}: {description}");
    }
    let fine = key.proof(&htu);
    assert_eq!(
        token_with_proofs(&app, &client, &[&fine]).await.status(),
        200
    );
}

#[tokio::test]
async fn an_iat_with_a_fraction_is_a_numericdate_and_accepted() {
    let app = spawn_app().await;
    let client = app.register("svc", &[API], &[]).await;
    let key = ProofKey::es256();
    let mut c = claims(&token_endpoint(&app));
    c["iat"] = json!(now() as f64 + 0.25);
    let proof = key.sign(&key.header(), &c);
    assert_eq!(
        token_with_proofs(&app, &client, &[&proof]).await.status(),
        200
    );
}

#[tokio::test]
async fn a_query_in_htu_is_ignored_as_rfc_9449_section_4_3_says() {
    let app = spawn_app().await;
    let client = app.register("svc", &[API], &[]).await;
    let key = ProofKey::es256();
    let htu = format!("{}?audience=x#frag", token_endpoint(&app));
    let proof = key.proof(&htu);
    assert_eq!(
        token_with_proofs(&app, &client, &[&proof]).await.status(),
        200
    );
}

#[tokio::test]
async fn two_dpop_headers_an_empty_one_and_a_100_kb_one_are_refused() {
    let app = spawn_app().await;
    let client = app.register("svc", &[API], &[]).await;
    let key = ProofKey::es256();
    let (a, b) = (
        key.proof(&token_endpoint(&app)),
        key.proof(&token_endpoint(&app)),
    );
    let (error, description) = refused(token_with_proofs(&app, &client, &[&a, &b]).await).await;
    assert_eq!(
        (error.as_str(), description.as_str()),
        ("invalid_dpop_proof", "send exactly one DPoP header")
    );
    let (error, _) = refused(token_with_proofs(&app, &client, &[""]).await).await;
    assert_eq!(error, "invalid_dpop_proof");
    let huge = "a".repeat(100 * 1024);
    let (error, description) = refused(token_with_proofs(&app, &client, &[&huge]).await).await;
    assert_eq!(
        (error.as_str(), description.as_str()),
        ("invalid_dpop_proof", "the DPoP proof is too large")
    );
    // Neither proof was spent by the refusals.
    assert_eq!(token_with_proofs(&app, &client, &[&a]).await.status(), 200);
}

/// A proof MACed with a shared secret, its `jwk` the secret itself: never accepted.
fn hs256_proof(htu: &str) -> String {
    let secret = b"0123456789abcdef0123456789abcdef";
    let header = json!({
        "typ": "dpop+jwt", "alg": "HS256",
        "jwk": {"kty": "oct", "k": base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD, secret)},
    });
    let message = format!("{}.{}", b64(&header), b64(&claims(htu)));
    let key = jsonwebtoken::EncodingKey::from_secret(secret);
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), &key, jsonwebtoken::Algorithm::HS256)
            .unwrap();
    format!("{message}.{signature}")
}
