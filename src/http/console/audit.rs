//! The console and the audit trail: every console action is recorded as an admin action by
//! its operator ([`Ctx::audit`]), and the Audit page shows the trail's recent events, all or of
//! one kind (`?kind=admin`, `?kind=auth`), with names shown as [`views::visible`] text.

use http::Method;
use maud::html;

use super::forms::Form;
use super::{Ctx, views};
use crate::domain::OAuthError;
use crate::http::admin::audited_action;
use crate::http::error::{Body, Rejection};
use crate::telemetry::audit::AuditKind;
use crate::telemetry::{Actor, AuditEvent, AuditRecord, Outcome};

impl Ctx<'_> {
    /// Records a console action by this session's operator in the audit trail as the admin
    /// operation it is: `method` on `admin_path` (its segments under `/admin/`), under the
    /// action its row in the admin table names (`client.add`, `key.retire`, …). Never given a
    /// secret: `target` names what was acted on. The outcome's status is 200 for a success and
    /// 400 for a refusal (the console answers with pages, not API statuses).
    pub fn audit(&self, method: &Method, admin_path: &[&str], target: &str, succeeded: bool) {
        let action = audited_action(method, admin_path).unwrap_or_else(|| {
            // Every console action is an audited admin operation: a path without a row is a
            // console bug, still recorded rather than lost.
            let path = admin_path.join("/");
            tracing::error!(%method, path, "a console action without an audited admin operation");
            format!("{method} /admin/{path}")
        });
        let event = AuditEvent::AdminAction {
            actor: Actor::Operator(self.session.operator.clone()),
            action,
            target: (!target.is_empty()).then(|| target.to_owned()),
            outcome: Outcome {
                status: if succeeded { 200 } else { 400 },
                success: succeeded,
            },
        };
        self.state
            .telemetry
            .audit
            .record(event, &self.origin, self.now);
    }
}

/// How many events the Audit page shows.
const SHOWN: usize = 200;

/// The filter's choices: the query string, and its link text.
const FILTERS: [(Option<AuditKind>, &str); 3] = [
    (None, "All events"),
    (Some(AuditKind::Admin), "Administrative actions"),
    (Some(AuditKind::Auth), "Failed authentications"),
];

/// `/console/audit[?kind=admin|auth]`; another kind is refused (400), as by the admin API.
pub fn page(ctx: &Ctx<'_>, query: Option<&str>) -> Result<http::Response<Body>, Rejection> {
    let query = Form::query(query);
    let kind = match query.has("kind") {
        false => None,
        true => Some(
            AuditKind::parse(query.get("kind"))
                .ok_or(OAuthError::invalid_request("kind must be admin or auth"))?,
        ),
    };
    let events = ctx.state.telemetry.audit.recent_of(kind, SHOWN);
    let what = match kind {
        None => "events (admin API, console, failed authentications)",
        Some(AuditKind::Admin) => "administrative actions (admin API, console)",
        Some(AuditKind::Auth) => "failed authentications (clients, users, operators)",
    };
    let body = html! {
        nav aria-label="Which events" {
            ul {
                @for (filter, label) in FILTERS {
                    @let href = match filter {
                        None => "/console/audit".to_owned(),
                        Some(k) => format!("/console/audit?kind={}", k.as_str()),
                    };
                    li {
                        @if filter == kind { a href=(href) aria-current="page" { strong { (label) } } }
                        @else { a href=(href) { (label) } }
                    }
                }
            }
        }
        table {
            caption { "The " (events.len()) " most recent " (what) ", newest first" }
            thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Target" } th scope="col" { "Outcome" } th scope="col" { "Source" } } }
            tbody {
                @for e in &events {
                    @let row = Row::of(e);
                    tr { td { (views::when(e.time)) } td { (views::visible(&row.who)) } td { (views::visible(&row.what)) } td { (views::visible(&row.target)) } td { (row.outcome) } td { (e.source) } }
                }
            }
        }
    };
    Ok(views::html_response(
        http::StatusCode::OK,
        views::layout("Audit", Some(&ctx.session), body),
    ))
}

/// One audit record as the Audit page's columns.
struct Row {
    who: String,
    what: String,
    target: String,
    outcome: String,
}

impl Row {
    fn of(record: &AuditRecord) -> Self {
        match &record.event {
            AuditEvent::AdminAction {
                actor,
                action,
                target,
                outcome,
            } => Self {
                who: match actor {
                    Actor::Client(id) => format!("client {id}"),
                    Actor::Operator(name) => format!("operator {name}"),
                },
                what: action.clone(),
                target: target.clone().unwrap_or_default(),
                outcome: if outcome.success {
                    "ok".into()
                } else {
                    format!("refused ({})", outcome.status)
                },
            },
            AuditEvent::ClientAuthFailed {
                presented_id,
                reason,
            } => Self {
                who: format!("client {presented_id}"),
                what: "client authentication".into(),
                target: String::new(),
                outcome: format!("failed: {}", reason.as_str()),
            },
            AuditEvent::LoginFailed {
                presented_id,
                reason,
            } => Self {
                who: format!("user {presented_id}"),
                what: "login".into(),
                target: String::new(),
                outcome: format!("failed: {}", reason.as_str()),
            },
        }
    }
}
