//! Which 401s carry a challenge; what a failed client authentication is, at every endpoint
//! that authenticates clients, and what stays `invalid_request`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::RequestBuilder;

use super::{API, CLIENT_AUTHENTICATED, form, outcome, raw_basic, unauthorized_client};
use crate::helpers::spawn_app;
use crate::users::Directory;

#[tokio::test]
async fn a_failed_client_authentication_is_401_challenged_only_after_an_authorization_header() {
    let app = spawn_app().await;
    let svc = app.register("svc", &[API], &[]).await;
    let token = app.access_token(&svc, &[]).await;
    for path in CLIENT_AUTHENTICATED {
        let post = |id: &str, secret: &str| {
            let mut f = form(&token);
            f.extend([("client_id", id), ("client_secret", secret)]);
            app.http.post(app.url(path)).form(&f)
        };
        let basic = |id: &str, secret: &str| {
            let f = form(&token);
            app.http
                .post(app.url(path))
                .basic_auth(id, Some(secret))
                .form(&f)
        };
        let attempts: Vec<(&str, RequestBuilder, bool)> = vec![
            ("wrong secret, post", post("svc", "wrong"), false),
            ("wrong secret, Basic", basic("svc", "wrong"), true),
            ("unknown client, post", post("nobody", &svc.secret), false),
            ("unknown client, Basic", basic("nobody", &svc.secret), true),
            (
                "no credentials",
                app.http.post(app.url(path)).form(&form(&token)),
                false,
            ),
        ];
        for (what, request, in_header) in attempts {
            let r = request.send().await.unwrap();
            assert_eq!(r.headers()["cache-control"], "no-store", "{path} {what}");
            let expected = unauthorized_client(in_header);
            assert_eq!(outcome(r).await, expected, "{path} {what}");
        }
    }
    assert_eq!(app.introspect(&svc, &token).await["active"], true);
}

#[tokio::test]
async fn an_authorization_header_that_is_not_usable_basic_is_invalid_client() {
    let app = spawn_app().await;
    let svc = app.register("svc", &[API], &[]).await;
    let token = app.access_token(&svc, &[]).await;
    let headers = [
        "Bearer abc".to_owned(),
        format!("Bearer {token}"),
        r#"Digest username="svc", realm="tokendealer", nonce="x", response="y""#.to_owned(),
        "Negotiate abc".to_owned(),
        "Basic !!!".to_owned(),
        "Basic".to_owned(),
        format!("Basic {}", STANDARD.encode("no-colon")),
        format!("Basic {}", STANDARD.encode(":no-id")),
        format!("Basic {}", STANDARD.encode([0xff, b':', 0xfe])),
    ];
    for path in CLIENT_AUTHENTICATED {
        for header in &headers {
            // With the client_id in the form too, as some clients send it.
            let mut f = form(&token);
            f.push(("client_id", "svc"));
            let r = app.http.post(app.url(path)).header("authorization", header);
            let r = r.form(&f).send().await.unwrap();
            let expected = unauthorized_client(true);
            assert_eq!(outcome(r).await, expected, "{path} {header}");
        }
    }
}

#[tokio::test]
async fn two_methods_at_once_or_a_contradicting_client_id_stay_invalid_request() {
    let app = spawn_app().await;
    let svc = app.register("svc", &[API], &[]).await;
    let token = app.access_token(&svc, &[]).await;
    for path in CLIENT_AUTHENTICATED {
        let cases = [
            ("client_secret", svc.secret.as_str()),
            ("client_id", "other"),
        ];
        for extra in cases {
            let mut f = form(&token);
            f.push(extra);
            let r = app
                .http
                .post(app.url(path))
                .basic_auth(&svc.id, Some(&svc.secret));
            let r = r.form(&f).send().await.unwrap();
            assert_eq!(
                outcome(r).await,
                (400, "invalid_request".into(), None),
                "{path} {extra:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_bearer_route_without_a_usable_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let svc = app.register("svc", &[API], &[]).await;
    let not_admin = app.access_token(&svc, &[]).await;
    let basic = raw_basic(&svc.id, &svc.secret);
    for path in [
        "/admin/clients",
        "/admin/keys",
        "/admin/users",
        "/catalog",
        "/catalog/x",
    ] {
        let attempts = [
            None,
            Some("Bearer not-a-token".to_owned()),
            Some(format!("Bearer {not_admin}x")),
            Some(basic.clone()),
        ];
        for authorization in attempts {
            let mut request = app.http.get(app.url(path));
            if let Some(value) = &authorization {
                request = request.header("authorization", value);
            }
            let (status, error, challenge) = outcome(request.send().await.unwrap()).await;
            assert_eq!(
                (status, error.as_str()),
                (401, "invalid_token"),
                "{path} {authorization:?}"
            );
            let challenge = challenge.unwrap_or_default();
            assert!(
                challenge.starts_with(r#"Bearer realm="tokendealer", error="invalid_token""#),
                "{path} {authorization:?}: {challenge}"
            );
        }
    }
}

#[tokio::test]
async fn the_tokenleader_compatible_refusals_carry_a_challenge_too() {
    let app = spawn_app().await;
    app.seed().await;
    let refusals = [
        app.gettoken("alice", "wrong password").await,
        app.http
            .get(app.url("/token/verify_token"))
            .send()
            .await
            .unwrap(),
        app.http
            .get(app.url("/token/verify_token"))
            .header("x-auth-token", "forged")
            .send()
            .await
            .unwrap(),
    ];
    for r in refusals {
        assert_eq!(r.status(), 401, "{}", r.url());
        assert_eq!(
            r.headers()["www-authenticate"],
            r#"Bearer realm="tokendealer""#
        );
    }
}

#[tokio::test]
async fn two_authorization_headers_are_a_malformed_request_everywhere() {
    let app = spawn_app().await;
    let svc = app.register("svc", &[API], &[]).await;
    let token = app.access_token(&svc, &[]).await;
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", svc.id, svc.secret))
    );
    let bearer = format!("Bearer {token}");
    for path in CLIENT_AUTHENTICATED {
        let r = app
            .http
            .post(app.url(path))
            .header("authorization", &basic)
            .header("authorization", &bearer)
            .form(&form(&token))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{path}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{path}");
    }
    let admin = app.admin_token().await;
    let r = app
        .http
        .get(app.url("/admin/clients"))
        .header("authorization", format!("Bearer {admin}"))
        .header("authorization", format!("Bearer {admin}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
