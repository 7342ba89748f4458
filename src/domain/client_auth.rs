//! How a client authenticates (RFC 8414 token_endpoint_auth_method): by secret, by a signed assertion, by TLS certificate.

use serde::{Deserialize, Serialize};

/// How a client proves who it is at the token, introspection and revocation endpoints. A
/// client whose method is not [`ClientAuthMethod::ClientSecret`] has no usable secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ClientAuthMethod {
    /// A shared secret, by HTTP Basic or in the form (RFC 6749 §2.3.1).
    #[default]
    ClientSecret,
    /// A token of a trusted external issuer (a Kubernetes service account's, a SPIFFE JWT-SVID,
    /// a CI job's OIDC token) sent as the `client_assertion`, whose `sub` is one of these.
    Federated { subjects: Vec<FederatedSubject> },
}

impl ClientAuthMethod {
    /// Whether the client's stored secret may authenticate it.
    pub fn uses_secret(&self) -> bool {
        matches!(self, Self::ClientSecret)
    }

    /// The external subjects bound to the client: none unless it is federated.
    pub fn federated_subjects(&self) -> &[FederatedSubject] {
        match self {
            Self::Federated { subjects } => subjects,
            _ => &[],
        }
    }
}

/// The exact `sub` a trusted issuer's tokens carry for one workload (Kubernetes
/// `system:serviceaccount:billing:worker`, SPIFFE `spiffe://prod.example/ns/billing/sa/worker`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FederatedSubject {
    /// The trusted issuer's name (`tokendealer trust add NAME`).
    pub trust: String,
    pub subject: String,
}
