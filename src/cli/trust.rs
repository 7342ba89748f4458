//! `tokendealer trust add|list|show|remove`: the external issuers whose tokens may authenticate
//! clients (workload identity federation), over the admin API.

use anyhow::Context;
use clap::Subcommand;
use reqwest::Method;
use serde_json::json;

use super::admin::{AdminClient, segment};

#[derive(Debug, Subcommand)]
pub(super) enum TrustCommand {
    /// Trust an issuer's tokens to authenticate clients bound to their subjects. Without
    /// --jwks or --jwks-uri, its keys come from ISSUER/.well-known/openid-configuration.
    Add {
        name: String,
        /// The issuer's URL, exactly as its tokens' `iss` spells it.
        #[arg(long)]
        issuer: String,
        /// A file holding the issuer's JWK Set (public keys only).
        #[arg(long, conflicts_with = "jwks_uri")]
        jwks: Option<std::path::PathBuf>,
        /// Where the issuer's JWK Set is fetched from (https).
        #[arg(long)]
        jwks_uri: Option<String>,
        /// The `aud` its tokens must carry [default: the dealer's issuer].
        #[arg(long)]
        audience: Option<String>,
    },
    /// List trusted issuers.
    List,
    /// Show one trusted issuer.
    Show { name: String },
    /// Stop trusting an issuer (refused while a client is bound to one of its subjects).
    Remove { name: String },
}

impl AdminClient {
    pub(super) async fn trust(&self, cmd: &TrustCommand) -> anyhow::Result<()> {
        let out = match cmd {
            TrustCommand::Add {
                name,
                issuer,
                jwks,
                jwks_uri,
                audience,
            } => {
                let mut body = serde_json::Map::new();
                body.insert("name".into(), json!(name));
                body.insert("issuer".into(), json!(issuer));
                if let Some(path) = jwks {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    let set: serde_json::Value = serde_json::from_str(&text)
                        .with_context(|| format!("{} is not JSON", path.display()))?;
                    body.insert("jwks".into(), set);
                }
                if let Some(uri) = jwks_uri {
                    body.insert("jwks_uri".into(), json!(uri));
                }
                if let Some(aud) = audience {
                    body.insert("audience".into(), json!(aud));
                }
                let body = serde_json::Value::Object(body);
                self.call(Method::POST, "/admin/trust", Some(body)).await?
            }
            TrustCommand::List => self.call(Method::GET, "/admin/trust", None).await?,
            TrustCommand::Show { name } => {
                let path = format!("/admin/trust/{}", segment(name));
                self.call(Method::GET, &path, None).await?
            }
            TrustCommand::Remove { name } => {
                let path = format!("/admin/trust/{}", segment(name));
                self.call(Method::DELETE, &path, None).await?
            }
        };
        self.print(&out)
    }
}
