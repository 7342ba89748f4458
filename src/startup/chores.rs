//! The periodic chores (the key schedule's tick, the revocation and single-use sweeps) and the process's end:
//! the stop signal, the unready delay and the exit deadline.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::domain::UnixTime;
use crate::domain::keys::KeyRotation;
use crate::domain::readiness::Readiness;
use crate::http::AppState;

/// How long a stop waits for a periodic chore under way.
pub(super) const CHORES_DEADLINE: Duration = Duration::from_secs(3);

/// The key schedule's tick: at once (catching up on what fell due while stopped), then every
/// [`crate::domain::keys::TICK`].
pub(super) async fn rotate_keys_periodically(
    rotation: Arc<KeyRotation>,
    stopping: CancellationToken,
) {
    let mut tick = tokio::time::interval(crate::domain::keys::TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stopping.cancelled() => return,
        }
        if let Err(e) = rotation.tick(UnixTime::now()).await {
            tracing::error!(error = format!("{e:#}"), "the key schedule's tick failed");
        }
    }
}

/// Drops denylist entries of tokens that have expired anyway.
pub(super) async fn sweep_revocations_periodically(
    state: Arc<AppState>,
    stopping: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stopping.cancelled() => return,
        }
        match state.revocations.sweep(UnixTime::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(removed = n, "swept expired revocations"),
            Err(e) => tracing::error!(error = format!("{e:#}"), "sweeping revocations failed"),
        }
    }
}

/// Forgets single-use identifiers (assertion and DPoP `jti`s) that have expired, freeing their
/// room under the bound; more often than revocations, since a full record refuses assertions.
pub(super) async fn sweep_single_use_periodically(
    state: Arc<AppState>,
    stopping: CancellationToken,
) {
    let mut tick = tokio::time::interval(SINGLE_USE_SWEEP);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stopping.cancelled() => return,
        }
        match state.single_use.sweep(UnixTime::now().as_secs()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(removed = n, "swept expired single-use identifiers"),
            Err(e) => tracing::error!(
                error = format!("{e:#}"),
                "sweeping single-use identifiers failed"
            ),
        }
    }
}

/// How often expired single-use identifiers are swept.
const SINGLE_USE_SWEEP: Duration = Duration::from_secs(10);

/// The start of a stop: `/readyz` answers 503 from now on, and everything is still served for
/// `delay`, while load balancers probing it take the instance out; only then does the listener
/// close.
pub(super) async fn unready_for(readiness: &Readiness, delay: Duration) {
    readiness.begin_stopping();
    if !delay.is_zero() {
        tracing::info!(
            ?delay,
            "stopping: unready, serving on until the delay is over"
        );
        tokio::time::sleep(delay).await;
    }
}

/// How long past the drain deadline a stopping process may take before it is made to exit.
pub const EXIT_MARGIN: Duration = Duration::from_secs(5);

/// Ends the process with status 1 after `deadline`, from a thread of its own that owes the
/// runtime nothing.
pub(super) fn exit_after(deadline: Duration) {
    let spawned = std::thread::Builder::new()
        .name("exit-deadline".into())
        .spawn(move || {
            std::thread::sleep(deadline);
            tracing::error!(?deadline, "stopping took too long: exiting now");
            std::process::exit(1);
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no exit deadline: could not start its thread");
    }
}

/// Completes on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
