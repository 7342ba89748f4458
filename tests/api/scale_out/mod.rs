//! Several dealers on one PostgreSQL database: changes on one instance are in force on the
//! others within a second. Run only with `TOKENDEALER_TEST_DATABASE_URL` set.

mod migrate;
mod outage;
mod tls;

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::cli::free_address;
use crate::helpers::{TestApp, fresh_database, use_postgres};
use crate::users::{Directory, PASSWORD};

/// The one issuer every instance behind the load balancer shares.
const ISSUER: &str = "http://dealers.test";
const API: &str = "https://api.example";

/// One `tokendealer serve` process, and a client for it.
struct Node {
    app: TestApp,
    child: Child,
}

/// Starts the real binary on the database `url`, sharing the master key file `master`.
async fn node(url: &str, master: &Path) -> (String, TempDir, TempDir, Child) {
    let (data, keys) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let listen = free_address();
    let log = std::fs::File::create(data.path().join("serve.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_tokendealer"))
        .args([
            "serve",
            "--listen",
            &listen,
            "--issuer",
            ISSUER,
            "--keys-dir",
        ])
        .arg(keys.path())
        .arg("--data-dir")
        .arg(data.path())
        .args(["--database-url", url, "--master-key-file"])
        .arg(master)
        .env("TOKENDEALER_DATABASE_POOL_SIZE", "4")
        .env("TOKENDEALER_USERS_ARGON2_M_COST", "64")
        .env("TOKENDEALER_USERS_ARGON2_T_COST", "1")
        .env("TOKENDEALER_USERS_MAX_FAILURES_PER_USER", "3")
        .env("RUST_LOG", "info")
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    for _ in 0..300 {
        let up = http.get(format!("http://{listen}/healthz")).send().await;
        if up.is_ok_and(|r| r.status() == 200) {
            return (format!("http://{listen}"), data, keys, child);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server on {listen} never answered /healthz");
}

/// Two dealers, A started first, on a fresh database; `None` without a test cluster.
async fn pair() -> Option<(Node, Node, TempDir)> {
    let url = fresh_database().await?;
    let shared = tempfile::tempdir().unwrap();
    let mut settings = tokendealer::Settings {
        data_dir: shared.path().into(),
        ..Default::default()
    };
    use_postgres(&mut settings, &url);
    let master = settings.master_key_file.unwrap();
    let (base_a, data_a, keys_a, child_a) = node(&url, &master).await;
    let (base_b, data_b, keys_b, child_b) = node(&url, &master).await;
    let creds = "admin-credentials.json";
    assert!(
        !data_b.path().join(creds).exists(),
        "only the first instance bootstraps the admin"
    );
    std::fs::copy(data_a.path().join(creds), data_b.path().join(creds)).unwrap();
    let attach = |base: String, data, keys| {
        let mut app = TestApp::attach(base, data, keys);
        app.issuer = ISSUER.to_owned();
        app
    };
    let a = Node {
        app: attach(base_a, data_a, keys_a),
        child: child_a,
    };
    let b = Node {
        app: attach(base_b, data_b, keys_b),
        child: child_b,
    };
    Some((a, b, shared))
}

/// Whether `check` comes true within one second (asked every 25 ms).
async fn within_a_second<F: Future<Output = bool>>(mut check: impl FnMut() -> F) -> bool {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn token_status(app: &TestApp, id: &str, secret: &str) -> u16 {
    app.token_post(id, secret, &[]).await.status().as_u16()
}

#[tokio::test]
async fn a_client_created_disabled_given_a_new_secret_or_removed_on_one_instance_is_so_on_the_other_within_a_second()
 {
    let Some((a, b, _shared)) = pair().await else {
        return;
    };
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
async fn both_instances_serve_the_same_jwks_and_a_rotation_on_one_is_in_the_others_within_a_second()
{
    let Some((a, b, _shared)) = pair().await else {
        return;
    };
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
async fn a_revocation_on_one_instance_is_refused_by_the_others_introspection_within_a_second() {
    let Some((a, b, _shared)) = pair().await else {
        return;
    };
    let client = a.app.register("svc", &[API], &[]).await;
    let token = a.app.access_token(&client, &[]).await;
    // The client (which introspects its own token) reaches B first.
    assert!(
        within_a_second(|| async { token_status(&b.app, "svc", &client.secret).await == 200 })
            .await
    );
    assert_eq!(b.app.introspect(&client, &token).await["active"], true);
    a.app.revoke(&client, &token).await;
    assert!(
        within_a_second(|| async { b.app.introspect(&client, &token).await["active"] == false })
            .await
    );
}

#[tokio::test]
async fn failed_logins_on_different_instances_add_up_to_one_lockout() {
    let Some((a, b, _shared)) = pair().await else {
        return;
    };
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
async fn with_one_instance_killed_the_other_carries_on() {
    let Some((mut a, b, _shared)) = pair().await else {
        return;
    };
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
async fn instances_starting_together_on_an_empty_database_bootstrap_one_admin_and_share_keys() {
    let Some(url) = fresh_database().await else {
        return;
    };
    let shared = tempfile::tempdir().unwrap();
    let mut settings = tokendealer::Settings {
        data_dir: shared.path().into(),
        ..Default::default()
    };
    use_postgres(&mut settings, &url);
    let master = settings.master_key_file.unwrap();
    let (a, b) = tokio::join!(node(&url, &master), node(&url, &master));
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
async fn a_lease_is_held_by_one_instance_until_it_lapses() {
    use tokendealer::domain::ports::Leases;
    let Some(url) = fresh_database().await else {
        return;
    };
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
