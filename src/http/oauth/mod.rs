//! The OAuth 2.0 endpoints: the token endpoint (RFC 6749 §4.4, §4.3), introspection (RFC 7662),
//! revocation (RFC 7009), and the public documents verifiers read: the JWKS (RFC 7517) and the
//! discovery documents (RFC 8414, OpenID Connect Discovery).

mod credentials;
pub mod discovery;
pub mod dpop;
pub mod introspection;
pub mod revocation;
pub mod token;
pub mod wellknown;

use http::Request;
use hyper::body::Incoming;

use super::error::Rejection;
use super::request::{Form, read_body};
use super::state::AppState;
use crate::domain::{Client, UnixTime};
use credentials::client_auth;

/// Reads the form and authenticates the client behind it, as the token endpoint does. Client
/// authentication comes before any look at `token`: an unauthenticated caller learns nothing.
async fn authenticated_form(
    state: &AppState,
    req: Request<Incoming>,
    now: UnixTime,
) -> Result<(Client, Form), Rejection> {
    let (parts, body) = req.into_parts();
    let body = read_body(body, state).await?;
    let form = Form::parse(&parts.headers, &body)?;
    let certificate = state.client_certs.presented(&parts)?;
    let (auth, presented) = client_auth(&parts.headers, &form, certificate)?;
    let origin = super::peer::origin(&parts.extensions);
    let client = state
        .dealer()
        .authenticate(&auth, &origin, now)
        .await
        .map_err(|e| presented.reject(e))?;
    Ok((client, form))
}
