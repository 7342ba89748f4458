//! What a connection's watchdog sees, reported by the socket (protocol, the start of an HTTP/1
//! head) and by the requests (in flight, idle since), and the deadline that follows from it.
//!
//! The watchdog is woken once, when the protocol becomes known; every other report it finds when
//! it wakes at the check it had scheduled. Requests beginning or ending only postpone the
//! deadline. The start of an HTTP/1 head brings it nearer, so an HTTP/1 connection is looked at
//! at least every `header_read` anyway: a head is then cut `header_read` after its first byte
//! (closed within the connection's one-second grace after that), and a busy keep-alive
//! connection costs no wake-up per request.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::time::Instant;

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Protocol {
    /// Fewer bytes than tell HTTP/1 from the HTTP/2 preface.
    Sniffing,
    Http1,
    Http2,
}

/// What the watchdog sees of a connection.
#[derive(Debug, Clone, Copy)]
pub(super) struct Activity {
    pub protocol: Protocol,
    /// Requests whose handler has not finished.
    pub in_flight: usize,
    /// When `in_flight` last fell to 0 (or the accept). Recorded by the requests themselves:
    /// a quick one may start and end before the watchdog looks.
    pub idle_since: Instant,
    /// HTTP/1: when the first byte arrived while no request was in flight, i.e. the start of
    /// the next head; cleared when that request begins.
    pub head_since: Option<Instant>,
}

/// The deadlines the watchdog applies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadlines {
    pub first_byte: Duration,
    pub header_read: Duration,
    pub idle: Duration,
}

impl Activity {
    /// A connection accepted at `accepted`, nothing read yet.
    pub(super) fn new(accepted: Instant) -> Self {
        Self {
            protocol: Protocol::Sniffing,
            in_flight: 0,
            idle_since: accepted,
            head_since: None,
        }
    }

    /// No request in flight and none arriving: closing it now loses nothing.
    pub(super) fn is_idle(&self) -> bool {
        self.in_flight == 0 && self.head_since.is_none()
    }

    /// Nothing read since the accept (or the TLS handshake): no byte of a request yet.
    pub(super) fn never_spoke(&self) -> bool {
        self.protocol == Protocol::Sniffing && self.is_idle()
    }

    /// Idle, and for at least `min` by `now`. A connection that has only just been accepted, or
    /// has only just answered, may have its next request already on the wire, unread: closing
    /// it then resets that request.
    pub(super) fn idle_at_least(&self, now: Instant, min: Duration) -> bool {
        self.is_idle() && now.saturating_duration_since(self.idle_since) >= min
    }

    /// At `now`: the instant to look again, or why the connection is to be cut.
    pub(super) fn verdict(
        &self,
        deadlines: &Deadlines,
        accepted: Instant,
        now: Instant,
    ) -> Result<Instant, &'static str> {
        // How far ahead the next look may be: HTTP/1 heads start unannounced.
        let horizon = match self.protocol {
            Protocol::Http1 => now + deadlines.header_read.min(deadlines.idle),
            _ => now + deadlines.idle,
        };
        let (deadline, reason) = match (self.in_flight, self.protocol, self.head_since) {
            // Busy: once it is idle again, the idle deadline is at least this far.
            (1.., _, _) => return Ok(horizon),
            (0, Protocol::Sniffing, _) => (
                accepted + deadlines.first_byte,
                "no request line or preface",
            ),
            (0, Protocol::Http1, Some(head)) => {
                (head + deadlines.header_read, "request head too slow")
            }
            (0, _, _) => (self.idle_since + deadlines.idle, "idle"),
        };
        if deadline <= now {
            Err(reason)
        } else {
            Ok(deadline.min(horizon))
        }
    }
}

/// Counts a request as in flight until dropped: when its handler finishes or is abandoned.
pub(super) struct InFlight(watch::Sender<Activity>);

impl InFlight {
    pub(super) fn begin(activity: &watch::Sender<Activity>) -> Self {
        activity.send_if_modified(|a| {
            a.in_flight += 1;
            a.head_since = None;
            false
        });
        Self(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_if_modified(|a| {
            a.in_flight = a.in_flight.saturating_sub(1);
            if a.in_flight == 0 {
                a.idle_since = Instant::now();
            }
            false
        });
    }
}

/// The socket, reporting to the watchdog what it reads: which protocol the first bytes announce,
/// by the test hyper-util's `auto::Builder` applies (the HTTP/2 preface, or anything else for
/// HTTP/1), and for HTTP/1 when a request head starts arriving. Over TLS it sees the decrypted
/// bytes.
pub(super) struct Watched<S> {
    io: S,
    protocol: Protocol,
    /// How many bytes of the HTTP/2 preface have arrived, while sniffing.
    matched: usize,
    report: watch::Sender<Activity>,
}

impl<S> Watched<S> {
    pub(super) fn new(io: S, report: watch::Sender<Activity>) -> Self {
        Self {
            io,
            protocol: Protocol::Sniffing,
            matched: 0,
            report,
        }
    }

    fn observe(&mut self, read: &[u8]) {
        if self.protocol == Protocol::Sniffing {
            self.protocol = self.sniff(read);
        }
        let protocol = self.protocol;
        self.report.send_if_modified(|a| {
            let detected = a.protocol != protocol;
            a.protocol = protocol;
            if protocol == Protocol::Http2 {
                // The preface is no request: an HTTP/2 connection is idle until a stream
                // begins, and may be asked to make room like any idle one.
                a.head_since = None;
            } else if !read.is_empty() && a.in_flight == 0 && a.head_since.is_none() {
                a.head_since = Some(Instant::now());
            }
            detected
        });
    }

    fn sniff(&mut self, read: &[u8]) -> Protocol {
        // End of stream counts as HTTP/1, as in hyper-util: its HTTP/1 side then ends the
        // connection.
        if read.is_empty() {
            return Protocol::Http1;
        }
        for &byte in read {
            if H2_PREFACE.get(self.matched) != Some(&byte) {
                return Protocol::Http1;
            }
            self.matched += 1;
            if self.matched == H2_PREFACE.len() {
                return Protocol::Http2;
            }
        }
        Protocol::Sniffing
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        // HTTP/2 frames have no heads to time: once it is known, reads are not reported.
        if this.protocol != Protocol::Http2 && matches!(polled, Poll::Ready(Ok(()))) {
            this.observe(buf.filled().get(before..).unwrap_or_default());
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
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

#[cfg(test)]
mod tests;
