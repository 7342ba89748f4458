//! The database URL setting: kept whole for connecting, shown with its password hidden.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `postgres://user:password@host:port/database`, with libpq's `sslmode` (`disable`, or
/// `require`/`verify-ca`/`verify-full`: TLS with the certificate verified) and `sslrootcert`
/// (a PEM file of CA certificates; the system's by default). Its `Debug` and
/// [`Self::redacted`] never show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(
            raw.starts_with("postgres://") || raw.starts_with("postgresql://"),
            "database_url must be a postgres:// URL"
        );
        // Its sslmode and sslrootcert are read when the store opens; a wrong one is said now.
        crate::storage::split_tls(raw)?;
        Ok(Self(raw.to_owned()))
    }

    /// The URL to connect with, password included: never for printing.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***` (also a `password=` query parameter).
    pub fn redacted(&self) -> String {
        let url = &self.0;
        let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
            return "***".to_owned();
        };
        let rest = url.get(scheme_end..).unwrap_or("");
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let authority = match authority.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:***@{host}"),
                None => format!("{userinfo}@{host}"),
            },
            None => authority.to_owned(),
        };
        let tail = match tail.split_once('?') {
            Some((path, query)) => {
                let query: Vec<String> = query
                    .split('&')
                    .map(|p| match p.split_once('=') {
                        Some((k, _)) if is_password_key(k) => format!("{k}=***"),
                        _ => p.to_owned(),
                    })
                    .collect();
                format!("{path}?{}", query.join("&"))
            }
            None => tail.to_owned(),
        };
        format!("{}{authority}{tail}", url.get(..scheme_end).unwrap_or(""))
    }
}

/// Whether a query key, percent-decoded as the driver reads it, is `password`.
fn is_password_key(raw: &str) -> bool {
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw)
        .ok()
        .and_then(|pairs| pairs.into_iter().next())
        .is_some_and(|(k, _)| k.eq_ignore_ascii_case("password"))
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        Self::parse(s)
    }
}

/// Printed redacted, like its `Debug`: serializing is how the settings are shown.
impl Serialize for DatabaseUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The parser's messages never hold the URL, so no password reaches an error.
        Self::parse(&String::deserialize(d)?).map_err(|e| D::Error::custom(format!("{e:#}")))
    }
}

/// The URL whole, password included, for `#[serde(serialize_with)]` where it is handed from one
/// layer of the settings to the next (the flags), never where it is shown.
pub(super) fn serialize_whole<S: Serializer>(
    url: &Option<DatabaseUrl>,
    s: S,
) -> Result<S::Ok, S::Error> {
    url.as_ref().map(DatabaseUrl::expose).serialize(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_of_a_database_url_is_never_shown() {
        let url =
            DatabaseUrl::parse("postgres://td:s3cret@db:5432/td?password=s3cret&x=1").unwrap();
        let encoded = DatabaseUrl::parse("postgres://db/td?pass%77ord=s3cret2").unwrap();
        assert_eq!(encoded.redacted(), "postgres://db/td?pass%77ord=***");
        // A password with a raw '/' or '?' is refused, so it cannot hide its end from this.
        let err = DatabaseUrl::parse("postgres://td:pa/ss@db/td").unwrap_err();
        assert!(!format!("{err:#}").contains("pa/ss"), "{err:#}");
        assert_eq!(
            url.redacted(),
            "postgres://td:***@db:5432/td?password=***&x=1"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
        let plain = DatabaseUrl::parse("postgres://db/td").unwrap();
        assert_eq!(plain.redacted(), "postgres://db/td");
    }
}
