//! Memory under stalled HTTP/2 streams, read from `/proc` of the real binary (a process of its
//! own: the test's allocations do not count): issue 21's 10 connections × 200 streams, each
//! sending 60,000 bytes of a body that announces more and then nothing.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::time::Instant;

use crate::cli::free_address;

const CONNECTIONS: usize = 10;
const STREAMS: usize = 200;
const SENT: usize = 60_000;
const MIB: u64 = 1024;

/// `sent` bytes, then nothing, of a body announcing 90 more.
struct Stalled(Option<Bytes>);

impl Body for Stalled {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.0.take() {
            Some(bytes) => Poll::Ready(Some(Ok(Frame::data(bytes)))),
            None => Poll::Pending,
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(SENT as u64 + 90)
    }
}

/// VmRSS of `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .unwrap();
    line.trim().trim_end_matches("kB").trim().parse().unwrap()
}

/// `tokendealer serve` with a 3 s body deadline (the streams are cut sooner), started twice on
/// the same dirs: the first start's key generation and operator password hash do not count.
/// `TOKENDEALER_BIN` runs another build (an older one, to see this test fail), as the benches do.
async fn serve(listen: &str, dir: &std::path::Path) -> Child {
    let config = dir.join("tokendealer.toml");
    std::fs::write(&config, "body_read_timeout_secs = 3\n").unwrap();
    let bin = std::env::var("TOKENDEALER_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_tokendealer").to_owned());
    let start = || {
        Command::new(&bin)
            .args(["serve", "--listen", listen, "--config"])
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--keys-dir")
            .arg(dir.join("keys"))
            .env("RUST_LOG", "warn")
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    let http = reqwest::Client::new();
    let up = || async {
        for _ in 0..400 {
            let r = http.get(format!("http://{listen}/healthz")).send().await;
            if r.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server never answered /healthz on {listen}");
    };
    let mut first = start();
    up().await;
    let pid = first.id().unwrap().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().await;
    assert!(sent.unwrap().success());
    first.wait().await.unwrap();
    let child = start();
    up().await;
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_http2_streams_cost_at_most_48_mib_and_give_it_back_once_cut() {
    let dir = tempfile::tempdir().unwrap();
    let listen = free_address();
    let child = serve(&listen, dir.path()).await;
    let pid = child.id().unwrap();
    let start = rss_kib(pid);

    let peak = Arc::new(AtomicU64::new(start));
    let watching = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watcher = {
        let (peak, watching) = (peak.clone(), watching.clone());
        tokio::spawn(async move {
            while watching.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let body = Bytes::from(vec![b'a'; SENT]);
    let mut drivers = Vec::new();
    let mut streams = Vec::new();
    for _ in 0..CONNECTIONS {
        let io = TokioIo::new(TcpStream::connect(&listen).await.unwrap());
        let (sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .unwrap();
        drivers.push(tokio::spawn(conn));
        for _ in 0..STREAMS {
            let mut sender = sender.clone();
            let request = http::Request::post(format!("http://{listen}/oauth/token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Stalled(Some(body.clone())))
                .unwrap();
            streams.push(tokio::spawn(async move {
                sender.ready().await.ok()?;
                let response = sender.send_request(request).await.ok()?;
                Some(response.status().as_u16())
            }));
        }
    }
    let mut answered = std::collections::BTreeMap::<Option<u16>, usize>::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    for stream in streams {
        let status = tokio::time::timeout_at(deadline, stream)
            .await
            .expect("every stream is answered: refused at once, or cut at the body deadline")
            .unwrap();
        *answered.entry(status).or_default() += 1;
    }
    watching.store(false, Ordering::Relaxed);
    watcher.await.unwrap();
    for driver in drivers {
        driver.abort();
    }
    let peak = peak.load(Ordering::Relaxed);
    eprintln!("RSS {start} KiB at start, {peak} KiB at the peak; answered {answered:?}");
    assert!(
        peak - start <= 48 * MIB,
        "{} KiB at start, {peak} KiB at the peak: +{} MiB ({answered:?})",
        start,
        (peak - start) / MIB
    );
    assert_eq!(
        answered.keys().copied().collect::<Vec<_>>(),
        [Some(408), Some(503)],
        "408 at the body deadline, 503 past the body budget: {answered:?}"
    );

    // Once the streams are over, the memory goes back (the trim looks every 5 s).
    let cut = Instant::now();
    let mut now = rss_kib(pid);
    while now > start + 16 * MIB && cut.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        now = rss_kib(pid);
    }
    eprintln!("RSS {now} KiB {:?} after the streams ended", cut.elapsed());
    assert!(
        now <= start + 16 * MIB,
        "{start} KiB at start, {now} KiB 30 s after the streams ended: +{} MiB",
        (now - start) / MIB
    );
    let healthz = reqwest::get(format!("http://{listen}/healthz"))
        .await
        .unwrap();
    assert_eq!(healthz.status(), 200);
}
