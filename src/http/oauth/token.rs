//! `POST /oauth/token`: the form becomes a [`ClientAuth`] and a [`TokenRequest`] here, once; the
//! domain's [`crate::domain::Dealer`] authenticates and issues.

use http::{HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;

use super::credentials::client_auth;
use crate::domain::grant::client_credentials::ClientCredentialsRequest;
use crate::domain::grant::password::PasswordRequest;
use crate::domain::users::PresentedPassword;
use crate::domain::{
    Audience, Confirmation, GrantType, OAuthError, ScopeSet, TokenRequest, UnixTime,
};
use crate::http::error::{DPOP_NONCE, Rejection};
use crate::http::request::{Form, read_body};
use crate::http::response::{Body, json_no_store};
use crate::http::state::AppState;

pub async fn token(state: &AppState, req: Request<Incoming>) -> Result<Response<Body>, Rejection> {
    let (parts, body) = req.into_parts();
    let body = read_body(body, state).await?;
    let form = Form::parse(&parts.headers, &body)?;
    let now = UnixTime::now();
    let certificate = state.client_certs.presented(&parts)?;
    // RFC 8705 §3: a token issued over a connection with a client certificate is bound to it,
    // whatever the client's method.
    let certificate_bound = certificate.as_ref().map(|cert| cert.thumbprint());
    let (auth, presented) = client_auth(&parts.headers, &form, certificate)?;
    // Checked before the client authenticates (it tells nothing about clients); its `jti` is
    // spent after (`Dealer::issue`).
    let proof = super::dpop::proof(&parts.headers, &state.dpop, now)?;
    // Read now, answered after client authentication (see `Dealer::issue`).
    let request = token_request(&form);
    let origin = crate::http::peer::origin(&parts.extensions);
    let mut binding = super::dpop::binding(proof.as_ref());
    if let Some(x5t) = certificate_bound {
        binding.get_or_insert_with(Confirmation::default).x5t_s256 = Some(x5t);
    }
    let issued = state
        .dealer()
        .issue(&auth, request, binding, proof.as_ref(), &origin, now)
        .await
        .map_err(|e| presented.reject(e))?;
    let mut response = json_no_store(StatusCode::OK, &issued);
    let nonce = proof.and_then(|p| state.dpop.nonce_for(&p, now));
    if let Some(value) = nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
        response.headers_mut().insert(DPOP_NONCE, value);
    }
    Ok(response)
}

/// The grant-specific part of the form (RFC 6749 §4.3.2, §4.4.2, RFC 8707).
fn token_request(form: &Form) -> Result<TokenRequest, OAuthError> {
    Ok(match GrantType::parse(form.require("grant_type")?) {
        Some(GrantType::ClientCredentials) => {
            TokenRequest::ClientCredentials(ClientCredentialsRequest {
                audience: audience(form)?,
                scope: scope(form)?,
            })
        }
        Some(GrantType::Password) => TokenRequest::Password(PasswordRequest {
            username: form.require("username")?.to_owned(),
            password: PresentedPassword::new(form.require("password")?),
            audience: audience(form)?,
            scope: scope(form)?,
        }),
        None => TokenRequest::Unsupported,
    })
}

/// The audience requested as `audience` or as RFC 8707 `resource`: one value, not both.
fn audience(form: &Form) -> Result<Option<Audience>, OAuthError> {
    match (form.get("audience"), form.get("resource")) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "send audience or resource, not both",
        )),
        (Some(raw), None) | (None, Some(raw)) => Audience::parse(raw)
            .map(Some)
            .map_err(|_| OAuthError::InvalidTarget("the audience is malformed".into())),
        (None, None) => Ok(None),
    }
}

fn scope(form: &Form) -> Result<Option<ScopeSet>, OAuthError> {
    form.get("scope").map(ScopeSet::parse).transpose()
}
