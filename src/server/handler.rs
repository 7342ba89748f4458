//! What the transport calls for each request ([`Handler`]), and what it tells it about the
//! connection the request came on ([`ConnectionInfo`], also in the request's extensions).

use std::convert::Infallible;
use std::error::Error as StdError;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use rustls::pki_types::CertificateDer;

/// Answers the requests of a listener. Cloned for each request (so, cheap to clone: an `Arc`),
/// on any thread; the future it returns owns what it needs (it may run as a task of its own, an
/// HTTP/2 stream).
///
/// Generic, not a trait object: the transport is compiled for the handler it is given, so a
/// request costs no boxing and no dynamic call on its way in.
pub trait Handler: Clone + Send + Sync + 'static {
    /// The response body.
    type Body: Body<Data: Send, Error: Into<Box<dyn StdError + Send + Sync>>> + Send + 'static;

    /// Answers `req`, which came on `conn` (also in `req`'s extensions, for code further in).
    /// Never fails: an error is a response like any other. (A `Result` all the same, as hyper
    /// takes it: wrapping the future to unwrap it would hold it twice over.)
    fn call(
        self,
        req: Request<Incoming>,
        conn: &ConnectionInfo,
    ) -> impl Future<Output = Result<Response<Self::Body>, Infallible>> + Send + use<Self>;
}

/// The connection a request came on, in the request's extensions. `X-Forwarded-For` and the
/// like are headers, not this: any client can write them.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// The TCP peer's address.
    pub peer: SocketAddr,
    /// Over TLS, the certificate chain the client presented (leaf first) and whether it leads
    /// to the client CA; `None` on plain HTTP and when the client sent none.
    pub peer_certificates: Option<PeerCertificates>,
}

impl ConnectionInfo {
    /// A plain TCP connection from `peer`.
    pub fn plain(peer: SocketAddr) -> Self {
        Self {
            peer,
            peer_certificates: None,
        }
    }
}

/// A client's certificate chain as the TLS handshake received it, leaf first, and whether it
/// led to the client CA; made once per connection and shared by its requests. (Behind a thin
/// pointer: every request's extensions box a [`ConnectionInfo`], which stays as small as the
/// address alone would be to malloc.)
#[derive(Debug, Clone)]
pub struct PeerCertificates(Arc<Presented>);

#[derive(Debug)]
struct Presented {
    chain: Vec<CertificateDer<'static>>,
    chained_to_ca: bool,
}

impl PeerCertificates {
    /// The chain of a finished handshake, judged by `chains` (the client CA's check); `None` if
    /// the client presented none.
    pub(super) fn of(
        chain: Option<&[CertificateDer<'_>]>,
        chains: impl FnOnce(&[CertificateDer<'_>]) -> bool,
    ) -> Option<Self> {
        let chain = chain.filter(|c| !c.is_empty())?;
        Some(Self(Arc::new(Presented {
            chained_to_ca: chains(chain),
            chain: chain.iter().map(|c| c.clone().into_owned()).collect(),
        })))
    }

    /// The certificates, leaf first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.0.chain
    }

    /// The client's own certificate: the chain's first.
    pub fn leaf(&self) -> &[u8] {
        self.0.chain.first().map(|c| c.as_ref()).unwrap_or_default()
    }

    /// Whether the chain led to the client CA (`tls_client_ca`) at the handshake: valid then,
    /// for client authentication; false without a client CA.
    pub fn chained_to_ca(&self) -> bool {
        self.0.chained_to_ca
    }
}
