//! The revocation endpoint (RFC 7009): what a revoked token is afterwards, even across a crash.

use crate::cli::{free_address, serve_process};
use crate::helpers::{TestApp, spawn_app, spawn_with};
use crate::introspection::{API, inactive, register};

#[tokio::test]
async fn a_revoked_token_is_inactive_and_the_admin_api_refuses_it() {
    let app = spawn_app().await;
    let admin = app.admin_client();
    let token = app.admin_token().await;
    let list = |t: String| {
        app.http
            .get(app.url("/admin/clients"))
            .bearer_auth(t)
            .send()
    };
    assert_eq!(list(token.clone()).await.unwrap().status(), 200);

    app.revoke(&admin, &token).await;

    assert_eq!(app.introspect(&admin, &token).await, inactive());
    let refused = list(token.clone()).await.unwrap();
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("invalid_token"), "{challenge}");
    // Only that token: a fresh one still works.
    assert_eq!(list(app.admin_token().await).await.unwrap().status(), 200);
}

#[tokio::test]
async fn revoking_another_clients_token_answers_200_but_leaves_it_active() {
    let app = spawn_app().await;
    let svc = register(&app, "svc", &["read"]).await;
    let thief = register(&app, "thief", &["read"]).await;
    let token = app.access_token(&svc, &API).await;
    app.revoke(&thief, &token).await;
    assert_eq!(app.introspect(&svc, &token).await["active"], true);
}

#[tokio::test]
async fn revoking_an_unknown_or_malformed_token_answers_200() {
    let app = spawn_app().await;
    let admin = app.admin_client();
    for token in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30."] {
        app.revoke(&admin, token).await;
    }
}

#[tokio::test]
async fn a_revocation_survives_a_restart() {
    let app = spawn_app().await;
    let svc = register(&app, "svc", &["read"]).await;
    let (revoked, kept) = (
        app.access_token(&svc, &API).await,
        app.access_token(&svc, &API).await,
    );
    app.revoke(&svc, &revoked).await;

    let app = app.restart().await;
    assert_eq!(app.introspect(&svc, &revoked).await, inactive());
    assert_eq!(app.introspect(&svc, &kept).await["active"], true);
}

#[tokio::test]
async fn a_revocation_survives_the_dealer_being_killed() {
    let (data, keys) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // The same address after the kill, so the same issuer: the token stays the dealer's own.
    let listen = free_address();
    let mut process = serve_process(&listen, data.path(), keys.path()).await;
    let app = TestApp::attach(format!("http://{listen}"), data, keys);
    let token = app.admin_token().await;
    app.revoke(&app.admin_client(), &token).await;
    process.kill().await.unwrap();

    let _process = serve_process(&listen, app.data_dir.path(), app.keys_dir.path()).await;
    assert_eq!(
        app.introspect(&app.admin_client(), &token).await,
        inactive()
    );
    let fresh = app.admin_token().await;
    assert_eq!(
        app.introspect(&app.admin_client(), &fresh).await["active"],
        true
    );
}

#[tokio::test]
async fn a_client_revoking_beyond_its_share_gets_503_and_its_token_stays_active() {
    let app = spawn_with(|s| s.max_revocations_per_client = 10).await;
    let svc = register(&app, "svc", &["read"]).await;
    let other = register(&app, "other", &["read"]).await;
    let mut tokens = Vec::new();
    for _ in 0..32 {
        tokens.push(app.access_token(&svc, &API).await);
    }
    // 32 revocations at once: the share is checked and taken atomically, so exactly 10 land.
    let answers = futures_util::future::join_all(
        tokens
            .iter()
            .map(|t| app.post_token("/oauth/revoke", &svc, t)),
    )
    .await;
    let (mut listed, mut refused) = (0, 0);
    for r in answers {
        match r.status().as_u16() {
            200 => listed += 1,
            503 => {
                assert_eq!(r.headers()["retry-after"], "60");
                assert_eq!(r.headers()["cache-control"], "no-store");
                let body: serde_json::Value = r.json().await.unwrap();
                assert_eq!(body["error"], "temporarily_unavailable");
                let text = body["error_description"].as_str().unwrap();
                assert!(text.contains("10 revoked tokens"), "{text}");
                refused += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((listed, refused), (10, 22));
    let mut active = 0;
    for t in &tokens {
        active += usize::from(app.introspect(&svc, t).await["active"] == true);
    }
    assert_eq!(active, 22, "a refused revocation leaves its token valid");
    // Another client's share is its own.
    let theirs = app.access_token(&other, &API).await;
    app.revoke(&other, &theirs).await;
    assert_eq!(app.introspect(&other, &theirs).await, inactive());
    // A restart counts the share again from the store.
    let app = app.restart().await;
    let fresh = app.access_token(&svc, &API).await;
    let r = app.post_token("/oauth/revoke", &svc, &fresh).await;
    assert_eq!(r.status(), 503);
}

#[tokio::test]
async fn a_client_registered_again_has_a_share_of_its_own_and_old_tokens_take_none_of_it() {
    let app = spawn_with(|s| s.max_revocations_per_client = 2).await;
    let first = register(&app, "svc", &["read"]).await;
    let mut old = Vec::new();
    for _ in 0..4 {
        old.push(app.access_token(&first, &API).await);
    }
    // The first registration fills its share.
    app.revoke(&first, &old[0]).await;
    app.revoke(&first, &old[1]).await;
    let r = app.post_token("/oauth/revoke", &first, &old[2]).await;
    assert_eq!(r.status(), 503);

    let removed = app
        .admin(reqwest::Method::DELETE, "/admin/clients/svc", None)
        .await;
    assert_eq!(removed.status(), 200);
    let second = register(&app, "svc", &["read"]).await;
    // The old registration's tokens are dead: revoking them answers 200 and lists nothing.
    for token in &old[2..] {
        assert_eq!(app.introspect(&second, token).await, inactive());
        app.revoke(&second, token).await;
    }
    // So the new registration's whole share is its own.
    for _ in 0..2 {
        let fresh = app.access_token(&second, &API).await;
        app.revoke(&second, &fresh).await;
        assert_eq!(app.introspect(&second, &fresh).await, inactive());
    }
}
