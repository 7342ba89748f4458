//! A workload's token as the client assertion: its bound client gets a token; every failure is
//! the same `invalid_client`, its reason kept for the audit trail; a hostile key source fails
//! its own clients only.

use std::time::{Duration, Instant};

use reqwest::{Method, Response};
use serde_json::{Value, json};

use super::issuer::{Issuer, IssuerKey, now, service_account_claims};
use crate::helpers::{TestApp, claims_of, spawn_app, spawn_with};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const WORKER: &str = "system:serviceaccount:billing:worker";
const API: &str = "https://api.test";

/// A token request with `assertion` as the client assertion, and `extra` form fields.
async fn with_assertion(app: &TestApp, assertion: &str, extra: &[(&str, &str)]) -> Response {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
    ];
    form.extend_from_slice(extra);
    app.http
        .post(app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Trusts `issuer` as `k8s` with `keys` (`jwks`, `jwks_uri` or nothing: discovered) and binds
/// client `worker` to the billing worker's service account.
async fn trust_and_bind(app: &TestApp, issuer: &Issuer, keys: Value) {
    let mut body = json!({ "name": "k8s", "issuer": issuer.url });
    for (k, v) in keys.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app.admin(Method::POST, "/admin/trust", Some(body)).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = super::add_federated(app, "worker", &[("k8s", WORKER)]).await;
    assert_eq!(r.status(), 201);
}

fn inline(issuer: &Issuer) -> Value {
    json!({ "jwks": { "keys": [issuer.key.jwk] } })
}

async fn loopback_app() -> TestApp {
    spawn_with(|s| s.client_assertions.jwks_allow_http_loopback = true).await
}

#[tokio::test]
async fn a_service_account_token_gets_its_bound_client_a_token_again_and_again() {
    let app = spawn_app().await;
    let issuer = Issuer::start().await;
    trust_and_bind(&app, &issuer, inline(&issuer)).await;
    let token = issuer.token("billing", "worker", &app.base);
    for extra in [
        &[][..],
        &[("client_id", "worker")][..],
        &[("audience", API)][..],
    ] {
        let r = with_assertion(&app, &token, extra).await;
        assert_eq!(r.status(), 200, "{extra:?}: {}", r.text().await.unwrap());
        let body: Value = r.json().await.unwrap();
        let claims = claims_of(body["access_token"].as_str().unwrap());
        assert_eq!(
            (claims["client_id"].as_str(), claims["aud"].as_str()),
            (Some("worker"), Some(API))
        );
    }
}

#[tokio::test]
async fn a_token_without_a_jti_authenticates_too() {
    let app = spawn_app().await;
    let issuer = Issuer::start().await;
    trust_and_bind(&app, &issuer, inline(&issuer)).await;
    let mut claims = service_account_claims(&issuer.url, "billing", "worker", &app.base);
    claims.as_object_mut().unwrap().remove("jti");
    let r = with_assertion(&app, &issuer.key.sign(&claims), &[]).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn keys_at_a_jwks_uri_and_discovered_keys_authenticate_alike() {
    for keys in ["jwks_uri", "discovered"] {
        let app = loopback_app().await;
        let issuer = Issuer::start().await;
        let given = match keys {
            "jwks_uri" => json!({ "jwks_uri": format!("{}/openid/v1/jwks", issuer.url) }),
            _ => json!({}),
        };
        trust_and_bind(&app, &issuer, given).await;
        let r = with_assertion(&app, &issuer.token("billing", "worker", &app.base), &[]).await;
        assert_eq!(r.status(), 200, "{keys}: {}", r.text().await.unwrap());
    }
}

#[tokio::test]
async fn every_failure_is_the_same_invalid_client_and_its_reason_goes_to_the_audit_trail() {
    let app = spawn_app().await;
    let issuer = Issuer::start().await;
    trust_and_bind(&app, &issuer, inline(&issuer)).await;
    let claims = || service_account_claims(&issuer.url, "billing", "worker", &app.base);
    let signed = |c: Value| issuer.key.sign(&c);
    let with = |k: &str, v: Value| {
        let mut c = claims();
        c[k] = v;
        signed(c)
    };
    let stranger = IssuerKey::generate(&issuer.key.kid);
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims(),
        &jsonwebtoken::EncodingKey::from_secret(issuer.key.jwk.to_string().as_bytes()),
    )
    .unwrap();
    let unsigned = {
        let parts: Vec<&str> = hs256.split('.').collect();
        format!("eyJhbGciOiJub25lIn0.{}.", parts[1])
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "unknown subject",
            with("sub", json!("system:serviceaccount:billing:other")),
        ),
        ("wrong key", stranger.sign(&claims())),
        ("expired", with("exp", json!(now() - 600))),
        ("not yet valid", with("nbf", json!(now() + 600))),
        (
            "wrong audience",
            with("aud", json!(["https://elsewhere.example"])),
        ),
        (
            "issuer not trusted",
            with("iss", json!("https://not-trusted.example")),
        ),
        ("aud of the wrong type", with("aud", json!(42))),
        ("HS256 with the public key", hs256),
        ("alg none", unsigned),
        ("two segments", "eyJhbGciOiJSUzI1NiJ9.e30".to_owned()),
        (
            "huge",
            format!("{}.{}.sig", "a".repeat(100), "b".repeat(20_000)),
        ),
    ];
    let mut answers = Vec::new();
    for (what, assertion) in &cases {
        let r = with_assertion(&app, assertion, &[]).await;
        answers.push((what, r.status().as_u16(), r.text().await.unwrap()));
    }
    let wrong_client = with_assertion(&app, &signed(claims()), &[("client_id", "admin")]).await;
    answers.push((
        &"another client_id",
        wrong_client.status().as_u16(),
        wrong_client.text().await.unwrap(),
    ));
    app.admin(Method::POST, "/admin/clients/worker/disable", None)
        .await;
    let disabled = with_assertion(&app, &signed(claims()), &[]).await;
    answers.push((
        &"disabled client",
        disabled.status().as_u16(),
        disabled.text().await.unwrap(),
    ));
    let first = answers[0].2.clone();
    for (what, status, body) in &answers {
        assert!(*status == 401 || *status == 400, "{what}: {status} {body}");
        if *status == 401 {
            assert_eq!(body, &first, "{what}: one answer for every failure");
        }
    }
    assert!(first.contains("invalid_client"), "{first}");
    let audit: Value = app
        .admin(Method::GET, "/admin/audit?kind=auth&limit=100", None)
        .await
        .json()
        .await
        .unwrap();
    let text = audit.to_string();
    for reason in [
        "unknown_subject",
        "bad_signature",
        "expired_assertion",
        "wrong_audience",
        "disabled_client",
    ] {
        assert!(text.contains(reason), "{reason} in {text}");
    }
}

#[tokio::test]
async fn a_hostile_key_source_fails_its_own_clients_and_slows_nothing_else() {
    let app = spawn_with(|s| {
        s.client_assertions.jwks_allow_http_loopback = true;
        s.client_assertions.jwks_fetch_timeout_secs = 2;
    })
    .await;
    let issuer = Issuer::start().await;
    let secret_client = app.register("plain", &[API], &[]).await;
    for (n, path) in ["slow", "huge", "loop", "leaked"].iter().enumerate() {
        let name = format!("bad-{path}");
        let body = json!({ "name": name, "issuer": format!("{}/{path}", issuer.url), "jwks_uri": format!("{}/{path}/jwks", issuer.url) });
        assert_eq!(
            app.admin(Method::POST, "/admin/trust", Some(body))
                .await
                .status(),
            201
        );
        let id = format!("victim-{n}");
        assert_eq!(
            super::add_federated(&app, &id, &[(&name, WORKER)])
                .await
                .status(),
            201
        );
    }
    let attempts = ["slow", "huge", "loop", "leaked"].map(|path| {
        let mut c = service_account_claims(
            &format!("{}/{path}", issuer.url),
            "billing",
            "worker",
            &app.base,
        );
        c["iss"] = json!(format!("{}/{path}", issuer.url));
        issuer.key.sign(&c)
    });
    let started = Instant::now();
    let hostile =
        futures_util::future::join_all(attempts.iter().map(|a| with_assertion(&app, a, &[])));
    let meanwhile = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let t = Instant::now();
        let r = app
            .token_post(&secret_client.id, &secret_client.secret, &[])
            .await;
        (r.status().as_u16(), t.elapsed())
    };
    let (answers, (plain_status, plain_took)) = tokio::join!(hostile, meanwhile);
    assert_eq!(plain_status, 200);
    assert!(
        plain_took < Duration::from_millis(1500),
        "a secret client waited {plain_took:?}"
    );
    for (path, r) in ["slow", "huge", "loop", "leaked"].iter().zip(answers) {
        assert_eq!(r.status(), 401, "{path}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the fetch deadline holds"
    );
}
