//! The client-credentials grant (RFC 6749 §4.4): an authenticated client gets a token for itself.

use super::{IssuedToken, negotiate, token_type};
use crate::domain::Confirmation;
use crate::domain::{
    Audience, Client, GrantType, OAuthError, ScopeSet, TokenIssuer, UnixTime, new_claims,
};

/// A client-credentials request after parsing: the client is already authenticated.
#[derive(Debug, Default)]
pub struct ClientCredentialsRequest {
    pub audience: Option<Audience>,
    pub scope: Option<ScopeSet>,
}

/// Issues a token whose subject is the client itself, signed with the client's algorithm and
/// bound to `binding` when the edge found one (RFC 7800 `cnf`).
pub async fn issue(
    issuer: &TokenIssuer,
    client: &Client,
    request: &ClientCredentialsRequest,
    binding: Option<Confirmation>,
    now: UnixTime,
) -> Result<IssuedToken, OAuthError> {
    if !client.allows_grant(GrantType::ClientCredentials) {
        return Err(OAuthError::grant_not_allowed());
    }
    let (audience, scope) = negotiate(client, request.audience.as_ref(), request.scope.as_ref())?;
    let id = client.id.as_str();
    let mut claims = new_claims(issuer.issuer(), id, id, &audience, now, client.token_ttl);
    let scope = (!scope.is_empty()).then(|| scope.to_string());
    claims.scope.clone_from(&scope);
    claims.reg = client.registration_tag();
    let token_type = token_type(binding.as_ref());
    claims.cnf = binding;
    Ok(IssuedToken {
        access_token: issuer.sign_with(client.alg, claims).await?,
        token_type: token_type.into(),
        expires_in: client.token_ttl,
        scope,
    })
}
