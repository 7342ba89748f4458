//! `POST /oauth/introspect` (RFC 7662), for authenticated clients: a form with `token` (and an
//! optional `token_type_hint`, ignored: the dealer issues access tokens only). Who may see which
//! token is the domain's policy: [`crate::domain::introspection`].

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use super::authenticated_form;
use crate::domain::{UnixTime, introspection};
use crate::http::error::Rejection;
use crate::http::response::{Body, json_no_store};
use crate::http::state::AppState;

pub async fn introspect(
    state: &AppState,
    req: Request<Incoming>,
) -> Result<Response<Body>, Rejection> {
    let now = UnixTime::now();
    let (caller, form) = authenticated_form(state, req, now).await?;
    let token = form.require("token")?;
    let answer = introspection::introspect(&state.access(), &caller, token, now)?;
    Ok(json_no_store(StatusCode::OK, &answer))
}
