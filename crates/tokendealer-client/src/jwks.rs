//! The dealer's public keys: fetched from `jwks_uri`, cached by `kid`, refetched sparingly.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use reqwest::Url;
use reqwest::header::CACHE_CONTROL;
use serde::Deserialize;

use super::error::VerifyError;

/// How long a key set is used when the answer carries no `Cache-Control: max-age`.
const DEFAULT_MAX_AGE_SECS: u64 = 300;

/// One verification key as published.
pub(crate) struct Key {
    pub kid: Option<String>,
    /// `None` when the JWK has no `alg`; the key's family still limits what it verifies.
    pub alg: Option<Algorithm>,
    pub key: DecodingKey,
}

/// A snapshot of the key set.
#[derive(Default)]
pub(crate) struct KeySet {
    pub keys: Vec<Key>,
    /// Bumped on every successful fetch so waiters can tell that someone else just fetched.
    generation: u64,
    fetched_at: Option<u64>,
    max_age: u64,
}

impl KeySet {
    fn knows(&self, kid: Option<&str>) -> bool {
        match kid {
            Some(kid) => self.keys.iter().any(|k| k.kid.as_deref() == Some(kid)),
            None => !self.keys.is_empty(),
        }
    }

    fn is_stale(&self, now: u64) -> bool {
        self.fetched_at
            .is_none_or(|at| now >= at.saturating_add(self.max_age))
    }
}

/// Keys fetched from one JWKS URL; all times are Unix seconds passed in by the caller.
pub(crate) struct KeyCache {
    jwks_uri: Url,
    http: reqwest::Client,
    cooldown: u64,
    current: ArcSwap<KeySet>,
    /// No fetch before this instant: bounds fetches per cooldown however many tokens with
    /// unknown `kid`s arrive.
    next_fetch: AtomicU64,
    /// Held during a fetch so that concurrent callers wait for it instead of fetching too.
    fetching: tokio::sync::Mutex<()>,
}

impl KeyCache {
    pub(crate) fn new(jwks_uri: Url, http: reqwest::Client, cooldown: u64) -> Self {
        Self {
            jwks_uri,
            http,
            cooldown,
            current: ArcSwap::from_pointee(KeySet::default()),
            next_fetch: AtomicU64::new(0),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The key set to look `kid` up in: the cached one when it is fresh and knows `kid`,
    /// otherwise after a refetch if the cooldown allows one.
    pub(crate) async fn keys_for(
        &self,
        kid: Option<&str>,
        now: u64,
    ) -> Result<Arc<KeySet>, VerifyError> {
        let seen = self.current.load_full();
        if !seen.is_stale(now) && seen.knows(kid) {
            return Ok(seen);
        }
        // A stale set still verifies known keys while its refresh is under way or failed
        // recently; unknown keys queue on the lock to see the fetch that may bring them.
        if seen.knows(kid) && self.cooling(now) {
            return Ok(seen);
        }
        let _flight = self.fetching.lock().await;
        let current = self.current.load_full();
        if current.generation != seen.generation || self.cooling(now) {
            return fetched(current);
        }
        self.next_fetch
            .store(now.saturating_add(self.cooldown), Ordering::SeqCst);
        match self.fetch(now, current.generation + 1).await {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                self.current.store(Arc::clone(&fresh));
                Ok(fresh)
            }
            // Stale keys beat no keys while the dealer is briefly unreachable.
            Err(e) if current.fetched_at.is_some() => {
                tracing::warn!(error = %e, "refreshing the JWKS failed; keeping the old keys");
                Ok(current)
            }
            Err(e) => Err(e),
        }
    }

    fn cooling(&self, now: u64) -> bool {
        now < self.next_fetch.load(Ordering::SeqCst)
    }

    async fn fetch(&self, now: u64, generation: u64) -> Result<KeySet, VerifyError> {
        let unavailable = |e: reqwest::Error| VerifyError::Unavailable(format!("JWKS: {e}"));
        let response = self
            .http
            .get(self.jwks_uri.clone())
            .send()
            .await
            .map_err(unavailable)?
            .error_for_status()
            .map_err(unavailable)?;
        let max_age = response
            .headers()
            .get(CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age)
            .unwrap_or(DEFAULT_MAX_AGE_SECS);
        let raw: RawKeySet = response.json().await.map_err(unavailable)?;
        Ok(KeySet {
            keys: raw.keys.into_iter().filter_map(usable_key).collect(),
            generation,
            fetched_at: Some(now),
            max_age,
        })
    }
}

/// A set that was fetched at least once; an empty never-fetched set would otherwise make
/// every token look like it had an unknown key while the dealer is unreachable.
fn fetched(set: Arc<KeySet>) -> Result<Arc<KeySet>, VerifyError> {
    match set.fetched_at {
        Some(_) => Ok(set),
        None => Err(VerifyError::Unavailable(
            "the key set could not be fetched yet".into(),
        )),
    }
}

#[derive(Deserialize)]
struct RawKeySet {
    // Values, not `Jwk`s: one key of a kind we do not know must not hide the others.
    keys: Vec<serde_json::Value>,
}

/// A signature key we can use, or `None` for encryption keys, symmetric keys (a published
/// `oct` key would let anyone mint tokens) and shapes we do not understand.
fn usable_key(raw: serde_json::Value) -> Option<Key> {
    let jwk: Jwk = serde_json::from_value(raw).ok()?;
    if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
        return None;
    }
    if matches!(&jwk.common.public_key_use, Some(u) if *u != PublicKeyUse::Signature) {
        return None;
    }
    let alg = match jwk.common.key_algorithm {
        Some(alg) => Some(Algorithm::try_from(alg).ok()?),
        None => None,
    };
    if alg.is_some_and(|a| a.family() == jsonwebtoken::AlgorithmFamily::Hmac) {
        return None;
    }
    Some(Key {
        kid: jwk.common.key_id.clone(),
        alg,
        key: DecodingKey::from_jwk(&jwk).ok()?,
    })
}

/// The `max-age` directive of a `Cache-Control` value.
fn max_age(value: &str) -> Option<u64> {
    value.split(',').find_map(|directive| {
        let (name, seconds) = directive.trim().split_once('=')?;
        name.eq_ignore_ascii_case("max-age")
            .then(|| seconds.trim().parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_read_among_other_directives() {
        assert_eq!(max_age("public, max-age=600, must-revalidate"), Some(600));
        assert_eq!(max_age("no-cache"), None);
        assert_eq!(max_age("Max-Age=7"), Some(7));
    }

    #[test]
    fn a_published_symmetric_key_is_never_used() {
        let oct = serde_json::json!({"kty": "oct", "k": "c2VjcmV0", "kid": "h", "alg": "HS256"});
        assert!(usable_key(oct).is_none());
    }
}
