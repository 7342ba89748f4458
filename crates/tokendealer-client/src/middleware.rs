//! A tower layer that lets a request through only with a valid token that meets the route's needs.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use tower::{Layer, Service};

use super::access::AccessMap;
use super::claims::Claims;
use super::error::VerifyError;
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

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
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
            let deny = |refusal| refuse(refusal, metadata.map(ResourceMetadata::url));
            let Some(token) = presented_token(request.headers()) else {
                return Ok(deny(Refusal::Missing));
            };
            let claims = match verifier.verify_token(&token).await {
                Ok(claims) => claims,
                Err(e) => {
                    tracing::debug!(error = %e, "refused an access token");
                    return Ok(deny(Refusal::Invalid(e)));
                }
            };
            if let Some(why) = requirement.unmet(&claims) {
                return Ok(deny(Refusal::Insufficient {
                    why,
                    scopes: requirement.scopes.join(" "),
                }));
            }
            if let Some(wfc) = claims.wfc.clone() {
                request.extensions_mut().insert(wfc);
            }
            request.extensions_mut().insert(claims);
            inner.call(request).await
        })
    }
}

/// The token from `Authorization: Bearer` or, for tokenleader clients, `X-Auth-Token`.
fn presented_token(headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get_all(AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let legacy = || headers.get(X_AUTH_TOKEN)?.to_str().ok().map(str::trim);
    bearer
        .or_else(legacy)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

enum Refusal {
    Missing,
    Invalid(VerifyError),
    Insufficient { why: String, scopes: String },
}

/// The refusal as an RFC 6750 answer; `metadata_url` joins every challenge as RFC 9728's
/// `resource_metadata`.
fn refuse<B: From<String>>(refusal: Refusal, metadata_url: Option<&str>) -> Response<B> {
    let (status, mut challenge, body) = match &refusal {
        Refusal::Missing => (
            StatusCode::UNAUTHORIZED,
            Some("Bearer".to_owned()),
            serde_json::json!({"error": "invalid_token", "error_description": "An access token is required"}),
        ),
        Refusal::Invalid(e) if !e.is_token_problem() => (
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            serde_json::json!({"error": "temporarily_unavailable", "error_description": e.public_description()}),
        ),
        Refusal::Invalid(e) => (
            StatusCode::UNAUTHORIZED,
            Some(format!(
                r#"Bearer error="invalid_token", error_description="{}""#,
                e.public_description()
            )),
            serde_json::json!({"error": "invalid_token", "error_description": e.public_description()}),
        ),
        Refusal::Insufficient { why, scopes } => {
            let mut challenge = format!(
                r#"Bearer error="insufficient_scope", error_description="{}""#,
                quotable(why)
            );
            if !scopes.is_empty() {
                challenge.push_str(&format!(r#", scope="{}""#, quotable(scopes)));
            }
            (
                StatusCode::FORBIDDEN,
                Some(challenge),
                serde_json::json!({"error": "insufficient_scope", "error_description": why}),
            )
        }
    };
    if let (Some(challenge), Some(url)) = (challenge.as_mut(), metadata_url) {
        let separator = if challenge == "Bearer" { " " } else { ", " };
        challenge.push_str(&format!(
            r#"{separator}resource_metadata="{}""#,
            quotable(url)
        ));
    }
    let mut response = Response::new(B::from(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(challenge) = challenge {
        // Scopes and rules come from the service's own configuration; should one hold a byte
        // a header cannot, a bare challenge is still a correct answer.
        let value = HeaderValue::from_str(&challenge)
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
        headers.insert(WWW_AUTHENTICATE, value);
    }
    response
}

/// RFC 6750 §3 forbids `"` and `\` inside these quoted values; scopes and rule names are
/// configuration, so offending characters are dropped rather than trusted.
fn quotable(value: &str) -> String {
    value.chars().filter(|c| !matches!(c, '"' | '\\')).collect()
}
