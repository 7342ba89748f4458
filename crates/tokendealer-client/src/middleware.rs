//! A tower layer that lets a request through only with a valid token that meets the route's needs.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::header::{AUTHORIZATION, HeaderName};
use http::{HeaderMap, Request, Response};
use jsonwebtoken::Algorithm;
use tower::{Layer, Service};

use super::access::AccessMap;
use super::binding::{Binding, CertificateProxy, Nonces, Scheme};
use super::claims::Claims;
use super::refusal::{Refusal, refuse};
use super::resource_metadata::ResourceMetadata;
use super::verifier::VerifyToken;

/// The header tokenleader clients put their token in.
const X_AUTH_TOKEN: &str = "x-auth-token";

/// A [`Layer`] that verifies the bearer token (from `Authorization: Bearer` or
/// `X-Auth-Token`) and enforces the configured scopes and access rules.
///
/// Admitted requests carry the [`Claims`] (and the [`Wfc`](super::Wfc), when present) in
/// their extensions. Refused requests never reach the inner service: they get 401
/// `invalid_token` (RFC 6750 §3.1; a missing token gets a bare `WWW-Authenticate: Bearer`),
/// 403 `insufficient_scope`, or 503 when the token could not be checked at all.
///
/// Every added scope and rule is required (they combine with AND); a rule is met when any
/// of the token's roles allows it.
///
/// With [`resource_metadata`](Self::resource_metadata) the layer also publishes the service's
/// RFC 9728 metadata and points every challenge at it.
///
/// The response body type only needs `From<String>`, which axum's `Body`, hyper's
/// `Full<Bytes>` and `String` all provide.
#[derive(Clone)]
pub struct RequireAccess<V> {
    verifier: V,
    requirement: Arc<Requirement>,
}

#[derive(Clone, Default)]
struct Requirement {
    scopes: Vec<String>,
    rules: Vec<(String, AccessMap)>,
    metadata: Option<ResourceMetadata>,
    binding: Binding,
}

impl<V> RequireAccess<V> {
    /// Requires only a valid token; add needs with [`scope`](Self::scope) and
    /// [`rule`](Self::rule).
    pub fn new(verifier: V) -> Self {
        Self {
            verifier,
            requirement: Arc::default(),
        }
    }

    /// Also requires the token to carry `scope`.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.requirement)
            .scopes
            .push(scope.into());
        self
    }

    /// Also requires one of the token's roles to allow `rule` in `access`.
    pub fn rule(mut self, rule: impl Into<String>, access: AccessMap) -> Self {
        Arc::make_mut(&mut self.requirement)
            .rules
            .push((rule.into(), access));
        self
    }

    /// Publishes `metadata` (RFC 9728): requests for its
    /// [`well_known_path`](ResourceMetadata::well_known_path) get the document without a
    /// token, and every 401 and 403 challenge carries `resource_metadata="<url>"` (§5.1), so a
    /// client that knows only the service's URL finds the dealer. Off unless called.
    pub fn resource_metadata(mut self, metadata: ResourceMetadata) -> Self {
        Arc::make_mut(&mut self.requirement).metadata = Some(metadata);
        self
    }

    /// The service's URL as clients address it (scheme, host, port, and any path prefix a
    /// proxy strips), e.g. `https://api.example/runs-service`: DPoP proofs name it in `htu`
    /// (RFC 9449 §4.3). Without it the request's own URI is used, or `http://` and its `Host`
    /// header when the URI is only a path — wrong behind a proxy or with TLS, so set it when a
    /// DPoP-bound token may arrive.
    pub fn public_url(mut self, url: reqwest::Url) -> Self {
        Arc::make_mut(&mut self.requirement).binding.public_base = Some(url);
        self
    }

    /// How old a DPoP proof may be (its `iat`; default 60 s), and the clock skew tolerated
    /// beyond that in both directions (default 5 s). A proof is remembered that long to
    /// refuse its replay.
    pub fn dpop_proof_age(mut self, max_age: Duration, leeway: Duration) -> Self {
        let binding = &mut Arc::make_mut(&mut self.requirement).binding;
        binding.max_age = max_age.as_secs();
        binding.leeway = leeway.as_secs();
        self
    }

    /// DPoP proof algorithms accepted (default ES256, ES384, EdDSA, RS256, PS256); symmetric
    /// ones are refused even when listed. Named in the challenge's `algs`.
    pub fn dpop_algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        Arc::make_mut(&mut self.requirement).binding.algorithms = algorithms.to_vec();
        self
    }

    /// How many DPoP proofs are remembered at once to refuse replays (default 100,000, about
    /// 10 MB). When that many unexpired proofs are held, requests with new proofs get 503
    /// rather than a replay being let through.
    pub fn dpop_replay_bound(mut self, bound: usize) -> Self {
        Arc::make_mut(&mut self.requirement)
            .binding
            .set_replay_bound(bound);
        self
    }

    /// Requires DPoP proofs to carry a nonce this service handed out (RFC 9449 §9): a proof
    /// without one gets 401 `WWW-Authenticate: DPoP error="use_dpop_nonce"` and the nonce in
    /// `DPoP-Nonce`. Nonces are the HMAC of a `window` (handed out for one, accepted for two),
    /// keyed by `secret`: replicas given the same secret accept each other's. Bounds how long
    /// a proof made ahead of time stays usable, whatever its `iat`. Off by default.
    pub fn dpop_nonces(mut self, secret: &[u8; 32], window: Duration) -> Self {
        Arc::make_mut(&mut self.requirement).binding.nonces =
            Some(Nonces::new(secret, window.as_secs()));
        self
    }

    /// Behind a TLS-terminating proxy: reads the client certificate for certificate-bound
    /// tokens (RFC 8705) from `header` (URL-encoded PEM, as nginx's
    /// `$ssl_client_escaped_cert`, or base64 DER) — only on connections from the `trusted`
    /// addresses, which the service names by inserting a [`PeerAddr`](crate::PeerAddr)
    /// extension. Off by default; the header from any other address is ignored. A
    /// [`PeerCertificate`](crate::PeerCertificate) extension, when present, wins.
    pub fn certificate_header(mut self, header: HeaderName, trusted: &[IpAddr]) -> Self {
        Arc::make_mut(&mut self.requirement).binding.proxy = Some(CertificateProxy {
            header,
            trusted: trusted.to_vec(),
        });
        self
    }
}

impl Requirement {
    /// `None` when `claims` meet every need, else why not.
    fn unmet(&self, claims: &Claims) -> Option<String> {
        if let Some(scope) = self.scopes.iter().find(|s| !claims.has_scope(s)) {
            return Some(format!("The token lacks the scope {scope}"));
        }
        let (rule, _) = self
            .rules
            .iter()
            .find(|(rule, access)| !access.allows(&claims.roles, rule))?;
        Some(format!("No role of the token allows {rule}"))
    }
}

impl<S, V: Clone> Layer<S> for RequireAccess<V> {
    type Service = RequireAccessService<S, V>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireAccessService {
            inner,
            verifier: self.verifier.clone(),
            requirement: Arc::clone(&self.requirement),
        }
    }
}

/// The service made by [`RequireAccess`].
#[derive(Clone)]
pub struct RequireAccessService<S, V> {
    inner: S,
    verifier: V,
    requirement: Arc<Requirement>,
}

impl<S, V, ReqBody, ResBody> Service<Request<ReqBody>> for RequireAccessService<S, V>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    V: VerifyToken + Clone + 'static,
    ReqBody: Send + 'static,
    ResBody: From<String> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // The clone that was polled ready is the one that must be called.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let verifier = self.verifier.clone();
        let requirement = Arc::clone(&self.requirement);
        Box::pin(async move {
            let metadata = requirement.metadata.as_ref();
            // The document must be readable without a token: it says where to get one.
            if let Some(metadata) = metadata.filter(|m| m.is_at(request.uri().path())) {
                return Ok(metadata.answer(request.method()));
            }
            let binding = &requirement.binding;
            let deny = |refusal| refuse(refusal, metadata.map(ResourceMetadata::url), binding);
            let Some((scheme, token)) = presented_token(request.headers()) else {
                return Ok(deny(Refusal::Missing));
            };
            let claims = match verifier.verify_token(&token).await {
                Ok(claims) => claims,
                Err(e) => {
                    tracing::debug!(error = %e, "refused an access token");
                    return Ok(deny(Refusal::Invalid(e)));
                }
            };
            let (mut parts, body) = request.into_parts();
            let now = jsonwebtoken::get_current_timestamp();
            if let Err(refusal) = binding.check(&claims, scheme, &token, &parts, now) {
                tracing::debug!(?refusal, "refused a bound access token");
                return Ok(deny(Refusal::Unbound(refusal)));
            }
            if let Some(why) = requirement.unmet(&claims) {
                return Ok(deny(Refusal::Insufficient {
                    why,
                    scopes: requirement.scopes.join(" "),
                }));
            }
            if let Some(wfc) = claims.wfc.clone() {
                parts.extensions.insert(wfc);
            }
            parts.extensions.insert(claims);
            inner.call(Request::from_parts(parts, body)).await
        })
    }
}

/// The token from `Authorization: Bearer`, `Authorization: DPoP` (RFC 9449 §7.1) or, for
/// tokenleader clients, `X-Auth-Token`, with the scheme it came with.
fn presented_token(headers: &HeaderMap) -> Option<(Scheme, String)> {
    let authorization = headers
        .get_all(AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (scheme, token) = v.split_once(' ')?;
            if scheme.eq_ignore_ascii_case("bearer") {
                Some((Scheme::Bearer, token.trim()))
            } else if scheme.eq_ignore_ascii_case("dpop") {
                Some((Scheme::Dpop, token.trim()))
            } else {
                None
            }
        });
    let legacy = || {
        let token = headers.get(X_AUTH_TOKEN)?.to_str().ok()?.trim();
        Some((Scheme::Bearer, token))
    };
    authorization
        .or_else(legacy)
        .filter(|(_, t)| !t.is_empty())
        .map(|(scheme, t)| (scheme, t.to_owned()))
}
