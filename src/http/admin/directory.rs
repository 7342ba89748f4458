//! The directory's admin API: `/admin/{orgs,ous,depts,wfcs,roles,users,services}` with POST
//! (create), GET (list), GET `/{name}` (show), DELETE `/{name}` (remove), and
//! `POST /admin/users/{name}/password`. Listing users also takes a user token with a role in
//! `users.user_list_roles` (the table says which operation takes what).

use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::call::{Answer, Call, json_body};
use crate::domain::AdminError;
use crate::domain::users::entries::{
    DepartmentRecord, EntryKind, OrgRecord, OrgUnitRecord, RoleRecord, ServiceRecord, UserRecord,
    WfcRecord,
};
use crate::domain::users::{Email, Name, NewPassword, NewService, NewUser, NewWfc, UserView};
use crate::http::response::json_no_store;
use crate::http::state::AppState;

/// The directory's resources under `/admin/`, by path segment; an action's name is the
/// singular (`user.add`).
const RESOURCES: [(&str, EntryKind); 7] = [
    ("orgs", EntryKind::Org),
    ("ous", EntryKind::OrgUnit),
    ("depts", EntryKind::Department),
    ("wfcs", EntryKind::Wfc),
    ("roles", EntryKind::Role),
    ("users", EntryKind::User),
    ("services", EntryKind::Service),
];

/// The resource a path segment names.
pub fn resource(segment: &str) -> Option<(&'static str, EntryKind)> {
    RESOURCES.into_iter().find(|(name, _)| *name == segment)
}

/// The kind of the row's `Kind` segment; the table gives every directory row one, but for
/// the user listing's own row, which names users.
fn kind(call: &Call<'_>) -> EntryKind {
    call.kind.unwrap_or(EntryKind::User)
}

pub async fn list(call: Call<'_>) -> Answer {
    let dir = &call.state.users.directory;
    match kind(&call) {
        EntryKind::Org => listed(dir.list::<OrgRecord>()?),
        EntryKind::OrgUnit => listed(dir.list::<OrgUnitRecord>()?),
        EntryKind::Department => listed(dir.list::<DepartmentRecord>()?),
        EntryKind::Role => listed(dir.list::<RoleRecord>()?),
        EntryKind::Wfc => listed(dir.list::<WfcRecord>()?),
        EntryKind::Service => listed(dir.list::<ServiceRecord>()?),
        // Never a password hash.
        EntryKind::User => {
            let users = dir.list::<UserRecord>()?;
            listed(users.iter().map(UserView::from).collect::<Vec<_>>())
        }
    }
}

fn listed<T: Serialize>(all: Vec<T>) -> Answer {
    Ok(json_no_store(StatusCode::OK, &all))
}

pub async fn show(call: Call<'_>) -> Answer {
    let name = name(call.param)?;
    let dir = &call.state.users.directory;
    match kind(&call) {
        EntryKind::Org => shown(&dir.require::<OrgRecord>(&name)?),
        EntryKind::OrgUnit => shown(&dir.require::<OrgUnitRecord>(&name)?),
        EntryKind::Department => shown(&dir.require::<DepartmentRecord>(&name)?),
        EntryKind::Role => shown(&dir.require::<RoleRecord>(&name)?),
        EntryKind::Wfc => shown(&dir.require::<WfcRecord>(&name)?),
        EntryKind::Service => shown(&dir.require::<ServiceRecord>(&name)?),
        EntryKind::User => shown(&UserView::from(&dir.require::<UserRecord>(&name)?)),
    }
}

fn shown<T: Serialize>(entry: &T) -> Answer {
    Ok(json_no_store(StatusCode::OK, entry))
}

pub async fn remove(call: Call<'_>) -> Answer {
    let kind = kind(&call);
    let name = name(call.param)?;
    call.state.users.directory.remove(kind, &name).await?;
    tracing::info!(kind = kind.label(), %name, "removed a directory entry");
    let body = serde_json::json!({ "removed": name.as_str() });
    Ok(json_no_store(StatusCode::OK, &body))
}

pub async fn set_password(call: Call<'_>) -> Answer {
    let state = call.state;
    let name = name(call.param)?;
    let body: PasswordBody = json_body(state, call.req).await?;
    let password =
        NewPassword::parse(&body.password, min_password(state)).map_err(AdminError::from)?;
    let users = &state.users;
    users
        .directory
        .set_password(&name, &password, &users.hasher)
        .await?;
    tracing::info!(username = %name, "changed a user's password");
    let body = serde_json::json!({ "username": name.as_str(), "password_changed": true });
    Ok(json_no_store(StatusCode::OK, &body))
}

pub async fn add(call: Call<'_>) -> Answer {
    let (state, now) = (call.state, call.now);
    let kind = kind(&call);
    let dir = &state.users.directory;
    match kind {
        EntryKind::Org | EntryKind::OrgUnit | EntryKind::Department | EntryKind::Role => {
            let body: NameBody = json_body(state, call.req).await?;
            *call.target = Some(body.name.clone());
            let name = name(&body.name)?;
            match kind {
                EntryKind::Org => created(&dir.add_named::<OrgRecord>(name, now).await?),
                EntryKind::OrgUnit => created(&dir.add_named::<OrgUnitRecord>(name, now).await?),
                EntryKind::Department => {
                    created(&dir.add_named::<DepartmentRecord>(name, now).await?)
                }
                _ => created(&dir.add_named::<RoleRecord>(name, now).await?),
            }
        }
        EntryKind::Wfc => {
            let body: WfcBody = json_body(state, call.req).await?;
            *call.target = Some(body.name.clone());
            let new = NewWfc {
                name: name(&body.name)?,
                org: name(&body.org)?,
                orgunit: name(&body.orgunit)?,
                department: name(&body.department)?,
            };
            created(&dir.add_wfc(new, now).await?)
        }
        EntryKind::User => {
            let body: UserBody = json_body(state, call.req).await?;
            *call.target = Some(body.username.clone());
            let new = body.parse(min_password(state))?;
            let user = dir.add_user(new, &state.users.hasher, now).await?;
            tracing::info!(username = %user.username, "added a user");
            created(&user)
        }
        EntryKind::Service => {
            let body: ServiceBody = json_body(state, call.req).await?;
            *call.target = Some(body.name.clone());
            let new = NewService::parse(
                &body.name,
                &body.endpoint_url_internal,
                body.endpoint_url_external.as_deref(),
                body.endpoint_url_admin.as_deref(),
            )
            .map_err(AdminError::from)?;
            created(&dir.add_service(new, now).await?)
        }
    }
}

/// An entry's name, from the path or a body.
pub(super) fn name(raw: &str) -> Result<Name, AdminError> {
    Ok(Name::parse(raw)?)
}

fn min_password(state: &AppState) -> usize {
    state.users.settings.min_password_length
}

fn created<T: Serialize>(entry: &T) -> Answer {
    Ok(json_no_store(StatusCode::CREATED, entry))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NameBody {
    name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WfcBody {
    name: String,
    org: String,
    orgunit: String,
    department: String,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserBody {
    username: String,
    email: String,
    password: String,
    roles: Vec<String>,
    wfc: String,
}

impl UserBody {
    fn parse(&self, min_password: usize) -> Result<NewUser, AdminError> {
        Ok(NewUser {
            username: name(&self.username)?,
            email: Email::parse(&self.email)?,
            password: NewPassword::parse(&self.password, min_password)?,
            roles: self
                .roles
                .iter()
                .map(|r| name(r))
                .collect::<Result<_, _>>()?,
            wfc: name(&self.wfc)?,
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceBody {
    name: String,
    endpoint_url_internal: String,
    endpoint_url_external: Option<String>,
    endpoint_url_admin: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PasswordBody {
    pub password: String,
}
