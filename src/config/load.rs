//! The settings' sources read in order: the TOML file, then the environment
//! (`TOKENDEALER_<KEY>`), then the flags; each value given wins over the one before, and over
//! the default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use super::{ConsoleSettings, DatabaseUrl, Overrides, Settings, TlsSettings, layers};
use crate::domain::keys::{KeySettings, SignerMode};
use crate::domain::users::UserSettings;
use crate::server::IoModel;

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
    shutdown_delay_secs: Option<u64>,
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
    body_budget_mb: Option<u64>,
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
            shutdown_delay: secs(file.shutdown_delay_secs, d.shutdown_delay),
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
            body_budget_mb: file.body_budget_mb.unwrap_or(d.body_budget_mb),
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
}

fn read_file(path: &Path) -> anyhow::Result<toml::Table> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))
}
