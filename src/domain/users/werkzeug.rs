//! Werkzeug password hashes, as tokenleader 1.8 stored them: parsed strictly, verified in
//! constant time with aws-lc-rs, kept only until the user's first good login replaces them.
//!
//! Werkzeug (0.9–2.x) writes `METHOD$SALT$HEX`:
//! - `pbkdf2:NAME:ITERATIONS$SALT$HEX`: PBKDF2-HMAC-NAME of the UTF-8 password, the salt's ASCII
//!   text as salt, a digest-sized key in lowercase hex (tokenleader 1.8 with Werkzeug 0.15+:
//!   `pbkdf2:sha256:150000`; older Werkzeug: `pbkdf2:sha1:1000`, `pbkdf2:sha256:50000`);
//! - `NAME$SALT$HEX`: HMAC-NAME keyed with the salt's text over the password (Werkzeug < 0.9's
//!   `sha1`, and `generate_password_hash(method="sha256")`).
//!
//! NAME is `sha1`, `sha256`, `sha384` or `sha512`. Refused: `plain$$...` (a clear-text
//! password), `md5`, an empty salt (unsalted digests), iterations missing or above
//! [`MAX_ITERATIONS`] (each login would cost that much), anything else.
//!
//! Which iteration counts, and why: 1 to 1,000,000, whatever the digest. Werkzeug's own
//! defaults are the guide: `pbkdf2:sha1:1000` (0.9), `pbkdf2:sha256:50000` (0.12), `150000`
//! (0.15, tokenleader 1.8's), `260000` (2.0), `600000` (2.3), `1000000` (3.1; 3.0 made scrypt
//! the default method, which is not accepted). A count above the highest default was chosen by
//! hand, and each login would cost more than the ~0.6 s (`sha512`) to ~0.3 s (`sha256`) of CPU
//! the bound allows. Checks costlier than tokenleader 1.8's own ([`WerkzeugHash::work`] above
//! [`WerkzeugHash::ORDINARY_WORK`]) run in the hashing pool's costly lane.

use std::fmt;
use std::num::NonZeroU32;

use aws_lc_rs::{hmac, pbkdf2};

use crate::domain::OAuthError;

/// The most PBKDF2 iterations accepted: Werkzeug 3.1's default. tokenleader 1.8 used 150,000.
pub const MAX_ITERATIONS: u32 = 1_000_000;

/// A well-formed Werkzeug hash. Never printed: `Debug` shows the method only.
#[derive(Clone, PartialEq, Eq)]
pub struct WerkzeugHash {
    text: String,
    scheme: Scheme,
    digest: Digest,
    /// Where the salt is in `text`.
    salt: std::ops::Range<usize>,
    expected: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Pbkdf2 { iterations: NonZeroU32 },
    Hmac,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Digest {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Digest {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "sha1" => Some(Self::Sha1),
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// A PBKDF2 iteration's cost, in SHA-256 iterations: SHA-512 and SHA-384 work on 128-byte
    /// blocks with 64-bit words, which measured 2.2–3.2 times SHA-256's cost here (aws-lc-rs and
    /// OpenSSL; SHA-256 has the CPU's SHA extensions); SHA-1 measured 0.7–1.1 times, counted as 1.
    fn weight(self) -> u64 {
        match self {
            Self::Sha1 | Self::Sha256 => 1,
            Self::Sha384 | Self::Sha512 => 3,
        }
    }

    fn len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    fn pbkdf2(self) -> pbkdf2::Algorithm {
        match self {
            Self::Sha1 => pbkdf2::PBKDF2_HMAC_SHA1,
            Self::Sha256 => pbkdf2::PBKDF2_HMAC_SHA256,
            Self::Sha384 => pbkdf2::PBKDF2_HMAC_SHA384,
            Self::Sha512 => pbkdf2::PBKDF2_HMAC_SHA512,
        }
    }

    fn hmac(self) -> hmac::Algorithm {
        match self {
            Self::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => hmac::HMAC_SHA256,
            Self::Sha384 => hmac::HMAC_SHA384,
            Self::Sha512 => hmac::HMAC_SHA512,
        }
    }
}

const MALFORMED: &str = "not a Werkzeug password hash (pbkdf2:sha256:ITERATIONS$SALT$HEX, \
     pbkdf2:sha1:..., or sha256$SALT$HEX)";
const TOO_COSTLY: &str = "a Werkzeug hash with more than 1,000,000 PBKDF2 iterations (Werkzeug \
     3.1's default, the highest any Werkzeug release wrote): each login would cost more than the \
     bound of one check";

impl WerkzeugHash {
    /// The [`WerkzeugHash::work`] of tokenleader 1.8's hashes (`pbkdf2:sha256:150000`), about
    /// what an argon2id check costs: checks up to this are ordinary, beyond it costly.
    pub const ORDINARY_WORK: u64 = 150_000;

    /// Parses `METHOD$SALT$HEX` as Werkzeug writes it; anything else is refused.
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        if Self::too_many_iterations(raw) {
            return Err(OAuthError::invalid_request(TOO_COSTLY));
        }
        Self::parse_inner(raw).ok_or(OAuthError::invalid_request(MALFORMED))
    }

    /// `pbkdf2:NAME:N$...` with N a number above [`MAX_ITERATIONS`]: refused with its reason.
    fn too_many_iterations(raw: &str) -> bool {
        let method = raw.split('$').next().unwrap_or_default();
        let count = method
            .strip_prefix("pbkdf2:")
            .and_then(|m| m.split(':').nth(1));
        count.is_some_and(|n| {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && n.parse::<u64>()
                    .map_or(true, |n| n > u64::from(MAX_ITERATIONS))
        })
    }

    /// What one check costs, in SHA-256 PBKDF2 iterations (an HMAC hash counts as one).
    pub fn work(&self) -> u64 {
        match self.scheme {
            Scheme::Pbkdf2 { iterations } => u64::from(iterations.get()) * self.digest.weight(),
            Scheme::Hmac => 1,
        }
    }

    fn parse_inner(raw: &str) -> Option<Self> {
        if raw.len() > 512 {
            return None;
        }
        let mut parts = raw.splitn(3, '$');
        let (method, salt, hex_digest) = (parts.next()?, parts.next()?, parts.next()?);
        let (scheme, digest) = match method.strip_prefix("pbkdf2:") {
            Some(rest) => {
                let (name, iterations) = rest.split_once(':')?;
                let digits_only = !iterations.is_empty()
                    && iterations.len() <= 7
                    && iterations.bytes().all(|b| b.is_ascii_digit());
                let iterations: u32 = digits_only.then(|| iterations.parse().ok())??;
                if iterations > MAX_ITERATIONS {
                    return None;
                }
                let iterations = NonZeroU32::new(iterations)?;
                (Scheme::Pbkdf2 { iterations }, Digest::parse(name)?)
            }
            None => (Scheme::Hmac, Digest::parse(method)?),
        };
        let salt_ok = (1..=128).contains(&salt.len())
            && salt.bytes().all(|b| b.is_ascii_graphic() && b != b'$');
        let hex_ok = hex_digest.len() == 2 * digest.len()
            && hex_digest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !(salt_ok && hex_ok) {
            return None;
        }
        Some(Self {
            text: raw.to_owned(),
            scheme,
            digest,
            salt: method.len() + 1..method.len() + 1 + salt.len(),
            expected: hex::decode(hex_digest).ok()?,
        })
    }

    /// The hash as stored.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn salt(&self) -> &[u8] {
        self.text
            .as_bytes()
            .get(self.salt.clone())
            .unwrap_or_default()
    }

    /// Whether `password` (its UTF-8 bytes, as Werkzeug encodes them) hashes to this. The
    /// digests are compared in constant time by aws-lc-rs. An empty password never matches:
    /// tokenleaderclient sends one when its password file is missing.
    pub fn verify(&self, password: &[u8]) -> bool {
        if password.is_empty() {
            return false;
        }
        match self.scheme {
            Scheme::Pbkdf2 { iterations } => pbkdf2::verify(
                self.digest.pbkdf2(),
                iterations,
                self.salt(),
                password,
                &self.expected,
            )
            .is_ok(),
            Scheme::Hmac => {
                let key = hmac::Key::new(self.digest.hmac(), self.salt());
                hmac::verify(&key, password, &self.expected).is_ok()
            }
        }
    }
}

impl fmt::Debug for WerkzeugHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = self.text.split('$').next().unwrap_or_default();
        write!(f, "WerkzeugHash({method}, ..)")
    }
}

#[cfg(test)]
mod tests;
