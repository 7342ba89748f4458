//! `POST /oauth/token` with the client-credentials grant: success, claims, and every refusal.

use serde_json::Value;

use crate::helpers::{claims_of, header_of, spawn_app};

#[tokio::test]
async fn a_registered_client_gets_an_rs512_at_jwt_for_its_default_audience() {
    let app = spawn_app().await;
    let strava = app
        .register(
            "strava",
            &["https://runnerly.io", "https://other.io"],
            &["runs:read"],
        )
        .await;

    let r = app.token_post(&strava.id, &strava.secret, &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["pragma"], "no-cache");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "runs:read");

    let token = body["access_token"].as_str().unwrap();
    let header = header_of(token);
    assert_eq!(
        (header["alg"].as_str(), header["typ"].as_str()),
        (Some("RS512"), Some("at+jwt"))
    );
    let claims = app
        .verify_with_jwks(token, "https://runnerly.io")
        .await
        .expect("verifies against the JWKS");
    assert_eq!(claims["iss"], app.issuer.as_str());
    assert_eq!(claims["sub"], "strava");
    assert_eq!(claims["client_id"], "strava");
    assert_eq!(claims["aud"], "https://runnerly.io");
    assert_eq!(claims["scope"], "runs:read");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );
    assert_eq!(claims["nbf"], claims["iat"]);
    assert!(
        claims["jti"].as_str().unwrap().len() >= 32,
        "jti carries at least 128 random bits"
    );
}

#[tokio::test]
async fn basic_authentication_works_and_ids_are_form_decoded() {
    // An id with ":" is no longer registrable, but one stored by an older release still works.
    let (app, client) = spawn_app()
        .await
        .restart_with_stored_client("svc:one", "https://api")
        .await;
    // RFC 6749 §2.3.1: the id is form-urlencoded inside the Basic value (":" → "%3A").
    let r = app.token_basic("svc%3Aone", &client.secret, &[]).await;
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(claims_of(&token)["sub"], "svc:one");
    assert!(
        claims_of(&token).get("scope").is_none(),
        "no scope claim for a client without scopes"
    );
}

#[tokio::test]
async fn each_token_has_a_fresh_jti() {
    let app = spawn_app().await;
    let c = app.register("svc", &["https://api"], &[]).await;
    let a = claims_of(&app.access_token(&c, &[]).await);
    let b = claims_of(&app.access_token(&c, &[]).await);
    assert_ne!(a["jti"], b["jti"]);
}

#[tokio::test]
async fn an_audience_or_resource_from_the_allow_list_is_honoured_and_others_are_invalid_target() {
    let app = spawn_app().await;
    let c = app.register("svc", &["https://a", "https://b"], &[]).await;
    assert_eq!(
        claims_of(&app.access_token(&c, &[("audience", "https://b")]).await)["aud"],
        "https://b"
    );
    assert_eq!(
        claims_of(&app.access_token(&c, &[("resource", "https://b")]).await)["aud"],
        "https://b"
    );

    let r = app
        .token_post(&c.id, &c.secret, &[("audience", "https://evil")])
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_target");
    let r = app
        .token_post(
            &c.id,
            &c.secret,
            &[("resource", "https://a"), ("resource", "https://b")],
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_target");
    let r = app
        .token_post(
            &c.id,
            &c.secret,
            &[("resource", "https://a"), ("audience", "https://a")],
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
}

#[tokio::test]
async fn a_scope_subset_is_granted_and_a_foreign_scope_is_invalid_scope() {
    let app = spawn_app().await;
    let c = app
        .register("svc", &["https://api"], &["a", "b", "c"])
        .await;
    let r = app.token_post(&c.id, &c.secret, &[("scope", "c a")]).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["scope"], "a c");
    assert_eq!(
        claims_of(body["access_token"].as_str().unwrap())["scope"],
        "a c"
    );

    let r = app
        .token_post(&c.id, &c.secret, &[("scope", "a admin")])
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_scope");
}

#[tokio::test]
async fn an_unknown_client_and_a_wrong_secret_get_the_same_answer() {
    let app = spawn_app().await;
    let known = app.register("strava", &["https://runnerly.io"], &[]).await;
    let a = app.token_post("strava", "wrong", &[]).await;
    let b = app.token_post("nobody", &known.secret, &[]).await;
    let c = app.token_post("not a valid id", &known.secret, &[]).await;
    let answer = |r: reqwest::Response| async move {
        let headers = r.headers().clone();
        (
            r.status(),
            headers.get("www-authenticate").cloned(),
            r.text().await.unwrap(),
        )
    };
    let (a, b, c) = (answer(a).await, answer(b).await, answer(c).await);
    assert_eq!(a.0, 401);
    assert!(a.2.contains("invalid_client"));
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[tokio::test]
async fn a_failed_basic_attempt_is_challenged_with_basic_and_the_error() {
    let app = spawn_app().await;
    let r = app.token_basic("nobody", "nothing", &[]).await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        r#"Basic realm="tokendealer", error="invalid_client", error_description="client authentication failed""#
    );
    assert_eq!(r.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn a_failed_form_attempt_gets_the_json_error_without_a_challenge() {
    let app = spawn_app().await;
    let known = app.register("svc", &["https://api"], &[]).await;
    let r = app.token_post(&known.id, "wrong", &[]).await;
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("www-authenticate").is_none());
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_description"], "client authentication failed");
}

#[tokio::test]
async fn basic_and_post_credentials_together_are_invalid_request() {
    let app = spawn_app().await;
    let c = app.register("svc", &["https://api"], &[]).await;
    let r = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(&c.id, Some(&c.secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &c.id),
            ("client_secret", &c.secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
}

#[tokio::test]
async fn malformed_requests_are_invalid_request() {
    let app = spawn_app().await;
    let c = app.register("svc", &["https://api"], &[]).await;
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        ("missing grant_type", app.http.post(app.url("/oauth/token")).form(&[("client_id", &c.id), ("client_secret", &c.secret)])),
        (
            "duplicated grant_type",
            app.http
                .post(app.url("/oauth/token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("grant_type=client_credentials&grant_type=client_credentials&client_id=svc&client_secret={}", c.secret)),
        ),
        (
            "a form type and then another",
            app.http
                .post(app.url("/oauth/token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("content-type", "application/json")
                .body(format!("grant_type=client_credentials&client_id=svc&client_secret={}", c.secret)),
        ),
        (
            "a form declared in another charset than UTF-8",
            app.http
                .post(app.url("/oauth/token"))
                .header("content-type", "application/x-www-form-urlencoded; charset=iso-8859-1")
                .body(format!("grant_type=client_credentials&client_id=svc&client_secret={}", c.secret)),
        ),
        (
            "JSON instead of a form",
            app.http.post(app.url("/oauth/token")).json(&serde_json::json!({"grant_type": "client_credentials"})),
        ),
    ];
    for (what, request) in cases {
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), 400, "{what}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{what}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{what}");
        assert!(body["error_description"].is_string(), "{what}");
    }
}

#[tokio::test]
async fn an_authorization_header_that_is_not_usable_basic_is_invalid_client() {
    let app = spawn_app().await;
    // RFC 6749 §5.2: an unsupported authentication method, or a Basic header that does not
    // decode, is a failed client authentication.
    for (what, value) in [
        ("malformed Basic", "Basic !!!"),
        ("Bearer instead of Basic", "Bearer x"),
    ] {
        let r = app
            .http
            .post(app.url("/oauth/token"))
            .header("authorization", value)
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{what}");
        let challenge = r.headers()["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.starts_with(r#"Basic realm="tokendealer", error="invalid_client""#),
            "{what}: {challenge}"
        );
        assert_eq!(r.headers()["cache-control"], "no-store", "{what}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client", "{what}");
    }
}

#[tokio::test]
async fn an_unknown_grant_type_is_unsupported_grant_type() {
    let app = spawn_app().await;
    let c = app.register("svc", &["https://api"], &[]).await;
    let r = app
        .http
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("client_id", &c.id),
            ("client_secret", &c.secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
}

#[tokio::test]
async fn a_body_over_64_kib_is_413_and_the_server_stays_healthy() {
    let app = spawn_app().await;
    let big = format!(
        "grant_type=client_credentials&pad={}",
        "x".repeat(70 * 1024)
    );
    let r = app
        .http
        .post(app.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn other_methods_on_the_token_endpoint_are_405_with_allow_post() {
    let app = spawn_app().await;
    let r = app.http.get(app.url("/oauth/token")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");
}

#[tokio::test]
async fn a_token_lifetime_set_per_client_is_used() {
    let app = spawn_app().await;
    let c = app
        .register_with(serde_json::json!({"client_id": "short", "audiences": ["https://api"], "token_ttl": 120}))
        .await;
    let r = app.token_post(&c.id, &c.secret, &[]).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["expires_in"], 120);
    let claims = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        120
    );
}

#[tokio::test]
async fn bad_credentials_are_invalid_client_whatever_else_is_wrong_with_the_request() {
    let app = spawn_app().await;
    let c = app.register("svc", &["https://api"], &["read"]).await;
    let cases: [&[(&str, &str)]; 5] = [
        &[("grant_type", "client_credentials"), ("scope", "x\"y")],
        &[("grant_type", "client_credentials"), ("scope", " ")],
        &[("grant_type", "client_credentials"), ("resource", "a b")],
        &[("grant_type", "password")],
        &[],
    ];
    for extra in cases {
        for (id, secret) in [("svc", "wrong"), ("nobody", c.secret.as_str())] {
            let mut form = vec![("client_id", id), ("client_secret", secret)];
            form.extend_from_slice(extra);
            let r = app
                .http
                .post(app.url("/oauth/token"))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401, "{id} {extra:?}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"], "invalid_client", "{id} {extra:?}");
        }
    }
    // With the right secret, each is refused for what it is.
    let r = app.token_post(&c.id, &c.secret, &[("scope", "x\"y")]).await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_scope");
}
