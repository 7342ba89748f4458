//! Reading requests at the edge: bounded bodies, strict forms, client credentials, bearer tokens.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use super::error::Rejection;
use crate::domain::OAuthError;

/// The largest request body accepted, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// Reads the whole body within `deadline` in total, however the bytes trickle in (408 past it),
/// refusing more than [`MAX_BODY`] bytes with a 413.
pub async fn read_body(body: Incoming, deadline: Duration) -> Result<Bytes, Rejection> {
    let Ok(collected) =
        tokio::time::timeout(deadline, Limited::new(body, MAX_BODY).collect()).await
    else {
        return Err(Rejection::RequestTimeout(deadline));
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            Err(Rejection::PayloadTooLarge(MAX_BODY))
        }
        Err(_) => Err(OAuthError::invalid_request("the request body could not be read").into()),
    }
}

/// Whether the `Content-Type` is `type` (parameters such as `charset` allowed).
pub fn has_content_type(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(expected))
}

/// A form-encoded body in which every parameter appears at most once (RFC 6749 §3.2).
/// Parameters sent without a value count as omitted (RFC 6749 §3.1).
#[derive(Debug)]
pub struct Form(HashMap<String, String>);

impl Form {
    /// Parses a form body. Requires `application/x-www-form-urlencoded`.
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, OAuthError> {
        if !has_content_type(headers, "application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|_| OAuthError::invalid_request("the body is not a valid form"))?;
        let mut map = HashMap::with_capacity(pairs.len());
        for (k, v) in pairs {
            if map.contains_key(&k) {
                // RFC 8707 allows several resources; this dealer mints one audience per token.
                return Err(if k == "resource" {
                    OAuthError::InvalidTarget("only one resource per token request".into())
                } else {
                    OAuthError::InvalidRequest(format!("parameter {k} is repeated").into())
                });
            }
            map.insert(k, v);
        }
        map.retain(|_, v| !v.is_empty());
        Ok(Self(map))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// A parameter that must be present.
    pub fn require(&self, key: &'static str) -> Result<&str, OAuthError> {
        self.get(key)
            .ok_or_else(|| OAuthError::InvalidRequest(format!("{key} is required").into()))
    }
}

/// How a client presented its credentials.
#[derive(Debug)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
    pub via_basic: bool,
}

impl ClientCredentials {
    /// Takes the credentials from the `Authorization: Basic` header or from the form, never both
    /// (RFC 6749 §2.3: one method per request).
    pub fn from_request(headers: &HeaderMap, form: &Form) -> Result<Self, Rejection> {
        let basic = match headers.get(header::AUTHORIZATION) {
            Some(value) => Some(parse_basic(value.as_bytes())?),
            None => None,
        };
        let in_form = form.get("client_secret");
        match (basic, in_form) {
            (Some(_), Some(_)) => Err(OAuthError::invalid_request(
                "use either HTTP Basic or client_secret, not both",
            )
            .into()),
            (Some((id, secret)), None) => {
                if form.get("client_id").is_some_and(|f| f != id) {
                    return Err(OAuthError::invalid_request(
                        "client_id differs from the Basic credentials",
                    )
                    .into());
                }
                Ok(Self {
                    client_id: id,
                    client_secret: secret,
                    via_basic: true,
                })
            }
            (None, Some(secret)) => Ok(Self {
                client_id: form.require("client_id")?.to_owned(),
                client_secret: secret.to_owned(),
                via_basic: false,
            }),
            // No credentials at all: tell the client how to authenticate.
            (None, None) => Err(Rejection::BasicAuth(OAuthError::InvalidClient)),
        }
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, as RFC 6749 §2.3.1 specifies.
fn parse_basic(value: &[u8]) -> Result<(String, String), OAuthError> {
    let malformed =
        || OAuthError::invalid_request("the Authorization header is not valid HTTP Basic");
    let value = std::str::from_utf8(value).map_err(|_| malformed())?;
    let (scheme, encoded) = value.split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_request(
            "only HTTP Basic client authentication is accepted here",
        ));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |s: &str| -> Result<String, OAuthError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(&format!("v={s}")).map_err(|_| malformed())?;
        Ok(pairs.into_iter().next().map(|(_, v)| v).unwrap_or_default())
    };
    let (id, secret) = (unescape(id)?, unescape(secret)?);
    if id.is_empty() {
        return Err(malformed());
    }
    Ok((id, secret))
}

/// The token of an `Authorization: Bearer` header, if there is one (RFC 6750 §2.1).
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, OAuthError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(OAuthError::InvalidToken("a bearer token is required"))?
        .to_str()
        .map_err(|_| OAuthError::InvalidToken("the Authorization header is malformed"))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(OAuthError::InvalidToken("a bearer token is required")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_unescaped() {
        let encoded = STANDARD.encode("my%3Aclient:s%2Bcr%20t");
        let (id, secret) = parse_basic(format!("Basic {encoded}").as_bytes()).unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("my:client", "s+cr t"));
    }

    #[test]
    fn a_repeated_form_parameter_is_refused() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        let err = Form::parse(&h, b"grant_type=a&grant_type=b").unwrap_err();
        assert_eq!(err.code(), "invalid_request");
    }
}
