//! Connections beyond the cap wait in the listen queue, and it is deep enough for a burst.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::{LONG, PARTIAL_POST, all_long, connect};
use crate::helpers::spawn_with;

#[tokio::test]
async fn a_burst_of_connections_beyond_the_cap_waits_in_the_listen_queue_instead_of_being_dropped()
{
    let app = spawn_with(|s| {
        all_long(s);
        s.max_connections = 1;
        s.body_read_timeout = LONG;
    })
    .await;
    // The one place stays taken: a POST whose body is still coming is never made room from.
    let mut busy = connect(&app).await;
    busy.write_all(PARTIAL_POST).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The kernel completes handshakes into the listen queue while the server accepts nothing.
    // Beyond the queue it drops them, and such a connect completes only on the client's retry
    // a second later: within 900 ms, only the queued ones connect.
    let burst = 300;
    let somaxconn: usize = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(128);
    let addr = app.base.trim_start_matches("http://").to_owned();
    let attempts: Vec<_> = (0..burst)
        .map(|_| {
            let addr = addr.clone();
            tokio::spawn(async move {
                tokio::time::timeout(Duration::from_millis(900), TcpStream::connect(addr)).await
            })
        })
        .collect();
    let mut queued = Vec::new();
    for attempt in attempts {
        if let Ok(Ok(stream)) = attempt.await.unwrap() {
            queued.push(stream);
        }
    }
    let expected = burst.min(somaxconn);
    assert!(
        queued.len() >= expected,
        "{} of {burst} connections got into the listen queue (somaxconn {somaxconn})",
        queued.len()
    );
    drop(busy);
}
