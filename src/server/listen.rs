//! The listening sockets, with a listen queue deep enough for the connection cap's overflow.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket};

/// How many connections may wait to be accepted (the kernel caps it at `net.core.somaxconn`,
/// 4096 by default since Linux 5.4). The server accepts only when it has a place under its
/// connection cap, so a burst beyond the cap waits here; with the usual 128 the kernel drops the
/// handshakes beyond it and clients retry only after 1, 3, 7 s.
pub const MAIN_BACKLOG: u32 = 4096;
/// The metrics listener serves a few scrapers.
pub const METRICS_BACKLOG: u32 = 128;

/// A listener on `addr` (port 0: any free port) with `backlog` places in its accept queue.
/// `SO_REUSEADDR` lets a restarted server bind while its old connections are in `TIME_WAIT`; it
/// does not let two servers share the port.
pub fn listen(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}
