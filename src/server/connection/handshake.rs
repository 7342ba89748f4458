//! A connection's TLS handshake, under its own deadline and inside its place under the cap, and
//! the HTTP version its ALPN chose.
//!
//! The handshake is timed from accept by `Limits::tls_handshake_timeout`; the HTTP deadlines
//! (protocol detection, head, body, idle) start once it is done. A handshake holds its place
//! under the cap until then: it is not closed to make room while the cap is reached, as an idle
//! connection is, since the cap's first call for room comes the moment the place is taken, in
//! the middle of every handshake (a round trip and a signature). It is closed at once when the
//! server drains. Anything that is not a TLS client (plain HTTP included) fails the handshake
//! and is closed.

use std::net::SocketAddr;
use std::time::Duration;

use hyper_util::server::conn::auto;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::server::TlsStream;

use super::{Shared, Tracked};
use crate::server::handler::{ConnectionInfo, PeerCertificates};
use crate::server::tls::{ALPN_H2, ALPN_HTTP11, Tls};

/// What HTTPS adds to a connection: the acceptor, its deadline, and builders that speak only
/// the protocol ALPN agreed on.
pub(in crate::server) struct TlsServing {
    tls: Tls,
    deadline: Duration,
    http1: auto::Builder<Tracked>,
    http2: auto::Builder<Tracked>,
}

impl TlsServing {
    pub(in crate::server) fn new(
        tls: Tls,
        deadline: Duration,
        any: &auto::Builder<Tracked>,
    ) -> Self {
        Self {
            tls,
            deadline,
            http1: any.clone().http1_only(),
            http2: any.clone().http2_only(),
        }
    }

    /// The builder for the protocol ALPN chose: `h2` is HTTP/2 only, `http/1.1` HTTP/1 only;
    /// without ALPN the first bytes decide, as on plain HTTP.
    pub(super) fn builder<'a>(
        &'a self,
        any: &'a auto::Builder<Tracked>,
        stream: &TlsStream<TcpStream>,
    ) -> &'a auto::Builder<Tracked> {
        match stream.get_ref().1.alpn_protocol() {
            Some(ALPN_H2) => &self.http2,
            Some(ALPN_HTTP11) => &self.http1,
            _ => any,
        }
    }
}

/// Runs the handshake; `None` when it failed, overran its deadline, or the server began to stop
/// before it was done.
pub(super) async fn accept<H>(
    shared: &Shared<H>,
    tls: &TlsServing,
    stream: TcpStream,
    peer: SocketAddr,
) -> Option<TlsStream<TcpStream>> {
    let handshake = timeout(tls.deadline, tls.tls.acceptor.accept(stream));
    let reason = tokio::select! {
        done = handshake => match done {
            Ok(Ok(stream)) => return Some(stream),
            Ok(Err(e)) => {
                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                return None;
            }
            Err(_) => "TLS handshake too slow",
        },
        () = shared.draining.cancelled() => "stopping",
    };
    tracing::debug!(%peer, reason, "closing the connection");
    None
}

/// What the requests of a TLS connection are told about it: the peer, and the certificates the
/// client presented, if any, judged once here against the client CA.
pub(super) fn connection_info(
    tls: &TlsServing,
    stream: &TlsStream<TcpStream>,
    peer: SocketAddr,
) -> ConnectionInfo {
    let ca = tls.tls.client_ca.as_ref();
    ConnectionInfo {
        peer,
        peer_certificates: PeerCertificates::of(stream.get_ref().1.peer_certificates(), |c| {
            ca.is_some_and(|ca| ca.chains(c))
        }),
    }
}
