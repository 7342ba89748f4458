//! Grants: what each OAuth2 grant type checks and which claims it issues.

pub mod client_credentials;
pub mod password;

use super::{AccessClaims, Audience, Client, Confirmation, OAuthError, ScopeSet, TokenIssuer};

/// What the token endpoint answers on success (RFC 6749 §5.1): the wire type shared with the
/// service library.
pub use tokendealer_client::wire::TokenResponse as IssuedToken;

/// Binds a grant's `claims` to `binding` when the edge found one (RFC 7800 `cnf`) and signs
/// them with the client's algorithm: the token endpoint's answer.
pub async fn issue(
    issuer: &TokenIssuer,
    client: &Client,
    mut claims: AccessClaims,
    binding: Option<Confirmation>,
) -> Result<IssuedToken, OAuthError> {
    let token_type = token_type(binding.as_ref());
    claims.cnf = binding;
    let scope = claims.scope.clone();
    Ok(IssuedToken {
        access_token: issuer.sign_with(client.alg, claims).await?,
        token_type: token_type.into(),
        expires_in: client.token_ttl,
        scope,
    })
}

/// Picks the audience and scopes for a token: the requested audience must be registered for the
/// client (absent: its first), and the requested scopes a subset of its scopes (absent: all).
pub fn negotiate(
    client: &Client,
    audience: Option<&Audience>,
    scope: Option<&ScopeSet>,
) -> Result<(Audience, ScopeSet), OAuthError> {
    let audience = match audience {
        Some(wanted) => {
            client
                .audiences
                .iter()
                .find(|a| *a == wanted)
                .ok_or(OAuthError::InvalidTarget(
                    "the audience is not registered for this client".into(),
                ))?
        }
        None => client.audiences.first().ok_or(OAuthError::InvalidTarget(
            "the client has no audience".into(),
        ))?,
    };
    let scope = match scope {
        Some(wanted) if !wanted.is_subset(&client.scopes) => {
            return Err(OAuthError::InvalidScope(
                "the requested scope exceeds the client's scopes",
            ));
        }
        Some(wanted) => wanted.clone(),
        None => client.scopes.clone(),
    };
    Ok((audience.clone(), scope))
}

/// The `token_type` of a token bound as `binding` says: `DPoP` when bound to a DPoP key
/// (RFC 9449 §5), else `Bearer` (a certificate-bound token is still sent as a bearer token,
/// RFC 8705 §3).
pub fn token_type(binding: Option<&Confirmation>) -> &'static str {
    match binding {
        Some(Confirmation { jkt: Some(_), .. }) => "DPoP",
        _ => "Bearer",
    }
}
