//! One authorization step on every bearer route: a token is worth what its client, its user and
//! its key are worth now.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};

use super::{AUDIENCE, Directory, PASSWORD};
use crate::helpers::{
    ADMIN_AUDIENCE, ADMIN_SCOPE, Registered, TestApp, claims_of, header_of, spawn_app,
};

/// What a token can still do: (catalog status, user-list status, introspection `active` as
/// seen by the introspector `rs`).
async fn reach(app: &TestApp, rs: &Registered, token: &str) -> (u16, u16, bool) {
    let catalog = app.admin_as(token, Method::GET, "/catalog", None).await;
    let users = app.admin_as(token, Method::GET, "/admin/users", None).await;
    for r in [&catalog, &users] {
        if r.status() == 401 {
            assert!(
                r.headers().contains_key("www-authenticate"),
                "a 401 is challenged"
            );
        }
    }
    let active = app.introspect(rs, token).await["active"] == true;
    (catalog.status().as_u16(), users.status().as_u16(), active)
}

/// A password-grant token of `user` (role `admin`, allowed to list users) through `client`.
async fn user_token(app: &TestApp, client: (&str, &str), user: &str) -> String {
    let r = app.password_grant(client, user, PASSWORD).await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A seeded directory with user `lister` (role `admin`), a password-grant client `portal`
/// (returns its secret) and an introspector `rs`.
async fn seeded_with_lister() -> (TestApp, String, Registered) {
    let app = spawn_app().await;
    app.seed().await;
    app.add_user("lister", &["admin"], "acme-eng").await;
    let secret = app.register_client("portal", &["password"]).await;
    let rs = app
        .register("rs", &[AUDIENCE], &["tokendealer:introspect"])
        .await;
    (app, secret, rs)
}

#[tokio::test]
async fn a_disabled_or_removed_clients_tokens_reach_nothing_anywhere() {
    let (app, secret, rs) = seeded_with_lister().await;
    let token = user_token(&app, ("portal", &secret), "lister").await;
    assert_eq!(reach(&app, &rs, &token).await, (200, 200, true));
    let slash = app
        .admin_as(&token, Method::GET, "/admin/users/", None)
        .await;
    assert_eq!(
        slash.status(),
        200,
        "the listing with a trailing slash is the listing"
    );

    let r = app
        .admin(
            Method::POST,
            "/admin/clients/portal/disable",
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(reach(&app, &rs, &token).await, (401, 401, false));

    app.admin(
        Method::POST,
        "/admin/clients/portal/enable",
        Some(json!({})),
    )
    .await;
    assert_eq!(reach(&app, &rs, &token).await, (200, 200, true));
    assert_eq!(
        app.admin(Method::DELETE, "/admin/clients/portal", None)
            .await
            .status(),
        200
    );
    assert_eq!(reach(&app, &rs, &token).await, (401, 401, false));
}

#[tokio::test]
async fn a_removed_users_tokens_reach_nothing_and_neither_do_tokens_of_a_user_created_again() {
    let (app, secret, rs) = seeded_with_lister().await;
    let token = user_token(&app, ("portal", &secret), "lister").await;
    let legacy = app.legacy_token("lister").await;
    assert_eq!(app.verify_token(&legacy).await.0, 201);

    assert_eq!(
        app.admin(Method::DELETE, "/admin/users/lister", None)
            .await
            .status(),
        200
    );
    assert_eq!(reach(&app, &rs, &token).await, (401, 401, false));
    assert_eq!(app.verify_token(&legacy).await.0, 401);
    let catalog = app
        .http
        .get(app.url("/catalog"))
        .header("X-Auth-Token", &legacy)
        .send();
    assert_eq!(catalog.await.unwrap().status(), 401);

    // The same name again, at once: a new user, so the old tokens stay dead.
    app.add_user("lister", &["admin"], "acme-eng").await;
    assert_eq!(reach(&app, &rs, &token).await, (401, 401, false));
    assert_eq!(app.verify_token(&legacy).await.0, 401);
    let fresh = user_token(&app, ("portal", &secret), "lister").await;
    assert_eq!(reach(&app, &rs, &fresh).await, (200, 200, true));
}

#[tokio::test]
async fn a_client_id_registered_again_does_not_revive_the_old_registrations_admin_token() {
    let app = spawn_app().await;
    let admin_body =
        json!({"client_id": "ops-admin", "audiences": [ADMIN_AUDIENCE], "scopes": [ADMIN_SCOPE]});
    let first = app.register_with(admin_body.clone()).await;
    let old = app
        .access_token(
            &first,
            &[("audience", ADMIN_AUDIENCE), ("scope", ADMIN_SCOPE)],
        )
        .await;
    assert_eq!(
        app.admin_as(&old, Method::GET, "/admin/clients", None)
            .await
            .status(),
        200
    );

    assert_eq!(
        app.admin(Method::DELETE, "/admin/clients/ops-admin", None)
            .await
            .status(),
        200
    );
    let second = app.register_with(admin_body).await;
    let create = json!({"client_id": "sneaky", "audiences": [AUDIENCE]});
    let r = app
        .admin_as(&old, Method::POST, "/admin/clients", Some(create.clone()))
        .await;
    assert_eq!(r.status(), 401, "the old registration's token is dead");
    assert!(r.headers().contains_key("www-authenticate"));
    assert_eq!(app.introspect(&second, &old).await["active"], false);

    let new = app
        .access_token(
            &second,
            &[("audience", ADMIN_AUDIENCE), ("scope", ADMIN_SCOPE)],
        )
        .await;
    let r = app
        .admin_as(&new, Method::POST, "/admin/clients", Some(create))
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn retiring_a_key_by_kid_drops_it_from_the_key_set_and_kills_every_token_it_signed() {
    let app = spawn_app().await;
    let admin = app.admin_client();
    let before = app.admin_token().await;
    let kid = header_of(&before)["kid"].as_str().unwrap().to_owned();

    // The active key: a new signer takes over, the old key is gone at once.
    let r = app
        .admin(
            Method::POST,
            &format!("/admin/keys/{kid}/retire"),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["state"], "retired");
    assert!(app.jwks().await.find(&kid).is_none());
    assert_eq!(app.introspect(&admin, &before).await["active"], false);
    let after = app.admin_token().await;
    assert_ne!(header_of(&after)["kid"], kid.as_str());

    // A retiring key (replaced by a rotation, still verifying): retired on request too.
    let r = app
        .admin(
            Method::POST,
            "/admin/keys/rotate",
            Some(json!({"alg": "RS512", "now": true})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let retiring = header_of(&after)["kid"].as_str().unwrap().to_owned();
    assert!(app.jwks().await.find(&retiring).is_some());
    assert_eq!(app.introspect(&admin, &after).await["active"], true);
    let path = format!("/admin/keys/{retiring}/retire");
    assert_eq!(
        app.admin(Method::POST, &path, Some(json!({})))
            .await
            .status(),
        200
    );
    assert!(app.jwks().await.find(&retiring).is_none());
    assert_eq!(app.introspect(&admin, &after).await["active"], false);

    let unknown = app
        .admin(Method::POST, "/admin/keys/nope/retire", Some(json!({})))
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_grace_period_longer_than_the_longest_token_lifetime_is_refused() {
    let app = spawn_app().await;
    app.register("svc", &[AUDIENCE], &[]).await;
    for grace in [86_401u64, u64::MAX] {
        let body = json!({ "grace_secs": grace });
        let r = app
            .admin(Method::POST, "/admin/clients/svc/rotate-secret", Some(body))
            .await;
        assert_eq!(r.status(), 400, "grace {grace}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    }
    let ok = json!({ "grace_secs": 86_400 });
    let r = app
        .admin(Method::POST, "/admin/clients/svc/rotate-secret", Some(ok))
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_token_with_an_unknown_critical_header_parameter_is_refused() {
    let app = spawn_app().await;
    let genuine = app.admin_token().await;
    let key = app.server_key().await;
    let (tag, der) = app
        .stored_keys()
        .await
        .into_iter()
        .find(|(tag, der)| {
            tokendealer::domain::keys::SigningKey::from_der(tag, der)
                .unwrap()
                .kid()
                == key.kid()
        })
        .unwrap();
    let pem = pem::encode(&pem::Pem::new(tag, der)).into_bytes();
    let mut header = Header::new(Algorithm::RS512);
    header.typ = Some("at+jwt".into());
    header.kid = Some(key.kid().to_owned());
    header.crit = Some(vec!["urn:example:must-understand".into()]);
    let mut claims = claims_of(&genuine);
    claims["urn:example:must-understand"] = json!(true);
    let forged = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(&pem).unwrap());
    let forged = forged.unwrap();

    let r = app
        .admin_as(&forged, Method::GET, "/admin/clients", None)
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        app.introspect(&app.admin_client(), &forged).await["active"],
        false
    );
    // The same claims without `crit` are accepted: it is the header that is refused.
    header.crit = None;
    let plain = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(&pem).unwrap());
    let r = app
        .admin_as(&plain.unwrap(), Method::GET, "/admin/clients", None)
        .await;
    assert_eq!(r.status(), 200);
}
