//! Generated client secrets and their SHA-256 digests, the only form in which they are kept.

use std::fmt;

use aws_lc_rs::digest::{SHA256, digest};
use subtle::ConstantTimeEq;

/// A freshly generated client secret: 32 random bytes, hex. Shown once, then only its digest is kept.
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn generate() -> Self {
        Self(hex::encode(rand::random::<[u8; 32]>()))
    }

    /// The plaintext, for the one response that reveals it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> SecretDigest {
        SecretDigest::of(&self.0)
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(..)")
    }
}

/// SHA-256 of a secret. Secrets are 256-bit random, so a fast hash is enough: no slow KDF needed
/// on the token path, and comparing fixed-size digests leaks nothing through `ct_eq`'s length check.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecretDigest([u8; 32]);

/// Compared against when the client is unknown, so that path does the same work.
pub(super) const DUMMY_DIGEST: SecretDigest = SecretDigest([0x5a; 32]);

impl SecretDigest {
    pub fn of(secret: &str) -> Self {
        let mut out = [0u8; 32];
        out.copy_from_slice(digest(&SHA256, secret.as_bytes()).as_ref());
        Self(out)
    }

    pub fn from_hex(raw: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(raw, &mut out).ok()?;
        Some(Self(out))
    }

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }

    pub(super) fn matches(&self, other: &SecretDigest) -> subtle::Choice {
        self.0.ct_eq(&other.0)
    }
}

impl fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretDigest(..)")
    }
}
