//! `POST /oauth/introspect` (RFC 7662) and `POST /oauth/revoke` (RFC 7009), for authenticated clients.
//!
//! Both take a form with `token` (and an optional `token_type_hint`, ignored: the dealer issues
//! access tokens only) and authenticate the caller exactly as the token endpoint does. Who may
//! see or revoke which token is the domain's policy: [`crate::domain::introspection`] and
//! [`crate::domain::revocation`].

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;

use super::AppState;
use super::error::{Body, Rejection};
use super::request::{Form, client_auth, read_body};
use super::response::json_no_store;
use crate::domain::{Client, UnixTime, introspection};

pub async fn introspect(
    state: &AppState,
    req: Request<Incoming>,
) -> Result<Response<Body>, Rejection> {
    let now = UnixTime::now();
    let (caller, form) = authenticated_form(state, req, now).await?;
    let token = form.require("token")?;
    let answer = introspection::introspect(&state.access(), &caller, token, now)?;
    Ok(json_no_store(StatusCode::OK, &answer))
}

pub async fn revoke(state: &AppState, req: Request<Incoming>) -> Result<Response<Body>, Rejection> {
    let now = UnixTime::now();
    let (caller, form) = authenticated_form(state, req, now).await?;
    let token = form.require("token")?;
    let outcome = state
        .revocations
        .revoke(&state.issuer, &caller, token, now)
        .await?;
    tracing::debug!(caller = %caller.id, ?outcome, "revocation request");
    // RFC 7009 §2.2: 200 whether or not there was anything to revoke; the body is ignored.
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

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
    let (auth, presented) = client_auth(&parts.headers, &form)?;
    let origin = super::peer::origin(&parts.extensions);
    let client = state
        .dealer()
        .authenticate(&auth, &origin, now)
        .map_err(|e| presented.reject(e))?;
    Ok((client, form))
}
