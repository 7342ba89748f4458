//! Overload is explicit: past the signing bound a token request is refused at once with 503.

use tokendealer::domain::keys::SignerMode;

use crate::helpers::spawn_with;

#[tokio::test]
async fn token_requests_beyond_the_signing_bound_get_503_with_retry_after_at_once() {
    refused_beyond_the_bound(SignerMode::Inline).await;
}

#[tokio::test]
async fn the_signing_pool_refuses_beyond_the_bound_too() {
    refused_beyond_the_bound(SignerMode::Pool).await;
}

async fn refused_beyond_the_bound(signer: SignerMode) {
    let app = spawn_with(|s| {
        s.signing_queue = 1;
        s.signer = signer;
    })
    .await;
    let client = app
        .register("burst", &["https://api.example"], &["read"])
        .await;
    let requests = (0..64).map(|_| app.token_post(&client.id, &client.secret, &[]));
    let responses = futures_util::future::join_all(requests).await;

    let mut issued = 0;
    let mut refused = 0;
    for r in responses {
        match r.status().as_u16() {
            200 => issued += 1,
            503 => {
                assert_eq!(r.headers()["retry-after"], "1");
                assert_eq!(r.headers()["cache-control"], "no-store");
                let body: serde_json::Value = r.json().await.unwrap();
                assert_eq!(body["error"], "temporarily_unavailable");
                refused += 1;
            }
            other => panic!("a token request under overload answered {other}"),
        }
    }
    assert!(issued > 0, "no token was issued under a burst");
    assert!(
        refused > 0,
        "64 concurrent requests never exceeded one signature at once"
    );

    // The bound frees as signatures finish: the dealer is healthy afterwards.
    let after = app.token_post(&client.id, &client.secret, &[]).await;
    assert_eq!(after.status(), 200);
}
