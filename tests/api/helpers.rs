//! `spawn_app`: a real dealer on 127.0.0.1:0 with temporary data and keys dirs, and a client for it.

use std::path::PathBuf;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::Response;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokendealer::{Application, Settings};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const ADMIN_AUDIENCE: &str = "urn:tokendealer:admin";
pub const ADMIN_SCOPE: &str = "tokendealer:admin";

pub struct TestApp {
    pub base: String,
    pub issuer: String,
    pub data_dir: TempDir,
    pub keys_dir: TempDir,
    pub admin_id: String,
    pub admin_secret: String,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

/// A registered client as the admin API returned it (with its one-time secret).
pub struct Registered {
    pub id: String,
    pub secret: String,
    pub body: Value,
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let keys_dir = tempfile::tempdir().unwrap();
    let mut settings = settings_for(data_dir.path().into(), keys_dir.path().into());
    tweak(&mut settings);
    start(settings, data_dir, keys_dir).await
}

fn settings_for(data_dir: PathBuf, keys_dir: PathBuf) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir,
        keys_dir,
        ..Settings::default()
    }
}

async fn start(settings: Settings, data_dir: TempDir, keys_dir: TempDir) -> TestApp {
    let app = Application::build(settings)
        .await
        .expect("the application builds");
    let base = format!("http://{}", app.local_addr());
    let issuer = app.issuer().to_owned();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let creds: Value = serde_json::from_slice(
        &std::fs::read(data_dir.path().join("admin-credentials.json")).unwrap(),
    )
    .unwrap();
    TestApp {
        base,
        issuer,
        admin_id: creds["client_id"].as_str().unwrap().to_owned(),
        admin_secret: creds["client_secret"].as_str().unwrap().to_owned(),
        data_dir,
        keys_dir,
        http: reqwest::Client::new(),
        stop: Some(stop),
        server: Some(server),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server, waits for it to drain, and starts a new one on the same dirs.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let mut settings = settings_for(self.data_dir.path().into(), self.keys_dir.path().into());
        // Same address, so the same default issuer: tokens from before stay valid.
        settings.listen = self.base.trim_start_matches("http://").parse().unwrap();
        let mut app = start(settings, self.data_dir, self.keys_dir).await;
        // The bootstrap file is not rewritten on restart; keep the original admin secret.
        app.admin_secret = self.admin_secret;
        app
    }

    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }

    /// POST /oauth/token with client_secret_post and extra form fields.
    pub async fn token_post(&self, id: &str, secret: &str, extra: &[(&str, &str)]) -> Response {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ];
        form.extend_from_slice(extra);
        self.http
            .post(self.url("/oauth/token"))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// POST /oauth/token with client_secret_basic and extra form fields.
    pub async fn token_basic(&self, id: &str, secret: &str, extra: &[(&str, &str)]) -> Response {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend_from_slice(extra);
        self.http
            .post(self.url("/oauth/token"))
            .basic_auth(id, Some(secret))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    pub async fn admin_token(&self) -> String {
        let r = self
            .token_basic(
                &self.admin_id,
                &self.admin_secret,
                &[("audience", ADMIN_AUDIENCE), ("scope", ADMIN_SCOPE)],
            )
            .await;
        assert_eq!(r.status(), 200, "the admin gets a token");
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// An admin API call with a fresh admin token.
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let token = self.admin_token().await;
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    pub async fn register(&self, id: &str, audiences: &[&str], scopes: &[&str]) -> Registered {
        self.register_with(json!({ "client_id": id, "audiences": audiences, "scopes": scopes }))
            .await
    }

    pub async fn register_with(&self, body: Value) -> Registered {
        let r = self
            .admin(reqwest::Method::POST, "/admin/clients", Some(body))
            .await;
        assert_eq!(r.status(), 201, "the client is registered");
        let body: Value = r.json().await.unwrap();
        Registered {
            id: body["client_id"].as_str().unwrap().to_owned(),
            secret: body["client_secret"].as_str().unwrap().to_owned(),
            body,
        }
    }

    /// A token for a registered client, from a successful request.
    pub async fn access_token(&self, client: &Registered, extra: &[(&str, &str)]) -> String {
        let r = self.token_post(&client.id, &client.secret, extra).await;
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn jwks(&self) -> JwkSet {
        self.http
            .get(self.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Verifies a token the way a service would: against the published JWKS, by `kid`.
    pub async fn verify_with_jwks(
        &self,
        token: &str,
        audience: &str,
    ) -> jsonwebtoken::errors::Result<Value> {
        let kid = jsonwebtoken::decode_header(token)?.kid.unwrap_or_default();
        let jwks = self.jwks().await;
        let jwk = jwks
            .find(&kid)
            .ok_or(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat)?;
        let mut validation = Validation::new(Algorithm::RS512);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[&self.issuer]);
        Ok(jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk)?, &validation)?.claims)
    }
}

/// The payload of a JWT, without checking anything: for asserting on claims.
pub fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

pub fn header_of(token: &str) -> Value {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap()
}
