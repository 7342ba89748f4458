//! Token revocation (RFC 7009): who may revoke what, the denylist check on verification, the sweep.
//!
//! Issuing a token writes nothing; only revoking one does. A revoked token's `jti` stays on the
//! denylist until the token's own `exp`, after which [`Revocations::sweep`] drops it: past `exp`
//! the signature check refuses the token anyway. Each client may have at most
//! `max_revocations_per_client` entries listed at once, so one client revoking as fast as it can
//! issue cannot grow the list without bound.

pub mod record;

pub use record::RevokedToken;

use super::{AccessClaims, Client, OAuthError, TokenIssuer, UnixTime};
use std::sync::Arc;

use super::events::{Events, Unheard};
use super::ports::{DenylistStore, Listing};

/// What a revocation request came to. The endpoint answers 200 in every case (RFC 7009 §2.2), so
/// the caller cannot probe for other clients' tokens; the distinction is for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// The token was the caller's and is now (or already was) revoked.
    Revoked,
    /// Malformed, not ours, expired or already gone: there is nothing to revoke.
    NotALiveToken,
    /// A live token issued to another client: left alone.
    NotTheCallers,
}

/// Revoked tokens one client may have listed at once unless configured
/// (`max_revocations_per_client`): ~2.3 MB of entries at most per client.
pub const DEFAULT_MAX_REVOCATIONS_PER_CLIENT: usize = 10_000;

/// How long a client refused for its full share is told to wait: entries leave the list at the
/// periodic sweep, once their tokens have expired.
const RETRY_FULL_AFTER_SECS: u64 = 60;

/// The revocation list, consulted whenever a token presented to the dealer is verified.
#[derive(Clone)]
pub struct Revocations {
    denylist: Arc<dyn DenylistStore>,
    per_client: usize,
    /// Told of each refusal for a full share.
    events: Arc<dyn Events>,
}

impl Revocations {
    /// The list on `denylist`, with at most `per_client` entries per client.
    pub fn new(denylist: Arc<dyn DenylistStore>, per_client: usize) -> Self {
        Self {
            denylist,
            per_client,
            events: Arc::new(Unheard),
        }
    }

    /// Tells `events` (the application's telemetry) of every refusal for a full share.
    pub fn with_events(mut self, events: Arc<dyn Events>) -> Self {
        self.events = events;
        self
    }

    /// [`TokenIssuer::verify`], and then refuses a token that has been revoked.
    pub fn verify(
        &self,
        issuer: &TokenIssuer,
        token: &str,
        audience: Option<&str>,
        now: UnixTime,
    ) -> Result<AccessClaims, OAuthError> {
        let claims = issuer.verify(token, audience, now)?;
        self.ensure_not_revoked(&claims)?;
        Ok(claims)
    }

    /// `invalid_token` if the token behind `claims` has been revoked.
    pub fn ensure_not_revoked(&self, claims: &AccessClaims) -> Result<(), OAuthError> {
        if self.denylist.contains(&claims.jti)? {
            return Err(OAuthError::InvalidToken("the token has been revoked"));
        }
        Ok(())
    }

    /// Revokes `token` if it is a live token of this dealer issued to `caller`. The denylist entry
    /// is flushed to disk before this returns. A caller with its full share of entries listed is
    /// refused ([`OAuthError::RevocationsFull`]): nothing is written and the token stays valid.
    ///
    /// "Of this dealer" is "signed by a key of its key set", whatever `iss` the token names:
    /// instances sharing one database share the keys and the denylist, and one started with
    /// another issuer (each its own default `http://<listen>`) must still take back a token its
    /// siblings accept, not answer 200 and leave it live there.
    pub async fn revoke(
        &self,
        issuer: &TokenIssuer,
        caller: &Client,
        token: &str,
        now: UnixTime,
    ) -> Result<Revocation, OAuthError> {
        let claims = match issuer.verify_any_issuer(token, now) {
            Ok(claims) => claims,
            Err(OAuthError::InvalidToken(_)) => return Ok(Revocation::NotALiveToken),
            Err(other) => return Err(other),
        };
        if claims.client_id != caller.id.as_str() {
            tracing::info!(caller = %caller.id, owner = %claims.client_id, jti = %claims.jti,
                "refused to revoke another client's token");
            return Ok(Revocation::NotTheCallers);
        }
        if !caller.issued(&claims) {
            // A token of an earlier registration of this id: dead already, nothing to list.
            return Ok(Revocation::NotALiveToken);
        }
        if !self.denylist.contains(&claims.jti)? {
            let record = RevokedToken {
                jti: claims.jti.clone(),
                client_id: claims.client_id.clone(),
                reg: claims.reg.clone(),
                exp: claims.exp,
                revoked_at: now.as_secs(),
            };
            if self.denylist.insert(&record, self.per_client).await? == Listing::ClientFull {
                self.events
                    .revocations_full(&claims.client_id, self.per_client);
                return Err(OAuthError::RevocationsFull {
                    limit: self.per_client,
                    retry_after_secs: RETRY_FULL_AFTER_SECS,
                });
            }
            tracing::info!(client_id = %claims.client_id, jti = %claims.jti, "revoked a token");
        }
        Ok(Revocation::Revoked)
    }

    /// Drops the entries of tokens that have expired by `now`; returns how many went.
    pub async fn sweep(&self, now: UnixTime) -> anyhow::Result<usize> {
        Ok(self.denylist.remove_expired(now.as_secs()).await?)
    }

    /// How many tokens are on the list (expired ones not yet swept included).
    pub fn len(&self) -> usize {
        self.denylist.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
pub(crate) mod tests;
