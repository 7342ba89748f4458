//! The password grant: user tokens, lockout, and not starving client-credentials requests.

use serde_json::{Value, json};

use super::{AUDIENCE, Directory, PASSWORD};
use crate::helpers::{claims_of, header_of, spawn_app, spawn_with};

#[tokio::test]
async fn a_password_token_is_about_the_user_with_roles_wfc_and_email() {
    let app = spawn_app().await;
    app.seed().await;
    let secret = app.register_client("portal", &["password"]).await;
    let r = app
        .password_grant(("portal", &secret), "alice", PASSWORD)
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    let token = body["access_token"].as_str().unwrap();
    let (header, claims) = (header_of(token), claims_of(token));
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "RS512");
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["client_id"], "portal");
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["iss"], app.base);
    assert_eq!(claims["scope"], "read");
    assert_eq!(claims["roles"], json!(["ops"]));
    assert_eq!(claims["email"], "alice@acme.example");
    assert_eq!(
        claims["wfc"],
        json!({"name": "acme-eng", "org": "acme", "orgunit": "eng", "department": "platform"})
    );
    for claim in ["exp", "iat", "nbf", "jti"] {
        assert!(!claims[claim].is_null(), "{claim}");
    }
}

#[tokio::test]
async fn a_client_not_registered_for_the_password_grant_is_an_unauthorized_client() {
    let app = spawn_app().await;
    app.seed().await;
    let secret = app.register_client("svc", &["client_credentials"]).await;
    let r = app
        .password_grant(("svc", &secret), "alice", PASSWORD)
        .await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client");
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    app.seed().await;
    let secret = app.register_client("portal", &["password"]).await;
    let client = ("portal", secret.as_str());
    let a = app
        .password_grant(client, "alice", "not her password")
        .await;
    let b = app.password_grant(client, "nobody", PASSWORD).await;
    let a = (a.status(), a.text().await.unwrap());
    let b = (b.status(), b.text().await.unwrap());
    assert_eq!(a, b);
    assert_eq!(a.0, 400);
    assert!(a.1.contains("invalid_grant"), "{}", a.1);
}

#[tokio::test]
async fn repeated_failures_lock_the_username_out_with_retry_after_and_a_success_resets_it() {
    let app = spawn_with(|s| s.users.max_failures_per_user = 3).await;
    app.seed().await;
    app.add_user("bob", &["ops"], "acme-eng").await;
    let secret = app.register_client("portal", &["password"]).await;
    let client = ("portal", secret.as_str());

    // Two failures, then a success, twice: each success starts the count over.
    for _round in 0..2 {
        for _ in 0..2 {
            let r = app.password_grant(client, "bob", "wrong").await;
            assert_eq!(r.status(), 400);
        }
        let r = app.password_grant(client, "bob", PASSWORD).await;
        assert_eq!(r.status(), 200);
    }

    // Three failures in a row lock the username, even against the right password.
    for _ in 0..3 {
        assert_eq!(
            app.password_grant(client, "alice", "wrong").await.status(),
            400
        );
    }
    let r = app.password_grant(client, "alice", PASSWORD).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900);
    // The compat endpoint shares the lockout; other users are unaffected.
    assert_eq!(app.gettoken("alice", PASSWORD).await.status(), 429);
    assert_eq!(
        app.password_grant(client, "bob", PASSWORD).await.status(),
        200
    );
}

#[tokio::test]
async fn repeated_failures_from_one_address_lock_that_address_out() {
    let app = spawn_with(|s| s.users.max_failures_per_address = 4).await;
    app.seed().await;
    let secret = app.register_client("portal", &["password"]).await;
    let client = ("portal", secret.as_str());
    for i in 0..4 {
        let r = app.password_grant(client, &format!("guess{i}"), "x").await;
        assert_eq!(r.status(), 400);
    }
    let r = app.password_grant(client, "alice", PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn client_credentials_tokens_are_served_while_fifty_password_logins_are_in_flight() {
    // Costlier hashes than the other tests, so the logins really queue up on the pool.
    let app = spawn_with(|s| {
        s.users.argon2_m_cost = 8192;
        s.users.argon2_t_cost = 2;
        s.users.max_failures_per_address = 1000;
        s.users.max_failures_per_user = 1000;
        // Room and time for all fifty in the queue: this test is about the async workers.
        s.users.hash_queue = 64;
        s.users.hash_queue_timeout_secs = 120;
    })
    .await;
    app.seed().await;
    let portal = app.register_client("portal", &["password"]).await;
    let svc = app.register_client("svc", &["client_credentials"]).await;
    let logins: Vec<_> = (0..50)
        .map(|i| {
            let (http, url, portal) = (app.http.clone(), app.url("/oauth/token"), portal.clone());
            let password = if i % 2 == 0 { PASSWORD } else { "wrong" };
            tokio::spawn(async move {
                http.post(url)
                    .basic_auth("portal", Some(portal))
                    .form(&[
                        ("grant_type", "password"),
                        ("username", "alice"),
                        ("password", password),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for _ in 0..20 {
        let r = app.token_basic("svc", &svc, &[]).await;
        assert_eq!(r.status(), 200);
    }
    let still_running = logins.iter().filter(|l| !l.is_finished()).count();
    println!("password logins still in flight after 20 client-credentials tokens: {still_running}");
    for login in logins {
        let status = login.await.unwrap();
        assert!(status == 200 || status == 400, "{status}");
    }
}

#[tokio::test]
async fn discovery_lists_the_password_grant() {
    let app = spawn_app().await;
    let doc = app.metadata().await;
    assert_eq!(
        doc["grant_types_supported"],
        json!(["client_credentials", "password"])
    );
}

#[tokio::test]
async fn parallel_guesses_cannot_all_slip_past_the_lockout() {
    let app = spawn_with(|s| {
        s.users.max_failures_per_user = 3;
        s.users.hash_concurrency = 1;
        s.users.hash_queue = 64;
        s.users.hash_queue_timeout_secs = 120;
    })
    .await;
    app.seed().await;
    let secret = app.register_client("portal", &["password"]).await;
    let guesses: Vec<_> = (0..30)
        .map(|i| {
            let (http, url, secret) = (app.http.clone(), app.url("/oauth/token"), secret.clone());
            tokio::spawn(async move {
                let guess = format!("guess {i}");
                let form = [
                    ("grant_type", "password"),
                    ("username", "alice"),
                    ("password", &guess),
                ];
                let r = http
                    .post(url)
                    .basic_auth("portal", Some(secret))
                    .form(&form)
                    .send();
                r.await.unwrap().status().as_u16()
            })
        })
        .collect();
    let mut checked = 0;
    for guess in guesses {
        match guess.await.unwrap() {
            400 => checked += 1,
            429 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        checked, 3,
        "only the threshold's worth of guesses may be checked"
    );
}
