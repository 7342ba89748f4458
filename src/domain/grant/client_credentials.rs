//! The client-credentials grant (RFC 6749 §4.4): an authenticated client gets a token for itself.

use super::negotiate;
use crate::domain::{
    AccessClaims, Audience, Client, GrantType, OAuthError, ScopeSet, TokenIssuer, UnixTime,
    new_claims,
};

/// A client-credentials request after parsing: the client is already authenticated.
#[derive(Debug, Default)]
pub struct ClientCredentialsRequest {
    pub audience: Option<Audience>,
    pub scope: Option<ScopeSet>,
}

/// The claims of a token whose subject is the client itself, once the grant, audience and
/// scope are checked; [`super::issue`] binds and signs them.
pub fn claims(
    issuer: &TokenIssuer,
    client: &Client,
    request: &ClientCredentialsRequest,
    now: UnixTime,
) -> Result<AccessClaims, OAuthError> {
    if !client.allows_grant(GrantType::ClientCredentials) {
        return Err(OAuthError::grant_not_allowed());
    }
    let (audience, scope) = negotiate(client, request.audience.as_ref(), request.scope.as_ref())?;
    let id = client.id.as_str();
    let mut claims = new_claims(issuer.issuer(), id, id, &audience, now, client.token_ttl);
    claims.scope = (!scope.is_empty()).then(|| scope.to_string());
    claims.reg = client.registration_tag();
    Ok(claims)
}
