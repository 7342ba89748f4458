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

impl WerkzeugHash {
    /// Parses `METHOD$SALT$HEX` as Werkzeug writes it; anything else is refused.
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        Self::parse_inner(raw).ok_or(OAuthError::invalid_request(MALFORMED))
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
