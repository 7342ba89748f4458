//! Unit tests of `lockout.rs`.

use super::*;

fn lockout(per_user: u32, per_addr: u32, capacity: usize) -> Lockout {
    Lockout::new(&UserSettings {
        max_failures_per_user: per_user,
        max_failures_per_address: per_addr,
        failure_window_secs: 900,
        max_tracked: capacity,
        ..UserSettings::for_tests()
    })
}

const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

#[test]
fn the_failure_at_the_threshold_locks_the_username_until_the_window_ends() {
    let l = lockout(3, 100, 100);
    let t0 = UnixTime::from_secs(1000);
    for _ in 0..2 {
        l.record_failure("alice", A, t0);
    }
    assert!(l.check("alice", A, t0).is_ok());
    l.record_failure("alice", B, t0.plus(10));
    assert_eq!(l.check("alice", B, t0.plus(100)), Err(800));
    assert!(l.check("bob", B, t0.plus(100)).is_ok());
    assert!(l.check("alice", A, t0.plus(900)).is_ok());
}

#[test]
fn a_success_clears_the_usernames_failures_but_not_the_addresses() {
    let l = lockout(2, 3, 100);
    let now = UnixTime::from_secs(50);
    l.record_failure("alice", A, now);
    l.record_failure("alice", A, now);
    assert!(l.check("alice", B, now).is_err());
    l.record_success("alice");
    assert!(l.check("alice", B, now).is_ok());
    l.record_failure("carol", A, now);
    assert!(l.check("dave", A, now).is_err());
}

#[test]
fn a_window_that_has_passed_starts_counting_again() {
    let l = lockout(2, 100, 100);
    let t0 = UnixTime::from_secs(0);
    l.record_failure("alice", A, t0);
    l.record_failure("alice", A, t0.plus(901));
    assert!(l.check("alice", A, t0.plus(901)).is_ok());
}

#[test]
fn addresses_of_one_ipv6_slash_64_count_together() {
    let l = lockout(100, 2, 100);
    let now = UnixTime::from_secs(0);
    let a: IpAddr = "2001:db8::1".parse().unwrap();
    let b: IpAddr = "2001:db8::ffff:2".parse().unwrap();
    let other: IpAddr = "2001:db8:0:1::1".parse().unwrap();
    l.record_failure("x", a, now);
    l.record_failure("y", b, now);
    assert!(l.check("z", a, now).is_err());
    assert!(l.check("z", other, now).is_ok());
}

#[test]
fn an_ipv4_client_of_a_dual_stack_listener_counts_as_its_ipv4_address() {
    let l = lockout(100, 2, 100);
    let now = UnixTime::from_secs(0);
    let one: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
    let three: IpAddr = "::ffff:127.0.0.3".parse().unwrap();
    l.record_failure("x", one, now);
    l.record_failure("y", one, now);
    assert!(l.check("z", one, now).is_err());
    assert!(l.check("z", "127.0.0.1".parse().unwrap(), now).is_err());
    assert!(l.check("z", three, now).is_ok());
    assert!(l.check("z", "127.0.0.3".parse().unwrap(), now).is_ok());
}

fn tracked(l: &Lockout, name: &str) -> bool {
    lock(&l.users).map.contains_key(name)
}

#[test]
fn a_full_table_drops_lapsed_windows_before_any_live_counter() {
    let l = lockout(5, 1_000_000, 10);
    l.record_failure("lapsed", A, UnixTime::from_secs(0));
    let later = UnixTime::from_secs(1000);
    for i in 0..9 {
        l.record_failure(&format!("live{i}"), A, later);
    }
    l.record_failure("newcomer", A, later);
    assert!(!tracked(&l, "lapsed"));
    assert!((0..9).all(|i| tracked(&l, &format!("live{i}"))));
    assert!(tracked(&l, "newcomer"));
}

#[test]
fn a_full_table_drops_unlocked_counters_oldest_first_and_keeps_a_locked_out_username() {
    let l = lockout(3, 1_000_000, 10);
    for _ in 0..3 {
        l.record_failure("victim", A, UnixTime::from_secs(0));
    }
    for i in 0..9 {
        l.record_failure(&format!("spray{i}"), A, UnixTime::from_secs(1 + i));
    }
    let now = UnixTime::from_secs(20);
    l.record_failure("newcomer", A, now);
    assert!(l.check("victim", B, now).is_err(), "still locked out");
    assert!(!tracked(&l, "spray0"), "the oldest unlocked counter went");
    assert!((1..9).all(|i| tracked(&l, &format!("spray{i}"))));
    assert!(tracked(&l, "newcomer"));
}

#[test]
fn locked_counters_are_evicted_only_when_every_counter_is_locked() {
    let l = lockout(1, 1_000_000, 10);
    for i in 0..10 {
        l.record_failure(&format!("locked{i}"), A, UnixTime::from_secs(i));
    }
    l.record_failure("newcomer", A, UnixTime::from_secs(20));
    assert!(lock(&l.users).map.len() <= 10);
    assert!(!tracked(&l, "locked0"), "the oldest lockout went first");
    assert!(tracked(&l, "locked9") && tracked(&l, "newcomer"));
}

#[test]
fn the_number_of_tracked_names_stays_bounded() {
    let l = lockout(5, 1_000_000, 50);
    for i in 0..1000u64 {
        l.record_failure(&format!("user{i}"), A, UnixTime::from_secs(i));
    }
    assert!(lock(&l.users).map.len() <= 50);
    assert!(lock(&l.users).map.contains_key("user999"));
}
