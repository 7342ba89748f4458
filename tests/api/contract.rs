//! The HTTP contract OAuth2 clients rely on, endpoint by endpoint: challenges on every 401, client
//! authentication failures, registrable client ids, CORS on the public documents only, the
//! issuer as configured, normalized passwords.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};
use tokendealer::client::Verifier;

use crate::helpers::{TestApp, claims_of, spawn_app, spawn_with};
use crate::users::Directory;

const CLIENT_AUTHENTICATED: [&str; 3] = ["/oauth/token", "/oauth/introspect", "/oauth/revoke"];
const BASIC: &str = r#"Basic realm="tokendealer""#;
const API: &str = "https://api.example";

/// A form every client-authenticated endpoint can take: a grant type and a token.
fn form(token: &str) -> Vec<(&str, &str)> {
    vec![("grant_type", "client_credentials"), ("token", token)]
}

/// Status, `error` and `WWW-Authenticate` of an answer.
async fn outcome(r: Response) -> (u16, String, Option<String>) {
    let status = r.status().as_u16();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (
        status,
        body["error"].as_str().unwrap_or("").to_owned(),
        challenge,
    )
}

fn unauthorized_client() -> (u16, String, Option<String>) {
    (401, "invalid_client".into(), Some(BASIC.into()))
}

fn raw_basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

#[tokio::test]
async fn a_failed_client_authentication_is_401_with_a_basic_challenge_on_every_endpoint() {
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
        let attempts: Vec<(&str, RequestBuilder)> = vec![
            ("wrong secret, post", post("svc", "wrong")),
            ("wrong secret, Basic", basic("svc", "wrong")),
            ("unknown client, post", post("nobody", &svc.secret)),
            ("unknown client, Basic", basic("nobody", &svc.secret)),
            (
                "no credentials",
                app.http.post(app.url(path)).form(&form(&token)),
            ),
        ];
        for (what, request) in attempts {
            let r = request.send().await.unwrap();
            assert_eq!(r.headers()["cache-control"], "no-store", "{path} {what}");
            assert_eq!(outcome(r).await, unauthorized_client(), "{path} {what}");
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
            assert_eq!(outcome(r).await, unauthorized_client(), "{path} {header}");
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
    let list: Value = app
        .admin(Method::GET, "/admin/clients", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "only the admin client");
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
    let listed: Value = app
        .admin(Method::GET, "/admin/clients", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["client_id"] == old.id)
    );
}

#[tokio::test]
async fn the_public_documents_answer_cross_origin_requests_and_preflights() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/jwks.json",
        "/.well-known/oauth-authorization-server",
    ] {
        for method in [Method::GET, Method::HEAD] {
            let r = app.http.request(method.clone(), app.url(path));
            let r = r
                .header("origin", "https://spa.example")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{method} {path}");
            assert_eq!(
                r.headers()["access-control-allow-origin"],
                "*",
                "{method} {path}"
            );
        }
        let preflight = |headers: Option<&'static str>| {
            let r = app.http.request(Method::OPTIONS, app.url(path));
            let r = r
                .header("origin", "https://spa.example")
                .header("access-control-request-method", "GET");
            match headers {
                Some(h) => r.header("access-control-request-headers", h),
                None => r,
            }
            .send()
        };
        let r = preflight(Some("x-requested-with, if-none-match"))
            .await
            .unwrap();
        assert_eq!(r.status(), 204, "{path}");
        let h = r.headers();
        assert_eq!(h["access-control-allow-origin"], "*");
        assert_eq!(h["access-control-allow-methods"], "GET, HEAD, OPTIONS");
        assert_eq!(
            h["access-control-allow-headers"],
            "x-requested-with, if-none-match"
        );
        assert!(
            h["access-control-max-age"]
                .to_str()
                .unwrap()
                .parse::<u32>()
                .unwrap()
                > 0
        );
        assert!(h.get("access-control-allow-credentials").is_none());
        let r = preflight(None).await.unwrap();
        assert_eq!(r.status(), 204);
        assert!(!r.headers()["access-control-allow-headers"].is_empty());
        let post = app.http.post(app.url(path)).send().await.unwrap();
        assert_eq!(post.status(), 405);
        assert_eq!(post.headers()["allow"], "GET, HEAD, OPTIONS");
    }
}

#[tokio::test]
async fn no_other_route_answers_cors() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let origin = |r: RequestBuilder| r.header("origin", "https://spa.example");
    let requests = [
        origin(app.http.get(app.url("/healthz"))),
        origin(app.http.get(app.url("/admin/clients")).bearer_auth(&admin)),
        origin(app.http.get(app.url("/catalog")).bearer_auth(&admin)),
        origin(app.http.get(app.url("/keys/active"))),
        origin(
            app.http
                .post(app.url("/oauth/token"))
                .basic_auth(&app.admin_id, Some(&app.admin_secret)),
        )
        .form(&[("grant_type", "client_credentials")]),
    ];
    for request in requests {
        let r = request.send().await.unwrap();
        assert!(r.status().is_success(), "{} {}", r.url(), r.status());
        assert!(no_cors(&r), "{}", r.url());
    }
    for (path, allow) in [
        ("/oauth/token", "POST"),
        ("/oauth/introspect", "POST"),
        ("/oauth/revoke", "POST"),
        ("/healthz", "GET, HEAD"),
    ] {
        let r = origin(app.http.request(Method::OPTIONS, app.url(path)))
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "{path}");
        assert_eq!(r.headers()["allow"], allow, "{path}");
        assert!(no_cors(&r), "{path}");
    }
}

fn no_cors(r: &Response) -> bool {
    !r.headers()
        .keys()
        .any(|k| k.as_str().starts_with("access-control-"))
}

#[tokio::test]
async fn an_issuer_with_a_trailing_slash_is_kept_exactly_as_configured() {
    for issuer in [
        "https://auth.example.com/",
        "https://auth.example.com/tenant/",
    ] {
        let app = spawn_with(|s| s.issuer = Some(issuer.to_owned())).await;
        let doc = app.metadata().await;
        assert_eq!(doc["issuer"], issuer);
        for endpoint in [
            "token_endpoint",
            "jwks_uri",
            "introspection_endpoint",
            "revocation_endpoint",
        ] {
            let url = doc[endpoint].as_str().unwrap();
            assert!(url.starts_with(issuer), "{endpoint}: {url}");
            assert!(!url["https://".len()..].contains("//"), "{endpoint}: {url}");
        }
        let bootstrap: Value = serde_json::from_slice(
            &std::fs::read(app.data_dir.path().join("admin-credentials.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(bootstrap["token_endpoint"], format!("{issuer}oauth/token"));

        let svc = app.register("svc", &[API], &[]).await;
        let token = app.access_token(&svc, &[]).await;
        assert_eq!(claims_of(&token)["iss"], issuer);
        assert_eq!(app.introspect(&svc, &token).await["iss"], issuer);
        // A verifier configured with the issuer as typed accepts the token.
        let verifier = Verifier::builder(app.url("/.well-known/jwks.json"), issuer, API)
            .build()
            .unwrap();
        assert_eq!(
            verifier.verify(&token).await.unwrap().iss.as_deref(),
            Some(issuer)
        );
    }
}

#[tokio::test]
async fn a_password_set_precomposed_works_typed_decomposed_and_spaces_are_normalized() {
    let app = spawn_app().await;
    app.seed().await;
    let nfc = "P\u{e4}ssw\u{f6}rd-1";
    let nfd = "Pa\u{308}sswo\u{308}rd-1";
    add_user(&app, "bob", nfc).await;
    add_user(&app, "carol", "no\u{a0}break\u{3000}space").await;
    let secret = app.register_client("portal", &["password"]).await;
    for (user, typed) in [("bob", nfd), ("bob", nfc), ("carol", "no break space")] {
        let r = app.password_grant(("portal", &secret), user, typed).await;
        assert_eq!(r.status(), 200, "password grant {user} {typed:?}");
        let r = app.gettoken(user, typed).await;
        assert_eq!(r.status(), 201, "gettoken {user} {typed:?}");
    }
    let r = app
        .password_grant(("portal", &secret), "bob", "Passwords-1")
        .await;
    assert_eq!(r.status(), 400, "a different password still fails");
}

async fn add_user(app: &TestApp, username: &str, password: &str) {
    let body = json!({"username": username, "email": format!("{username}@acme.example"),
        "password": password, "roles": ["ops"], "wfc": "acme-eng"});
    assert_eq!(app.create("users", body).await.status(), 201, "{username}");
}
