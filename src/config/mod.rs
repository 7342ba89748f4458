//! Settings: defaults < TOML file < environment < command-line flags.

mod check;
mod console;
mod database;
mod descriptors;
mod layers;
mod load;
mod tls;

pub use console::ConsoleSettings;

pub use database::DatabaseUrl;
#[cfg(test)]
use descriptors::MIN_DEFAULT_CONNECTIONS;
pub use descriptors::{RESERVED_DESCRIPTORS, default_max_connections};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::domain::keys::{KeyPolicy, KeySettings, SignerMode, VERIFIER_LEEWAY_SECS};
use crate::domain::users::UserSettings;
use crate::server::IoModel;

pub use self::tls::{TlsFiles, TlsSettings};

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Where the sled database and the bootstrap admin credentials live.
    pub data_dir: PathBuf,
    /// Where the PEM private keys live.
    pub keys_dir: PathBuf,
    /// The `iss` of every token; `None` means `http://<bound address>`.
    pub issuer: Option<String>,
    /// Lifetime of a client's tokens unless it was registered with its own.
    pub default_token_ttl: u64,
    /// The longest lifetime a client may be given; also how long a replaced key stays in the JWKS.
    pub max_token_ttl: u64,
    /// `Cache-Control: max-age` of the JWKS.
    pub jwks_max_age: u64,
    /// How long a stop waits for open connections to finish.
    pub shutdown_timeout: Duration,
    /// How long after a stop signal the instance goes on serving while `/readyz` answers 503, so
    /// that load balancers take it out before it stops accepting.
    pub shutdown_delay: Duration,
    /// Users, passwords, login lockout and the tokenleader-compatible API: the `[users]` table.
    pub users: UserSettings,
    /// The signing keys' rotation schedule: the `[keys]` table.
    pub keys: KeySettings,
    /// Where signatures run: dedicated threads (`pool`), `blocking` (tokio) or `inline`.
    pub signer: SignerMode,
    /// Threads of the `pool` signer; 0 means one per core.
    pub signer_threads: usize,
    /// How connections are spread over threads: a runtime per I/O thread, or one shared runtime.
    pub io: IoModel,
    /// I/O threads of the `per-thread` model; 0 means one per core.
    pub io_threads: usize,
    /// RSA signatures waiting or running at once; beyond it a token request answers 503.
    pub signing_queue: usize,
    /// Revoked tokens one client may have listed at once; beyond it a revocation answers 503.
    pub max_revocations_per_client: usize,
    /// Bound of the database's page cache, in MiB.
    pub db_cache_mb: u64,
    /// Writes that may wait for the store's writer thread; beyond it a write answers 503.
    pub store_write_queue: usize,
    /// How long a write may take to be applied and flushed before its caller gets a 503.
    pub store_write_timeout: Duration,
    /// Connections served at once; beyond it new ones wait in the kernel's accept queue.
    /// Defaults to the descriptor limit less a reserve: [`default_max_connections`].
    pub max_connections: usize,
    /// From accept until the protocol (HTTP/1 or HTTP/2) is known.
    pub first_byte_timeout: Duration,
    /// HTTP/1: for a whole request head, from its first byte.
    pub header_read_timeout: Duration,
    /// For a whole request body, from the moment a handler starts reading it (answered 408).
    pub body_read_timeout: Duration,
    /// MiB of request bodies held at once across every connection; a body beyond gets 503.
    pub body_budget_mb: u64,
    /// A connection with no request in flight this long is closed (both protocols).
    pub idle_timeout: Duration,
    /// HTTP/2: a PING after this long without frames from the peer.
    pub h2_keepalive_interval: Duration,
    /// HTTP/2: the connection is closed if that PING is not acknowledged within this.
    pub h2_keepalive_timeout: Duration,
    /// HTTP/2: streams a peer may have open at once on one connection.
    pub h2_max_concurrent_streams: u32,
    /// Where a second listener serves Prometheus metrics at `/metrics`; `None`: no metrics.
    pub metrics_listen: Option<SocketAddr>,
    /// The audit log: a file appended to, or `-` for stdout; `None`: in memory only.
    pub audit_log: Option<PathBuf>,
    /// The web console at `/console` and its sessions.
    pub console: ConsoleSettings,
    /// HTTPS on the main listener (certificate, key, handshake deadline, reload), or plain HTTP.
    pub tls: TlsSettings,
    /// PostgreSQL instead of sled: every instance on it shares clients, directory and keys.
    pub database_url: Option<DatabaseUrl>,
    /// The master key sealing private keys in the database (required with `database_url`).
    pub master_key_file: Option<PathBuf>,
    /// How long cached reads stay trusted while the database listener is cut off.
    pub database_stale: Duration,
    /// Database connections per instance (plus one for the change listener).
    pub database_pool_size: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 5001)),
            data_dir: PathBuf::from("./data"),
            keys_dir: PathBuf::from("./keys"),
            issuer: None,
            default_token_ttl: 3600,
            max_token_ttl: 86_400,
            jwks_max_age: 300,
            shutdown_timeout: Duration::from_secs(10),
            shutdown_delay: Duration::ZERO,
            users: UserSettings::default(),
            keys: KeySettings::default(),
            // What `load` picks for the default I/O model.
            signer: SignerMode::Inline,
            signer_threads: 0,
            io: IoModel::default(),
            io_threads: 0,
            signing_queue: crate::domain::keys::DEFAULT_SIGNING_QUEUE,
            max_revocations_per_client: crate::domain::DEFAULT_MAX_REVOCATIONS_PER_CLIENT,
            db_cache_mb: crate::storage::DEFAULT_CACHE_BYTES / (1024 * 1024),
            store_write_queue: crate::storage::DEFAULT_QUEUE,
            store_write_timeout: crate::storage::DEFAULT_WRITE_TIMEOUT,
            max_connections: default_max_connections(),
            first_byte_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            body_budget_mb: 16,
            idle_timeout: Duration::from_secs(60),
            h2_keepalive_interval: Duration::from_secs(30),
            h2_keepalive_timeout: Duration::from_secs(10),
            h2_max_concurrent_streams: 100,
            metrics_listen: None,
            audit_log: None,
            console: ConsoleSettings::default(),
            tls: TlsSettings::default(),
            database_url: None,
            master_key_file: None,
            database_stale: Duration::from_secs(30),
            database_pool_size: 8,
        }
    }
}

/// Values given explicitly (flags, or the environment through clap's `env`), each optional.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub keys_dir: Option<PathBuf>,
    pub issuer: Option<String>,
    pub config: Option<PathBuf>,
    pub signer: Option<SignerMode>,
    pub max_connections: Option<usize>,
    pub metrics_listen: Option<SocketAddr>,
    pub audit_log: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub database_url: Option<DatabaseUrl>,
    pub master_key_file: Option<PathBuf>,
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
}

#[cfg(test)]
mod tests;
