//! Logging in and out. The login form's CSRF token is an HMAC of a random cookie of its own
//! (`td_login`): a page from elsewhere can neither read the cookie nor forge the token.

use aws_lc_rs::hmac;
use http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use maud::html;

use super::forms::{Form, cookie, set_cookie};
use super::{Ctx, LOGIN_COOKIE, SESSION_COOKIE, views};
use crate::domain::UnixTime;
use crate::domain::auth_failure::FailureReason;
use crate::domain::users::{LoginFailure, PresentedPassword};
use crate::http::error::{Body, Rejection};
use crate::http::peer::peer_ip;
use crate::http::state::AppState;
use crate::telemetry::AuditEvent;

/// The login page; `problem` is shown above the form (a failed attempt). Sets the login cookie
/// when the browser has none.
pub fn page(state: &AppState, req: &Request<Incoming>, problem: Option<&str>) -> Response<Body> {
    let existing = cookie(req.headers(), LOGIN_COOKIE).filter(|v| is_token(v));
    let value = existing.map_or_else(|| hex::encode(rand::random::<[u8; 32]>()), str::to_owned);
    render(state, &value, existing.is_none(), problem, StatusCode::OK)
}

fn render(
    state: &AppState,
    login_cookie: &str,
    set: bool,
    problem: Option<&str>,
    status: StatusCode,
) -> Response<Body> {
    let token = hex::encode(hmac::sign(
        &state.console.login_key,
        login_cookie.as_bytes(),
    ));
    let body = html! {
        @if let Some(problem) = problem {
            p.error role="alert" { (problem) }
        }
        form.stack method="post" action="/console/login" {
            input type="hidden" name="csrf" value=(token);
            label for="username" { "Operator name" }
            input id="username" name="username" type="text" autocomplete="username" required autofocus;
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            button type="submit" { "Log in" }
        }
    };
    let mut response = views::html_response(status, views::layout("Log in", None, body));
    if set {
        let secure = state.console.settings.secure_cookies;
        let value = set_cookie(LOGIN_COOKIE, login_cookie, secure, false);
        if let Ok(v) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// A login attempt: refused with 403 without the token bound to the login cookie; a wrong
/// name or password gets the same page with one generic sentence.
pub async fn submit(
    state: &AppState,
    req: Request<Incoming>,
    now: UnixTime,
) -> Result<Response<Body>, Rejection> {
    let address = peer_ip(req.extensions());
    let origin = crate::http::peer::origin(req.extensions());
    let login_cookie = cookie(req.headers(), LOGIN_COOKIE)
        .filter(|v| is_token(v))
        .map(str::to_owned);
    let form = Form::read(state, req).await?;
    let Some(login_cookie) = login_cookie else {
        return Ok(views::forbidden());
    };
    let bound = hex::decode(form.get("csrf")).unwrap_or_default();
    if hmac::verify(&state.console.login_key, login_cookie.as_bytes(), &bound).is_err() {
        return Ok(views::forbidden());
    }
    let name = form.get("username");
    let password = PresentedPassword::new(form.get("password"));
    let outcome = state
        .operators
        .login(name, &password, &state.users, address, now)
        .await;
    let retry =
        |problem: &str, status| Ok(render(state, &login_cookie, false, Some(problem), status));
    match outcome {
        Ok(operator) => {
            let id = state.console.sessions.start(&operator.name, now);
            tracing::info!(operator = %operator.name, "an operator logged in to the console");
            let mut response = views::redirect("/console/clients");
            let secure = state.console.settings.secure_cookies;
            let value = set_cookie(SESSION_COOKIE, &id, secure, false);
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(response)
        }
        Err(failure @ (LoginFailure::UnknownUser | LoginFailure::WrongPassword)) => {
            let reason = match failure {
                LoginFailure::UnknownUser => FailureReason::UnknownUser,
                _ => FailureReason::WrongPassword,
            };
            let event = AuditEvent::failure(&format!("operator:{name}"), reason);
            state.telemetry.audit.record(event, &origin, now);
            retry("Wrong operator name or password.", StatusCode::OK)
        }
        Err(LoginFailure::Locked { retry_after_secs }) => {
            let event = AuditEvent::failure(&format!("operator:{name}"), FailureReason::LockedOut);
            state.telemetry.audit.record(event, &origin, now);
            retry(
                &format!("Too many failed logins: try again in {retry_after_secs} s."),
                StatusCode::TOO_MANY_REQUESTS,
            )
        }
        Err(LoginFailure::Busy { retry_after_secs }) => retry(
            &format!("The server is busy: try again in {retry_after_secs} s."),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        Err(LoginFailure::Internal(e)) => Err(Rejection::from(e)),
    }
}

/// Ends the session and clears its cookie.
pub fn logout(ctx: &Ctx<'_>) -> Response<Body> {
    ctx.state.console.sessions.end(&ctx.session_id);
    tracing::info!(operator = %ctx.session.operator, "an operator logged out of the console");
    let mut response = views::redirect("/console/login");
    let secure = ctx.state.console.settings.secure_cookies;
    let value = set_cookie(SESSION_COOKIE, "", secure, true);
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// 64 hex digits: what this console's random cookies hold.
fn is_token(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}
