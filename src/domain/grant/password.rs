//! The resource-owner password grant (RFC 6749 §4.3): a client that may use it trades a user's
//! username and password for an access token about that user.

use super::negotiate;
use crate::domain::origin::Origin;
use crate::domain::users::{LoginFailure, PresentedPassword, Users};
use crate::domain::{
    AccessClaims, Audience, Client, GrantType, OAuthError, ScopeSet, TokenIssuer, UnixTime,
    WfcClaim, new_claims,
};

/// A password-grant request after parsing: the client is already authenticated.
#[derive(Debug)]
pub struct PasswordRequest {
    pub username: String,
    pub password: PresentedPassword,
    pub audience: Option<Audience>,
    pub scope: Option<ScopeSet>,
}

/// Checks the user's credentials (with lockout): the claims of a token whose subject is the
/// user, carrying their roles, wfc and email; [`super::issue`] binds and signs them.
pub async fn claims(
    issuer: &TokenIssuer,
    users: &Users,
    client: &Client,
    request: &PasswordRequest,
    origin: &Origin,
    now: UnixTime,
) -> Result<AccessClaims, OAuthError> {
    if !client.allows_grant(GrantType::Password) {
        return Err(OAuthError::grant_not_allowed());
    }
    let (audience, scope) = negotiate(client, request.audience.as_ref(), request.scope.as_ref())?;
    let user = match users
        .login(&request.username, &request.password, origin, now)
        .await
    {
        Ok(user) => user,
        // One answer for both, so the token endpoint does not reveal which usernames exist.
        Err(LoginFailure::UnknownUser | LoginFailure::WrongPassword) => {
            return Err(OAuthError::InvalidGrant(
                "the username or password is wrong",
            ));
        }
        Err(LoginFailure::Locked { retry_after_secs }) => {
            return Err(OAuthError::TooManyRequests { retry_after_secs });
        }
        Err(LoginFailure::Busy { retry_after_secs }) => {
            return Err(OAuthError::TemporarilyUnavailable { retry_after_secs });
        }
        Err(LoginFailure::Internal(e)) => return Err(OAuthError::from(e)),
    };
    let mut claims = new_claims(
        issuer.issuer(),
        &user.username,
        client.id.as_str(),
        &audience,
        now,
        client.token_ttl,
    );
    claims.scope = (!scope.is_empty()).then(|| scope.to_string());
    claims.reg = client.registration_tag();
    claims.uid = Some(user.id);
    claims.roles = Some(user.roles);
    claims.email = Some(user.email);
    claims.wfc = Some(WfcClaim {
        name: user.wfc.name,
        org: user.wfc.org,
        orgunit: user.wfc.orgunit,
        department: user.wfc.department,
    });
    Ok(claims)
}
