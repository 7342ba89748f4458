//! The directory's admin API: `/admin/{orgs,ous,depts,wfcs,roles,users,services}` with POST
//! (create), GET (list), GET `/{name}` (show), DELETE `/{name}` (remove), and
//! `POST /admin/users/{name}/password`.
//!
//! Every route needs an admin token (see [`super::admin::authorize`]), except listing users,
//! which also accepts any access token of this dealer whose `roles` claim holds one of the
//! roles in the `users.user_list_roles` setting (default `["admin"]`).

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::admin::json_body;
use super::error::{Body, Rejection};
use super::response::json_no_store;
use crate::domain::UnixTime;
use crate::domain::users::entries::{
    DepartmentRecord, DirectoryRecord, EntryKind, OrgRecord, OrgUnitRecord, RoleRecord,
    ServiceRecord, UserRecord, WfcRecord,
};
use crate::domain::users::{Email, Name, NewPassword, NewService, NewUser, NewWfc, UserView};

const RESOURCES: [(&str, EntryKind); 7] = [
    ("orgs", EntryKind::Org),
    ("ous", EntryKind::OrgUnit),
    ("depts", EntryKind::Department),
    ("wfcs", EntryKind::Wfc),
    ("roles", EntryKind::Role),
    ("users", EntryKind::User),
    ("services", EntryKind::Service),
];

/// Whether the path segments after `/admin/` name one of the directory's resources.
pub fn serves(segments: &[String]) -> bool {
    segments
        .first()
        .is_some_and(|first| RESOURCES.iter().any(|(name, _)| name == first))
}

pub async fn route(
    state: &AppState,
    req: Request<Incoming>,
    segments: &[String],
    now: UnixTime,
    target: &mut Option<String>,
) -> Result<Response<Body>, Rejection> {
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let kind = RESOURCES
        .iter()
        .find(|(name, _)| Some(name) == seg.first())
        .map(|(_, k)| *k)
        .ok_or(Rejection::NotFound)?;
    let method = req.method().clone();
    let dir = &state.users.directory;
    match (seg.get(1..).unwrap_or_default(), &method) {
        ([], &Method::GET) => match kind {
            EntryKind::Org => list::<OrgRecord>(state),
            EntryKind::OrgUnit => list::<OrgUnitRecord>(state),
            EntryKind::Department => list::<DepartmentRecord>(state),
            EntryKind::Role => list::<RoleRecord>(state),
            EntryKind::Wfc => list::<WfcRecord>(state),
            EntryKind::Service => list::<ServiceRecord>(state),
            EntryKind::User => {
                let users: Vec<UserView> = dir
                    .list::<UserRecord>()?
                    .iter()
                    .map(UserView::from)
                    .collect();
                Ok(json_no_store(StatusCode::OK, &users))
            }
        },
        ([], &Method::POST) => create(state, kind, req, now, target).await,
        ([], _) => Err(Rejection::MethodNotAllowed("GET, POST")),
        ([name], &Method::GET) => {
            let name = Name::parse(name)?;
            match kind {
                EntryKind::Org => show::<OrgRecord>(state, &name),
                EntryKind::OrgUnit => show::<OrgUnitRecord>(state, &name),
                EntryKind::Department => show::<DepartmentRecord>(state, &name),
                EntryKind::Role => show::<RoleRecord>(state, &name),
                EntryKind::Wfc => show::<WfcRecord>(state, &name),
                EntryKind::Service => show::<ServiceRecord>(state, &name),
                EntryKind::User => {
                    let user = dir.require::<UserRecord>(&name)?;
                    Ok(json_no_store(StatusCode::OK, &UserView::from(&user)))
                }
            }
        }
        ([name], &Method::DELETE) => {
            let name = Name::parse(name)?;
            dir.remove(kind, &name).await?;
            tracing::info!(kind = kind.label(), %name, "removed a directory entry");
            let body = serde_json::json!({ "removed": name.as_str() });
            Ok(json_no_store(StatusCode::OK, &body))
        }
        ([_], _) => Err(Rejection::MethodNotAllowed("GET, DELETE")),
        ([name, "password"], &Method::POST) if kind == EntryKind::User => {
            let name = Name::parse(name)?;
            let body: PasswordBody = json_body(state, req).await?;
            let password = NewPassword::parse(&body.password, min_password(state))?;
            dir.set_password(&name, &password, &state.users.hasher)
                .await?;
            tracing::info!(username = %name, "changed a user's password");
            let body = serde_json::json!({ "username": name.as_str(), "password_changed": true });
            Ok(json_no_store(StatusCode::OK, &body))
        }
        ([_, "password"], _) if kind == EntryKind::User => Err(Rejection::MethodNotAllowed("POST")),
        _ => Err(Rejection::NotFound),
    }
}

fn list<R: DirectoryRecord + Serialize>(state: &AppState) -> Result<Response<Body>, Rejection> {
    let all = state.users.directory.list::<R>()?;
    Ok(json_no_store(StatusCode::OK, &all))
}

fn show<R: DirectoryRecord + Serialize>(
    state: &AppState,
    name: &Name,
) -> Result<Response<Body>, Rejection> {
    let record = state.users.directory.require::<R>(name)?;
    Ok(json_no_store(StatusCode::OK, &record))
}

async fn create(
    state: &AppState,
    kind: EntryKind,
    req: Request<Incoming>,
    now: UnixTime,
    target: &mut Option<String>,
) -> Result<Response<Body>, Rejection> {
    let dir = &state.users.directory;
    match kind {
        EntryKind::Org | EntryKind::OrgUnit | EntryKind::Department | EntryKind::Role => {
            let body: NameBody = json_body(state, req).await?;
            *target = Some(body.name.clone());
            let name = Name::parse(&body.name)?;
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
            let body: WfcBody = json_body(state, req).await?;
            *target = Some(body.name.clone());
            let new = NewWfc {
                name: Name::parse(&body.name)?,
                org: Name::parse(&body.org)?,
                orgunit: Name::parse(&body.orgunit)?,
                department: Name::parse(&body.department)?,
            };
            created(&dir.add_wfc(new, now).await?)
        }
        EntryKind::User => {
            let body: UserBody = json_body(state, req).await?;
            *target = Some(body.username.clone());
            let new = NewUser {
                username: Name::parse(&body.username)?,
                email: Email::parse(&body.email)?,
                password: NewPassword::parse(&body.password, min_password(state))?,
                roles: body
                    .roles
                    .iter()
                    .map(|r| Name::parse(r))
                    .collect::<Result<_, _>>()?,
                wfc: Name::parse(&body.wfc)?,
            };
            let user = dir.add_user(new, &state.users.hasher, now).await?;
            tracing::info!(username = %user.username, "added a user");
            created(&user)
        }
        EntryKind::Service => {
            let body: ServiceBody = json_body(state, req).await?;
            *target = Some(body.name.clone());
            let new = NewService::parse(
                &body.name,
                &body.endpoint_url_internal,
                body.endpoint_url_external.as_deref(),
                body.endpoint_url_admin.as_deref(),
            )?;
            created(&dir.add_service(new, now).await?)
        }
    }
}

fn min_password(state: &AppState) -> usize {
    state.users.settings.min_password_length
}

fn created<T: Serialize>(entry: &T) -> Result<Response<Body>, Rejection> {
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
struct PasswordBody {
    password: String,
}
