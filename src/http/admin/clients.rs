//! The admin API's clients: `/admin/clients` listed a page at a time (in id order, with an RFC
//! 8288 `Link` to the next page; a page's cost does not grow with the number of clients) and
//! registered, `/admin/clients/{id}` shown and removed, and its secret rotated, disabled and
//! enabled. What a registration may hold is the domain's [`crate::domain::RegistrationPolicy`].

use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;

mod view;

use super::call::{Answer, Call, json_body};
use crate::domain::client_auth::ClientAuthMethod;
use crate::domain::registration::TlsAuthRequest;
use crate::domain::{AccessClaims, AdminError, ClientId, ClientRequest, NewClient};
use crate::domain::{ClientPage, FederatedSubject, Grace};
use crate::http::client_cert::certificate_der;
use crate::http::request::{MAX_PAGE, page_limit};
use crate::http::response::json_no_store;
use view::{ClientView, WithSecret};

/// `?limit=N` (1–1000, default 1000), `?after=ID` (the last id of the previous page),
/// `?prefix=P` (ids starting with P); each at most once.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    limit: Option<String>,
    after: Option<String>,
    prefix: Option<String>,
}

pub async fn list(call: Call<'_>) -> Answer {
    let query: PageQuery = match call.req.uri().query() {
        None => PageQuery::default(),
        Some(q) => serde_urlencoded::from_str(q).map_err(|_| {
            AdminError::invalid("the query takes limit, after and prefix, each once")
        })?,
    };
    let limit = page_limit(query.limit.as_deref(), MAX_PAGE).map_err(AdminError::from)?;
    let prefix = query.prefix.as_deref().unwrap_or_default();
    let after = query.after.as_deref().unwrap_or_default();
    let registry = &call.state.registry;
    let ClientPage { clients, more } = registry.page(prefix, after, limit)?;
    let views: Vec<ClientView> = clients.iter().map(ClientView::from).collect();
    let mut response = json_no_store(StatusCode::OK, &views);
    let next = clients.last().filter(|_| more).and_then(|last| {
        let query = serde_urlencoded::to_string([
            ("limit", limit.to_string().as_str()),
            ("after", last.id.as_str()),
            ("prefix", prefix),
        ])
        .ok()?;
        HeaderValue::try_from(format!("</admin/clients?{query}>; rel=\"next\"")).ok()
    });
    if let Some(link) = next {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

pub async fn add(call: Call<'_>) -> Answer {
    let state = call.state;
    let body: AddClient = json_body(state, call.req).await?;
    *call.target = Some(body.client_id.clone());
    let certificate = body
        .tls_client_certificate
        .as_deref()
        .map(certificate_der)
        .transpose()?;
    let request = ClientRequest {
        client_id: &body.client_id,
        audiences: &body.audiences,
        scopes: &body.scopes,
        grants: body.grants.as_deref(),
        token_ttl: body.token_ttl,
        alg: body.alg.as_deref(),
        jwks: body.jwks.as_ref(),
        jwks_uri: body.jwks_uri.as_deref(),
        federated: &body.federated,
        dpop_bound: body.dpop_bound_access_tokens,
        tls: TlsAuthRequest {
            subject_dn: body.tls_client_auth_subject_dn.as_deref(),
            san_dns: body.tls_client_auth_san_dns.as_deref(),
            san_uri: body.tls_client_auth_san_uri.as_deref(),
            certificate: certificate.as_deref(),
        },
    };
    let algorithms = state.issuer.keys().policy().algorithms;
    let new = NewClient::parse(&request, state.registry.policy(), algorithms)?;
    state
        .federation
        .check_binding(new.auth_method.federated_subjects())?;
    let (client, secret) = state.registry.register(new, call.now).await?;
    tracing::info!(client_id = %client.id, "registered a client");
    let view = WithSecret {
        client: ClientView::from(&client),
        client_secret: secret.as_ref().map(|s| s.expose()),
    };
    Ok(json_no_store(StatusCode::CREATED, &view))
}

pub async fn show(call: Call<'_>) -> Answer {
    let id = call.param;
    let client = call
        .state
        .registry
        .get(&client_id(id)?)?
        .ok_or_else(|| AdminError::NotFound(format!("no client {id}")))?;
    Ok(json_no_store(StatusCode::OK, &ClientView::from(&client)))
}

pub async fn remove(call: Call<'_>) -> Answer {
    let id = not_self(call.caller, call.param)?;
    call.state.registry.remove(&id).await?;
    Ok(json_no_store(
        StatusCode::OK,
        &serde_json::json!({ "removed": id.as_str() }),
    ))
}

/// A new secret; with `{"grace_secs": N}` the old one keeps working N seconds (at most
/// `max_token_ttl`).
pub async fn rotate_secret(call: Call<'_>) -> Answer {
    let state = call.state;
    let body: RotateSecret = json_body(state, call.req).await?;
    let grace = match body.grace_secs {
        None => Grace::NONE,
        Some(secs) => state.registry.policy().grace(secs)?,
    };
    let id = client_id(call.param)?;
    let (client, secret) = state.registry.rotate_secret(&id, grace, call.now).await?;
    tracing::info!(client_id = %client.id, "rotated a client secret");
    let view = WithSecret {
        client: ClientView::from(&client),
        client_secret: Some(secret.expose()),
    };
    Ok(json_no_store(StatusCode::OK, &view))
}

/// `PUT /admin/clients/{id}/jwks` with `{"jwks": {...}}` or `{"jwks_uri": "https://…"}`:
/// the client authenticates with `private_key_jwt` and these keys from now on.
pub async fn set_jwks(call: Call<'_>) -> Answer {
    let state = call.state;
    let body: SetJwks = json_body(state, call.req).await?;
    let method = ClientAuthMethod::private_key_jwt(body.jwks.as_ref(), body.jwks_uri.as_deref())?;
    let id = not_self(call.caller, call.param)?;
    let client = state.registry.set_auth_method(&id, method).await?;
    tracing::info!(client_id = %client.id, "replaced a client's keys");
    Ok(json_no_store(StatusCode::OK, &ClientView::from(&client)))
}

pub async fn disable(call: Call<'_>) -> Answer {
    set_disabled(call, true).await
}

pub async fn enable(call: Call<'_>) -> Answer {
    set_disabled(call, false).await
}

async fn set_disabled(call: Call<'_>, disabled: bool) -> Answer {
    let id = not_self(call.caller, call.param)?;
    let client = call.state.registry.set_disabled(&id, disabled).await?;
    Ok(json_no_store(StatusCode::OK, &ClientView::from(&client)))
}

/// `{"dpop_bound_access_tokens": true|false}`: whether the client's tokens must be DPoP-bound
/// (RFC 9449 §5.2); tokens already issued stay as they are.
pub async fn set_dpop(call: Call<'_>) -> Answer {
    let body: SetDpop = json_body(call.state, call.req).await?;
    let id = not_self(call.caller, call.param)?;
    let client = call
        .state
        .registry
        .set_dpop_bound(&id, body.dpop_bound_access_tokens)
        .await?;
    Ok(json_no_store(StatusCode::OK, &ClientView::from(&client)))
}

/// Refuses to let an admin disable, remove, re-key or DPoP-bind the client it is calling with:
/// each would lock it (and the command line, which holds its secret) out.
fn not_self(caller: &AccessClaims, id: &str) -> Result<ClientId, AdminError> {
    if caller.client_id == id {
        return Err(AdminError::Conflict(
            "an admin client cannot disable, remove, re-key or DPoP-bind itself".into(),
        ));
    }
    client_id(id)
}

fn client_id(raw: &str) -> Result<ClientId, AdminError> {
    Ok(ClientId::parse(raw)?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddClient {
    client_id: String,
    audiences: Vec<String>,
    #[serde(default)]
    scopes: Vec<String>,
    grants: Option<Vec<String>>,
    token_ttl: Option<u64>,
    alg: Option<String>,
    /// RFC 8705 `tls_client_auth`: the one name the client's certificate carries.
    tls_client_auth_subject_dn: Option<String>,
    tls_client_auth_san_dns: Option<String>,
    tls_client_auth_san_uri: Option<String>,
    /// RFC 8705 `self_signed_tls_client_auth`: the client's certificate, PEM.
    tls_client_certificate: Option<String>,
    jwks: Option<serde_json::Value>,
    jwks_uri: Option<String>,
    /// `[{"trust": NAME, "subject": SUB}]`: authenticated by those tokens, without a secret.
    #[serde(default)]
    federated: Vec<FederatedSubject>,
    /// RFC 9449 §5.2's client metadata: no token without a DPoP proof.
    #[serde(default)]
    dpop_bound_access_tokens: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetJwks {
    jwks: Option<serde_json::Value>,
    jwks_uri: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetDpop {
    dpop_bound_access_tokens: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateSecret {
    grace_secs: Option<u64>,
}
