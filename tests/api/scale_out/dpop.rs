//! DPoP on two instances sharing one database: a proof spent on one is refused on the other,
//! and each accepts the nonces the other hands out (the nonce key comes from the shared
//! master key).

use serde_json::Value;

use super::{API, ISSUER, pair_with_env};
use crate::dpop::ProofKey;
use crate::helpers::{Registered, TestApp, claims_of};

async fn token(app: &TestApp, client: &Registered, proof: &str) -> reqwest::Response {
    app.http
        .post(app.url("/oauth/token"))
        .basic_auth(&client.id, Some(&client.secret))
        .header("DPoP", proof)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
#[ignore = "needs PostgreSQL (TOKENDEALER_TEST_DATABASE_URL)"]
async fn a_proof_spent_on_one_instance_is_refused_on_the_other_and_nonces_work_on_both() {
    let (a, b, _cluster) = pair_with_env(Some(ISSUER), &[("TOKENDEALER_DPOP_NONCE", "true")]).await;
    let client = a.app.register("svc", &[API], &[]).await;
    let htu = format!("{ISSUER}/oauth/token");
    let key = ProofKey::es256();

    let asked = token(&a.app, &client, &key.proof(&htu)).await;
    assert_eq!(asked.status(), 400);
    let nonce = asked.headers()["dpop-nonce"].to_str().unwrap().to_owned();

    // B knows the client within a second; a proof with A's nonce then gets B's token.
    let mut issued = None;
    for _ in 0..40 {
        let proof = key.proof_with_nonce(&htu, &nonce);
        let r = token(&b.app, &client, &proof).await;
        if r.status() == 200 {
            issued = Some((proof, r.json::<Value>().await.unwrap()));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(
        issued.is_some(),
        "B accepts A's nonce once it knows the client"
    );
    let (proof, body) = issued.unwrap();
    assert_eq!(body["token_type"], "DPoP");
    let token_b = body["access_token"].as_str().unwrap();
    assert_eq!(claims_of(token_b)["cnf"]["jkt"], key.jkt());

    let replay = token(&a.app, &client, &proof).await;
    assert_eq!(replay.status(), 400);
    let refusal: Value = replay.json().await.unwrap();
    assert_eq!(refusal["error"], "invalid_dpop_proof");
}
