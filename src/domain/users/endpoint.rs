//! Catalog services to create and their endpoint URLs: what `/catalog` and `/token/gettoken` hand
//! to services, so only addresses a service can call — http or https, or tokenleader's bare
//! `host:port`.

use std::borrow::Cow;

use url::Url;

use super::names::Name;
use crate::domain::OAuthError;

/// A service endpoint: an absolute `http://` or `https://` URL with a host
/// (`https://svc.internal:8443/api`), or `host:port` with an optional path (`localhost:5001`,
/// `10.0.0.1:5001/tl`), as tokenleader's docs register them. 1–2048 bytes, no whitespace or
/// control characters. Anything else — `javascript:`, `data:`, `file://`, `ftp://` — is
/// refused: consumers render and follow these URLs, and tokenleader stored whatever it was
/// given (issue 21).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl(String);

/// Schemes a browser acts on when it reads `SCHEME:1234/…` as a URL: `javascript:1/alert(1)`
/// looks like `host:port/path` and runs. No service is called by these names.
const ACTIVE_SCHEMES: [&str; 5] = ["javascript", "vbscript", "data", "file", "blob"];

const RULE: &str = "an endpoint URL must be http://…, https://… or host:port";

impl EndpointUrl {
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        if !(1..=2048).contains(&raw.len())
            || raw.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(OAuthError::invalid_request(
                "an endpoint URL must be 1-2048 bytes without spaces or control characters",
            ));
        }
        match raw.split_once("://") {
            Some((scheme, _)) if is_scheme(scheme) => absolute(raw, scheme)?,
            _ => host_port(raw)?,
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A catalog service to create: the internal endpoint is required, the others optional.
#[derive(Debug)]
pub struct NewService {
    pub name: Name,
    pub internal: EndpointUrl,
    pub external: Option<EndpointUrl>,
    pub admin: Option<EndpointUrl>,
}

impl NewService {
    /// A service as sent to the admin API or the console's form; a refused value names the
    /// service and the field.
    pub fn parse(
        name: &str,
        internal: &str,
        external: Option<&str>,
        admin: Option<&str>,
    ) -> Result<Self, OAuthError> {
        let name = Name::parse(name)?;
        let url = |field: &str, raw: &str| {
            EndpointUrl::parse(raw).map_err(|e| {
                OAuthError::InvalidRequest(
                    format!("service {name}: {field}: {}", e.description()).into(),
                )
            })
        };
        Ok(Self {
            internal: url("endpoint_url_internal", internal)?,
            external: external
                .map(|u| url("endpoint_url_external", u))
                .transpose()?,
            admin: admin.map(|u| url("endpoint_url_admin", u)).transpose()?,
            name,
        })
    }
}

/// RFC 3986 §3.1: a letter, then letters, digits, `+`, `-`, `.`.
fn is_scheme(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

fn refused(why: String) -> OAuthError {
    OAuthError::InvalidRequest(Cow::Owned(why))
}

/// `SCHEME://…`: http or https only, and a host.
fn absolute(raw: &str, scheme: &str) -> Result<(), OAuthError> {
    if !["http", "https"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s))
    {
        return Err(refused(format!("{RULE}: the scheme {scheme}: is refused")));
    }
    match Url::parse(raw) {
        Ok(url) if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        _ => Err(refused(format!("{RULE}: it is not a URL with a host"))),
    }
}

/// `host:port[/path]`, read as `http://host:port/path`: the port explicit (1–65535), the host
/// a name or an IP address, never a scheme a browser would act on.
fn host_port(raw: &str) -> Result<(), OAuthError> {
    let authority = raw.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = authority.rsplit_once(':').unwrap_or((authority, ""));
    let digits = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    if !(digits && port.parse::<u16>().is_ok_and(|p| p > 0)) {
        // `javascript:alert(1)`, `data:text/html,…`, `mailto:…`: name the scheme refused.
        let scheme = raw
            .split_once(':')
            .map(|(s, _)| s)
            .filter(|s| is_scheme(s) && !digits);
        return Err(refused(match scheme {
            Some(scheme) => format!("{RULE}: the scheme {scheme}: is refused"),
            None => format!("{RULE} (a port of 1-65535 after the host)"),
        }));
    }
    if ACTIVE_SCHEMES.iter().any(|s| host.eq_ignore_ascii_case(s)) {
        return Err(refused(format!(
            "{RULE}: {host}:{port} would be read as a {host}: URL"
        )));
    }
    match Url::parse(&format!("http://{raw}")) {
        Ok(url) if url.host_str().is_some_and(|h| !h.is_empty()) && !host.is_empty() => Ok(()),
        _ => Err(refused(format!(
            "{RULE}: {host:?} is not a host name or address"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_https_and_tokenleaders_host_port_are_accepted() {
        for url in [
            "https://svc.internal:8443/api",
            "http://micros.internal",
            "HTTPS://Svc.Example/x?y=1#z",
            "http://[::1]:8080/",
            "localhost:5001",
            "10.0.0.1:5002/v1",
            "micros1.example.com:5002/api",
            "[::1]:5001",
            "tokenleader:5001",
        ] {
            assert!(EndpointUrl::parse(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn other_schemes_and_what_is_not_a_url_are_refused() {
        let why = |raw: &str| {
            EndpointUrl::parse(raw)
                .unwrap_err()
                .description()
                .into_owned()
        };
        for (raw, says) in [
            ("javascript:alert(1)", "scheme javascript: is refused"),
            (
                "JavaScript:1/alert(document.cookie)",
                "read as a JavaScript: URL",
            ),
            (
                "data:text/html,<script>alert(1)</script>",
                "scheme data: is refused",
            ),
            ("data:80", "read as a data: URL"),
            ("vbscript:msgbox(1)", "scheme vbscript: is refused"),
            ("file:///etc/passwd", "scheme file: is refused"),
            ("ftp://x", "scheme ftp: is refused"),
            ("mailto:ops@example.com", "scheme mailto: is refused"),
            ("http://", "not a URL with a host"),
            ("localhost", "a port of 1-65535"),
            ("localhost:0", "a port of 1-65535"),
            ("localhost:65536", "a port of 1-65535"),
            (":5001", "is not a host name"),
            ("a<b:5001", "is not a host name"),
            ("", "without spaces"),
            ("local host:5001", "without spaces"),
            ("x\ty:1", "without spaces"),
            ("x\u{7f}:1", "without spaces"),
            ("a\u{a0}b:1", "without spaces"),
        ] {
            let said = why(raw);
            assert!(said.contains(says), "{raw:?}: {said}");
        }
    }

    #[test]
    fn a_refused_service_url_names_the_service_and_the_field() {
        let e = NewService::parse("micros", "http://m", Some("javascript:alert(1)"), None)
            .unwrap_err()
            .description()
            .into_owned();
        assert!(
            e.starts_with("service micros: endpoint_url_external: "),
            "{e}"
        );
    }
}
