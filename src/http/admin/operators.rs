//! The console operators' admin API: `GET|POST /admin/operators`, `DELETE /admin/operators/{name}`
//! and `POST /admin/operators/{name}/password`, for admin tokens (what `tokendealer operator`
//! calls). A removed operator, or one with a new password, loses every console session.

use http::StatusCode;
use serde::Deserialize;

use super::call::{Answer, Call, json_body};
use super::directory::{PasswordBody, name};
use crate::domain::AdminError;
use crate::domain::users::NewPassword;
use crate::http::response::json_no_store;
use crate::http::state::AppState;

pub async fn list(call: Call<'_>) -> Answer {
    Ok(json_no_store(StatusCode::OK, &call.state.operators.list()?))
}

pub async fn add(call: Call<'_>) -> Answer {
    let state = call.state;
    let body: NewOperator = json_body(state, call.req).await?;
    *call.target = Some(body.name.clone());
    let name = name(&body.name)?;
    let password = password(state, &body.password)?;
    let added = state
        .operators
        .add(&name, &password, &state.users, call.now)
        .await?;
    tracing::info!(operator = %name, "added a console operator");
    Ok(json_no_store(StatusCode::CREATED, &added))
}

pub async fn remove(call: Call<'_>) -> Answer {
    let state = call.state;
    let name = name(call.param)?;
    state.operators.remove(&name).await?;
    state.console.sessions.end_all_of(name.as_str());
    tracing::info!(operator = %name, "removed a console operator");
    let body = serde_json::json!({ "removed": name.as_str() });
    Ok(json_no_store(StatusCode::OK, &body))
}

pub async fn set_password(call: Call<'_>) -> Answer {
    let state = call.state;
    let name = name(call.param)?;
    let body: PasswordBody = json_body(state, call.req).await?;
    let password = password(state, &body.password)?;
    state
        .operators
        .set_password(&name, &password, &state.users)
        .await?;
    state.console.sessions.end_all_of(name.as_str());
    tracing::info!(operator = %name, "changed a console operator's password");
    let body = serde_json::json!({ "name": name.as_str(), "password_changed": true });
    Ok(json_no_store(StatusCode::OK, &body))
}

/// A new password, held to the users' `min_password_length`.
fn password(state: &AppState, raw: &str) -> Result<NewPassword, AdminError> {
    Ok(NewPassword::parse(
        raw,
        state.users.settings.min_password_length,
    )?)
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOperator {
    name: String,
    password: String,
}
