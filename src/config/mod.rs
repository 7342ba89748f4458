//! Settings: defaults < TOML file < environment < command-line flags.

mod check;
mod console;
mod database;
mod descriptors;
mod layers;
mod tls;

pub use console::ConsoleSettings;

pub use database::DatabaseUrl;
#[cfg(test)]
use descriptors::MIN_DEFAULT_CONNECTIONS;
pub use descriptors::{RESERVED_DESCRIPTORS, default_max_connections};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use crate::domain::keys::{KeyPolicy, KeySettings, SignerMode, VERIFIER_LEEWAY_SECS};
use crate::domain::users::UserSettings;
use crate::http::per_thread::IoModel;

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

/// The TOML file's shape: the same names as the flags, with underscores.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    keys_dir: Option<PathBuf>,
    issuer: Option<String>,
    default_token_ttl: Option<u64>,
    max_token_ttl: Option<u64>,
    jwks_max_age: Option<u64>,
    shutdown_timeout_secs: Option<u64>,
    users: Option<UserSettings>,
    keys: Option<KeySettings>,
    signer: Option<String>,
    signer_threads: Option<usize>,
    io: Option<String>,
    io_threads: Option<usize>,
    signing_queue: Option<usize>,
    max_revocations_per_client: Option<usize>,
    db_cache_mb: Option<u64>,
    store_write_queue: Option<usize>,
    store_write_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
    first_byte_timeout_secs: Option<u64>,
    header_read_timeout_secs: Option<u64>,
    body_read_timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
    h2_keepalive_interval_secs: Option<u64>,
    h2_keepalive_timeout_secs: Option<u64>,
    h2_max_concurrent_streams: Option<u32>,
    metrics_listen: Option<SocketAddr>,
    audit_log: Option<PathBuf>,
    console: Option<bool>,
    console_session_idle_secs: Option<u64>,
    console_session_max_secs: Option<u64>,
    console_max_sessions: Option<usize>,
    console_secure_cookies: Option<bool>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_handshake_timeout_secs: Option<u64>,
    tls_watch_interval_secs: Option<u64>,
    database_url: Option<String>,
    master_key_file: Option<PathBuf>,
    database_stale_secs: Option<u64>,
    database_pool_size: Option<usize>,
}

impl Settings {
    /// Resolves the settings: a flag beats the environment (`TOKENDEALER_<KEY>`), which beats
    /// the file, which beats the default.
    pub fn load(overrides: Overrides) -> anyhow::Result<Self> {
        Self::load_with_env(overrides, std::env::vars())
    }

    /// [`Settings::load`] with the environment given, for tests.
    pub fn load_with_env(
        overrides: Overrides,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let mut table = match &overrides.config {
            Some(path) => read_file(path)?,
            None => toml::Table::new(),
        };
        layers::overlay_env(&mut table, env)?;
        let file: FileSettings = FileSettings::deserialize(toml::Value::Table(table))
            .context("reading the settings (file and TOKENDEALER_* environment)")?;
        let d = Settings::default();
        let io = match &file.io {
            Some(raw) => raw.parse()?,
            None => d.io,
        };
        let secs = |v: Option<u64>, default: Duration| v.map_or(default, Duration::from_secs);
        let tls_on = overrides.tls_cert.is_some() || file.tls_cert.is_some();
        let settings = Self {
            listen: overrides.listen.or(file.listen).unwrap_or(d.listen),
            data_dir: overrides.data_dir.or(file.data_dir).unwrap_or(d.data_dir),
            keys_dir: overrides.keys_dir.or(file.keys_dir).unwrap_or(d.keys_dir),
            issuer: overrides.issuer.or(file.issuer),
            default_token_ttl: file.default_token_ttl.unwrap_or(d.default_token_ttl),
            max_token_ttl: file.max_token_ttl.unwrap_or(d.max_token_ttl),
            jwks_max_age: file.jwks_max_age.unwrap_or(d.jwks_max_age),
            shutdown_timeout: secs(file.shutdown_timeout_secs, d.shutdown_timeout),
            users: file.users.unwrap_or(d.users),
            keys: {
                // Resolved here, so that the printed settings say what is in force.
                let mut keys = file.keys.unwrap_or(d.keys);
                let jwks_max_age = file.jwks_max_age.unwrap_or(d.jwks_max_age);
                keys.prepublish_secs = Some(keys.prepublish(jwks_max_age));
                keys
            },
            signer_threads: file.signer_threads.unwrap_or(d.signer_threads),
            io,
            io_threads: file.io_threads.unwrap_or(d.io_threads),
            signer: match (overrides.signer, &file.signer) {
                (Some(mode), _) => mode,
                (None, Some(raw)) => raw.parse()?,
                // On an I/O thread of its own a request signs where it was read; on the shared
                // runtime a signature would stall a worker: the pool takes it.
                (None, None) if io == IoModel::PerThread => SignerMode::Inline,
                (None, None) => SignerMode::Pool,
            },
            signing_queue: file.signing_queue.unwrap_or(d.signing_queue),
            max_revocations_per_client: file
                .max_revocations_per_client
                .unwrap_or(d.max_revocations_per_client),
            db_cache_mb: file.db_cache_mb.unwrap_or(d.db_cache_mb),
            store_write_queue: file.store_write_queue.unwrap_or(d.store_write_queue),
            store_write_timeout: file
                .store_write_timeout_secs
                .map(Duration::from_secs)
                .unwrap_or(d.store_write_timeout),
            max_connections: overrides
                .max_connections
                .or(file.max_connections)
                .unwrap_or(d.max_connections),
            first_byte_timeout: secs(file.first_byte_timeout_secs, d.first_byte_timeout),
            header_read_timeout: secs(file.header_read_timeout_secs, d.header_read_timeout),
            body_read_timeout: secs(file.body_read_timeout_secs, d.body_read_timeout),
            idle_timeout: secs(file.idle_timeout_secs, d.idle_timeout),
            h2_keepalive_interval: secs(file.h2_keepalive_interval_secs, d.h2_keepalive_interval),
            h2_keepalive_timeout: secs(file.h2_keepalive_timeout_secs, d.h2_keepalive_timeout),
            h2_max_concurrent_streams: file
                .h2_max_concurrent_streams
                .unwrap_or(d.h2_max_concurrent_streams),
            metrics_listen: overrides.metrics_listen.or(file.metrics_listen),
            audit_log: overrides.audit_log.or(file.audit_log),
            console: ConsoleSettings {
                enabled: file.console.unwrap_or(d.console.enabled),
                session_idle: secs(file.console_session_idle_secs, d.console.session_idle),
                session_max: secs(file.console_session_max_secs, d.console.session_max),
                max_sessions: file.console_max_sessions.unwrap_or(d.console.max_sessions),
                // Under native TLS the console's cookies are `Secure` unless told otherwise.
                secure_cookies: file
                    .console_secure_cookies
                    .unwrap_or(d.console.secure_cookies || tls_on),
            },
            tls: TlsSettings::resolve(
                overrides.tls_cert.or(file.tls_cert),
                overrides.tls_key.or(file.tls_key),
                file.tls_handshake_timeout_secs,
                file.tls_watch_interval_secs,
            )?,
            database_url: match (overrides.database_url, &file.database_url) {
                (Some(url), _) => Some(url),
                (None, Some(raw)) => Some(DatabaseUrl::parse(raw)?),
                (None, None) => None,
            },
            master_key_file: overrides.master_key_file.or(file.master_key_file),
            database_stale: secs(file.database_stale_secs, d.database_stale),
            database_pool_size: file.database_pool_size.unwrap_or(d.database_pool_size),
        };
        settings.check()?;
        Ok(settings)
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
        }
    }
}

fn read_file(path: &Path) -> anyhow::Result<toml::Table> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))
}

#[cfg(test)]
mod tests;
