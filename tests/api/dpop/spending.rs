//! When a proof's `jti` is spent at the token endpoint: only for a request that is otherwise
//! valid, just before signing (refused requests do not fill the shared record), and held for as
//! long as the proof is accepted, its last second included; one client's `jti`s apart from another's.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::proofs::{ProofKey, claims, now};
use super::{API, refused, token_endpoint};
use crate::helpers::{TestApp, spawn_app, spawn_with};

/// A client-credentials request by `svc` (its secret given) for `audience`, with `proof`.
async fn token_for(app: &TestApp, secret: &str, audience: &str, proof: &str) -> reqwest::Response {
    app.http
        .post(app.url("/oauth/token"))
        .header("DPoP", proof)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "svc"),
            ("client_secret", secret),
            ("audience", audience),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn refused_requests_with_fresh_proofs_leave_the_single_use_record_as_it_was() {
    // Five in all, and all five this client's to take (its share would be one otherwise).
    let app = spawn_with(|s| {
        s.client_assertions.max_single_use = 5;
        s.client_assertions.max_single_use_per_client = 5;
    })
    .await;
    let client = app.register("svc", &[API], &["read"]).await;
    let key = ProofKey::es256();
    let htu = token_endpoint(&app);
    for i in 0..50 {
        let r = token_for(
            &app,
            &client.secret,
            "https://not-registered",
            &key.proof(&htu),
        )
        .await;
        let (error, _) = refused(r).await;
        assert_eq!(error, "invalid_target", "refusal {i}");
    }
    let mut too_wide = app.http.post(app.url("/oauth/token")).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "svc"),
        ("client_secret", client.secret.as_str()),
        ("scope", "read write"),
    ]);
    too_wide = too_wide.header("DPoP", key.proof(&htu));
    let (error, _) = refused(too_wide.send().await.unwrap()).await;
    assert_eq!(error, "invalid_scope");
    // The record (five places) is as empty as before: valid requests get tokens.
    for _ in 0..5 {
        let r = token_for(&app, &client.secret, API, &key.proof(&htu)).await;
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test]
async fn a_proof_in_its_last_accepted_second_is_accepted_once() {
    let app = spawn_app().await;
    let client = app.register("svc", &[API], &[]).await;
    let key = ProofKey::es256();
    // Both requests within one second: start just after a second begins.
    let into = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_millis();
    tokio::time::sleep(Duration::from_millis(u64::from(1_005 - into))).await;
    let mut c = claims(&token_endpoint(&app));
    // max_age_secs 60 + leeway_secs 10: the oldest iat accepted now.
    c["iat"] = json!(now() - 70);
    let proof = key.sign(&key.header(), &c);
    let first = token_for(&app, &client.secret, API, &proof).await;
    assert_eq!(first.status(), 200);
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["token_type"], "DPoP");
    let (error, description) = refused(token_for(&app, &client.secret, API, &proof).await).await;
    assert_eq!(error, "invalid_dpop_proof");
    assert!(description.contains("used before"), "{description}");
}

#[tokio::test]
async fn one_clients_proof_jti_is_not_spent_for_another_client() {
    let app = spawn_app().await;
    let svc = app.register("svc", &[API], &[]).await;
    let other = app.register("other", &[API], &[]).await;
    let htu = token_endpoint(&app);
    let mut c = claims(&htu);
    c["jti"] = json!("req-1");
    let theirs = ProofKey::es256();
    let r = app
        .http
        .post(app.url("/oauth/token"))
        .header("DPoP", theirs.sign(&theirs.header(), &c))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "other"),
            ("client_secret", other.secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "another client takes jti req-1 first");
    let mine = ProofKey::es256();
    let r = token_for(&app, &svc.secret, API, &mine.sign(&mine.header(), &c)).await;
    assert_eq!(r.status(), 200, "svc's own req-1 is still unspent");
}
