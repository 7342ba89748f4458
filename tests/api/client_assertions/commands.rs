//! The command line registers a client with keys (no secret printed), shows its method and
//! `kid`s, and replaces its keys.

use super::*;
use crate::cli::{cli, json_out};
use crate::helpers::spawn_app;

#[tokio::test]
async fn client_add_with_jwks_prints_no_secret_and_set_jwks_replaces_the_keys() {
    let app = spawn_app().await;
    let (old, new) = (Signer::ed25519("old"), Signer::rsa("new"));
    let dir = tempfile::tempdir().unwrap();
    let (old_file, new_file) = (dir.path().join("old.json"), dir.path().join("new.json"));
    std::fs::write(&old_file, jwks(&[&old]).to_string()).unwrap();
    std::fs::write(&new_file, jwks(&[&new]).to_string()).unwrap();
    let args = [
        "client",
        "add",
        "svc",
        "--audience",
        API,
        "--jwks",
        old_file.to_str().unwrap(),
    ];
    let added = json_out(&cli(&app, &args).await);
    assert!(added.get("client_secret").is_none(), "{added}");
    assert_eq!(
        token_with(&app, &old.sign(&claims(&app, "svc")), &[])
            .await
            .status(),
        200
    );
    let shown = json_out(&cli(&app, &["client", "show", "svc"]).await);
    assert_eq!(
        (
            shown["token_endpoint_auth_method"].as_str(),
            shown["kids"][0].as_str()
        ),
        (Some("private_key_jwt"), Some("old"))
    );
    let set = ["client", "set-jwks", "svc", new_file.to_str().unwrap()];
    json_out(&cli(&app, &set).await);
    assert_eq!(
        token_with(&app, &new.sign(&claims(&app, "svc")), &[])
            .await
            .status(),
        200
    );
    let uri = [
        "client",
        "set-jwks",
        "svc",
        "--jwks-uri",
        "https://svc.example/jwks",
    ];
    let shown = json_out(&cli(&app, &uri).await);
    assert_eq!(shown["jwks_uri"], "https://svc.example/jwks");
}
