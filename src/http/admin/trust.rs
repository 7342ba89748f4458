//! The trusted issuers' admin API (workload identity federation): `GET|POST /admin/trust`,
//! `GET|DELETE /admin/trust/{name}`, for admin tokens (what `tokendealer trust` calls).

use http::StatusCode;
use serde::Deserialize;

use super::call::{Answer, Call, json_body};
use crate::domain::AdminError;
use crate::domain::federation::{NewTrustedIssuer, TrustName, TrustRequest};
use crate::http::response::json_no_store;

pub async fn list(call: Call<'_>) -> Answer {
    Ok(json_no_store(
        StatusCode::OK,
        &call.state.federation.list()?,
    ))
}

pub async fn add(call: Call<'_>) -> Answer {
    let state = call.state;
    let body: AddTrust = json_body(state, call.req).await?;
    *call.target = Some(body.name.clone());
    let jwks = body.jwks.as_ref().map(serde_json::Value::to_string);
    let request = TrustRequest {
        name: &body.name,
        issuer: &body.issuer,
        jwks: jwks.as_deref(),
        jwks_uri: body.jwks_uri.as_deref(),
        audience: body.audience.as_deref(),
    };
    let new = NewTrustedIssuer::parse(&request, state.issuer.issuer())?;
    let added = state.federation.add(new, call.now).await?;
    tracing::info!(trust = %added.name, issuer = %added.issuer, "trusted an external issuer");
    Ok(json_no_store(StatusCode::CREATED, &added))
}

pub async fn show(call: Call<'_>) -> Answer {
    let name = TrustName::parse(call.param)?;
    let found = call
        .state
        .federation
        .get(&name)?
        .ok_or_else(|| AdminError::NotFound(format!("no trusted issuer {name}")))?;
    Ok(json_no_store(StatusCode::OK, &found))
}

pub async fn remove(call: Call<'_>) -> Answer {
    let name = TrustName::parse(call.param)?;
    call.state.federation.remove(&name).await?;
    tracing::info!(trust = %name, "stopped trusting an external issuer");
    let body = serde_json::json!({ "removed": name.as_str() });
    Ok(json_no_store(StatusCode::OK, &body))
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddTrust {
    name: String,
    issuer: String,
    /// A JWK Set of public keys.
    jwks: Option<serde_json::Value>,
    jwks_uri: Option<String>,
    audience: Option<String>,
}
