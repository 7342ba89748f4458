//! The signing algorithms the dealer offers, chosen per client: RS512 (default), EdDSA, ES256.

use std::fmt;

use jsonwebtoken::Algorithm;

/// A JWS algorithm the dealer signs with. Each has its own active key in the ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-512 on an RSA-2048 key: what tokenleader's clients verify.
    #[default]
    Rs512,
    /// Ed25519: about 13× cheaper to sign than RS512 on this hardware.
    EdDsa,
    /// ECDSA P-256 with SHA-256.
    Es256,
}

impl SigningAlg {
    /// Every algorithm, in the order the JWKS and discovery list them.
    pub const ALL: [SigningAlg; 3] = [Self::Rs512, Self::EdDsa, Self::Es256];

    /// The JWS `alg` name (RFC 7518, RFC 8037).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Rs512 => "RS512",
            Self::EdDsa => "EdDSA",
            Self::Es256 => "ES256",
        }
    }

    /// Parses a JWS `alg` name; only the three the dealer signs with.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    pub const fn jwt(self) -> Algorithm {
        match self {
            Self::Rs512 => Algorithm::RS512,
            Self::EdDsa => Algorithm::EdDSA,
            Self::Es256 => Algorithm::ES256,
        }
    }

    pub fn from_jwt(alg: Algorithm) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.jwt() == alg)
    }

    /// Whether a signature is worth handing to the signing pool. An RSA-2048 signature takes
    /// ~300 µs; Ed25519 (~10 µs) and P-256 (~19 µs) cost less than the hand-off itself (two
    /// thread wake-ups), so they run inline, like any other short piece of request work.
    pub const fn offload(self) -> bool {
        matches!(self, Self::Rs512)
    }

    /// A small index, for per-algorithm arrays.
    pub const fn index(self) -> usize {
        match self {
            Self::Rs512 => 0,
            Self::EdDsa => 1,
            Self::Es256 => 2,
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for alg in SigningAlg::ALL {
            assert_eq!(SigningAlg::parse(alg.as_str()), Some(alg));
            assert_eq!(SigningAlg::from_jwt(alg.jwt()), Some(alg));
        }
        assert_eq!(SigningAlg::parse("HS256"), None);
        assert_eq!(SigningAlg::parse("none"), None);
    }
}
