//! Reading a certificate chain and its private key from PEM files into a pair rustls can serve,
//! with every reason for refusing a pair spelled out and nothing of the key in it.

use std::fmt;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

use super::TlsFiles;

/// A certificate or key file larger than this is not read: real ones are a few KiB.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Why a pair was refused. Says which file and what was wrong with it, never its content.
#[derive(Debug)]
pub struct LoadError(String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

/// Reads both files and checks that the key is the certificate's. Warns when the key file can
/// be read by its group or others.
pub fn load_pair(files: &TlsFiles, provider: &CryptoProvider) -> Result<CertifiedKey, LoadError> {
    let cert_pem = read_limited(&files.cert)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            LoadError(format!(
                "{}: not a PEM certificate chain ({})",
                files.cert.display(),
                pem_problem(&e)
            ))
        })?;
    if chain.is_empty() {
        return Err(LoadError(format!(
            "{}: no CERTIFICATE block",
            files.cert.display()
        )));
    }
    warn_if_readable_by_others(&files.key);
    let key_pem = read_limited(&files.key)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        LoadError(format!(
            "{}: no usable PEM private key ({})",
            files.key.display(),
            pem_problem(&e)
        ))
    })?;
    // Checks that the key parses and that its public half is the leaf certificate's.
    CertifiedKey::from_der(chain, key, provider).map_err(|e| {
        LoadError(format!(
            "{} and {} do not make a pair: {e}",
            files.cert.display(),
            files.key.display()
        ))
    })
}

/// SHA-256 of the leaf certificate, in hex: what an operator compares with
/// `openssl x509 -noout -fingerprint -sha256`.
pub fn fingerprint(pair: &CertifiedKey) -> String {
    let leaf = pair
        .end_entity_cert()
        .map(|c| c.as_ref())
        .unwrap_or_default();
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, leaf))
}

pub(super) fn read_limited(path: &Path) -> Result<Vec<u8>, LoadError> {
    let file = std::fs::File::open(path)
        .map_err(|e| LoadError(format!("reading {}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| LoadError(format!("reading {}: {e}", path.display())))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(LoadError(format!(
            "{}: larger than {MAX_FILE_BYTES} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}

/// What was wrong with a PEM file, by kind only: the parser's own message may quote a line.
fn pem_problem(e: &pem::Error) -> &'static str {
    match e {
        pem::Error::MissingSectionEnd { .. } => "a block has no END line",
        pem::Error::IllegalSectionStart { .. } => "a malformed BEGIN line",
        pem::Error::Base64Decode(_) => "a block is not valid base64",
        pem::Error::NoItemsFound => "no block of the expected kind",
        pem::Error::SectionTooLarge => "a block is too large",
        _ => "unreadable",
    }
}

fn warn_if_readable_by_others(key: &Path) {
    let Ok(meta) = std::fs::metadata(key) else {
        return;
    };
    let mode = meta.permissions().mode();
    if mode & 0o044 != 0 {
        tracing::warn!(
            path = %key.display(),
            mode = format!("{:o}", mode & 0o777),
            "the TLS private key file is readable by its group or others; chmod 600 it"
        );
    }
}

impl LoadError {
    pub(super) fn new(message: String) -> Self {
        Self(message)
    }
}
