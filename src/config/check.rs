//! What a set of settings must satisfy before anything starts, in one place: one clear error,
//! naming the setting, for the first that does not.

use super::Settings;
use crate::domain::keys::MAX_SCHEDULED_REPLACED_KEYS;

/// The longest `issuer`: it is in every token (see `domain::token_budget::MAX_TOKEN_BYTES`).
pub const MAX_ISSUER_BYTES: usize = 256;

impl Settings {
    pub(super) fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.default_token_ttl > 0,
            "default_token_ttl must be positive"
        );
        anyhow::ensure!(
            self.default_token_ttl <= self.max_token_ttl,
            "default_token_ttl ({}) exceeds max_token_ttl ({})",
            self.default_token_ttl,
            self.max_token_ttl
        );
        anyhow::ensure!(self.max_connections > 0, "max_connections must be positive");
        // One largest body must fit, or that route could never be used.
        anyhow::ensure!(
            self.body_budget_mb > 0,
            "body_budget_mb must be positive (one largest body is 64 KiB)"
        );
        anyhow::ensure!(
            self.h2_max_concurrent_streams > 0,
            "h2_max_concurrent_streams must be positive"
        );
        for (name, value) in [
            ("first_byte_timeout_secs", self.first_byte_timeout),
            ("header_read_timeout_secs", self.header_read_timeout),
            ("body_read_timeout_secs", self.body_read_timeout),
            ("idle_timeout_secs", self.idle_timeout),
            ("h2_keepalive_interval_secs", self.h2_keepalive_interval),
            ("h2_keepalive_timeout_secs", self.h2_keepalive_timeout),
        ] {
            anyhow::ensure!(!value.is_zero(), "{name} must be positive");
        }
        self.users.check()?;
        self.client_assertions.check()?;
        self.federation.check()?;
        anyhow::ensure!(self.signing_queue > 0, "signing_queue must be positive");
        anyhow::ensure!(
            self.max_revocations_per_client > 0,
            "max_revocations_per_client must be positive"
        );
        anyhow::ensure!(
            !self.console.session_idle.is_zero() && !self.console.session_max.is_zero(),
            "console_session_idle_secs and console_session_max_secs must be positive"
        );
        anyhow::ensure!(
            self.console.max_sessions > 0,
            "console_max_sessions must be positive"
        );
        anyhow::ensure!(
            !self.tls.handshake_timeout.is_zero(),
            "tls_handshake_timeout_secs must be positive"
        );
        self.keys.check(self.jwks_max_age)?;
        self.dpop.check()?;
        self.mtls.check()?;
        let policy = self.key_policy();
        if policy.rotation_period > 0 {
            let kept = policy.verify_window.div_ceil(policy.rotation_period);
            anyhow::ensure!(
                kept <= MAX_SCHEDULED_REPLACED_KEYS,
                "[keys] rotation_period_secs ({}) is too short for the longest token lifetime \
                 ({} s with the verifier's leeway): {kept} replaced keys per algorithm would \
                 stay in the key set, at most {MAX_SCHEDULED_REPLACED_KEYS}; rotate less often \
                 or shorten max_token_ttl",
                policy.rotation_period,
                policy.verify_window
            );
        }
        if self.database_url.is_some() {
            anyhow::ensure!(
                self.master_key_file.is_some(),
                "master_key_file is required with database_url (tokendealer master-key generate makes one)"
            );
        }
        anyhow::ensure!(
            self.database_pool_size > 0,
            "database_pool_size must be positive"
        );
        anyhow::ensure!(
            self.store_write_queue > 0,
            "store_write_queue must be positive"
        );
        anyhow::ensure!(
            !self.store_write_timeout.is_zero(),
            "store_write_timeout_secs must be positive"
        );
        if let Some(issuer) = &self.issuer {
            anyhow::ensure!(
                issuer.starts_with("https://") || issuer.starts_with("http://"),
                "issuer must be an http(s) URL, got {issuer:?}"
            );
            // RFC 8414 §2: the metadata's locations are made from the host and the path alone.
            anyhow::ensure!(
                !issuer.contains(['?', '#']),
                "issuer must be a URL without a query or fragment (RFC 8414 §2), got {issuer:?}"
            );
            // Every token carries it: bounded, and written in JSON as it is.
            anyhow::ensure!(
                issuer.len() <= MAX_ISSUER_BYTES
                    && issuer
                        .bytes()
                        .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\'),
                "issuer must be at most {MAX_ISSUER_BYTES} printable ASCII characters, without \
                 quotes or backslashes"
            );
        }
        Ok(())
    }
}
