//! Per-client signing algorithms through the HTTP API: tokens verify with the JWKS, with the
//! right key type only, and the admin API accepts tokens of every algorithm the dealer signs with.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::net::SocketAddr;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Value, json};
use tokendealer::{Application, Settings};

struct TestApp {
    addr: SocketAddr,
    http: reqwest::Client,
    admin_token: String,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

async fn spawn_app() -> TestApp {
    spawn_app_in(tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()).await
}

async fn spawn_app_in(data: tempfile::TempDir, keys: tempfile::TempDir) -> TestApp {
    let settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.path().to_owned(),
        keys_dir: keys.path().to_owned(),
        ..Default::default()
    };
    // After a restart the previous server may still be closing its database: retry a while.
    let mut attempts = 0;
    let app = loop {
        match Application::build(settings.clone()).await {
            Ok(app) => break app,
            Err(_) if attempts < 100 => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the app did not start: {e:#}"),
        }
    };
    let addr = app.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    let creds: Value =
        serde_json::from_slice(&std::fs::read(data.path().join("admin-credentials.json")).unwrap())
            .unwrap();
    let http = reqwest::Client::new();
    let mut app = TestApp {
        addr,
        http,
        admin_token: String::new(),
        _stop: tx,
        _dirs: (data, keys),
    };
    let (status, body) = app
        .token(
            creds["client_id"].as_str().unwrap(),
            creds["client_secret"].as_str().unwrap(),
            Some("urn:tokendealer:admin"),
            Some("tokendealer:admin"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.admin_token = body["access_token"].as_str().unwrap().to_owned();
    app
}

impl TestApp {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn token(
        &self,
        id: &str,
        secret: &str,
        audience: Option<&str>,
        scope: Option<&str>,
    ) -> (u16, Value) {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ];
        form.extend(audience.map(|a| ("audience", a)));
        form.extend(scope.map(|s| ("scope", s)));
        let r = self
            .http
            .post(self.url("/oauth/token"))
            .form(&form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Value,
    ) -> (u16, Value) {
        let r = self
            .http
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// Registers a client and returns its secret.
    async fn add_client(&self, id: &str, extra: Value) -> (u16, Value) {
        let mut body = json!({"client_id": id, "audiences": ["https://api.example"]});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        self.admin(
            reqwest::Method::POST,
            "/admin/clients",
            &self.admin_token,
            body,
        )
        .await
    }

    async fn jwks(&self) -> JwkSet {
        self.http
            .get(self.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

fn validation(alg: Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    v.set_audience(&["https://api.example"]);
    v
}

#[tokio::test]
async fn each_client_gets_tokens_in_its_own_algorithm_and_they_verify_with_the_jwks() {
    let app = spawn_app().await;
    let jwks = app.jwks().await;
    for (alg, name, kty) in [
        (Algorithm::RS512, None, "RSA"),
        (Algorithm::EdDSA, Some("EdDSA"), "OKP"),
        (Algorithm::ES256, Some("ES256"), "EC"),
    ] {
        let id = format!("svc-{alg:?}");
        let extra = name.map_or(json!({}), |n| json!({ "alg": n }));
        let (status, created) = app.add_client(&id, extra).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["alg"], format!("{alg:?}"));
        let secret = created["client_secret"].as_str().unwrap();
        let (status, body) = app.token(&id, secret, None, None).await;
        assert_eq!(status, 200, "{body}");
        let token = body["access_token"].as_str().unwrap();
        let header = decode_header(token).unwrap();
        assert_eq!(header.alg, alg);
        let kid = header.kid.unwrap();
        let jwk = jwks.find(&kid).expect("the signing key is in the JWKS");
        let raw = serde_json::to_value(jwk).unwrap();
        assert_eq!(raw["kty"], kty);
        assert_eq!(raw["use"], "sig");
        assert_eq!(raw["alg"], format!("{alg:?}"));
        let claims = decode::<Value>(
            token,
            &DecodingKey::from_jwk(jwk).unwrap(),
            &validation(alg),
        )
        .unwrap()
        .claims;
        assert_eq!(claims["sub"], id);
    }
}

#[tokio::test]
async fn discovery_lists_every_algorithm_and_the_jwks_every_key_type() {
    let app = spawn_app().await;
    let meta: Value = app
        .http
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["access_token_signing_alg_values_supported"],
        json!(["RS512", "EdDSA", "ES256"])
    );
    let jwks = serde_json::to_value(app.jwks().await).unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    let okp = keys.iter().find(|k| k["kty"] == "OKP").unwrap();
    assert_eq!(
        (okp["crv"].as_str(), okp["x"].is_string()),
        (Some("Ed25519"), true)
    );
    let ec = keys.iter().find(|k| k["kty"] == "EC").unwrap();
    assert_eq!(ec["crv"], "P-256");
    assert!(ec["x"].is_string() && ec["y"].is_string() && ec["kid"].is_string());
}

#[tokio::test]
async fn an_unknown_algorithm_is_refused_at_registration() {
    let app = spawn_app().await;
    let (status, body) = app.add_client("svc", json!({"alg": "HS256"})).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn the_admin_api_accepts_an_eddsa_admin_token_and_rotation_keeps_old_tokens_valid() {
    let app = spawn_app().await;
    let (status, created) = app
        .admin(
            reqwest::Method::POST,
            "/admin/clients",
            &app.admin_token,
            json!({"client_id": "ops", "audiences": ["urn:tokendealer:admin"],
                   "scopes": ["tokendealer:admin"], "alg": "EdDSA"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["client_secret"].as_str().unwrap();
    let (_, body) = app
        .token(
            "ops",
            secret,
            Some("urn:tokendealer:admin"),
            Some("tokendealer:admin"),
        )
        .await;
    let ed_token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(decode_header(&ed_token).unwrap().alg, Algorithm::EdDSA);
    let (status, rotated) = app
        .admin(
            reqwest::Method::POST,
            "/admin/keys/rotate",
            &ed_token,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["alg"], "RS512");
    assert_eq!(rotated["rotated"].as_array().map(Vec::len), Some(2));
    // Signed by now-retiring keys: still accepted.
    let (status, _) = app
        .admin(reqwest::Method::GET, "/admin/keys", &ed_token, json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .admin(
            reqwest::Method::GET,
            "/admin/clients",
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.jwks().await.keys.len(), 6);
}

#[tokio::test]
async fn a_token_whose_header_names_another_algorithm_than_its_key_is_refused() {
    let app = spawn_app().await;
    // Re-label the RS512 admin token as EdDSA, keeping its kid and signature.
    let mut parts = app.admin_token.split('.');
    let (h, c, s) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut header: Value = serde_json::from_slice(&b64.decode(h).unwrap()).unwrap();
    header["alg"] = json!("EdDSA");
    let forged = format!(
        "{}.{c}.{s}",
        b64.encode(serde_json::to_vec(&header).unwrap())
    );
    let (status, _) = app
        .admin(reqwest::Method::GET, "/admin/keys", &forged, json!({}))
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_restart_keeps_one_active_key_per_algorithm() {
    let app = spawn_app().await;
    let before = serde_json::to_value(app.jwks().await).unwrap();
    let TestApp { _stop, _dirs, .. } = app;
    drop(_stop);
    let (data, keys) = _dirs;
    let again = spawn_app_in(data, keys).await;
    let after = serde_json::to_value(again.jwks().await).unwrap();
    let kids = |v: &Value| {
        let mut k: Vec<String> = v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| format!("{}/{}", k["alg"], k["kid"]))
            .collect();
        k.sort();
        k
    };
    assert_eq!(kids(&before).len(), 3);
    assert_eq!(kids(&before), kids(&after));
}
