//! A real dealer on a free port with temporary directories, and shortcuts for its APIs.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use tokendealer::domain::users::UserSettings;
use tokendealer::{Application, Settings};

pub const PASSWORD: &str = "correct horse battery";
pub const AUDIENCE: &str = "https://api.example";

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub data_dir: tempfile::TempDir,
    pub keys_dir: tempfile::TempDir,
    admin_id: String,
    admin_secret: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// Starts a dealer with cheap argon2 parameters, after `tweak` has adjusted its settings.
pub async fn spawn_with(tweak: impl FnOnce(&mut UserSettings)) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let keys_dir = tempfile::tempdir().unwrap();
    let mut users = UserSettings::for_tests();
    tweak(&mut users);
    let settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.path().to_owned(),
        keys_dir: keys_dir.path().to_owned(),
        users,
        ..Default::default()
    };
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let creds: Value = serde_json::from_slice(
        &std::fs::read(data_dir.path().join("admin-credentials.json")).unwrap(),
    )
    .unwrap();
    TestApp {
        base,
        http: reqwest::Client::new(),
        admin_id: creds["client_id"].as_str().unwrap().to_owned(),
        admin_secret: creds["client_secret"].as_str().unwrap().to_owned(),
        data_dir,
        keys_dir,
        _stop: stop,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn admin_token(&self) -> String {
        let form = [
            ("grant_type", "client_credentials"),
            ("audience", "urn:tokendealer:admin"),
            ("scope", "tokendealer:admin"),
        ];
        let r = self
            .http
            .post(self.url("/oauth/token"))
            .basic_auth(&self.admin_id, Some(&self.admin_secret))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// Calls the admin API with a fresh admin token.
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let token = self.admin_token().await;
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    pub async fn create(&self, resource: &str, body: Value) -> Response {
        self.admin(Method::POST, &format!("/admin/{resource}"), Some(body))
            .await
    }

    /// org `acme`, ou `eng`, dept `platform`, wfc `acme-eng`, roles `ops` and `admin`, and user
    /// `alice` (role `ops`, wfc `acme-eng`) with [`PASSWORD`].
    pub async fn seed(&self) {
        for (resource, name) in [
            ("orgs", "acme"),
            ("ous", "eng"),
            ("depts", "platform"),
            ("roles", "ops"),
            ("roles", "admin"),
        ] {
            let r = self.create(resource, json!({ "name": name })).await;
            assert_eq!(r.status(), 201, "creating {resource} {name}");
        }
        let wfc =
            json!({"name": "acme-eng", "org": "acme", "orgunit": "eng", "department": "platform"});
        assert_eq!(self.create("wfcs", wfc).await.status(), 201);
        self.add_user("alice", &["ops"], "acme-eng").await;
    }

    pub async fn add_user(&self, username: &str, roles: &[&str], wfc: &str) {
        let body = json!({"username": username, "email": format!("{username}@acme.example"),
            "password": PASSWORD, "roles": roles, "wfc": wfc});
        let r = self.create("users", body).await;
        assert_eq!(r.status(), 201, "adding user {username}");
    }

    /// Registers a client allowed `grants`; returns its secret.
    pub async fn register_client(&self, id: &str, grants: &[&str]) -> String {
        let body =
            json!({"client_id": id, "audiences": [AUDIENCE], "scopes": ["read"], "grants": grants});
        let r = self.create("clients", body).await;
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        body["client_secret"].as_str().unwrap().to_owned()
    }

    pub async fn password_grant(
        &self,
        client: (&str, &str),
        username: &str,
        password: &str,
    ) -> Response {
        let form = [
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
        ];
        self.http
            .post(self.url("/oauth/token"))
            .basic_auth(client.0, Some(client.1))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    pub async fn client_credentials(&self, client: (&str, &str)) -> Response {
        self.http
            .post(self.url("/oauth/token"))
            .basic_auth(client.0, Some(client.1))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap()
    }

    pub async fn gettoken(&self, username: &str, password: &str) -> Response {
        self.gettoken_raw(
            serde_json::to_vec(&json!({"username": username, "password": password})).unwrap(),
        )
        .await
    }

    pub async fn gettoken_raw(&self, body: Vec<u8>) -> Response {
        self.http
            .post(self.url("/token/gettoken"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// A token from `/token/gettoken` for a seeded user.
    pub async fn legacy_token(&self, username: &str) -> String {
        let r = self.gettoken(username, PASSWORD).await;
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        body["auth_token"].as_str().unwrap().to_owned()
    }

    pub async fn verify_token(&self, token: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url("/token/verify_token"))
            .header("X-Auth-Token", token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// The dealer's signing key, read from its keys directory.
    pub fn server_key(&self) -> tokendealer::domain::keys::SigningKey {
        let path: PathBuf = std::fs::read_dir(self.keys_dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "pem"))
            .unwrap();
        let block = pem::parse(std::fs::read(path).unwrap()).unwrap();
        tokendealer::domain::keys::SigningKey::from_der(block.tag(), block.contents()).unwrap()
    }
}

/// A JWS's header and claims, decoded without checking the signature.
pub fn jws_parts(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let mut next =
        || serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    (next(), next())
}

pub fn raw_header(token: &str) -> String {
    let first = token.split('.').next().unwrap();
    String::from_utf8(URL_SAFE_NO_PAD.decode(first).unwrap()).unwrap()
}
