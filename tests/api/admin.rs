//! The admin API: who may call it, and what each route does.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_AUDIENCE, spawn_app};

#[tokio::test]
async fn an_anonymous_caller_gets_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let r = app
        .http
        .get(app.url("/admin/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_token");
}

#[tokio::test]
async fn a_garbage_or_foreign_bearer_token_is_401() {
    let app = spawn_app().await;
    let other = crate::helpers::spawn_app().await;
    let foreign = other.admin_token().await;
    for token in ["garbage", "a.b.c", foreign.as_str()] {
        let r = app
            .http
            .get(app.url("/admin/clients"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{token}");
    }
}

#[tokio::test]
async fn a_token_without_the_admin_scope_is_403_insufficient_scope() {
    let app = spawn_app().await;
    let c = app.register("svc", &[ADMIN_AUDIENCE], &["other"]).await;
    let token = app.access_token(&c, &[]).await;
    let r = app
        .http
        .get(app.url("/admin/clients"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "insufficient_scope"
    );
}

#[tokio::test]
async fn a_token_for_another_audience_does_not_open_the_admin_api() {
    let app = spawn_app().await;
    let c = app
        .register("svc", &["https://api"], &["tokendealer:admin"])
        .await;
    let token = app.access_token(&c, &[]).await;
    let r = app
        .http
        .get(app.url("/admin/clients"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn clients_can_be_listed_shown_disabled_enabled_and_removed() {
    let app = spawn_app().await;
    let c = app.register("svc", &["https://api"], &["s"]).await;
    assert!(c.body.get("secret_sha256").is_none());

    let list = app.clients().await;
    let ids: Vec<&str> = list
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["admin", "svc"]);
    assert!(
        !Value::from(list.clone()).to_string().contains("secret"),
        "no secret or digest is ever listed"
    );

    let shown: Value = app
        .admin(Method::GET, "/admin/clients/svc", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["audiences"], json!(["https://api"]));

    assert_eq!(
        app.admin(Method::POST, "/admin/clients/svc/disable", None)
            .await
            .status(),
        200
    );
    let r = app.token_post(&c.id, &c.secret, &[]).await;
    assert_eq!(r.status(), 401, "a disabled client gets invalid_client");
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    assert_eq!(
        app.admin(Method::POST, "/admin/clients/svc/enable", None)
            .await
            .status(),
        200
    );
    assert_eq!(app.token_post(&c.id, &c.secret, &[]).await.status(), 200);

    assert_eq!(
        app.admin(Method::DELETE, "/admin/clients/svc", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.admin(Method::GET, "/admin/clients/svc", None)
            .await
            .status(),
        404
    );
    assert_eq!(app.token_post(&c.id, &c.secret, &[]).await.status(), 401);
}

#[tokio::test]
async fn registering_an_existing_id_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    let c = app.register("svc", &["https://api"], &[]).await;
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(json!({"client_id": "svc", "audiences": ["https://x"]})),
        )
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        app.token_post(&c.id, &c.secret, &[]).await.status(),
        200,
        "the original secret still works"
    );
}

#[tokio::test]
async fn a_client_without_an_audience_or_with_bad_fields_is_refused() {
    let app = spawn_app().await;
    let bad = [
        json!({"client_id": "a", "audiences": []}),
        json!({"client_id": "", "audiences": ["https://x"]}),
        json!({"client_id": "a", "audiences": ["has space"]}),
        json!({"client_id": "a", "audiences": ["https://x"], "scopes": ["a\"b"]}),
        json!({"client_id": "a", "audiences": ["https://x"], "grants": ["implicit"]}),
        json!({"client_id": "a", "audiences": ["https://x"], "token_ttl": 0}),
        json!({"client_id": "a", "audiences": ["https://x"], "token_ttl": 10_000_000}),
        json!({"client_id": "a", "audiences": ["https://x"], "unknown": 1}),
    ];
    for body in bad {
        let r = app
            .admin(Method::POST, "/admin/clients", Some(body.clone()))
            .await;
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"],
            "invalid_request",
            "{body}"
        );
    }
    let list = app.clients().await;
    assert_eq!(list.len(), 1, "nothing was stored");
}

#[tokio::test]
async fn an_admin_cannot_disable_or_remove_itself() {
    let app = spawn_app().await;
    assert_eq!(
        app.admin(Method::POST, "/admin/clients/admin/disable", None)
            .await
            .status(),
        409
    );
    assert_eq!(
        app.admin(Method::DELETE, "/admin/clients/admin", None)
            .await
            .status(),
        409
    );
}

#[tokio::test]
async fn a_disabled_admin_client_loses_access_with_tokens_it_already_has() {
    let app = spawn_app().await;
    let second = app
        .register("ops", &[ADMIN_AUDIENCE], &["tokendealer:admin"])
        .await;
    let token = app.access_token(&second, &[]).await;
    assert_eq!(
        app.http
            .get(app.url("/admin/clients"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.admin(Method::POST, "/admin/clients/ops/disable", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.http
            .get(app.url("/admin/clients"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn unknown_admin_routes_are_404_and_wrong_methods_405() {
    let app = spawn_app().await;
    assert_eq!(
        app.admin(Method::GET, "/admin/nothing", None)
            .await
            .status(),
        404
    );
    let r = app.admin(Method::PUT, "/admin/clients", None).await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, POST");
}

#[tokio::test]
async fn head_answers_like_get_without_a_body_on_every_get_route() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    for path in [
        "/admin/clients",
        "/admin/keys",
        "/admin/orgs",
        "/healthz",
        "/.well-known/jwks.json",
    ] {
        let get = app.admin_as(&token, Method::GET, path, None).await.status();
        let head = app.admin_as(&token, Method::HEAD, path, None).await;
        assert_eq!((path, head.status()), (path, get), "HEAD {path}");
        assert_eq!(head.text().await.unwrap(), "", "HEAD {path} has no body");
    }
    // HTTP/2 too, where the body must be left out by the server itself.
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let head = h2
        .head(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert!(head.headers().contains_key("content-length"));
    assert_eq!(head.text().await.unwrap(), "");
}

/// Every admin operation is one row of one table: a path no row takes is 404, a path a row
/// takes with another method 405 naming the methods it takes, the audit trail's path as any
/// other's, and a trailing slash is no other path.
#[tokio::test]
async fn the_admin_api_answers_every_path_by_one_rule() {
    let app = spawn_app().await;
    let allow = |r: &reqwest::Response| r.headers()["allow"].to_str().unwrap().to_owned();
    let r = app.admin(Method::POST, "/admin/audit", None).await;
    assert_eq!((r.status().as_u16(), allow(&r)), (405, "GET".to_owned()));
    let r = app.admin(Method::DELETE, "/admin/clients", None).await;
    assert_eq!(
        (r.status().as_u16(), allow(&r)),
        (405, "GET, POST".to_owned())
    );
    let r = app
        .admin(Method::GET, "/admin/clients/svc/disable", None)
        .await;
    assert_eq!((r.status().as_u16(), allow(&r)), (405, "POST".to_owned()));
    for path in [
        "/admin/clients/svc/bogus",
        "/admin/orgs/x/password",
        "/admin/nothing",
    ] {
        let r = app.admin(Method::GET, path, None).await;
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "not_found");
    }
    for path in ["/admin/audit/", "/admin/clients/", "/admin/keys/"] {
        assert_eq!(
            app.admin(Method::GET, path, None).await.status(),
            200,
            "{path}"
        );
    }
}
