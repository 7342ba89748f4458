//! The real binary: a connection cap below a low descriptor limit, and SIGTERM while holding
//! stalled connections.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::time::Instant;

use super::h2::{PREFACE_AND_SETTINGS, Stalled};
use crate::cli::free_address;

/// Starts `tokendealer serve` on `listen` under `ulimit -n NOFILE` with `config` as its TOML
/// file, and waits for /healthz. Its log (stderr) is piped.
async fn serve_limited(listen: &str, dir: &Path, nofile: u32, config: &str) -> Child {
    let config_path = dir.join("tokendealer.toml");
    std::fs::write(&config_path, config).unwrap();
    let child = Command::new("bash")
        .arg("-c")
        .arg(format!(r#"ulimit -n {nofile} && exec "$0" "$@""#))
        .arg(env!("CARGO_BIN_EXE_tokendealer"))
        .args(["serve", "--listen", listen, "--config"])
        .arg(&config_path)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--keys-dir")
        .arg(dir.join("keys"))
        .env("RUST_LOG", "info")
        .env_remove("TOKENDEALER_MAX_CONNECTIONS")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    for _ in 0..300 {
        let healthz = http.get(format!("http://{listen}/healthz")).send().await;
        if healthz.is_ok_and(|r| r.status() == 200) {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server never answered /healthz on {listen}");
}

async fn sigterm(child: &Child) {
    let pid = child.id().unwrap().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().await;
    assert!(sent.unwrap().success());
}

const SHORT_DEADLINES: &str =
    "first_byte_timeout_secs = 1\nheader_read_timeout_secs = 1\nidle_timeout_secs = 1\n";

#[tokio::test]
async fn under_a_64_descriptor_limit_idle_sockets_wait_and_healthz_answers_once_they_are_cut() {
    let log = flood_with_idle_sockets(SHORT_DEADLINES).await;
    assert!(
        log.contains("connection cap"),
        "the cap is logged at start:\n{log}"
    );
}

#[tokio::test]
async fn a_cap_set_above_the_descriptor_limit_meets_emfile_without_spinning() {
    // 200 connections wanted, 64 descriptors: accepts fail with EMFILE until idle ones are cut.
    let config = format!("{SHORT_DEADLINES}max_connections = 200\n");
    let log = flood_with_idle_sockets(&config).await;
    assert!(log.contains("leaves too few descriptors"), "{log}");
}

/// Starts the binary under `ulimit -n 64` with `config`, opens more idle sockets than it has
/// descriptors, checks that /healthz answers once they have been cut and that accept failures
/// were logged a few times at most; returns the log.
async fn flood_with_idle_sockets(config: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let listen = free_address();
    let child = serve_limited(&listen, dir.path(), 64, config).await;
    // More idle sockets than the process has descriptors: the kernel queues what is not accepted.
    let mut idle = Vec::new();
    for _ in 0..150 {
        idle.push(TcpStream::connect(&listen).await.unwrap());
    }
    let start = Instant::now();
    let healthz = tokio::time::timeout(
        Duration::from_secs(40),
        reqwest::get(format!("http://{listen}/healthz")),
    )
    .await
    .expect("/healthz answers once the idle sockets have been cut");
    assert_eq!(healthz.unwrap().status(), 200);
    let waited = start.elapsed();

    sigterm(&child).await;
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success(), "exit status {:?}", out.status);
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    let failures = log.matches("accepting a connection failed").count();
    assert!(
        failures <= 3,
        "accept failures logged {failures} times:\n{log}"
    );
    assert!(log.matches("Too many open files").count() <= 3, "{log}");
    // Idle sockets make room as soon as the cap is reached: it is answered well before 40 s.
    assert!(
        waited < Duration::from_secs(30),
        "answered after {waited:?}"
    );
    log
}

#[tokio::test]
async fn sigterm_ends_a_server_holding_stalled_connections_within_the_drain_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let listen = free_address();
    let drain = Duration::from_secs(2);
    let config = "shutdown_timeout_secs = 2\nfirst_byte_timeout_secs = 60\n\
                  header_read_timeout_secs = 60\nbody_read_timeout_secs = 60\n\
                  idle_timeout_secs = 60\n";
    let child = serve_limited(&listen, dir.path(), 1024, config).await;

    let silent = TcpStream::connect(&listen).await.unwrap();
    let mut partial_head = TcpStream::connect(&listen).await.unwrap();
    partial_head
        .write_all(b"POST /oauth/token HTTP/1.1\r\nHo")
        .await
        .unwrap();
    let mut stalled_body = TcpStream::connect(&listen).await.unwrap();
    stalled_body
        .write_all(b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\ngrant")
        .await
        .unwrap();
    let io = TokioIo::new(TcpStream::connect(&listen).await.unwrap());
    let (mut h2, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
        .await
        .unwrap();
    tokio::spawn(conn);
    let stalled_stream = http::Request::post(format!("http://{listen}/oauth/token"))
        .body(Stalled { sent: false })
        .unwrap();
    let in_flight = tokio::spawn(async move { h2.send_request(stalled_stream).await });
    let mut idle_h2 = TcpStream::connect(&listen).await.unwrap();
    idle_h2.write_all(PREFACE_AND_SETTINGS).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let start = Instant::now();
    sigterm(&child).await;
    let out = tokio::time::timeout(drain + Duration::from_secs(8), child.wait_with_output())
        .await
        .expect("the process exits within the drain deadline and a few seconds")
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit status {:?}:\n{log}", out.status);
    assert!(start.elapsed() >= drain / 2, "the drain was waited for");
    assert!(log.contains("dropping the remaining connections"), "{log}");
    drop((silent, partial_head, stalled_body, idle_h2, in_flight));
}
