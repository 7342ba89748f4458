//! Admin actions in the audit trail: how an operation's row ends up recorded (its action, its
//! target, the status answered), and `GET /admin/audit?limit=N&kind=admin|auth` to read the
//! recent events.

use http::StatusCode;
use serde::Deserialize;

use super::call::{Answer, Call};
use crate::domain::origin::Origin;
use crate::domain::{AccessClaims, AdminError, UnixTime};
use crate::http::request::page_limit;
use crate::http::response::json_no_store;
use crate::http::state::AppState;
use crate::telemetry::audit::{AuditKind, RECENT_CAPACITY};
use crate::telemetry::{Actor, AuditEvent, AuditRecord, Outcome};

/// How many events `GET /admin/audit` answers with unless `limit` says.
const DEFAULT_LIMIT: usize = 100;

/// Records that `caller` did `action` to `target`, and how it ended: the status `result` is
/// answered with.
pub fn record(
    state: &AppState,
    action: String,
    target: Option<String>,
    caller: &AccessClaims,
    origin: &Origin,
    result: &Answer,
    now: UnixTime,
) {
    let status = match result {
        Ok(response) => response.status(),
        Err(rejection) => rejection.status(),
    };
    let event = AuditEvent::AdminAction {
        actor: Actor::Client(caller.client_id.clone()),
        action,
        target,
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
pub async fn recent(call: Call<'_>) -> Answer {
    let query: RecentQuery = match call.req.uri().query() {
        None => RecentQuery::default(),
        Some(query) => serde_urlencoded::from_str(query).map_err(|_| {
            AdminError::invalid("the query takes limit and kind, each at most once")
        })?,
    };
    let limit = page_limit(query.limit.as_deref(), DEFAULT_LIMIT)
        .map_err(AdminError::from)?
        .min(RECENT_CAPACITY);
    let kind = match query.kind.as_deref() {
        None => None,
        Some(raw) => {
            Some(AuditKind::parse(raw).ok_or(AdminError::invalid("kind must be admin or auth"))?)
        }
    };
    let events = call.state.telemetry.audit.recent_of(kind, limit);
    let events: Vec<&AuditRecord> = events.iter().map(|e| &**e).collect();
    Ok(json_no_store(StatusCode::OK, &events))
}
