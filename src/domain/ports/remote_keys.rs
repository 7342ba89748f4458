//! The remote keys port: JWK Sets published at URLs (a client's `jwks_uri`; a trusted issuer's
//! keys plug in the same way), fetched and cached outside the domain, since fetching is I/O.

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::client_auth::PublicKeySet;

/// Why no key set could be had: told to the logs and metrics, never to the caller.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the key set at {uri} is unavailable: {why}")]
pub struct KeysUnavailable {
    pub uri: String,
    pub why: String,
}

/// How a [`KeysUnavailable::why`] begins when the URL's address was refused (the fetcher's
/// guard against request forgery: link-local, private, loopback addresses).
pub const REFUSED_ADDRESS: &str = "refused address: ";

impl KeysUnavailable {
    /// Whether the fetch was refused for the address it would have connected to.
    pub fn address_refused(&self) -> bool {
        self.why.starts_with(REFUSED_ADDRESS)
    }
}

/// Key sets by URL.
#[async_trait]
pub trait RemoteKeys: Send + Sync {
    /// The set published at `uri`, from the cache while it is fresh. When `kid` is given and
    /// the cached set lacks it, the set is fetched again, at most once per cooldown for every
    /// caller together. Never waits longer than the fetch deadline.
    async fn keys(
        &self,
        uri: &str,
        kid: Option<&str>,
    ) -> Result<Arc<PublicKeySet>, KeysUnavailable>;
}
