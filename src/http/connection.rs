//! One connection's life: hyper's per-protocol limits, and a watchdog that closes the connection
//! when protocol detection or an idle spell overruns its deadline, or when the server drains.
//!
//! Each phase has its own bound: detection `first_byte_timeout` (here: hyper-util's sniffing has
//! none); an HTTP/1 head `header_read_timeout` (hyper); a body `body_read_timeout` (the handler's
//! `read_body`, which answers 408); no request in flight `idle_timeout` (here, both protocols);
//! a silent HTTP/2 peer the keep-alive PING. A request in flight is bounded by its body deadline
//! and the handler's own work, so the watchdog leaves it alone: no cap on a connection's age.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, watch};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::AppState;
use super::server::Limits;

/// After a deadline cut, how long a connection may take to say goodbye (an HTTP/2 GOAWAY).
const CUT_GRACE: Duration = Duration::from_secs(1);
/// HTTP/1 read buffer, hence the largest request head (hyper's default is 400 KiB).
const H1_MAX_BUF: usize = 64 * 1024;
/// HTTP/2 flow control: a peer can make the server buffer at most this per stream (one largest
/// accepted body) and per connection. hyper's defaults are 1 MiB each.
const H2_STREAM_WINDOW: u32 = 64 * 1024;
const H2_CONNECTION_WINDOW: u32 = 256 * 1024;
const H2_MAX_HEADER_LIST: u32 = 16 * 1024;
const H2_MAX_SEND_BUF: usize = 64 * 1024;
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What every connection task shares.
pub(super) struct Shared {
    pub state: Arc<AppState>,
    pub builder: auto::Builder<Tracked>,
    pub first_byte_timeout: Duration,
    pub idle_timeout: Duration,
    /// Cancelled when the server stops: finish what is in flight, start nothing new.
    pub draining: CancellationToken,
    /// Cancelled when the drain deadline has passed: drop the connection.
    pub closing: CancellationToken,
}

/// hyper's builder with every per-protocol bound set. HTTP/2 streams run as tasks of `tracker`,
/// so that a stop can wait for them as for the connections.
pub(super) fn builder(limits: &Limits, tracker: TaskTracker) -> auto::Builder<Tracked> {
    let mut builder = auto::Builder::new(Tracked(tracker));
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(H1_MAX_BUF);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.h2_keepalive_interval)
        .keep_alive_timeout(limits.h2_keepalive_timeout)
        .max_concurrent_streams(limits.h2_max_concurrent_streams)
        .initial_stream_window_size(H2_STREAM_WINDOW)
        .initial_connection_window_size(H2_CONNECTION_WINDOW)
        .max_header_list_size(H2_MAX_HEADER_LIST)
        .max_send_buf_size(H2_MAX_SEND_BUF);
    builder
}

/// Serves one accepted connection until it ends, is cut, or is dropped at shutdown. The permit
/// is its place under the connection cap, given back when this returns.
pub(super) async fn serve(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let accepted = Instant::now();
    let (activity, mut watched) = watch::channel(Activity {
        protocol: Protocol::Sniffing,
        in_flight: 0,
        idle_since: accepted,
    });
    let io = TokioIo::new(Sniffer::new(stream, activity.clone()));
    let state = shared.state.clone();
    let service = service_fn(move |req| {
        let in_flight = InFlight::begin(&activity);
        let answer = super::handle(state.clone(), peer, req);
        async move {
            let response = answer.await;
            drop(in_flight);
            response
        }
    });
    let conn = shared.builder.serve_connection(io, service);
    tokio::pin!(conn);

    let mut watching = true;
    let ending = loop {
        let now = *watched.borrow_and_update();
        let deadline = match now {
            Activity { in_flight: 1.., .. } => None,
            Activity {
                protocol: Protocol::Sniffing,
                ..
            } => Some((
                accepted + shared.first_byte_timeout,
                "no request line or preface",
            )),
            _ => Some((now.idle_since + shared.idle_timeout, "idle")),
        };
        let (at, reason) = deadline.unwrap_or((accepted, ""));
        tokio::select! {
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            changed = watched.changed(), if watching => watching = changed.is_ok(),
            () = sleep_until(at), if deadline.is_some() => break Ending::Cut(reason),
            () = shared.draining.cancelled() => break Ending::Drain,
        }
    };
    conn.as_mut().graceful_shutdown();
    match ending {
        Ending::Cut(reason) => {
            tracing::debug!(%peer, reason, protocol = ?watched.borrow().protocol, "closing the connection");
            let _ = timeout(CUT_GRACE, conn.as_mut()).await;
        }
        Ending::Drain => {
            tokio::select! {
                _ = conn.as_mut() => {}
                () = shared.closing.cancelled() => {
                    tracing::debug!(%peer, "drain deadline passed: dropping the connection");
                }
            }
        }
    }
}

enum Ending {
    Cut(&'static str),
    Drain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// Fewer bytes than tell HTTP/1 from the HTTP/2 preface.
    Sniffing,
    Http1,
    Http2,
}

/// What the watchdog sees of a connection.
#[derive(Debug, Clone, Copy)]
struct Activity {
    protocol: Protocol,
    /// Requests whose handler has not finished.
    in_flight: usize,
    /// When `in_flight` last fell to 0 (or the accept). Recorded by the requests themselves:
    /// a quick one may start and end before the watchdog looks.
    idle_since: Instant,
}

/// Counts a request as in flight until dropped: when its handler finishes or is abandoned.
struct InFlight(watch::Sender<Activity>);

impl InFlight {
    fn begin(activity: &watch::Sender<Activity>) -> Self {
        activity.send_modify(|a| a.in_flight += 1);
        Self(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|a| {
            a.in_flight = a.in_flight.saturating_sub(1);
            if a.in_flight == 0 {
                a.idle_since = Instant::now();
            }
        });
    }
}

/// The socket, reporting which protocol its first bytes announce by the test hyper-util's
/// `auto::Builder` applies (the HTTP/2 preface, or anything else for HTTP/1), so that the
/// detection deadline ends exactly when hyper-util's sniffing does.
struct Sniffer {
    io: TcpStream,
    matched: usize,
    /// Dropped once the protocol is known.
    report: Option<watch::Sender<Activity>>,
}

impl Sniffer {
    fn new(io: TcpStream, report: watch::Sender<Activity>) -> Self {
        Self {
            io,
            matched: 0,
            report: Some(report),
        }
    }

    fn observe(&mut self, read: &[u8]) {
        // End of stream counts as HTTP/1, as in hyper-util: its HTTP/1 side then ends the connection.
        let mut known = read.is_empty().then_some(Protocol::Http1);
        for &byte in read {
            if H2_PREFACE.get(self.matched) != Some(&byte) {
                known = Some(Protocol::Http1);
                break;
            }
            self.matched += 1;
            if self.matched == H2_PREFACE.len() {
                known = Some(Protocol::Http2);
                break;
            }
        }
        let Some(protocol) = known else { return };
        if let Some(report) = self.report.take() {
            report.send_modify(|a| a.protocol = protocol);
        }
    }
}

impl AsyncRead for Sniffer {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if this.report.is_some() && matches!(polled, Poll::Ready(Ok(()))) {
            this.observe(&buf.filled()[before..]);
        }
        polled
    }
}

impl AsyncWrite for Sniffer {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// hyper's executor for HTTP/2 streams: tokio tasks, tracked.
#[derive(Clone)]
pub(super) struct Tracked(TaskTracker);

impl<F> hyper::rt::Executor<F> for Tracked
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        self.0.spawn(future);
    }
}
