//! `POST /admin/import/tokenleader/users`: the one way in for a user with tokenleader's Werkzeug
//! password hash, used by `tokendealer import tokenleader`. Admin token required; the hash must
//! be a well-formed Werkzeug hash (never a password, never anything else), so this cannot set a
//! weak password: it only carries over one tokenleader already held.

use http::StatusCode;
use serde::Deserialize;

use super::call::{Answer, Call, json_body};
use super::directory::name;
use crate::domain::AdminError;
use crate::domain::users::werkzeug::WerkzeugHash;
use crate::domain::users::{Email, ImportedUser};
use crate::http::response::json_no_store;

pub async fn user(call: Call<'_>) -> Answer {
    let body: ImportedUserBody = json_body(call.state, call.req).await?;
    *call.target = Some(body.username.clone());
    let new = body.parse()?;
    let user = call
        .state
        .users
        .directory
        .import_user(new, call.now)
        .await?;
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

impl ImportedUserBody {
    fn parse(&self) -> Result<ImportedUser, AdminError> {
        Ok(ImportedUser {
            username: name(&self.username)?,
            email: Email::imported(&self.email)?,
            password_hash: WerkzeugHash::parse(&self.password_hash)?,
            roles: self
                .roles
                .iter()
                .map(|r| name(r))
                .collect::<Result<_, _>>()?,
            wfc: name(&self.wfc)?,
        })
    }
}
