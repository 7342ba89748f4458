//! Registered clients: identifiers, grants, and the constant-time check of a presented secret.

use std::fmt;

use tokendealer_client::wire::AccessTokenClaims as AccessClaims;

use super::auth_failure::FailureReason;
use super::client_auth::ClientAuthMethod;
use super::keys::SigningAlg;
use super::secret::DUMMY_DIGEST;
pub use super::secret::{ClientSecret, SecretDigest};
use super::{Audience, OAuthError, ScopeSet, UnixTime};

/// A client identifier: 1–128 printable ASCII characters, as presented or stored; new clients
/// are held to the stricter [`ClientId::parse_new`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    /// An id as a caller presents it or the store holds it. Lenient, so that clients registered
    /// before the registration rule tightened still load and authenticate.
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        let ok = (1..=128).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Self(raw.to_owned()))
            .ok_or(OAuthError::invalid_request(
                "client_id must be 1-128 printable ASCII characters",
            ))
    }

    /// An id for a client being registered: 1–128 RFC 3986 unreserved characters
    /// (`A-Z a-z 0-9 - . _ ~`). Those read the same whether or not a client form-encodes its
    /// Basic credentials as RFC 6749 §2.3.1 asks; python-requests and Authlib do not, so an id
    /// with `+`, `%`, `:` or a space could never authenticate with them.
    pub fn parse_new(raw: &str) -> Result<Self, OAuthError> {
        let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
        let ok = (1..=128).contains(&raw.len()) && raw.bytes().all(unreserved);
        ok.then(|| Self(raw.to_owned()))
            .ok_or(OAuthError::invalid_request(
                "client_id must be 1-128 characters from A-Z a-z 0-9 - . _ ~ (RFC 3986 unreserved), so that every HTTP Basic client sends it unchanged",
            ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The grants a client may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrantType {
    ClientCredentials,
    Password,
}

impl GrantType {
    /// Every grant this dealer serves.
    pub const ALL: [GrantType; 2] = [Self::ClientCredentials, Self::Password];

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "client_credentials" => Some(Self::ClientCredentials),
            "password" => Some(Self::Password),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientCredentials => "client_credentials",
            Self::Password => "password",
        }
    }
}

/// A registered client, as the domain sees it.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: ClientId,
    pub secret: SecretDigest,
    /// The previous secret and when it stops working, after a rotation with a grace period.
    pub previous_secret: Option<(SecretDigest, UnixTime)>,
    /// Never empty: a client can only get tokens for audiences it was registered with.
    pub audiences: Vec<Audience>,
    pub scopes: ScopeSet,
    pub grants: Vec<GrantType>,
    pub token_ttl: u64,
    pub disabled: bool,
    pub created_at: UnixTime,
    /// The algorithm its tokens are signed with (RS512 unless registered otherwise).
    pub alg: SigningAlg,
    /// Random, fixed at registration: tokens carry it (`reg`), so a client id removed and
    /// registered again does not revive the old registration's tokens. 0 for registrations
    /// made before it existed (then `created_at` alone decides).
    pub registration: u64,
    /// How it authenticates: its secret unless registered with keys (`private_key_jwt`) or a
    /// certificate (RFC 8705); a client of another method has no usable secret.
    pub auth_method: ClientAuthMethod,
    /// Its tokens must be DPoP-bound (RFC 9449 §5.2 `dpop_bound_access_tokens`): no token
    /// without a valid proof.
    pub dpop_bound: bool,
}

impl Client {
    /// The `reg` claim of this registration's tokens.
    pub fn registration_tag(&self) -> Option<String> {
        (self.registration != 0).then(|| format!("{:016x}", self.registration))
    }

    /// Whether a token with these claims was issued to this registration of the client (the
    /// same id registered again does not own the old registration's tokens).
    pub fn issued(&self, claims: &AccessClaims) -> bool {
        claims.client_id == self.id.as_str()
            && match self.registration_tag() {
                Some(tag) => claims.reg.as_deref() == Some(tag.as_str()),
                // A registration from before tags existed: only its age can tell.
                None => claims.iat >= self.created_at.as_secs(),
            }
    }

    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grants.contains(&grant)
    }
}

/// Checks a presented secret against a client that may not exist, doing the same work either way:
/// one SHA-256 and two 32-byte constant-time comparisons, and one answer for every failure.
pub fn authenticate(
    found: Option<Client>,
    presented: &str,
    now: UnixTime,
) -> Result<Client, OAuthError> {
    authenticate_why(found, presented, now).map_err(|_| OAuthError::InvalidClient)
}

/// [`authenticate`], saying why it failed, for the metrics and the audit log only: the answer
/// to the client stays the same for every reason. The reason is read after the same work.
pub fn authenticate_why(
    found: Option<Client>,
    presented: &str,
    now: UnixTime,
) -> Result<Client, FailureReason> {
    let presented = SecretDigest::of(presented);
    let (current, previous, live) = match &found {
        Some(c) => {
            let prev = c
                .previous_secret
                .filter(|(_, until)| now < *until)
                .map(|(d, _)| d);
            // A client of another method has no usable secret.
            let secret = if c.auth_method.uses_secret() {
                c.secret
            } else {
                DUMMY_DIGEST
            };
            (secret, prev.unwrap_or(DUMMY_DIGEST), !c.disabled)
        }
        None => (DUMMY_DIGEST, DUMMY_DIGEST, false),
    };
    // DUMMY_DIGEST has no known preimage, so comparing against it never succeeds.
    let ok = presented.matches(&current) | presented.matches(&previous);
    match found {
        Some(client) if bool::from(ok) && live => Ok(client),
        None => Err(FailureReason::UnknownClient),
        Some(_) if bool::from(ok) => Err(FailureReason::DisabledClient),
        Some(_) => Err(FailureReason::WrongSecret),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(secret: &ClientSecret) -> Client {
        Client {
            registration: 1,
            dpop_bound: false,
            id: ClientId::parse("svc").unwrap(),
            secret: secret.digest(),
            previous_secret: None,
            audiences: vec![Audience::parse("https://api").unwrap()],
            scopes: ScopeSet::default(),
            grants: vec![GrantType::ClientCredentials],
            token_ttl: 60,
            disabled: false,
            created_at: UnixTime::from_secs(0),
            alg: SigningAlg::default(),
            auth_method: ClientAuthMethod::default(),
        }
    }

    #[test]
    fn a_new_client_id_is_unreserved_characters_only_but_stored_ones_still_parse() {
        for ok in ["svc", "svc.name_1~x", "A-Z", &"a".repeat(128)] {
            assert!(ClientId::parse_new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "a+b:c%d",
            "with space",
            "ümlaut",
            "a/b",
            "",
            &"a".repeat(129),
        ] {
            assert!(ClientId::parse_new(bad).is_err(), "{bad}");
        }
        assert!(ClientId::parse("a+b:c%d").is_ok());
    }

    #[test]
    fn the_right_secret_authenticates_and_a_wrong_one_does_not() {
        let s = ClientSecret::generate();
        let now = UnixTime::from_secs(10);
        assert!(authenticate(Some(client(&s)), s.expose(), now).is_ok());
        assert!(authenticate(Some(client(&s)), "nope", now).is_err());
        assert!(authenticate(None, s.expose(), now).is_err());
    }

    #[test]
    fn a_previous_secret_works_only_until_its_grace_ends() {
        let old = ClientSecret::generate();
        let new = ClientSecret::generate();
        let mut c = client(&new);
        c.previous_secret = Some((old.digest(), UnixTime::from_secs(100)));
        assert!(authenticate(Some(c.clone()), old.expose(), UnixTime::from_secs(99)).is_ok());
        assert!(authenticate(Some(c), old.expose(), UnixTime::from_secs(100)).is_err());
    }

    #[test]
    fn a_disabled_client_fails_even_with_the_right_secret() {
        let s = ClientSecret::generate();
        let mut c = client(&s);
        c.disabled = true;
        assert!(authenticate(Some(c), s.expose(), UnixTime::from_secs(1)).is_err());
    }
}
