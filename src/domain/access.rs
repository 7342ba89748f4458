//! Authorization of bearer tokens: the one check every route that takes a token goes through.
//!
//! A token is worth what its client, its user and its key are worth now. In order: signed by a
//! key still in the key set, this issuer, within `nbf..exp`, no unknown `crit` header
//! ([`TokenIssuer::verify`]); not revoked; its client exists, is enabled and is the same
//! registration that the token was issued under; for a password-grant token, its user exists
//! and is the same user; then what the route requires (audience, scope, role).

use super::users::Directory;
use super::{
    ADMIN_AUDIENCE, ADMIN_SCOPE, AccessClaims, ClientId, ClientRegistry, OAuthError, Revocations,
    TokenIssuer, UnixTime,
};
use crate::domain::users::entries::UserRecord;
use crate::domain::users::tokenleader::TokenleaderClaims;

/// What a route asks of the token presented to it.
#[derive(Debug, Clone, Copy)]
pub enum Requirement<'a> {
    /// Any live access token of this dealer, for any audience.
    AnyToken,
    /// The admin API: audience `urn:tokendealer:admin` and scope `tokendealer:admin`.
    Admin,
    /// The admin requirement, or a user token holding one of these roles.
    AdminOrRole(&'a [String]),
}

/// The parts of the dealer a decision needs, borrowed for one request.
pub struct Access<'a> {
    pub issuer: &'a TokenIssuer,
    pub revocations: &'a Revocations,
    pub registry: &'a ClientRegistry,
    pub directory: &'a Directory,
}

const DEAD_CLIENT: OAuthError =
    OAuthError::InvalidToken("the token's client is disabled or removed");
const DEAD_USER: OAuthError = OAuthError::InvalidToken("the token's user is removed");

impl Access<'_> {
    /// Decides whether `token` may do what `requirement` asks, at `now`.
    pub fn authorize(
        &self,
        token: &str,
        requirement: Requirement<'_>,
        now: UnixTime,
    ) -> Result<AccessClaims, OAuthError> {
        match requirement {
            Requirement::AnyToken => self.live(token, None, now),
            Requirement::Admin => {
                let claims = self.live(token, Some(ADMIN_AUDIENCE), now)?;
                if claims.has_scope(ADMIN_SCOPE) {
                    Ok(claims)
                } else {
                    Err(OAuthError::InsufficientScope(ADMIN_SCOPE))
                }
            }
            Requirement::AdminOrRole(roles) => {
                let claims = self.live(token, None, now)?;
                let admin = claims.aud == ADMIN_AUDIENCE && claims.has_scope(ADMIN_SCOPE);
                let has_role = claims
                    .roles
                    .as_deref()
                    .is_some_and(|held| held.iter().any(|r| roles.contains(r)));
                if admin || has_role {
                    Ok(claims)
                } else {
                    Err(OAuthError::InsufficientScope(ADMIN_SCOPE))
                }
            }
        }
    }

    /// A token of this dealer that is live now: valid, unrevoked, its client and user live.
    /// With `audience`, the token must be for it.
    pub fn live(
        &self,
        token: &str,
        audience: Option<&str>,
        now: UnixTime,
    ) -> Result<AccessClaims, OAuthError> {
        let claims = self.revocations.verify(self.issuer, token, audience, now)?;
        self.ensure_client_live(&claims)?;
        if claims.is_user_token() {
            self.ensure_user_live(&claims.sub, claims.uid, claims.iat)?;
        }
        Ok(claims)
    }

    /// A tokenleader-layout token is live while its user is the same user it was issued to.
    pub fn ensure_tokenleader_live(&self, claims: &TokenleaderClaims) -> Result<(), OAuthError> {
        self.ensure_user_live(&claims.sub.username, Some(claims.sub.id), claims.iat)
    }

    fn ensure_client_live(&self, claims: &AccessClaims) -> Result<(), OAuthError> {
        let id = ClientId::parse(&claims.client_id).map_err(|_| DEAD_CLIENT)?;
        let client = self.registry.get(&id)?.ok_or(DEAD_CLIENT)?;
        if client.disabled || !client.issued(claims) {
            return Err(DEAD_CLIENT);
        }
        Ok(())
    }

    fn ensure_user_live(
        &self,
        username: &str,
        uid: Option<u64>,
        iat: u64,
    ) -> Result<(), OAuthError> {
        let user = self
            .directory
            .get::<UserRecord>(username)?
            .ok_or(DEAD_USER)?;
        let same_user = match uid {
            Some(id) => id == user.id,
            None => iat >= user.created_at,
        };
        if same_user { Ok(()) } else { Err(DEAD_USER) }
    }
}
