//! tokenleader 1.8's token API, for tokenleaderclient 0.9: `POST /token/gettoken` and
//! `GET /token/verify_token`; and its service catalog and public key ([`catalog`]).
//!
//! These two answer in tokenleader's dialect, `{"status", "message", ...}` with its exact
//! strings, because the client reads `status` and never the HTTP code; so their refusals are
//! built here rather than by `error.rs`. The codes are proper ones (201 as tokenleader for a
//! success, 4xx for refusals, 503 when the password pool's queue is full, where tokenleader
//! answered 200 or 500).
//!
//! A wrong password and an unknown user cost the same argon2 work. By default they also get the
//! same answer (`Wrong Password`, 401); the setting `users.tokenleader_distinct_login_failures`
//! restores tokenleader's `User not registered` for unknown users, at the price of telling any
//! caller which usernames exist.

use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use serde_json::{Value, json};

pub mod catalog;

use super::error::Rejection;
use super::request::read_body;
use super::response::{Body, json_no_store};
use super::state::AppState;
use crate::domain::events::Issued;
use crate::domain::keys::SigningAlg;
use crate::domain::users::tokenleader::{self, TokenleaderClaims, TokenleaderRejection};
use crate::domain::users::{LoginFailure, PresentedPassword};
use crate::domain::{OAuthError, UnixTime};
use catalog::service_catalog;

const GETTOKEN: &str = "/token/gettoken";

pub async fn route(state: &AppState, req: Request<Incoming>) -> Result<Response<Body>, Rejection> {
    match (req.uri().path(), req.method()) {
        (GETTOKEN, &Method::POST) => Ok(gettoken(state, req).await),
        (GETTOKEN, _) => Err(Rejection::MethodNotAllowed("POST")),
        (_, &Method::GET) => Ok(verify_token(state, &req)),
        _ => Err(Rejection::MethodNotAllowed("GET")),
    }
}

async fn gettoken(state: &AppState, req: Request<Incoming>) -> Response<Body> {
    let origin = super::peer::origin(req.extensions());
    let body = match read_body(req.into_body(), state).await {
        Ok(body) => body,
        // Late bodies get the edge's 408 and a closed connection, bodies over 64 KiB its 413,
        // as on every other route.
        Err(edge @ (Rejection::RequestTimeout(_) | Rejection::PayloadTooLarge(_))) => {
            return edge.into_response();
        }
        Err(_) => return missing_info("the body could not be read"),
    };
    let Some((username, password)) = credentials(&body) else {
        return missing_info("send a JSON object with string members username and password");
    };
    let now = UnixTime::now();
    let users = &state.users;
    let user = match users.login(&username, &password, &origin, now).await {
        Ok(user) => user,
        Err(LoginFailure::UnknownUser) if users.settings.tokenleader_distinct_login_failures => {
            return answer(
                StatusCode::UNAUTHORIZED,
                json!({"status": "User not registered", "message": "user not found, not registered yet"}),
            );
        }
        Err(LoginFailure::UnknownUser | LoginFailure::WrongPassword) => {
            let message = if users.settings.tokenleader_distinct_login_failures {
                "Password did not match"
            } else {
                "the username or password did not match"
            };
            return answer(
                StatusCode::UNAUTHORIZED,
                json!({"status": "Wrong Password", "message": message}),
            );
        }
        Err(LoginFailure::Locked { retry_after_secs }) => {
            let mut r = answer(
                StatusCode::TOO_MANY_REQUESTS,
                json!({"status": "Too Many Attempts", "message": format!("too many failed logins; retry in {retry_after_secs} seconds")}),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            return r;
        }
        Err(LoginFailure::Busy { retry_after_secs }) => return busy(retry_after_secs),
        Err(LoginFailure::Internal(e)) => return server_error(&e),
    };
    let claims = TokenleaderClaims::new(&user, now, users.settings.tokenleader_token_ttl);
    let signed = state.issuer.sign_tokenleader(claims, now).await;
    let (token, catalog) = match (signed, service_catalog(state)) {
        (Ok(token), Ok(catalog)) => {
            state
                .telemetry
                .metrics
                .token_issued(Issued::Tokenleader, SigningAlg::Rs512);
            (token, catalog)
        }
        // The signing queue is full: 503 and Retry-After, as for a full hashing queue.
        (Err(OAuthError::TemporarilyUnavailable { retry_after_secs }), _) => {
            return busy(retry_after_secs);
        }
        // The user's claims (roles, wfc) make a token too long to present back.
        (Err(OAuthError::InvalidRequest(why)), _) => {
            return answer(
                StatusCode::BAD_REQUEST,
                json!({"status": "token too large", "message": why}),
            );
        }
        (Err(OAuthError::Internal(e)), _) | (_, Err(OAuthError::Internal(e))) => {
            return server_error(&e);
        }
        (Err(e), _) | (_, Err(e)) => return server_error(&anyhow::Error::new(e)),
    };
    answer(
        StatusCode::CREATED,
        json!({"status": "success", "message": "success", "auth_token": token, "service_catalog": catalog}),
    )
}

/// `{"username": "...", "password": "..."}`; anything else (not JSON, not an object, a member
/// absent, null or not a string) is `None`.
fn credentials(body: &[u8]) -> Option<(String, PresentedPassword)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let username = value.get("username")?.as_str()?.to_owned();
    let password = PresentedPassword::new(value.get("password")?.as_str()?);
    Some((username, password))
}

fn verify_token(state: &AppState, req: &Request<Incoming>) -> Response<Body> {
    let token = req
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return answer(
            StatusCode::UNAUTHORIZED,
            json!({
                "status": "request header  missing 'X-Auth-Token' key or token value",
                "message": "The request header must carry a 'X-Auth-Token' key whose value should be a valid JWT token  ",
                "payload": {},
            }),
        );
    };
    let verified = tokenleader::verify(
        state.issuer.keys().ring().verifying(),
        token,
        UnixTime::now(),
    )
    .and_then(
        |claims| match state.access().ensure_tokenleader_live(&claims) {
            Ok(()) => Ok(claims),
            // A removed (or removed and re-created) user's token is no longer valid.
            Err(_) => Err(TokenleaderRejection::Invalid),
        },
    );
    match verified {
        Ok(claims) => answer(
            StatusCode::CREATED,
            json!({"status": "Verification Successful", "message": "Token has been successfully decrypted", "payload": claims}),
        ),
        Err(TokenleaderRejection::Expired) => answer(
            StatusCode::UNAUTHORIZED,
            json!({
                "status": "Signature expired",
                "message": "Signature expired. Please log in and get a fresh token and send it for reverify.",
                "payload": "Signature expired. Please log in again.",
            }),
        ),
        Err(TokenleaderRejection::Invalid) => answer(
            StatusCode::UNAUTHORIZED,
            json!({
                "status": "Invalid token",
                "message": "Invalid token. obtain a valid token and send it for verifiaction",
                "payload": "Invalid token. Please log in again.",
            }),
        ),
    }
}

fn missing_info(message: &str) -> Response<Body> {
    answer(
        StatusCode::BAD_REQUEST,
        json!({"status": "missing authentication info ", "message": message}),
    )
}

/// The password pool's queue is full: tokenleader's members for tokenleaderclient, which reads
/// `status`, and RFC 6749's for anything else.
fn busy(retry_after_secs: u64) -> Response<Body> {
    let error = OAuthError::TemporarilyUnavailable { retry_after_secs };
    let mut r = answer(
        StatusCode::SERVICE_UNAVAILABLE,
        json!({
            "status": "Service Unavailable",
            "message": format!("too many logins are waiting; retry in {retry_after_secs} seconds"),
            "error": error.code(),
            "error_description": error.description(),
        }),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    r
}

fn server_error(cause: &anyhow::Error) -> Response<Body> {
    tracing::error!(
        error = format!("{cause:#}"),
        "internal error at /token/gettoken"
    );
    answer(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({"status": "server error", "message": "the server could not complete the request"}),
    )
}

fn answer(status: StatusCode, body: Value) -> Response<Body> {
    json_no_store(status, &body)
}
