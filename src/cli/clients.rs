//! Client commands: `client add`, `list`, `show`, `rotate-secret`, `set-jwks`, `disable`,
//! `enable`, `remove`, over the admin API.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
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
                jwks,
                jwks_uri,
                tls,
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
                if let Some(file) = jwks {
                    body.insert("jwks".into(), read_jwks(file)?);
                }
                if let Some(uri) = jwks_uri {
                    body.insert("jwks_uri".into(), json!(uri));
                }
                tls.add_to(&mut body)?;
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
            ClientCommand::SetJwks {
                client_id,
                file,
                jwks_uri,
            } => {
                let body = match (file, jwks_uri) {
                    (Some(file), None) => json!({ "jwks": read_jwks(file)? }),
                    (None, Some(uri)) => json!({ "jwks_uri": uri }),
                    _ => bail!("give a JWK Set file or --jwks-uri URL"),
                };
                let path = format!("/admin/clients/{}/jwks", id(client_id));
                self.call(Method::PUT, &path, Some(body)).await?
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

/// A JWK Set file, as JSON (the server checks it holds public keys only).
fn read_jwks(file: &std::path::Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading the JWK Set {}", file.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))
}

// Parsed once per process from the command line: the size of its largest variant is no cost.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(super) enum ClientCommand {
    /// Register a client and print its secret (shown this once only); with --jwks or
    /// --jwks-uri (private_key_jwt) or a --tls-* option (its TLS certificate) it has no secret.
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
        /// A file holding the client's public keys as a JWK Set (private_key_jwt).
        #[arg(long, conflicts_with = "jwks_uri")]
        jwks: Option<std::path::PathBuf>,
        /// An https URL where the client publishes its JWK Set (private_key_jwt).
        #[arg(long)]
        jwks_uri: Option<String>,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// Replace a client's keys (private_key_jwt): a JWK Set file, or --jwks-uri URL.
    SetJwks {
        client_id: String,
        file: Option<std::path::PathBuf>,
        #[arg(long, conflicts_with = "file")]
        jwks_uri: Option<String>,
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

/// How a client authenticates by TLS certificate (RFC 8705), instead of a secret: at most one.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub(super) struct TlsArgs {
    /// tls_client_auth: a certificate chaining to the server's tls_client_ca with this subject
    /// DN, RFC 4514 (`openssl x509 -noout -subject -nameopt RFC2253`), e.g. CN=svc,O=Example.
    #[arg(long)]
    tls_subject: Option<String>,
    /// tls_client_auth: a certificate chaining to tls_client_ca with this DNS name (SAN).
    #[arg(long)]
    tls_san_dns: Option<String>,
    /// tls_client_auth: a certificate chaining to tls_client_ca with this URI (SAN).
    #[arg(long)]
    tls_san_uri: Option<String>,
    /// self_signed_tls_client_auth: this PEM certificate file, and no other.
    #[arg(long)]
    tls_cert_file: Option<std::path::PathBuf>,
}

impl TlsArgs {
    /// Adds the registration's TLS members to the admin API's JSON body.
    fn add_to(&self, body: &mut serde_json::Map<String, Value>) -> anyhow::Result<()> {
        let names = [
            ("tls_client_auth_subject_dn", &self.tls_subject),
            ("tls_client_auth_san_dns", &self.tls_san_dns),
            ("tls_client_auth_san_uri", &self.tls_san_uri),
        ];
        for (key, value) in names {
            if let Some(value) = value {
                body.insert(key.into(), json!(value));
            }
        }
        if let Some(path) = &self.tls_cert_file {
            let pem = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
            body.insert("tls_client_certificate".into(), json!(pem));
        }
        Ok(())
    }
}
