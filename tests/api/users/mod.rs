//! Users, roles, wfc, the password grant and the tokenleader-compatible API, with shortcuts.

mod authorization;
mod catalog_keys;
mod cli;
mod costly;
mod directory;
mod import;
mod limits;
mod password_grant;
mod tokenleader;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use tokendealer::domain::keys::SigningKey;

use crate::helpers::TestApp;

pub(crate) const PASSWORD: &str = "correct horse battery";
const AUDIENCE: &str = "https://api.example";

/// The user directory and the logins built on it, for a [`TestApp`].
pub(crate) trait Directory {
    /// POSTs `body` to `/admin/{resource}` as the admin.
    async fn create(&self, resource: &str, body: Value) -> Response;
    /// org `acme`, ou `eng`, dept `platform`, wfc `acme-eng`, roles `ops` and `admin`, and user
    /// `alice` (role `ops`, wfc `acme-eng`) with [`PASSWORD`].
    async fn seed(&self);
    async fn add_user(&self, username: &str, roles: &[&str], wfc: &str);
    /// Registers a client for [`AUDIENCE`] allowed `grants`; returns its secret.
    async fn register_client(&self, id: &str, grants: &[&str]) -> String;
    async fn password_grant(
        &self,
        client: (&str, &str),
        username: &str,
        password: &str,
    ) -> Response;
    async fn gettoken(&self, username: &str, password: &str) -> Response;
    async fn gettoken_raw(&self, body: Vec<u8>) -> Response;
    /// A token from `/token/gettoken` for a seeded user.
    async fn legacy_token(&self, username: &str) -> String;
    async fn verify_token(&self, token: &str) -> (u16, Value);
    /// The dealer's signing key, read from its store.
    async fn server_key(&self) -> SigningKey;
}

impl Directory for TestApp {
    async fn create(&self, resource: &str, body: Value) -> Response {
        self.admin(Method::POST, &format!("/admin/{resource}"), Some(body))
            .await
    }

    async fn seed(&self) {
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

    async fn add_user(&self, username: &str, roles: &[&str], wfc: &str) {
        let body = json!({"username": username, "email": format!("{username}@acme.example"),
            "password": PASSWORD, "roles": roles, "wfc": wfc});
        let r = self.create("users", body).await;
        assert_eq!(r.status(), 201, "adding user {username}");
    }

    async fn register_client(&self, id: &str, grants: &[&str]) -> String {
        let body =
            json!({"client_id": id, "audiences": [AUDIENCE], "scopes": ["read"], "grants": grants});
        self.register_with(body).await.secret
    }

    async fn password_grant(
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

    async fn gettoken(&self, username: &str, password: &str) -> Response {
        self.gettoken_raw(
            serde_json::to_vec(&json!({"username": username, "password": password})).unwrap(),
        )
        .await
    }

    async fn gettoken_raw(&self, body: Vec<u8>) -> Response {
        self.http
            .post(self.url("/token/gettoken"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn legacy_token(&self, username: &str) -> String {
        let r = self.gettoken(username, PASSWORD).await;
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        body["auth_token"].as_str().unwrap().to_owned()
    }

    async fn verify_token(&self, token: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url("/token/verify_token"))
            .header("X-Auth-Token", token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn server_key(&self) -> SigningKey {
        // The RS512 signer: tokenleader's tokens are RS512 (the store also holds EdDSA/ES256 keys).
        self.stored_keys()
            .await
            .into_iter()
            .map(|(tag, der)| SigningKey::from_der(&tag, &der).unwrap())
            .find(|k| k.alg() == jsonwebtoken::Algorithm::RS512)
            .unwrap()
    }
}

/// A JWS's header exactly as it was sent, for checking the order of its members.
fn raw_header(token: &str) -> String {
    let first = token.split('.').next().unwrap();
    String::from_utf8(URL_SAFE_NO_PAD.decode(first).unwrap()).unwrap()
}
