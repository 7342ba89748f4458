//! The store under concurrent writers: every write answered, none lost, none undone.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_with};
use crate::introspection::{API, register};

/// Long enough for a loaded CI machine, short enough that a deadlock fails the test.
const ANSWERED_WITHIN: Duration = Duration::from_secs(60);
/// Revocations each of the 64 revokers sends, one after another on its connection.
const REVOCATIONS_EACH: usize = 4;

/// A client with its own connection pool, so concurrent requests use separate connections.
fn fresh_http() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

/// Registers client `id` for `https://api.test` through `url` (`/admin/clients`), on a
/// connection of its own.
async fn register_on_own_connection(url: String, token: String, id: String) -> reqwest::Response {
    let body = json!({ "client_id": id, "audiences": ["https://api.test"] });
    fresh_http()
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_revokers_admin_writers_and_a_key_rotation_are_all_answered_and_writes_go_on() {
    let app = spawn_app().await;
    let svc = register(&app, "svc", &["read"]).await;
    let mut tokens = Vec::new();
    for _ in 0..64 * REVOCATIONS_EACH {
        tokens.push(app.access_token(&svc, &API).await);
    }
    let admin_token = app.admin_token().await;

    let mut tasks = tokio::task::JoinSet::new();
    // Each revoker keeps its connection and revokes several tokens in a row.
    for batch in tokens.chunks(REVOCATIONS_EACH) {
        let (http, url, svc_id, secret) = (
            fresh_http(),
            app.url("/oauth/revoke"),
            svc.id.clone(),
            svc.secret.clone(),
        );
        let batch = batch.to_vec();
        tasks.spawn(async move {
            let mut worst = StatusCode::OK;
            for token in batch {
                let r = http
                    .post(&url)
                    .basic_auth(&svc_id, Some(&secret))
                    .form(&[("token", token.as_str())])
                    .send()
                    .await
                    .unwrap();
                if !r.status().is_success() {
                    worst = r.status();
                }
            }
            ("revoke", worst)
        });
    }
    for i in 0..16 {
        let (url, token) = (app.url("/admin/clients"), admin_token.clone());
        tasks.spawn(async move {
            let r = register_on_own_connection(url, token, format!("writer-{i}")).await;
            ("register", r.status())
        });
    }
    {
        let (http, url, token) = (
            fresh_http(),
            app.url("/admin/keys/rotate"),
            admin_token.clone(),
        );
        tasks.spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            ("rotate", r.status())
        });
    }
    let answers = tokio::time::timeout(ANSWERED_WITHIN, tasks.join_all())
        .await
        .expect("every write is answered");
    for (what, status) in &answers {
        assert!(status.is_success(), "{what} answered {status}");
    }
    assert_eq!(answers.len(), 64 + 16 + 1);

    // Every revocation took, and the store still takes writes and serves tokens.
    for token in &tokens {
        assert_eq!(app.introspect(&svc, token).await["active"], false);
    }
    let later = tokio::time::timeout(ANSWERED_WITHIN, register(&app, "later", &["read"]))
        .await
        .expect("a later write is answered");
    app.access_token(&later, &API).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_client_never_comes_back_under_concurrent_secret_rotations() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    for round in 0..20 {
        let id = format!("victim-{round}");
        register(&app, &id, &["read"]).await;
        let mut tasks = tokio::task::JoinSet::new();
        let actions = std::iter::once("remove").chain(std::iter::repeat_n("rotate", 12));
        for action in actions {
            let (http, base, token, id) =
                (fresh_http(), app.base.clone(), token.clone(), id.clone());
            tasks.spawn(async move {
                let r = if action == "remove" {
                    http.delete(format!("{base}/admin/clients/{id}"))
                } else {
                    http.post(format!("{base}/admin/clients/{id}/rotate-secret"))
                        .json(&json!({}))
                }
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
                let status = r.status();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                (
                    action,
                    status,
                    body["client_secret"].as_str().map(str::to_owned),
                )
            });
        }
        let answers = tokio::time::timeout(ANSWERED_WITHIN, tasks.join_all())
            .await
            .expect("every write is answered");
        let removed = answers
            .iter()
            .any(|(action, status, _)| *action == "remove" && *status == StatusCode::OK);
        assert!(removed, "round {round}: the removal answered {answers:?}");

        let shown = app
            .admin_as(&token, Method::GET, &format!("/admin/clients/{id}"), None)
            .await;
        assert_eq!(
            shown.status(),
            404,
            "round {round}: the removed client is back"
        );
        for secret in answers.iter().filter_map(|(_, _, s)| s.as_deref()) {
            let r = app.token_post(&id, secret, &API).await;
            assert_eq!(
                r.status(),
                401,
                "round {round}: a rotated secret mints tokens"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_the_store_cannot_take_is_refused_with_503_while_tokens_are_still_issued() {
    // One waiting write at most: a burst of writers overflows it.
    let app = spawn_with(|s| s.store_write_queue = 1).await;
    let svc = register(&app, "svc", &["read"]).await;
    let token = app.admin_token().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..48 {
        let (url, token) = (app.url("/admin/clients"), token.clone());
        tasks.spawn(async move {
            let r = register_on_own_connection(url, token, format!("burst-{i}")).await;
            let retry_after = r.headers().get("retry-after").cloned();
            let status = r.status();
            (i, status, retry_after, r.json::<Value>().await.unwrap())
        });
    }
    let answers = tokio::time::timeout(ANSWERED_WITHIN, tasks.join_all())
        .await
        .expect("every write is answered");
    for (_, status, retry_after, body) in &answers {
        match status.as_u16() {
            201 => {}
            503 => {
                assert_eq!(body["error"], "temporarily_unavailable");
                assert!(retry_after.is_some(), "a 503 says when to retry");
            }
            other => panic!("a write answered {other}: {body}"),
        }
    }
    // A refused write left nothing behind; an acknowledged one is there. Issuing never
    // depended on the writer.
    for (i, status, _, _) in &answers {
        let path = format!("/admin/clients/burst-{i}");
        let shown = app.admin_as(&token, Method::GET, &path, None).await;
        let expected = if status.as_u16() == 201 { 200 } else { 404 };
        assert_eq!(shown.status(), expected, "burst-{i} answered {status}");
    }
    app.access_token(&svc, &API).await;
    register(&app, "after-the-burst", &["read"]).await;
}
