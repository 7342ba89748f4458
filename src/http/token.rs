//! `POST /oauth/token`: parse the form, authenticate the client, dispatch on the grant type.

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use super::AppState;
use super::error::{Body, Rejection};
use super::request::{ClientCredentials, Form, read_body};
use super::response::json_no_store;
use crate::domain::grant::client_credentials::{self, ClientCredentialsRequest};
use crate::domain::grant::password;
use crate::domain::users::PresentedPassword;
use crate::domain::{Audience, Client, OAuthError, ScopeSet, UnixTime, authenticate};

pub async fn token(state: &AppState, req: Request<Incoming>) -> Result<Response<Body>, Rejection> {
    let (parts, body) = req.into_parts();
    let body = read_body(body, state.body_read_timeout).await?;
    let form = Form::parse(&parts.headers, &body)?;
    let credentials = ClientCredentials::from_request(&parts.headers, &form)?;
    let grant_type = form.require("grant_type")?;
    let now = UnixTime::now();
    let client = authenticate_client(state, &credentials, now)?;
    let issued = match grant_type {
        "client_credentials" => {
            let request = ClientCredentialsRequest {
                audience: audience(&form)?,
                scope: scope(&form)?,
            };
            client_credentials::issue(&state.issuer, &client, &request, now).await?
        }
        "password" => {
            let request = password::PasswordRequest {
                username: form.require("username")?.to_owned(),
                password: PresentedPassword::new(form.require("password")?),
                audience: audience(&form)?,
                scope: scope(&form)?,
            };
            let address = super::peer::peer_ip(&parts.extensions);
            password::issue(&state.issuer, &state.users, &client, &request, address, now).await?
        }
        _ => return Err(OAuthError::UnsupportedGrantType.into()),
    };
    Ok(json_no_store(StatusCode::OK, &issued))
}

/// Authenticates the client behind `credentials`.
pub fn authenticate_client(
    state: &AppState,
    credentials: &ClientCredentials,
    now: UnixTime,
) -> Result<Client, OAuthError> {
    let found = state.registry.find(&credentials.client_id)?;
    authenticate(found, &credentials.client_secret, now)
}

/// The audience requested as `audience` or as RFC 8707 `resource`: one value, not both.
pub fn audience(form: &Form) -> Result<Option<Audience>, OAuthError> {
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

pub fn scope(form: &Form) -> Result<Option<ScopeSet>, OAuthError> {
    form.get("scope").map(ScopeSet::parse).transpose()
}
