//! Signing keys: one is generated on first start, 0600; rotation keeps old keys verifying.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use reqwest::Method;
use serde_json::Value;
use tokendealer::domain::UnixTime;
use tokendealer::domain::keys::{KeyManager, MAX_REPLACED_KEYS};
use tokendealer::storage::{KeyFiles, Store};

use crate::helpers::{header_of, on_postgres, spawn_app};

fn pem_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pem"))
        .collect();
    v.sort();
    v
}

/// sled only: it inspects the key files (PostgreSQL seals keys in the database).
#[tokio::test]
async fn the_first_start_writes_one_private_key_per_algorithm_readable_by_its_owner_only() {
    let app = spawn_app().await;
    if on_postgres() {
        assert_eq!(app.stored_keys().await.len(), 3, "RS512, EdDSA and ES256");
        return;
    }
    let files = pem_files(app.keys_dir.path());
    assert_eq!(files.len(), 3, "RS512, EdDSA and ES256");
    for f in &files {
        assert_eq!(
            std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let creds = app.data_dir.path().join("admin-credentials.json");
    assert_eq!(
        std::fs::metadata(creds).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[tokio::test]
async fn after_a_rotation_new_tokens_use_the_new_key_and_old_tokens_still_verify() {
    let app = spawn_app().await;
    let c = app.register("svc", &["https://api"], &[]).await;
    let old = app.access_token(&c, &[]).await;
    let old_kid = header_of(&old)["kid"].as_str().unwrap().to_owned();

    let r = app
        .admin(
            Method::POST,
            "/admin/keys/rotate",
            Some(serde_json::json!({"alg": "RS512", "now": true})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let new_kid = r.json::<Value>().await.unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(old_kid, new_kid);

    let new = app.access_token(&c, &[]).await;
    assert_eq!(header_of(&new)["kid"], new_kid.as_str());
    let jwks = app.jwks().await;
    assert_eq!(
        jwks.keys.len(),
        4,
        "three signers and the replaced RS512 key"
    );
    app.verify_with_jwks(&old, "https://api")
        .await
        .expect("the old token still verifies");
    app.verify_with_jwks(&new, "https://api")
        .await
        .expect("the new token verifies");

    let keys: Value = app
        .admin(Method::GET, "/admin/keys", None)
        .await
        .json()
        .await
        .unwrap();
    let states: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["active", "active", "active", "retiring"]);
    assert_eq!(app.stored_keys().await.len(), 4);
}

#[tokio::test]
async fn a_replaced_key_is_retired_once_its_tokens_have_expired() {
    let data = tempfile::tempdir().unwrap();
    let keys_dir = tempfile::tempdir().unwrap();
    let store = Store::open(data.path()).unwrap();
    let window = 3600;
    let t0 = UnixTime::from_secs(1_000_000);
    let keys = KeyManager::load(
        Arc::new(store.clone()),
        Arc::new(KeyFiles::open(keys_dir.path()).unwrap()),
        window,
        t0,
    )
    .await
    .unwrap();
    let first = keys.ring().active().kid().to_owned();
    keys.rotate(t0.plus(10)).await.unwrap();
    assert!(keys.ring().find(&first).is_some());

    keys.retire_expired(t0.plus(10 + window - 1)).await.unwrap();
    assert!(
        keys.ring().find(&first).is_some(),
        "still inside the window"
    );
    keys.retire_expired(t0.plus(10 + window)).await.unwrap();
    assert!(
        keys.ring().find(&first).is_none(),
        "gone once every token it signed has expired"
    );
    assert_eq!(
        pem_files(keys_dir.path()).len(),
        3,
        "the retired private key is deleted; the three signers stay"
    );
    let jwks: Value = serde_json::from_slice(&keys.ring().jwks_json()).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 3);

    drop(keys);
    let reloaded = KeyManager::load(
        Arc::new(store),
        Arc::new(KeyFiles::open(keys_dir.path()).unwrap()),
        window,
        t0.plus(window * 2),
    )
    .await
    .unwrap();
    assert_ne!(
        reloaded.ring().active().kid(),
        first,
        "the newer key stays the signer after a restart"
    );
}

#[tokio::test]
async fn a_key_file_brought_by_the_operator_becomes_the_signer_on_first_start() {
    let keys_dir = tempfile::tempdir().unwrap();
    let (key, der) = tokendealer::domain::keys::SigningKey::generate().unwrap();
    KeyFiles::open(keys_dir.path())
        .unwrap()
        .write("operator", &der)
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let manager = KeyManager::load(
        Arc::new(Store::open(data.path()).unwrap()),
        Arc::new(KeyFiles::open(keys_dir.path()).unwrap()),
        3600,
        UnixTime::from_secs(1),
    )
    .await
    .unwrap();
    assert_eq!(manager.ring().active().kid(), key.kid());
}

#[tokio::test]
async fn a_missing_active_key_file_stops_the_start_with_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let keys_dir = tempfile::tempdir().unwrap();
    let store = Store::open(data.path()).unwrap();
    let now = UnixTime::from_secs(1);
    drop(
        KeyManager::load(
            Arc::new(store.clone()),
            Arc::new(KeyFiles::open(keys_dir.path()).unwrap()),
            60,
            now,
        )
        .await
        .unwrap(),
    );
    for f in pem_files(keys_dir.path()) {
        std::fs::remove_file(f).unwrap();
    }
    let err = KeyManager::load(
        Arc::new(store),
        Arc::new(KeyFiles::open(keys_dir.path()).unwrap()),
        60,
        now,
    )
    .await
    .err()
    .unwrap();
    assert!(format!("{err:#}").contains("missing"), "{err:#}");
}

#[tokio::test]
async fn rotations_at_once_stop_at_the_bound_of_replaced_keys_and_the_key_set_stays_bounded() {
    let app = spawn_app().await;
    let rotate = |body: Value| app.admin(Method::POST, "/admin/keys/rotate", Some(body));
    let now = serde_json::json!({"alg": "EdDSA", "now": true});
    for i in 0..MAX_REPLACED_KEYS {
        assert_eq!(rotate(now.clone()).await.status(), 200, "rotation {i}");
    }
    let r = rotate(now.clone()).await;
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    let text = body["error_description"].as_str().unwrap();
    assert!(text.contains("replaced keys"), "{text}");
    let eddsa = || async {
        let jwks = app.jwks_json().await;
        let keys = jwks["keys"].as_array().unwrap().iter();
        keys.filter(|k| k["crv"] == "Ed25519").count()
    };
    assert_eq!(eddsa().await, MAX_REPLACED_KEYS + 1);
    // The other algorithms have their own bound; retiring the previous key adds none.
    let rsa = serde_json::json!({"alg": "RS512", "now": true});
    assert_eq!(rotate(rsa).await.status(), 200);
    let retire = serde_json::json!({"alg": "EdDSA", "retire_previous": true});
    assert_eq!(rotate(retire).await.status(), 200);
    assert_eq!(eddsa().await, MAX_REPLACED_KEYS + 1);
}

#[tokio::test]
async fn a_key_retired_while_a_rotation_replaces_it_still_leaves_the_key_set() {
    let app = spawn_app().await;
    for round in 0..4 {
        let keys: Value = app
            .admin(Method::GET, "/admin/keys", None)
            .await
            .json()
            .await
            .unwrap();
        let signer = keys.as_array().unwrap().iter();
        let signer = signer
            .filter(|k| k["alg"] == "RS512" && k["state"] == "active")
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .next()
            .unwrap();
        let token = app.admin_token().await;
        let rotate = app.admin_as(
            &token,
            Method::POST,
            "/admin/keys/rotate",
            Some(serde_json::json!({"alg": "RS512", "now": true})),
        );
        // Asked a moment after the rotation began: the signer it names is being replaced.
        let retire = async {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let path = format!("/admin/keys/{signer}/retire");
            app.admin_as(&token, Method::POST, &path, None).await
        };
        let (rotated, retired) = tokio::join!(rotate, retire);
        assert_eq!(rotated.status(), 200, "round {round}");
        assert_eq!(retired.status(), 200, "round {round}");
        let retired: Value = retired.json().await.unwrap();
        assert_eq!(retired["state"], "retired", "round {round}: {retired}");
        let jwks = app.jwks_json().await;
        let kids = jwks["keys"].as_array().unwrap().iter();
        assert!(
            !kids.map(|k| &k["kid"]).any(|k| k == signer.as_str()),
            "round {round}: the retired key left the JWKS"
        );
    }
}
