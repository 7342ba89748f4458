//! The environment layer between the file and the flags, and the effective settings as TOML.
//!
//! Every key of the TOML file has an environment variable: `TOKENDEALER_<KEY>` for a top-level
//! key, `TOKENDEALER_USERS_<KEY>` for one of the `[users]` table, `TOKENDEALER_KEYS_<KEY>` for
//! one of the `[keys]` table (upper case). A value is read as
//! TOML when it parses as one (`8`, `true`, `["admin","ops"]`) and as a string otherwise
//! (`127.0.0.1:5001`, `./data`).

use std::time::Duration;

use anyhow::Context;
use toml::{Table, Value};

use super::Settings;
use crate::domain::keys::KeySettings;
use crate::domain::users::UserSettings;

/// The top-level keys of the file.
pub(super) const KEYS: [&str; 44] = [
    "listen",
    "data_dir",
    "keys_dir",
    "issuer",
    "default_token_ttl",
    "max_token_ttl",
    "jwks_max_age",
    "shutdown_timeout_secs",
    "shutdown_delay_secs",
    "signer",
    "signer_threads",
    "io",
    "io_threads",
    "signing_queue",
    "max_revocations_per_client",
    "db_cache_mb",
    "store_write_queue",
    "store_write_timeout_secs",
    "max_connections",
    "first_byte_timeout_secs",
    "header_read_timeout_secs",
    "body_read_timeout_secs",
    "body_budget_mb",
    "idle_timeout_secs",
    "h2_keepalive_interval_secs",
    "h2_keepalive_timeout_secs",
    "h2_max_concurrent_streams",
    "metrics_listen",
    "audit_log",
    "tls_cert",
    "tls_key",
    "tls_handshake_timeout_secs",
    "tls_watch_interval_secs",
    "database_url",
    "master_key_file",
    "database_stale_secs",
    "database_pool_size",
    "users",
    "console",
    "console_session_idle_secs",
    "console_session_max_secs",
    "console_max_sessions",
    "console_secure_cookies",
    "keys",
];

const PREFIX: &str = "TOKENDEALER_";

/// Keys whose values are strings (addresses, paths, URLs, names): taken as written, so a
/// directory named `2024` or `true` stays a string.
const STRING_KEYS: [&str; 12] = [
    "listen",
    "data_dir",
    "keys_dir",
    "issuer",
    "signer",
    "metrics_listen",
    "audit_log",
    "io",
    "tls_cert",
    "tls_key",
    "database_url",
    "master_key_file",
];

/// Puts the value of every `TOKENDEALER_*` variable in `vars` that names a setting into `file`,
/// over what the file said.
pub(super) fn overlay_env(
    file: &mut Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<()> {
    let user_defaults =
        Table::try_from(UserSettings::default()).context("listing the [users] settings")?;
    for (name, raw) in vars {
        let Some(key) = name.strip_prefix(PREFIX).map(str::to_ascii_lowercase) else {
            continue;
        };
        if let Some((user_key, default)) = key
            .strip_prefix("users_")
            .and_then(|k| user_defaults.get_key_value(k))
        {
            let value = match default {
                Value::String(_) => Value::String(raw),
                _ => value_of(&raw),
            };
            let users = file
                .entry("users")
                .or_insert_with(|| Value::Table(Table::new()));
            if let Value::Table(users) = users {
                users.insert(user_key.clone(), value);
            }
        } else if let Some(keys_key) = key
            .strip_prefix("keys_")
            .filter(|k| KeySettings::NAMES.contains(k))
        {
            let keys = file
                .entry("keys")
                .or_insert_with(|| Value::Table(Table::new()));
            if let Value::Table(keys) = keys {
                keys.insert(keys_key.to_owned(), value_of(&raw));
            }
        } else if STRING_KEYS.contains(&key.as_str()) {
            file.insert(key, Value::String(raw));
        } else if KEYS.contains(&key.as_str()) && key != "users" && key != "keys" {
            file.insert(key, value_of(&raw));
        }
    }
    Ok(())
}

/// `raw` as a TOML value if it is one, else as a string.
fn value_of(raw: &str) -> Value {
    toml::from_str::<Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(raw.to_owned()))
}

impl Settings {
    /// The settings as a TOML document with the file's keys: what `tokendealer config` prints.
    /// Credentials live in files, named by path; the database URL's password is shown as `***`.
    pub fn to_toml(&self) -> anyhow::Result<String> {
        let secs = |d: Duration| Value::Integer(i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let int = |n: u64| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
        let size = |n: usize| int(u64::try_from(n).unwrap_or(u64::MAX));
        let path = |p: &std::path::Path| Value::String(p.display().to_string());
        let mut t = Table::new();
        t.insert("listen".into(), Value::String(self.listen.to_string()));
        t.insert("data_dir".into(), path(&self.data_dir));
        t.insert("keys_dir".into(), path(&self.keys_dir));
        if let Some(issuer) = &self.issuer {
            t.insert("issuer".into(), Value::String(issuer.clone()));
        }
        t.insert("default_token_ttl".into(), int(self.default_token_ttl));
        t.insert("max_token_ttl".into(), int(self.max_token_ttl));
        t.insert("jwks_max_age".into(), int(self.jwks_max_age));
        t.insert("shutdown_timeout_secs".into(), secs(self.shutdown_timeout));
        t.insert("shutdown_delay_secs".into(), secs(self.shutdown_delay));
        t.insert(
            "signer".into(),
            Value::String(self.signer.as_str().to_owned()),
        );
        t.insert("signer_threads".into(), size(self.signer_threads));
        t.insert("io".into(), Value::String(self.io.as_str().to_owned()));
        t.insert("io_threads".into(), size(self.io_threads));
        t.insert("signing_queue".into(), size(self.signing_queue));
        t.insert(
            "max_revocations_per_client".into(),
            size(self.max_revocations_per_client),
        );
        t.insert("db_cache_mb".into(), int(self.db_cache_mb));
        t.insert("store_write_queue".into(), size(self.store_write_queue));
        t.insert(
            "store_write_timeout_secs".into(),
            secs(self.store_write_timeout),
        );
        t.insert("max_connections".into(), size(self.max_connections));
        t.insert(
            "first_byte_timeout_secs".into(),
            secs(self.first_byte_timeout),
        );
        t.insert(
            "header_read_timeout_secs".into(),
            secs(self.header_read_timeout),
        );
        t.insert(
            "body_read_timeout_secs".into(),
            secs(self.body_read_timeout),
        );
        t.insert("body_budget_mb".into(), int(self.body_budget_mb));
        t.insert("idle_timeout_secs".into(), secs(self.idle_timeout));
        t.insert("console".into(), Value::Boolean(self.console.enabled));
        t.insert(
            "console_session_idle_secs".into(),
            secs(self.console.session_idle),
        );
        t.insert(
            "console_session_max_secs".into(),
            secs(self.console.session_max),
        );
        t.insert(
            "console_max_sessions".into(),
            size(self.console.max_sessions),
        );
        t.insert(
            "console_secure_cookies".into(),
            Value::Boolean(self.console.secure_cookies),
        );
        t.insert(
            "h2_keepalive_interval_secs".into(),
            secs(self.h2_keepalive_interval),
        );
        t.insert(
            "h2_keepalive_timeout_secs".into(),
            secs(self.h2_keepalive_timeout),
        );
        t.insert(
            "h2_max_concurrent_streams".into(),
            int(u64::from(self.h2_max_concurrent_streams)),
        );
        if let Some(addr) = self.metrics_listen {
            t.insert("metrics_listen".into(), Value::String(addr.to_string()));
        }
        if let Some(p) = &self.audit_log {
            t.insert("audit_log".into(), path(p));
        }
        let mut keys = Table::new();
        keys.insert(
            "rotation_period_secs".into(),
            int(self.keys.rotation_period_secs),
        );
        keys.insert(
            "prepublish_secs".into(),
            int(self.keys.prepublish(self.jwks_max_age)),
        );
        let algorithms = self.keys.algorithms.names();
        keys.insert(
            "algorithms".into(),
            Value::Array(
                algorithms
                    .into_iter()
                    .map(|a| Value::String(a.into()))
                    .collect(),
            ),
        );
        t.insert("keys".into(), Value::Table(keys));
        self.tls.print_into(&mut t);
        if let Some(url) = &self.database_url {
            t.insert("database_url".into(), Value::String(url.redacted()));
        }
        if let Some(file) = &self.master_key_file {
            t.insert("master_key_file".into(), path(file));
        }
        t.insert("database_stale_secs".into(), secs(self.database_stale));
        t.insert("database_pool_size".into(), size(self.database_pool_size));
        t.insert(
            "users".into(),
            Value::Table(Table::try_from(&self.users).context("printing [users]")?),
        );
        Ok(toml::to_string(&t)?)
    }
}
