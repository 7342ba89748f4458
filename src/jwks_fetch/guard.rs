//! The fetcher's guard against server-side request forgery: every address a fetch connects to
//! is judged by [`FetchAllowance`] after resolution, by the resolver the HTTP client connects
//! through (resolved once, connected to as judged: no second lookup a rebinding name could
//! answer otherwise); a literal address in the URL, which reqwest connects to without asking
//! the resolver, is judged before the request.

use std::error::Error as _;
use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::domain::fetch_address::{FetchAllowance, literal_address};
use crate::domain::ports::REFUSED_ADDRESS;

/// Why a fetch was refused its address; found again in reqwest's error chain.
#[derive(Debug, thiserror::Error)]
#[error("{REFUSED_ADDRESS}{0}")]
pub(super) struct Refused(String);

/// Resolves with the system's resolver, then keeps only the addresses the allowance admits.
pub(super) struct GuardedResolver {
    pub(super) allowance: FetchAllowance,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let (allowance, host) = (self.allowance, name.as_str().to_owned());
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match allowance.refusal(a.ip()) {
                    None => true,
                    Some(why) => {
                        refused.get_or_insert((a.ip(), why));
                        false
                    }
                })
                .collect();
            if kept.is_empty() {
                let (ip, why) = refused.ok_or_else(|| format!("{host} resolves to nothing"))?;
                return Err(Box::new(Refused(format!("{host} resolves to {ip}, {why}"))) as _);
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

/// The refusal of a URL whose host is a literal address the allowance does not admit.
pub(super) fn literal_refusal(url: &reqwest::Url, allowance: FetchAllowance) -> Option<String> {
    let ip = literal_address(url)?;
    allowance
        .refusal(ip)
        .map(|why| format!("{REFUSED_ADDRESS}{ip} is {why}"))
}

/// The guard's refusal somewhere in a failed request's error chain, as its message.
pub(super) fn refusal_in(e: &reqwest::Error) -> Option<String> {
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<Refused>() {
            return Some(refused.to_string());
        }
        source = s.source();
    }
    None
}
