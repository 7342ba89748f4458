//! A client authenticated by a trusted issuer's token (workload identity federation): the
//! token's `iss` names the trust; its signature is checked with that trust's keys (given,
//! at a `jwks_uri`, or discovered) by the assertion verifier; its `aud` must hold the trust's
//! audience, `exp` and `nbf` hold with the verifier's leeway; its `sub` names the client.
//!
//! No single-use rule: such tokens are reused by design (a Kubernetes projected token for up to
//! an hour, refreshed in place) and may carry no `jti` at all. The signature, `exp` and `aud`
//! bound a stolen token as they bound the workload's other uses of it.

use std::sync::Arc;

use super::{FederatedSubject, IssuerKeys, TrustedIssuer, TrustedIssuers};
use crate::domain::assertion::{ClientAssertion, Signatures};
use crate::domain::auth_failure::FailureReason;
use crate::domain::client_auth::PublicKeySet;
use crate::domain::ports::{IssuerDiscovery, RemoteKeys};
use crate::domain::{Client, ClientRegistry, OAuthError, UnixTime};

/// Authenticates clients by their workloads' tokens. Built once at start.
pub struct Federation {
    issuers: TrustedIssuers,
    remote: Arc<dyn RemoteKeys>,
    discovery: Arc<dyn IssuerDiscovery>,
    signatures: Signatures,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    leeway: u64,
}

impl Federation {
    pub fn new(
        issuers: TrustedIssuers,
        remote: Arc<dyn RemoteKeys>,
        discovery: Arc<dyn IssuerDiscovery>,
        leeway: u64,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            issuers,
            remote,
            discovery,
            signatures: Signatures::generate()?,
            leeway,
        })
    }

    /// The trusted issuers, for the admin API and the console.
    pub fn issuers(&self) -> &TrustedIssuers {
        &self.issuers
    }

    /// The trust whose tokens carry `iss`: `None` for any other assertion (a client's own).
    pub fn trusted(&self, iss: &str) -> Result<Option<TrustedIssuer>, OAuthError> {
        self.issuers.by_issuer(iss)
    }

    /// The client bound to the token's `sub`, if `assertion` (issued by `trusted`) authenticates
    /// it at `now`; `client_id`, when the request names one, must be that client. The key set
    /// is had and the signature checked before anything about the subject is looked at, so an
    /// unknown subject costs what a known one does. `Ok(Err(reason))`: refused; `Err`: the store.
    pub async fn authenticate(
        &self,
        trusted: &TrustedIssuer,
        assertion: &ClientAssertion,
        client_id: Option<&str>,
        registry: &ClientRegistry,
        now: UnixTime,
    ) -> Result<Result<Client, FailureReason>, OAuthError> {
        let signed = match self.keys(trusted, assertion.kid.as_deref()).await {
            Ok(set) => self.signatures.check(assertion, &set),
            Err(reason) => {
                self.signatures.verify_decoy(assertion);
                Err(reason)
            }
        };
        let claims = self.check_claims(trusted, assertion, now.as_secs());
        let subject = FederatedSubject {
            trust: trusted.name.clone(),
            subject: assertion.claims.sub.clone(),
        };
        let bound = registry.federated(&subject.trust, &subject.subject)?;
        // A lookup either way: an unknown subject costs what a known one does.
        let found = registry.find(bound.as_ref().map_or("", |id| id.as_str()))?;
        Ok(Self::decide(signed, claims, found, &subject, client_id))
    }

    /// The outcome, in the order the reasons are told: signature, claims, subject, client.
    fn decide(
        signed: Result<(), FailureReason>,
        claims: Result<(), FailureReason>,
        found: Option<Client>,
        subject: &FederatedSubject,
        client_id: Option<&str>,
    ) -> Result<Client, FailureReason> {
        signed?;
        claims?;
        let client = found.ok_or(FailureReason::UnknownSubject)?;
        if !client.auth_method.federated_subjects().contains(subject) {
            return Err(FailureReason::WrongMethod);
        }
        if client_id.is_some_and(|id| id != client.id.as_str()) {
            return Err(FailureReason::BadClaims);
        }
        if client.disabled {
            return Err(FailureReason::DisabledClient);
        }
        Ok(client)
    }

    /// The trust's key set: given, fetched from its `jwks_uri`, or from the one its discovery
    /// document names; an unknown `kid` refetches (within the fetcher's cooldown).
    async fn keys(
        &self,
        trusted: &TrustedIssuer,
        kid: Option<&str>,
    ) -> Result<Arc<PublicKeySet>, FailureReason> {
        let uri = match &trusted.keys {
            IssuerKeys::Inline { jwks } => {
                return PublicKeySet::parse(jwks)
                    .map(Arc::new)
                    .map_err(|_| FailureReason::KeysUnavailable);
            }
            IssuerKeys::JwksUri { jwks_uri } => jwks_uri.clone(),
            IssuerKeys::Discovered => self
                .discovery
                .jwks_uri(&trusted.issuer)
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, trust = trusted.name, "a trusted issuer's discovery failed");
                    FailureReason::of_unavailable(&e)
                })?,
        };
        self.remote.keys(&uri, kid).await.map_err(|e| {
            tracing::warn!(error = %e, trust = trusted.name, "a trusted issuer's key set failed");
            FailureReason::of_unavailable(&e)
        })
    }

    /// `iss` exactly the trust's (it was found by it), `aud` holding the trust's audience, `exp`
    /// not passed and `nbf`/`iat` not ahead, each with the leeway.
    fn check_claims(
        &self,
        trusted: &TrustedIssuer,
        assertion: &ClientAssertion,
        now: u64,
    ) -> Result<(), FailureReason> {
        let c = &assertion.claims;
        if c.iss != trusted.issuer {
            return Err(FailureReason::BadClaims);
        }
        if !c.aud.contains(&trusted.audience) {
            return Err(FailureReason::WrongAudience);
        }
        if c.exp.saturating_add(self.leeway) <= now {
            return Err(FailureReason::ExpiredAssertion);
        }
        let early = |t: Option<u64>| t.is_some_and(|t| t > now.saturating_add(self.leeway));
        if early(c.nbf) || early(c.iat) {
            return Err(FailureReason::BadClaims);
        }
        Ok(())
    }
}
