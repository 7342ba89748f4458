//! The directory's validated values: entry names, email addresses, endpoint URLs, passwords.

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

/// An email address: `local@domain`, 3–254 printable ASCII characters, one `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        let ok = (3..=254).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_graphic())
            && matches!(raw.split_once('@'), Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@'));
        ok.then(|| Self(raw.to_owned()))
            .ok_or(OAuthError::invalid_request("email is malformed"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A service endpoint: an absolute `http://` or `https://` URL without spaces, up to 2048 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl(String);

impl EndpointUrl {
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        let rest = raw
            .strip_prefix("https://")
            .or_else(|| raw.strip_prefix("http://"));
        let ok = raw.len() <= 2048
            && rest.is_some_and(|r| !r.is_empty())
            && raw.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Self(raw.to_owned()))
            .ok_or(OAuthError::invalid_request(
                "an endpoint URL must be an absolute http(s) URL",
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

/// A password being set: 8–1024 bytes once normalized. Never printed, never logged.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        let normalized = normalize_password(raw);
        if !(8..=1024).contains(&normalized.len()) {
            return Err(OAuthError::invalid_request(
                "a password must be 8-1024 bytes long",
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
/// Normalized as a [`NewPassword`] is, so the two compare in the same form.
pub struct PresentedPassword(String);

impl PresentedPassword {
    pub fn new(raw: &str) -> Self {
        Self(normalize_password(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
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
        let set = NewPassword::parse(nfc).unwrap();
        assert_eq!(set.expose(), PresentedPassword::new(nfd).expose());
        assert_eq!(NewPassword::parse(nfd).unwrap().expose(), nfc);
        let spaced = NewPassword::parse("correct\u{a0}horse\u{3000}x").unwrap();
        assert_eq!(spaced.expose(), "correct horse x");
        assert_eq!(PresentedPassword::new("a\u{2009}b").expose(), "a b");
    }

    #[test]
    fn an_endpoint_must_be_http_or_https() {
        assert!(EndpointUrl::parse("https://svc.internal:8443/api").is_ok());
        assert!(EndpointUrl::parse("ftp://x").is_err());
        assert!(EndpointUrl::parse("http://").is_err());
    }
}
