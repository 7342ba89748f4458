//! The route table: each path, the methods it takes, its handler, and the authorization it
//! declares ([`Access`]), which [`super::access::authorize`] applies before any handler runs.
//! Under `/admin/` one row hands over to the admin API's own table, one row per operation.

use http::Method;

use super::access::Access;
use super::error::Rejection;
use super::oauth::discovery::{self, Document};

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
    /// The admin API: its table (`admin/table.rs`) names each operation.
    Admin,
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
        Access::PerOperation,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bearer_route_declares_its_authorization_and_the_rest_are_named() {
        // Under `/admin/`, the admin table's row declares it.
        let access = |path: &str, method: Method| match find(path, &method, true).ok()? {
            (_, r) if r.access == Access::PerOperation => {
                Some(super::super::admin::declared_access(path, &method))
            }
            (_, r) => Some(r.access),
        };
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
