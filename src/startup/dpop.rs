//! DPoP at the token endpoint, built at start: the issuer's token endpoint URL proofs must name,
//! and the nonce key every instance sharing the store holds (RFC 9449 §8: any instance accepts
//! any instance's nonce).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::Context;
use aws_lc_rs::hkdf;

use crate::config::Settings;
use crate::domain::dpop::Dpop;

/// The nonce key's file in a sled data dir.
const NONCE_KEY_FILE: &str = "dpop-nonce.key";

/// DPoP for the token endpoint of `issuer`.
pub(super) fn dpop(settings: &Settings, issuer: &str) -> anyhow::Result<Dpop> {
    let token_endpoint = crate::http::endpoint_url(issuer, "/oauth/token");
    let secret = if settings.dpop.nonce {
        nonce_secret(settings)?
    } else {
        // Never used: nonces are off.
        rand::random()
    };
    Ok(Dpop::new(token_endpoint, settings.dpop.clone(), &secret))
}

/// With PostgreSQL, derived from the master key every instance already has (HKDF-SHA256,
/// its own label: the nonce key reveals nothing of the master key); with sled, a random key in
/// the data dir, made once, mode 0600.
fn nonce_secret(settings: &Settings) -> anyhow::Result<[u8; 32]> {
    if settings.database_url.is_some() {
        let file = settings
            .master_key_file
            .as_deref()
            .context("master_key_file is required with database_url")?;
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("reading master key file {}", file.display()))?;
        let master = hex::decode(text.trim())
            .ok()
            .filter(|b| b.len() == 32)
            .with_context(|| {
                format!("master key file {} must hold 64 hex digits", file.display())
            })?;
        return Ok(derive(&master));
    }
    let path = settings.data_dir.join(NONCE_KEY_FILE);
    match read_key(&path)? {
        Some(key) => Ok(key),
        None => make_key(&path),
    }
}

fn derive(master: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"tokendealer").extract(master);
    // Filling 32 bytes from HKDF-SHA256 cannot fail (it fails past 255 × 32 bytes).
    if let Ok(okm) = prk.expand(&[b"dpop nonce v1"], hkdf::HKDF_SHA256) {
        let _ = okm.fill(&mut out);
    }
    out
}

fn read_key(path: &Path) -> anyhow::Result<Option<[u8; 32]>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut key = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut key)
        .with_context(|| format!("{} must hold 64 hex digits", path.display()))?;
    Ok(Some(key))
}

fn make_key(path: &Path) -> anyhow::Result<[u8; 32]> {
    let key: [u8; 32] = rand::random();
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(mut file) => {
            file.write_all(hex::encode(key).as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(key)
        }
        // Another process made it first: its key is the one.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read_key(path)?.with_context(|| format!("{} vanished", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sled_nonce_key_is_made_once_private_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(NONCE_KEY_FILE);
        let made = make_key(&path).unwrap();
        assert_eq!(read_key(&path).unwrap(), Some(made));
        assert_eq!(make_key(&path).unwrap(), made);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn instances_with_one_master_key_derive_one_nonce_key() {
        assert_eq!(derive(&[1; 32]), derive(&[1; 32]));
        assert_ne!(derive(&[1; 32]), derive(&[2; 32]));
        assert_ne!(derive(&[1; 32]), [1; 32]);
    }
}
