//! Key commands: `keys list`, `rotate` and `retire` over the admin API, and `keys show`, which
//! reads the public key from the public endpoint and needs no credentials.

use anyhow::{Context, bail};
use clap::Subcommand;
use clap::ValueEnum;
use reqwest::Method;
use serde_json::json;

use super::admin::{AdminClient, print_json, say, segment};

/// How `keys show` prints the active public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyFormat {
    /// The JWK, as in the JWKS.
    Jwk,
    /// SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`).
    Pem,
    /// One `ssh-rsa AAAA... tokendealer` line: tokenleaderclient's `tl_public_key`.
    Ssh,
}

impl AdminClient {
    pub async fn keys(&self, cmd: &KeysCommand) -> anyhow::Result<()> {
        let out = match cmd {
            KeysCommand::List => self.call(Method::GET, "/admin/keys", None).await?,
            KeysCommand::Rotate {
                alg,
                now,
                retire_previous,
            } => {
                let body = json!({ "alg": alg, "now": now, "retire_previous": retire_previous });
                self.call(Method::POST, "/admin/keys/rotate", Some(body))
                    .await?
            }
            KeysCommand::Retire { kid } => {
                let path = format!("/admin/keys/{}/retire", segment(kid));
                self.call(Method::POST, &path, Some(json!({}))).await?
            }
            KeysCommand::Show { format } => {
                return show_key(self.http(), self.base(), *format).await;
            }
        };
        self.print(&out)
    }
}

/// `keys show`: fetches the active public key from the public `GET /keys/active` and prints it.
pub async fn show_key(http: &reqwest::Client, base: &str, format: KeyFormat) -> anyhow::Result<()> {
    let name = match format {
        KeyFormat::Jwk => "jwk",
        KeyFormat::Pem => "pem",
        KeyFormat::Ssh => "ssh",
    };
    let url = format!("{}/keys/active?format={name}", base.trim_end_matches('/'));
    let response = http
        .get(&url)
        .send()
        .await
        .with_context(|| format!("cannot reach tokendealer at {base}"))?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("HTTP {}: {text}", status.as_u16());
    }
    match format {
        KeyFormat::Jwk => print_json(&serde_json::from_str(&text)?),
        KeyFormat::Pem | KeyFormat::Ssh => say(text.trim_end()),
    }
}

#[derive(Debug, Subcommand)]
pub(super) enum KeysCommand {
    /// List signing keys with their state (next, active, retiring, retired) and its times.
    List,
    /// Publish new keys (every algorithm of [keys] algorithms unless --alg) as next: they sign once they have been
    /// in the JWKS for prepublish_secs; the old ones then verify until their tokens expired.
    Rotate {
        /// Rotate only this algorithm's key (RS512, EdDSA or ES256) [default: all the server
        /// signs with].
        #[arg(long)]
        alg: Option<String>,
        /// An emergency: the new keys sign at once, before verifiers' cached JWKS know them.
        #[arg(long)]
        now: bool,
        /// Drop the replaced keys from the JWKS at once (a compromised key): tokens they
        /// signed stop verifying. Implies --now.
        #[arg(long)]
        retire_previous: bool,
    },
    /// Retire one key now (a compromised key): it leaves the JWKS and every token it signed
    /// stops verifying. An active key is replaced by a new one first.
    Retire { kid: String },
    /// Print the active public key (no credentials needed: it is public).
    Show {
        #[arg(long, value_enum, default_value = "jwk")]
        format: KeyFormat,
    },
}
