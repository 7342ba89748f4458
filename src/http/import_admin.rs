//! `POST /admin/import/tokenleader/users`: the one way in for a user with tokenleader's Werkzeug
//! password hash, used by `tokendealer import tokenleader`. Admin token required; the hash must
//! be a well-formed Werkzeug hash (never a password, never anything else), so this cannot set a
//! weak password: it only carries over one tokenleader already held.

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde::Deserialize;

use super::AppState;
use super::admin::json_body;
use super::error::{Body, Rejection};
use super::response::json_no_store;
use crate::domain::UnixTime;
use crate::domain::users::werkzeug::WerkzeugHash;
use crate::domain::users::{Email, ImportedUser, Name};

/// Whether the path segments after `/admin/` are the import's.
pub fn serves(segments: &[String]) -> bool {
    segments.first().is_some_and(|first| first == "import")
}

pub async fn route(
    state: &AppState,
    req: Request<Incoming>,
    segments: &[String],
    now: UnixTime,
    target: &mut Option<String>,
) -> Result<Response<Body>, Rejection> {
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    if seg != ["import", "tokenleader", "users"] {
        return Err(Rejection::NotFound);
    }
    if req.method() != Method::POST {
        return Err(Rejection::MethodNotAllowed("POST"));
    }
    let body: ImportedUserBody = json_body(state, req).await?;
    *target = Some(body.username.clone());
    let new = ImportedUser {
        username: Name::parse(&body.username)?,
        email: Email::imported(&body.email)?,
        password_hash: WerkzeugHash::parse(&body.password_hash)?,
        roles: body
            .roles
            .iter()
            .map(|r| Name::parse(r))
            .collect::<Result<_, _>>()?,
        wfc: Name::parse(&body.wfc)?,
    };
    let user = state.users.directory.import_user(new, now).await?;
    tracing::info!(username = %user.username, "imported a user from tokenleader");
    Ok(json_no_store(StatusCode::CREATED, &user))
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportedUserBody {
    username: String,
    email: String,
    password_hash: String,
    roles: Vec<String>,
    wfc: String,
}
