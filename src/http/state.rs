//! What every handler can reach: the dealer's parts, built once by `startup` and shared by all
//! connections.

use std::time::Duration;

use super::body::BodyBudget;
use super::console::session::Console;
use super::oauth::discovery::Discovery;
use crate::domain::{ClientRegistry, Revocations, TokenIssuer};
use crate::telemetry::Telemetry;

/// What every handler can reach. Built once by `startup`, shared by all connections.
pub struct AppState {
    pub registry: ClientRegistry,
    pub issuer: TokenIssuer,
    pub revocations: Revocations,
    /// The discovery documents (RFC 8414 and OpenID Connect), serialized once.
    pub metadata: Discovery,
    /// `Cache-Control` of the JWKS and the metadata (`public, max-age=<jwks_max_age>`), made
    /// once: these are the most requested documents.
    pub public_cache_control: http::HeaderValue,
    /// The total time a request body may take to arrive.
    pub body_read_timeout: Duration,
    /// Request body bytes held at once, across every connection.
    pub body_budget: BodyBudget,
    /// Users, passwords, lockout: the password grant and the tokenleader-compatible API.
    pub users: crate::domain::users::Users,
    /// Metrics and the audit trail.
    pub telemetry: Telemetry,
    /// The console's operators (their own accounts).
    pub operators: crate::domain::operators::Operators,
    /// The web console: its settings and sessions.
    pub console: Console,
    /// Trusted external issuers (workload identity federation).
    pub federation: crate::domain::federation::TrustedIssuers,
    /// Authenticates clients by those issuers' tokens.
    pub federated: crate::domain::federation::Federation,
    /// What `/readyz` answers: the stop and the store's health.
    pub readiness: crate::domain::readiness::Readiness,
    /// Client certificates (RFC 8705): the connection's or a trusted proxy's, and the client CA.
    pub client_certs: super::client_cert::ClientCertificates,
    /// Identifiers accepted once (client assertion and DPoP `jti`s), shared by every instance on
    /// the store.
    pub single_use: std::sync::Arc<dyn crate::domain::ports::SingleUse>,
    /// Verifies client assertions (`private_key_jwt`).
    pub assertions: crate::domain::assertion::ClientAssertions,
    /// DPoP at the token endpoint: the proof checks, the nonces.
    pub dpop: crate::domain::dpop::Dpop,
}

impl AppState {
    /// The token endpoint's entry point, over this dealer's parts.
    pub fn dealer(&self) -> crate::domain::Dealer<'_> {
        crate::domain::Dealer {
            issuer: &self.issuer,
            registry: &self.registry,
            users: &self.users,
            events: &self.telemetry,
            assertions: &self.assertions,
            federation: &self.federated,
            single_use: self.single_use.as_ref(),
        }
    }

    /// The checks of sender-constrained tokens at the dealer's own endpoints.
    pub fn binding(&self) -> crate::domain::binding::Binding<'_> {
        crate::domain::binding::Binding {
            dpop: &self.dpop,
            single_use: self.single_use.as_ref(),
        }
    }

    /// The authorization step, over this dealer's parts.
    pub fn access(&self) -> crate::domain::Access<'_> {
        crate::domain::Access {
            issuer: &self.issuer,
            revocations: &self.revocations,
            registry: &self.registry,
            directory: &self.users.directory,
        }
    }
}
