//! Client assertions (RFC 7523 §2.2, OpenID Connect Core §9 `private_key_jwt`): a client
//! authenticates with a JWT it signed with one of its registered keys.
//!
//! [`ClientAssertion::parse`] reads the assertion once at the edge; [`ClientAssertions`]
//! verifies it for the client it names: the signature with the client's keys (inline, or from
//! its `jwks_uri` through the [`RemoteKeys`] port), the claims, and last the `jti`'s single use
//! (after the signature: a forger cannot fill the record). Every failure is one
//! [`FailureReason`] for the metrics and audit trail; the caller gets `invalid_client`.

pub mod parse;
pub mod settings;
pub mod verify;

use std::sync::Arc;

pub use parse::{ALGORITHMS, ClientAssertion, MAX_ASSERTION_BYTES, Malformed};
pub use settings::AssertionSettings;
pub use verify::{ClaimRules, Signatures};

use super::auth_failure::FailureReason;
use super::client::Client;
use super::client_auth::ClientKeys;
use super::ports::{FirstUse, RemoteKeys, SingleUse, StoreError};
use super::time::UnixTime;

/// The single-use namespace of assertion `jti`s.
pub const NAMESPACE: &str = "assertion";

/// The client assertion type of RFC 7523 §2.2.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Why an assertion did not authenticate: a reason (answered `invalid_client`), or a store that
/// could not record the `jti` (answered as a store failure is: 503 or 500).
#[derive(Debug)]
pub enum Refused {
    Reason(FailureReason),
    Store(StoreError),
}

impl From<FailureReason> for Refused {
    fn from(r: FailureReason) -> Self {
        Self::Reason(r)
    }
}

/// Verifies client assertions. Built once at start.
pub struct ClientAssertions {
    rules: ClaimRules,
    single_use: Arc<dyn SingleUse>,
    remote: Arc<dyn RemoteKeys>,
    signatures: Signatures,
}

impl ClientAssertions {
    pub fn new(
        rules: ClaimRules,
        single_use: Arc<dyn SingleUse>,
        remote: Arc<dyn RemoteKeys>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            rules,
            single_use,
            remote,
            signatures: Signatures::generate()?,
        })
    }

    /// The client `found` under the assertion's `sub` (`None`: unknown), if `assertion`
    /// authenticates it at `now`. An unknown client, or one with another method, costs a
    /// signature verification too (with a decoy key); a disabled one is refused after the
    /// whole check but before its `jti` is recorded.
    pub async fn authenticate(
        &self,
        found: Option<Client>,
        assertion: &ClientAssertion,
        now: UnixTime,
    ) -> Result<Client, Refused> {
        let keys = found.as_ref().and_then(|c| c.auth_method.keys());
        let signed = match keys {
            Some(ClientKeys::Inline(set)) => self.signatures.check(assertion, set),
            Some(ClientKeys::Remote(uri)) => {
                match self.remote.keys(uri, assertion.kid.as_deref()).await {
                    Ok(set) => self.signatures.check(assertion, &set),
                    Err(e) => {
                        tracing::warn!(error = %e, "a client's jwks_uri failed");
                        self.signatures.verify_decoy(assertion);
                        Err(FailureReason::of_unavailable(&e))
                    }
                }
            }
            None => {
                self.signatures.verify_decoy(assertion);
                Err(match found {
                    None => FailureReason::UnknownClient,
                    Some(_) => FailureReason::WrongMethod,
                })
            }
        };
        let claims = verify::check_claims(
            assertion,
            found.as_ref().map_or("", |c| c.id.as_str()),
            &self.rules,
            now.as_secs(),
        );
        let Some(client) = found.filter(|_| signed.is_ok()) else {
            return Err(signed.err().unwrap_or(FailureReason::UnknownClient).into());
        };
        claims?;
        if client.disabled {
            return Err(FailureReason::DisabledClient.into());
        }
        let c = &assertion.claims;
        let Some(jti) = &c.jti else {
            return Err(FailureReason::BadClaims.into());
        };
        // Keyed by client too: one client's `jti`s never collide with another's (ids have no
        // spaces).
        let id = format!("{} {}", client.id, jti);
        let until = c.exp.saturating_add(self.rules.leeway);
        match self
            .single_use
            .first_use(NAMESPACE, client.id.as_str(), &id, until, now.as_secs())
            .await
        {
            Ok(FirstUse::Recorded) => Ok(client),
            Ok(FirstUse::Replayed) => Err(FailureReason::ReplayedAssertion.into()),
            Ok(FirstUse::Full) => Err(FailureReason::SingleUseFull.into()),
            Ok(FirstUse::ShareFull) => Err(FailureReason::SingleUseShareFull.into()),
            Err(e) => Err(Refused::Store(e)),
        }
    }

    /// The work of verifying an assertion that could not be read, so that it costs what a
    /// readable one does (nothing else can be done with it).
    pub fn decoy_for_malformed(&self) {
        if let Ok(stand_in) = ClientAssertion::parse(STAND_IN) {
            self.signatures.verify_decoy(&stand_in);
        }
    }
}

/// A well-formed RS256 assertion with a bogus signature, verified in place of an unreadable one.
const STAND_IN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJkZWNveSIsInN1YiI6ImRlY295IiwiYXVkIjoiZGVjb3kiLCJleHAiOjEsImp0aSI6ImRlY295In0.ZGVjb3k";

#[cfg(test)]
mod tests;
