//! The audit trail's memory bound, order, and the line's shape.

use super::*;
use crate::domain::origin::RequestId;

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

fn admin_action(action: &str) -> AuditEvent {
    AuditEvent::AdminAction {
        actor: Actor::Client("admin".into()),
        action: action.into(),
        target: None,
        outcome: Outcome {
            status: 201,
            success: true,
        },
    }
}

#[test]
fn failures_never_push_an_admin_action_out_and_each_kind_reads_alone_or_merged_in_order() {
    let trail = AuditTrail::in_memory(Arc::new(Metrics::default()));
    let at = UnixTime::from_secs;
    trail.record(admin_action("client.add"), &origin("a"), at(1));
    for i in 0..(RECENT_CAPACITY as u64 + 100) {
        let event = AuditEvent::failure("ghost", FailureReason::UnknownClient);
        trail.record(event, &origin("f"), at(2 + i));
    }
    trail.record(admin_action("key.rotate"), &origin("b"), at(5000));
    let failure = AuditEvent::failure("alice", FailureReason::WrongPassword);
    trail.record(failure, &origin("c"), at(5001));

    let admin = trail.recent_of(Some(AuditKind::Admin), usize::MAX);
    let actions: Vec<_> = admin
        .iter()
        .map(|r| match &r.event {
            AuditEvent::AdminAction { action, .. } => action.as_str(),
            _ => "not an admin action",
        })
        .collect();
    assert_eq!(actions, ["key.rotate", "client.add"]);
    let auth = trail.recent_of(Some(AuditKind::Auth), usize::MAX);
    assert_eq!(auth.len(), RECENT_CAPACITY);
    assert!(auth.iter().all(|r| r.event.kind() == AuditKind::Auth));

    let both: Vec<u64> = trail.recent(4).iter().map(|r| r.time).collect();
    assert_eq!(
        both,
        [5001, 5000, 1101, 1100],
        "newest first, across the rings"
    );
    let all = trail.recent(usize::MAX);
    assert_eq!(all.len(), RECENT_CAPACITY + 2);
    assert_eq!(
        all.last().map(|r| r.time),
        Some(1),
        "the oldest admin action is kept"
    );
    assert!(all.windows(2).all(|w| w[0].time >= w[1].time));
}

#[test]
fn a_kind_is_admin_or_auth() {
    assert_eq!(AuditKind::parse("admin"), Some(AuditKind::Admin));
    assert_eq!(AuditKind::parse("auth"), Some(AuditKind::Auth));
    for other in ["", "Admin", "all", "auth "] {
        assert_eq!(AuditKind::parse(other), None, "{other:?}");
    }
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
