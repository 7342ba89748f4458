//! Client commands: `client add`, `list`, `show`, `rotate-secret`, `disable`, `enable`,
//! `remove`, over the admin API.

use anyhow::bail;
use clap::Subcommand;
use reqwest::Method;
use serde_json::{Value, json};

use super::admin::{AdminClient, segment};

impl AdminClient {
    pub async fn client(&self, cmd: &ClientCommand) -> anyhow::Result<()> {
        let id = segment;
        let out = match cmd {
            ClientCommand::Add {
                client_id,
                audiences,
                scopes,
                grants,
                token_ttl,
                alg,
                federated,
                dpop,
            } => {
                let mut body = serde_json::Map::new();
                body.insert("client_id".into(), json!(client_id));
                body.insert("audiences".into(), json!(audiences));
                body.insert("scopes".into(), json!(scopes));
                if !grants.is_empty() {
                    body.insert("grants".into(), json!(grants));
                }
                if let Some(ttl) = token_ttl {
                    body.insert("token_ttl".into(), json!(ttl));
                }
                if let Some(alg) = alg {
                    body.insert("alg".into(), json!(alg));
                }
                if !federated.is_empty() {
                    body.insert("federated".into(), federated_subjects(federated)?);
                }
                if *dpop {
                    body.insert("dpop_bound_access_tokens".into(), json!(true));
                }
                let body = serde_json::Value::Object(body);
                self.call(Method::POST, "/admin/clients", Some(body))
                    .await?
            }
            ClientCommand::List => self.all_clients().await?,
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
        self.print(&out)
    }

    /// Every client, one page of the admin API after the other, as one array.
    async fn all_clients(&self) -> anyhow::Result<Value> {
        const PAGE: usize = 1000;
        let mut all: Vec<Value> = Vec::new();
        let mut after = String::new();
        loop {
            let query = serde_urlencoded::to_string([("limit", "1000"), ("after", &after)])?;
            let page = self
                .call(Method::GET, &format!("/admin/clients?{query}"), None)
                .await?;
            let Value::Array(page) = page else {
                bail!("the server's client list is not a JSON array");
            };
            let full = page.len() == PAGE;
            let last = page
                .last()
                .and_then(|c| c["client_id"].as_str())
                .unwrap_or_default()
                .to_owned();
            all.extend(page);
            if !full {
                return Ok(Value::Array(all));
            }
            // Ids come in order: a page that does not move on is a server that does not page.
            if last.as_str() <= after.as_str() {
                bail!("the server's client list does not move past {after:?}");
            }
            after = last;
        }
    }
}

/// `NAME=SUBJECT` flags as the admin API's `[{"trust", "subject"}]` (split at the first `=`).
fn federated_subjects(flags: &[String]) -> anyhow::Result<Value> {
    let split = |f: &String| match f.split_once('=') {
        Some((trust, subject)) => Ok(json!({ "trust": trust, "subject": subject })),
        None => bail!("--federated takes NAME=SUBJECT, not {f:?}"),
    };
    Ok(Value::Array(
        flags.iter().map(split).collect::<anyhow::Result<_>>()?,
    ))
}

#[derive(Debug, Subcommand)]
pub(super) enum ClientCommand {
    /// Register a client and print its secret (shown this once only).
    Add {
        client_id: String,
        /// An audience the client may get tokens for; the first is its default. Repeatable.
        #[arg(long = "audience", required = true)]
        audiences: Vec<String>,
        /// A scope the client may request. Repeatable.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// A grant the client may use (client_credentials, password). Repeatable.
        #[arg(long = "grant")]
        grants: Vec<String>,
        /// Lifetime of its tokens in seconds [default: the server's, 3600].
        #[arg(long)]
        token_ttl: Option<u64>,
        /// Algorithm of its tokens: RS512 (default), EdDSA or ES256, if in the server's
        /// [keys] algorithms.
        #[arg(long)]
        alg: Option<String>,
        /// NAME=SUBJECT: tokens of the trusted issuer NAME whose `sub` is SUBJECT authenticate
        /// the client, which then has no secret. Repeatable.
        #[arg(long = "federated", value_name = "NAME=SUBJECT")]
        federated: Vec<String>,
        /// Its tokens are DPoP-bound (RFC 9449): no token without a DPoP proof.
        #[arg(long)]
        dpop: bool,
    },
    /// List clients.
    List,
    /// Show one client.
    Show { client_id: String },
    /// Replace a client's secret and print the new one.
    RotateSecret {
        client_id: String,
        /// Keep the old secret valid this many seconds.
        #[arg(long)]
        grace: Option<u64>,
    },
    /// Refuse tokens to a client until it is enabled again.
    Disable { client_id: String },
    /// Let a disabled client get tokens again.
    Enable { client_id: String },
    /// Delete a client.
    Remove { client_id: String },
}
