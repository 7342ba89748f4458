//! The web console's settings: whether it is served, and its sessions' bounds.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use smart_default::SmartDefault;

use super::units::secs;

/// `console`, `console_session_idle_secs`, `console_session_max_secs`, `console_max_sessions`
/// and `console_secure_cookies`: top-level keys of the TOML file (and `TOKENDEALER_CONSOLE...`).
#[derive(Debug, Clone, SmartDefault, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsoleSettings {
    /// Whether `/console` is served at all; off, its routes answer 404.
    #[default(true)]
    #[serde(rename = "console")]
    pub enabled: bool,
    /// A session unused this long ends.
    #[default(Duration::from_secs(900))]
    #[serde(rename = "console_session_idle_secs", with = "secs")]
    pub session_idle: Duration,
    /// A session ends this long after its login, however busy.
    #[default(Duration::from_secs(28_800))]
    #[serde(rename = "console_session_max_secs", with = "secs")]
    pub session_max: Duration,
    /// Sessions held at once; a login beyond it evicts the oldest.
    #[default(10_000)]
    #[serde(rename = "console_max_sessions")]
    pub max_sessions: usize,
    /// Adds `Secure` to the console's cookies: on under TLS (or behind a TLS-terminating proxy).
    /// Unless given, on exactly when the listener serves TLS (`load.rs`).
    #[serde(rename = "console_secure_cookies")]
    pub secure_cookies: bool,
}
