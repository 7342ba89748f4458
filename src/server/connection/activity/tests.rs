//! Each phase's deadline, as the watchdog computes it.

use super::*;

const DEADLINES: Deadlines = Deadlines {
    first_byte: Duration::from_secs(10),
    header_read: Duration::from_secs(5),
    idle: Duration::from_secs(60),
};

#[test]
fn each_phase_has_its_own_deadline() {
    let t0 = Instant::now();
    let s = Duration::from_secs;
    let mut a = Activity::new(t0);
    assert_eq!(a.verdict(&DEADLINES, t0, t0 + s(1)), Ok(t0 + s(10)));
    assert!(
        a.verdict(&DEADLINES, t0, t0 + s(10)).is_err(),
        "nothing within 10 s"
    );
    a.protocol = Protocol::Http1;
    a.head_since = Some(t0 + s(2));
    assert_eq!(a.verdict(&DEADLINES, t0, t0 + s(3)), Ok(t0 + s(7)));
    assert!(
        a.verdict(&DEADLINES, t0, t0 + s(7)).is_err(),
        "a head takes 5 s at most"
    );
    a.protocol = Protocol::Http2;
    a.in_flight = 1;
    assert_eq!(a.verdict(&DEADLINES, t0, t0 + s(100)), Ok(t0 + s(160)));
    a.in_flight = 0;
    a.idle_since = t0 + s(120);
    assert_eq!(a.verdict(&DEADLINES, t0, t0 + s(160)), Ok(t0 + s(180)));
    assert!(
        a.verdict(&DEADLINES, t0, t0 + s(180)).is_err(),
        "idle for 60 s"
    );
}

#[test]
fn an_http1_connection_is_looked_at_once_per_head_deadline_until_idle() {
    let t0 = Instant::now();
    let s = Duration::from_secs;
    let mut a = Activity::new(t0);
    a.protocol = Protocol::Http1;
    a.in_flight = 1;
    assert_eq!(
        a.verdict(&DEADLINES, t0, t0 + s(20)),
        Ok(t0 + s(25)),
        "busy"
    );
    a.in_flight = 0;
    a.idle_since = t0 + s(21);
    assert_eq!(
        a.verdict(&DEADLINES, t0, t0 + s(25)),
        Ok(t0 + s(30)),
        "idle"
    );
    assert_eq!(a.verdict(&DEADLINES, t0, t0 + s(79)), Ok(t0 + s(81)));
    assert!(
        a.verdict(&DEADLINES, t0, t0 + s(81)).is_err(),
        "idle for 60 s"
    );
}

#[test]
fn an_http2_connection_has_no_head_deadline() {
    let t0 = Instant::now();
    let mut a = Activity::new(t0);
    a.protocol = Protocol::Http2;
    a.head_since = Some(t0);
    let later = t0 + Duration::from_secs(30);
    assert_eq!(a.verdict(&DEADLINES, t0, later), Ok(t0 + DEADLINES.idle));
}
