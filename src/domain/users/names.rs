//! The directory's validated values: entry names, email addresses, passwords.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use crate::domain::OAuthError;

/// A name of an organization, org unit, department, wfc, role, user or service: 1–64 characters
/// of ASCII letters, digits and `.`, `_`, `-`, `@`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(String);

impl Name {
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b));
        ok.then(|| Self(raw.to_owned()))
            .ok_or(OAuthError::invalid_request(
                "a name must be 1-64 characters: letters, digits, '.', '_', '-', '@'",
            ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address. A new user needs `local@domain` (3–254 printable ASCII characters, one
/// `@`): it becomes the `email` claim services read as an address. A user imported from
/// tokenleader keeps what tokenleader held, which its own docs filled with a username
/// (`adminops adduser ... --emailid user1`): see [`Email::imported`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        let ok = (3..=254).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_graphic())
            && matches!(raw.split_once('@'), Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@'));
        ok.then(|| Self(raw.to_owned()))
            .ok_or(OAuthError::invalid_request(
                "email is malformed: an address local@domain is needed",
            ))
    }

    /// An email field as tokenleader held it: any text up to 254 bytes without control
    /// characters, empty for tokenleader's `NULL`.
    pub fn imported(raw: &str) -> Result<Self, OAuthError> {
        let ok = raw.len() <= 254 && !raw.chars().any(char::is_control);
        ok.then(|| Self(raw.to_owned()))
            .ok_or(OAuthError::invalid_request(
                "an imported email must be at most 254 bytes without control characters",
            ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The form a password is hashed and checked in (RFC 8265 OpaqueString, as NIST SP 800-63B
/// §5.1.1.2 asks): non-ASCII spaces become U+0020, then NFC. So `Pässwörd` typed precomposed
/// (NFC, most keyboards) or decomposed (NFD, some macOS input paths) is the same password.
fn normalize_password(raw: &str) -> String {
    raw.chars()
        .map(|c| if is_non_ascii_space(c) { ' ' } else { c })
        .nfc()
        .collect()
}

/// Unicode's space separators (general category Zs) other than U+0020.
fn is_non_ascii_space(c: char) -> bool {
    matches!(
        c,
        '\u{00A0}' | '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// The most bytes a password may have once normalized.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A password being set: `min_len` (the `min_password_length` setting, 8 by default) to 1024
/// bytes once normalized. Never printed, never logged.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str, min_len: usize) -> Result<Self, OAuthError> {
        let normalized = normalize_password(raw);
        if !(min_len.max(1)..=MAX_PASSWORD_BYTES).contains(&normalized.len()) {
            return Err(OAuthError::InvalidRequest(
                format!("a password must be {min_len}-{MAX_PASSWORD_BYTES} bytes long").into(),
            ));
        }
        Ok(Self(normalized))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

/// A password presented at login, whatever it is: checking it is the only thing done with it.
/// Normalized as a [`NewPassword`] is, so the two compare in the same form; the raw form is kept
/// for Werkzeug hashes imported from tokenleader, which hashed the raw UTF-8.
pub struct PresentedPassword {
    normalized: String,
    raw: String,
}

impl PresentedPassword {
    pub fn new(raw: &str) -> Self {
        Self {
            normalized: normalize_password(raw),
            raw: raw.to_owned(),
        }
    }

    /// The normalized form: what argon2id hashes are made from and checked against.
    pub fn expose(&self) -> &str {
        &self.normalized
    }

    /// The password exactly as presented.
    pub fn raw(&self) -> &str {
        &self.raw
    }
}

impl fmt::Debug for PresentedPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PresentedPassword(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_a_slash_or_space_is_refused() {
        assert!(Name::parse("ops").is_ok());
        assert!(Name::parse("a/b").is_err());
        assert!(Name::parse("a b").is_err());
        assert!(Name::parse("").is_err());
    }

    #[test]
    fn an_email_needs_exactly_one_at_with_text_on_both_sides() {
        assert!(Email::parse("a@b.c").is_ok());
        assert!(Email::parse("@b").is_err());
        assert!(Email::parse("a@b@c").is_err());
    }

    #[test]
    fn a_password_is_the_same_in_nfc_and_nfd_and_with_any_space() {
        let nfc = "P\u{e4}ssw\u{f6}rd";
        let nfd = "Pa\u{308}sswo\u{308}rd";
        let set = NewPassword::parse(nfc, 8).unwrap();
        assert_eq!(set.expose(), PresentedPassword::new(nfd).expose());
        assert_eq!(PresentedPassword::new(nfd).raw(), nfd);
        assert_eq!(NewPassword::parse(nfd, 8).unwrap().expose(), nfc);
        let spaced = NewPassword::parse("correct\u{a0}horse\u{3000}x", 8).unwrap();
        assert_eq!(spaced.expose(), "correct horse x");
        assert_eq!(PresentedPassword::new("a\u{2009}b").expose(), "a b");
    }

    #[test]
    fn the_minimum_password_length_is_a_setting() {
        assert!(NewPassword::parse("user1", 8).is_err());
        assert!(NewPassword::parse("user1", 5).is_ok());
        assert!(NewPassword::parse("", 0).is_err());
        let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert!(NewPassword::parse(&long, 1).is_err());
        let refused = NewPassword::parse("short", 8).err().unwrap();
        assert_eq!(
            refused.description(),
            "a password must be 8-1024 bytes long"
        );
    }

    #[test]
    fn an_imported_email_keeps_what_tokenleader_held() {
        assert!(Email::parse("user1").is_err());
        assert_eq!(Email::imported("user1").unwrap().as_str(), "user1");
        assert_eq!(Email::imported("").unwrap().as_str(), "");
        assert!(Email::imported("a\nb").is_err());
    }
}
