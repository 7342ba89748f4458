//! What the console reads from a request: form bodies (repeated fields kept, for checkboxes),
//! query strings and cookies.

use http::{HeaderMap, Request, header};
use hyper::body::Incoming;
use subtle::ConstantTimeEq;

use super::super::error::Rejection;
use super::super::request::read_body;
use super::super::state::AppState;

/// A form body or a query string, every pair in order.
pub struct Form(Vec<(String, String)>);

/// Names the fields, never their values: a form may hold a password.
impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_tuple("Form").field(&names).finish()
    }
}

impl Form {
    /// Reads an `application/x-www-form-urlencoded` body, within the usual size and deadline.
    pub async fn read(state: &AppState, req: Request<Incoming>) -> Result<Self, Rejection> {
        let bytes = read_body(req.into_body(), state).await?;
        Ok(Self(
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default(),
        ))
    }

    /// A query string's pairs (an unparsable one reads as empty).
    pub fn query(query: Option<&str>) -> Self {
        Self(
            query
                .and_then(|q| serde_urlencoded::from_str(q).ok())
                .unwrap_or_default(),
        )
    }

    /// The first value of `name`, trimmed; `""` if absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// Every non-empty value of `name`, each split at whitespace and commas (a textarea with one
    /// audience a line, or checkboxes).
    pub fn words(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(|c: char| c.is_whitespace() || c == ','))
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// Whether the form's `csrf` field is `expected`, compared in constant time.
    pub fn csrf_matches(&self, expected: &str) -> bool {
        let given = self.get("csrf");
        !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
    }
}

/// The value of cookie `name`, from any `Cookie` header.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value scoped to the console: `HttpOnly; SameSite=Strict; Path=/console`, plus
/// `Secure` when configured, and `Max-Age=0` to clear it.
pub fn set_cookie(name: &str, value: &str, secure: bool, clear: bool) -> String {
    let mut cookie = format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/console");
    if secure {
        cookie.push_str("; Secure");
    }
    if clear {
        cookie.push_str("; Max-Age=0");
    }
    cookie
}
