//! Wiring the transport: its [`Limits`] and TLS from the settings, the dealer's routes on the
//! main listener (a runtime per I/O thread, or the shared one), `/metrics` on its own listener.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::{Settings, TlsSettings};
use crate::http::{self, AppState};
use crate::server::{self, ClientCa, IoModel, Limits, Tls};

/// Connections the metrics listener serves at once: a scraper or two, and room for a curl.
const METRICS_MAX_CONNECTIONS: usize = 8;

/// The main listener's connection limits and deadlines.
pub(super) fn limits(s: &Settings) -> Limits {
    Limits {
        max_connections: s.max_connections,
        first_byte_timeout: s.first_byte_timeout,
        header_read_timeout: s.header_read_timeout,
        idle_timeout: s.idle_timeout,
        h2_keepalive_interval: s.h2_keepalive_interval,
        h2_keepalive_timeout: s.h2_keepalive_timeout,
        h2_max_concurrent_streams: s.h2_max_concurrent_streams,
        tls_handshake_timeout: s.tls.handshake_timeout,
        shutdown_timeout: s.shutdown_timeout,
    }
}

/// I/O threads of the per-thread model: one per core unless configured.
pub(super) fn io_threads(settings: &Settings) -> usize {
    match settings.io_threads {
        0 => std::thread::available_parallelism().map_or(2, usize::from),
        n => n,
    }
}

/// The listener's certificate, loaded; `None` without TLS files (plain HTTP). Client
/// certificates are judged by `client_ca`.
pub(super) fn tls(
    settings: &TlsSettings,
    client_ca: Option<&ClientCa>,
) -> anyhow::Result<Option<Tls>> {
    let load = |files| Tls::load(files, client_ca.cloned(), settings.watch_interval);
    settings.files.as_ref().map(load).transpose()
}

/// Where client certificates come from (RFC 8705): the client CA (`tls_client_ca`) and the
/// `[mtls]` proxies whose header is believed.
pub(super) fn client_certs(settings: &Settings) -> anyhow::Result<http::ClientCertificates> {
    let ca = match &settings.tls.client_ca {
        Some(path) => Some(ClientCa::load(path).context("tls_client_ca")?),
        None => None,
    };
    let mtls = &settings.mtls;
    let header = ::http::HeaderName::from_bytes(mtls.client_cert_header.as_bytes())
        .context("[mtls] client_cert_header")?;
    let proxies = mtls.trusted_proxies.iter().map(|p| p.0).collect();
    Ok(http::ClientCertificates::new(ca, proxies, header))
}

/// What the metadata says of client certificates: they can arrive under TLS or from a trusted
/// proxy; `tls_client_auth` needs the client CA too.
pub(super) fn mtls_support(
    tls: Option<&Tls>,
    certs: &http::ClientCertificates,
) -> http::MtlsSupport {
    http::MtlsSupport {
        certificates: tls.is_some() || certs.from_proxies(),
        client_ca: certs.ca().is_some(),
    }
}

/// Serves every route on `listener` until `stop`, then drains (see [`server::serve`]).
pub(super) async fn serve_routes(
    listener: TcpListener,
    io: IoModel,
    io_threads: usize,
    state: Arc<AppState>,
    limits: Limits,
    tls: Option<Tls>,
    stop: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let routes = http::Routes(state);
    match io {
        IoModel::Shared => {
            server::serve(listener, routes, limits, tls, stop).await;
            Ok(())
        }
        IoModel::PerThread => {
            server::serve_per_thread(listener, io_threads, routes, limits, tls, stop).await
        }
    }
}

/// Serves `/metrics` on `listener` until `stop` completes: the main listener's deadlines, but
/// at most [`METRICS_MAX_CONNECTIONS`] connections.
pub(super) async fn serve_metrics(
    listener: TcpListener,
    state: Arc<AppState>,
    limits: Limits,
    stop: impl Future<Output = ()>,
) {
    let limits = Limits {
        max_connections: METRICS_MAX_CONNECTIONS,
        ..limits
    };
    tracing::info!(addr = ?listener.local_addr().ok(), "serving metrics at /metrics");
    server::serve(listener, http::Metrics(state), limits, None, stop).await;
}

/// The issuer: as set, verbatim (trailing slash and all: verifiers compare `iss` with what they
/// were given, RFC 8414 §3.3, RFC 9068 §4), or this instance's own address.
pub(super) fn issuer(settings: &Settings, tls: bool, addr: SocketAddr) -> String {
    if let Some(issuer) = &settings.issuer {
        return issuer.clone();
    }
    let scheme = if tls { "https" } else { "http" };
    let issuer = format!("{scheme}://{addr}");
    if settings.database_url.is_some() {
        // Instances behind one load balancer refuse each other's tokens unless they share it.
        tracing::warn!(%issuer, "no issuer set on a shared database: this instance names its \
            own address in its tokens; give every instance the same --issuer");
    }
    issuer
}
