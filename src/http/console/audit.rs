//! The console and the audit trail: every console action is recorded as an admin action by
//! its operator ([`Ctx::audit`]), and the Audit page shows the trail's recent events.

use maud::html;

use super::{Ctx, views};
use crate::http::error::Body;
use crate::telemetry::{Actor, AuditEvent, AuditRecord, Outcome};

impl Ctx<'_> {
    /// Records a console action by this session's operator in the audit trail, in the admin
    /// API's vocabulary (`client.add`, `key.retire`, …). Never given a secret: `target` names
    /// what was acted on. The outcome's status is 200 for a success and 400 for a refusal (the
    /// console answers with pages, not API statuses).
    pub fn audit(&self, action: &str, target: &str, succeeded: bool) {
        let event = AuditEvent::AdminAction {
            actor: Actor::Operator(self.session.operator.clone()),
            action: action.to_owned(),
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

pub fn page(ctx: &Ctx<'_>) -> http::Response<Body> {
    let events = ctx.state.telemetry.audit.recent(SHOWN);
    let body = html! {
        table {
            caption { "The " (events.len()) " most recent events, newest first (admin API, console, failed authentications)" }
            thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Target" } th scope="col" { "Outcome" } th scope="col" { "Source" } } }
            tbody {
                @for e in &events {
                    @let row = Row::of(e);
                    tr { td { (views::when(e.time)) } td { (row.who) } td { (row.what) } td { (row.target) } td { (row.outcome) } td { (e.source) } }
                }
            }
        }
    };
    views::html_response(
        http::StatusCode::OK,
        views::layout("Audit", Some(&ctx.session), body),
    )
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
