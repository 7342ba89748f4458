//! What a connection's watchdog sees, reported by the socket (protocol, the start of an HTTP/1
//! head) and by the requests (in flight, idle since).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
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

/// Counts a request as in flight until dropped: when its handler finishes or is abandoned.
pub(super) struct InFlight(watch::Sender<Activity>);

impl InFlight {
    pub(super) fn begin(activity: &watch::Sender<Activity>) -> Self {
        activity.send_modify(|a| {
            a.in_flight += 1;
            a.head_since = None;
        });
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

/// The socket, reporting to the watchdog what it reads: which protocol the first bytes announce,
/// by the test hyper-util's `auto::Builder` applies (the HTTP/2 preface, or anything else for
/// HTTP/1), and for HTTP/1 when a request head starts arriving.
pub(super) struct Watched {
    io: TcpStream,
    protocol: Protocol,
    /// How many bytes of the HTTP/2 preface have arrived, while sniffing.
    matched: usize,
    report: watch::Sender<Activity>,
}

impl Watched {
    pub(super) fn new(io: TcpStream, report: watch::Sender<Activity>) -> Self {
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
        let (protocol, now) = (self.protocol, Instant::now());
        self.report.send_if_modified(|a| {
            let changed = a.protocol != protocol;
            a.protocol = protocol;
            let head_starts = !read.is_empty() && a.in_flight == 0 && a.head_since.is_none();
            if head_starts {
                a.head_since = Some(now);
            }
            changed || head_starts
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

impl AsyncRead for Watched {
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
            this.observe(&buf.filled()[before..]);
        }
        polled
    }
}

impl AsyncWrite for Watched {
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
