//! The audit trail: every admin action and every failed client authentication or login, as one
//! JSON line each in the audit log (appended by one writer thread through a bounded queue) and
//! in bounded in-memory rings of recent events, one per kind ([`recent`]), for the admin API
//! and the console.
//!
//! Recording never blocks and never fails: a full queue drops the event (counted, warned about
//! at most every [`WARN_EVERY_SECS`]), a write error is logged and counted. No event holds a
//! secret, password, token or hash: the types below have no field that could carry one.

mod recent;

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use serde::Serialize;

use super::metrics::Metrics;
use crate::domain::UnixTime;
use crate::domain::auth_failure::FailureReason;
use crate::domain::origin::{Origin, RequestId};
use recent::Recent;
pub use recent::{AuditKind, RECENT_CAPACITY};
/// Events waiting for the writer thread, at most.
const QUEUE: usize = 4096;
/// A presented id longer than this is cut: a flood of huge names must not make huge lines.
const MAX_PRESENTED: usize = 128;
const WARN_EVERY_SECS: u64 = 10;
/// After a failed open or write, the log is opened again at most this often.
const REOPEN_EVERY: Duration = Duration::from_secs(10);

/// Who did an admin action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// A client with the admin scope, by its id.
    Client(String),
    /// A person signed in to the web console, by operator name.
    Operator(String),
}

/// How an admin action ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The HTTP status it was answered with.
    pub status: u16,
    pub success: bool,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AuditEvent {
    AdminAction {
        actor: Actor,
        /// `client.add`, `key.rotate`, `user.set_password`, …
        action: String,
        /// What it acted on (a client id, a kid, a name); `None` if the request never said.
        target: Option<String>,
        outcome: Outcome,
    },
    ClientAuthFailed {
        presented_id: String,
        reason: FailureReason,
    },
    LoginFailed {
        presented_id: String,
        reason: FailureReason,
    },
}

impl AuditEvent {
    /// A failed authentication of the client or user `presented` claims to be, cut to a sane
    /// length.
    pub fn failure(presented: &str, reason: FailureReason) -> Self {
        let mut end = presented.len().min(MAX_PRESENTED);
        while !presented.is_char_boundary(end) {
            end -= 1;
        }
        let presented_id = presented.get(..end).unwrap_or_default().to_owned();
        if reason.is_client() {
            Self::ClientAuthFailed {
                presented_id,
                reason,
            }
        } else {
            Self::LoginFailed {
                presented_id,
                reason,
            }
        }
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    /// Unix seconds.
    pub time: u64,
    #[serde(flatten)]
    pub event: AuditEvent,
    pub source: std::net::IpAddr,
    pub request_id: RequestId,
}

/// Where the audit log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditSink {
    Stdout,
    File(PathBuf),
}

impl AuditSink {
    /// `-` is stdout, anything else a file path.
    pub fn parse(raw: &Path) -> Self {
        if raw == Path::new("-") {
            Self::Stdout
        } else {
            Self::File(raw.to_owned())
        }
    }
}

/// The audit trail's handle. Cheap to clone; the writer thread ends when the last one is gone.
#[derive(Clone)]
pub struct AuditTrail {
    inner: Arc<Inner>,
}

struct Inner {
    recent: Recent,
    queue: Option<Sender<Arc<AuditRecord>>>,
    metrics: Arc<Metrics>,
    last_warning: AtomicU64,
    /// Closed by the writer thread as it ends, so a drop can wait (bounded) for the last lines.
    done: Option<Receiver<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(done) = &self.done {
            let _ = done.recv_timeout(Duration::from_secs(2));
        }
    }
}

impl std::fmt::Debug for AuditTrail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditTrail")
            .field("writes", &self.inner.queue.is_some())
            .finish_non_exhaustive()
    }
}

impl AuditTrail {
    /// A trail kept in memory only (no audit log configured).
    pub fn in_memory(metrics: Arc<Metrics>) -> Self {
        Self::with_queue(None, None, metrics)
    }

    /// A trail also appended to `sink` by a writer thread. The file is opened (created 0600) by
    /// that thread; if it cannot be, that is logged and retried, and the dealer serves on.
    pub fn writing_to(sink: AuditSink, metrics: Arc<Metrics>) -> anyhow::Result<Self> {
        let (tx, rx) = crossbeam_channel::bounded(QUEUE);
        let (finished, done) = crossbeam_channel::bounded::<()>(0);
        let writer_metrics = metrics.clone();
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || {
                write_lines(&sink, &rx, &writer_metrics);
                drop(finished);
            })?;
        Ok(Self::with_queue(Some(tx), Some(done), metrics))
    }

    fn with_queue(
        queue: Option<Sender<Arc<AuditRecord>>>,
        done: Option<Receiver<()>>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                recent: Recent::default(),
                queue,
                metrics,
                last_warning: AtomicU64::new(0),
                done,
            }),
        }
    }

    /// Records `event`, caused by the request `origin`, at `now`.
    pub fn record(&self, event: AuditEvent, origin: &Origin, now: UnixTime) {
        let record = Arc::new(AuditRecord {
            time: now.as_secs(),
            event,
            source: origin.address,
            request_id: origin.request_id.clone(),
        });
        self.inner.recent.push(record.clone());
        let Some(queue) = &self.inner.queue else {
            return;
        };
        if let Err(TrySendError::Full(_)) = queue.try_send(record) {
            self.inner.metrics.audit_dropped();
            let last = self.inner.last_warning.load(Ordering::Relaxed);
            if now.as_secs() >= last.saturating_add(WARN_EVERY_SECS)
                && self
                    .inner
                    .last_warning
                    .compare_exchange(last, now.as_secs(), Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                tracing::warn!("the audit log's queue is full: events are being dropped");
            }
        }
    }

    /// The most recent `limit` events of both kinds, newest first.
    pub fn recent(&self, limit: usize) -> Vec<Arc<AuditRecord>> {
        self.recent_of(None, limit)
    }

    /// The most recent `limit` events of `kind` (at most [`RECENT_CAPACITY`] of each kind kept;
    /// both kinds, merged in the order they happened, if `None`), newest first.
    pub fn recent_of(&self, kind: Option<AuditKind>, limit: usize) -> Vec<Arc<AuditRecord>> {
        self.inner.recent.newest(kind, limit)
    }
}

/// The writer thread: one line per event, appended; failures logged (sparingly) and counted.
fn write_lines(sink: &AuditSink, inbox: &Receiver<Arc<AuditRecord>>, metrics: &Metrics) {
    let mut out: Option<Box<dyn Write>> = None;
    let mut last_open: Option<Instant> = None;
    let mut last_warning: Option<Instant> = None;
    let mut warn = |what: &str, e: &dyn std::fmt::Display| {
        if last_warning.is_none_or(|t| t.elapsed() >= Duration::from_secs(WARN_EVERY_SECS)) {
            last_warning = Some(Instant::now());
            tracing::error!(error = %e, sink = ?sink, "{what}");
        }
    };
    while let Ok(record) = inbox.recv() {
        if out.is_none() && last_open.is_none_or(|t| t.elapsed() >= REOPEN_EVERY) {
            last_open = Some(Instant::now());
            match open(sink) {
                Ok(w) => out = Some(w),
                Err(e) => warn("opening the audit log failed; events are not written", &e),
            }
        }
        let Some(w) = out.as_mut() else {
            metrics.audit_write_failed();
            continue;
        };
        let mut line = match serde_json::to_vec(&*record) {
            Ok(line) => line,
            Err(e) => {
                warn("serializing an audit event failed", &e);
                continue;
            }
        };
        line.push(b'\n');
        if let Err(e) = w.write_all(&line).and_then(|()| w.flush()) {
            metrics.audit_write_failed();
            warn("writing the audit log failed", &e);
            out = None;
        }
    }
}

fn open(sink: &AuditSink) -> std::io::Result<Box<dyn Write>> {
    match sink {
        AuditSink::Stdout => Ok(Box::new(std::io::stdout())),
        AuditSink::File(path) => Ok(Box::new(
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .mode(0o600)
                .open(path)?,
        )),
    }
}

#[cfg(test)]
mod tests;
