//! Changes made on one instance in force on the other within a second: clients, keys, login
//! failures (revocations: `revocation.rs`); an instance lost or starting alongside another.

use reqwest::Method;
use serde_json::json;
use tempfile::TempDir;

use super::{API, database, node, pair, within_a_second};
use crate::helpers::{TestApp, use_postgres};
use crate::users::{Directory, PASSWORD};

async fn token_status(app: &TestApp, id: &str, secret: &str) -> u16 {
    app.token_post(id, secret, &[]).await.status().as_u16()
}

#[tokio::test]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL (.ci/run sets it)"]
async fn a_client_created_disabled_given_a_new_secret_or_removed_on_one_instance_is_so_on_the_other_within_a_second()
 {
    let (a, b, _cluster) = pair().await;
    let client = a.app.register("svc", &[API], &[]).await;
    assert!(
        within_a_second(|| async { token_status(&b.app, "svc", &client.secret).await == 200 })
            .await
    );

    let r = a
        .app
        .admin(Method::POST, "/admin/clients/svc/disable", None)
        .await;
    assert!(r.status().is_success());
    assert!(
        within_a_second(|| async { token_status(&b.app, "svc", &client.secret).await == 401 })
            .await
    );
    let r = a
        .app
        .admin(Method::POST, "/admin/clients/svc/enable", None)
        .await;
    assert!(r.status().is_success());

    let r = a
        .app
        .admin(
            Method::POST,
            "/admin/clients/svc/rotate-secret",
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let new_secret = r.json::<serde_json::Value>().await.unwrap()["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        within_a_second(|| async { token_status(&b.app, "svc", &new_secret).await == 200 }).await
    );

    let r = a
        .app
        .admin(Method::DELETE, "/admin/clients/svc", None)
        .await;
    assert!(r.status().is_success());
    assert!(
        within_a_second(|| async { token_status(&b.app, "svc", &new_secret).await == 401 }).await
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL (.ci/run sets it)"]
async fn both_instances_serve_the_same_jwks_and_a_rotation_on_one_is_in_the_others_within_a_second()
{
    let (a, b, _cluster) = pair().await;
    let kids = |set: jsonwebtoken::jwk::JwkSet| {
        let mut kids: Vec<String> = set
            .keys
            .into_iter()
            .filter_map(|k| k.common.key_id)
            .collect();
        kids.sort();
        kids
    };
    assert_eq!(kids(a.app.jwks().await), kids(b.app.jwks().await));
    let r = a.app.admin(Method::POST, "/admin/keys/rotate", None).await;
    assert!(r.status().is_success(), "{}", r.status());
    let after = kids(a.app.jwks().await);
    assert!(within_a_second(|| async { kids(b.app.jwks().await) == after }).await);
    // B signs with the new RS512 key too: A verifies B's admin token by the new kid.
    let token = b.app.admin_token().await;
    let kid = crate::helpers::header_of(&token)["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let active: serde_json::Value = a
        .app
        .admin(Method::GET, "/admin/keys", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        active
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == kid.as_str() && k["state"] == "active"),
        "B signs with a key A holds active"
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL (.ci/run sets it)"]
async fn failed_logins_on_different_instances_add_up_to_one_lockout() {
    let (a, b, _cluster) = pair().await;
    a.app.seed().await;
    let secret = a.app.register_client("portal", &["password"]).await;
    let client = ("portal", secret.as_str());
    // The client reaches B first (an unknown user's failure counts for nobody we use).
    assert!(
        within_a_second(|| async {
            b.app.password_grant(client, "nobody", "x").await.status() == 400
        })
        .await
    );
    for app in [&a.app, &b.app, &a.app] {
        assert_eq!(
            app.password_grant(client, "alice", "wrong").await.status(),
            400
        );
    }
    assert_eq!(
        b.app
            .password_grant(client, "alice", PASSWORD)
            .await
            .status(),
        429
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL (.ci/run sets it)"]
async fn with_one_instance_killed_the_other_carries_on() {
    let (mut a, b, _cluster) = pair().await;
    let client = a.app.register("svc", &[API], &[]).await;
    a.child.kill().await.unwrap();
    assert!(
        within_a_second(|| async { token_status(&b.app, "svc", &client.secret).await == 200 })
            .await
    );
    let other = b.app.register("other", &[API], &[]).await;
    assert_eq!(token_status(&b.app, "other", &other.secret).await, 200);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL (.ci/run sets it)"]
async fn instances_starting_together_on_an_empty_database_bootstrap_one_admin_and_share_keys() {
    let url = database().await;
    let shared = tempfile::tempdir().unwrap();
    let mut settings = tokendealer::Settings {
        data_dir: shared.path().into(),
        ..Default::default()
    };
    use_postgres(&mut settings, &url);
    let master = settings.master_key_file.unwrap();
    let (a, b) = tokio::join!(
        node(&url, &master, Some(super::ISSUER)),
        node(&url, &master, Some(super::ISSUER))
    );
    let has_creds = |dir: &TempDir| dir.path().join("admin-credentials.json").exists();
    assert_eq!(
        u8::from(has_creds(&a.1)) + u8::from(has_creds(&b.1)),
        1,
        "exactly one instance wrote the admin credentials"
    );
    let http = reqwest::Client::new();
    let jwks = |base: String| {
        let http = http.clone();
        async move {
            http.get(format!("{base}/.well-known/jwks.json"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        jwks(a.0.clone()).await,
        jwks(b.0.clone()).await,
        "one key set"
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL (.ci/run sets it)"]
async fn a_lease_is_held_by_one_instance_until_it_lapses() {
    use tokendealer::domain::ports::Leases;
    let url = database().await;
    let mut app = crate::helpers::spawn_with(|s| use_postgres(s, &url)).await;
    let (one, two) = (app.postgres().await.unwrap(), app.postgres().await.unwrap());
    assert!(one.try_hold("rotation", "a", 100, 160).await.unwrap());
    assert!(!two.try_hold("rotation", "b", 120, 180).await.unwrap());
    assert!(
        one.try_hold("rotation", "a", 150, 210).await.unwrap(),
        "renewed"
    );
    assert!(!two.try_hold("rotation", "b", 200, 260).await.unwrap());
    assert!(
        two.try_hold("rotation", "b", 210, 270).await.unwrap(),
        "lapsed"
    );
    assert!(!one.try_hold("rotation", "a", 220, 280).await.unwrap());
    one.close();
    two.close();
    app.stop().await;
}
