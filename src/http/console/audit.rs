//! The console's seam to the audit trail: [`audit`], called by every console action (a log line
//! today), and [`AuditSource`], what the Audit page reads. Connecting the trail is one place each.

use maud::html;

use super::{Ctx, views};
use crate::http::error::Body;

/// Events the Audit page shows, newest first.
pub trait AuditSource: Send + Sync {
    fn recent(&self, limit: usize) -> Vec<AuditEvent>;
}

/// One event as the Audit page shows it.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// Unix seconds.
    pub at: u64,
    /// Who: a client id, or `console:NAME` for an operator.
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
}

/// Records a console action by `operator`. Today a log line; the audit trail is connected here.
/// Never given a secret: `target` names what was acted on.
pub fn audit(operator: &str, action: &str, target: &str, outcome: &str) {
    tracing::info!(
        actor = format!("console:{operator}"),
        action,
        target,
        outcome,
        "console action"
    );
}

/// How many events the Audit page shows.
const SHOWN: usize = 200;

pub fn page(ctx: &Ctx<'_>) -> http::Response<Body> {
    let events = ctx
        .state
        .console
        .audit_source
        .as_ref()
        .map(|source| source.recent(SHOWN));
    let body = html! {
        @match &events {
            None => p.notice { "No audit trail is connected to this server yet; console actions are logged." }
            Some(events) => {
                table {
                    caption { "The " (events.len()) " most recent events, newest first" }
                    thead { tr { th scope="col" { "When" } th scope="col" { "Actor" } th scope="col" { "Action" } th scope="col" { "Target" } th scope="col" { "Outcome" } } }
                    tbody {
                        @for e in events {
                            tr { td { (views::when(e.at)) } td { (e.actor) } td { (e.action) } td { (e.target) } td { (e.outcome) } }
                        }
                    }
                }
            }
        }
    };
    views::html_response(
        http::StatusCode::OK,
        views::layout("Audit", Some(&ctx.session), body),
    )
}
