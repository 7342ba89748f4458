//! `tokendealer migrate`: a single sled node moved onto PostgreSQL keeps its clients' secrets,
//! its keys (same kids), its directory and its live revocations; running it twice is harmless.

use serde_json::Value;
use tokio::process::Command;

use crate::helpers::{header_of, spawn_with, use_postgres};
use crate::users::Directory;

const API: &str = "https://api.example";

#[tokio::test]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL (.ci/run sets it)"]
async fn migrate_copies_a_single_node_into_postgres_and_its_client_secrets_keep_working() {
    let url = super::database().await;
    let mut app = spawn_with(|s| {
        s.database_url = None;
        s.master_key_file = None;
    })
    .await;
    app.seed().await;
    let client = app.register("svc", &[API], &[]).await;
    let token = app.access_token(&client, &[]).await;
    let revoked = app.access_token(&client, &[]).await;
    app.revoke(&client, &revoked).await;
    app.stop().await;

    let mut settings = tokendealer::Settings {
        data_dir: app.data_dir.path().into(),
        ..Default::default()
    };
    use_postgres(&mut settings, &url);
    let master = settings.master_key_file.unwrap();
    for _run in 0..2 {
        let out = Command::new(env!("CARGO_BIN_EXE_tokendealer"))
            .args(["migrate", "--database-url", &url, "--master-key-file"])
            .arg(&master)
            .arg("--data-dir")
            .arg(app.data_dir.path())
            .arg("--keys-dir")
            .arg(app.keys_dir.path())
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains(&client.secret));
        let counts: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(counts["clients"], 2, "the admin and svc: {counts}");
        assert_eq!(counts["private_keys"], 3, "{counts}");
        assert_eq!(counts["revocations"], 1, "{counts}");
        assert!(
            counts["directory_entries"].as_u64().unwrap() >= 6,
            "{counts}"
        );
    }

    let app = app.restart_with(|s| use_postgres(s, &url)).await;
    assert_eq!(
        app.token_post("svc", &client.secret, &[]).await.status(),
        200
    );
    let fresh = app.access_token(&client, &[]).await;
    assert_eq!(
        header_of(&fresh)["kid"],
        header_of(&token)["kid"],
        "same keys"
    );
    assert!(app.verify_with_jwks(&token, API).await.is_ok());
    assert_eq!(app.introspect(&client, &token).await["active"], true);
    assert_eq!(app.introspect(&client, &revoked).await["active"], false);
    app.legacy_token("alice").await;
    // A new entry's id does not collide with a migrated one.
    app.add_user("bob", &["ops"], "acme-eng").await;
}
