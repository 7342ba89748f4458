//! The master key and private keys sealed under it: AES-256-GCM, a random 96-bit nonce per
//! write, the kid as associated data (a sealed key moved to another kid does not open).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// The key that seals private keys at rest. Never printed.
pub struct MasterKey(LessSafeKey);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// Reads a master key file: 32 bytes as 64 hex digits (whitespace around is fine). A file
    /// that its group or others may read is refused.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let meta = std::fs::metadata(path)
            .with_context(|| format!("reading master key file {}", path.display()))?;
        anyhow::ensure!(
            private_enough(meta.permissions().mode(), meta.uid()),
            "master key file {} may be read by others (mode {:o}): chmod 600 it",
            path.display(),
            meta.permissions().mode() & 0o777
        );
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading master key file {}", path.display()))?;
        Self::from_hex(text.trim())
            .with_context(|| format!("master key file {} must hold 64 hex digits", path.display()))
    }

    pub fn from_hex(hex_text: &str) -> anyhow::Result<Self> {
        let bytes = hex::decode(hex_text).map_err(|_| anyhow::anyhow!("not hex"))?;
        anyhow::ensure!(bytes.len() == 32, "not 32 bytes");
        let key = UnboundKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| anyhow::anyhow!("not an AES-256 key"))?;
        Ok(Self(LessSafeKey::new(key)))
    }

    /// A new random master key, as 64 hex digits.
    pub fn generate_hex() -> anyhow::Result<String> {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| anyhow::anyhow!("the system random source failed"))?;
        Ok(hex::encode(bytes))
    }

    /// Seals `plain` for `kid`: returns (nonce, ciphertext with tag).
    pub fn seal(&self, kid: &str, plain: &[u8]) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| anyhow::anyhow!("the system random source failed"))?;
        let mut sealed = plain.to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| anyhow::anyhow!("sealing key {kid} failed"))?;
        Ok((nonce.to_vec(), sealed))
    }

    /// Opens what [`Self::seal`] sealed for `kid`; fails under another master key or kid.
    pub fn open(&self, kid: &str, nonce: &[u8], sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| anyhow::anyhow!("key {kid}: bad nonce"))?;
        let mut buf = sealed.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut buf)
            .map_err(|_| {
                anyhow::anyhow!("key {kid} does not open with this master key (wrong master key?)")
            })?;
        Ok(plain.to_vec())
    }
}

/// Whether a key file's `mode` and owner `uid` keep it from other users: readable by its owner
/// only, or — PostgreSQL's rule for its own key files — owned by root and readable by one group
/// besides (how Kubernetes mounts a Secret for a non-root pod: root-owned, `fsGroup`, 0440).
fn private_enough(mode: u32, uid: u32) -> bool {
    mode & 0o077 == 0 || (uid == 0 && mode & 0o037 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_master_key_file_is_private_to_its_owner_or_root_and_one_group() {
        assert!(private_enough(0o100600, 1000));
        assert!(private_enough(0o100400, 1000));
        assert!(
            !private_enough(0o100640, 1000),
            "group-readable, not root's"
        );
        assert!(!private_enough(0o100644, 1000));
        assert!(
            private_enough(0o100440, 0),
            "a Kubernetes Secret with fsGroup"
        );
        assert!(private_enough(0o100640, 0));
        assert!(!private_enough(0o100660, 0), "group-writable");
        assert!(!private_enough(0o100444, 0), "world-readable");
    }

    #[test]
    fn a_sealed_key_opens_for_its_kid_only() {
        let key = MasterKey::from_hex(&MasterKey::generate_hex().unwrap()).unwrap();
        let (nonce, sealed) = key.seal("k1", b"secret der").unwrap();
        assert_eq!(key.open("k1", &nonce, &sealed).unwrap(), b"secret der");
        assert!(key.open("k2", &nonce, &sealed).is_err());
        let other = MasterKey::from_hex(&MasterKey::generate_hex().unwrap()).unwrap();
        assert!(other.open("k1", &nonce, &sealed).is_err());
    }

    #[test]
    fn a_master_key_file_others_may_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mk");
        std::fs::write(&path, MasterKey::generate_hex().unwrap()).unwrap();
        // World-readable: refused whoever owns it (root may grant one group: see above).
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(MasterKey::from_file(&path).is_err());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(MasterKey::from_file(&path).is_ok());
    }
}
