//! The per-thread I/O model: several runtimes share one connection cap and one drain.

use std::time::Duration;

use tokendealer::server::IoModel;
use tokio::io::AsyncWriteExt;

use super::{LONG, MARGIN, PARTIAL_POST, all_long, connect, read_until_closed};
use crate::helpers::spawn_with;

#[tokio::test]
async fn the_connection_cap_holds_in_total_over_every_io_thread() {
    let app = spawn_with(|s| {
        all_long(s);
        s.body_read_timeout = LONG;
        s.max_connections = 3;
        s.io = IoModel::PerThread;
        s.io_threads = 4;
    })
    .await;
    // Three connections busy with a request whose body is still coming: the whole cap.
    let mut busy = Vec::new();
    for _ in 0..3 {
        let mut stream = connect(&app).await;
        stream.write_all(PARTIAL_POST).await.unwrap();
        busy.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (http, url) = (app.http.clone(), app.url("/healthz"));
    let mut waiting = tokio::spawn(async move { http.get(url).send().await });
    let early = tokio::time::timeout(Duration::from_secs(1), &mut waiting).await;
    assert!(
        early.is_err(),
        "a fourth connection was served past a cap of three"
    );

    // One busy connection ends: its place goes to the waiting one.
    drop(busy.pop());
    let answered = tokio::time::timeout(MARGIN, waiting).await;
    let status = answered
        .expect("served once a place was free")
        .unwrap()
        .unwrap()
        .status();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_stop_drains_connections_on_every_io_thread() {
    let mut app = spawn_with(|s| {
        all_long(s);
        s.io = IoModel::PerThread;
        s.io_threads = 4;
        s.shutdown_timeout = Duration::from_secs(2);
    })
    .await;
    // Sixteen silent connections: the acceptor spreads them over the four threads.
    let mut silent = Vec::new();
    for _ in 0..16 {
        silent.push(connect(&app).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = tokio::time::Instant::now();
    app.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(2) + MARGIN,
        "stop took {:?}",
        started.elapsed()
    );
    // Every connection was closed by the stop, whichever thread served it.
    for mut s in silent {
        let (took, _) = read_until_closed(&mut s, Duration::from_secs(1)).await;
        assert!(
            took < Duration::from_secs(1),
            "a connection outlived the stop"
        );
    }
    assert!(
        tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
            .await
            .is_err(),
        "still accepting after the stop"
    );
}

#[tokio::test]
async fn at_the_cap_a_new_connection_with_its_request_already_sent_is_answered_not_reset() {
    for io in [IoModel::PerThread, IoModel::Shared] {
        let app = spawn_with(|s| {
            all_long(s);
            s.body_read_timeout = LONG;
            s.max_connections = 1;
            s.io = io;
        })
        .await;
        // The only place, busy with a request whose body is still coming.
        let mut busy = connect(&app).await;
        busy.write_all(PARTIAL_POST).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        // A new connection sends its whole request at once and waits to be accepted.
        let mut waiting = connect(&app).await;
        waiting
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        // The place frees; the acceptor takes the waiting connection and at once waits for a
        // place again, asking idle connections to make room: not this one, whose request is
        // on the wire.
        drop(busy);
        let (_, answer) = read_until_closed(&mut waiting, MARGIN).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "{io:?}: the waiting request got {answer:?}"
        );
    }
}
