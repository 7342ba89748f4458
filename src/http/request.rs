//! Reading requests at the edge: bounded bodies, strict forms, client credentials, bearer tokens.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, header};
use hyper::body::Incoming;
use mediatype::names::CHARSET;
use mediatype::{MediaType, ReadParams};

use super::body::{BodyBudget, Buffered};
use super::error::{CredentialsIn, Rejection};
use super::state::AppState;
use crate::domain::assertion::{ClientAssertion, JWT_BEARER};
use crate::domain::{ClientAuth, ClientCertificate, OAuthError};

/// Reads the whole body within the body deadline in total, however the bytes trickle in (408
/// past it), refusing more than [`MAX_BODY`](super::body::MAX_BODY) bytes with a 413, and with a 503 when the bodies
/// held across every connection would exceed the [`BodyBudget`].
pub async fn read_body(body: Incoming, state: &AppState) -> Result<Buffered<'_>, Rejection> {
    let deadline = state.body_read_timeout;
    let budget: &BodyBudget = &state.body_budget;
    tokio::time::timeout(deadline, budget.collect(body))
        .await
        .unwrap_or(Err(Rejection::RequestTimeout(deadline)))
}

/// Charsets a body may declare: UTF-8 (also by its common label `utf8`), and US-ASCII, a subset.
const UTF8_LABELS: [&str; 3] = ["utf-8", "utf8", "us-ascii"];

/// Requires the body's one `Content-Type` (RFC 9110 §8.3) to be `expected`, in UTF-8: no
/// `charset` parameter, or one of [`UTF8_LABELS`]. Two `Content-Type` headers are refused (a
/// body is read one way only), and so are a repeated `charset` and a declared charset the body
/// would not be read in (`charset=iso-8859-1` would otherwise be read as UTF-8, and a secret with
/// a non-ASCII character never match).
pub fn require_content_type(headers: &HeaderMap, expected: &str) -> Result<(), OAuthError> {
    let mut types = headers.get_all(header::CONTENT_TYPE).iter();
    let media = match (types.next(), types.next()) {
        (Some(value), None) => value.to_str().ok().and_then(|v| MediaType::parse(v).ok()),
        _ => None,
    };
    let (ty, subty) = expected.split_once('/').unwrap_or((expected, ""));
    let Some(media) = media.filter(|m| {
        m.ty.as_str().eq_ignore_ascii_case(ty)
            && m.subty.as_str().eq_ignore_ascii_case(subty)
            && m.suffix.is_none()
    }) else {
        return Err(OAuthError::InvalidRequest(
            format!("the body must be {expected}").into(),
        ));
    };
    // RFC 2231's `charset*` declares a charset too: it counts (and is refused: its value is
    // never a bare label).
    let mut charsets = media
        .params()
        .filter(|(name, _)| *name == CHARSET || name.as_str().eq_ignore_ascii_case("charset*"));
    match (charsets.next(), charsets.next()) {
        (None, _) => Ok(()),
        (Some((_, charset)), None)
            if UTF8_LABELS
                .iter()
                .any(|l| charset.unquoted_str().eq_ignore_ascii_case(l)) =>
        {
            Ok(())
        }
        _ => Err(OAuthError::invalid_request(
            "the body must be UTF-8: one charset=utf-8, or no charset",
        )),
    }
}

/// A form-encoded body in which every parameter appears at most once (RFC 6749 §3.2).
/// Parameters sent without a value count as omitted (RFC 6749 §3.1).
pub struct Form(HashMap<String, String>);

/// Names the parameters, never their values: a form may hold a secret or a password.
impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = self.0.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_tuple("Form").field(&names).finish()
    }
}

impl Form {
    /// Parses a form body. Requires `application/x-www-form-urlencoded`.
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, OAuthError> {
        require_content_type(headers, "application/x-www-form-urlencoded")?;
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

/// The client's credentials: taken from the `Authorization: Basic` header or from the form, never both
/// (RFC 6749 §2.3: one method per request), with where they were: a failed authentication is
/// answered by that (see [`CredentialsIn`]).
///
/// An `Authorization` header is a client authentication attempt: one that is not Basic, or
/// not decodable, fails as `invalid_client` (401, Basic challenge; RFC 6749 §5.2
/// "unsupported authentication method"). Only a request that is wrong whatever the
/// credentials are (two methods at once, a `client_id` contradicting the header) is
/// `invalid_request`.
///
/// The form's `client_id` alone is a client authentication attempt too: with a client
/// `certificate` (RFC 8705), the certificate is the credential.
pub fn client_auth(
    headers: &HeaderMap,
    form: &Form,
    certificate: Option<ClientCertificate>,
) -> Result<(ClientAuth, CredentialsIn), Rejection> {
    single_authorization(headers)?;
    if form.get("client_assertion").is_some() || form.get("client_assertion_type").is_some() {
        return assertion_auth(headers, form);
    }
    let in_form = form.get("client_secret");
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return match (in_form, certificate) {
            (Some(secret), certificate) => Ok((
                ClientAuth {
                    client_id: form.require("client_id")?.to_owned(),
                    client_secret: secret.to_owned(),
                    certificate,
                    assertion: None,
                },
                CredentialsIn::Form,
            )),
            // A `client_id` alone is an attempt too: a certificate client that came without its
            // certificate fails (and is counted) as such, a secret client as a wrong secret.
            (None, certificate) if form.get("client_id").is_some() => Ok((
                ClientAuth {
                    client_id: form.require("client_id")?.to_owned(),
                    client_secret: String::new(),
                    certificate,
                    assertion: None,
                },
                CredentialsIn::Form,
            )),
            // No credentials at all: answered as a form authentication is, the JSON alone.
            (None, _) => Err(Rejection::InvalidClient(CredentialsIn::Form)),
        };
    };
    let failed = Rejection::InvalidClient(CredentialsIn::Header);
    let Some(encoded) = basic_payload(value.as_bytes()) else {
        return Err(failed);
    };
    if in_form.is_some() {
        return Err(OAuthError::invalid_request(
            "use either HTTP Basic or client_secret, not both",
        )
        .into());
    }
    let Some((id, secret)) = decode_basic(encoded) else {
        return Err(failed);
    };
    if form.get("client_id").is_some_and(|f| f != id) {
        return Err(
            OAuthError::invalid_request("client_id differs from the Basic credentials").into(),
        );
    }
    let auth = ClientAuth {
        client_id: id,
        client_secret: secret,
        certificate,
        assertion: None,
    };
    Ok((auth, CredentialsIn::Header))
}

/// A client assertion (RFC 7523 §2.2, RFC 7521 §4.2) as the one method of the request: read
/// once here; `client_id`, optional, must name the assertion's `sub`.
fn assertion_auth(
    headers: &HeaderMap,
    form: &Form,
) -> Result<(ClientAuth, CredentialsIn), Rejection> {
    if headers.contains_key(header::AUTHORIZATION) || form.get("client_secret").is_some() {
        return Err(OAuthError::invalid_request(
            "use one client authentication method: a client assertion, HTTP Basic or client_secret",
        )
        .into());
    }
    if form.require("client_assertion_type")? != JWT_BEARER {
        return Err(OAuthError::invalid_request(
            "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        )
        .into());
    }
    let assertion = ClientAssertion::parse(form.require("client_assertion")?);
    // A client's own assertion (iss = sub) names the client; a trusted issuer's token names a
    // workload, and its client is looked up in the domain (`client_id` then checked there).
    let sub = assertion
        .as_ref()
        .ok()
        .filter(|a| a.claims.iss == a.claims.sub)
        .map(|a| a.claims.sub.as_str());
    let client_id = match (form.get("client_id"), sub) {
        (Some(id), Some(sub)) if id != sub => {
            return Err(OAuthError::invalid_request(
                "client_id differs from the client assertion's sub",
            )
            .into());
        }
        (Some(id), _) | (None, Some(id)) => id.to_owned(),
        (None, None) => String::new(),
    };
    let auth = ClientAuth {
        client_id,
        client_secret: String::new(),
        // The assertion is the credential; a certificate still binds the token (at the edge).
        certificate: None,
        assertion: Some(assertion),
    };
    Ok((auth, CredentialsIn::Form))
}

/// The credentials part of `Basic <credentials>`; `None` for any other scheme.
fn basic_payload(value: &[u8]) -> Option<&str> {
    let value = std::str::from_utf8(value).ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("basic").then_some(encoded)
}

/// `base64(urlencode(id) ":" urlencode(secret))`, as RFC 6749 §2.3.1 specifies. Clients that
/// skip the form-encoding (python-requests, Authlib) send the same bytes for the ids this dealer
/// registers (RFC 3986 unreserved characters only; see [`crate::domain::ClientId::parse_new`]).
fn decode_basic(encoded: &str) -> Option<(String, String)> {
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| -> Option<String> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={s}")).ok()?;
        Some(pairs.into_iter().next().map(|(_, v)| v).unwrap_or_default())
    };
    let (id, secret) = (unescape(id)?, unescape(secret)?);
    (!id.is_empty()).then_some((id, secret))
}

/// Two `Authorization` headers are one credential too many, as a repeated parameter is (RFC 6749
/// §3.2): which one counts would be a guess.
fn single_authorization(headers: &HeaderMap) -> Result<(), OAuthError> {
    if headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .nth(1)
        .is_some()
    {
        return Err(OAuthError::invalid_request(
            "the Authorization header is repeated",
        ));
    }
    Ok(())
}

/// The token of an `Authorization: Bearer` header, if there is one (RFC 6750 §2.1).
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, OAuthError> {
    single_authorization(headers)?;
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

/// Splits a path into percent-decoded segments; `None` if one is not UTF-8.
pub fn decode_segments(path: &str) -> Option<Vec<String>> {
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

/// A `limit` query parameter: `default` when absent, else a number from 1 to 1000 (the most any
/// listing answers at once).
pub fn page_limit(raw: Option<&str>, default: usize) -> Result<usize, OAuthError> {
    match raw {
        None => Ok(default),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or(OAuthError::invalid_request(
                "limit must be a number from 1 to 1000",
            )),
    }
}

/// The most entries a listing answers at once.
pub const MAX_PAGE: usize = 1000;

#[cfg(test)]
mod tests;
