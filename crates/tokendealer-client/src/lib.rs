//! The service-side library: fetch tokens from the dealer, verify them, guard routes with them.
//!
//! - [`TokenSource`] gets client-credentials tokens, caches them, and shares one request
//!   among concurrent callers; [`TokenSource::send_authorized`] retries once on a 401.
//!   It authenticates with a secret, a [`ClientAssertionKey`] (`private_key_jwt`) or a token
//!   file ([`TokenSource::assertion_file`]), and binds tokens to a DPoP [`SigningKey`] or a
//!   client certificate ([`TokenSourceBuilder::dpop`], [`TokenSourceBuilder::client_certificate`]).
//! - [`Verifier`] checks RS512 (or other allowed asymmetric) JWT access tokens locally
//!   against the dealer's JWKS; [`IntrospectionVerifier`] asks the dealer instead. Both
//!   implement [`VerifyToken`].
//! - [`dpop::verify_proof`] checks a DPoP proof (RFC 9449 §4.3) for the dealer's token endpoint
//!   and for a service receiving DPoP-bound tokens.
//! - [`RequireAccess`] is a tower layer that admits requests whose token carries the
//!   route's scopes, or whose roles allow the route's rule in an [`AccessMap`]; with a
//!   [`ResourceMetadata`] it also publishes the service's RFC 9728 metadata and names it in
//!   its challenges, so clients that know only the service's URL find the dealer.
//!   It enforces bound tokens: `cnf.jkt` with a DPoP proof, `cnf.x5t#S256` with the
//!   [`PeerCertificate`] of the connection.
//!
//! Protecting an axum route (any tower stack over `http` types works the same way):
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tokendealer_client::{AccessMap, RequireAccess, ServerMetadata, Verifier};
//!
//! let http = reqwest::Client::new();
//! let dealer = ServerMetadata::discover(&http, "https://dealer.internal").await?;
//! let verifier = Verifier::from_metadata(&dealer, "runs").build()?;
//! let access = AccessMap::from_path("roles.yml")?;
//!
//! let read_runs = RequireAccess::new(verifier.clone()).scope("runs:read");
//! let admin = RequireAccess::new(verifier).rule("runs:admin", access);
//! // router.route("/runs", get(list_runs).layer(read_runs))
//! //       .route("/admin", post(purge).layer(admin));
//! // Handlers read the caller with `Extension(claims): Extension<Claims>`.
//! # let _ = (read_runs, admin);
//! # Ok(()) }
//! ```
//!
//! And calling such a service:
//!
//! ```no_run
//! # async fn run() -> Result<(), tokendealer_client::ClientError> {
//! use tokendealer_client::TokenSource;
//!
//! let source = TokenSource::builder("https://dealer.internal/oauth/token", "strava", "s3cret")
//!     .audience("runs")
//!     .scope(&["runs:read"])
//!     .build()?;
//! let response = source
//!     .send_authorized(|http| http.get("https://runs.internal/runs"))
//!     .await?;
//! # let _ = response;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod access;
mod access_token;
mod assertion;
mod authorized;
mod binding;
mod claims;
mod discovery;
pub mod dpop;
mod dpop_proof;
mod error;
mod introspection;
mod jwks;
mod middleware;
pub mod public_key;
mod refusal;
mod resource_metadata;
mod signing;
mod token_source;
mod verifier;
pub mod wire;

#[cfg(test)]
mod tests;

pub use access::AccessMap;
pub use access_token::AccessToken;
pub use assertion::ClientAssertionKey;
pub use binding::{PeerAddr, PeerCertificate};
pub use claims::{Claims, Wfc};
pub use discovery::ServerMetadata;
pub use error::{AccessMapError, ClientError, VerifyError};
pub use introspection::IntrospectionVerifier;
pub use jsonwebtoken::Algorithm;
pub use middleware::{RequireAccess, RequireAccessService};
pub use resource_metadata::{ResourceMetadata, ResourceMetadataBuilder};
pub use signing::SigningKey;
pub use token_source::{AuthMethod, TokenSource, TokenSourceBuilder};
pub use verifier::{Verifier, VerifierBuilder, VerifyToken};
