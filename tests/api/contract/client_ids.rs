//! Which client ids can be registered, and that ids registered before still authenticate.

use reqwest::Method;
use serde_json::{Value, json};

use super::{API, raw_basic};
use crate::helpers::{claims_of, spawn_app};

#[tokio::test]
async fn client_ids_outside_the_unreserved_characters_are_refused_at_registration() {
    let app = spawn_app().await;
    let long = "a".repeat(129);
    for id in [
        "a+b:c%d",
        "with space",
        "ümlaut",
        "a/b",
        "x@y",
        "",
        long.as_str(),
    ] {
        let body = json!({"client_id": id, "audiences": [API]});
        let r = app.admin(Method::POST, "/admin/clients", Some(body)).await;
        assert_eq!(r.status(), 400, "{id}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{id}");
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains("A-Z a-z 0-9 - . _ ~"), "{description}");
    }
    let list = app.clients().await;
    assert_eq!(list.len(), 1, "only the admin client");
}

#[tokio::test]
async fn an_unreserved_id_authenticates_with_basic_credentials_sent_unencoded() {
    let app = spawn_app().await;
    let svc = app.register("svc.name_1~x", &[API], &[]).await;
    // As python-requests and Authlib build it: base64 of `id:secret`, no form-encoding.
    let header = raw_basic(&svc.id, &svc.secret);
    let r = app
        .http
        .post(app.url("/oauth/token"))
        .header("authorization", &header)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(claims_of(&token)["sub"], "svc.name_1~x");
    for path in ["/oauth/introspect", "/oauth/revoke"] {
        let r = app
            .http
            .post(app.url(path))
            .header("authorization", &header);
        let r = r.form(&[("token", token.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    // The form-encoded form (RFC 6749 §2.3.1, `~` as `%7E`) is the same client.
    let r = app.token_basic("svc.name_1%7Ex", &svc.secret, &[]).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_stored_client_whose_id_is_no_longer_registrable_still_authenticates() {
    let app = spawn_app().await;
    let (app, old) = app.restart_with_stored_client("a+b:c%d", API).await;
    let post = app.token_post(&old.id, &old.secret, &[]).await;
    assert_eq!(post.status(), 200);
    let basic = app.token_basic("a%2Bb%3Ac%25d", &old.secret, &[]).await;
    assert_eq!(basic.status(), 200);
    let listed = app.clients().await;
    assert!(listed.iter().any(|c| c["client_id"] == old.id));
}
