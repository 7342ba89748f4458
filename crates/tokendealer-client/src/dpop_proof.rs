//! The DPoP proofs this library makes (RFC 9449 §4): one per request, for the token endpoint
//! and for each call a [`TokenSource`](super::TokenSource) sends with a DPoP-bound token, and
//! the nonces servers ask proofs to carry (§8, §9).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonwebtoken::Header;
use reqwest::Url;
use serde::Serialize;

use super::assertion::random_id;
use super::dpop::access_token_hash;
use super::error::ClientError;
use super::signing::SigningKey;

/// Servers whose nonce is remembered; past it the memory starts over, which costs each
/// forgotten server one `use_dpop_nonce` round trip, never a failed request.
const MAX_REMEMBERED_NONCES: usize = 64;

#[derive(Serialize)]
struct ProofClaims<'a> {
    jti: String,
    htm: &'a str,
    htu: &'a str,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

impl SigningKey {
    /// A DPoP proof (RFC 9449 §4.2) of this key for a `method` request to `url` at `now`
    /// (Unix seconds): header `typ: dpop+jwt` with the public `jwk`, claims `jti` (128
    /// random bits), `htm`, `htu` (the URL without query and fragment), `iat`, and `ath` (the
    /// token's SHA-256, §4.3) when an access token goes with it, `nonce` when a server gave
    /// one.
    pub fn dpop_proof(
        &self,
        method: &str,
        url: &Url,
        now: u64,
        access_token: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<String, ClientError> {
        let htu = htu(url);
        let claims = ProofClaims {
            jti: random_id()?,
            htm: method,
            htu: &htu,
            iat: now,
            ath: access_token.map(access_token_hash),
            nonce,
        };
        let mut header = Header::new(self.algorithm());
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(self.public_jwk().clone());
        self.sign_jwt(&mut header, &claims)
    }
}

/// RFC 9449 §4.2: `htu` is the request's URL without query and fragment.
pub(crate) fn htu(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.into()
}

/// The nonce each server (by origin) last asked for.
#[derive(Default)]
pub(crate) struct NonceMemory {
    by_origin: Mutex<HashMap<String, Arc<str>>>,
}

impl NonceMemory {
    pub(crate) fn get(&self, url: &Url) -> Option<Arc<str>> {
        let map = self.by_origin.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&url.origin().ascii_serialization()).cloned()
    }

    pub(crate) fn remember(&self, url: &Url, nonce: &str) {
        let mut map = self.by_origin.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_REMEMBERED_NONCES {
            map.clear();
        }
        map.insert(url.origin().ascii_serialization(), Arc::from(nonce));
    }
}

/// The nonce a response asks for: its `DPoP-Nonce` header, when it holds a valid one
/// (RFC 9449 §8.1: `1*NQCHAR`, printable ASCII without `"` and `\`).
pub(crate) fn nonce_asked(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let value = headers.get("dpop-nonce")?.to_str().ok()?;
    let valid = !value.is_empty()
        && value.len() <= 1024
        && value
            .bytes()
            .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\');
    valid.then(|| value.to_owned())
}
