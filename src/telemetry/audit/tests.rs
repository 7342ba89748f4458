//! The audit trail's memory bound, order, and the line's shape.

use super::*;
use crate::telemetry::RequestId;

fn origin(id: &str) -> Origin {
    Origin {
        address: std::net::IpAddr::from([10, 0, 0, 1]),
        request_id: RequestId::parse(id.as_bytes()).unwrap(),
    }
}

#[test]
fn the_recent_events_are_bounded_and_newest_first() {
    let trail = AuditTrail::in_memory(Arc::new(Metrics::default()));
    for i in 0..(RECENT_CAPACITY as u64 + 5) {
        let event = AuditEvent::failure(&format!("c{i}"), FailureReason::WrongSecret);
        trail.record(event, &origin("r"), UnixTime::from_secs(i));
    }
    let all = trail.recent(usize::MAX);
    assert_eq!(all.len(), RECENT_CAPACITY);
    assert_eq!(all[0].time, RECENT_CAPACITY as u64 + 4);
    assert_eq!(trail.recent(3).len(), 3);
}

#[test]
fn a_line_names_the_actor_action_target_and_outcome_and_a_long_id_is_cut() {
    let event = AuditEvent::AdminAction {
        actor: Actor::Operator("ops-jane".into()),
        action: "client.disable".into(),
        target: Some("billing".into()),
        outcome: Outcome {
            status: 200,
            success: true,
        },
    };
    let record = AuditRecord {
        time: 7,
        event,
        source: origin("abc").address,
        request_id: origin("abc").request_id,
    };
    let line = serde_json::to_value(&record).unwrap();
    assert_eq!(
        line,
        serde_json::json!({"time": 7, "event": "admin_action",
            "actor": {"kind": "operator", "id": "ops-jane"}, "action": "client.disable",
            "target": "billing", "outcome": {"status": 200, "success": true},
            "source": "10.0.0.1", "request_id": "abc"})
    );
    let long = "é".repeat(200);
    let AuditEvent::LoginFailed { presented_id, .. } =
        AuditEvent::failure(&long, FailureReason::UnknownUser)
    else {
        panic!("a login failure");
    };
    assert!(presented_id.len() <= MAX_PRESENTED && !presented_id.is_empty());
}
