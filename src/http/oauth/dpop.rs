//! The `DPoP` header (RFC 9449 §4.1, §5, §7.1): at most one, non-empty; a token request's
//! proof checked by the domain against the issuer's public token endpoint URL, never the
//! socket's (behind a proxy the issuer's URL is the one clients sign).

use std::borrow::Cow;

use http::HeaderMap;

use crate::domain::dpop::{Dpop, DpopProof};
use crate::domain::{Confirmation, OAuthError, UnixTime};

/// The request header carrying a DPoP proof.
pub const DPOP: &str = "dpop";

/// The proof sent with a token request, checked at `now`; `None` when the request has none.
pub fn proof(
    headers: &HeaderMap,
    dpop: &Dpop,
    now: UnixTime,
) -> Result<Option<DpopProof>, OAuthError> {
    header(headers)?
        .map(|text| dpop.check(text, now))
        .transpose()
}

/// The request's `DPoP` header: `None` without one; refused when repeated, empty or not text.
pub fn header(headers: &HeaderMap) -> Result<Option<&str>, OAuthError> {
    let mut values = headers.get_all(DPOP).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(refused("send exactly one DPoP header"));
    }
    let text = value
        .to_str()
        .map_err(|_| refused("the DPoP header is not a JWT"))?;
    if text.is_empty() {
        return Err(refused("the DPoP header is empty"));
    }
    Ok(Some(text))
}

/// The token's `cnf` for a checked proof: its key's thumbprint (RFC 9449 §6.1).
pub fn binding(proof: Option<&DpopProof>) -> Option<Confirmation> {
    proof.map(|p| Confirmation {
        jkt: Some(p.jkt.clone()),
        x5t_s256: None,
    })
}

fn refused(why: &'static str) -> OAuthError {
    OAuthError::InvalidDpopProof(Cow::Borrowed(why))
}
