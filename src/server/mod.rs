//! The transport: listeners, the accept loop under a connection cap, each phase's deadline,
//! HTTP/1 and HTTP/2, TLS with a reloadable certificate, per-thread runtimes and a drain with a
//! deadline. It is given a [`Handler`] and its [`Limits`], and knows no route and no setting.
//!
//! A request reaches the handler with a [`ConnectionInfo`] in its extensions (the peer's address;
//! over TLS, the client's certificates when it sent some). Everything else a request means is
//! the handler's business.
//!
//! - [`accept`]: the cap, the accept loop, the drain ([`serve`] on the ambient runtime).
//! - [`per_thread`]: one single-threaded runtime per I/O thread ([`serve_per_thread`]).
//! - `connection`: one connection's life and deadlines; its TLS handshake.
//! - [`tls`]: the certificate, its reload (SIGHUP, a watch of the files) and the rustls setup.
//! - `listen`: the listening sockets and their accept queues.

pub mod accept;
mod connection;
mod handler;
mod listen;
pub mod per_thread;
mod throttle;
pub mod tls;

pub use self::accept::{Limits, RESERVED_DESCRIPTORS, serve};
pub use self::handler::{ConnectionInfo, Handler, PeerCertificates};
pub use self::listen::{MAIN_BACKLOG, METRICS_BACKLOG, listen};
pub use self::per_thread::{IoModel, serve_per_thread};
pub use self::tls::{CertificateReloader, ClientCa, Tls, TlsFiles};

#[cfg(test)]
mod tests;
