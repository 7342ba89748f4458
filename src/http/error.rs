//! The one place errors become HTTP: status, `WWW-Authenticate`, `Cache-Control: no-store`, JSON.

use std::borrow::Cow;

use http::{HeaderMap, HeaderValue, Response, StatusCode, header};

use super::response::json_no_store;
use crate::domain::{AdminError, OAuthError};
use crate::telemetry::metrics::Refusal;
use tokendealer_client::wire::ErrorResponse;

/// Where the transport's metrics answer still finds it (`metrics_endpoint.rs`).
pub use super::response::Body;

/// Why a request was refused. Most refusals are OAuth errors; a few belong to HTTP itself.
#[derive(Debug)]
pub enum Rejection {
    OAuth(OAuthError),
    /// A failed client authentication (`invalid_client`), with where the client put its
    /// credentials: that decides the challenge (see [`CredentialsIn`]).
    InvalidClient(CredentialsIn),
    Admin(AdminError),
    NotFound,
    MethodNotAllowed(&'static str),
    PayloadTooLarge(usize),
    /// The body did not arrive within its deadline (408); the connection is closed after it.
    RequestTimeout(std::time::Duration),
    /// A DPoP token (by scheme or binding) refused at a protected endpoint: 401 (403 for a
    /// scope) with a `DPoP` challenge (RFC 9449 §7.1). Built by [`Rejection::dpop`].
    Dpop(OAuthError),
}

/// Where a client put its credentials at a client-authenticated endpoint. RFC 6749 §5.2 asks for
/// a `WWW-Authenticate` challenge only when the client authenticated in the `Authorization`
/// header; a challenge after a form authentication makes openid-client 6 report the challenge
/// instead of the body's `invalid_client` (issue 21), and oidc-provider sends none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialsIn {
    /// The `Authorization` header: Basic, or a scheme or encoding the endpoint cannot use.
    Header,
    /// `client_id` and `client_secret` in the form (`client_secret_post`), or no credentials.
    Form,
}

impl CredentialsIn {
    /// `error` as the answer to a request that presented its credentials here: an
    /// `invalid_client` keeps where they were, every other error stays as it is.
    pub fn reject(self, error: OAuthError) -> Rejection {
        match error {
            OAuthError::InvalidClient => Rejection::InvalidClient(self),
            other => Rejection::OAuth(other),
        }
    }
}

impl From<OAuthError> for Rejection {
    fn from(e: OAuthError) -> Self {
        Self::OAuth(e)
    }
}

impl From<AdminError> for Rejection {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Failed(e) => Self::OAuth(e),
            other => Self::Admin(other),
        }
    }
}

impl From<anyhow::Error> for Rejection {
    fn from(e: anyhow::Error) -> Self {
        Self::OAuth(OAuthError::from(e))
    }
}

impl Rejection {
    /// `error` refusing a DPoP token at a protected endpoint: the token and proof errors get a
    /// `DPoP` challenge; the rest (a busy store, a full record) are answered as anywhere.
    pub fn dpop(error: OAuthError) -> Self {
        match error {
            OAuthError::InvalidToken(_)
            | OAuthError::InvalidDpopProof(_)
            | OAuthError::UseDpopNonce { .. }
            | OAuthError::InsufficientScope(_) => Self::Dpop(error),
            other => Self::OAuth(other),
        }
    }

    /// The status [`Rejection::into_response`] answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::OAuth(e) => status_of(e),
            Self::Dpop(OAuthError::InsufficientScope(_)) => StatusCode::FORBIDDEN,
            Self::InvalidClient(_) | Self::Dpop(_) => StatusCode::UNAUTHORIZED,
            Self::Admin(AdminError::Invalid(_)) => StatusCode::BAD_REQUEST,
            Self::Admin(AdminError::NotFound(_)) | Self::NotFound => StatusCode::NOT_FOUND,
            Self::Admin(AdminError::Conflict(_)) => StatusCode::CONFLICT,
            Self::Admin(AdminError::Failed(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
        }
    }

    /// The JSON body's `error`: RFC 6749's codes, and the admin API's own (`not_found`,
    /// `conflict`) in the same member.
    fn code(&self) -> &'static str {
        match self {
            Self::OAuth(e) | Self::Dpop(e) => e.code(),
            Self::InvalidClient(_) => OAuthError::InvalidClient.code(),
            Self::Admin(AdminError::Invalid(_))
            | Self::MethodNotAllowed(_)
            | Self::PayloadTooLarge(_)
            | Self::RequestTimeout(_) => "invalid_request",
            Self::Admin(AdminError::NotFound(_)) | Self::NotFound => "not_found",
            Self::Admin(AdminError::Conflict(_)) => "conflict",
            // Taken apart in `From<AdminError>`; never built.
            Self::Admin(AdminError::Failed(_)) => "server_error",
        }
    }

    /// The sentence the caller is shown: the JSON body's `error_description`, and the console's
    /// message.
    fn description(&self) -> Cow<'_, str> {
        match self {
            Self::OAuth(e) | Self::Dpop(e) => e.description(),
            Self::InvalidClient(_) => OAuthError::InvalidClient.description(),
            Self::Admin(AdminError::Invalid(d)) => Cow::Borrowed(d),
            Self::Admin(AdminError::NotFound(d) | AdminError::Conflict(d)) => Cow::Borrowed(d),
            Self::Admin(AdminError::Failed(_)) => {
                "the server could not complete the request".into()
            }
            Self::NotFound => "no such resource".into(),
            Self::MethodNotAllowed(_) => "method not allowed".into(),
            Self::PayloadTooLarge(limit) => {
                format!("the request body exceeds {limit} bytes").into()
            }
            Self::RequestTimeout(deadline) => format!(
                "the request body did not arrive within {} s",
                deadline.as_secs_f32()
            )
            .into(),
        }
    }

    /// Why this is a 503, if it is one.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            Self::OAuth(OAuthError::StoreBusy(_)) => Some(Refusal::StoreBusy),
            Self::OAuth(OAuthError::TemporarilyUnavailable { .. }) => Some(Refusal::Overloaded),
            Self::OAuth(OAuthError::RevocationsFull { .. }) => Some(Refusal::RevocationsFull),
            _ => None,
        }
    }

    /// Logs what the caller is not told: the cause of a server error or of an unavailable store.
    fn log(&self) {
        match self {
            Self::OAuth(OAuthError::StoreBusy(cause)) => {
                tracing::error!(error = format!("{cause:#}"), "the store is unavailable");
            }
            Self::OAuth(OAuthError::Internal(cause)) => {
                tracing::error!(error = format!("{cause:#}"), "internal error");
            }
            _ => {}
        }
    }

    /// `{"error", "error_description"}` with `no-store`, the status, and the headers that go
    /// with this refusal: a challenge, `Retry-After`, `Allow`, `Connection: close`.
    pub fn into_response(self) -> Response<Body> {
        self.log();
        let body = ErrorResponse {
            error: self.code().into(),
            error_description: Some(self.description().into_owned().into()),
        };
        let mut response = json_no_store(self.status(), &body);
        let headers = response.headers_mut();
        match self {
            // Where the credentials were was not kept: answered as after a form, unchallenged.
            Self::OAuth(OAuthError::InvalidClient) => invalid_client(headers, CredentialsIn::Form),
            Self::InvalidClient(presented) => invalid_client(headers, presented),
            Self::OAuth(e) => oauth_headers(headers, &e),
            Self::Dpop(e) => dpop_challenge(headers, &e),
            Self::MethodNotAllowed(allow) => {
                headers.insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            Self::RequestTimeout(_) => {
                // HTTP/1: the rest of the body may still come; nothing on this connection can be
                // trusted to start a request. (HTTP/2 drops the header and resets the stream.)
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Self::Admin(_) | Self::NotFound | Self::PayloadTooLarge(_) => {}
        }
        response
    }

    /// The status and the sentence a person is shown for this refusal on the console's HTML
    /// pages: the same status and description as the JSON answer (and the same logging).
    pub fn for_people(self) -> (StatusCode, String) {
        self.log();
        (self.status(), self.description().into_owned())
    }
}

/// An OAuth error's challenge (RFC 6750 §3) and `Retry-After`.
fn oauth_headers(headers: &mut HeaderMap, error: &OAuthError) {
    if let Some(value) = challenge(error).and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(header::WWW_AUTHENTICATE, value);
    }
    match error {
        OAuthError::TooManyRequests { retry_after_secs }
        | OAuthError::TemporarilyUnavailable { retry_after_secs }
        | OAuthError::RevocationsFull {
            retry_after_secs, ..
        } => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        OAuthError::StoreBusy(_) => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        // RFC 9449 §8: the nonce to retry with.
        OAuthError::UseDpopNonce { nonce, .. } => {
            if let Ok(value) = HeaderValue::from_str(nonce) {
                headers.insert(DPOP_NONCE, value);
            }
        }
        _ => {}
    }
}

/// RFC 9449 §7.1's challenge, `DPoP error, error_description, algs`, and for
/// `use_dpop_nonce` the nonce to retry with (§9).
fn dpop_challenge(headers: &mut HeaderMap, error: &OAuthError) {
    let algs = crate::domain::dpop::algorithm_names().join(" ");
    let (code, description) = (error.code(), error.description());
    let challenge =
        format!(r#"DPoP error="{code}", error_description="{description}", algs="{algs}""#);
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        headers.insert(header::WWW_AUTHENTICATE, value);
    }
    if let OAuthError::UseDpopNonce { nonce, .. } = error
        && let Ok(value) = HeaderValue::from_str(nonce)
    {
        headers.insert(DPOP_NONCE, value);
    }
}

/// `invalid_client`, the same for an unknown client, a wrong secret and a disabled client; with
/// `Basic realm, error, error_description` (as oidc-provider answers) only when the client tried
/// the `Authorization` header, else with no challenge at all.
fn invalid_client(headers: &mut HeaderMap, presented: CredentialsIn) {
    // Every JSON 401 is given a Bearer challenge by default (`bytes_response`).
    headers.remove(header::WWW_AUTHENTICATE);
    if presented == CredentialsIn::Header {
        let description = OAuthError::InvalidClient.description();
        let challenge = format!(
            r#"{BASIC_CHALLENGE}, error="invalid_client", error_description="{description}""#
        );
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
    }
}

fn status_of(error: &OAuthError) -> StatusCode {
    match error {
        OAuthError::InvalidClient | OAuthError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
        OAuthError::InsufficientScope(_) => StatusCode::FORBIDDEN,
        OAuthError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        OAuthError::TemporarilyUnavailable { .. }
        | OAuthError::StoreBusy(_)
        | OAuthError::RevocationsFull { .. } => StatusCode::SERVICE_UNAVAILABLE,
        OAuthError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The `WWW-Authenticate` challenge that goes with a bearer-token error (RFC 6750 §3). A failed
/// client authentication's depends on how the client tried: [`invalid_client`].
fn challenge(error: &OAuthError) -> Option<String> {
    match error {
        OAuthError::InvalidToken(d) => Some(format!(
            r#"Bearer realm="tokendealer", error="invalid_token", error_description="{d}""#
        )),
        OAuthError::InsufficientScope(scope) => Some(format!(
            r#"Bearer realm="tokendealer", error="insufficient_scope", scope="{scope}""#
        )),
        _ => None,
    }
}

/// The header carrying a DPoP nonce (RFC 9449 §8.1).
pub const DPOP_NONCE: &str = "dpop-nonce";

const BASIC_CHALLENGE: &str = r#"Basic realm="tokendealer""#;

#[cfg(test)]
mod tests;
