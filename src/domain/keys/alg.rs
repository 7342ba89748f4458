//! The signing algorithms the dealer offers, chosen per client: RS512 (default), EdDSA, ES256;
//! and the set of them a deployment signs with (`[keys] algorithms`).

use std::fmt;

use jsonwebtoken::Algorithm;

use crate::domain::error::AdminError;

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

/// The algorithms this dealer signs with and publishes keys for: `[keys] algorithms`. Always
/// holds RS512, the dealer's own algorithm (its admin client, clients registered without an
/// `alg`, tokenleader's token layout and `keys show` sign or publish with it); EdDSA and ES256
/// only if configured, so verifiers that load a key set all-or-nothing see no key they cannot read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Algorithms([bool; 3]);

impl Algorithms {
    /// Every algorithm the dealer can sign with: the default.
    pub const ALL: Self = Self([true; 3]);

    /// The setting's name, for messages.
    pub const SETTING: &str = "[keys] algorithms (TOKENDEALER_KEYS_ALGORITHMS)";

    /// The set named by `names` (JWS `alg` names, as in RFC 7518; each at most once counted):
    /// refused if one is unknown, if none is given, or if RS512 is not among them.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let mut set = [false; 3];
        for name in names {
            let name = name.as_ref().trim();
            let alg = SigningAlg::parse(name).ok_or_else(|| {
                format!(
                    "{}: unknown algorithm {name:?}; the dealer signs with RS512, EdDSA and ES256",
                    Self::SETTING
                )
            })?;
            if let Some(slot) = set.get_mut(alg.index()) {
                *slot = true;
            }
        }
        if set == [false; 3] {
            return Err(format!(
                "{} is empty: name at least RS512 (the dealer's own algorithm)",
                Self::SETTING
            ));
        }
        if !Self(set).contains(SigningAlg::Rs512) {
            return Err(format!(
                "{} must include RS512: the admin client, clients registered without an alg, \
                 the tokenleader-compatible API and `keys show` sign or publish with it",
                Self::SETTING
            ));
        }
        Ok(Self(set))
    }

    /// Whether keys of `alg` sign and are published. The token path: one load, no lock.
    pub fn contains(self, alg: SigningAlg) -> bool {
        self.0.get(alg.index()).copied().unwrap_or(false)
    }

    /// The algorithms in the set, in [`SigningAlg::ALL`] order (RS512 first).
    pub fn iter(self) -> impl Iterator<Item = SigningAlg> {
        SigningAlg::ALL
            .into_iter()
            .filter(move |a| self.contains(*a))
    }

    /// The JWS names, in [`SigningAlg::ALL`] order.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(SigningAlg::as_str).collect()
    }

    /// The names joined for a message: `RS512, ES256`.
    pub fn listed(self) -> String {
        self.names().join(", ")
    }

    /// The algorithm named `raw` if this dealer signs with it: for a client's tokens or a
    /// rotation. Another is refused, known or not, naming the ones it may be.
    pub fn require(self, raw: &str) -> Result<SigningAlg, AdminError> {
        let refused = |why: String| {
            AdminError::Invalid(format!("{why}: this dealer signs with {}", self.listed()).into())
        };
        match SigningAlg::parse(raw) {
            None => Err(refused(format!("unknown alg {raw:?}"))),
            Some(alg) if !self.contains(alg) => {
                Err(refused(format!("alg {alg} is not in {}", Self::SETTING)))
            }
            Some(alg) => Ok(alg),
        }
    }
}

impl Default for Algorithms {
    fn default() -> Self {
        Self::ALL
    }
}

impl serde::Serialize for Algorithms {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.names())
    }
}

/// A TOML array of names (`["RS512", "ES256"]`), or one string of names separated by commas or
/// spaces (`RS512,ES256`: what an environment variable holds most naturally).
impl<'de> serde::Deserialize<'de> for Algorithms {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            List(Vec<String>),
            Text(String),
        }
        let names: Vec<String> = match Raw::deserialize(d)? {
            Raw::List(names) => names,
            Raw::Text(text) => text
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        Self::parse(&names).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_of_algorithms_needs_rs512_and_known_names_only() {
        let set = Algorithms::parse(&["ES256", "RS512", "ES256"]).unwrap();
        assert_eq!(set.names(), ["RS512", "ES256"]);
        assert!(!set.contains(SigningAlg::EdDsa));
        assert_eq!(Algorithms::parse(&["RS512"]).unwrap().listed(), "RS512");
        let unknown = Algorithms::parse(&["RS512", "HS256"]).unwrap_err();
        assert!(unknown.contains("unknown algorithm \"HS256\""), "{unknown}");
        let empty = Algorithms::parse::<&str>(&[]).unwrap_err();
        assert!(empty.contains("is empty"), "{empty}");
        let without = Algorithms::parse(&["EdDSA"]).unwrap_err();
        assert!(without.contains("must include RS512"), "{without}");
        for err in [unknown, empty, without] {
            assert!(err.starts_with(Algorithms::SETTING), "{err}");
        }
    }

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
