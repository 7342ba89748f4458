//! A trusted issuer's `jwks_uri`, discovered from its OpenID configuration
//! (`ISSUER/.well-known/openid-configuration`, OpenID Connect Discovery §4): fetched with the
//! key sets' bounds (https only, one deadline, a byte bound, no redirects, the fetches-under-way
//! bound), cached by `Cache-Control` within the same limits, one fetch per issuer at a time,
//! a failure remembered for the cooldown and the last good answer used for the stale bound.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use async_trait::async_trait;

use super::{JwksFetcher, fetch};
use crate::domain::ports::{IssuerDiscovery, KeysUnavailable};

/// Issuers whose discovery is remembered at once (trusted issuers are far fewer).
const MAX_ISSUERS: usize = 1024;

/// Discovers over the fetcher's HTTP client and bounds.
pub struct Discoverer {
    fetcher: Arc<JwksFetcher>,
    issuers: Mutex<HashMap<String, Arc<Entry>>>,
}

#[derive(Default)]
struct Entry {
    known: Mutex<Known>,
    flight: tokio::sync::Mutex<()>,
}

#[derive(Default, Clone)]
struct Known {
    jwks_uri: Option<String>,
    fresh_until: Option<Instant>,
    good_until: Option<Instant>,
    attempted: Option<Instant>,
    failure: Option<String>,
}

impl Discoverer {
    pub fn new(fetcher: Arc<JwksFetcher>) -> Self {
        Self {
            fetcher,
            issuers: Mutex::new(HashMap::new()),
        }
    }

    fn entry(&self, issuer: &str) -> Arc<Entry> {
        let mut issuers = self.issuers.lock().unwrap_or_else(PoisonError::into_inner);
        if !issuers.contains_key(issuer)
            && issuers.len() >= MAX_ISSUERS
            && let Some(victim) = issuers.keys().next().cloned()
        {
            issuers.remove(&victim);
        }
        issuers.entry(issuer.to_owned()).or_default().clone()
    }

    /// What is known without a fetch: `Some(answer)`, or `None` to fetch.
    fn known(
        &self,
        k: &Known,
        issuer: &str,
        now: Instant,
    ) -> Option<Result<String, KeysUnavailable>> {
        let bounds = &self.fetcher.bounds;
        let cooling = k.attempted.is_some_and(|at| now < at + bounds.cooldown);
        let fresh = k.fresh_until.is_some_and(|until| now < until);
        let good = k.good_until.is_some_and(|until| now < until);
        match &k.jwks_uri {
            Some(uri) if fresh || (cooling && good) => Some(Ok(uri.clone())),
            None if cooling => Some(Err(unavailable(
                issuer,
                k.failure.as_deref().unwrap_or("tried moments ago"),
            ))),
            _ => None,
        }
    }

    async fn discover(
        &self,
        issuer: &str,
    ) -> Result<(String, Option<std::time::Duration>), String> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let _permit = self
            .fetcher
            .fetches
            .try_acquire()
            .map_err(|_| super::QUEUE_FULL.to_owned())?;
        let (doc, max_age) =
            fetch::get_json(&self.fetcher.http, &self.fetcher.bounds, &url).await?;
        // OpenID Connect Discovery §4.3: the document speaks for exactly this issuer.
        if doc.get("issuer").and_then(|i| i.as_str()) != Some(issuer) {
            return Err("its issuer is not the trusted issuer".into());
        }
        let uri = doc
            .get("jwks_uri")
            .and_then(|u| u.as_str())
            .ok_or("it names no jwks_uri")?;
        Ok((uri.to_owned(), max_age))
    }
}

fn unavailable(issuer: &str, why: &str) -> KeysUnavailable {
    KeysUnavailable {
        uri: format!("{issuer} (discovery)"),
        why: why.to_owned(),
    }
}

#[async_trait]
impl IssuerDiscovery for Discoverer {
    async fn jwks_uri(&self, issuer: &str) -> Result<String, KeysUnavailable> {
        let entry = self.entry(issuer);
        let read = |e: &Entry| {
            e.known
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        };
        if let Some(answer) = self.known(&read(&entry), issuer, Instant::now()) {
            return answer;
        }
        let _flight = entry.flight.lock().await;
        if let Some(answer) = self.known(&read(&entry), issuer, Instant::now()) {
            return answer;
        }
        let found = self.discover(issuer).await;
        let bounds = &self.fetcher.bounds;
        let now = Instant::now();
        let mut known = entry.known.lock().unwrap_or_else(PoisonError::into_inner);
        // Refused a place among the fetches is not tried: no cooldown starts.
        if !matches!(&found, Err(why) if why == super::QUEUE_FULL) {
            known.attempted = Some(now);
        }
        match found {
            Ok((uri, max_age)) => {
                let keep = max_age
                    .unwrap_or(bounds.max_cache)
                    .clamp(bounds.min_cache, bounds.max_cache);
                known.jwks_uri = Some(uri.clone());
                known.fresh_until = Some(now + keep);
                known.good_until = Some(now + keep + bounds.stale);
                known.failure = None;
                Ok(uri)
            }
            Err(why) => {
                tracing::warn!(issuer, why, "discovering a trusted issuer's keys failed");
                if why != super::QUEUE_FULL {
                    known.failure = Some(why.clone());
                }
                match &known.jwks_uri {
                    Some(uri) if known.good_until.is_some_and(|g| now < g) => Ok(uri.clone()),
                    _ => Err(unavailable(issuer, &why)),
                }
            }
        }
    }
}
