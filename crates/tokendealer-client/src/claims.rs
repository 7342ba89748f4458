//! The verified claims handed to services, and the wire shapes they are read from.

use serde::{Deserialize, Serialize};

use super::wire::Confirmation;

/// The claims of a verified access token, the same for every token profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The subject: a client id for client-credentials tokens, a username for user tokens.
    pub sub: String,
    /// The client the token was issued to (absent in legacy tokenleader tokens).
    pub client_id: Option<String>,
    /// Granted scopes, from the space-separated `scope` claim.
    pub scopes: Vec<String>,
    /// The user's roles (password-grant and legacy tokens only).
    pub roles: Vec<String>,
    /// The user's organisation (password-grant and legacy tokens only).
    pub wfc: Option<Wfc>,
    /// The user's e-mail address, when known.
    pub email: Option<String>,
    /// The issuer (absent in legacy tokenleader tokens).
    pub iss: Option<String>,
    /// The audiences (empty in legacy tokenleader tokens).
    pub aud: Vec<String>,
    /// Expiry, Unix seconds.
    pub exp: u64,
    /// Issue time, Unix seconds.
    pub iat: u64,
    /// Unique token id (absent in legacy tokenleader tokens).
    pub jti: Option<String>,
    /// The key the token is bound to (RFC 7800 `cnf`): a DPoP key or a client certificate.
    /// [`RequireAccess`](crate::RequireAccess) has checked it before a handler sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

impl Claims {
    /// True when `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Where a user sits in the organisation ("work function context" in tokenleader).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wfc {
    /// Name of the context.
    #[serde(default)]
    pub name: String,
    /// Organisation.
    #[serde(default)]
    pub org: String,
    /// Organisational unit.
    #[serde(default)]
    pub orgunit: String,
    /// Department.
    #[serde(default)]
    pub department: String,
}

/// `aud` may be one string or an array (RFC 7519 §4.1.3).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub(crate) fn contains(&self, wanted: &str) -> bool {
        match self {
            Self::One(a) => a == wanted,
            Self::Many(v) => v.iter().any(|a| a == wanted),
        }
    }

    fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(a) => vec![a],
            Self::Many(v) => v,
        }
    }
}

/// RFC 9068 claims as the dealer issues them; also the body of an introspection answer,
/// which is why everything is optional here and checked by the caller.
#[derive(Debug, Deserialize)]
pub(crate) struct WireClaims {
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub aud: Option<Audience>,
    pub exp: Option<u64>,
    pub iat: Option<u64>,
    pub nbf: Option<u64>,
    pub jti: Option<String>,
    pub client_id: Option<String>,
    pub scope: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    pub wfc: Option<Wfc>,
    pub email: Option<String>,
    pub cnf: Option<Confirmation>,
}

impl WireClaims {
    /// Converts to [`Claims`]; `sub` is the only claim whose absence is an error here.
    pub(crate) fn into_claims(self) -> Result<Claims, String> {
        Ok(Claims {
            sub: self.sub.ok_or("sub is missing")?,
            client_id: self.client_id,
            scopes: split_scope(self.scope.as_deref()),
            roles: self.roles,
            wfc: self.wfc,
            email: self.email,
            iss: self.iss,
            aud: self.aud.map(Audience::into_vec).unwrap_or_default(),
            exp: self.exp.unwrap_or_default(),
            iat: self.iat.unwrap_or_default(),
            jti: self.jti,
            cnf: self.cnf,
        })
    }
}

fn split_scope(scope: Option<&str>) -> Vec<String> {
    scope
        .map(|s| s.split_ascii_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The older tokenleader profile: the user travels as an object in `sub`.
#[derive(Debug, Deserialize)]
pub(crate) struct LegacyClaims {
    pub exp: u64,
    #[serde(default)]
    pub iat: u64,
    pub nbf: Option<u64>,
    pub sub: LegacySubject,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LegacySubject {
    pub username: String,
    pub email: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    pub wfc: Option<Wfc>,
}

impl From<LegacyClaims> for Claims {
    fn from(legacy: LegacyClaims) -> Self {
        Claims {
            sub: legacy.sub.username,
            client_id: None,
            scopes: Vec::new(),
            roles: legacy.sub.roles,
            wfc: legacy.sub.wfc,
            email: legacy.sub.email,
            iss: None,
            aud: Vec::new(),
            exp: legacy.exp,
            iat: legacy.iat,
            jti: None,
            cnf: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legacy_subject_object_maps_to_the_username_and_its_wfc() {
        let legacy: LegacyClaims = serde_json::from_value(serde_json::json!({
            "exp": 20, "iat": 10,
            "sub": {"id": 7, "username": "user1", "email": "u@x.org", "roles": ["role1"],
                    "wfc": {"id": 3, "name": "wfc1", "org": "org1", "orgunit": "ou1", "department": "dept1"}}
        }))
        .unwrap();
        let claims = Claims::from(legacy);
        assert_eq!(claims.sub, "user1");
        assert_eq!(claims.roles, ["role1"]);
        assert_eq!(claims.wfc.unwrap().department, "dept1");
        assert_eq!(claims.iss, None);
    }

    #[test]
    fn the_scope_claim_is_split_on_spaces_and_aud_may_be_an_array() {
        let wire: WireClaims = serde_json::from_value(serde_json::json!({
            "sub": "svc", "scope": "runs:read  runs:write", "aud": ["a", "b"]
        }))
        .unwrap();
        let claims = wire.into_claims().unwrap();
        assert_eq!(claims.scopes, ["runs:read", "runs:write"]);
        assert_eq!(claims.aud, ["a", "b"]);
        assert!(claims.has_scope("runs:write"));
    }
}
