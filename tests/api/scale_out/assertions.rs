//! A client assertion is single-use across instances: used on one, it is a replay on the other.

use super::{pair, within_a_second};
use crate::client_assertions::{Signer, claims, jwks, register_with_keys, token_with};

#[tokio::test]
#[ignore = "needs PostgreSQL (TOKENDEALER_TEST_DATABASE_URL)"]
async fn an_assertion_used_on_one_instance_is_refused_as_a_replay_on_the_other() {
    let (a, b, _cluster) = pair().await;
    let key = Signer::ed25519("k1");
    register_with_keys(&a.app, "svc", jwks(&[&key])).await;
    // B knows the client within a second.
    assert!(
        within_a_second(|| async {
            token_with(&b.app, &key.sign(&claims(&b.app, "svc")), &[])
                .await
                .status()
                == 200
        })
        .await
    );
    let once = key.sign(&claims(&a.app, "svc"));
    assert_eq!(token_with(&a.app, &once, &[]).await.status(), 200);
    let replayed = token_with(&b.app, &once, &[]).await;
    assert_eq!(replayed.status(), 401);
    assert_eq!(token_with(&a.app, &once, &[]).await.status(), 401);
}
