//! The TCP peer's address (from the transport's [`ConnectionInfo`]) and the request's id, read
//! from the request's extensions by the handlers that count failures per source or audit.
//! `X-Forwarded-For` is not trusted: any client can write it.

use std::net::{IpAddr, Ipv4Addr};

use http::Extensions;

use crate::domain::origin::{Origin, RequestId};
use crate::server::ConnectionInfo;

/// The peer's IP; unspecified if the transport did not record one (it always does).
pub fn peer_ip(extensions: &Extensions) -> IpAddr {
    extensions
        .get::<ConnectionInfo>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.peer.ip())
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
