//! What a route asks of its caller ([`Access`]), and [`authorize`], the one function that checks
//! it before any handler runs: no handler checks an access token itself. A sender-constrained
//! token is accepted only with what it is bound to (`domain::binding`): a DPoP-bound one with
//! the `DPoP` scheme and a proof for this request, a certificate-bound one over a connection
//! presenting that certificate.

use http::{Method, Request};

use super::error::Rejection;
use super::oauth::discovery::endpoint_url;
use super::request::access_token;
use super::state::AppState;
use crate::domain::binding::{Presented, Scheme};
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

impl Access {
    /// Whether [`authorize`] reads a token for it: only such routes pay for its future.
    pub fn takes_token(self) -> bool {
        matches!(self, Self::Admin | Self::UserListing | Self::AnyToken)
    }
}

/// Marks a request that came as HEAD (served as GET): a DPoP proof for it names `HEAD`.
#[derive(Debug, Clone, Copy)]
pub struct CameAsHead;

/// Applies `access` to the request: the caller's claims for a token route (`None` for a
/// tokenleader-layout token, which has no such claims), nothing to check otherwise.
pub async fn authorize<B>(
    access: Access,
    state: &AppState,
    req: &Request<B>,
    now: UnixTime,
) -> Result<Option<AccessClaims>, Rejection> {
    let requirement = match access {
        Access::Public
        | Access::Client
        | Access::Tokenleader
        | Access::Console
        | Access::PerOperation => return Ok(None),
        Access::Admin => Requirement::Admin,
        Access::UserListing => Requirement::AdminOrRole(&state.users.settings.user_list_roles),
        Access::AnyToken => return any_token(state, req, now).await,
    };
    let (scheme, token) = access_token(req.headers())?;
    let claims = state
        .access()
        .authorize(token, requirement, now)
        .map_err(|e| refusal(e, scheme == Scheme::Dpop))?;
    ensure_bound(state, req, scheme, token, &claims, now).await?;
    Ok(Some(claims))
}

/// An access token of this dealer for any audience, or a tokenleader-layout one.
async fn any_token<B>(
    state: &AppState,
    req: &Request<B>,
    now: UnixTime,
) -> Result<Option<AccessClaims>, Rejection> {
    let tokenleader_header = req
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let (scheme, token) = match tokenleader_header {
        Some(t) => (Scheme::Bearer, t),
        None => access_token(req.headers())?,
    };
    let dpop = scheme == Scheme::Dpop;
    let access = state.access();
    match access.authorize(token, Requirement::AnyToken, now) {
        Ok(claims) => {
            ensure_bound(state, req, scheme, token, &claims, now).await?;
            return Ok(Some(claims));
        }
        Err(OAuthError::InvalidToken(_)) => {}
        Err(other) => return Err(refusal(other, dpop)),
    }
    // Not one of our access tokens: perhaps a tokenleader-layout one, which is never bound.
    let invalid = OAuthError::InvalidToken("the token is invalid or expired");
    let claims = tokenleader::verify(state.issuer.keys().ring().verifying(), token, now)
        .map_err(|_| refusal(invalid, dpop))?;
    access
        .ensure_tokenleader_live(&claims)
        .map_err(|e| refusal(e, dpop))?;
    if dpop {
        return Err(Rejection::dpop(OAuthError::InvalidToken(
            "the access token is not bound to a DPoP key: send it as a bearer token",
        )));
    }
    Ok(None)
}

/// Whether the request carries what `claims`' token is bound to (nothing to read for an unbound
/// bearer token): its certificate, its DPoP proof for this method and public URL.
async fn ensure_bound<B>(
    state: &AppState,
    req: &Request<B>,
    scheme: Scheme,
    token: &str,
    claims: &AccessClaims,
    now: UnixTime,
) -> Result<(), Rejection> {
    let cnf = claims.cnf.as_ref();
    let to_key = cnf.is_some_and(|c| c.jkt.is_some());
    let to_certificate = cnf.is_some_and(|c| c.x5t_s256.is_some());
    if scheme == Scheme::Bearer && !to_key && !to_certificate {
        return Ok(());
    }
    let dpop = to_key || scheme == Scheme::Dpop;
    let certificate = if to_certificate {
        let presented = state
            .client_certs
            .presented_with(req.extensions(), req.headers())
            .map_err(|e| refusal(e, dpop))?;
        presented.map(|c| c.thumbprint())
    } else {
        None
    };
    let proof = if to_key {
        super::oauth::dpop::header(req.headers()).map_err(Rejection::dpop)?
    } else {
        None
    };
    let htm = match req.extensions().get::<CameAsHead>() {
        Some(_) => Method::HEAD.as_str(),
        None => req.method().as_str(),
    };
    let htu = endpoint_url(state.issuer.issuer(), req.uri().path());
    let presented = Presented {
        scheme,
        token,
        proof,
        htm,
        htu: &htu,
        certificate: certificate.as_deref(),
    };
    state
        .binding()
        .ensure(claims, &presented, now)
        .await
        .map_err(|e| refusal(e, dpop))
}

/// A refusal with a DPoP challenge (RFC 9449 §7.1) when the token came with the DPoP scheme or
/// is DPoP-bound, else with a bearer one.
fn refusal(error: OAuthError, dpop: bool) -> Rejection {
    if dpop {
        Rejection::dpop(error)
    } else {
        error.into()
    }
}
