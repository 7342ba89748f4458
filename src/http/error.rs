//! The one place errors become HTTP: status, `WWW-Authenticate`, `Cache-Control: no-store`, JSON.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

use crate::domain::OAuthError;

pub type Body = Full<Bytes>;

/// Why a request was refused. Most refusals are OAuth errors; a few belong to HTTP itself.
#[derive(Debug)]
pub enum Rejection {
    OAuth(OAuthError),
    /// A client authentication failure on a request that used HTTP Basic: answered with a
    /// `WWW-Authenticate: Basic` challenge (RFC 6749 §5.2).
    BasicAuth(OAuthError),
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

impl From<anyhow::Error> for Rejection {
    fn from(e: anyhow::Error) -> Self {
        Self::OAuth(OAuthError::Internal(e))
    }
}

impl Rejection {
    pub fn into_response(self) -> Response<Body> {
        match self {
            Self::OAuth(e) => oauth(e, false),
            Self::BasicAuth(e) => oauth(e, true),
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

fn oauth(error: OAuthError, basic: bool) -> Response<Body> {
    let status = match &error {
        OAuthError::InvalidClient | OAuthError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
        OAuthError::InsufficientScope(_) => StatusCode::FORBIDDEN,
        OAuthError::NotFound(_) => StatusCode::NOT_FOUND,
        OAuthError::Conflict(_) => StatusCode::CONFLICT,
        OAuthError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        OAuthError::Internal(cause) => {
            tracing::error!(error = format!("{cause:#}"), "internal error");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    };
    let description = error.description();
    let mut response = plain(status, error.code(), &description);
    let headers = response.headers_mut();
    let challenge = match &error {
        OAuthError::InvalidClient if basic => Some(r#"Basic realm="tokendealer""#.to_owned()),
        OAuthError::InvalidToken(d) => Some(format!(
            r#"Bearer realm="tokendealer", error="invalid_token", error_description="{d}""#
        )),
        OAuthError::InsufficientScope(scope) => Some(format!(
            r#"Bearer realm="tokendealer", error="insufficient_scope", scope="{scope}""#
        )),
        _ => None,
    };
    if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(header::WWW_AUTHENTICATE, value);
    }
    if let OAuthError::TooManyRequests { retry_after_secs } = error {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    }
    response
}

/// `{"error", "error_description"}` with `no-store`.
fn plain(status: StatusCode, code: &str, description: &str) -> Response<Body> {
    let body = serde_json::json!({ "error": code, "error_description": description });
    super::response::json_no_store(status, &body)
}
