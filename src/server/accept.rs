//! The accept loop: at most `max_connections` at once, accept failures paced and logged sparingly,
//! every connection tracked, and a stop that drains them and then drops what is left.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};
use tokio::time::{Instant, sleep, timeout};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::connection::{self, Place, Shared, TlsServing};
use super::handler::Handler;
use super::throttle::Throttled;
use super::tls::Tls;

/// Descriptors kept back from connections: the database's files, key files, the listener,
/// stdio, the runtime's epoll and signal pipes — with room to spare.
pub const RESERVED_DESCRIPTORS: u64 = 32;

/// The connection limits and deadlines of a listener.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_connections: usize,
    pub first_byte_timeout: Duration,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub h2_keepalive_interval: Duration,
    pub h2_keepalive_timeout: Duration,
    pub h2_max_concurrent_streams: u32,
    /// HTTPS: from accept until the TLS handshake is done.
    pub tls_handshake_timeout: Duration,
    /// How long a stop waits for connections to finish before dropping them.
    pub shutdown_timeout: Duration,
}

/// After the drain deadline the remaining connections are dropped; their tasks get this long to
/// notice before `serve` returns without them (a handler stuck in blocking work, say).
pub(super) const ABANDON_AFTER: Duration = Duration::from_secs(2);
/// The first pause after a failed accept; it doubles up to `MAX_PAUSE` while failures go on.
const MIN_PAUSE: Duration = Duration::from_millis(10);
const MAX_PAUSE: Duration = Duration::from_secs(1);

/// How often idle connections are asked to close while the connection cap is reached.
const PRESSURE_EVERY: Duration = Duration::from_millis(250);

/// Waits for a place under the connection cap, meanwhile asking idle connections to close each
/// [`PRESSURE_EVERY`] (one idle now may have been busy at the last ask); `None` once `stop` is
/// done.
async fn wait_for_place<H: Handler, F: Future<Output = ()>>(
    permits: &Arc<Semaphore>,
    shared: &Shared<H>,
    stop: &mut std::pin::Pin<&mut F>,
) -> Option<OwnedSemaphorePermit> {
    let mut ask = tokio::time::interval(PRESSURE_EVERY);
    loop {
        tokio::select! {
            biased;
            () = stop.as_mut() => return None,
            permit = permits.clone().acquire_owned() => return permit.ok(),
            _ = ask.tick() => shared.pressure.send_modify(|n| *n = n.wrapping_add(1)),
        }
    }
}

/// Serves `listener` (HTTPS when `tls` is given) with `handler` on the ambient runtime until
/// `stop` completes; then stops accepting, lets every connection finish what is in flight for at
/// most `limits.shutdown_timeout`, and drops the rest.
pub async fn serve<H: Handler>(
    listener: TcpListener,
    handler: H,
    limits: Limits,
    tls: Option<Tls>,
    stop: impl Future<Output = ()>,
) {
    warn_if_above_descriptor_limit(limits.max_connections);
    let tracker = TaskTracker::new();
    let shared = shared(handler, &limits, tracker.clone(), tls);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let serve = |stream, peer, place| {
        tracker.spawn(connection::serve(shared.clone(), stream, peer, place));
    };
    accept_until(&listener, &shared, &permits, &limits, serve, stop).await;
    drop(listener);
    drain(&tracker, &shared, limits.shutdown_timeout).await;
}

/// What every connection of one listener shares; with `tls`, each begins with a handshake.
pub(super) fn shared<H: Handler>(
    handler: H,
    limits: &Limits,
    tracker: TaskTracker,
    tls: Option<Tls>,
) -> Arc<Shared<H>> {
    let builder = connection::builder(limits, tracker);
    let tls = tls.map(|tls| TlsServing::new(tls, limits.tls_handshake_timeout, &builder));
    Arc::new(Shared {
        handler,
        tls,
        builder,
        deadlines: connection::Deadlines {
            first_byte: limits.first_byte_timeout,
            header_read: limits.header_read_timeout,
            idle: limits.idle_timeout,
        },
        draining: CancellationToken::new(),
        closing: CancellationToken::new(),
        pressure: tokio::sync::watch::Sender::new(0),
    })
}

/// Accepts on `listener` until `stop` completes, handing each accepted socket with its place
/// under the cap to `serve`. A permit is taken before accepting: beyond the cap, connections
/// wait in the kernel's queue instead of costing a descriptor and a task each.
pub(super) async fn accept_until<H: Handler>(
    listener: &TcpListener,
    shared: &Shared<H>,
    permits: &Arc<Semaphore>,
    limits: &Limits,
    mut serve: impl FnMut(TcpStream, SocketAddr, Place),
    stop: impl Future<Output = ()>,
) {
    let mut full = Throttled::default();
    let mut failures = Throttled::default();
    let mut pause = MIN_PAUSE;
    tokio::pin!(stop);
    loop {
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(TryAcquireError::Closed) => break,
            Err(TryAcquireError::NoPermits) => {
                if let Some(unlogged) = full.due(std::time::Instant::now()) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        unlogged,
                        "connection cap reached: new connections wait to be accepted"
                    );
                }
                match wait_for_place(permits, shared, &mut stop).await {
                    Some(permit) => permit,
                    None => break,
                }
            }
        };
        let accepted = tokio::select! {
            biased;
            () = &mut stop => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                pause = MIN_PAUSE;
                let place = Place {
                    permit,
                    pressure: shared.pressure.subscribe(),
                    accepted: Instant::now(),
                };
                serve(stream, peer, place);
            }
            Err(e) => {
                drop(permit);
                log_accept_failure(&e, pause, &mut failures);
                tokio::select! {
                    biased;
                    () = &mut stop => break,
                    () = sleep(pause) => pause = (pause * 2).min(MAX_PAUSE),
                }
            }
        }
    }
}

/// Out of descriptors (EMFILE) and the like: the connection stays in the kernel's queue, so the
/// loop pauses rather than spinning on it.
fn log_accept_failure(e: &io::Error, pause: Duration, log: &mut Throttled) {
    if let Some(unlogged) = log.due(std::time::Instant::now()) {
        tracing::warn!(error = %e, ?pause, unlogged, "accepting a connection failed; pausing");
    }
}

pub(super) async fn drain<H: Handler>(
    tracker: &TaskTracker,
    shared: &Shared<H>,
    deadline: Duration,
) {
    tracing::info!(tasks = tracker.len(), "stopping: draining open connections");
    shared.draining.cancel();
    tracker.close();
    if timeout(deadline, tracker.wait()).await.is_ok() {
        tracing::info!("all connections closed");
        return;
    }
    tracing::warn!(
        tasks = tracker.len(),
        "shutdown timeout: dropping the remaining connections"
    );
    shared.closing.cancel();
    if timeout(ABANDON_AFTER, tracker.wait()).await.is_err() {
        tracing::warn!(tasks = tracker.len(), "abandoning tasks that did not end");
    }
}

pub(super) fn warn_if_above_descriptor_limit(max_connections: usize) {
    let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE) else {
        return;
    };
    let wanted = (max_connections as u64).saturating_add(RESERVED_DESCRIPTORS);
    if wanted > soft {
        tracing::warn!(
            max_connections,
            descriptor_limit = soft,
            "max_connections leaves too few descriptors: accepts may fail with EMFILE"
        );
    } else {
        tracing::info!(max_connections, descriptor_limit = soft, "connection cap");
    }
}
