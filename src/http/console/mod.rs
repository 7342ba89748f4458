//! The web console at `/console`: server-rendered pages for operators with a session, over the
//! same domain calls as the admin API. Every response carries [`secure`]'s headers; every POST
//! carries its session's CSRF token (the login form a token bound to a cookie of its own).

mod audit;
mod clients;
mod directory;
mod forms;
mod keys;
mod login;
pub(super) mod session;
mod trust;
mod views;

use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;

pub use session::{Console, Session, Sessions};

use super::error::{Body, Rejection};
use super::state::AppState;
use crate::domain::UnixTime;
use crate::domain::origin::Origin;
use forms::Form;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "td_session";
/// The cookie the login form's CSRF token is bound to.
pub const LOGIN_COOKIE: &str = "td_login";

/// A request under `/console` (the console is on), with what is known about it.
pub(super) struct Ctx<'a> {
    pub state: &'a AppState,
    pub session: Session,
    /// The session cookie's value, to end it.
    pub session_id: String,
    pub now: UnixTime,
    /// The request's source address and id, for the audit trail.
    pub origin: Origin,
}

/// Answers any request under `/console`.
pub(super) async fn route(
    state: &AppState,
    req: Request<Incoming>,
    now: UnixTime,
) -> Response<Body> {
    let mut response = match dispatch(state, req, now).await {
        Ok(response) => response,
        Err(rejection) => {
            let (status, text) = rejection.for_people();
            views::problem(status, &text, None)
        }
    };
    secure(&mut response);
    response
}

async fn dispatch(
    state: &AppState,
    req: Request<Incoming>,
    now: UnixTime,
) -> Result<Response<Body>, Rejection> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let rest = path.strip_prefix("/console").unwrap_or_default();
    let segments =
        super::request::decode_segments(rest.trim_start_matches('/')).ok_or(Rejection::NotFound)?;
    let seg: Vec<&str> = segments
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    let method = req.method().clone();
    match (seg.as_slice(), &method) {
        (["static", "console.css"], &Method::GET) => Ok(views::asset(views::CSS, "text/css")),
        (["static", "copy.js"], &Method::GET) => Ok(views::asset(views::JS, "text/javascript")),
        (["login"], &Method::GET) => Ok(login::page(state, &req, None)),
        (["login"], &Method::POST) => login::submit(state, req, now).await,
        _ => {
            let console = &state.console;
            let session_id = forms::cookie(req.headers(), SESSION_COOKIE)
                .unwrap_or_default()
                .to_owned();
            let session = console
                .sessions
                .touch(&session_id, now)
                // A removed operator's sessions end at once.
                .filter(|s| state.operators.exists(&s.operator).unwrap_or(false));
            let Some(session) = session else {
                return Ok(if method == Method::GET {
                    views::redirect("/console/login")
                } else {
                    views::message(
                        StatusCode::FORBIDDEN,
                        "Session ended",
                        "Your session has ended: log in again.",
                    )
                });
            };
            let origin = crate::http::peer::origin(req.extensions());
            let form = if method == Method::POST {
                let form = Form::read(state, req).await?;
                if !form.csrf_matches(&session.csrf) {
                    return Ok(views::forbidden());
                }
                Some(form)
            } else {
                None
            };
            let ctx = Ctx {
                state,
                session,
                session_id,
                now,
                origin,
            };
            match pages(&ctx, &seg, form, query.as_deref()).await {
                Ok(response) => Ok(response),
                Err(rejection) => {
                    let (status, text) = rejection.for_people();
                    Ok(views::problem(status, &text, Some(&ctx.session)))
                }
            }
        }
    }
}

/// The pages behind the login.
async fn pages(
    ctx: &Ctx<'_>,
    seg: &[&str],
    form: Option<Form>,
    query: Option<&str>,
) -> Result<Response<Body>, Rejection> {
    match (seg, form) {
        ([], None) => Ok(views::redirect("/console/clients")),
        (["logout"], Some(_)) => Ok(login::logout(ctx)),
        (["clients", ..], form) => {
            clients::route(ctx, seg.get(1..).unwrap_or_default(), form, query).await
        }
        (["keys", ..], form) => keys::route(ctx, seg.get(1..).unwrap_or_default(), form).await,
        (["directory", kind, rest @ ..], form) => directory::route(ctx, kind, rest, form).await,
        (["audit"], None) => audit::page(ctx, query),
        (["trust", ..], form) => trust::route(ctx, seg.get(1..).unwrap_or_default(), form).await,
        _ => Err(Rejection::NotFound),
    }
}

/// The headers of every console response: no framing, no inline script, no caching, no referrer.
fn secure(response: &mut Response<Body>) {
    let h = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    h.remove(header::PRAGMA);
}
