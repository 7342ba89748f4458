//! The TCP peer's address and the request's id, carried in the request's extensions to the
//! handlers that count failures per source or audit. `X-Forwarded-For` is not trusted: any
//! client can write it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use http::Extensions;

use crate::domain::origin::{Origin, RequestId};

/// The address the connection came from.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// The peer's IP; unspecified if `handle` did not record one (it always does).
pub fn peer_ip(extensions: &Extensions) -> IpAddr {
    extensions
        .get::<Peer>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.0.ip())
}

/// The peer's address and the request's id (a fresh id if `handle` did not record one).
pub fn origin(extensions: &Extensions) -> Origin {
    Origin {
        address: peer_ip(extensions),
        request_id: extensions
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(RequestId::random),
    }
}
