//! `serve`'s flags (also read by `config` and `migrate`) and the serving of the dealer until it stops.

use std::path::PathBuf;

use clap::Args;

use crate::config::{Overrides, Settings};
use crate::startup::Application;

#[derive(Debug, Args)]
pub(super) struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:5001].
    #[arg(long, env = "TOKENDEALER_LISTEN")]
    listen: Option<std::net::SocketAddr>,
    /// Directory of the PEM signing keys [default: ./keys].
    #[arg(long, env = "TOKENDEALER_KEYS_DIR")]
    keys_dir: Option<PathBuf>,
    /// The `iss` of issued tokens [default: http://<listen>].
    #[arg(long, env = "TOKENDEALER_ISSUER")]
    issuer: Option<String>,
    /// A TOML configuration file.
    #[arg(long, env = "TOKENDEALER_CONFIG")]
    config: Option<PathBuf>,
    /// Where signatures run: pool (dedicated threads), blocking (tokio) or inline [default:
    /// inline with the per-thread I/O model, pool with the shared one].
    #[arg(long, env = "TOKENDEALER_SIGNER")]
    signer: Option<crate::domain::keys::SignerMode>,
    /// Connections served at once; more wait to be accepted [default: the descriptor limit
    /// less a reserve].
    #[arg(long, env = "TOKENDEALER_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Serve Prometheus metrics at /metrics on this address (a second listener) [default: off].
    #[arg(long, env = "TOKENDEALER_METRICS_LISTEN")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// Append the audit log (JSON lines) to this file, `-` for stdout [default: off].
    #[arg(long, env = "TOKENDEALER_AUDIT_LOG")]
    audit_log: Option<PathBuf>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key).
    #[arg(long, env = "TOKENDEALER_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "TOKENDEALER_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// PEM CA certificates that tls_client_auth clients' certificates must chain to (RFC 8705).
    #[arg(long, env = "TOKENDEALER_TLS_CLIENT_CA")]
    tls_client_ca: Option<PathBuf>,
    /// PostgreSQL instead of sled in the data dir: `postgres://user:password@host/db`.
    /// Read as text and checked by the settings: clap would echo an invalid value, password and
    /// all, in its error.
    #[arg(long, env = "TOKENDEALER_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The master key file (64 hex digits, mode 0600) sealing private keys in the database.
    #[arg(long, env = "TOKENDEALER_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
}

impl ServeArgs {
    pub(super) fn overrides(&self, data_dir: Option<PathBuf>) -> anyhow::Result<Overrides> {
        Ok(Overrides {
            listen: self.listen,
            data_dir,
            keys_dir: self.keys_dir.clone(),
            issuer: self.issuer.clone(),
            config: self.config.clone(),
            signer: self.signer,
            max_connections: self.max_connections,
            metrics_listen: self.metrics_listen,
            audit_log: self.audit_log.clone(),
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            tls_client_ca: self.tls_client_ca.clone(),
            database_url: self
                .database_url
                .as_deref()
                .map(crate::config::DatabaseUrl::parse)
                .transpose()
                .map_err(|e| {
                    anyhow::anyhow!(
                        "database_url (--database-url, TOKENDEALER_DATABASE_URL): {e:#}"
                    )
                })?,
            master_key_file: self.master_key_file.clone(),
        })
    }
}

pub(super) async fn serve(args: &ServeArgs, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    crate::telemetry::init();
    let settings = Settings::load(args.overrides(data_dir)?)?;
    Application::build(settings)
        .await?
        .run_until_stopped()
        .await
}
