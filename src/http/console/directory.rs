//! The console's directory pages: organizations, org units, departments, wfcs, roles, users and
//! the service catalog — each listed, created and removed through the same `Directory` calls
//! as the admin API (`users_admin.rs`).

use http::{Method, Response, StatusCode};
use maud::html;
use serde::Serialize;

use super::forms::Form;
use super::{Ctx, views};
use crate::domain::users::entries::{
    DepartmentRecord, DirectoryRecord, EntryKind, OrgRecord, OrgUnitRecord, RoleRecord,
    ServiceRecord, UserRecord, WfcRecord,
};
use crate::domain::users::{Email, Name, NewPassword, NewService, NewUser, NewWfc, UserView};
use crate::http::error::{Body, Rejection};

/// Path segment, kind, page title, and the fields of its creation form (name, label, type).
type Fields = &'static [(&'static str, &'static str, &'static str)];
const NAME: Fields = &[("name", "Name", "text")];
const KINDS: [(&str, EntryKind, &str, Fields); 7] = [
    ("orgs", EntryKind::Org, "Organizations", NAME),
    ("ous", EntryKind::OrgUnit, "Org units", NAME),
    ("depts", EntryKind::Department, "Departments", NAME),
    ("roles", EntryKind::Role, "Roles", NAME),
    (
        "wfcs",
        EntryKind::Wfc,
        "Work-function contexts",
        &[
            ("name", "Name", "text"),
            ("org", "Organization", "text"),
            ("orgunit", "Org unit", "text"),
            ("department", "Department", "text"),
        ],
    ),
    (
        "users",
        EntryKind::User,
        "Users",
        &[
            ("username", "Username", "text"),
            ("email", "Email", "email"),
            ("password", "Password", "password"),
            ("roles", "Roles (separated by spaces)", "text"),
            ("wfc", "Work-function context", "text"),
        ],
    ),
    (
        "services",
        EntryKind::Service,
        "Service catalog",
        &[
            ("name", "Name", "text"),
            ("endpoint_url_internal", "Internal URL", "url"),
            ("endpoint_url_external", "External URL (optional)", "url"),
            ("endpoint_url_admin", "Admin URL (optional)", "url"),
        ],
    ),
];

pub async fn route(
    ctx: &Ctx<'_>,
    segment: &str,
    rest: &[&str],
    form: Option<Form>,
) -> Result<Response<Body>, Rejection> {
    let (path, kind, title, fields) = KINDS
        .iter()
        .find(|(path, ..)| *path == segment)
        .copied()
        .ok_or(Rejection::NotFound)?;
    match (rest, form) {
        ([], None) => list(ctx, path, kind, title, fields),
        ([], Some(form)) => {
            let outcome = create(ctx, kind, &form).await;
            let target = form.get(fields.first().map_or("name", |f| f.0));
            ctx.audit(&Method::POST, &[path], target, outcome.is_ok());
            outcome?;
            Ok(views::redirect_to(format!("/console/directory/{path}")))
        }
        ([name, "remove"], Some(_)) => {
            let name = Name::parse(name)?;
            let outcome = ctx.state.users.directory.remove(kind, &name).await;
            let target = name.as_str();
            ctx.audit(&Method::DELETE, &[path, target], target, outcome.is_ok());
            outcome?;
            Ok(views::redirect_to(format!("/console/directory/{path}")))
        }
        _ => Err(Rejection::NotFound),
    }
}

/// Every entry of `kind` as JSON objects (never a password hash: users as `UserView`).
fn rows(ctx: &Ctx<'_>, kind: EntryKind) -> Result<Vec<serde_json::Value>, Rejection> {
    fn all<R: DirectoryRecord + Serialize>(
        ctx: &Ctx<'_>,
    ) -> Result<Vec<serde_json::Value>, Rejection> {
        let list = ctx.state.users.directory.list::<R>()?;
        Ok(list
            .iter()
            .filter_map(|r| serde_json::to_value(r).ok())
            .collect())
    }
    match kind {
        EntryKind::Org => all::<OrgRecord>(ctx),
        EntryKind::OrgUnit => all::<OrgUnitRecord>(ctx),
        EntryKind::Department => all::<DepartmentRecord>(ctx),
        EntryKind::Role => all::<RoleRecord>(ctx),
        EntryKind::Wfc => all::<WfcRecord>(ctx),
        EntryKind::Service => all::<ServiceRecord>(ctx),
        EntryKind::User => {
            let users = ctx.state.users.directory.list::<UserRecord>()?;
            Ok(users
                .iter()
                .map(UserView::from)
                .filter_map(|u| serde_json::to_value(u).ok())
                .collect())
        }
    }
}

fn list(
    ctx: &Ctx<'_>,
    path: &str,
    kind: EntryKind,
    title: &str,
    fields: Fields,
) -> Result<Response<Body>, Rejection> {
    let rows = rows(ctx, kind)?;
    let key = if kind == EntryKind::User {
        "username"
    } else {
        "name"
    };
    // The name first, the creation time last, the rest as the record has them.
    let fields_of_first: Vec<String> = rows
        .first()
        .and_then(|r| r.as_object())
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let columns: Vec<String> = std::iter::once(key.to_owned())
        .chain(
            fields_of_first
                .into_iter()
                .filter(|c| ![key, "id", "created_at"].contains(&c.as_str())),
        )
        .chain(["id".to_owned(), "created_at".to_owned()])
        .collect();
    let body = html! {
        @if rows.is_empty() {
            p { "None yet." }
        } @else {
        table {
            caption { (rows.len()) " " (title.to_lowercase()) }
            thead { tr {
                @for c in &columns { th scope="col" { (c) } }
                th scope="col" { "Action" }
            } }
            tbody {
                @for row in &rows {
                    tr {
                        // Imported emails and catalog URLs are whatever tokenleader held.
                        @for c in &columns { td { (views::visible(&cell(c, row.get(c)))) } }
                        td {
                            @if let Some(name) = row.get(key).and_then(|n| n.as_str()) {
                                (views::post_button(&ctx.session, &format!("/console/directory/{path}/{}/remove", views::escape(name)), &format!("Remove {name}")))
                            }
                        }
                    }
                }
            }
        }
        }
        h2 { "Add" }
        form.stack method="post" action={ "/console/directory/" (path) } {
            (views::csrf(&ctx.session))
            @for (name, label, kind) in fields {
                label for=(name) { (label) }
                input id=(name) name=(name) type=(kind) required[!label.contains("optional")];
            }
            button type="submit" { "Add" }
        }
    };
    Ok(views::html_response(
        StatusCode::OK,
        views::layout(title, Some(&ctx.session), body),
    ))
}

/// A value as text: times (`created_at`) as dates, lists separated by spaces.
fn cell(column: &str, value: Option<&serde_json::Value>) -> String {
    match value {
        Some(serde_json::Value::Number(n)) if column.ends_with("_at") => {
            n.as_u64().map_or_else(|| n.to_string(), views::when)
        }
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(" "),
        Some(other) => other.to_string(),
    }
}

async fn create(ctx: &Ctx<'_>, kind: EntryKind, form: &Form) -> Result<(), Rejection> {
    let dir = &ctx.state.users.directory;
    let now = ctx.now;
    let name = |field: &str| Name::parse(form.get(field));
    match kind {
        EntryKind::Org => {
            dir.add_named::<OrgRecord>(name("name")?, now).await?;
        }
        EntryKind::OrgUnit => {
            dir.add_named::<OrgUnitRecord>(name("name")?, now).await?;
        }
        EntryKind::Department => {
            dir.add_named::<DepartmentRecord>(name("name")?, now)
                .await?;
        }
        EntryKind::Role => {
            dir.add_named::<RoleRecord>(name("name")?, now).await?;
        }
        EntryKind::Wfc => {
            let new = NewWfc {
                name: name("name")?,
                org: name("org")?,
                orgunit: name("orgunit")?,
                department: name("department")?,
            };
            dir.add_wfc(new, now).await?;
        }
        EntryKind::User => {
            let new = NewUser {
                username: name("username")?,
                email: Email::parse(form.get("email"))?,
                password: NewPassword::parse(
                    form.get("password"),
                    ctx.state.users.settings.min_password_length,
                )?,
                roles: form
                    .words("roles")
                    .iter()
                    .map(|r| Name::parse(r))
                    .collect::<Result<_, _>>()?,
                wfc: name("wfc")?,
            };
            dir.add_user(new, &ctx.state.users.hasher, now).await?;
        }
        EntryKind::Service => {
            let optional = |f: &str| Some(form.get(f)).filter(|u| !u.is_empty());
            let new = NewService::parse(
                form.get("name"),
                form.get("endpoint_url_internal"),
                optional("endpoint_url_external"),
                optional("endpoint_url_admin"),
            )?;
            dir.add_service(new, now).await?;
        }
    }
    Ok(())
}
