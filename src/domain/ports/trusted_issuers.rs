//! The trusted-issuers port: the external issuers whose tokens may authenticate clients, by
//! name, each `iss` trusted once, their number bounded.

use async_trait::async_trait;

use super::error::StoreResult;
use crate::domain::federation::TrustedIssuer;

/// A trusted issuer's `jwks_uri`, from its OpenID configuration: fetching is I/O, outside the
/// domain.
#[async_trait]
pub trait IssuerDiscovery: Send + Sync {
    /// The `jwks_uri` that `ISSUER/.well-known/openid-configuration` names, cached; never waits
    /// longer than the fetch deadline.
    async fn jwks_uri(&self, issuer: &str) -> Result<String, super::KeysUnavailable>;
}

/// What [`TrustedIssuerStore::insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustInsert {
    Added,
    /// Another trusted issuer has this name.
    NameTaken,
    /// This `iss` is trusted under another name: a token must lead to one trust.
    IssuerTaken,
    /// As many issuers are trusted as the bound allows.
    Full,
}

/// Trusted issuers: a handful, read on the token path.
#[async_trait]
pub trait TrustedIssuerStore: Send + Sync {
    fn get(&self, name: &str) -> StoreResult<Option<TrustedIssuer>>;
    /// Every trusted issuer, ordered by name.
    fn list(&self) -> StoreResult<Vec<TrustedIssuer>>;
    /// The trusted issuer whose `iss` is exactly `iss`.
    fn by_issuer(&self, iss: &str) -> StoreResult<Option<TrustedIssuer>>;
    /// Stores a new trusted issuer unless its name or `iss` is taken or `max` are stored,
    /// atomically against every other write.
    async fn insert(&self, issuer: &TrustedIssuer, max: usize) -> StoreResult<TrustInsert>;
    /// Removes one; `false` if there was none.
    async fn remove(&self, name: &str) -> StoreResult<bool>;
}
