//! What an admin operation's handler is given ([`Call`]) and answers ([`Answer`]), and the
//! JSON body every write reads.

use std::future::Future;
use std::pin::Pin;

use http::{Request, Response};
use hyper::body::Incoming;
use serde::Deserialize;

use crate::domain::users::entries::EntryKind;
use crate::domain::{AccessClaims, AdminError, UnixTime};
use crate::http::error::Rejection;
use crate::http::request::{read_body, require_content_type};
use crate::http::response::Body;
use crate::http::state::AppState;

/// What an admin handler answers.
pub type Answer = Result<Response<Body>, Rejection>;

/// A handler's answer under way, boxed: the table holds every handler as one fn pointer type.
pub type Reply<'a> = Pin<Box<dyn Future<Output = Answer> + Send + 'a>>;

/// An operation's handler, as its table row holds it.
pub type Handler = for<'a> fn(Call<'a>) -> Reply<'a>;

/// One admin request, as its handler gets it: authorized, its row found.
pub struct Call<'a> {
    pub state: &'a AppState,
    pub req: Request<Incoming>,
    /// The path's parameter (a client id, a key id, a name), percent-decoded; empty when the
    /// row's path has none.
    pub param: &'a str,
    /// The directory resource the path names, for the directory's operations.
    pub kind: Option<EntryKind>,
    pub caller: &'a AccessClaims,
    pub now: UnixTime,
    /// The audit trail's target, for a handler that learns it from the body.
    pub target: &'a mut Option<String>,
}

/// The request's JSON body as `T`; an empty body is `T::default()`. A body that is not JSON,
/// or not `T`, is the operation's `invalid` input.
pub async fn json_body<T: for<'de> Deserialize<'de> + Default>(
    state: &AppState,
    req: Request<Incoming>,
) -> Result<T, Rejection> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(body, state).await?;
    if bytes.is_empty() {
        return Ok(T::default());
    }
    require_content_type(&parts.headers, "application/json").map_err(AdminError::from)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| AdminError::Invalid(format!("invalid JSON body: {e}").into()).into())
}
