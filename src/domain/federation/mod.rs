//! Workload identity federation: external issuers whose tokens may authenticate clients
//! (a Kubernetes cluster's service accounts, SPIFFE JWT-SVIDs, a CI system's job tokens), and
//! the exact subjects of those tokens that clients are bound to.

pub mod authenticate;
pub mod issuer;
pub mod jwks;
pub mod settings;
pub mod subject;

use std::sync::Arc;

pub use authenticate::Federation;
pub use issuer::{IssuerKeys, NewTrustedIssuer, TrustName, TrustRequest, TrustedIssuer};
pub use settings::FederationSettings;
pub use subject::parse_subjects;

pub use super::client_auth::FederatedSubject;
use super::fetch_address::FetchAllowance;
use super::ports::{ClientStore, TrustInsert, TrustedIssuerStore};
use super::{AdminError, OAuthError, UnixTime};

/// The trusted issuers over their store, held to the `[federation]` bounds; `allowance` is
/// where the key fetcher may connect, so that a trust it could never fetch for is refused.
#[derive(Clone)]
pub struct TrustedIssuers {
    store: Arc<dyn TrustedIssuerStore>,
    clients: Arc<dyn ClientStore>,
    settings: FederationSettings,
    allowance: FetchAllowance,
}

impl TrustedIssuers {
    pub fn new(
        store: Arc<dyn TrustedIssuerStore>,
        clients: Arc<dyn ClientStore>,
        settings: FederationSettings,
        allowance: FetchAllowance,
    ) -> Self {
        Self {
            store,
            clients,
            settings,
            allowance,
        }
    }

    pub fn settings(&self) -> &FederationSettings {
        &self.settings
    }

    /// Every trusted issuer, ordered by name.
    pub fn list(&self) -> Result<Vec<TrustedIssuer>, OAuthError> {
        Ok(self.store.list()?)
    }

    pub fn get(&self, name: &TrustName) -> Result<Option<TrustedIssuer>, OAuthError> {
        Ok(self.store.get(name.as_str())?)
    }

    /// The trusted issuer whose tokens carry `iss` exactly.
    pub fn by_issuer(&self, iss: &str) -> Result<Option<TrustedIssuer>, OAuthError> {
        Ok(self.store.by_issuer(iss)?)
    }

    /// Trusts a new issuer: its keys can be fetched under the fetcher's settings (as far as a
    /// literal address tells), its name and its `iss` are each taken once, and at most
    /// `max_trusted_issuers` are trusted at once. The admin API, the console and (through the
    /// admin API) the command line all add by this.
    pub async fn add(
        &self,
        new: NewTrustedIssuer,
        now: UnixTime,
    ) -> Result<TrustedIssuer, AdminError> {
        new.check_fetchable(self.allowance)?;
        let trusted = new.into_record(now);
        let max = self.settings.max_trusted_issuers;
        match self.store.insert(&trusted, max).await? {
            TrustInsert::Added => Ok(trusted),
            TrustInsert::NameTaken => Err(AdminError::Conflict(format!(
                "a trusted issuer named {} already exists",
                trusted.name
            ))),
            TrustInsert::IssuerTaken => Err(AdminError::Conflict(format!(
                "the issuer {} is already trusted under another name",
                trusted.issuer
            ))),
            TrustInsert::Full => Err(AdminError::Conflict(format!(
                "{max} issuers are trusted already ([federation] max_trusted_issuers)"
            ))),
        }
    }

    /// Stops trusting an issuer, unless a client is still bound to one of its subjects: a name
    /// trusted again later for another issuer must not inherit those bindings.
    pub async fn remove(&self, name: &TrustName) -> Result<(), AdminError> {
        if let Some(client) = self.clients.bound_to(name.as_str(), 1)?.first() {
            return Err(AdminError::Conflict(format!(
                "client {client} is still bound to a subject of {name}: remove it first"
            )));
        }
        if self.store.remove(name.as_str()).await? {
            Ok(())
        } else {
            Err(AdminError::NotFound(format!("no trusted issuer {name}")))
        }
    }

    /// Checks the subjects a client is about to be bound to: each names a trusted issuer and is
    /// bound to no other client, and there are at most `max_subjects_per_client`.
    pub fn check_binding(&self, subjects: &[FederatedSubject]) -> Result<(), AdminError> {
        let max = self.settings.max_subjects_per_client;
        if subjects.len() > max {
            return Err(AdminError::Invalid(
                format!(
                    "a client is bound to at most {max} federated subjects ([federation] max_subjects_per_client)"
                )
                .into(),
            ));
        }
        for s in subjects {
            if self.store.get(&s.trust)?.is_none() {
                return Err(AdminError::Invalid(
                    format!("no trusted issuer {} (tokendealer trust add)", s.trust).into(),
                ));
            }
            if let Some(client) = self.clients.federated(&s.trust, &s.subject)? {
                return Err(AdminError::Conflict(format!(
                    "{}={} is already bound to client {client}",
                    s.trust, s.subject
                )));
            }
        }
        Ok(())
    }
}
