//! A stored password hash: argon2id (a PHC string, `$argon2id$...`), or a Werkzeug hash imported
//! from tokenleader, kept until the user's first good login replaces it with argon2id.

use super::argon::{self, Blocks};
use super::werkzeug::WerkzeugHash;

/// Which kind of hash a user record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Argon2,
    /// Imported from tokenleader: replaced on the next good login.
    Werkzeug,
}

impl Scheme {
    /// PHC strings start with `$`; Werkzeug hashes with their method (`pbkdf2:...`, `sha256`).
    pub fn of(stored: &str) -> Self {
        if stored.starts_with('$') {
            Self::Argon2
        } else {
            Self::Werkzeug
        }
    }

    /// How the admin API names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Argon2 => "argon2id",
            Self::Werkzeug => "werkzeug",
        }
    }
}

/// Which lane of the hashing pool checking a stored hash belongs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// argon2id under the configured parameters, or an imported hash no costlier than
    /// tokenleader 1.8's own.
    Ordinary,
    /// An imported PBKDF2 hash costlier than tokenleader 1.8's own, up to ~10 times it.
    Costly,
}

impl Cost {
    /// The cost of checking `stored`: costly for a Werkzeug hash above
    /// [`WerkzeugHash::ORDINARY_WORK`], ordinary for anything else (an unknown user's dummy
    /// included).
    pub fn of(stored: Option<&str>) -> Self {
        match stored.map(|s| (Scheme::of(s), s)) {
            Some((Scheme::Werkzeug, s)) => match WerkzeugHash::parse(s) {
                Ok(hash) if hash.work() > WerkzeugHash::ORDINARY_WORK => Self::Costly,
                _ => Self::Ordinary,
            },
            _ => Self::Ordinary,
        }
    }
}

/// Whether the password matches `stored`, with one hash. argon2id hashes are checked against the
/// normalized form (what they were made from). Werkzeug hashes against the raw form only:
/// Werkzeug hashed the UTF-8 of the password exactly as tokenleader received it, and the same
/// clients send it the same way here, so raw is the form that matches whenever tokenleader's
/// check did. Trying the normalized form as well would double the cost of every wrong
/// non-normalized guess (two PBKDF2 runs of up to ~0.6 s each) to accept only a spelling
/// tokenleader itself refused.
pub fn matches(
    stored: &str,
    raw: &str,
    normalized: &str,
    memory: &mut Blocks,
) -> anyhow::Result<bool> {
    match Scheme::of(stored) {
        Scheme::Argon2 => argon::verify(stored, normalized.as_bytes(), memory),
        Scheme::Werkzeug => {
            let hash = WerkzeugHash::parse(stored)
                .map_err(|_| anyhow::anyhow!("a stored password hash is not a Werkzeug hash"))?;
            Ok(hash.verify(raw.as_bytes()))
        }
    }
}
