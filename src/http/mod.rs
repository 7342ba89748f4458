//! The HTTP edge: routing, request parsing and error responses. The only module that knows hyper.

mod admin;
mod catalog;
mod connection;
mod error;
mod import_admin;
mod introspect;
mod peer;
mod request;
mod response;
pub mod server;
mod token;
mod tokenleader;
mod users_admin;
mod wellknown;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, Version, header};
use hyper::body::Incoming;

pub use error::{Body, Rejection};
pub use wellknown::{endpoint_url, metadata_document};

use crate::domain::{ClientRegistry, OAuthError, Revocations, TokenIssuer};

/// What every handler can reach. Built once by `startup`, shared by all connections.
pub struct AppState {
    pub registry: ClientRegistry,
    pub issuer: TokenIssuer,
    pub revocations: Revocations,
    /// The RFC 8414 document, serialized once.
    pub metadata: Bytes,
    pub jwks_max_age: u64,
    pub default_token_ttl: u64,
    pub max_token_ttl: u64,
    /// The total time a request body may take to arrive.
    pub body_read_timeout: Duration,
    /// Users, passwords, lockout: the password grant and the tokenleader-compatible API.
    pub users: crate::domain::users::Users,
}

impl AppState {
    /// The token endpoint's entry point, over this dealer's parts.
    pub fn dealer(&self) -> crate::domain::Dealer<'_> {
        crate::domain::Dealer {
            issuer: &self.issuer,
            registry: &self.registry,
            users: &self.users,
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

/// Answers one request. Never fails: every error becomes a response.
pub async fn handle(
    state: Arc<AppState>,
    peer: SocketAddr,
    mut req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    req.extensions_mut().insert(peer::Peer(peer));
    // Copying the method and path costs two allocations per request: only when debug is on.
    let logged = tracing::enabled!(tracing::Level::DEBUG)
        .then(|| (req.method().clone(), req.uri().path().to_owned()));
    let routed = if host_is_valid(&req) {
        route(&state, req).await
    } else {
        Err(OAuthError::invalid_request("exactly one valid Host header is required").into())
    };
    let response = routed.unwrap_or_else(Rejection::into_response);
    if let Some((method, path)) = logged {
        tracing::debug!(%peer, %method, %path, status = response.status().as_u16(), "request");
    }
    Ok(response)
}

async fn route(state: &AppState, req: Request<Incoming>) -> Result<Response<Body>, Rejection> {
    let get = req.method() == Method::GET || req.method() == Method::HEAD;
    let post = req.method() == Method::POST;
    match req.uri().path() {
        "/oauth/token" if post => token::token(state, req).await,
        "/oauth/introspect" if post => introspect::introspect(state, req).await,
        "/oauth/revoke" if post => introspect::revoke(state, req).await,
        "/oauth/token" | "/oauth/introspect" | "/oauth/revoke" => {
            Err(Rejection::MethodNotAllowed("POST"))
        }
        "/.well-known/jwks.json" => wellknown::public(&req, || wellknown::jwks(state)),
        "/.well-known/oauth-authorization-server" => {
            wellknown::public(&req, || wellknown::metadata(state))
        }
        "/healthz" if get => Ok(wellknown::healthz()),
        "/healthz" => Err(Rejection::MethodNotAllowed("GET, HEAD")),
        path if tokenleader::handles(path) => tokenleader::route(state, req).await,
        path if catalog::handles(path) => catalog::route(state, req).await,
        path if path.starts_with("/admin/") => {
            let segments = decode_segments(&path["/admin/".len()..]).ok_or(Rejection::NotFound)?;
            if users_admin::serves(&segments) {
                users_admin::route(state, req, &segments).await
            } else if import_admin::serves(&segments) {
                import_admin::route(state, req, &segments).await
            } else {
                admin::route(state, req, &segments).await
            }
        }
        _ => Err(Rejection::NotFound),
    }
}

/// RFC 9112 §3.2: an HTTP/1.1 request without `Host`, or any request with several or a malformed
/// one, gets a 400. HTTP/1.0 may omit it; HTTP/2 carries the authority in `:authority` instead.
fn host_is_valid<B>(req: &Request<B>) -> bool {
    let mut hosts = req.headers().get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (None, _) => req.version() != Version::HTTP_11,
        (Some(host), None) => {
            host.is_empty() || http::uri::Authority::try_from(host.as_bytes()).is_ok()
        }
        (Some(_), Some(_)) => false,
    }
}

/// Splits a path into percent-decoded segments; `None` if one is not UTF-8.
fn decode_segments(path: &str) -> Option<Vec<String>> {
    path.trim_end_matches('/')
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .ok()
                .map(|c| c.into_owned())
        })
        .collect()
}
