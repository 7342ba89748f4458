//! Client authentication as a request carries it (RFC 6749 §2.3): Basic or form credentials,
//! a client assertion (RFC 7523 §2.2), or a client certificate's `client_id` (RFC 8705).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, header};

use crate::domain::assertion::{ClientAssertion, JWT_BEARER};
use crate::domain::{ClientAuth, ClientCertificate, OAuthError};
use crate::http::error::{CredentialsIn, Rejection};
use crate::http::request::{Form, single_authorization};

/// The client's credentials: taken from the `Authorization: Basic` header or from the form, never both
/// (RFC 6749 §2.3: one method per request), with where they were: a failed authentication is
/// answered by that (see [`CredentialsIn`]).
///
/// An `Authorization` header is a client authentication attempt: one that is not Basic, or
/// not decodable, fails as `invalid_client` (401, Basic challenge; RFC 6749 §5.2
/// "unsupported authentication method"). Only a request that is wrong whatever the
/// credentials are (two methods at once, a `client_id` contradicting the header) is
/// `invalid_request`.
///
/// The form's `client_id` alone is a client authentication attempt too: with a client
/// `certificate` (RFC 8705), the certificate is the credential.
pub fn client_auth(
    headers: &HeaderMap,
    form: &Form,
    certificate: Option<ClientCertificate>,
) -> Result<(ClientAuth, CredentialsIn), Rejection> {
    single_authorization(headers)?;
    if form.get("client_assertion").is_some() || form.get("client_assertion_type").is_some() {
        return assertion_auth(headers, form);
    }
    let in_form = form.get("client_secret");
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return match (in_form, certificate) {
            (Some(secret), certificate) => Ok((
                ClientAuth {
                    client_id: form.require("client_id")?.to_owned(),
                    client_secret: secret.to_owned(),
                    certificate,
                    assertion: None,
                },
                CredentialsIn::Form,
            )),
            // A `client_id` alone is an attempt too: a certificate client that came without its
            // certificate fails (and is counted) as such, a secret client as a wrong secret.
            (None, certificate) if form.get("client_id").is_some() => Ok((
                ClientAuth {
                    client_id: form.require("client_id")?.to_owned(),
                    client_secret: String::new(),
                    certificate,
                    assertion: None,
                },
                CredentialsIn::Form,
            )),
            // No credentials at all: answered as a form authentication is, the JSON alone.
            (None, _) => Err(Rejection::InvalidClient(CredentialsIn::Form)),
        };
    };
    let failed = Rejection::InvalidClient(CredentialsIn::Header);
    let Some(encoded) = basic_payload(value.as_bytes()) else {
        return Err(failed);
    };
    if in_form.is_some() {
        return Err(OAuthError::invalid_request(
            "use either HTTP Basic or client_secret, not both",
        )
        .into());
    }
    let Some((id, secret)) = decode_basic(encoded) else {
        return Err(failed);
    };
    if form.get("client_id").is_some_and(|f| f != id) {
        return Err(
            OAuthError::invalid_request("client_id differs from the Basic credentials").into(),
        );
    }
    let auth = ClientAuth {
        client_id: id,
        client_secret: secret,
        certificate,
        assertion: None,
    };
    Ok((auth, CredentialsIn::Header))
}

/// A client assertion (RFC 7523 §2.2, RFC 7521 §4.2) as the one method of the request: read
/// once here; `client_id`, optional, must name the assertion's `sub`.
fn assertion_auth(
    headers: &HeaderMap,
    form: &Form,
) -> Result<(ClientAuth, CredentialsIn), Rejection> {
    if headers.contains_key(header::AUTHORIZATION) || form.get("client_secret").is_some() {
        return Err(OAuthError::invalid_request(
            "use one client authentication method: a client assertion, HTTP Basic or client_secret",
        )
        .into());
    }
    if form.require("client_assertion_type")? != JWT_BEARER {
        return Err(OAuthError::invalid_request(
            "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        )
        .into());
    }
    let assertion = ClientAssertion::parse(form.require("client_assertion")?);
    // A client's own assertion (iss = sub) names the client; a trusted issuer's token names a
    // workload, and its client is looked up in the domain (`client_id` then checked there).
    let sub = assertion
        .as_ref()
        .ok()
        .filter(|a| a.claims.iss == a.claims.sub)
        .map(|a| a.claims.sub.as_str());
    let client_id = match (form.get("client_id"), sub) {
        (Some(id), Some(sub)) if id != sub => {
            return Err(OAuthError::invalid_request(
                "client_id differs from the client assertion's sub",
            )
            .into());
        }
        (Some(id), _) | (None, Some(id)) => id.to_owned(),
        (None, None) => String::new(),
    };
    let auth = ClientAuth {
        client_id,
        client_secret: String::new(),
        // The assertion is the credential; a certificate still binds the token (at the edge).
        certificate: None,
        assertion: Some(assertion),
    };
    Ok((auth, CredentialsIn::Form))
}

/// The credentials part of `Basic <credentials>`; `None` for any other scheme.
fn basic_payload(value: &[u8]) -> Option<&str> {
    let value = std::str::from_utf8(value).ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("basic").then_some(encoded)
}

/// `base64(urlencode(id) ":" urlencode(secret))`, as RFC 6749 §2.3.1 specifies. Clients that
/// skip the form-encoding (python-requests, Authlib) send the same bytes for the ids this dealer
/// registers (RFC 3986 unreserved characters only; see [`crate::domain::ClientId::parse_new`]).
fn decode_basic(encoded: &str) -> Option<(String, String)> {
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| -> Option<String> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={s}")).ok()?;
        Some(pairs.into_iter().next().map(|(_, v)| v).unwrap_or_default())
    };
    let (id, secret) = (unescape(id)?, unescape(secret)?);
    (!id.is_empty()).then_some((id, secret))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn basic_credentials_are_form_unescaped() {
        let encoded = STANDARD.encode("my%3Aclient:s%2Bcr%20t");
        let header = format!("Basic {encoded}");
        let (id, secret) = decode_basic(basic_payload(header.as_bytes()).unwrap()).unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("my:client", "s+cr t"));
    }

    #[test]
    fn an_authorization_header_the_endpoint_cannot_use_is_invalid_client() {
        let form = Form(HashMap::from([("grant_type".into(), "x".into())]));
        let no_colon = format!("Basic {}", STANDARD.encode("svc"));
        let empty_id = format!("basic {}", STANDARD.encode(":secret"));
        for value in [
            "Bearer abc",
            "Digest username=\"svc\"",
            "Basic !!!",
            "Basic",
            &no_colon,
            &empty_id,
        ] {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, value.parse().unwrap());
            let err = client_auth(&h, &form, None).unwrap_err();
            assert!(
                matches!(err, Rejection::InvalidClient(CredentialsIn::Header)),
                "{value}: {err:?}"
            );
        }
    }

    #[test]
    fn credentials_are_read_with_where_they_were() {
        let basic = format!("Basic {}", STANDARD.encode("svc:s3cret"));
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, basic.parse().unwrap());
        let (auth, presented) = client_auth(&h, &Form(HashMap::new()), None).unwrap();
        assert_eq!(
            (auth.client_id.as_str(), presented),
            ("svc", CredentialsIn::Header)
        );
        let form = Form(HashMap::from([
            ("client_id".into(), "svc".into()),
            ("client_secret".into(), "s3cret".into()),
        ]));
        let (auth, presented) = client_auth(&HeaderMap::new(), &form, None).unwrap();
        assert_eq!(
            (auth.client_id.as_str(), presented),
            ("svc", CredentialsIn::Form)
        );
        let nothing = client_auth(&HeaderMap::new(), &Form(HashMap::new()), None).unwrap_err();
        assert!(matches!(
            nothing,
            Rejection::InvalidClient(CredentialsIn::Form)
        ));
    }
}
