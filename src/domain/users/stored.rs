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

/// Whether the password matches `stored`. argon2id hashes are checked against the normalized
/// form only. Werkzeug hashes were made by tokenleader from the raw UTF-8, so the raw form is
/// tried first and, only if normalizing changed it, the normalized form too (a password stored
/// in NFC and typed in NFD): a wrong non-normalized password costs two PBKDF2 runs, a wrong
/// normalized one one; the difference tells a guesser only about their own input.
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
            Ok(hash.verify(raw.as_bytes())
                || (raw != normalized && hash.verify(normalized.as_bytes())))
        }
    }
}
