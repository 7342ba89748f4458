//! The token endpoint's one entry point: authenticate the client (constant time, one answer for
//! every failure), then issue for the grant the request names.

use super::assertion::{ClientAssertion, ClientAssertions, Malformed, Refused};
use super::auth_failure::FailureReason;
use super::dpop::{self, DpopProof};
use super::events::{Events, Issued};
use super::federation::Federation;
use super::grant::client_credentials::{self, ClientCredentialsRequest};
use super::grant::password::{self, PasswordRequest};
use super::grant::{self, IssuedToken};
use super::origin::Origin;
use super::ports::SingleUse;
use super::users::Users;
use super::{
    Client, ClientCertificate, ClientRegistry, Confirmation, GrantType, OAuthError, TokenIssuer,
    UnixTime, authenticate_why,
};

/// The credentials a client presented (RFC 6749 §2.3.1), by HTTP Basic or in the form, and the
/// client certificate of its connection (RFC 8705); the edge has decoded them and checked that
/// only one method was used. A client presenting only a certificate has an empty secret.
pub struct ClientAuth {
    pub client_id: String,
    pub client_secret: String,
    /// The client certificate of the connection (RFC 8705), if any.
    pub certificate: Option<ClientCertificate>,
    /// A client assertion (RFC 7523 §2.2) presented instead of a secret: read once at the
    /// edge, or why it could not be; `client_id` is then its `sub` (or the form's, equal).
    pub assertion: Option<Result<ClientAssertion, Malformed>>,
}

/// The id only: the secret never reaches a log.
impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAuth")
            .field("client_id", &self.client_id)
            .field("client_secret", &"..")
            .field("certificate", &self.certificate)
            .field("assertion", &self.assertion.is_some())
            .finish()
    }
}

/// A token request as parsed at the edge: one variant per grant this dealer serves.
#[derive(Debug)]
pub enum TokenRequest {
    /// RFC 6749 §4.4.
    ClientCredentials(ClientCredentialsRequest),
    /// RFC 6749 §4.3, for clients registered with the `password` grant.
    Password(PasswordRequest),
    /// A `grant_type` this dealer does not serve: refused, but only after the client has
    /// authenticated, so an unauthenticated caller learns nothing about grants.
    Unsupported,
}

/// The parts of the dealer that issue tokens, borrowed for one request.
pub struct Dealer<'a> {
    pub issuer: &'a TokenIssuer,
    pub registry: &'a ClientRegistry,
    pub users: &'a Users,
    /// Told of every token issued and every failed authentication.
    pub events: &'a dyn Events,
    /// Verifies client assertions (`private_key_jwt`).
    pub assertions: &'a ClientAssertions,
    /// Authenticates clients by their workloads' tokens (trusted issuers).
    pub federation: &'a Federation,
    /// Where DPoP proofs' `jti`s are spent, shared by every instance on the store.
    pub single_use: &'a dyn SingleUse,
}

impl Dealer<'_> {
    /// The client behind `auth`: unknown, wrong secret and disabled all fail as `invalid_client`
    /// after the same work; the reason goes to the metrics and the audit log only. A client
    /// registered with a TLS method (RFC 8705) is judged by its certificate instead, after the
    /// same digest work, and refused if it also sent a secret.
    pub async fn authenticate(
        &self,
        auth: &ClientAuth,
        origin: &Origin,
        now: UnixTime,
    ) -> Result<Client, OAuthError> {
        if let Some(assertion) = &auth.assertion {
            // Boxed: the assertion's future (a store write, maybe a fetch) would otherwise size
            // every secret client's request future too.
            return Box::pin(self.authenticate_assertion(auth, assertion, origin, now)).await;
        }
        let found = self.registry.find(&auth.client_id)?;
        let outcome = match found {
            Some(client) if client.auth_method.by_certificate() => {
                // The digest work of a secret check, its outcome aside: the same cost as for
                // any other client before the certificate is looked at.
                let _ = authenticate_why(None, &auth.client_secret, now);
                by_certificate(client, &auth.client_secret, auth.certificate.as_ref())
            }
            found => authenticate_why(found, &auth.client_secret, now),
        };
        outcome.map_err(|reason| {
            self.events
                .auth_failed(&auth.client_id, reason, origin, now);
            OAuthError::InvalidClient
        })
    }

    /// The client a client assertion authenticates; every failure is `invalid_client` after the
    /// same work, its reason told to the events only.
    async fn authenticate_assertion(
        &self,
        auth: &ClientAuth,
        assertion: &Result<ClientAssertion, Malformed>,
        origin: &Origin,
        now: UnixTime,
    ) -> Result<Client, OAuthError> {
        let outcome = match assertion {
            Ok(assertion) => match self.federation.trusted(&assertion.claims.iss)? {
                // A workload's token: its issuer is trusted, its `sub` names the client.
                Some(trusted) => {
                    let client_id = Some(auth.client_id.as_str()).filter(|id| !id.is_empty());
                    let federation = self.federation;
                    federation
                        .authenticate(&trusted, assertion, client_id, self.registry, now)
                        .await?
                        .map_err(Refused::Reason)
                }
                None => {
                    let found = self.registry.find(&assertion.claims.sub)?;
                    self.assertions.authenticate(found, assertion, now).await
                }
            },
            Err(_) => {
                // A lookup and a verification, as a readable assertion costs.
                let _ = self.registry.find("");
                self.assertions.decoy_for_malformed();
                Err(Refused::Reason(FailureReason::MalformedAssertion))
            }
        };
        match outcome {
            Ok(client) => Ok(client),
            Err(Refused::Reason(reason)) => {
                self.events
                    .auth_failed(&auth.client_id, reason, origin, now);
                Err(OAuthError::InvalidClient)
            }
            Err(Refused::Store(e)) => Err(e.into()),
        }
    }

    /// Authenticates the client, then issues a token for `request` at `now`; `origin` is where
    /// the request came from (login lockout counts by address). A grant part that could not be
    /// read (`Err`) is answered only after the client authenticated: an unauthenticated caller
    /// always gets `invalid_client`, and every failed authentication is counted and audited.
    ///
    /// `binding` is the key the edge found the request bound to (RFC 7800 `cnf`): a DPoP
    /// proof's, the connection's client certificate's (RFC 8705 §3). `dpop` is the DPoP proof
    /// the edge checked, whose `jti` is spent here, once the request is otherwise valid.
    pub async fn issue(
        &self,
        auth: &ClientAuth,
        request: Result<TokenRequest, OAuthError>,
        binding: Option<Confirmation>,
        dpop: Option<&DpopProof>,
        origin: &Origin,
        now: UnixTime,
    ) -> Result<IssuedToken, OAuthError> {
        let client = self.authenticate(auth, origin, now).await?;
        let request = request?;
        if dpop.is_none() && client.dpop_bound {
            return Err(OAuthError::invalid_request(
                "this client's tokens are DPoP-bound: send a DPoP proof (RFC 9449 §5)",
            ));
        }
        if let Err(refused) = self.issuer.ensure_signs_for(&client) {
            self.events.alg_withdrawn(&client.id, client.alg);
            return Err(refused);
        }
        let (grant, claims) = match &request {
            TokenRequest::ClientCredentials(r) => (
                GrantType::ClientCredentials,
                client_credentials::claims(self.issuer, &client, r, now)?,
            ),
            TokenRequest::Password(r) => (
                GrantType::Password,
                // Boxed: the password grant's future (a password hash) would otherwise size
                // every client-credentials request's future too.
                Box::pin(password::claims(
                    self.issuer,
                    self.users,
                    &client,
                    r,
                    origin,
                    now,
                ))
                .await?,
            ),
            TokenRequest::Unsupported => return Err(OAuthError::UnsupportedGrantType),
        };
        // Spent only now, the request being otherwise valid (client, grant, audience, scope,
        // user): a refused request must not fill the shared record without costing a signature.
        if let Some(proof) = dpop {
            dpop::spend(self.single_use, client.id.as_str(), proof, now).await?;
        }
        let issued = grant::issue(self.issuer, &client, claims, binding).await?;
        self.events.token_issued(Issued::Grant(grant), client.alg);
        Ok(issued)
    }
}

/// A TLS client's authentication (RFC 8705 §2): its certificate decides; a secret sent as
/// well is the wrong method. As with a secret, a disabled client fails only once its
/// credential is right.
fn by_certificate(
    client: Client,
    secret: &str,
    certificate: Option<&ClientCertificate>,
) -> Result<Client, FailureReason> {
    if !secret.is_empty() {
        return Err(FailureReason::WrongMethod);
    }
    client.auth_method.check_certificate(certificate)?;
    if client.disabled {
        return Err(FailureReason::DisabledClient);
    }
    Ok(client)
}
