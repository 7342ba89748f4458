//! The web console's settings: whether it is served, and its sessions' bounds.

use std::time::Duration;

/// `console`, `console_session_idle_secs`, `console_session_max_secs`, `console_max_sessions`
/// and `console_secure_cookies` in the TOML file (and `TOKENDEALER_CONSOLE...`).
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    /// Whether `/console` is served at all; off, its routes answer 404.
    pub enabled: bool,
    /// A session unused this long ends.
    pub session_idle: Duration,
    /// A session ends this long after its login, however busy.
    pub session_max: Duration,
    /// Sessions held at once; a login beyond it evicts the oldest.
    pub max_sessions: usize,
    /// Adds `Secure` to the console's cookies: on under TLS (or behind a TLS-terminating proxy).
    pub secure_cookies: bool,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            session_idle: Duration::from_secs(900),
            session_max: Duration::from_secs(28_800),
            max_sessions: 10_000,
            secure_cookies: false,
        }
    }
}

impl ConsoleSettings {
    pub(super) fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.session_idle.is_zero() && !self.session_max.is_zero(),
            "console_session_idle_secs and console_session_max_secs must be positive"
        );
        anyhow::ensure!(
            self.max_sessions > 0,
            "console_max_sessions must be positive"
        );
        Ok(())
    }
}
