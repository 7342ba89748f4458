//! What an operator may register: a client's id, audiences, scopes, grants, token lifetime and
//! signing algorithm, and how long a rotated-out secret may keep working. The admin API and the
//! console ask this one policy, so what the one refuses the other refuses in the same words.

use super::client::{ClientId, GrantType};
use super::client_auth::{ClientAuthMethod, FederatedSubject};
use super::error::AdminError;
use super::keys::{Algorithms, SigningAlg};
use super::scope::{Audience, ScopeSet};

/// A client to register, already validated.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub id: ClientId,
    pub audiences: Vec<Audience>,
    pub scopes: ScopeSet,
    pub grants: Vec<GrantType>,
    pub token_ttl: u64,
    pub alg: SigningAlg,
    /// Its secret (generated), its keys, its certificate, or the subjects of trusted issuers.
    pub auth_method: ClientAuthMethod,
    /// Its tokens must be DPoP-bound (RFC 9449 §5.2).
    pub dpop_bound: bool,
}

/// A client to register as an operator wrote it: the admin API's JSON, the console's form.
#[derive(Debug, Clone, Copy)]
pub struct ClientRequest<'a> {
    pub client_id: &'a str,
    pub audiences: &'a [String],
    pub scopes: &'a [String],
    /// `None`: the client-credentials grant alone.
    pub grants: Option<&'a [String]>,
    /// `None`: the policy's default lifetime.
    pub token_ttl: Option<u64>,
    /// `None`: RS512.
    pub alg: Option<&'a str>,
    /// `private_key_jwt` with these public keys (a JWK Set) instead of a secret.
    pub jwks: Option<&'a serde_json::Value>,
    /// `private_key_jwt` with the keys at this URL instead of a secret.
    pub jwks_uri: Option<&'a str>,
    /// Subjects of trusted issuers whose tokens authenticate the client (then it has no
    /// secret); as written, checked by [`NewClient::parse`].
    pub federated: &'a [FederatedSubject],
    /// Tokens only with a DPoP proof (RFC 9449 §5.2 `dpop_bound_access_tokens`).
    pub dpop_bound: bool,
    /// RFC 8705's TLS methods; none given: a secret.
    pub tls: TlsAuthRequest<'a>,
}

/// A TLS client authentication (RFC 8705) as an operator wrote it: one name the certificate
/// must carry under the client CA (`tls_client_auth`), or the certificate itself, DER
/// (`self_signed_tls_client_auth`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TlsAuthRequest<'a> {
    pub subject_dn: Option<&'a str>,
    pub san_dns: Option<&'a str>,
    pub san_uri: Option<&'a str>,
    pub certificate: Option<&'a [u8]>,
}

impl TlsAuthRequest<'_> {
    /// The method asked for: a secret when nothing is given.
    pub fn method(&self) -> Result<ClientAuthMethod, AdminError> {
        let named = [self.subject_dn, self.san_dns, self.san_uri]
            .iter()
            .any(Option::is_some);
        match (named, self.certificate) {
            (false, None) => Ok(ClientAuthMethod::ClientSecret),
            (false, Some(der)) => ClientAuthMethod::self_signed(der),
            (true, None) => {
                ClientAuthMethod::tls_client_auth(self.subject_dn, self.san_dns, self.san_uri)
            }
            (true, Some(_)) => Err(AdminError::invalid(
                "give a certificate (self_signed_tls_client_auth) or a name under the client CA (tls_client_auth), not both",
            )),
        }
    }
}

/// The bounds a registration is held to: the `default_token_ttl` and `max_token_ttl` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationPolicy {
    /// The lifetime of a client's tokens when its registration names none, in seconds.
    pub default_token_ttl: u64,
    /// The longest lifetime a client's tokens may have, and the longest an old secret may
    /// outlive its rotation, in seconds.
    pub max_token_ttl: u64,
}

/// The settings' defaults (`config`): an hour, at most a day.
impl Default for RegistrationPolicy {
    fn default() -> Self {
        Self {
            default_token_ttl: 3600,
            max_token_ttl: 86_400,
        }
    }
}

/// How long a rotated-out secret keeps working, in seconds: only the policy makes one, so a
/// rotation cannot be given an old secret that never stops working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grace(u64);

impl Grace {
    /// The old secret stops at once.
    pub const NONE: Self = Self(0);

    pub fn secs(self) -> u64 {
        self.0
    }
}

impl RegistrationPolicy {
    /// A grace period for a secret rotation, within `max_token_ttl`: an old secret that never
    /// stops working is no rotation at all.
    pub fn grace(&self, secs: u64) -> Result<Grace, AdminError> {
        if secs > self.max_token_ttl {
            return Err(AdminError::Invalid(
                format!(
                    "grace_secs may be at most {} (max_token_ttl)",
                    self.max_token_ttl
                )
                .into(),
            ));
        }
        Ok(Grace(secs))
    }
}

impl NewClient {
    /// Parses and checks `request` against `policy`, with `signs_with` the algorithms this
    /// dealer signs with (`[keys] algorithms`). Checked in the order a caller reads the errors:
    /// lifetime, grants, id, audiences, scopes, algorithm.
    pub fn parse(
        request: &ClientRequest<'_>,
        policy: &RegistrationPolicy,
        signs_with: Algorithms,
    ) -> Result<Self, AdminError> {
        let ttl = request.token_ttl.unwrap_or(policy.default_token_ttl);
        if ttl == 0 || ttl > policy.max_token_ttl {
            let msg = format!(
                "token_ttl must be between 1 and {} seconds",
                policy.max_token_ttl
            );
            return Err(AdminError::Invalid(msg.into()));
        }
        let grants = match request.grants {
            None => vec![GrantType::ClientCredentials],
            Some(list) => list
                .iter()
                .map(|g| {
                    GrantType::parse(g)
                        .ok_or_else(|| AdminError::Invalid(format!("unknown grant {g}").into()))
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Self {
            id: ClientId::parse_new(request.client_id)?,
            audiences: request
                .audiences
                .iter()
                .map(|a| Audience::parse(a))
                .collect::<Result<_, _>>()?,
            scopes: ScopeSet::from_list(request.scopes)
                .map_err(|_| AdminError::invalid("a scope is malformed"))?,
            grants,
            token_ttl: ttl,
            alg: match request.alg {
                None => SigningAlg::default(),
                Some(raw) => signs_with.require(raw)?,
            },
            auth_method: match (
                request.jwks,
                request.jwks_uri,
                request.tls.method()?,
                request.federated,
            ) {
                (None, None, method, []) => method,
                (None, None, ClientAuthMethod::ClientSecret, subjects) => federated(subjects)?,
                (jwks, uri, ClientAuthMethod::ClientSecret, []) => {
                    ClientAuthMethod::private_key_jwt(jwks, uri)?
                }
                _ => {
                    return Err(AdminError::invalid(
                        "register one way to authenticate: keys (jwks, jwks_uri), a certificate (tls_client_auth, self_signed_tls_client_auth) or federated subjects",
                    ));
                }
            },
            dpop_bound: request.dpop_bound,
        })
    }
}

/// Federated when subjects are given, each checked; else by secret.
fn federated(subjects: &[FederatedSubject]) -> Result<ClientAuthMethod, AdminError> {
    if subjects.is_empty() {
        return Ok(ClientAuthMethod::ClientSecret);
    }
    let mut checked: Vec<FederatedSubject> = Vec::new();
    for s in subjects {
        let s = super::federation::subject::subject(&s.trust, &s.subject)?;
        if !checked.contains(&s) {
            checked.push(s);
        }
    }
    Ok(ClientAuthMethod::Federated { subjects: checked })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(token_ttl: Option<u64>, alg: Option<&'a str>) -> ClientRequest<'a> {
        ClientRequest {
            client_id: "svc",
            audiences: &[],
            scopes: &[],
            grants: None,
            token_ttl,
            alg,
            jwks: None,
            jwks_uri: None,
            federated: &[],
            dpop_bound: false,
            tls: TlsAuthRequest::default(),
        }
    }

    #[test]
    fn a_lifetime_and_a_grace_are_held_to_the_policy_s_bounds() {
        let policy = RegistrationPolicy {
            default_token_ttl: 60,
            max_token_ttl: 120,
        };
        let all = Algorithms::ALL;
        let made = NewClient::parse(&request(None, None), &policy, all).unwrap();
        assert_eq!((made.token_ttl, made.alg), (60, SigningAlg::Rs512));
        for refused in [Some(0), Some(121)] {
            let e = NewClient::parse(&request(refused, None), &policy, all).unwrap_err();
            assert_eq!(
                e.to_string(),
                "invalid: token_ttl must be between 1 and 120 seconds"
            );
        }
        assert_eq!(policy.grace(120).unwrap().secs(), 120);
        assert!(matches!(policy.grace(121), Err(AdminError::Invalid(_))));
    }

    #[test]
    fn an_algorithm_this_dealer_does_not_sign_with_is_refused_by_name() {
        let rs512_only = Algorithms::parse(&["RS512"]).unwrap();
        let policy = RegistrationPolicy::default();
        let e = NewClient::parse(&request(None, Some("ES256")), &policy, rs512_only).unwrap_err();
        assert!(
            e.to_string()
                .contains("alg ES256 is not in [keys] algorithms"),
            "{e}"
        );
        let e = NewClient::parse(&request(None, Some("HS256")), &policy, rs512_only).unwrap_err();
        assert!(e.to_string().contains("unknown alg \"HS256\""), "{e}");
    }
}
