//! What a route asks of its caller ([`Access`]), and [`authorize`], the one function that checks
//! it before any handler runs: no handler checks a bearer token itself.

use http::HeaderMap;

use super::request::bearer_token;
use super::state::AppState;
use crate::domain::users::tokenleader;
use crate::domain::{AccessClaims, OAuthError, Requirement, UnixTime};

/// What a route asks of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Nothing: public documents, health, the active public key.
    Public,
    /// The client authenticates in the request itself (RFC 6749 §2.3.1); the handler does it
    /// through the domain's `Dealer`, in constant time.
    Client,
    /// A user's credentials or token in tokenleader's shapes; the handler checks them and
    /// answers in tokenleader's dialect.
    Tokenleader,
    /// A live access token of this dealer for any audience, or a live tokenleader-layout one
    /// (in `Authorization: Bearer` or `X-Auth-Token`).
    AnyToken,
    /// The admin audience and scope.
    Admin,
    /// The admin audience and scope, or a user token with a role in `users.user_list_roles`.
    UserListing,
    /// Under `/admin/`: what the admin table's row for the operation declares
    /// (`admin/table.rs`); the admin dispatcher applies it with [`authorize`] before the
    /// operation's handler, and [`Access::Admin`] to a request no row matches.
    PerOperation,
    /// The console: its pages check an operator's session cookie (and, for a POST, the
    /// session's CSRF token) themselves; the login page and static files need neither.
    Console,
}

/// Applies `access` to the request's headers: the caller's claims for a bearer route (`None`
/// for a tokenleader-layout token, which has no such claims), nothing to check otherwise.
pub fn authorize(
    access: Access,
    state: &AppState,
    headers: &HeaderMap,
    now: UnixTime,
) -> Result<Option<AccessClaims>, OAuthError> {
    let bearer = |requirement| {
        let token = bearer_token(headers)?;
        state.access().authorize(token, requirement, now).map(Some)
    };
    match access {
        Access::Public
        | Access::Client
        | Access::Tokenleader
        | Access::Console
        | Access::PerOperation => Ok(None),
        Access::Admin => bearer(Requirement::Admin),
        Access::UserListing => bearer(Requirement::AdminOrRole(
            &state.users.settings.user_list_roles,
        )),
        Access::AnyToken => any_token(state, headers, now),
    }
}

/// An access token of this dealer for any audience, or a tokenleader-layout one.
fn any_token(
    state: &AppState,
    headers: &HeaderMap,
    now: UnixTime,
) -> Result<Option<AccessClaims>, OAuthError> {
    let tokenleader_header = headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let token = match tokenleader_header {
        Some(t) => t,
        None => bearer_token(headers)?,
    };
    let access = state.access();
    match access.authorize(token, Requirement::AnyToken, now) {
        Ok(claims) => return Ok(Some(claims)),
        Err(OAuthError::InvalidToken(_)) => {}
        Err(other) => return Err(other),
    }
    // Not one of our access tokens: perhaps a tokenleader-layout one.
    let claims = tokenleader::verify(state.issuer.keys().ring().verifying(), token, now)
        .map_err(|_| OAuthError::InvalidToken("the token is invalid or expired"))?;
    access.ensure_tokenleader_live(&claims)?;
    Ok(None)
}
