//! The admin API under `/admin/`: clients and keys, for bearer tokens with the admin scope.

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{Body, Rejection};
use super::request::{read_body, require_content_type};
use super::response::json_no_store;
use crate::domain::keys::SigningAlg;
use crate::domain::{
    AccessClaims, AdminError, Audience, Client, ClientId, GrantType, NewClient, OAuthError,
    ScopeSet, UnixTime,
};

/// Routes `/admin/...`; `segments` are the percent-decoded path segments after `admin`.
pub async fn route(
    state: &AppState,
    req: Request<Incoming>,
    segments: &[String],
    caller: &AccessClaims,
    now: UnixTime,
    target: &mut Option<String>,
) -> Result<Response<Body>, Rejection> {
    let method = req.method().clone();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (seg.as_slice(), &method) {
        (["clients"], &Method::GET) => super::client_pages::list(state, req.uri().query()),
        (["clients"], &Method::POST) => add_client(state, req, now, target).await,
        (["clients"], _) => Err(Rejection::MethodNotAllowed("GET, POST")),
        (["clients", id], &Method::GET) => {
            let client = state
                .registry
                .get(&client_id(id)?)?
                .ok_or_else(|| AdminError::NotFound(format!("no client {id}")))?;
            Ok(json_no_store(StatusCode::OK, &ClientView::from(&client)))
        }
        (["clients", id], &Method::DELETE) => {
            let id = not_self(caller, id)?;
            state.registry.remove(&id).await?;
            Ok(json_no_store(
                StatusCode::OK,
                &serde_json::json!({ "removed": id.as_str() }),
            ))
        }
        (["clients", _], _) => Err(Rejection::MethodNotAllowed("GET, DELETE")),
        (["clients", id, action], &Method::POST) => {
            client_action(state, req, caller, id, action, now).await
        }
        (["clients", _, _], _) => Err(Rejection::MethodNotAllowed("POST")),
        (["keys"], &Method::GET) => Ok(json_no_store(StatusCode::OK, &state.issuer.keys().list()?)),
        (["keys"], _) => Err(Rejection::MethodNotAllowed("GET")),
        (["keys", "rotate"], &Method::POST) => rotate_keys(state, req, now, target).await,
        (["keys", "rotate"], _) => Err(Rejection::MethodNotAllowed("POST")),
        (["keys", kid, "retire"], &Method::POST) => {
            let key = state
                .issuer
                .keys()
                .retire(kid, now)
                .await?
                .ok_or_else(|| AdminError::NotFound(format!("no key {kid} in the key set")))?;
            Ok(json_no_store(StatusCode::OK, &key))
        }
        (["keys", _, "retire"], _) => Err(Rejection::MethodNotAllowed("POST")),
        _ => Err(Rejection::NotFound),
    }
}

async fn client_action(
    state: &AppState,
    req: Request<Incoming>,
    caller: &AccessClaims,
    id: &str,
    action: &str,
    now: UnixTime,
) -> Result<Response<Body>, Rejection> {
    match action {
        "rotate-secret" => {
            let body: RotateSecret = json_body(state, req).await?;
            let grace = check_grace(state, body.grace_secs.unwrap_or(0))?;
            let (client, secret) = state
                .registry
                .rotate_secret(&client_id(id)?, grace, now)
                .await?;
            tracing::info!(client_id = %client.id, "rotated a client secret");
            let view = WithSecret {
                client: ClientView::from(&client),
                client_secret: secret.expose(),
            };
            Ok(json_no_store(StatusCode::OK, &view))
        }
        "disable" | "enable" => {
            let id = not_self(caller, id)?;
            let client = state
                .registry
                .set_disabled(&id, action == "disable")
                .await?;
            Ok(json_no_store(StatusCode::OK, &ClientView::from(&client)))
        }
        _ => Err(Rejection::NotFound),
    }
}

async fn add_client(
    state: &AppState,
    req: Request<Incoming>,
    now: UnixTime,
    target: &mut Option<String>,
) -> Result<Response<Body>, Rejection> {
    let body: AddClient = json_body(state, req).await?;
    *target = Some(body.client_id.clone());
    let new = new_client(state, &body)?;
    let (client, secret) = state.registry.register(new, now).await?;
    tracing::info!(client_id = %client.id, "registered a client");
    let view = WithSecret {
        client: ClientView::from(&client),
        client_secret: secret.expose(),
    };
    Ok(json_no_store(StatusCode::CREATED, &view))
}

/// A grace period for a secret rotation, checked: an old secret that never stops working is no
/// rotation at all.
pub(super) fn check_grace(state: &AppState, grace: u64) -> Result<u64, Rejection> {
    if grace > state.max_token_ttl {
        return Err(OAuthError::InvalidRequest(
            format!(
                "grace_secs may be at most {} (max_token_ttl)",
                state.max_token_ttl
            )
            .into(),
        )
        .into());
    }
    Ok(grace)
}

/// A client to register, parsed and checked (the admin API's JSON and the console's form).
pub(super) fn new_client(state: &AppState, body: &AddClient) -> Result<NewClient, Rejection> {
    let ttl = body.token_ttl.unwrap_or(state.default_token_ttl);
    if ttl == 0 || ttl > state.max_token_ttl {
        let msg = format!(
            "token_ttl must be between 1 and {} seconds",
            state.max_token_ttl
        );
        return Err(OAuthError::InvalidRequest(msg.into()).into());
    }
    let grants = match &body.grants {
        None => vec![GrantType::ClientCredentials],
        Some(list) => list
            .iter()
            .map(|g| {
                GrantType::parse(g)
                    .ok_or_else(|| OAuthError::InvalidRequest(format!("unknown grant {g}").into()))
            })
            .collect::<Result<_, _>>()?,
    };
    let new = NewClient {
        id: ClientId::parse_new(&body.client_id)?,
        audiences: body
            .audiences
            .iter()
            .map(|a| Audience::parse(a))
            .collect::<Result<_, _>>()?,
        scopes: ScopeSet::from_list(&body.scopes)
            .map_err(|_| OAuthError::invalid_request("a scope is malformed"))?,
        grants,
        token_ttl: ttl,
        alg: match &body.alg {
            None => SigningAlg::default(),
            Some(raw) => signing_alg(state, raw)?,
        },
    };
    Ok(new)
}

/// An algorithm this dealer signs with (`[keys] algorithms`), by its JWS name: for a client's
/// tokens or a rotation. Another is refused, known or not, naming the ones it may be.
fn signing_alg(state: &AppState, raw: &str) -> Result<SigningAlg, Rejection> {
    let algorithms = state.issuer.keys().policy().algorithms;
    let refused = |why: &str| {
        let listed = algorithms.listed();
        OAuthError::InvalidRequest(format!("{why}: this dealer signs with {listed}").into()).into()
    };
    match SigningAlg::parse(raw) {
        None => Err(refused(&format!("unknown alg {raw:?}"))),
        Some(alg) if !algorithms.contains(alg) => Err(refused(&format!(
            "alg {alg} is not in {}",
            crate::domain::keys::Algorithms::SETTING
        ))),
        Some(alg) => Ok(alg),
    }
}

/// Rotates every algorithm's key, or only `{"alg": ...}`'s. By default the new key is published
/// as `next` and signs `prepublish_secs` later; `{"now": true}` (an emergency) makes it sign at
/// once; `{"retire_previous": true}` (a compromised key; implies `now`) also drops the replaced
/// keys from the JWKS at once. Answers with the new RS512 key (or the one asked for), the
/// other new keys under `rotated`.
async fn rotate_keys(
    state: &AppState,
    req: Request<Incoming>,
    now: UnixTime,
    target: &mut Option<String>,
) -> Result<Response<Body>, Rejection> {
    let body: RotateKeys = json_body(state, req).await?;
    *target = Some(body.alg.clone().unwrap_or_else(|| "all".to_owned()));
    let algs = match &body.alg {
        None => state.issuer.keys().policy().algorithms.iter().collect(),
        Some(raw) => vec![signing_alg(state, raw)?],
    };
    let manager = state.issuer.keys();
    let keys = if body.now || body.retire_previous {
        manager
            .rotate_algs(&algs, now, body.retire_previous)
            .await?
    } else {
        manager.schedule_rotation(&algs, now).await?
    };
    let mut keys = keys.into_iter();
    let key = keys
        .next()
        .ok_or_else(|| OAuthError::Internal(anyhow::anyhow!("no key was rotated")))?;
    Ok(json_no_store(
        StatusCode::OK,
        &Rotated {
            key,
            rotated: keys.collect(),
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateKeys {
    alg: Option<String>,
    /// Sign with the new key at once instead of after its pre-publication.
    #[serde(default)]
    now: bool,
    /// Retire the replaced keys at once instead of after one token lifetime; implies `now`.
    #[serde(default)]
    retire_previous: bool,
}

#[derive(Serialize)]
struct Rotated {
    #[serde(flatten)]
    key: crate::domain::keys::KeyInfo,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rotated: Vec<crate::domain::keys::KeyInfo>,
}

/// Refuses to let an admin disable or remove the client it is calling with: that would lock it out.
fn not_self(caller: &AccessClaims, id: &str) -> Result<ClientId, AdminError> {
    if caller.client_id == id {
        return Err(AdminError::Conflict(
            "an admin client cannot disable or remove itself".into(),
        ));
    }
    Ok(client_id(id)?)
}

fn client_id(raw: &str) -> Result<ClientId, OAuthError> {
    ClientId::parse(raw)
}

pub(super) async fn json_body<T: for<'de> Deserialize<'de> + Default>(
    state: &AppState,
    req: Request<Incoming>,
) -> Result<T, Rejection> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(body, state).await?;
    if bytes.is_empty() {
        return Ok(T::default());
    }
    require_content_type(&parts.headers, "application/json")?;
    serde_json::from_slice(&bytes)
        .map_err(|e| OAuthError::InvalidRequest(format!("invalid JSON body: {e}").into()).into())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AddClient {
    pub client_id: String,
    pub audiences: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub grants: Option<Vec<String>>,
    pub token_ttl: Option<u64>,
    pub alg: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateSecret {
    grace_secs: Option<u64>,
}

/// A client as the admin API shows it: never a secret or its digest.
#[derive(Debug, Serialize)]
pub struct ClientView {
    client_id: String,
    audiences: Vec<String>,
    scopes: Vec<String>,
    grants: Vec<&'static str>,
    token_ttl: u64,
    alg: &'static str,
    disabled: bool,
    created_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_secret_valid_until: Option<u64>,
}

impl From<&Client> for ClientView {
    fn from(c: &Client) -> Self {
        Self {
            client_id: c.id.as_str().to_owned(),
            audiences: c.audiences.iter().map(|a| a.as_str().to_owned()).collect(),
            scopes: c.scopes.to_vec(),
            grants: c.grants.iter().map(|g| g.as_str()).collect(),
            token_ttl: c.token_ttl,
            alg: c.alg.as_str(),
            disabled: c.disabled,
            created_at: c.created_at.as_secs(),
            previous_secret_valid_until: c.previous_secret.map(|(_, until)| until.as_secs()),
        }
    }
}

#[derive(Serialize)]
struct WithSecret<'a> {
    #[serde(flatten)]
    client: ClientView,
    client_secret: &'a str,
}
