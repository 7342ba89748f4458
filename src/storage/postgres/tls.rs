//! TLS to PostgreSQL, as the database URL's libpq parameters ask: `sslmode` and `sslrootcert`.
//! When TLS is used, the server's certificate is always verified (its chain against the roots,
//! and the URL's host against the certificate); a connection never falls back to plaintext.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use rustls::crypto::aws_lc_rs;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// A CA file larger than this is not a CA file.
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

/// What the URL asks of the connection's transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbTls {
    /// Plaintext: no `sslmode`, or `sslmode=disable`.
    Off,
    /// TLS, verified: `sslmode=require`, `verify-ca` or `verify-full`. The roots are the PEM
    /// certificates of `sslrootcert`, or the system's (`sslrootcert=system`, or none given).
    Verified { roots: Option<PathBuf> },
}

/// Takes `sslmode` and `sslrootcert` out of a `postgres://` URL (the driver reads neither the
/// way libpq does) and says what they ask for; the rest of the URL is returned unchanged.
pub fn split_tls(url: &str) -> anyhow::Result<(String, DbTls)> {
    ensure_unambiguous(url)?;
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), DbTls::Off));
    };
    let (mut mode, mut roots, mut kept) = (None, None, Vec::new());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let decoded: Vec<(String, String)> = serde_urlencoded::from_str(pair)
            .map_err(|_| anyhow::anyhow!("the database URL's query is malformed"))?;
        let Some((key, value)) = decoded.into_iter().next() else {
            continue;
        };
        let slot = match key.as_str() {
            "sslmode" => &mut mode,
            "sslrootcert" => &mut roots,
            _ => {
                kept.push(pair);
                continue;
            }
        };
        anyhow::ensure!(
            slot.replace(value).is_none(),
            "the database URL gives {key} twice"
        );
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let tls = match mode.as_deref() {
        None | Some("disable") => {
            anyhow::ensure!(
                roots.is_none(),
                "the database URL gives sslrootcert without TLS: add sslmode=verify-full"
            );
            DbTls::Off
        }
        Some("require" | "verify-ca" | "verify-full") => DbTls::Verified {
            roots: roots.filter(|r| r != "system").map(PathBuf::from),
        },
        Some(other @ ("prefer" | "allow")) => anyhow::bail!(
            "sslmode={other} would fall back to plaintext unnoticed: use sslmode=verify-full \
             (TLS, the server's certificate verified) or sslmode=disable"
        ),
        Some(other) => anyhow::bail!(
            "unknown sslmode {other:?} in the database URL: disable, require, verify-ca or \
             verify-full"
        ),
    };
    Ok((url, tls))
}

/// Refuses a URL whose user name or password holds a raw `/`, `?` or `#`: where its query
/// begins would then be a guess, and a wrong guess could miss `sslmode` and connect in plaintext
/// (libpq and the driver each read such URLs their own way). RFC 3986 wants them
/// percent-encoded in userinfo anyway.
pub fn ensure_unambiguous(url: &str) -> anyhow::Result<()> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    if let Some(at) = rest.rfind('@') {
        anyhow::ensure!(
            !rest.get(..at).unwrap_or_default().contains(['/', '?', '#']),
            "the database URL is ambiguous: percent-encode '/', '?', '#' and '@' in the user \
             name, the password and parameter values (%2F, %3F, %23, %40)"
        );
    }
    Ok(())
}

/// The driver's mode and the connector every connection of the store is made with. Without
/// TLS the connector is never used: the driver does not ask the server for TLS.
pub(super) fn connector(tls: &DbTls) -> anyhow::Result<(SslMode, MakeRustlsConnect)> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("the TLS protocol versions")?;
    let (mode, roots) = match tls {
        DbTls::Off => (SslMode::Disable, RootCertStore::empty()),
        DbTls::Verified { roots: Some(path) } => (SslMode::Require, roots_from_file(path)?),
        DbTls::Verified { roots: None } => (SslMode::Require, system_roots()?),
    };
    let config = builder.with_root_certificates(roots).with_no_client_auth();
    Ok((mode, MakeRustlsConnect::new(config)))
}

fn roots_from_file(path: &std::path::Path) -> anyhow::Result<RootCertStore> {
    use std::io::Read;
    let what = || format!("reading the database CA file {}", path.display());
    // A regular file only: a FIFO would hang the start, /dev/zero would never end.
    anyhow::ensure!(
        std::fs::metadata(path).with_context(what)?.is_file(),
        "the database CA file {} is not a regular file",
        path.display()
    );
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .with_context(what)?
        .take(MAX_CA_FILE_BYTES + 1)
        .read_to_end(&mut pem)
        .with_context(what)?;
    anyhow::ensure!(
        pem.len() as u64 <= MAX_CA_FILE_BYTES,
        "the database CA file {} is larger than {MAX_CA_FILE_BYTES} bytes",
        path.display()
    );
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| anyhow::anyhow!("{}: {e}", what()))?;
        roots
            .add(cert)
            .with_context(|| format!("{}: a certificate is not usable", what()))?;
    }
    anyhow::ensure!(
        !roots.is_empty(),
        "the database CA file {} holds no certificate",
        path.display()
    );
    Ok(roots)
}

fn system_roots() -> anyhow::Result<RootCertStore> {
    let found = rustls_native_certs::load_native_certs();
    for e in &found.errors {
        tracing::warn!(error = %e, "reading the system's CA certificates");
    }
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    anyhow::ensure!(
        added > 0,
        "no system CA certificate found for the database's TLS: give sslrootcert=FILE"
    );
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out_and_read() {
        let split = |url: &str| split_tls(url).map_err(|e| e.to_string());
        assert_eq!(
            split("postgres://td@db/td").unwrap(),
            ("postgres://td@db/td".into(), DbTls::Off)
        );
        assert_eq!(
            split("postgres://td@db/td?sslmode=disable&connect_timeout=5").unwrap(),
            ("postgres://td@db/td?connect_timeout=5".into(), DbTls::Off)
        );
        let (url, tls) =
            split("postgres://td@db/td?sslrootcert=%2Fetc%2Fca.pem&sslmode=verify-full").unwrap();
        assert_eq!(url, "postgres://td@db/td");
        assert_eq!(
            tls,
            DbTls::Verified {
                roots: Some("/etc/ca.pem".into())
            }
        );
        let (_, tls) = split("postgres://db/td?sslmode=require&sslrootcert=system").unwrap();
        assert_eq!(tls, DbTls::Verified { roots: None });
        for (url, says) in [
            ("postgres://db/td?sslmode=prefer", "plaintext"),
            ("postgres://db/td?sslmode=allow", "plaintext"),
            ("postgres://db/td?sslmode=yes", "unknown sslmode"),
            ("postgres://db/td?sslmode=require&sslmode=disable", "twice"),
            ("postgres://db/td?sslrootcert=/ca.pem", "without TLS"),
            ("postgres://td:pa?ss@db/td?sslmode=require", "ambiguous"),
            ("postgres://td:pa/ss@db/td", "ambiguous"),
            ("postgres://td:pa#ss@db/td?sslmode=require", "ambiguous"),
        ] {
            let err = split(url).unwrap_err();
            assert!(err.contains(says), "{url}: {err}");
        }
    }

    #[test]
    fn a_ca_file_without_a_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let err = connector(&DbTls::Verified {
            roots: Some(path.clone()),
        })
        .err()
        .unwrap();
        assert!(
            format!("{err:#}").contains("holds no certificate"),
            "{err:#}"
        );
        std::fs::remove_file(&path).unwrap();
        let err = connector(&DbTls::Verified { roots: Some(path) })
            .err()
            .unwrap();
        assert!(
            format!("{err:#}").contains("reading the database CA file"),
            "{err:#}"
        );
    }
}
