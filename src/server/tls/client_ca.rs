//! Client certificates (RFC 8705): the handshake asks for one and never requires it, accepts any
//! well-formed certificate whose key signs the handshake, and afterwards says whether the chain
//! leads to the configured client CA (`tls_client_ca`) — which registrations then judge.
//!
//! Two verifiers, both rustls': the handshake's ([`AnyClientCert`]) accepts self-signed and
//! unknown certificates, since refusing them there would turn "not this client" into a failed
//! handshake instead of `invalid_client`, and would make `self_signed_tls_client_auth`
//! impossible; the proof of possession (the handshake signature) is still rustls' own check.
//! The chain is then judged once per connection by rustls' `WebPkiClientVerifier` over the CA
//! roots ([`ClientCa::chains`]), the same check a proxy's certificate gets from the edge.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::DigitallySignedStruct;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DistinguishedName, RootCertStore, SignatureScheme};

use super::certs::{LoadError, read_limited};

/// The CA certificates client certificates may chain to, reloadable: a reload that fails keeps
/// the previous roots.
#[derive(Clone)]
pub struct ClientCa {
    path: PathBuf,
    provider: Arc<CryptoProvider>,
    verifier: Arc<ArcSwap<Arc<dyn ClientCertVerifier>>>,
}

impl std::fmt::Debug for ClientCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCa")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl ClientCa {
    /// Reads the PEM CA certificates of `path`; fails when there is none, or one is not a CA
    /// rustls can use as a trust anchor.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = Self::read(path, &provider)?;
        Ok(Self {
            path: path.to_owned(),
            provider,
            verifier: Arc::new(ArcSwap::from_pointee(verifier)),
        })
    }

    fn read(
        path: &Path,
        provider: &Arc<CryptoProvider>,
    ) -> Result<Arc<dyn ClientCertVerifier>, LoadError> {
        let bad = |what: &str| LoadError::new(format!("{}: {what}", path.display()));
        let pem = read_limited(path)?;
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|_| bad("not a PEM certificate list"))?;
            roots
                .add(cert)
                .map_err(|e| bad(&format!("not a usable CA certificate ({e})")))?;
        }
        if roots.is_empty() {
            return Err(bad("no CERTIFICATE block"));
        }
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .allow_unauthenticated()
            .build()
            .map_err(|e| bad(&format!("no client verifier from it ({e})")))
    }

    /// Reads the file again; on failure the previous roots stay (and the reason is returned).
    pub fn reload(&self) -> Result<(), LoadError> {
        let verifier = Self::read(&self.path, &self.provider)?;
        self.verifier.store(Arc::new(verifier));
        Ok(())
    }

    /// Whether `chain` (leaf first) leads to one of the CA roots now, valid at this instant and
    /// for client authentication (rustls' WebPKI checks, extended key usage included).
    pub fn chains(&self, chain: &[CertificateDer<'_>]) -> bool {
        let Some((leaf, intermediates)) = chain.split_first() else {
            return false;
        };
        self.verifier
            .load()
            .verify_client_cert(leaf, intermediates, UnixTime::now())
            .is_ok()
    }

    /// The file it reads, for the reload's watch.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }
}

/// The handshake's verifier: asks every client for a certificate, requires none, takes any that
/// parses as X.509, and checks the handshake signature with the provider's algorithms. It sends
/// no CA names: a client with a self-signed certificate must not be told to withhold it.
#[derive(Debug)]
pub(super) struct AnyClientCert {
    algorithms: WebPkiSupportedAlgorithms,
}

impl AnyClientCert {
    pub(super) fn new(provider: &CryptoProvider) -> Self {
        Self {
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ClientCertVerifier for AnyClientCert {
    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        use x509_cert::der::Decode;
        x509_cert::Certificate::from_der(end_entity)
            .map(|_| ClientCertVerified::assertion())
            .map_err(|_| rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
