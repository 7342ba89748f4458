//! The command line registers a client with keys (no secret printed), shows its method and
//! `kid`s, and replaces its keys.

use super::*;
use crate::cli::{cli, json_out};
use crate::helpers::spawn_app;
use reqwest::Method;

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

/// The admin client calling cannot take its own secret away (keys) or demand proofs of itself
/// (DPoP): either would lock the command line out, as disabling or removing itself would.
#[tokio::test]
async fn an_admin_client_cannot_rekey_itself_or_bind_itself_to_dpop() {
    let app = spawn_app().await;
    let admin = app.admin_client().id;
    let keys = jwks(&[&Signer::ed25519("k1")]);
    let r = app
        .admin(
            Method::PUT,
            &format!("/admin/clients/{admin}/jwks"),
            Some(json!({"jwks": keys})),
        )
        .await;
    assert_eq!(r.status(), 409, "re-keying itself is refused");
    let r = app
        .admin(
            Method::PUT,
            &format!("/admin/clients/{admin}/dpop"),
            Some(json!({"dpop_bound_access_tokens": true})),
        )
        .await;
    assert_eq!(r.status(), 409, "binding itself to DPoP is refused");
    // Its secret still works: the command line is not locked out.
    app.admin_token().await;
}

/// A `jwks_uri` is https; plain http only to a loopback address (fetched only with the
/// development setting), so a registration cannot store a URL the fetcher will always refuse.
#[tokio::test]
async fn a_plain_http_jwks_uri_is_refused_at_registration_unless_it_is_loopback() {
    let app = spawn_app().await;
    let add = |id: &str, uri: &str| json!({"client_id": id, "audiences": [API], "jwks_uri": uri});
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(add("remote", "http://example.com/jwks")),
        )
        .await;
    assert_eq!(r.status(), 400, "plain http to another host");
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(add("local", "http://127.0.0.1:9/jwks")),
        )
        .await;
    assert_eq!(r.status(), 201, "plain http to loopback, for development");
}
