//! A revocation holds on every instance: whichever instance issued the token and whichever
//! revoked it, both refuse it within a second, at introspection and at the bearer routes
//! (`/catalog` for any token, `/admin/*` for the admin's), also after either restarts.

use std::time::Duration;

use reqwest::Method;

use super::{API, Node, pair, pair_with, within, within_a_second};
use crate::helpers::{Registered, TestApp};

/// A client's token and the admin's, both issued by one instance.
struct Issued {
    client: String,
    admin: String,
}

/// Whether `app` refuses both tokens of `issued`: inactive at introspection, 401 at
/// `/catalog` and at `/admin/clients`.
async fn refuses(app: &TestApp, svc: &Registered, issued: &Issued) -> bool {
    let catalog = app
        .http
        .get(app.url("/catalog"))
        .bearer_auth(&issued.client)
        .send()
        .await
        .unwrap()
        .status();
    let admin = app
        .admin_as(&issued.admin, Method::GET, "/admin/clients", None)
        .await
        .status();
    let introspected = [
        app.introspect(svc, &issued.client).await,
        app.introspect(&app.admin_client(), &issued.admin).await,
    ];
    catalog == 401 && admin == 401 && introspected.iter().all(|i| i["active"] == false)
}

/// For each instance that issues and each that revokes: issues both tokens on one, revokes
/// them on the other, and waits (up to a second) until both instances refuse them. Returns
/// the tokens revoked, and how long each combination took until both refused.
async fn every_combination(a: &Node, b: &Node, svc: &Registered) -> (Vec<Issued>, Vec<String>) {
    let nodes = [("A", a), ("B", b)];
    let (mut revoked, mut took) = (Vec::new(), Vec::new());
    for (issuer_name, issuer) in nodes {
        for (revoker_name, revoker) in nodes {
            let issued = Issued {
                client: issuer.app.access_token(svc, &[]).await,
                admin: issuer.app.admin_token().await,
            };
            revoker.app.revoke(svc, &issued.client).await;
            revoker
                .app
                .revoke(&revoker.app.admin_client(), &issued.admin)
                .await;
            let mut slowest = Duration::ZERO;
            for (name, node) in nodes {
                let refused = within(Duration::from_secs(1), || refuses(&node.app, svc, &issued));
                let after = refused.await.unwrap_or_else(|| {
                    panic!("issued on {issuer_name}, revoked on {revoker_name}: {name} accepts it")
                });
                slowest = slowest.max(after);
            }
            took.push(format!("{issuer_name}→{revoker_name} {slowest:?}"));
            revoked.push(issued);
        }
    }
    (revoked, took)
}

/// The client `svc` on A, once B knows it too.
async fn svc_on_both(a: &Node, b: &Node) -> Registered {
    let svc = a.app.register("svc", &[API], &[]).await;
    let known = || async { b.app.token_post("svc", &svc.secret, &[]).await.status() == 200 };
    assert!(within_a_second(known).await);
    svc
}

#[tokio::test]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL (.ci/run sets it)"]
async fn a_token_revoked_on_either_instance_is_refused_by_both_within_a_second_also_after_a_restart()
 {
    let (a, b, cluster) = pair().await;
    let svc = svc_on_both(&a, &b).await;
    let (revoked, took) = every_combination(&a, &b, &svc).await;
    println!("one issuer; until both refuse: {took:?}");

    // A restarted instance reads the list anew: every token stays refused, and one it revokes
    // after the restart is refused by the other.
    let a = cluster.replace(a).await;
    for issued in &revoked {
        assert!(refuses(&a.app, &svc, issued).await);
    }
    let b = cluster.replace(b).await;
    for issued in &revoked {
        assert!(refuses(&b.app, &svc, issued).await);
    }
    let (_, took) = every_combination(&a, &b, &svc).await;
    println!("after both restarted: {took:?}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL (.ci/run sets it)"]
async fn instances_left_with_their_own_default_issuers_still_refuse_a_token_revoked_on_the_other() {
    // Each instance's issuer is its own `http://<listen>`: a token of one is not the other's
    // to accept, but it is the other's to revoke (the denylist and the keys are shared).
    let (a, b, _cluster) = pair_with(None).await;
    assert_ne!(a.app.issuer, b.app.issuer);
    let svc = svc_on_both(&a, &b).await;
    let (_, took) = every_combination(&a, &b, &svc).await;
    println!("each its own issuer; until both refuse: {took:?}");
}
