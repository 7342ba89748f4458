//! Admin commands: get an admin token, call the admin API, print one JSON document.

use std::path::Path;

use anyhow::{Context, anyhow, bail};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ClientCommand, KeysCommand};
use crate::domain::{ADMIN_AUDIENCE, ADMIN_SCOPE};
use crate::startup::ADMIN_CREDENTIALS_FILE;

#[derive(Deserialize)]
struct Credentials {
    client_id: String,
    client_secret: String,
}

/// A connection to a running dealer's admin API.
pub struct AdminClient {
    base: String,
    http: reqwest::Client,
    credentials: Credentials,
}

impl AdminClient {
    /// Credentials come from `TOKENDEALER_ADMIN_CLIENT_ID`/`_SECRET`, else the data dir's file.
    pub fn new(url: &str, data_dir: Option<&Path>) -> anyhow::Result<Self> {
        let env = |k| std::env::var(k).ok().filter(|v: &String| !v.is_empty());
        let credentials = match (
            env("TOKENDEALER_ADMIN_CLIENT_ID"),
            env("TOKENDEALER_ADMIN_CLIENT_SECRET"),
        ) {
            (Some(client_id), Some(client_secret)) => Credentials {
                client_id,
                client_secret,
            },
            _ => {
                let path = data_dir
                    .unwrap_or(Path::new("./data"))
                    .join(ADMIN_CREDENTIALS_FILE);
                let text = std::fs::read(&path).with_context(|| {
                    format!("no admin credentials: reading {} (or set TOKENDEALER_ADMIN_CLIENT_ID and TOKENDEALER_ADMIN_CLIENT_SECRET)", path.display())
                })?;
                serde_json::from_slice(&text)
                    .with_context(|| format!("parsing {}", path.display()))?
            }
        };
        Ok(Self {
            base: url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            credentials,
        })
    }

    pub async fn client(&self, cmd: &ClientCommand) -> anyhow::Result<()> {
        let id = |id: &str| {
            percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
        };
        let out = match cmd {
            ClientCommand::Add {
                client_id,
                audiences,
                scopes,
                grants,
                token_ttl,
                alg,
            } => {
                let mut body =
                    json!({ "client_id": client_id, "audiences": audiences, "scopes": scopes });
                if !grants.is_empty() {
                    body["grants"] = json!(grants);
                }
                if let Some(ttl) = token_ttl {
                    body["token_ttl"] = json!(ttl);
                }
                if let Some(alg) = alg {
                    body["alg"] = json!(alg);
                }
                self.call(Method::POST, "/admin/clients", Some(body))
                    .await?
            }
            ClientCommand::List => self.call(Method::GET, "/admin/clients", None).await?,
            ClientCommand::Show { client_id } => {
                self.call(
                    Method::GET,
                    &format!("/admin/clients/{}", id(client_id)),
                    None,
                )
                .await?
            }
            ClientCommand::RotateSecret { client_id, grace } => {
                let body = json!({ "grace_secs": grace });
                let path = format!("/admin/clients/{}/rotate-secret", id(client_id));
                self.call(Method::POST, &path, Some(body)).await?
            }
            ClientCommand::Disable { client_id } => {
                self.call(
                    Method::POST,
                    &format!("/admin/clients/{}/disable", id(client_id)),
                    None,
                )
                .await?
            }
            ClientCommand::Enable { client_id } => {
                self.call(
                    Method::POST,
                    &format!("/admin/clients/{}/enable", id(client_id)),
                    None,
                )
                .await?
            }
            ClientCommand::Remove { client_id } => {
                self.call(
                    Method::DELETE,
                    &format!("/admin/clients/{}", id(client_id)),
                    None,
                )
                .await?
            }
        };
        print_json(&out)
    }

    pub async fn keys(&self, cmd: &KeysCommand) -> anyhow::Result<()> {
        let out = match cmd {
            KeysCommand::List => self.call(Method::GET, "/admin/keys", None).await?,
            KeysCommand::Rotate { alg } => {
                let body = alg.as_ref().map(|a| json!({ "alg": a }));
                self.call(Method::POST, "/admin/keys/rotate", body).await?
            }
        };
        print_json(&out)
    }

    async fn token(&self) -> anyhow::Result<String> {
        let form = [
            ("grant_type", "client_credentials"),
            ("audience", ADMIN_AUDIENCE),
            ("scope", ADMIN_SCOPE),
        ];
        let response = self
            .http
            .post(format!("{}/oauth/token", self.base))
            .basic_auth(
                form_escape(&self.credentials.client_id),
                Some(form_escape(&self.credentials.client_secret)),
            )
            .form(&form)
            .send()
            .await
            .map_err(|e| unreachable(&self.base, e))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status != StatusCode::OK {
            bail!(
                "the server refused the admin credentials: {}",
                describe(status, &body)
            );
        }
        body["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("the token response has no access_token"))
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let token = self.token().await?;
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| unreachable(&self.base, e))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{}", describe(status, &body));
        }
        Ok(body)
    }
}

/// RFC 6749 §2.3.1: Basic credentials are form-urlencoded first.
fn form_escape(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|v| v[1..].to_owned())
        .unwrap_or_default()
}

fn unreachable(base: &str, e: reqwest::Error) -> anyhow::Error {
    let cause = std::error::Error::source(&e)
        .map(|s| s.to_string())
        .unwrap_or_else(|| e.to_string());
    anyhow!("cannot reach tokendealer at {base}: {cause}")
}

fn describe(status: StatusCode, body: &Value) -> String {
    match (body["error"].as_str(), body["error_description"].as_str()) {
        (Some(code), Some(desc)) => format!("{code}: {desc} (HTTP {})", status.as_u16()),
        (Some(code), None) => format!("{code} (HTTP {})", status.as_u16()),
        _ => format!("HTTP {}", status.as_u16()),
    }
}

fn print_json(value: &Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
