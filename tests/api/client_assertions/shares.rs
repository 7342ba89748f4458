//! The single-use record every client shares (assertion and DPoP `jti`s): one client holds at
//! most its share (`[client_assertions] max_single_use_per_client`), so a noisy client cannot
//! lock the others out until its identifiers expire.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Signer, assert_invalid_client, claims, jwks, now, register_with_keys, token_with};
use crate::dpop::ProofKey;
use crate::helpers::spawn_with;

#[tokio::test]
async fn a_client_past_its_share_of_the_single_use_record_is_refused_and_others_keep_working() {
    // A record of 20 with the default share (a tenth: 2 per client).
    let app = spawn_with(|s| s.client_assertions.max_single_use = 20).await;
    let (noisy, quiet) = (Signer::ed25519("n1"), Signer::ed25519("q1"));
    register_with_keys(&app, "noisy", jwks(&[&noisy])).await;
    register_with_keys(&app, "quiet", jwks(&[&quiet])).await;
    let hour = |client: &str| {
        let mut c = claims(&app, client);
        c["exp"] = json!(now() + 3500);
        c
    };
    let mut granted = 0;
    for _ in 0..20 {
        let r = token_with(&app, &noisy.sign(&hour("noisy")), &[]).await;
        if r.status() == 200 {
            granted += 1;
        } else {
            assert_invalid_client(r, "past its share").await;
        }
    }
    assert_eq!(granted, 2, "the noisy client holds its share and no more");
    for _ in 0..2 {
        let r = token_with(&app, &quiet.sign(&hour("quiet")), &[]).await;
        assert_eq!(r.status(), 200, "another client is not locked out");
    }
    let audit: Value = app
        .admin(Method::GET, "/admin/audit?kind=auth&limit=100", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        audit.to_string().contains("single_use_share_full"),
        "{audit}"
    );
}

#[tokio::test]
async fn a_dpop_client_past_its_share_is_told_to_retry_and_others_keep_working() {
    let app = spawn_with(|s| {
        s.client_assertions.max_single_use = 20;
        s.client_assertions.max_single_use_per_client = 3;
    })
    .await;
    let endpoint = format!("{}/oauth/token", app.issuer.trim_end_matches('/'));
    let noisy = app.register("noisy", &[super::API], &[]).await;
    let quiet = app.register("quiet", &[super::API], &[]).await;
    let key = ProofKey::es256();
    let send = |client: &crate::helpers::Registered, proof: String| {
        app.http
            .post(app.url("/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client.id.as_str()),
                ("client_secret", client.secret.as_str()),
            ])
            .header("DPoP", proof)
            .send()
    };
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(send(&noisy, key.proof(&endpoint)).await.unwrap().status());
    }
    assert_eq!(
        statuses.iter().map(|s| s.as_u16()).collect::<Vec<_>>(),
        [200, 200, 200, 503, 503, 503]
    );
    let r = send(&quiet, key.proof(&endpoint)).await.unwrap();
    assert_eq!(r.status(), 200, "another client is not locked out");
}
