//! The client library over mutual TLS (RFC 8705): a TokenSource presents its client
//! certificate to the token endpoint and to the service, and a service that terminates TLS
//! hands the certificate to RequireAccess, which lets a certificate-bound token through only
//! on a connection with that certificate.
//!
//! The token endpoint here is a stand-in that binds what it issues to the certificate it saw,
//! as the dealer's own mutual TLS does.

use std::convert::Infallible;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use rustls::server::WebPkiClientVerifier;
use serde_json::json;
use tokendealer::client::{PeerCertificate, RequireAccess, TokenSource, Verifier};
use tower::{Layer, ServiceExt};

/// A private CA, a server certificate for 127.0.0.1 signed by it, and client certificates.
struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

impl Pki {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "client-binding test CA");
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&key, &*ca)
            .unwrap();
        Self {
            ca_pem: ca.pem(),
            cert_pem: leaf.pem(),
            key_pem: key.serialize_pem(),
            ca,
        }
    }

    /// A client certificate for `name` as one PEM (certificate and key), and its DER.
    fn client(&self, name: &str) -> (String, Vec<u8>) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.signed_by(&key, &*self.ca).unwrap();
        (
            format!("{}{}", cert.pem(), key.serialize_pem()),
            cert.der().to_vec(),
        )
    }
}

fn x5t(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// An HTTPS server that asks for (never requires) client certificates under the test CA:
/// `/token` issues ES256 tokens bound to the certificate presented, `/jwks` publishes the key,
/// `/runs` is guarded by RequireAccess fed the connection's certificate.
async fn serve(pair: &Pki) -> String {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pair.ca_pem.as_bytes()).unwrap())
        .unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(pair.cert_pem.as_bytes()).unwrap()],
            PrivateKeyDer::from_pem_slice(pair.key_pem.as_bytes()).unwrap(),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );

    let signing = KeyPair::generate().unwrap(); // ECDSA P-256
    let encoding = EncodingKey::from_ec_pem(signing.serialize_pem().as_bytes()).unwrap();
    let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::ES256).unwrap();
    jwk.common.key_id = Some("k1".into());
    let http = crate::tls::trusting(&pair.ca_pem).build().unwrap();
    let verifier = Verifier::builder(format!("{base}/jwks"), base.clone(), "runs")
        .algorithms(&[Algorithm::ES256])
        .http_client(http)
        .build()
        .unwrap();
    let guarded =
        RequireAccess::new(verifier).layer(tower::service_fn(|_: Request<Incoming>| async {
            Ok::<_, Infallible>(Response::new(Full::from("runs")))
        }));
    let shared = Arc::new((base.clone(), encoding, jwk));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, shared, guarded) = (acceptor.clone(), shared.clone(), guarded.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let peer = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|chain| chain.first())
                    .map(|leaf| leaf.as_ref().to_vec());
                let service = service_fn(move |mut request: Request<Incoming>| {
                    let (peer, shared, guarded) = (peer.clone(), shared.clone(), guarded.clone());
                    async move {
                        let (base, encoding, jwk) = &*shared;
                        let answer = match request.uri().path() {
                            "/jwks" => {
                                Response::new(Full::from(json!({"keys": [jwk]}).to_string()))
                            }
                            "/token" => {
                                let now = jsonwebtoken::get_current_timestamp();
                                let mut header = Header::new(Algorithm::ES256);
                                header.typ = Some("at+jwt".into());
                                header.kid = Some("k1".into());
                                let mut claims = json!({"iss": base, "sub": "worker", "aud": "runs",
                                    "client_id": "worker", "jti": "j", "iat": now, "nbf": now, "exp": now + 300});
                                if let Some(der) = &peer {
                                    claims["cnf"] = json!({"x5t#S256": x5t(der)});
                                }
                                let token =
                                    jsonwebtoken::encode(&header, &claims, encoding).unwrap();
                                let body = json!({"access_token": token, "token_type": "Bearer", "expires_in": 300});
                                Response::new(Full::from(body.to_string()))
                            }
                            _ => {
                                if let Some(der) = peer {
                                    request.extensions_mut().insert(PeerCertificate(der));
                                }
                                guarded.oneshot(request).await.unwrap()
                            }
                        };
                        Ok::<Response<Full<Bytes>>, Infallible>(answer)
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    base
}

#[tokio::test]
async fn a_token_source_with_a_client_certificate_gets_and_uses_a_certificate_bound_token() {
    let pair = Pki::new();
    let base = serve(&pair).await;
    let (identity, der) = pair.client("worker");
    let source = TokenSource::builder(format!("{base}/token"), "worker", "unused")
        .client_certificate(identity.as_bytes())
        .root_certificate(pair.ca_pem.as_bytes())
        .build()
        .unwrap();
    let token = source.token().await.unwrap();
    let claims: serde_json::Value =
        jsonwebtoken::dangerous::insecure_decode_claims(token.secret()).unwrap();
    assert_eq!(
        claims["cnf"]["x5t#S256"],
        x5t(&der).as_str(),
        "the endpoint saw the certificate"
    );
    let response = source
        .send_authorized(|http| http.get(format!("{base}/runs")))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_certificate_bound_token_is_refused_on_a_connection_without_that_certificate() {
    let pair = Pki::new();
    let base = serve(&pair).await;
    let (identity, _) = pair.client("worker");
    let source = TokenSource::builder(format!("{base}/token"), "worker", "unused")
        .client_certificate(identity.as_bytes())
        .root_certificate(pair.ca_pem.as_bytes())
        .build()
        .unwrap();
    let stolen = source.token().await.unwrap();
    let (other, _) = pair.client("thief");
    for identity in [None, Some(other)] {
        let mut http = crate::tls::trusting(&pair.ca_pem);
        if let Some(pem) = identity {
            http = http.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
        }
        let response = http
            .build()
            .unwrap()
            .get(format!("{base}/runs"))
            .bearer_auth(stolen.secret())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.starts_with(r#"Bearer error="invalid_token""#),
            "{challenge}"
        );
    }
}
