//! Admin actions in the audit trail: which requests under `/admin/` are actions (every write;
//! reads are not), what each is called, and `GET /admin/audit?limit=N&kind=admin|auth` to read
//! the recent events.

use http::{Method, Request, Response, StatusCode};
use serde::Deserialize;

use super::AppState;
use super::error::{Body, Rejection};
use super::request::page_limit;
use super::response::json_no_store;
use crate::domain::origin::Origin;
use crate::domain::{AccessClaims, OAuthError, UnixTime};
use crate::telemetry::audit::{AuditKind, RECENT_CAPACITY};
use crate::telemetry::{Actor, AuditEvent, AuditRecord, Outcome};

/// The directory's resources under `/admin/`; an action's name is the singular (`user.add`).
const DIRECTORY: [&str; 7] = ["orgs", "ous", "depts", "wfcs", "roles", "users", "services"];

/// How many events `GET /admin/audit` answers with unless `limit` says.
const DEFAULT_LIMIT: usize = 100;

/// An admin action under way: its name, and its target once known. A handler that learns the
/// target from the body (a new client's id, a new user's name) writes it into `target`.
#[derive(Debug)]
pub struct Audited {
    pub action: String,
    pub target: Option<String>,
}

/// The action a request under `/admin/` is, if it changes anything.
pub fn action(method: &Method, segments: &[String]) -> Option<Audited> {
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let named = |action: String, target: Option<&str>| {
        Some(Audited {
            action,
            target: target.map(str::to_owned),
        })
    };
    let fixed = |action: &str, target| named(action.to_owned(), target);
    let singular = |res: &str| res.strip_suffix('s').unwrap_or(res).to_owned();
    match (seg.as_slice(), method) {
        (["clients"], &Method::POST) => fixed("client.add", None),
        (["clients", id], &Method::DELETE) => fixed("client.remove", Some(id)),
        (["clients", id, "rotate-secret"], &Method::POST) => {
            fixed("client.rotate_secret", Some(id))
        }
        (["clients", id, "disable"], &Method::POST) => fixed("client.disable", Some(id)),
        (["clients", id, "enable"], &Method::POST) => fixed("client.enable", Some(id)),
        (["keys", "rotate"], &Method::POST) => fixed("key.rotate", None),
        (["keys", kid, "retire"], &Method::POST) => fixed("key.retire", Some(kid)),
        (["import", "tokenleader", "users"], &Method::POST) => fixed("user.import", None),
        (["users", name, "password"], &Method::POST) => fixed("user.set_password", Some(name)),
        (["operators"], &Method::POST) => fixed("operator.add", None),
        (["operators", name], &Method::DELETE) => fixed("operator.remove", Some(name)),
        (["operators", name, "password"], &Method::POST) => {
            fixed("operator.set_password", Some(name))
        }
        ([res], &Method::POST) if DIRECTORY.contains(res) => {
            named(format!("{}.add", singular(res)), None)
        }
        ([res, name], &Method::DELETE) if DIRECTORY.contains(res) => {
            named(format!("{}.remove", singular(res)), Some(name))
        }
        _ => None,
    }
}

/// Records how `audited` ended: the status `result` is answered with.
pub fn record(
    state: &AppState,
    audited: Audited,
    caller: &AccessClaims,
    origin: &Origin,
    result: &Result<Response<Body>, Rejection>,
    now: UnixTime,
) {
    let status = match result {
        Ok(response) => response.status(),
        Err(rejection) => rejection.status(),
    };
    let event = AuditEvent::AdminAction {
        actor: Actor::Client(caller.client_id.clone()),
        action: audited.action,
        target: audited.target,
        outcome: Outcome {
            status: status.as_u16(),
            success: status.is_success(),
        },
    };
    state.telemetry.audit.record(event, origin, now);
}

/// `GET /admin/audit`'s query: `limit` and `kind`, each at most once; nothing else.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RecentQuery {
    limit: Option<String>,
    kind: Option<String>,
}

/// `GET /admin/audit?limit=N&kind=K`: the most recent events, newest first (N at most 1000):
/// administrative ones (`kind=admin`), failed authentications (`kind=auth`), or both merged in
/// the order they happened.
pub fn recent<B>(state: &AppState, req: &Request<B>) -> Result<Response<Body>, Rejection> {
    let query: RecentQuery = match req.uri().query() {
        None => RecentQuery::default(),
        Some(query) => serde_urlencoded::from_str(query).map_err(|_| {
            OAuthError::invalid_request("the query takes limit and kind, each at most once")
        })?,
    };
    let limit = page_limit(query.limit.as_deref(), DEFAULT_LIMIT)?.min(RECENT_CAPACITY);
    let kind = match query.kind.as_deref() {
        None => None,
        Some(raw) => Some(
            AuditKind::parse(raw)
                .ok_or(OAuthError::invalid_request("kind must be admin or auth"))?,
        ),
    };
    let events = state.telemetry.audit.recent_of(kind, limit);
    let events: Vec<&AuditRecord> = events.iter().map(|e| &**e).collect();
    Ok(json_no_store(StatusCode::OK, &events))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(method: Method, path: &str) -> Option<(String, Option<String>)> {
        let segments: Vec<String> = path.split('/').map(str::to_owned).collect();
        action(&method, &segments).map(|a| (a.action, a.target))
    }

    #[test]
    fn every_write_is_an_action_and_no_read_is() {
        let some = |a: &str, t: Option<&str>| Some((a.to_owned(), t.map(str::to_owned)));
        assert_eq!(named(Method::POST, "clients"), some("client.add", None));
        assert_eq!(
            named(Method::POST, "clients/svc/disable"),
            some("client.disable", Some("svc"))
        );
        assert_eq!(named(Method::DELETE, "ous/x"), some("ou.remove", Some("x")));
        assert_eq!(named(Method::POST, "depts"), some("dept.add", None));
        assert_eq!(
            named(Method::POST, "users/bob/password"),
            some("user.set_password", Some("bob"))
        );
        assert_eq!(named(Method::GET, "clients"), None);
        assert_eq!(named(Method::GET, "users/bob"), None);
        assert_eq!(named(Method::GET, "keys"), None);
    }
}
