//! The schedule's steps at chosen instants: no clock, no sleeps.

use super::*;

const POLICY: KeyPolicy = KeyPolicy {
    verify_window: 50,
    rotation_period: 100,
    prepublish: 10,
    algorithms: Algorithms::ALL,
};

fn rec(kid: &str, state: KeyState, activated_at: Option<u64>) -> KeyRecord {
    KeyRecord {
        kid: kid.into(),
        alg: "RS512".into(),
        created_at: 0,
        state,
        activated_at,
    }
}

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs)
}

fn state_of(plan: &Plan, kid: &str) -> Option<(KeyState, Option<u64>)> {
    plan.changed
        .iter()
        .find(|r| r.kid == kid)
        .map(|r| (r.state, r.activated_at))
}

#[test]
fn nothing_happens_while_the_active_key_is_far_from_due() {
    let records = [rec("a", KeyState::Active, Some(0))];
    assert_eq!(plan(&records, at(50), &POLICY), Plan::default());
    assert!(plan(&records, at(87), &POLICY).is_empty());
}

#[test]
fn a_next_key_is_asked_for_prepublish_and_the_margin_before_the_active_key_is_due() {
    let records = [rec("a", KeyState::Active, Some(0))];
    let step = plan(&records, at(100 - 10 - PUBLISH_MARGIN_SECS), &POLICY);
    assert_eq!(step.generate, [(SigningAlg::Rs512, 100)]);
    assert!(step.changed.is_empty() && step.retired.is_empty());
}

#[test]
fn a_published_next_key_is_not_asked_for_twice() {
    let records = [
        rec("a", KeyState::Active, Some(0)),
        rec("n", KeyState::Next { due: 100 }, None),
    ];
    assert!(plan(&records, at(95), &POLICY).is_empty());
}

#[test]
fn at_its_due_time_the_next_key_signs_and_the_old_one_retires_from_that_moment() {
    let records = [
        rec("a", KeyState::Active, Some(0)),
        rec("n", KeyState::Next { due: 100 }, None),
    ];
    assert!(plan(&records, at(99), &POLICY).is_empty());
    let step = plan(&records, at(101), &POLICY);
    assert_eq!(state_of(&step, "n"), Some((KeyState::Active, Some(100))));
    assert_eq!(
        state_of(&step, "a"),
        Some((
            KeyState::Retiring {
                since: 100,
                until: 150
            },
            Some(0)
        ))
    );
    assert!(step.retired.is_empty());
    assert!(step.generate.is_empty(), "the new key is due at 200");
}

#[test]
fn a_retiring_key_is_retired_once_its_window_has_passed() {
    let records = [
        rec("n", KeyState::Active, Some(100)),
        rec(
            "a",
            KeyState::Retiring {
                since: 100,
                until: 150,
            },
            Some(0),
        ),
    ];
    assert!(plan(&records, at(149), &POLICY).is_empty());
    let step = plan(&records, at(150), &POLICY);
    assert_eq!(
        state_of(&step, "a"),
        Some((KeyState::Retired { at: 150 }, Some(0)))
    );
    assert_eq!(step.retired, ["a"]);
}

#[test]
fn a_start_long_after_a_missed_due_time_catches_up_in_one_step() {
    let records = [
        rec("a", KeyState::Active, Some(0)),
        rec("n", KeyState::Next { due: 100 }, None),
    ];
    let step = plan(&records, at(1_000), &POLICY);
    assert_eq!(state_of(&step, "n"), Some((KeyState::Active, Some(100))));
    assert_eq!(
        state_of(&step, "a"),
        Some((KeyState::Retired { at: 1_000 }, Some(0)))
    );
    assert_eq!(step.retired, ["a"]);
    // The key that took over was due to be replaced at 200: a new one is asked for, and it
    // cannot sign before it has been published for `prepublish`.
    assert_eq!(step.generate, [(SigningAlg::Rs512, 200)]);
    assert_eq!(due_time(200, 1_002, &POLICY), 1_012);
}

#[test]
fn an_overdue_active_key_without_a_next_one_keeps_signing_until_a_new_one_was_published() {
    let records = [rec("a", KeyState::Active, Some(0))];
    let step = plan(&records, at(500), &POLICY);
    assert!(step.changed.is_empty(), "the active key is not touched");
    assert_eq!(step.generate, [(SigningAlg::Rs512, 100)]);
    assert_eq!(due_time(100, 502, &POLICY), 512);
    assert_eq!(
        due_time(100, 80, &POLICY),
        100,
        "on time: the schedule's due time"
    );
}

#[test]
fn a_record_from_before_the_schedule_counts_from_its_creation() {
    let mut old = rec("a", KeyState::Active, None);
    old.created_at = 1_000;
    assert!(plan(std::slice::from_ref(&old), at(1_087), &POLICY).is_empty());
    let step = plan(&[old], at(1_088), &POLICY);
    assert_eq!(step.generate, [(SigningAlg::Rs512, 1_100)]);
}

#[test]
fn without_a_period_nothing_is_generated_but_asked_for_rotations_still_complete() {
    let manual = KeyPolicy::manual(50);
    let records = [
        rec("a", KeyState::Active, Some(0)),
        rec("n", KeyState::Next { due: 100 }, None),
    ];
    assert!(plan(&records[..1], at(1_000_000), &manual).is_empty());
    let step = plan(&records, at(100), &manual);
    assert_eq!(state_of(&step, "n"), Some((KeyState::Active, Some(100))));
    assert!(step.generate.is_empty());
}

#[test]
fn two_due_next_keys_leave_the_latest_signing_and_the_other_retiring_from_its_successor() {
    let records = [
        rec("a", KeyState::Active, Some(0)),
        rec("n1", KeyState::Next { due: 100 }, None),
        rec("n2", KeyState::Next { due: 120 }, None),
    ];
    let step = plan(&records, at(130), &POLICY);
    assert_eq!(state_of(&step, "n2"), Some((KeyState::Active, Some(120))));
    assert_eq!(
        state_of(&step, "n1").map(|s| s.0),
        Some(KeyState::Retiring {
            since: 120,
            until: 170
        })
    );
    assert_eq!(
        state_of(&step, "a").map(|s| s.0),
        Some(KeyState::Retiring {
            since: 100,
            until: 150
        })
    );
}

#[test]
fn each_algorithm_follows_its_own_active_key() {
    let mut ed = rec("e", KeyState::Active, Some(50));
    ed.alg = "EdDSA".into();
    let records = [rec("a", KeyState::Active, Some(0)), ed];
    let step = plan(&records, at(90), &POLICY);
    assert_eq!(step.generate, [(SigningAlg::Rs512, 100)]);
    let step = plan(&records, at(140), &POLICY);
    assert_eq!(
        step.generate,
        [(SigningAlg::Rs512, 100), (SigningAlg::EdDsa, 150)]
    );
}

#[test]
fn an_algorithm_outside_the_set_gets_no_key_and_its_keys_only_retire() {
    let only_rsa = KeyPolicy {
        algorithms: Algorithms::parse(&["RS512"]).unwrap(),
        ..POLICY
    };
    let ed = |kid: &str, state| KeyRecord {
        alg: "EdDSA".into(),
        ..rec(kid, state, Some(0))
    };
    let records = [
        rec("a", KeyState::Active, Some(0)),
        ed("e", KeyState::Active),
        ed("n", KeyState::Next { due: 95 }),
        ed(
            "r",
            KeyState::Retiring {
                since: 0,
                until: 96,
            },
        ),
    ];
    let step = plan(&records, at(96), &only_rsa);
    // RS512 follows its schedule; EdDSA's next key is not promoted, nor a successor asked for.
    assert_eq!(step.generate, [(SigningAlg::Rs512, 100)]);
    assert_eq!(step.retired, ["r"]);
    assert_eq!(step.changed.len(), 1, "{:?}", step.changed);
    assert_eq!(state_of(&step, "n"), None);
    let all = plan(&records, at(96), &POLICY);
    assert_eq!(state_of(&all, "n"), Some((KeyState::Active, Some(95))));
}
