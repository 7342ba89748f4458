//! One fetch of a JWK Set: the URL's scheme checked, the answer read within its byte bound and
//! checked as a set of public keys, its `Cache-Control: max-age` read.

use std::net::IpAddr;
use std::time::Duration;

use super::Bounds;
use crate::domain::client_auth::PublicKeySet;

/// The set at `uri` and how long it says it may be kept; the error says why not, for the log.
pub(super) async fn fetch(
    http: &reqwest::Client,
    bounds: &Bounds,
    uri: &str,
) -> Result<(PublicKeySet, Option<Duration>), String> {
    let (json, max_age) = get_json(http, bounds, uri).await?;
    let set = PublicKeySet::parse_fetched(&json).map_err(|e| e.into_owned())?;
    Ok((set, max_age))
}

/// The JSON document at `uri` under the same bounds (a key set, or a trusted issuer's
/// discovery document), and how long it says it may be kept.
pub(super) async fn get_json(
    http: &reqwest::Client,
    bounds: &Bounds,
    uri: &str,
) -> Result<(serde_json::Value, Option<Duration>), String> {
    let url = reqwest::Url::parse(uri).map_err(|_| "not a URL".to_owned())?;
    match url.scheme() {
        "https" => {}
        "http" if bounds.allow_http_loopback && loopback(&url) => {}
        _ => return Err("only https URLs are fetched".into()),
    }
    if let Some(refused) = super::guard::literal_refusal(&url, bounds.allowance) {
        return Err(refused);
    }
    let mut response = http
        .get(url)
        .header(
            reqwest::header::ACCEPT,
            "application/jwk-set+json, application/json",
        )
        .send()
        .await
        .map_err(|e| {
            super::guard::refusal_in(&e).unwrap_or_else(|| format!("the request failed: {e}"))
        })?;
    if response.status() != reqwest::StatusCode::OK {
        // Redirects are not followed: a 3xx lands here too.
        return Err(format!("answered {}", response.status()));
    }
    if response
        .content_length()
        .is_some_and(|n| n > bounds.max_bytes as u64)
    {
        return Err(format!("longer than {} bytes", bounds.max_bytes));
    }
    let max_age = response
        .headers()
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .and_then(max_age);
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading the answer failed: {e}"))?
    {
        if body.len() + chunk.len() > bounds.max_bytes {
            return Err(format!("longer than {} bytes", bounds.max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    let json: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| "the answer is not JSON".to_owned())?;
    Ok((json, max_age))
}

fn loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// `max-age` of a `Cache-Control` value (`no-store`/`no-cache` read as 0: the bounds decide).
fn max_age(value: &str) -> Option<Duration> {
    value.split(',').find_map(|d| {
        let d = d.trim();
        if d.eq_ignore_ascii_case("no-store") || d.eq_ignore_ascii_case("no-cache") {
            return Some(Duration::ZERO);
        }
        let (name, secs) = d.split_once('=')?;
        name.trim().eq_ignore_ascii_case("max-age").then(|| {
            secs.trim()
                .trim_matches('"')
                .parse()
                .ok()
                .map(Duration::from_secs)
        })?
    })
}
