//! Trusted issuers and federated bindings made on one instance in force on the other within a
//! second (the cache learns of them by LISTEN/NOTIFY, as of clients).

use reqwest::Method;
use serde_json::Value;

use super::{pair, within_a_second};
use crate::federation::{add_federated, trust};

const WORKER: &str = "system:serviceaccount:billing:worker";

#[tokio::test]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL (.ci/run sets it)"]
async fn a_trusted_issuer_and_a_binding_added_or_removed_on_one_instance_are_so_on_the_other_within_a_second()
 {
    let (a, b, _cluster) = pair().await;
    trust(&a.app, "k8s", "https://k8s.example").await;
    let listed = || async {
        let list: Value = b
            .app
            .admin(Method::GET, "/admin/trust", None)
            .await
            .json()
            .await
            .unwrap();
        list.as_array().map_or(0, Vec::len)
    };
    assert!(within_a_second(|| async { listed().await == 1 }).await);
    assert_eq!(
        add_federated(&a.app, "worker", &[("k8s", WORKER)])
            .await
            .status(),
        201
    );
    assert!(
        within_a_second(|| async {
            add_federated(&b.app, "thief", &[("k8s", WORKER)])
                .await
                .status()
                == 409
        })
        .await,
        "the other instance's subject index knows the binding"
    );
    let refused = b.app.admin(Method::DELETE, "/admin/trust/k8s", None).await;
    assert_eq!(refused.status(), 409);
    assert_eq!(
        a.app
            .admin(Method::DELETE, "/admin/clients/worker", None)
            .await
            .status(),
        200
    );
    assert!(
        within_a_second(|| async {
            b.app
                .admin(Method::DELETE, "/admin/trust/k8s", None)
                .await
                .status()
                == 200
        })
        .await
    );
    assert!(within_a_second(|| async { listed().await == 0 }).await);
}
