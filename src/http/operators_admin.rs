//! The console operators' admin API: `GET|POST /admin/operators`, `DELETE /admin/operators/{name}`
//! and `POST /admin/operators/{name}/password`, for admin tokens (what `tokendealer operator`
//! calls). A removed operator, or one with a new password, loses every console session.

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde::Deserialize;

use super::AppState;
use super::admin::json_body;
use super::error::{Body, Rejection};
use super::response::json_no_store;
use crate::domain::UnixTime;
use crate::domain::users::{Name, NewPassword};

/// Whether the path segments after `/admin/` are the operators'.
pub fn serves(segments: &[String]) -> bool {
    segments.first().is_some_and(|s| s == "operators")
}

pub async fn route(
    state: &AppState,
    req: Request<Incoming>,
    segments: &[String],
    now: UnixTime,
    target: &mut Option<String>,
) -> Result<Response<Body>, Rejection> {
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = req.method().clone();
    let min = state.users.settings.min_password_length;
    match (seg.get(1..).unwrap_or_default(), &method) {
        ([], &Method::GET) => Ok(json_no_store(StatusCode::OK, &state.operators.list()?)),
        ([], &Method::POST) => {
            let body: NewOperator = json_body(state, req).await?;
            *target = Some(body.name.clone());
            let name = Name::parse(&body.name)?;
            let password = NewPassword::parse(&body.password, min)?;
            let added = state
                .operators
                .add(&name, &password, &state.users, now)
                .await?;
            tracing::info!(operator = %name, "added a console operator");
            Ok(json_no_store(StatusCode::CREATED, &added))
        }
        ([], _) => Err(Rejection::MethodNotAllowed("GET, POST")),
        ([name], &Method::DELETE) => {
            let name = Name::parse(name)?;
            state.operators.remove(&name).await?;
            state.console.sessions.end_all_of(name.as_str());
            tracing::info!(operator = %name, "removed a console operator");
            let body = serde_json::json!({ "removed": name.as_str() });
            Ok(json_no_store(StatusCode::OK, &body))
        }
        ([_], _) => Err(Rejection::MethodNotAllowed("DELETE")),
        ([name, "password"], &Method::POST) => {
            let name = Name::parse(name)?;
            let body: PasswordBody = json_body(state, req).await?;
            let password = NewPassword::parse(&body.password, min)?;
            state
                .operators
                .set_password(&name, &password, &state.users)
                .await?;
            state.console.sessions.end_all_of(name.as_str());
            tracing::info!(operator = %name, "changed a console operator's password");
            let body = serde_json::json!({ "name": name.as_str(), "password_changed": true });
            Ok(json_no_store(StatusCode::OK, &body))
        }
        ([_, "password"], _) => Err(Rejection::MethodNotAllowed("POST")),
        _ => Err(Rejection::NotFound),
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOperator {
    name: String,
    password: String,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}
