//! `POST /oauth/revoke` (RFC 7009), for authenticated clients: a form with `token` (and an
//! optional `token_type_hint`, ignored: the dealer issues access tokens only). Who may revoke
//! which token is the domain's policy: [`crate::domain::revocation`].

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;

use super::authenticated_form;
use crate::domain::UnixTime;
use crate::http::error::Rejection;
use crate::http::response::Body;
use crate::http::state::AppState;

pub async fn revoke(state: &AppState, req: Request<Incoming>) -> Result<Response<Body>, Rejection> {
    let now = UnixTime::now();
    let (caller, form) = authenticated_form(state, req, now).await?;
    let token = form.require("token")?;
    let outcome = state
        .revocations
        .revoke(&state.issuer, &caller, token, now)
        .await?;
    tracing::debug!(caller = %caller.id, ?outcome, "revocation request");
    // RFC 7009 §2.2: 200 whether or not there was anything to revoke; the body is ignored.
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}
