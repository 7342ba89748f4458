//! The transport with a handler of the tests' own: what it tells the handler about the
//! connection, on plain HTTP (both I/O models) and over TLS.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::*;

/// Answers what it was told of the connection: the peer as given, whether certificates came,
/// and whether the request's extension says the same.
#[derive(Clone)]
struct Echo;

impl Handler for Echo {
    type Body = Full<Bytes>;

    fn call(
        self,
        req: Request<Incoming>,
        conn: &ConnectionInfo,
    ) -> impl Future<Output = Result<Response<Full<Bytes>>, std::convert::Infallible>> + Send + use<>
    {
        let extension = req.extensions().get::<ConnectionInfo>();
        let same = extension.is_some_and(|e| {
            e.peer == conn.peer && e.peer_certificates.is_none() == conn.peer_certificates.is_none()
        });
        let text = format!(
            "{} certificates={} extension={same}",
            conn.peer,
            conn.peer_certificates.is_some()
        );
        async move { Ok(Response::new(Full::new(Bytes::from(text)))) }
    }
}

fn limits() -> Limits {
    let s = Duration::from_secs;
    Limits {
        max_connections: 4,
        first_byte_timeout: s(5),
        header_read_timeout: s(5),
        idle_timeout: s(5),
        h2_keepalive_interval: s(5),
        h2_keepalive_timeout: s(5),
        h2_max_concurrent_streams: 4,
        tls_handshake_timeout: s(5),
        shutdown_timeout: s(1),
    }
}

/// One GET over `io` with HTTP/1.1; the answer's body.
async fn get<S>(io: S) -> String
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::get("/")
        .header(http::header::HOST, "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(req).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test]
async fn the_handler_is_told_the_peer_s_address_and_no_certificates_on_plain_http() {
    for io in [IoModel::Shared, IoModel::PerThread] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let stopped = stop.clone().cancelled_owned();
        let serving = tokio::spawn(async move {
            match io {
                IoModel::Shared => serve(listener, Echo, limits(), None, stopped).await,
                IoModel::PerThread => serve_per_thread(listener, 2, Echo, limits(), None, stopped)
                    .await
                    .unwrap(),
            }
        });
        let stream = TcpStream::connect(addr).await.unwrap();
        let local = stream.local_addr().unwrap();
        let answer = get(stream).await;
        assert_eq!(
            answer,
            format!("{local} certificates=false extension=true"),
            "{io:?}"
        );
        stop.cancel();
        serving.await.unwrap();
    }
}

#[tokio::test]
async fn over_tls_the_handler_is_told_the_peer_and_that_no_client_certificate_came() {
    let (ca_der, files, _dir) = certificate();
    let tls = Tls::load(&files, None, Duration::ZERO).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let stopped = stop.clone().cancelled_owned();
    let serving = tokio::spawn(serve(listener, Echo, limits(), Some(tls), stopped));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca_der).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let stream = TcpStream::connect(addr).await.unwrap();
    let local = stream.local_addr().unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let stream = connector.connect(name, stream).await.unwrap();
    let answer = get(stream).await;
    assert_eq!(answer, format!("{local} certificates=false extension=true"));
    stop.cancel();
    serving.await.unwrap();
}

/// A CA (its DER) and a certificate for localhost signed by it, in PEM files in a temporary
/// dir.
fn certificate() -> (
    rustls::pki_types::CertificateDer<'static>,
    TlsFiles,
    tempfile::TempDir,
) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &*ca)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles {
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
    };
    std::fs::write(&files.cert, leaf.pem()).unwrap();
    std::fs::write(&files.key, key.serialize_pem()).unwrap();
    let ca_der = rustls::pki_types::CertificateDer::from(ca.der().to_vec());
    (ca_der, files, dir)
}

/// Every request's extensions box a `ConnectionInfo`: at 40 bytes it takes the allocator's
/// 48-byte chunks, as the bare address did before it (with a fat pointer in it, a JWKS request
/// cost about 1 % more instructions, in the allocator).
#[test]
fn a_connection_info_is_no_larger_than_an_address_and_a_pointer() {
    assert!(std::mem::size_of::<ConnectionInfo>() <= 40);
}
