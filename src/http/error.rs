//! The one place errors become HTTP: status, `WWW-Authenticate`, `Cache-Control: no-store`, JSON.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

use crate::domain::{AdminError, OAuthError};
use crate::telemetry::metrics::Refusal;
use tokendealer_client::wire::ErrorResponse;

pub type Body = Full<Bytes>;

/// Why a request was refused. Most refusals are OAuth errors; a few belong to HTTP itself.
#[derive(Debug)]
pub enum Rejection {
    OAuth(OAuthError),
    Admin(AdminError),
    NotFound,
    MethodNotAllowed(&'static str),
    PayloadTooLarge(usize),
    /// The body did not arrive within its deadline (408); the connection is closed after it.
    RequestTimeout(std::time::Duration),
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
    /// The status [`Rejection::into_response`] answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::OAuth(e) => status_of(e),
            Self::Admin(AdminError::Invalid(_)) => StatusCode::BAD_REQUEST,
            Self::Admin(AdminError::NotFound(_)) | Self::NotFound => StatusCode::NOT_FOUND,
            Self::Admin(AdminError::Conflict(_)) => StatusCode::CONFLICT,
            Self::Admin(AdminError::Failed(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
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

    pub fn into_response(self) -> Response<Body> {
        match self {
            Self::OAuth(e) => oauth(e),
            Self::Admin(e) => admin(&e),
            Self::NotFound => plain(StatusCode::NOT_FOUND, "not_found", "no such resource"),
            Self::MethodNotAllowed(allow) => {
                let mut r = plain(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "invalid_request",
                    "method not allowed",
                );
                r.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static(allow));
                r
            }
            Self::PayloadTooLarge(limit) => plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                &format!("the request body exceeds {limit} bytes"),
            ),
            Self::RequestTimeout(deadline) => {
                let mut r = plain(
                    StatusCode::REQUEST_TIMEOUT,
                    "invalid_request",
                    &format!(
                        "the request body did not arrive within {} s",
                        deadline.as_secs_f32()
                    ),
                );
                // HTTP/1: the rest of the body may still come; nothing on this connection can be
                // trusted to start a request. (HTTP/2 drops the header and resets the stream.)
                r.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                r
            }
        }
    }
}

impl Rejection {
    /// The status and the sentence a person is shown for this refusal, on the console's HTML
    /// pages: the same mapping as the JSON answers (and the same logging), read back from them.
    pub async fn for_people(self) -> (StatusCode, String) {
        use http_body_util::BodyExt as _;
        let response = self.into_response();
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        let text = serde_json::from_slice::<ErrorResponse>(&bytes)
            .ok()
            .and_then(|e| e.error_description)
            .map(std::borrow::Cow::into_owned)
            .unwrap_or_else(|| "the request could not be completed".into());
        (status, text)
    }
}

fn oauth(error: OAuthError) -> Response<Body> {
    let status = status_of(&error);
    if let OAuthError::StoreBusy(cause) = &error {
        tracing::error!(error = format!("{cause:#}"), "the store is unavailable");
    }
    if let OAuthError::Internal(cause) = &error {
        tracing::error!(error = format!("{cause:#}"), "internal error");
    }
    let description = error.description();
    let mut response = plain(status, error.code(), &description);
    let headers = response.headers_mut();
    if let Some(value) = challenge(&error).and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(header::WWW_AUTHENTICATE, value);
    }
    match error {
        OAuthError::TooManyRequests { retry_after_secs }
        | OAuthError::TemporarilyUnavailable { retry_after_secs }
        | OAuthError::RevocationsFull {
            retry_after_secs, ..
        } => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        OAuthError::StoreBusy(_) => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        _ => {}
    }
    response
}

/// An admin operation's own outcomes; the JSON has the same `{"error","error_description"}` shape.
fn admin(error: &AdminError) -> Response<Body> {
    match error {
        AdminError::Invalid(d) => plain(StatusCode::BAD_REQUEST, "invalid_request", d),
        AdminError::NotFound(d) => plain(StatusCode::NOT_FOUND, "not_found", d),
        AdminError::Conflict(d) => plain(StatusCode::CONFLICT, "conflict", d),
        // Taken apart in `From<AdminError>`; never built.
        AdminError::Failed(_) => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the server could not complete the request",
        ),
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

/// The `WWW-Authenticate` challenge that goes with `error`. Every error answered 401 has one
/// (RFC 9110 §15.5.2), decided here by the error alone: a failed client authentication names
/// HTTP Basic, the scheme the client-authenticated endpoints take, whichever way the client tried
/// (secret in the form, a Basic header, another scheme, none); a bearer-token error names Bearer
/// (RFC 6750 §3).
fn challenge(error: &OAuthError) -> Option<String> {
    match error {
        OAuthError::InvalidClient => Some(BASIC_CHALLENGE.to_owned()),
        OAuthError::InvalidToken(d) => Some(format!(
            r#"Bearer realm="tokendealer", error="invalid_token", error_description="{d}""#
        )),
        OAuthError::InsufficientScope(scope) => Some(format!(
            r#"Bearer realm="tokendealer", error="insufficient_scope", scope="{scope}""#
        )),
        _ => None,
    }
}

const BASIC_CHALLENGE: &str = r#"Basic realm="tokendealer""#;

/// The challenge of a 401 built outside this module (the tokenleader-compatible answers, which
/// take tokens): see [`super::response::bytes_response`].
pub(super) const BEARER_CHALLENGE: &str = r#"Bearer realm="tokendealer""#;

/// `{"error", "error_description"}` with `no-store`.
fn plain(status: StatusCode, code: &'static str, description: &str) -> Response<Body> {
    let body = ErrorResponse {
        error: code.into(),
        error_description: Some(description.to_owned().into()),
    };
    super::response::json_no_store(status, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_error() -> Vec<OAuthError> {
        vec![
            OAuthError::invalid_request("x"),
            OAuthError::InvalidClient,
            OAuthError::InvalidGrant("x"),
            OAuthError::grant_not_allowed(),
            OAuthError::UnsupportedGrantType,
            OAuthError::InvalidScope("x"),
            OAuthError::InvalidTarget("x".into()),
            OAuthError::InvalidToken("x"),
            OAuthError::InsufficientScope("x"),
            OAuthError::TooManyRequests {
                retry_after_secs: 1,
            },
            OAuthError::StoreBusy(anyhow::anyhow!("x")),
            OAuthError::Internal(anyhow::anyhow!("x")),
        ]
    }

    #[test]
    fn every_401_carries_a_challenge() {
        for error in every_error() {
            let what = error.code();
            let r = Rejection::from(error).into_response();
            if r.status() == StatusCode::UNAUTHORIZED {
                assert!(r.headers().contains_key(header::WWW_AUTHENTICATE), "{what}");
            }
        }
    }

    #[test]
    fn the_status_said_in_advance_is_the_status_answered() {
        let mut all: Vec<Rejection> = every_error().into_iter().map(Rejection::from).collect();
        all.extend([
            Rejection::NotFound,
            Rejection::MethodNotAllowed("GET"),
            Rejection::PayloadTooLarge(1),
            Rejection::RequestTimeout(std::time::Duration::from_secs(1)),
            Rejection::Admin(AdminError::Invalid("x".into())),
            Rejection::Admin(AdminError::NotFound("x".into())),
            Rejection::Admin(AdminError::Conflict("x".into())),
        ]);
        for rejection in all {
            let said = rejection.status();
            assert_eq!(said, rejection.into_response().status());
        }
    }

    #[test]
    fn a_failed_client_authentication_is_challenged_with_basic() {
        let r = Rejection::from(OAuthError::InvalidClient).into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], BASIC_CHALLENGE);
    }
}
