//! RFC 9728 protected resource metadata: the document that lets a client knowing only a
//! service's URL find the dealer that issues its tokens.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE, ALLOW, CACHE_CONTROL, CONTENT_TYPE,
};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use reqwest::Url;
use serde::Serialize;
use tower::Service;

use super::error::ClientError;

/// RFC 9728 §3's default well-known URI suffix.
const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The document changes only with the service's configuration, and RFC 9728 §5.2 lets the
/// service say so in its next challenge; five minutes matches the dealer's key-set default.
const CACHE: &str = "max-age=300";

const METHODS: &str = "GET, HEAD, OPTIONS";

/// A protected resource's RFC 9728 metadata, built once and served as it was built.
///
/// Hand it to [`RequireAccess::resource_metadata`](super::RequireAccess::resource_metadata):
/// the layer then answers `GET` at [`well_known_path`](Self::well_known_path) itself and adds
/// `resource_metadata="…"` to its challenges. Behind axum's `route_layer`, which only sees
/// routes that matched, mount the document too: it is a tower `Service`
/// (`router.route_service(metadata.well_known_path(), metadata.clone())`).
///
/// The document holds `resource`, `authorization_servers`, `bearer_methods_supported`
/// (`["header"]`: the layer reads `Authorization: Bearer` and `X-Auth-Token`, never a query
/// or a body) and, when given, `scopes_supported` and `resource_name`. It is public, so it is
/// sent with `Access-Control-Allow-Origin: *`, and `Cache-Control: max-age=300`.
#[derive(Clone, Debug)]
pub struct ResourceMetadata {
    inner: Arc<Published>,
}

#[derive(Debug)]
struct Published {
    resource: String,
    url: String,
    path: String,
    /// The path without the resource's trailing slash, where some clients look.
    unslashed: Option<String>,
    document: String,
}

/// Configures a [`ResourceMetadata`].
#[derive(Debug)]
pub struct ResourceMetadataBuilder {
    resource: String,
    authorization_servers: Vec<String>,
    scopes: Vec<String>,
    name: Option<String>,
}

/// RFC 9728 §2's names, exactly; §3.2: a parameter with no values is left out.
#[derive(Serialize)]
struct Document<'a> {
    resource: &'a str,
    authorization_servers: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    scopes_supported: &'a [String],
    bearer_methods_supported: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_name: Option<&'a str>,
}

impl ResourceMetadata {
    /// Starts describing the resource whose identifier is `resource`: the URL clients are
    /// given for the service (for an MCP server, its endpoint URL), and the audience its
    /// tokens are issued for. RFC 9728 §3.3 has a client drop the document unless `resource`
    /// is exactly the URL it called, so give it as clients will type it.
    pub fn builder(resource: impl Into<String>) -> ResourceMetadataBuilder {
        ResourceMetadataBuilder {
            resource: resource.into(),
            authorization_servers: Vec::new(),
            scopes: Vec::new(),
            name: None,
        }
    }

    /// The resource identifier, as given.
    pub fn resource(&self) -> &str {
        &self.inner.resource
    }

    /// Where the document is served: the well-known URI inserted between the resource's host
    /// and its path (RFC 9728 §3.1), e.g. `https://api.example/.well-known/oauth-protected-resource/mcp`
    /// for `https://api.example/mcp`. This is the challenges' `resource_metadata`.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The path of [`url`](Self::url), to route requests by. For a resource whose path ends
    /// in `/`, the layer also answers at this path without it, where some clients look.
    pub fn well_known_path(&self) -> &str {
        &self.inner.path
    }

    /// True when a request for `path` asks for this document.
    pub(crate) fn is_at(&self, path: &str) -> bool {
        path == self.inner.path || self.inner.unslashed.as_deref() == Some(path)
    }

    /// The JSON document, as served.
    pub fn document(&self) -> &str {
        &self.inner.document
    }

    /// The answer to a request for the document: 200 for `GET` and `HEAD`, a CORS preflight's
    /// 204 for `OPTIONS`, 405 otherwise.
    pub(crate) fn answer<B: From<String>>(&self, method: &Method) -> Response<B> {
        let (status, body) = match *method {
            Method::GET | Method::HEAD => (StatusCode::OK, self.inner.document.clone()),
            Method::OPTIONS => (StatusCode::NO_CONTENT, String::new()),
            _ => (StatusCode::METHOD_NOT_ALLOWED, String::new()),
        };
        let mut response = Response::new(B::from(body));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        match status {
            StatusCode::OK => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                headers.insert(CACHE_CONTROL, HeaderValue::from_static(CACHE));
            }
            StatusCode::NO_CONTENT => {
                headers.insert(
                    ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static(METHODS),
                );
                // Browser MCP clients add their own headers (MCP-Protocol-Version); a
                // wildcard is honoured because the document is never sent with credentials.
                headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("*"));
                headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
                headers.insert(ALLOW, HeaderValue::from_static(METHODS));
            }
            _ => {
                headers.insert(ALLOW, HeaderValue::from_static(METHODS));
            }
        }
        response
    }
}

impl ResourceMetadataBuilder {
    /// Adds the issuer identifier of an authorization server whose tokens the service accepts
    /// (the dealer's `issuer`, as in its metadata: `ServerMetadata::issuer`). At least one.
    pub fn authorization_server(mut self, issuer: impl Into<String>) -> Self {
        self.authorization_servers.push(issuer.into());
        self
    }

    /// The scopes a client may ask for this resource (`scopes_supported`); RFC 9728 §7.2: a
    /// client still asks only for those it needs.
    pub fn scopes_supported(mut self, scopes: &[&str]) -> Self {
        self.scopes.extend(scopes.iter().map(|s| (*s).to_owned()));
        self
    }

    /// A human-readable name (`resource_name`), which RFC 9728 recommends.
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Builds the document. Fails when the resource is not an absolute `http(s)` URL without
    /// credentials, query or fragment, when no authorization server was given or one is not
    /// such a URL, or when a scope is not an RFC 6749 §3.3 scope token.
    pub fn build(self) -> Result<ResourceMetadata, ClientError> {
        let url = parse_identifier("resource", &self.resource)?;
        if self.authorization_servers.is_empty() {
            return Err(ClientError::Config(
                "resource metadata names no authorization server".into(),
            ));
        }
        for issuer in &self.authorization_servers {
            parse_identifier("authorization server", issuer)?;
        }
        if let Some(bad) = self.scopes.iter().find(|s| !is_scope_token(s)) {
            return Err(ClientError::Config(format!(
                "{bad:?} is not a scope token (RFC 6749 §3.3: printable ASCII without spaces, '\"' or '\\')"
            )));
        }
        let document = serde_json::to_string(&Document {
            resource: &self.resource,
            authorization_servers: &self.authorization_servers,
            scopes_supported: &self.scopes,
            bearer_methods_supported: ["header"],
            resource_name: self.name.as_deref(),
        })
        .map_err(|e| ClientError::Config(format!("resource metadata: {e}")))?;
        // §3.1 removes "any terminating slash following the host component": `https://h/` and
        // `https://h` share `/.well-known/oauth-protected-resource`. Clients read it differently
        // for a longer path (oauth4webapi keeps `/mcp/`'s slash, the MCP SDKs drop it), so
        // the layer answers at both places and announces the literal one.
        let rest = if url.path() == "/" { "" } else { url.path() };
        let path = format!("{WELL_KNOWN}{rest}");
        let unslashed = rest
            .strip_suffix('/')
            .map(|trimmed| format!("{WELL_KNOWN}{trimmed}"));
        Ok(ResourceMetadata {
            inner: Arc::new(Published {
                url: format!("{}{path}", url.origin().ascii_serialization()),
                path,
                unslashed,
                resource: self.resource,
                document,
            }),
        })
    }
}

/// An absolute `http(s)` URL with a host, as RFC 9728 §1.2 and RFC 8414 §2 want identifiers.
/// `http` stays allowed for development, as the dealer allows an `http` issuer.
fn parse_identifier(what: &str, raw: &str) -> Result<Url, ClientError> {
    let bad = |why: &str| ClientError::Config(format!("{what} {raw:?} {why}"));
    let url = Url::parse(raw).map_err(|e| bad(&format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(bad("is not an http(s) URL with a host"));
    }
    if url.fragment().is_some() || url.query().is_some() {
        return Err(bad("has a query or a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("carries credentials"));
    }
    Ok(url)
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// The document as a service of its own, for routers that send only matched routes through
/// [`RequireAccess`](super::RequireAccess).
impl<B> Service<Request<B>> for ResourceMetadata {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ready(Ok(self.answer(request.method())))
    }
}
