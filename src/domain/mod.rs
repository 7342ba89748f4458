//! The dealer's domain: clients, secrets, audiences, scopes, grants, claims and keys.
//! It knows neither HTTP nor sled; time comes in as a `now` argument. It owns the ports it
//! needs: storage's ([`ports`]) and the one telemetry listens on ([`events`]).

pub mod access;
pub mod assertion;
pub mod auth_failure;
pub mod binding;
pub mod client;
pub mod client_auth;
pub mod dealer;
pub mod dpop;
pub mod error;
pub mod events;
pub mod federation;
pub mod fetch_address;
pub mod grant;
pub mod introspection;
pub mod keys;
pub mod operators;
pub mod origin;
pub mod ports;
pub mod pubkey;
pub mod readiness;
pub mod registration;
pub mod registry;
pub mod revocation;
pub mod scope;
pub mod secret;
pub mod time;
pub mod token;
pub mod token_budget;
pub mod users;

pub use access::{Access, Requirement};
pub use client::{
    Client, ClientId, ClientSecret, GrantType, SecretDigest, authenticate, authenticate_why,
};
pub use client_auth::{ClientAuthMethod, ClientCertificate, FederatedSubject};
pub use dealer::{ClientAuth, Dealer, TokenRequest};
pub use error::{AdminError, OAuthError};
pub use introspection::{INTROSPECT_SCOPE, Introspection};
pub use ports::{StoreError, StoreUnavailable};
pub use registration::{ClientRequest, Grace, NewClient, RegistrationPolicy};
pub use registry::{ClientPage, ClientRegistry};
pub use revocation::{DEFAULT_MAX_REVOCATIONS_PER_CLIENT, Revocation, Revocations, RevokedToken};
pub use scope::{Audience, Scope, ScopeSet};
pub use time::UnixTime;
pub use token::{AccessClaims, Confirmation, TokenIssuer, WfcClaim, new_claims};

/// The audience of tokens that call this dealer's own admin API.
pub const ADMIN_AUDIENCE: &str = "urn:tokendealer:admin";
/// The admin client the first start creates; the command line uses it, by its secret (in the
/// data dir's `admin-credentials.json`).
pub const BOOTSTRAP_ADMIN_ID: &str = "admin";
/// The scope a client needs to use the admin API.
pub const ADMIN_SCOPE: &str = "tokendealer:admin";
