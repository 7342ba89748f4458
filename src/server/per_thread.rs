//! One single-threaded runtime per I/O thread: the acceptor hands each connection to the
//! thread with the fewest, and everything on it — reading, signing, answering — stays there.

use std::future::Future;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::anyhow;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::accept::{
    ABANDON_AFTER, Limits, accept_until, drain, shared, warn_if_above_descriptor_limit,
};
use super::connection::{self, Place, Shared};
use super::handler::Handler;
use super::tls::Tls;

/// How the main listener's connections are spread over threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IoModel {
    /// `io_threads` single-threaded runtimes; each connection lives on one of them.
    #[default]
    PerThread,
    /// One multi-threaded tokio runtime (`TOKIO_WORKER_THREADS` workers) for everything.
    Shared,
}

impl IoModel {
    /// The name the settings use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PerThread => "per-thread",
            Self::Shared => "shared",
        }
    }
}

impl FromStr for IoModel {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "per-thread" => Ok(Self::PerThread),
            "shared" => Ok(Self::Shared),
            other => Err(anyhow!("unknown io model {other:?}: per-thread or shared")),
        }
    }
}

/// An accepted connection on its way to an I/O thread, with its place under the cap.
type Handoff = (std::net::TcpStream, SocketAddr, Place);

/// One I/O thread as the acceptor sees it.
struct IoThread {
    queue: mpsc::UnboundedSender<Handoff>,
    /// Connections it serves now.
    load: Arc<AtomicUsize>,
}

/// Accepts on `listener` (on the calling runtime) and serves each connection with `handler` on
/// the least loaded of `threads` I/O threads, each a single-threaded runtime: a request is read,
/// answered (a token signed) and written on one thread, with no hand-off per request. One
/// connection cap and one drain cover every thread; returns once every thread has ended.
pub async fn serve_per_thread<H: Handler>(
    listener: TcpListener,
    threads: usize,
    handler: H,
    limits: Limits,
    tls: Option<Tls>,
    stop: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    warn_if_above_descriptor_limit(limits.max_connections);
    let tracker = TaskTracker::new();
    let shared = shared(handler, &limits, tracker.clone(), tls);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    // Each thread's runtime keeps driving its connections until the drain is over.
    let finished = CancellationToken::new();
    let mut io = Vec::with_capacity(threads);
    let mut ended = Vec::with_capacity(threads);
    for i in 0..threads.max(1) {
        let (thread, done) = start_thread(i, &shared, &tracker, &finished)?;
        io.push(thread);
        ended.push(done);
    }
    // Every queue holds at most `max_connections` hand-offs: each carries a permit.
    let dispatch = |stream: TcpStream, peer, place| {
        let Some(thread) = io.iter().min_by_key(|t| t.load.load(Ordering::Relaxed)) else {
            return;
        };
        match stream.into_std() {
            Ok(stream) => {
                thread.load.fetch_add(1, Ordering::Relaxed);
                if thread.queue.send((stream, peer, place)).is_err() {
                    thread.load.fetch_sub(1, Ordering::Relaxed);
                }
            }
            Err(e) => tracing::debug!(%peer, error = %e, "could not hand a connection over"),
        }
    };
    accept_until(&listener, &shared, &permits, &limits, dispatch, stop).await;
    drop(listener);
    drop(io);
    drain(&tracker, &shared, limits.shutdown_timeout).await;
    finished.cancel();
    for done in ended {
        let _ = timeout(ABANDON_AFTER * 2, done).await;
    }
    Ok(())
}

/// Starts I/O thread `i`: a single-threaded runtime serving what the acceptor sends it until
/// `finished`.
fn start_thread<H: Handler>(
    i: usize,
    shared: &Arc<Shared<H>>,
    tracker: &TaskTracker,
    finished: &CancellationToken,
) -> anyhow::Result<(IoThread, tokio::sync::oneshot::Receiver<()>)> {
    let (queue, mut incoming) = mpsc::unbounded_channel::<Handoff>();
    let load = Arc::new(AtomicUsize::new(0));
    let (ended, done) = tokio::sync::oneshot::channel::<()>();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (shared, tracker, finished, counted) = (
        shared.clone(),
        tracker.clone(),
        finished.clone(),
        load.clone(),
    );
    std::thread::Builder::new()
        .name(format!("io-{i}"))
        .spawn(move || {
            runtime.block_on(async move {
                while let Some((stream, peer, place)) = incoming.recv().await {
                    let Ok(stream) = TcpStream::from_std(stream) else {
                        counted.fetch_sub(1, Ordering::Relaxed);
                        continue;
                    };
                    let (shared, counted) = (shared.clone(), counted.clone());
                    tracker.spawn(async move {
                        connection::serve(shared, stream, peer, place).await;
                        counted.fetch_sub(1, Ordering::Relaxed);
                    });
                }
                // The acceptor has stopped: serve what is open until the drain is over.
                finished.cancelled().await;
            });
            // Tasks the drain gave up on are dropped here, not waited for.
            runtime.shutdown_timeout(ABANDON_AFTER);
            drop(ended);
        })?;
    Ok((IoThread { queue, load }, done))
}
