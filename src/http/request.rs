//! Reading requests at the edge: bounded bodies, strict forms, access tokens, paths and pages.
//! Client credentials are read by `oauth::credentials`.

use std::collections::HashMap;

use http::{HeaderMap, header};
use hyper::body::Incoming;
use mediatype::names::CHARSET;
use mediatype::{MediaType, ReadParams};

use super::body::{BodyBudget, Buffered};
use super::error::Rejection;
use super::state::AppState;
use crate::domain::OAuthError;
use crate::domain::binding::Scheme;

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
pub struct Form(pub(in crate::http) HashMap<String, String>);

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

/// Two `Authorization` headers are one credential too many, as a repeated parameter is (RFC 6749
/// §3.2): which one counts would be a guess.
pub(super) fn single_authorization(headers: &HeaderMap) -> Result<(), OAuthError> {
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

/// The token of an `Authorization: Bearer` (RFC 6750 §2.1) or `Authorization: DPoP` (RFC 9449
/// §7.1) header, with its scheme.
pub fn access_token(headers: &HeaderMap) -> Result<(Scheme, &str), OAuthError> {
    single_authorization(headers)?;
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(OAuthError::InvalidToken("a bearer token is required"))?
        .to_str()
        .map_err(|_| OAuthError::InvalidToken("the Authorization header is malformed"))?;
    let (scheme, token) = value
        .split_once(' ')
        .map(|(scheme, token)| (scheme, token.trim()))
        .filter(|(_, token)| !token.is_empty())
        .ok_or(OAuthError::InvalidToken("a bearer token is required"))?;
    if scheme.eq_ignore_ascii_case("bearer") {
        Ok((Scheme::Bearer, token))
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Ok((Scheme::Dpop, token))
    } else {
        Err(OAuthError::InvalidToken("a bearer token is required"))
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
