//! The route table: each path, the methods it takes, its handler, and the authorization it
//! declares. [`authorize`] applies that declaration before any handler runs; no handler checks
//! a bearer token itself.

use http::{HeaderMap, Method};

use super::AppState;
use super::error::Rejection;
use super::oauth::discovery::{self, Document};
use super::request::bearer_token;
use crate::domain::users::tokenleader;
use crate::domain::{AccessClaims, OAuthError, Requirement, UnixTime};

/// What a route asks of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    /// Nothing: public documents, health, the active public key.
    Public,
    /// The client authenticates in the request itself (RFC 6749 §2.3.1); the handler does it
    /// through the domain's `Dealer`, in constant time.
    Client,
    /// A user's credentials or token in tokenleader's shapes; the handler checks them and
    /// answers in tokenleader's dialect.
    Tokenleader,
    /// A live access token of this dealer for any audience, or a live tokenleader-layout one
    /// (in `Authorization: Bearer` or `X-Auth-Token`).
    AnyToken,
    /// The admin audience and scope.
    Admin,
    /// The admin audience and scope, or a user token with a role in `users.user_list_roles`.
    UserListing,
    /// The console: its pages check an operator's session cookie (and, for a POST, the
    /// session's CSRF token) themselves; the login page and static files need neither.
    Console,
}

/// Who serves a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Handler {
    Token,
    Introspect,
    Revoke,
    Jwks,
    /// A discovery document: which one, and the route has only its well-known prefix (the
    /// handler checks the issuer's path after it).
    Metadata(Document),
    /// Liveness: `/healthz` and `/livez`.
    Healthz,
    /// Readiness: `/readyz`.
    Readyz,
    Tokenleader,
    ActiveKey,
    Catalog,
    Admin,
    /// `GET /admin/audit`: the recent audit events.
    Audit,
    Console,
}

#[derive(Debug, Clone, Copy)]
enum Path {
    Exact(&'static str),
    Prefix(&'static str),
}

/// One row: `methods` empty means the handler sorts methods out itself (and answers 405).
#[derive(Debug)]
pub(super) struct Route {
    path: Path,
    methods: &'static [Method],
    allow: &'static str,
    pub access: Access,
    pub handler: Handler,
}

const POST: &[Method] = &[Method::POST];
const GET: &[Method] = &[Method::GET, Method::HEAD];
const ANY: &[Method] = &[];
const CONSOLE: &[Method] = &[Method::GET, Method::HEAD, Method::POST];

const fn row(
    path: Path,
    methods: &'static [Method],
    allow: &'static str,
    access: Access,
    handler: Handler,
) -> Route {
    Route {
        path,
        methods,
        allow,
        access,
        handler,
    }
}

/// First match wins.
const ROUTES: &[Route] = &[
    row(
        Path::Exact("/oauth/token"),
        POST,
        "POST",
        Access::Client,
        Handler::Token,
    ),
    row(
        Path::Exact("/oauth/introspect"),
        POST,
        "POST",
        Access::Client,
        Handler::Introspect,
    ),
    row(
        Path::Exact("/oauth/revoke"),
        POST,
        "POST",
        Access::Client,
        Handler::Revoke,
    ),
    // GET, HEAD and the CORS preflight: the handler answers OPTIONS itself.
    row(
        Path::Exact("/.well-known/jwks.json"),
        ANY,
        "",
        Access::Public,
        Handler::Jwks,
    ),
    row(
        Path::Exact(discovery::OAUTH_METADATA),
        ANY,
        "",
        Access::Public,
        Handler::Metadata(Document::OAuth),
    ),
    row(
        Path::Exact(discovery::OPENID_CONFIGURATION),
        ANY,
        "",
        Access::Public,
        Handler::Metadata(Document::OpenId),
    ),
    // RFC 8414 §3.1: the issuer's path after the well-known suffix (and §5 for OpenID's).
    row(
        Path::Prefix("/.well-known/oauth-authorization-server/"),
        ANY,
        "",
        Access::Public,
        Handler::Metadata(Document::OAuth),
    ),
    row(
        Path::Prefix("/.well-known/openid-configuration/"),
        ANY,
        "",
        Access::Public,
        Handler::Metadata(Document::OpenId),
    ),
    row(
        Path::Exact("/healthz"),
        GET,
        "GET, HEAD",
        Access::Public,
        Handler::Healthz,
    ),
    // Kubernetes' names (kube-apiserver's): liveness under its own name beside `/healthz`.
    row(
        Path::Exact("/livez"),
        GET,
        "GET, HEAD",
        Access::Public,
        Handler::Healthz,
    ),
    row(
        Path::Exact("/readyz"),
        GET,
        "GET, HEAD",
        Access::Public,
        Handler::Readyz,
    ),
    row(
        Path::Exact("/token/gettoken"),
        ANY,
        "",
        Access::Tokenleader,
        Handler::Tokenleader,
    ),
    row(
        Path::Exact("/token/verify_token"),
        ANY,
        "",
        Access::Tokenleader,
        Handler::Tokenleader,
    ),
    row(
        Path::Exact("/keys/active"),
        GET,
        "GET, HEAD",
        Access::Public,
        Handler::ActiveKey,
    ),
    row(
        Path::Exact("/catalog"),
        GET,
        "GET, HEAD",
        Access::AnyToken,
        Handler::Catalog,
    ),
    row(
        Path::Prefix("/catalog/"),
        GET,
        "GET, HEAD",
        Access::AnyToken,
        Handler::Catalog,
    ),
    row(
        Path::Exact("/admin/users"),
        GET,
        "",
        Access::UserListing,
        Handler::Admin,
    ),
    // The admin handlers read `/admin/users/` as `/admin/users`: so does its authorization.
    row(
        Path::Exact("/admin/users/"),
        GET,
        "",
        Access::UserListing,
        Handler::Admin,
    ),
    row(
        Path::Exact("/admin/audit"),
        GET,
        "GET, HEAD",
        Access::Admin,
        Handler::Audit,
    ),
    row(
        Path::Exact("/console"),
        CONSOLE,
        "GET, HEAD, POST",
        Access::Console,
        Handler::Console,
    ),
    row(
        Path::Prefix("/console/"),
        CONSOLE,
        "GET, HEAD, POST",
        Access::Console,
        Handler::Console,
    ),
    row(
        Path::Prefix("/admin/"),
        ANY,
        "",
        Access::Admin,
        Handler::Admin,
    ),
];

/// The route for `path` and `method`; `Err` is a 404, or a 405 naming the allowed methods.
/// With the row's index in the table (the request metrics' label).
/// With `console` false the console's rows are not there at all: 404, never 405.
pub(super) fn find(
    path: &str,
    method: &Method,
    console: bool,
) -> Result<(usize, &'static Route), Rejection> {
    let matches = |(_, r): &(usize, &Route)| {
        let at = match r.path {
            Path::Exact(p) => path == p,
            Path::Prefix(p) => path.starts_with(p),
        };
        at && (console || !matches!(r.handler, Handler::Console))
    };
    let mut seen = None;
    for (index, route) in ROUTES.iter().enumerate().filter(matches) {
        if route.methods.is_empty() || route.methods.contains(method) {
            return Ok((index, route));
        }
        seen.get_or_insert(route.allow);
    }
    match seen {
        // A row for this path with other methods, and no later row taking this one.
        Some(allow) if !allow.is_empty() => Err(Rejection::MethodNotAllowed(allow)),
        _ => Err(Rejection::NotFound),
    }
}

/// Whether the row at `index` is a health probe's: its 503 says "not ready", and refuses nothing.
pub(super) fn is_probe(index: usize) -> bool {
    ROUTES
        .get(index)
        .is_some_and(|r| matches!(r.handler, Handler::Healthz | Handler::Readyz))
}

/// Each row's path pattern, in table order: `/oauth/token`, `/admin/*`, … A bounded label set.
pub fn patterns() -> Vec<String> {
    ROUTES
        .iter()
        .map(|r| match r.path {
            Path::Exact(p) => p.to_owned(),
            Path::Prefix(p) => format!("{p}*"),
        })
        .collect()
}

/// Applies `access` to the request's headers: the caller's claims for a bearer route (`None`
/// for a tokenleader-layout token, which has no such claims), nothing to check otherwise.
pub(super) fn authorize(
    access: Access,
    state: &AppState,
    headers: &HeaderMap,
    now: UnixTime,
) -> Result<Option<AccessClaims>, OAuthError> {
    let bearer = |requirement| {
        let token = bearer_token(headers)?;
        state.access().authorize(token, requirement, now).map(Some)
    };
    match access {
        Access::Public | Access::Client | Access::Tokenleader | Access::Console => Ok(None),
        Access::Admin => bearer(Requirement::Admin),
        Access::UserListing => bearer(Requirement::AdminOrRole(
            &state.users.settings.user_list_roles,
        )),
        Access::AnyToken => any_token(state, headers, now),
    }
}

/// An access token of this dealer for any audience, or a tokenleader-layout one.
fn any_token(
    state: &AppState,
    headers: &HeaderMap,
    now: UnixTime,
) -> Result<Option<AccessClaims>, OAuthError> {
    let tokenleader_header = headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let token = match tokenleader_header {
        Some(t) => t,
        None => bearer_token(headers)?,
    };
    let access = state.access();
    match access.authorize(token, Requirement::AnyToken, now) {
        Ok(claims) => return Ok(Some(claims)),
        Err(OAuthError::InvalidToken(_)) => {}
        Err(other) => return Err(other),
    }
    // Not one of our access tokens: perhaps a tokenleader-layout one.
    let claims = tokenleader::verify(state.issuer.keys().ring().verifying(), token, now)
        .map_err(|_| OAuthError::InvalidToken("the token is invalid or expired"))?;
    access.ensure_tokenleader_live(&claims)?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bearer_route_declares_its_authorization_and_the_rest_are_named() {
        let access =
            |path: &str, method: Method| find(path, &method, true).map(|(_, r)| r.access).ok();
        assert_eq!(access("/admin/clients", Method::GET), Some(Access::Admin));
        assert_eq!(
            access("/admin/users", Method::GET),
            Some(Access::UserListing)
        );
        assert_eq!(access("/admin/users", Method::POST), Some(Access::Admin));
        assert_eq!(
            access("/admin/users/", Method::GET),
            Some(Access::UserListing)
        );
        assert_eq!(access("/catalog/x", Method::GET), Some(Access::AnyToken));
        assert_eq!(access("/oauth/token", Method::POST), Some(Access::Client));
        assert_eq!(access("/healthz", Method::GET), Some(Access::Public));
        assert_eq!(
            access("/console/clients", Method::POST),
            Some(Access::Console)
        );
        assert!(matches!(
            find("/oauth/token", &Method::GET, true),
            Err(Rejection::MethodNotAllowed("POST"))
        ));
        assert!(matches!(
            find("/nope", &Method::GET, true),
            Err(Rejection::NotFound)
        ));
    }
}
