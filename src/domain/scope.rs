//! Scopes (RFC 6749 §3.3) and audiences (RFC 8707 resources): validated at the edge, then typed.

use std::collections::BTreeSet;
use std::fmt;

use super::OAuthError;

/// One scope token: `%x21 / %x23-5B / %x5D-7E`, 1–128 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope(String);

impl Scope {
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        let ok = (1..=128).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
        ok.then(|| Self(raw.to_owned()))
            .ok_or(OAuthError::InvalidScope(
                "a scope is 1 to 128 characters of %x21 / %x23-5B / %x5D-7E (RFC 6749 §3.3)",
            ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A set of scopes, written space-separated on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// Parses a space-separated `scope` parameter. Empty input is the empty set; input that
    /// is not empty must hold at least one scope token (RFC 6749 §3.3: `scope-token *( SP
    /// scope-token )`), so spaces alone are `invalid_scope`, not "no scope".
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        let set = raw
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(Scope::parse)
            .collect::<Result<BTreeSet<_>, _>>()?;
        if set.is_empty() && !raw.is_empty() {
            return Err(OAuthError::InvalidScope(
                "scope holds only spaces: leave it out, or name at least one scope (RFC 6749 §3.3)",
            ));
        }
        Ok(Self(set))
    }

    /// The length of the space-separated form, in bytes.
    pub fn written_len(&self) -> usize {
        self.0
            .iter()
            .map(|s| s.0.len() + 1)
            .sum::<usize>()
            .saturating_sub(1)
    }

    /// Builds a set from individual scope strings (as given to the admin API).
    pub fn from_list<S: AsRef<str>>(items: &[S]) -> Result<Self, OAuthError> {
        items
            .iter()
            .map(|s| Scope::parse(s.as_ref()))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s.as_str() == scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(Scope::as_str)
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(s)?;
        }
        Ok(())
    }
}

/// An audience a token is minted for: a URI or name, 1–512 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Audience(String);

impl Audience {
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        let ok = (1..=512).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Self(raw.to_owned()))
            .ok_or(OAuthError::invalid_request("audience is malformed"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_string_is_split_on_spaces_and_deduplicated() {
        let set = ScopeSet::parse("b a  b").unwrap();
        assert_eq!(set.to_string(), "a b");
    }

    #[test]
    fn spaces_alone_are_not_a_scope() {
        assert!(ScopeSet::parse("").unwrap().is_empty());
        assert!(matches!(
            ScopeSet::parse(" "),
            Err(OAuthError::InvalidScope(_))
        ));
        assert!(matches!(
            ScopeSet::parse("   "),
            Err(OAuthError::InvalidScope(_))
        ));
    }

    #[test]
    fn the_written_length_is_that_of_the_space_separated_form() {
        for raw in ["", "a", "read write", "b a c"] {
            let set = ScopeSet::parse(raw).unwrap();
            assert_eq!(set.written_len(), set.to_string().len());
        }
    }

    #[test]
    fn a_scope_with_a_quote_or_backslash_is_refused() {
        assert!(ScopeSet::parse("a\"b").is_err());
        assert!(ScopeSet::parse("a\\b").is_err());
    }
}
