//! Settings: one serde struct ([`Settings`]), layered defaults < TOML file < environment <
//! command-line flags by figment, printed from the same struct and checked in one place.
//!
//! Adding a setting touches its field in `settings.rs` (doc line, default, TOML name) and its row
//! in README's configuration table. Its environment variable (`TOKENDEALER_<KEY>`), its line in
//! `tokendealer config` and the refusal of a misspelt key in the file follow from the struct
//! (`layers.rs`); a bound it must respect goes in `check.rs`.

mod check;
mod console;
mod database;
mod descriptors;
mod layers;
mod load;
mod mtls;
mod settings;
mod tls;
mod units;

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Serialize;

pub use console::ConsoleSettings;
pub use database::DatabaseUrl;
pub use descriptors::{RESERVED_DESCRIPTORS, default_max_connections};
pub use mtls::{MtlsSettings, ProxyAddress};
pub use settings::Settings;
pub use tls::{TlsFiles, TlsSettings};

use crate::domain::keys::SignerMode;

/// Values given explicitly (flags, or the environment through clap's `env`), each optional: the
/// top layer, each field named as the setting it gives.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub keys_dir: Option<PathBuf>,
    pub issuer: Option<String>,
    /// The TOML file to read: where settings come from, not one of them.
    #[serde(skip)]
    pub config: Option<PathBuf>,
    pub signer: Option<SignerMode>,
    pub max_connections: Option<usize>,
    pub metrics_listen: Option<SocketAddr>,
    pub audit_log: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_client_ca: Option<PathBuf>,
    #[serde(serialize_with = "database::serialize_whole")]
    pub database_url: Option<DatabaseUrl>,
    pub master_key_file: Option<PathBuf>,
}

#[cfg(test)]
use descriptors::MIN_DEFAULT_CONNECTIONS;
#[cfg(test)]
mod tests;
