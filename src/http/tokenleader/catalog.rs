//! `GET /catalog[/{name}]`, the service catalog for any caller with a valid token of this dealer
//! (an RFC 9068 access token, or a tokenleader-layout one in `X-Auth-Token` or as a bearer), and
//! `GET /keys/active?format=jwk|pem|ssh`, the active public key for tools that want it in one of
//! those forms (public: it is the key of the JWKS).

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use serde_json::{Map, Value, json};

use crate::domain::pubkey::RsaPublicKey;
use crate::domain::users::entries::ServiceRecord;
use crate::domain::{AdminError, OAuthError, UnixTime};
use crate::http::error::Rejection;
use crate::http::response::{Body, json_no_store};
use crate::http::state::AppState;

/// The comment on the `ssh-rsa` line.
const SSH_COMMENT: &str = "tokendealer";

/// `GET /catalog[/{name}]`; the route table has already authorized the caller.
pub fn route(state: &AppState, req: Request<Incoming>) -> Result<Response<Body>, Rejection> {
    let catalog = service_catalog(state)?;
    match req.uri().path().strip_prefix("/catalog/") {
        None | Some("") => Ok(json_no_store(StatusCode::OK, &catalog)),
        Some(raw) => {
            let name = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
            let entry = catalog
                .get(name.as_ref())
                .ok_or_else(|| AdminError::NotFound(format!("no service {name}")))?;
            Ok(json_no_store(StatusCode::OK, entry))
        }
    }
}

/// `{NAME: {id, name, endpoint_url_internal, endpoint_url_external, endpoint_url_admin}}`, as
/// tokenleader's `service_catalog`.
pub fn service_catalog(state: &AppState) -> Result<Map<String, Value>, OAuthError> {
    let services = state.users.directory.list::<ServiceRecord>()?;
    Ok(services
        .into_iter()
        .map(|s| {
            let entry = json!({
                "id": s.id,
                "name": s.name,
                "endpoint_url_internal": s.endpoint_url_internal,
                "endpoint_url_external": s.endpoint_url_external,
                "endpoint_url_admin": s.endpoint_url_admin,
            });
            (s.name, entry)
        })
        .collect())
}

pub fn active_key(state: &AppState, query: Option<&str>) -> Result<Response<Body>, Rejection> {
    let format = query
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("format="))
        .unwrap_or("jwk");
    let ring = state.issuer.keys().ring();
    let key = ring.rs512_signer(UnixTime::now());
    if format == "jwk" {
        return Ok(json_no_store(StatusCode::OK, key.jwk()));
    }
    let (n, e) = key
        .public_components()
        .ok_or_else(|| anyhow::anyhow!("the active key is not RSA"))?;
    let public = RsaPublicKey::from_jwk_components(n, e)?;
    match format {
        "pem" => Ok(text(public.to_pem(), "application/x-pem-file")),
        "ssh" => Ok(text(
            format!("{}\n", public.to_ssh(SSH_COMMENT)),
            "text/plain; charset=utf-8",
        )),
        _ => Err(OAuthError::invalid_request("format must be jwk, pem or ssh").into()),
    }
}

fn text(body: String, content_type: &'static str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}
