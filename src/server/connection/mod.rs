//! One connection's life: hyper's per-protocol limits, and a watchdog that closes the connection
//! when a phase overruns its deadline, or when the server drains.
//!
//! Each phase has its own bound: protocol detection `first_byte_timeout` (hyper-util's sniffing
//! has none); an HTTP/1 head `header_read_timeout`, from its first byte; a body the handler's
//! own deadline (the dealer's `body_read_timeout`, which answers 408); no request in flight
//! `idle_timeout`, both protocols; a silent HTTP/2 peer the keep-alive PING. A request in flight
//! is bounded by its body deadline and the handler's own work, so the watchdog leaves it alone:
//! a connection that keeps making progress may live as long as it likes. Over TLS the
//! handshake comes first, with its own deadline (`handshake`); the phases above follow it.

mod activity;
mod handshake;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::Request;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, watch};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub(super) use self::activity::Deadlines;
use self::activity::{Activity, InFlight, Watched};
pub(super) use self::handshake::TlsServing;
use super::accept::Limits;
use super::handler::{ConnectionInfo, Handler};

/// At the connection cap, a connection idle this long is closed to make room: not one idle for
/// an instant (just accepted, or between two requests of a busy client), whose next request may
/// already be on the wire.
const MIN_IDLE_TO_MAKE_ROOM: Duration = Duration::from_secs(1);
/// The same for a connection that has sent nothing since its accept. A client sends its request
/// right behind its handshake, so by the accept it has usually arrived; and a connection's bytes
/// are read (hyper is polled first) before it is judged silent. A short bound here is what lets
/// a newcomer through a queue of silent sockets: each call for room frees a cap's worth of them.
const MIN_SILENT_TO_MAKE_ROOM: Duration = Duration::from_millis(250);
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

/// What every connection task shares.
pub(super) struct Shared<H> {
    /// What answers the requests.
    pub handler: H,
    pub builder: auto::Builder<Tracked>,
    pub deadlines: Deadlines,
    /// Cancelled when the server stops: finish what is in flight, start nothing new.
    pub draining: CancellationToken,
    /// Cancelled when the drain deadline has passed: drop the connection.
    pub closing: CancellationToken,
    /// Bumped while the connection cap is reached: idle connections close to make room, so
    /// keep-alive connections that only trickle requests cannot hold every place.
    pub pressure: watch::Sender<u64>,
    /// HTTPS: the handshake before HTTP; `None` serves plain HTTP.
    pub tls: Option<TlsServing>,
}

/// A connection's place under the cap, taken at accept: its permit, its view of the cap's
/// calls for room from that moment on (one made before the connection task starts counts too),
/// and the instant of the accept. Its silence is timed from then, not from when its task first
/// runs (later on a busy machine, or on another I/O thread): a call for room made
/// [`MIN_SILENT_TO_MAKE_ROOM`] after the accept always finds a silent connection idle long enough
/// to close.
pub(super) struct Place {
    pub permit: OwnedSemaphorePermit,
    pub pressure: watch::Receiver<u64>,
    pub accepted: Instant,
}

/// hyper's builder with every per-protocol bound set. HTTP/2 streams run as tasks of `tracker`,
/// so that a stop can wait for them as for the connections.
pub(super) fn builder(limits: &Limits, tracker: TaskTracker) -> auto::Builder<Tracked> {
    let mut builder = auto::Builder::new(Tracked(tracker));
    // hyper's own head timer also runs while a kept-alive connection waits for its next
    // request, which would make it the idle deadline as well; the watchdog times a head from its
    // first byte instead.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(None)
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
pub(super) async fn serve<H: Handler>(
    shared: Arc<Shared<H>>,
    stream: TcpStream,
    peer: SocketAddr,
    place: Place,
) {
    let Place {
        permit: _permit,
        mut pressure,
        accepted,
    } = place;
    let _ = stream.set_nodelay(true);
    match &shared.tls {
        None => {
            let info = ConnectionInfo::plain(peer);
            serve_http(&shared, &shared.builder, stream, info, pressure, accepted).await;
        }
        Some(tls) => {
            if let Some(stream) = handshake::accept(&shared, tls, stream, peer).await {
                // A handshake under way is not idle: calls for room made during it are not for
                // this connection (the next one, a quarter second later, is).
                pressure.borrow_and_update();
                let builder = tls.builder(&shared.builder, &stream);
                let info = handshake::connection_info(tls, &stream, peer);
                serve_http(&shared, builder, stream, info, pressure, Instant::now()).await;
            }
        }
    }
}

/// Serves HTTP on `stream` (a TCP socket, or a TLS session over one) with `builder`; the
/// first-byte deadline and idleness count from `accepted` (the accept, or the handshake's end).
/// Each request carries `info` in its extensions to the handler.
async fn serve_http<H: Handler, S>(
    shared: &Shared<H>,
    builder: &auto::Builder<Tracked>,
    stream: S,
    info: ConnectionInfo,
    mut pressure: watch::Receiver<u64>,
    accepted: Instant,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let peer = info.peer;
    let (activity, mut watched) = watch::channel(Activity::new(accepted));
    let io = TokioIo::new(Watched::new(stream, activity.clone()));
    let handler = shared.handler.clone();
    let service = service_fn(move |mut req: Request<Incoming>| {
        let in_flight = InFlight::begin(&activity);
        let (handler, info) = (handler.clone(), info.clone());
        // The handler's future is made inside, in place: made outside and moved in, it would be
        // held twice over (kilobytes) and copied on every move.
        async move {
            req.extensions_mut().insert(info.clone());
            let response = handler.call(req, &info).await;
            drop(in_flight);
            response
        }
    });
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);

    let mut watching = true;
    let check = sleep_until(accepted + shared.deadlines.first_byte);
    tokio::pin!(check);
    let ending = loop {
        tokio::select! {
            // The connection first: bytes that have arrived are read (and seen by the watchdog)
            // before a call for room can judge it silent.
            biased;
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            changed = watched.changed(), if watching => watching = changed.is_ok(),
            () = &mut check => {}
            () = shared.draining.cancelled() => break Ending::Drain,
            Ok(()) = pressure.changed() => {
                let activity = *watched.borrow();
                let min = if activity.never_spoke() {
                    MIN_SILENT_TO_MAKE_ROOM
                } else {
                    MIN_IDLE_TO_MAKE_ROOM
                };
                if activity.idle_at_least(Instant::now(), min) {
                    break Ending::Cut("idle while the connection cap is reached");
                }
            }
        }
        let activity = *watched.borrow_and_update();
        match activity.verdict(&shared.deadlines, accepted, Instant::now()) {
            Ok(next) => check.as_mut().reset(next),
            Err(reason) => break Ending::Cut(reason),
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
