//! The user directory's tunables: argon2id cost, login lockout, who may list users, and the
//! tokenleader-compatible answers. Read from the `[users]` table of the TOML file.

use serde::{Deserialize, Serialize};

/// Settings for users, passwords and the tokenleader-compatible API.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserSettings {
    /// argon2id memory cost in KiB (OWASP: 19456).
    pub argon2_m_cost: u32,
    /// argon2id iterations (OWASP: 2).
    pub argon2_t_cost: u32,
    /// argon2id lanes (OWASP: 1).
    pub argon2_p_cost: u32,
    /// The fewest bytes a password set from now on may have (once normalized); 1–1024.
    /// Imported tokenleader hashes keep working whatever their password's length.
    pub min_password_length: usize,
    /// How many password hashes may run at once, off the async workers; 0 means one per core.
    pub hash_concurrency: usize,
    /// How many hashes may wait for a turn beyond those running; more are answered 503 at once.
    /// 0 means 16 per hashing thread.
    pub hash_queue: usize,
    /// How long a hash may wait for its turn before it is answered 503, in seconds.
    pub hash_queue_timeout_secs: u64,
    /// How many costly checks (imported PBKDF2 hashes above tokenleader 1.8's cost) may run at
    /// once, on threads of their own; 4 per thread may wait. 0 means half the hashing threads,
    /// at least one.
    pub costly_hash_concurrency: usize,
    /// Failed logins for one username within the window before it is locked out.
    pub max_failures_per_user: u32,
    /// Failed logins from one source address within the window before it is locked out.
    pub max_failures_per_address: u32,
    /// The lockout window, in seconds.
    pub failure_window_secs: u64,
    /// The most usernames and addresses tracked at once (memory bound).
    pub max_tracked: usize,
    /// Roles whose access tokens may list users (`GET /admin/users`) besides the admin scope.
    pub user_list_roles: Vec<String>,
    /// Lifetime of tokens from `POST /token/gettoken`.
    #[serde(alias = "legacy_token_ttl")]
    pub tokenleader_token_ttl: u64,
    /// Answer a wrong password and an unknown user at `/token/gettoken` with tokenleader's two
    /// different `status` strings. Off by default: the answers then tell a caller nothing about
    /// which usernames exist (tokenleaderclient only checks `status != "success"`).
    #[serde(alias = "compat_distinct_login_failures")]
    pub tokenleader_distinct_login_failures: bool,
}

impl Default for UserSettings {
    fn default() -> Self {
        Self {
            argon2_m_cost: 19_456,
            argon2_t_cost: 2,
            argon2_p_cost: 1,
            min_password_length: 8,
            hash_concurrency: 0,
            hash_queue: 0,
            hash_queue_timeout_secs: 5,
            costly_hash_concurrency: 0,
            max_failures_per_user: 10,
            max_failures_per_address: 100,
            failure_window_secs: 15 * 60,
            max_tracked: 100_000,
            user_list_roles: vec!["admin".to_owned()],
            tokenleader_token_ttl: 3600,
            tokenleader_distinct_login_failures: false,
        }
    }
}

impl UserSettings {
    /// Refuses settings that would break logins or disable a protection by accident.
    pub fn check(&self) -> anyhow::Result<()> {
        argon2::Params::new(
            self.argon2_m_cost,
            self.argon2_t_cost,
            self.argon2_p_cost,
            None,
        )
        .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        anyhow::ensure!(
            (1..=super::names::MAX_PASSWORD_BYTES).contains(&self.min_password_length),
            "min_password_length must be 1-{}",
            super::names::MAX_PASSWORD_BYTES
        );
        anyhow::ensure!(
            self.max_failures_per_user > 0 && self.max_failures_per_address > 0,
            "lockout thresholds must be positive"
        );
        anyhow::ensure!(
            self.failure_window_secs > 0,
            "failure_window_secs must be positive"
        );
        anyhow::ensure!(
            self.hash_queue_timeout_secs > 0,
            "hash_queue_timeout_secs must be positive"
        );
        anyhow::ensure!(self.max_tracked > 0, "max_tracked must be positive");
        anyhow::ensure!(
            self.tokenleader_token_ttl > 0,
            "tokenleader_token_ttl must be positive"
        );
        Ok(())
    }

    /// How many hashes run at once: `hash_concurrency`, or one per core.
    pub fn hash_threads(&self) -> usize {
        match self.hash_concurrency {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        }
    }

    /// How many hashes may wait: `hash_queue`, or 16 per hashing thread.
    pub fn hash_waiting(&self) -> usize {
        match self.hash_queue {
            0 => 16 * self.hash_threads(),
            n => n,
        }
    }

    /// How many costly checks run at once: `costly_hash_concurrency`, or half the hashing
    /// threads (at least one), so a flood of them leaves cores to the ordinary lane.
    pub fn costly_hash_threads(&self) -> usize {
        match self.costly_hash_concurrency {
            0 => (self.hash_threads() / 2).max(1),
            n => n,
        }
    }

    /// Cheap argon2 parameters for tests: the same code path, a fraction of the cost.
    pub fn for_tests() -> Self {
        Self {
            argon2_m_cost: 64,
            argon2_t_cost: 1,
            argon2_p_cost: 1,
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_users_table_keeps_the_other_defaults() {
        let s: UserSettings =
            toml::from_str("argon2_m_cost = 65536\nuser_list_roles = [\"ops\", \"admin\"]\n")
                .unwrap();
        assert_eq!(s.argon2_m_cost, 65_536);
        assert_eq!(s.argon2_t_cost, 2);
        assert_eq!(s.user_list_roles, ["ops", "admin"]);
        assert_eq!(s.max_failures_per_user, 10);
        assert!(s.check().is_ok());
    }

    #[test]
    fn the_hashing_queue_holds_sixteen_per_thread_unless_set() {
        let s: UserSettings = toml::from_str("hash_concurrency = 3\n").unwrap();
        assert_eq!((s.hash_threads(), s.hash_waiting()), (3, 48));
        assert_eq!(s.hash_queue_timeout_secs, 5);
        let s: UserSettings = toml::from_str("hash_concurrency = 3\nhash_queue = 7\n").unwrap();
        assert_eq!(s.hash_waiting(), 7);
        assert_eq!(s.costly_hash_threads(), 1);
        let s: UserSettings = toml::from_str("hash_concurrency = 8\n").unwrap();
        assert_eq!(s.costly_hash_threads(), 4);
        let s: UserSettings = toml::from_str("costly_hash_concurrency = 3\n").unwrap();
        assert_eq!(s.costly_hash_threads(), 3);
        let zero_wait = UserSettings {
            hash_queue_timeout_secs: 0,
            ..UserSettings::default()
        };
        assert!(zero_wait.check().is_err());
    }

    #[test]
    fn argon2_parameters_below_the_minimum_are_refused() {
        let s = UserSettings {
            argon2_m_cost: 1,
            ..UserSettings::default()
        };
        assert!(s.check().is_err());
    }
}
