//! The admin API's signing keys: `/admin/keys` listed, rotated (`/admin/keys/rotate`) and one
//! retired at once (`/admin/keys/{kid}/retire`).

use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::call::{Answer, Call, json_body};
use crate::domain::keys::KeyInfo;
use crate::domain::{AdminError, OAuthError};
use crate::http::response::json_no_store;

pub async fn list(call: Call<'_>) -> Answer {
    let keys = call.state.issuer.keys().list()?;
    Ok(json_no_store(StatusCode::OK, &keys))
}

/// Rotates every algorithm's key, or only `{"alg": ...}`'s. By default the new key is published
/// as `next` and signs `prepublish_secs` later; `{"now": true}` (an emergency) makes it sign at
/// once; `{"retire_previous": true}` (a compromised key; implies `now`) also drops the replaced
/// keys from the JWKS at once. Answers with the new RS512 key (or the one asked for), the
/// other new keys under `rotated`.
pub async fn rotate(call: Call<'_>) -> Answer {
    let body: RotateKeys = json_body(call.state, call.req).await?;
    *call.target = Some(body.alg.clone().unwrap_or_else(|| "all".to_owned()));
    let manager = call.state.issuer.keys();
    let algorithms = manager.policy().algorithms;
    let algs = match &body.alg {
        None => algorithms.iter().collect(),
        Some(raw) => vec![algorithms.require(raw)?],
    };
    let keys = if body.now || body.retire_previous {
        manager
            .rotate_algs(&algs, call.now, body.retire_previous)
            .await?
    } else {
        manager.schedule_rotation(&algs, call.now).await?
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

/// Retires one key at once: it leaves the JWKS and every token it signed is inactive (an
/// active key is replaced first).
pub async fn retire(call: Call<'_>) -> Answer {
    let kid = call.param;
    let key = call
        .state
        .issuer
        .keys()
        .retire(kid, call.now)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("no key {kid} in the key set")))?;
    Ok(json_no_store(StatusCode::OK, &key))
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
    key: KeyInfo,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rotated: Vec<KeyInfo>,
}
