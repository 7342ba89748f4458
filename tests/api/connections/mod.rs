//! Connection liveness over raw sockets: every phase of a connection has a deadline, and the
//! server keeps serving once slow or silent peers have been cut.

mod backlog;
mod h2;
mod h2_memory;
mod host;
mod process;
mod threads;

use std::time::Duration;

use tokendealer::Settings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::helpers::{TestApp, spawn_with};

/// The deadline under test.
const SHORT: Duration = Duration::from_secs(1);
/// Every other deadline: far beyond any test's wait, so only the one under test can cut.
const LONG: Duration = Duration::from_secs(60);
/// Slack on a loaded machine: "cut within the deadline" means within deadline + this.
const MARGIN: Duration = Duration::from_secs(6);

/// A token request whose body is still coming: its connection is busy, never made room from.
const PARTIAL_POST: &[u8] = b"POST /oauth/token HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type";

/// Every connection deadline long: a test then shortens the one it checks.
fn all_long(s: &mut Settings) {
    s.first_byte_timeout = LONG;
    s.header_read_timeout = LONG;
    s.body_read_timeout = LONG;
    s.idle_timeout = LONG;
}

async fn connect(app: &TestApp) -> TcpStream {
    let addr = app.base.trim_start_matches("http://");
    TcpStream::connect(addr).await.unwrap()
}

/// Reads until the server closes the connection; panics if it is still open after `limit`.
/// Returns how long that took and everything received.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Duration, Vec<u8>) {
    let start = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(start + limit, stream.read(&mut buf)).await {
            Err(_) => panic!(
                "still open after {limit:?}; received {:?}",
                String::from_utf8_lossy(&received)
            ),
            Ok(Ok(0) | Err(_)) => return (start.elapsed(), received),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// The server still answers /healthz and issues tokens.
async fn assert_still_serving(app: &TestApp) {
    assert_eq!(app.get("/healthz").await.status(), 200);
    let admin = app.admin_client();
    let r = app.token_post(&admin.id, &admin.secret, &[]).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_cut_after_the_first_byte_deadline() {
    let app = spawn_with(|s| {
        all_long(s);
        s.first_byte_timeout = SHORT;
    })
    .await;
    let mut silent = connect(&app).await;
    let (took, received) = read_until_closed(&mut silent, SHORT + MARGIN).await;
    assert!(received.is_empty(), "{received:?}");
    assert!(took >= SHORT / 2, "cut too early: {took:?}");
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn sixteen_bytes_of_the_http2_preface_are_cut_after_the_first_byte_deadline() {
    let app = spawn_with(|s| {
        all_long(s);
        s.first_byte_timeout = SHORT;
    })
    .await;
    let mut partial = connect(&app).await;
    partial
        .write_all(&b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"[..16])
        .await
        .unwrap();
    read_until_closed(&mut partial, SHORT + MARGIN).await;
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_partial_request_head_is_cut_after_the_head_deadline() {
    let app = spawn_with(|s| {
        all_long(s);
        s.header_read_timeout = SHORT;
    })
    .await;
    let mut partial = connect(&app).await;
    partial
        .write_all(b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Ty")
        .await
        .unwrap();
    read_until_closed(&mut partial, SHORT + MARGIN).await;
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_kept_alive_connection_may_idle_past_the_head_deadline_but_a_slow_head_is_cut() {
    let app = spawn_with(|s| {
        all_long(s);
        s.header_read_timeout = SHORT;
    })
    .await;
    let mut conn = connect(&app).await;
    let mut buf = [0u8; 4096];
    for _ in 0..2 {
        conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let n = conn.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "served");
        // Idle for longer than a head may take: waiting for a request is not a slow head.
        tokio::time::sleep(2 * SHORT + Duration::from_millis(500)).await;
    }
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHo")
        .await
        .unwrap();
    let (_, received) = read_until_closed(&mut conn, SHORT + MARGIN).await;
    assert!(
        !received.starts_with(b"HTTP/1.1 200"),
        "the slow head is not served"
    );
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_gets_408_and_a_close_within_the_body_deadline() {
    let app = spawn_with(|s| {
        all_long(s);
        s.body_read_timeout = SHORT;
    })
    .await;
    let mut short = connect(&app).await;
    short
        .write_all(
            b"POST /oauth/token HTTP/1.1\r\nHost: x\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n\
              grant_type",
        )
        .await
        .unwrap();
    let (_, received) = read_until_closed(&mut short, SHORT + MARGIN).await;
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains(r#""error":"invalid_request""#), "{text}");
    assert!(text.contains("error_description"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_body_dripped_a_byte_at_a_time_is_cut_by_the_total_body_deadline() {
    let body_deadline = Duration::from_secs(2);
    let app = spawn_with(|s| {
        all_long(s);
        s.body_read_timeout = body_deadline;
    })
    .await;
    let (mut reader, mut writer) = connect(&app).await.into_split();
    writer
        .write_all(
            b"POST /oauth/token HTTP/1.1\r\nHost: x\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n",
        )
        .await
        .unwrap();
    // 100 bytes, one per 200 ms: every read is quick, the whole takes 20 s.
    let drip = tokio::spawn(async move {
        for _ in 0..100 {
            if writer.write_all(b"a").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let start = Instant::now();
    let mut received = Vec::new();
    let read = reader.read_to_end(&mut received);
    tokio::time::timeout(body_deadline + MARGIN, read)
        .await
        .expect("the dripping connection is cut within the body deadline")
        .ok();
    assert!(start.elapsed() < body_deadline + MARGIN);
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    drip.abort();
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn an_idle_http1_keep_alive_connection_is_closed_after_the_idle_deadline() {
    let app = spawn_with(|s| {
        all_long(s);
        s.idle_timeout = SHORT;
    })
    .await;
    let mut idle = connect(&app).await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (_, received) = read_until_closed(&mut idle, SHORT + MARGIN).await;
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 200"), "answered first: {text}");
    assert!(
        !text.to_ascii_lowercase().contains("connection: close"),
        "kept alive until idle: {text}"
    );
}

#[tokio::test]
async fn a_connection_busy_with_requests_is_not_cut_as_idle() {
    let app = spawn_with(|s| {
        all_long(s);
        s.idle_timeout = Duration::from_secs(2);
    })
    .await;
    let mut busy = connect(&app).await;
    let mut buf = [0u8; 4096];
    // A request every 500 ms for 4 s: twice the idle deadline, never idle that long.
    for _ in 0..8 {
        busy.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let n = busy.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "still served");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn at_the_connection_cap_silent_connections_make_room_at_once() {
    let app = spawn_with(|s| {
        all_long(s);
        s.max_connections = 3;
    })
    .await;
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(connect(&app).await);
    }
    // Let the server accept the silent three before the real client queues behind them.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Every deadline is a minute: only the cap's pressure can free a place this soon.
    let healthz = tokio::time::timeout(MARGIN, app.get("/healthz")).await;
    assert_eq!(
        healthz
            .expect("answered while the deadlines are far")
            .status(),
        200
    );
    for mut s in silent {
        read_until_closed(&mut s, MARGIN).await;
    }
}

#[tokio::test]
async fn a_queue_of_silent_sockets_at_the_cap_is_cleared_a_cap_s_worth_each_quarter_second() {
    let app = spawn_with(|s| {
        all_long(s);
        s.max_connections = 3;
    })
    .await;
    // Ten caps' worth of silent sockets, queued ahead of the real client. Cut a cap's worth a
    // second (the rule before), they would keep it waiting about 10 s; now about 2.5 s.
    let mut silent = Vec::new();
    for _ in 0..30 {
        silent.push(connect(&app).await);
    }
    let started = Instant::now();
    let healthz = tokio::time::timeout(Duration::from_secs(30), app.get("/healthz")).await;
    assert_eq!(healthz.expect("answered").status(), 200);
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(7), "waited {waited:?}");
}

#[tokio::test]
async fn at_the_connection_cap_idle_keep_alive_connections_make_room_but_busy_ones_stay() {
    let app = spawn_with(|s| {
        all_long(s);
        s.max_connections = 3;
        s.body_read_timeout = LONG;
    })
    .await;
    // Two keep-alive connections that each sent a request and now only idle.
    let mut idle = Vec::new();
    for _ in 0..2 {
        let mut stream = connect(&app).await;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        idle.push(stream);
    }
    // A third one busy: a POST whose body is still coming.
    let mut busy = connect(&app).await;
    busy.write_all(PARTIAL_POST).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let healthz = tokio::time::timeout(MARGIN, app.get("/healthz")).await;
    assert_eq!(healthz.expect("a place was made").status(), 200);
    for mut s in idle {
        read_until_closed(&mut s, MARGIN).await;
    }
    // The busy connection is still open: nothing arrives and it is not closed.
    let mut buf = [0u8; 64];
    let still = tokio::time::timeout(Duration::from_secs(1), busy.read(&mut buf)).await;
    assert!(still.is_err(), "the busy connection was left alone");
}
