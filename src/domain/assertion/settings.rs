//! The `[client_assertions]` table: how long an assertion may live, how many single-use
//! identifiers are held at once, and the bounds of fetching a client's `jwks_uri`.

use serde::{Deserialize, Serialize};
use smart_default::SmartDefault;

use crate::domain::fetch_address::FetchAllowance;
use crate::domain::ports::SingleUseBounds;

/// Settings of client assertions (RFC 7523 §2.2, `private_key_jwt`) and of the single-use
/// record every instance shares.
#[derive(Debug, Clone, PartialEq, Eq, SmartDefault, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssertionSettings {
    /// The longest `exp − now` an assertion may have, in seconds (Authlib's default assertion
    /// lives an hour).
    #[default(3600)]
    pub max_lifetime_secs: u64,
    /// Single-use identifiers (assertion and DPoP `jti`s) held at once until they expire;
    /// beyond it an offer is refused, never an identifier forgotten.
    #[default(100_000)]
    pub max_single_use: u64,
    /// Of those, how many one client may hold (its assertions' and its DPoP proofs'), so
    /// that one client cannot lock the others out; 0 = a tenth of `max_single_use`.
    pub max_single_use_per_client: u64,
    /// The whole fetch of a `jwks_uri`, connect to last byte, in seconds.
    #[default(5)]
    pub jwks_fetch_timeout_secs: u64,
    /// The largest JWK Set a `jwks_uri` may answer, in bytes; a longer answer is cut off.
    #[default(65_536)]
    pub jwks_max_bytes: usize,
    /// A fetched set is kept at least this long, whatever its `Cache-Control`, in seconds.
    #[default(60)]
    pub jwks_min_cache_secs: u64,
    /// A fetched set is kept at most this long, whatever its `Cache-Control`, in seconds; also
    /// how long one is kept when it says nothing.
    #[default(3600)]
    pub jwks_max_cache_secs: u64,
    /// An unknown `kid` refetches a client's set at most once per this many seconds.
    #[default(30)]
    pub jwks_refetch_cooldown_secs: u64,
    /// After failed fetches, the last good set keeps verifying this long past its expiry.
    #[default(86_400)]
    pub jwks_stale_secs: u64,
    /// Fetches of `jwks_uri`s under way at once, across every client.
    #[default(8)]
    pub jwks_max_fetches: usize,
    /// Development only: a `jwks_uri` may be plain `http://` on a loopback address (and key
    /// sets and discovery documents may be fetched from loopback addresses at all).
    pub jwks_allow_http_loopback: bool,
    /// Key sets and discovery documents may be fetched from private addresses (RFC 1918,
    /// 100.64.0.0/10, fc00::/7): off, so that a registered URL cannot reach the internal
    /// network. Link-local (cloud metadata), multicast and unspecified addresses never.
    pub jwks_allow_private_addresses: bool,
}

impl AssertionSettings {
    /// The addresses fetches may reach beyond public ones.
    pub fn fetch_allowance(&self) -> FetchAllowance {
        FetchAllowance {
            loopback: self.jwks_allow_http_loopback,
            private: self.jwks_allow_private_addresses,
        }
    }

    /// The single-use record's bounds: in all, and per client (0 read as a tenth of all).
    pub fn single_use_bounds(&self) -> SingleUseBounds {
        let per_owner = match self.max_single_use_per_client {
            0 => (self.max_single_use / 10).max(1),
            n => n,
        };
        SingleUseBounds {
            total: self.max_single_use,
            per_owner,
        }
    }

    /// Whether the values make sense together: one clear error for the first that does not.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.max_lifetime_secs > 0,
            "client_assertions.max_lifetime_secs must be positive"
        );
        anyhow::ensure!(
            self.max_single_use > 0,
            "client_assertions.max_single_use must be positive"
        );
        anyhow::ensure!(
            self.max_single_use_per_client <= self.max_single_use,
            "client_assertions.max_single_use_per_client exceeds max_single_use"
        );
        anyhow::ensure!(
            self.jwks_fetch_timeout_secs > 0
                && self.jwks_max_bytes > 0
                && self.jwks_max_fetches > 0,
            "client_assertions.jwks_fetch_timeout_secs, jwks_max_bytes and jwks_max_fetches must be positive"
        );
        anyhow::ensure!(
            self.jwks_min_cache_secs <= self.jwks_max_cache_secs,
            "client_assertions.jwks_min_cache_secs exceeds jwks_max_cache_secs"
        );
        Ok(())
    }
}
