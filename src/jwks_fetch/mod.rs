//! Fetching and caching the JWK Sets clients publish at their `jwks_uri`: the remote keys port
//! ([`RemoteKeys`]) over reqwest, bounded in every way a hostile URL could stretch it.
//!
//! https only (plain http on loopback behind a development setting); one deadline for the
//! whole fetch; the body cut off past a byte bound; no redirects; a set kept for its
//! `Cache-Control: max-age` clamped to bounds; an unknown `kid` refetches at most once per
//! cooldown, one fetch for every concurrent caller of that URL (single flight, per URL: a slow
//! URL holds up only the requests that need it); after a failure the last good set serves on for
//! a bounded time, and the failure itself is remembered for the cooldown; fetches under way
//! across all URLs are bounded, beyond which a fetch fails at once. Only addresses the SSRF
//! guard admits are connected to (`guard`). No lock is held across a
//! fetch except the URL's own flight.

pub mod discovery;
mod fetch;
mod guard;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::Semaphore;

use crate::domain::assertion::AssertionSettings;
use crate::domain::client_auth::PublicKeySet;
use crate::domain::fetch_address::FetchAllowance;
use crate::domain::ports::{KeysUnavailable, RemoteKeys};

/// The most URLs whose sets are cached at once (one per `private_key_jwt` client with a URL).
const MAX_URLS: usize = 4096;

/// Why a fetch did not start: every place among the fetches under way was taken.
const QUEUE_FULL: &str = "too many key set fetches under way";

/// The fetcher and its cache. Built once at start.
pub struct JwksFetcher {
    http: reqwest::Client,
    bounds: Bounds,
    urls: Mutex<HashMap<String, Arc<Entry>>>,
    fetches: Semaphore,
}

/// The limits of `[client_assertions]` a fetch obeys.
#[derive(Debug, Clone)]
struct Bounds {
    max_bytes: usize,
    min_cache: Duration,
    max_cache: Duration,
    cooldown: Duration,
    stale: Duration,
    allow_http_loopback: bool,
    allowance: FetchAllowance,
}

/// One URL: what was last fetched, and the flight fetches of it take turns in.
#[derive(Default)]
struct Entry {
    cached: Mutex<Cached>,
    flight: tokio::sync::Mutex<()>,
}

#[derive(Default, Clone)]
struct Cached {
    set: Option<Arc<PublicKeySet>>,
    /// Until when the set is used without asking again.
    fresh_until: Option<Instant>,
    /// Until when the set is used when fetches fail.
    good_until: Option<Instant>,
    /// When the last fetch ended, and how.
    attempted: Option<Instant>,
    failure: Option<String>,
}

impl JwksFetcher {
    pub fn new(settings: &AssertionSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(settings.jwks_fetch_timeout_secs))
            .connect_timeout(Duration::from_secs(settings.jwks_fetch_timeout_secs))
            .user_agent(concat!("tokendealer/", env!("CARGO_PKG_VERSION")))
            // Connect only where the guard admits, to the very addresses it judged: no proxy
            // resolving names on its own.
            .no_proxy()
            .dns_resolver(Arc::new(guard::GuardedResolver {
                allowance: settings.fetch_allowance(),
            }))
            .build()?;
        Ok(Self {
            http,
            bounds: Bounds {
                max_bytes: settings.jwks_max_bytes,
                min_cache: Duration::from_secs(settings.jwks_min_cache_secs),
                max_cache: Duration::from_secs(settings.jwks_max_cache_secs),
                cooldown: Duration::from_secs(settings.jwks_refetch_cooldown_secs),
                stale: Duration::from_secs(settings.jwks_stale_secs),
                allow_http_loopback: settings.jwks_allow_http_loopback,
                allowance: settings.fetch_allowance(),
            },
            urls: Mutex::new(HashMap::new()),
            fetches: Semaphore::new(settings.jwks_max_fetches),
        })
    }

    fn entry(&self, uri: &str) -> Arc<Entry> {
        let mut urls = self.urls.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = urls.get(uri) {
            return entry.clone();
        }
        if urls.len() >= MAX_URLS
            && let Some(victim) = urls.keys().next().cloned()
        {
            urls.remove(&victim);
        }
        urls.entry(uri.to_owned()).or_default().clone()
    }

    /// What the cache can answer without a fetch: `Some(answer)`, or `None` to fetch.
    fn cached_answer(
        &self,
        cached: &Cached,
        uri: &str,
        kid: Option<&str>,
        now: Instant,
    ) -> Option<Result<Arc<PublicKeySet>, KeysUnavailable>> {
        let cooling = cached
            .attempted
            .is_some_and(|at| now < at + self.bounds.cooldown);
        let fresh = cached.fresh_until.is_some_and(|until| now < until);
        match &cached.set {
            Some(set) if fresh && (kid.is_none_or(|k| has_kid(set, k)) || cooling) => {
                Some(Ok(set.clone()))
            }
            // Expired or lacking the kid, but just tried: the last good set while it lasts.
            Some(set) if cooling && cached.good_until.is_some_and(|g| now < g) => {
                Some(Ok(set.clone()))
            }
            None if cooling => Some(Err(unavailable(
                uri,
                cached.failure.as_deref().unwrap_or("fetched moments ago"),
            ))),
            _ => None,
        }
    }
}

fn has_kid(set: &PublicKeySet, kid: &str) -> bool {
    set.keys()
        .iter()
        .any(|k| k.common.key_id.as_deref() == Some(kid))
}

fn unavailable(uri: &str, why: &str) -> KeysUnavailable {
    KeysUnavailable {
        uri: uri.to_owned(),
        why: why.to_owned(),
    }
}

#[async_trait]
impl RemoteKeys for JwksFetcher {
    async fn keys(
        &self,
        uri: &str,
        kid: Option<&str>,
    ) -> Result<Arc<PublicKeySet>, KeysUnavailable> {
        let entry = self.entry(uri);
        let read = |e: &Entry| {
            e.cached
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        };
        if let Some(answer) = self.cached_answer(&read(&entry), uri, kid, Instant::now()) {
            return answer;
        }
        // One fetch per URL at a time; whoever waited finds its result in the cache.
        let _flight = entry.flight.lock().await;
        if let Some(answer) = self.cached_answer(&read(&entry), uri, kid, Instant::now()) {
            return answer;
        }
        let fetched = match self.fetches.try_acquire() {
            Ok(_permit) => fetch::fetch(&self.http, &self.bounds, uri).await,
            Err(_) => Err(QUEUE_FULL.to_owned()),
        };
        let now = Instant::now();
        let mut cached = entry.cached.lock().unwrap_or_else(PoisonError::into_inner);
        // Refused a place among the fetches is not tried: no cooldown starts, so the next
        // request may fetch.
        if !matches!(&fetched, Err(why) if why == QUEUE_FULL) {
            cached.attempted = Some(now);
        }
        match fetched {
            Ok((set, max_age)) => {
                let keep = max_age
                    .unwrap_or(self.bounds.max_cache)
                    .clamp(self.bounds.min_cache, self.bounds.max_cache);
                let set = Arc::new(set);
                cached.set = Some(set.clone());
                cached.fresh_until = Some(now + keep);
                cached.good_until = Some(now + keep + self.bounds.stale);
                cached.failure = None;
                Ok(set)
            }
            Err(why) => {
                tracing::warn!(uri, why, "fetching a client's key set failed");
                if why != QUEUE_FULL {
                    cached.failure = Some(why.clone());
                }
                match &cached.set {
                    Some(set) if cached.good_until.is_some_and(|g| now < g) => Ok(set.clone()),
                    _ => Err(unavailable(uri, &why)),
                }
            }
        }
    }
}
