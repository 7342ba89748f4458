//! [`Settings`]: every setting of the server, each declared once — its doc line, its default and
//! its name in the TOML file (the environment variable and the printed key follow from it).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use smart_default::SmartDefault;

use super::units::secs;
use super::{ConsoleSettings, DatabaseUrl, MtlsSettings, TlsSettings, default_max_connections};
use crate::domain::assertion::AssertionSettings;
use crate::domain::dpop::DpopSettings;
use crate::domain::federation::FederationSettings;
use crate::domain::keys::{KeyPolicy, KeySettings, SignerMode, VERIFIER_LEEWAY_SECS};
use crate::domain::users::UserSettings;
use crate::server::IoModel;

/// Everything the server needs to start. A field's TOML key is its name, or the one it is
/// renamed to (`*_secs`: a duration in whole seconds); `users` and `keys` are the `[users]` and
/// `[keys]` tables; the console's and TLS's keys are top-level keys too (`console_*`, `tls_*`),
/// read as parts of their own by [`Settings::load`] (deserializing `Settings` alone leaves those
/// two at their defaults).
#[derive(Debug, Clone, SmartDefault, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port.
    #[default(SocketAddr::from(([127, 0, 0, 1], 5001)))]
    pub listen: SocketAddr,
    /// Where the sled database and the bootstrap admin credentials live.
    #[default(PathBuf::from("./data"))]
    pub data_dir: PathBuf,
    /// Where the PEM private keys live.
    #[default(PathBuf::from("./keys"))]
    pub keys_dir: PathBuf,
    /// The `iss` of every token; `None` means `http://<bound address>`.
    pub issuer: Option<String>,
    /// Lifetime of a client's tokens unless it was registered with its own.
    #[default(3600)]
    pub default_token_ttl: u64,
    /// The longest lifetime a client may be given; also how long a replaced key stays in the JWKS.
    #[default(86_400)]
    pub max_token_ttl: u64,
    /// `Cache-Control: max-age` of the JWKS.
    #[default(300)]
    pub jwks_max_age: u64,
    /// How long a stop waits for open connections to finish.
    #[default(Duration::from_secs(10))]
    #[serde(rename = "shutdown_timeout_secs", with = "secs")]
    pub shutdown_timeout: Duration,
    /// How long after a stop signal the instance goes on serving while `/readyz` answers 503, so
    /// that load balancers take it out before it stops accepting.
    #[serde(rename = "shutdown_delay_secs", with = "secs")]
    pub shutdown_delay: Duration,
    /// Users, passwords, login lockout and the tokenleader-compatible API: the `[users]` table.
    pub users: UserSettings,
    /// The signing keys' rotation schedule: the `[keys]` table.
    pub keys: KeySettings,
    /// Client assertions (`private_key_jwt`), the single-use record, fetching `jwks_uri`s: the
    /// `[client_assertions]` table.
    pub client_assertions: AssertionSettings,
    /// DPoP proofs at the token endpoint (RFC 9449): the `[dpop]` table.
    pub dpop: DpopSettings,
    /// Where signatures run: dedicated threads (`pool`), `blocking` (tokio) or `inline`. Unless
    /// given, `inline` with the `per-thread` I/O model and `pool` with `shared` (`load.rs`).
    #[default(SignerMode::Inline)]
    pub signer: SignerMode,
    /// Threads of the `pool` signer; 0 means one per core.
    pub signer_threads: usize,
    /// How connections are spread over threads: a runtime per I/O thread, or one shared runtime.
    pub io: IoModel,
    /// I/O threads of the `per-thread` model; 0 means one per core.
    pub io_threads: usize,
    /// RSA signatures waiting or running at once; beyond it a token request answers 503.
    #[default(crate::domain::keys::DEFAULT_SIGNING_QUEUE)]
    pub signing_queue: usize,
    /// Revoked tokens one client may have listed at once; beyond it a revocation answers 503.
    #[default(crate::domain::DEFAULT_MAX_REVOCATIONS_PER_CLIENT)]
    pub max_revocations_per_client: usize,
    /// Bound of the database's page cache, in MiB.
    #[default(crate::storage::DEFAULT_CACHE_BYTES / (1024 * 1024))]
    pub db_cache_mb: u64,
    /// Writes that may wait for the store's writer thread; beyond it a write answers 503.
    #[default(crate::storage::DEFAULT_QUEUE)]
    pub store_write_queue: usize,
    /// How long a write may take to be applied and flushed before its caller gets a 503.
    #[default(crate::storage::DEFAULT_WRITE_TIMEOUT)]
    #[serde(rename = "store_write_timeout_secs", with = "secs")]
    pub store_write_timeout: Duration,
    /// Connections served at once; beyond it new ones wait in the kernel's accept queue.
    /// Defaults to the descriptor limit less a reserve: [`default_max_connections`].
    #[default(default_max_connections())]
    pub max_connections: usize,
    /// From accept until the protocol (HTTP/1 or HTTP/2) is known.
    #[default(Duration::from_secs(10))]
    #[serde(rename = "first_byte_timeout_secs", with = "secs")]
    pub first_byte_timeout: Duration,
    /// HTTP/1: for a whole request head, from its first byte.
    #[default(Duration::from_secs(10))]
    #[serde(rename = "header_read_timeout_secs", with = "secs")]
    pub header_read_timeout: Duration,
    /// For a whole request body, from the moment a handler starts reading it (answered 408).
    #[default(Duration::from_secs(10))]
    #[serde(rename = "body_read_timeout_secs", with = "secs")]
    pub body_read_timeout: Duration,
    /// MiB of request bodies held at once across every connection; a body beyond gets 503.
    #[default(16)]
    pub body_budget_mb: u64,
    /// A connection with no request in flight this long is closed (both protocols).
    #[default(Duration::from_secs(60))]
    #[serde(rename = "idle_timeout_secs", with = "secs")]
    pub idle_timeout: Duration,
    /// HTTP/2: a PING after this long without frames from the peer.
    #[default(Duration::from_secs(30))]
    #[serde(rename = "h2_keepalive_interval_secs", with = "secs")]
    pub h2_keepalive_interval: Duration,
    /// HTTP/2: the connection is closed if that PING is not acknowledged within this.
    #[default(Duration::from_secs(10))]
    #[serde(rename = "h2_keepalive_timeout_secs", with = "secs")]
    pub h2_keepalive_timeout: Duration,
    /// HTTP/2: streams a peer may have open at once on one connection.
    #[default(100)]
    pub h2_max_concurrent_streams: u32,
    /// Where a second listener serves Prometheus metrics at `/metrics`; `None`: no metrics.
    pub metrics_listen: Option<SocketAddr>,
    /// The audit log: a file appended to, or `-` for stdout; `None`: in memory only.
    pub audit_log: Option<PathBuf>,
    /// The web console at `/console` and its sessions (read from the top-level keys by
    /// themselves: `layers.rs`).
    #[serde(flatten, skip_deserializing)]
    pub console: ConsoleSettings,
    /// HTTPS on the main listener (certificate, key, handshake deadline, reload), or plain HTTP
    /// (read like the console's).
    #[serde(flatten, skip_deserializing)]
    pub tls: TlsSettings,
    /// Client certificates forwarded by a TLS-terminating proxy: the `[mtls]` table.
    pub mtls: MtlsSettings,
    /// PostgreSQL instead of sled: every instance on it shares clients, directory and keys.
    /// Printed with its password as `***`.
    pub database_url: Option<DatabaseUrl>,
    /// The master key sealing private keys in the database (required with `database_url`).
    pub master_key_file: Option<PathBuf>,
    /// How long cached reads stay trusted while the database listener is cut off.
    #[default(Duration::from_secs(30))]
    #[serde(rename = "database_stale_secs", with = "secs")]
    pub database_stale: Duration,
    /// Database connections per instance (plus one for the change listener).
    #[default(8)]
    pub database_pool_size: usize,
    /// Workload identity federation's bounds: the `[federation]` table.
    pub federation: FederationSettings,
}

impl Settings {
    /// `body_budget_mb` in bytes (saturating: a huge value means no budget to speak of).
    pub fn body_budget_bytes(&self) -> usize {
        usize::try_from(self.body_budget_mb.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX)
    }

    /// When keys change: the schedule of `[keys]`, and how long a replaced key keeps
    /// verifying (the longest token lifetime, tokenleader tokens included, plus the leeway of
    /// the dealer's verifier library).
    pub fn key_policy(&self) -> KeyPolicy {
        let longest = self.max_token_ttl.max(self.users.tokenleader_token_ttl);
        KeyPolicy {
            verify_window: longest.saturating_add(VERIFIER_LEEWAY_SECS),
            rotation_period: self.keys.rotation_period_secs,
            prepublish: self.keys.prepublish(self.jwks_max_age),
            algorithms: self.keys.algorithms,
        }
    }

    /// The settings as a TOML document with the file's keys: what `tokendealer config` prints.
    /// Credentials live in files, named by path; the database URL's password is shown as `***`.
    pub fn to_toml(&self) -> anyhow::Result<String> {
        Ok(toml::to_string(self)?)
    }
}
