//! The admin commands' connection: get an admin token, call the admin API, print one JSON
//! document (the commands themselves: `clients.rs`, `keys.rs`, `users.rs`, `operators.rs`).

use std::path::Path;

use crate::client::{ClientError, TokenSource};
use anyhow::{Context, anyhow, bail};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use crate::domain::{ADMIN_AUDIENCE, ADMIN_SCOPE};
use crate::startup::ADMIN_CREDENTIALS_FILE;

/// The HTTP client of the admin commands: it trusts the system's CAs, and those of `ca_cert`
/// (`--ca-cert`) for a dealer with a private or self-signed certificate.
pub fn http_client(ca_cert: Option<&Path>) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder();
    if let Some(path) = ca_cert {
        let pem = std::fs::read(path)
            .with_context(|| format!("reading the CA certificates {}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("parsing the CA certificates {}", path.display()))?;
        anyhow::ensure!(
            !certs.is_empty(),
            "{}: no PEM certificate in it",
            path.display()
        );
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().context("setting up the HTTP client")
}

/// The causes under a request error, outermost first, each once (reqwest's own line, the
/// URL, is left out): `client error (Connect): invalid peer certificate: UnknownIssuer`.
fn causes(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = std::error::Error::source(e);
    while let Some(cause) = next {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = cause.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

#[derive(Deserialize)]
struct Credentials {
    client_id: String,
    client_secret: String,
}

/// A connection to a running dealer's admin API, authorized by the client library's token source.
pub struct AdminClient {
    base: String,
    tokens: TokenSource,
    /// `--field`: print this top-level field of the answer alone.
    field: Option<String>,
}

/// The data dir's bootstrap credentials file, as written (JSON, with a trailing newline).
pub fn read_credentials_file(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join(ADMIN_CREDENTIALS_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {}: only the instance that bootstrapped an empty store has it",
            path.display()
        )
    })?;
    Ok(if text.ends_with('\n') {
        text
    } else {
        text + "\n"
    })
}

impl AdminClient {
    /// Credentials come from `TOKENDEALER_ADMIN_CLIENT_ID`/`_SECRET`, else the data dir's file.
    pub fn new(
        url: &str,
        data_dir: Option<&Path>,
        http: reqwest::Client,
        field: Option<String>,
    ) -> anyhow::Result<Self> {
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
        let base = url.trim_end_matches('/').to_owned();
        let tokens = TokenSource::builder(
            format!("{base}/oauth/token"),
            credentials.client_id,
            credentials.client_secret,
        )
        .audience(ADMIN_AUDIENCE)
        .scope(&[ADMIN_SCOPE])
        .http_client(http)
        .build()
        .context("configuring the admin token source")?;
        Ok(Self {
            base,
            tokens,
            field,
        })
    }

    /// The dealer's base URL, without a trailing slash.
    pub(super) fn base(&self) -> &str {
        &self.base
    }

    /// The HTTP client, for the public endpoints no token is needed for.
    pub(super) fn http(&self) -> &reqwest::Client {
        self.tokens.http_client()
    }

    pub(super) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let (status, body) = self.call_status(method, path, body).await?;
        if !status.is_success() {
            bail!("{}", describe(status, &body));
        }
        Ok(body)
    }

    /// Like [`Self::call`], but an answer with an error status is returned, not failed.
    pub(super) async fn call_status(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let url = format!("{}{path}", self.base);
        let response = self
            .tokens
            .send_authorized(|http| {
                let request = http.request(method.clone(), &url);
                match &body {
                    Some(body) => request.json(body),
                    None => request,
                }
            })
            .await
            .map_err(|e| self.explain(e))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    fn explain(&self, e: ClientError) -> anyhow::Error {
        match e {
            ClientError::Http(e) => {
                let cause = causes(&e);
                // A certificate the system's CAs do not know: say how to trust it.
                let hint = if cause.contains("certificate") {
                    "; for a private or self-signed certificate pass its CA with --ca-cert FILE (or TOKENDEALER_CA_CERT)"
                } else {
                    ""
                };
                anyhow!("cannot reach tokendealer at {}: {cause}{hint}", self.base)
            }
            ClientError::OAuth {
                status,
                error,
                description,
            } => anyhow!(
                "the server refused the admin credentials: {error}: {} (HTTP {})",
                description.unwrap_or_default(),
                status.as_u16()
            ),
            other => anyhow!("{other}"),
        }
    }
}

fn describe(status: StatusCode, body: &Value) -> String {
    match (body["error"].as_str(), body["error_description"].as_str()) {
        (Some(code), Some(desc)) => format!("{code}: {desc} (HTTP {})", status.as_u16()),
        (Some(code), None) => format!("{code} (HTTP {})", status.as_u16()),
        _ => format!("HTTP {}", status.as_u16()),
    }
}

pub(super) fn print_json(value: &Value) -> anyhow::Result<()> {
    say(serde_json::to_string_pretty(value)?)
}

impl AdminClient {
    /// Prints an answer: the whole JSON document, or with `--field NAME` that field alone (a
    /// string as bare text, so `SECRET=$(tokendealer client add … --field client_secret)` works).
    pub(super) fn print(&self, value: &Value) -> anyhow::Result<()> {
        let Some(name) = &self.field else {
            return print_json(value);
        };
        match value.get(name) {
            Some(Value::String(text)) => say(text),
            Some(other) => print_json(other),
            None => bail!("the answer has no field {name:?}"),
        }
    }
}

/// Writes `text` and a newline on stdout. A reader that has gone (`… | head -1`) ends the
/// output quietly: `println!` would panic with a backtrace instead.
pub(super) fn say(text: impl std::fmt::Display) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        written => Ok(written?),
    }
}

/// One path segment, percent-encoded.
pub(super) fn segment(raw: &str) -> String {
    percent_encoding::utf8_percent_encode(raw, percent_encoding::NON_ALPHANUMERIC).to_string()
}
