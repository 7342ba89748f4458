//! Changes of the key set on two instances at once (rotations asked of both, the schedule
//! ticking on both): each runs under the cross-instance lock against the records as stored, so
//! the set stays what one instance at a time would make of it — one active key per algorithm,
//! at most one next key, the bound of replaced keys kept.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};
use tokendealer::domain::keys::MAX_REPLACED_KEYS;

use super::{Node, pair, within_a_second};

/// How many keys of each algorithm `node` lists in `state`.
async fn count(node: &Node, state: &str) -> BTreeMap<String, usize> {
    let keys: Value = node
        .app
        .admin(Method::GET, "/admin/keys", None)
        .await
        .json()
        .await
        .unwrap();
    let mut counts = BTreeMap::new();
    for key in keys.as_array().unwrap() {
        if key["state"] == state {
            *counts
                .entry(key["alg"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    counts
}

/// The key set as `node` lists it, for comparing instances.
async fn listing(node: &Node) -> Value {
    node.app
        .admin(Method::GET, "/admin/keys", None)
        .await
        .json()
        .await
        .unwrap()
}

/// Both instances ask for the rotation `body` at the same moment (tokens fetched first);
/// returns their statuses once both list the same key set.
async fn race(a: &Node, b: &Node, body: &Value) -> [u16; 2] {
    let (token_a, token_b) = (a.app.admin_token().await, b.app.admin_token().await);
    let (ra, rb) = tokio::join!(
        a.app.admin_as(
            &token_a,
            Method::POST,
            "/admin/keys/rotate",
            Some(body.clone())
        ),
        b.app.admin_as(
            &token_b,
            Method::POST,
            "/admin/keys/rotate",
            Some(body.clone())
        ),
    );
    let (sa, sb) = (ra.status().as_u16(), rb.status().as_u16());
    assert!(
        within_a_second(|| async { listing(a).await == listing(b).await }).await,
        "both instances list one key set"
    );
    [sa, sb]
}

#[tokio::test]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL (.ci/run sets it)"]
async fn rotations_asked_of_two_instances_at_once_leave_one_active_key_per_algorithm() {
    let (a, b, _cluster) = pair().await;
    let one_each: BTreeMap<String, usize> = ["ES256", "EdDSA", "RS512"]
        .map(|alg| (alg.to_owned(), 1))
        .into();
    let mut rounds = Vec::new();
    for round in 0..8 {
        let statuses = race(&a, &b, &json!({"now": true})).await;
        assert_eq!(statuses, [200, 200], "round {round}");
        let active = count(&a, "active").await;
        rounds.push(active.clone());
        assert_eq!(active, one_each, "round {round}: active keys per algorithm");
        let replaced = count(&a, "retiring").await;
        assert!(
            replaced.values().all(|&n| n == 2 * (round + 1)),
            "none lost: {replaced:?}"
        );
    }
    println!("active keys per algorithm after each of 8 rounds: {rounds:?}");

    // Published ahead (no `now`): one next key per algorithm, the one both answered with.
    race(&a, &b, &json!({})).await;
    assert_eq!(count(&a, "next").await, one_each);
    assert_eq!(count(&a, "active").await, one_each);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL (.ci/run sets it)"]
async fn the_bound_of_replaced_keys_holds_when_two_instances_rotate_at_once() {
    let (a, b, _cluster) = pair().await;
    let eddsa = json!({"alg": "EdDSA", "now": true});
    for i in 1..MAX_REPLACED_KEYS {
        let r = a
            .app
            .admin(Method::POST, "/admin/keys/rotate", Some(eddsa.clone()))
            .await;
        assert_eq!(r.status(), 200, "rotation {i}");
    }
    // One replaced key short of the bound: one of the two may rotate, the other is refused.
    let mut statuses = race(&a, &b, &eddsa).await;
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    assert_eq!(count(&a, "retiring").await["EdDSA"], MAX_REPLACED_KEYS);
    assert_eq!(count(&a, "active").await["EdDSA"], 1);
}

/// Keys per algorithm and state, as the database holds them.
async fn stored_states(url: &str) -> BTreeMap<(String, String), usize> {
    let (db, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let rows = db
        .query(
            "SELECT record->>'alg', record->'state'->>'state' FROM td_key_records",
            &[],
        )
        .await
        .unwrap();
    let mut counts = BTreeMap::new();
    for row in rows {
        *counts.entry((row.get(0), row.get(1))).or_default() += 1;
    }
    counts
}

#[tokio::test]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL (.ci/run sets it)"]
async fn the_schedule_ticking_on_two_instances_at_once_keeps_one_active_and_one_next_key_at_most() {
    use std::sync::Arc;
    use tokendealer::domain::UnixTime;
    use tokendealer::domain::keys::{Algorithms, KeyManager, KeyPolicy};

    let url = super::database().await;
    let mut app = crate::helpers::spawn_with(|s| crate::helpers::use_postgres(s, &url)).await;
    let policy = KeyPolicy {
        verify_window: 60,
        rotation_period: 100,
        prepublish: 10,
        algorithms: Algorithms::ALL,
    };
    let t0 = UnixTime::now();
    let (one, two) = (app.postgres().await.unwrap(), app.postgres().await.unwrap());
    let manager = |pg: &tokendealer::storage::PgStore| {
        let pg = Arc::new(pg.clone());
        KeyManager::load_with(pg.clone(), pg, policy, t0)
    };
    let (a, b) = (manager(&one).await.unwrap(), manager(&two).await.unwrap());
    // Both tick at once, as two instances would if one's lease lapsed while it was still
    // acting: the lease picks who acts, the lock keeps what they do consistent.
    let mut seen = BTreeMap::new();
    for step in 1..=60 {
        let now = t0.plus(7 * step);
        let (ra, rb) = tokio::join!(a.tick(now), b.tick(now));
        ra.unwrap();
        rb.unwrap();
        let states = stored_states(&url).await;
        for alg in ["ES256", "EdDSA", "RS512"] {
            let of = |state: &str| states.get(&(alg.to_owned(), state.to_owned())).copied();
            assert_eq!(of("active"), Some(1), "{alg} at step {step}: {states:?}");
            assert!(
                of("next").unwrap_or(0) <= 1,
                "{alg} at step {step}: {states:?}"
            );
        }
        for (key, n) in states {
            seen.insert(key, n);
        }
    }
    let rotated = seen.get(&("RS512".to_owned(), "retired".to_owned()));
    assert!(
        rotated.is_some_and(|&n| n >= 2),
        "the schedule ran: {seen:?}"
    );
    one.close();
    two.close();
    app.stop().await;
}
