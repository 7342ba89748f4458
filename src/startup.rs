//! Building the application (storage, keys, bootstrap admin, listener) and serving until stopped.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::domain::assertion::{ClaimRules, ClientAssertions};
use crate::domain::events::Events;
use crate::domain::keys::KeyRotation;
use crate::domain::operators::Operators;
use crate::domain::readiness::Readiness;
use crate::domain::users::Users;
use crate::domain::{ClientRegistry, RegistrationPolicy, Revocations, TokenIssuer, UnixTime};
use crate::http::{self, AppState};
use crate::jwks_fetch::JwksFetcher;
use crate::server::{self, CertificateReloader, IoModel, Limits, Tls};
use crate::storage::PgStore;
use crate::telemetry::Telemetry;

mod bootstrap;
mod chores;
mod dpop;
mod engine;
mod memory;
mod migrate;
mod serving;

use bootstrap::{
    bootstrap_admin, bootstrap_operator, create_private_dir, refresh_credentials_urls,
};
use chores::{
    CHORES_DEADLINE, exit_after, rotate_keys_periodically, sweep_revocations_periodically,
    sweep_single_use_periodically, unready_for,
};
pub use chores::{EXIT_MARGIN, shutdown_signal};
pub use engine::open_postgres;
use engine::signer_pool;
/// What this process holds in memory (`VmRSS`, KiB): the measure the memory examples print.
pub use memory::resident_kib;
pub use migrate::{Copied, migrate_to_postgres};

/// The id of the admin client created on first start.
pub const BOOTSTRAP_ADMIN_ID: &str = crate::domain::BOOTSTRAP_ADMIN_ID;
/// The file, in the data dir, holding the bootstrap admin's credentials.
pub const ADMIN_CREDENTIALS_FILE: &str = "admin-credentials.json";

/// A dealer ready to serve: storage open, keys loaded, listener bound.
pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    /// The Prometheus listener, when `metrics_listen` is set.
    metrics: Option<TcpListener>,
    state: Arc<AppState>,
    limits: Limits,
    rotation: Arc<KeyRotation>,
    io: IoModel,
    /// I/O threads of the per-thread model.
    io_threads: usize,
    /// HTTPS: the certificate, and how its files are watched.
    tls: Option<Tls>,
    /// The shared database, when that is the engine: its key changes rebuild the key ring.
    postgres: Option<PgStore>,
    /// After a stop signal: serving on, unready, before the listener closes.
    shutdown_delay: Duration,
}

impl Application {
    /// Opens storage, loads or creates the signing key, bootstraps the admin client on an empty
    /// database, and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = server::listen(settings.listen, server::MAIN_BACKLOG)
            .with_context(|| format!("binding {}", settings.listen))?;
        let addr = listener.local_addr()?;
        let metrics = match settings.metrics_listen {
            Some(at) => Some(
                server::listen(at, server::METRICS_BACKLOG)
                    .with_context(|| format!("binding the metrics listener {at}"))?,
            ),
            None => None,
        };
        let telemetry = Telemetry::for_settings(&settings, &http::route_patterns())?;
        let client_certs = serving::client_certs(&settings)?;
        let tls = serving::tls(&settings.tls, client_certs.ca())?;
        let mtls = serving::mtls_support(tls.as_ref(), &client_certs);
        let issuer = serving::issuer(&settings, tls.is_some(), addr);
        create_private_dir(&settings.data_dir)?;
        let (engine, startup_lock) = engine::Engine::open(&settings, &telemetry).await?;
        let now = UnixTime::now();
        let keys = Arc::new(engine.key_manager(&settings, now).await?);
        let rotation = Arc::new(KeyRotation::new(keys.clone(), engine.leases.clone()));
        let events: Arc<dyn Events> = Arc::new(telemetry.clone());
        let revocations =
            Revocations::new(engine.denylist.clone(), settings.max_revocations_per_client)
                .with_events(events.clone());
        let mut users =
            Users::new(engine.directory.clone(), settings.users.clone())?.with_events(events);
        if let Some(lockout) = engine.lockout.clone() {
            users = users.with_shared_lockout(lockout);
        }
        let operators = Operators::new(engine.operators.clone());
        let registry =
            ClientRegistry::new(engine.clients.clone()).with_policy(RegistrationPolicy {
                default_token_ttl: settings.default_token_ttl,
                max_token_ttl: settings.max_token_ttl,
            });
        let readiness = Readiness::new(engine.clients.clone());
        // On a shared database only the first instance ever bootstraps (under the startup lock).
        let bootstrap = match &engine.postgres {
            Some(pg) => !pg.bootstrapped().await? && registry.is_empty()?,
            None => registry.is_empty()?,
        };
        if bootstrap {
            bootstrap_admin(&registry, &settings.data_dir, &issuer, now).await?;
        }
        if operators.is_empty()? {
            bootstrap_operator(&operators, &users, &settings.data_dir, &issuer, now).await?;
        }
        if let Some(pg) = &engine.postgres {
            pg.mark_bootstrapped(now.as_secs()).await?;
        }
        refresh_credentials_urls(&settings.data_dir, &issuer)?;
        drop(startup_lock);
        let fetcher = Arc::new(JwksFetcher::new(&settings.client_assertions)?);
        let state = AppState {
            registry,
            issuer: TokenIssuer::new(&issuer, keys).with_signer(signer_pool(&settings)?),
            revocations,
            metadata: http::Discovery::new(&issuer, settings.keys.algorithms, mtls)?,
            public_cache_control: http::public_cache_control(settings.jwks_max_age),
            body_read_timeout: settings.body_read_timeout,
            body_budget: http::BodyBudget::new(settings.body_budget_bytes()),
            users,
            telemetry,
            operators,
            federation: engine.trusted_issuers(&settings),
            console: http::console::Console::new(settings.console.clone()),
            readiness,
            client_certs,
            single_use: engine.single_use.clone(),
            assertions: ClientAssertions::new(
                ClaimRules {
                    audiences: vec![issuer.clone(), http::endpoint_url(&issuer, "/oauth/token")],
                    max_lifetime: settings.client_assertions.max_lifetime_secs,
                    leeway: crate::domain::keys::VERIFIER_LEEWAY_SECS,
                },
                engine.single_use.clone(),
                fetcher.clone(),
            )?,
            federated: engine.federation(&settings, &fetcher)?,
            dpop: dpop::dpop(&settings, &issuer)?,
        };
        Ok(Self {
            listener,
            addr,
            metrics,
            state: Arc::new(state),
            limits: serving::limits(&settings),
            rotation,
            io: settings.io,
            io_threads: serving::io_threads(&settings),
            tls,
            postgres: engine.postgres,
            shutdown_delay: settings.shutdown_delay,
        })
    }

    /// Reloads the TLS certificate and key from their files, as SIGHUP does; `None` without TLS.
    pub fn tls_reloader(&self) -> Option<CertificateReloader> {
        self.tls.as_ref().map(Tls::reloader)
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The metrics listener's bound address, when there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The `iss` of the tokens this application issues.
    pub fn issuer(&self) -> &str {
        self.state.issuer.issuer()
    }

    /// Serves until SIGTERM or ctrl-c, then drains connections. For the process that owns the
    /// signals: once one arrives, the process exits within the shutdown timeout plus
    /// [`EXIT_MARGIN`] even if something (a wedged thread, a drop waiting on one) never ends.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let deadline = self.shutdown_delay + self.limits.shutdown_timeout + EXIT_MARGIN;
        let hangups =
            server::tls::reload_on_sighup(self.tls_reloader()).context("handling SIGHUP")?;
        let hangups = tokio::spawn(hangups);
        let served = self
            .run_until(async move {
                shutdown_signal().await;
                exit_after(deadline);
            })
            .await;
        hangups.abort();
        served
    }

    /// Serves until `stop` completes, then answers `/readyz` with 503 and, after the configured
    /// shutdown delay (serving on meanwhile), stops accepting, drains open connections for at
    /// most the configured shutdown timeout and drops the rest. When it returns, every
    /// connection task has ended (or been abandoned as stuck), so the data dir can be opened
    /// again.
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> anyhow::Result<()> {
        let Self {
            listener,
            addr,
            metrics,
            state,
            limits,
            rotation,
            io,
            io_threads,
            tls,
            postgres,
            shutdown_delay,
        } = self;
        tracing::info!(%addr, issuer = state.issuer.issuer(), tls = tls.is_some(), "tokendealer is serving");
        let stopping = CancellationToken::new();
        memory::release_after_bursts(stopping.clone());
        let watch = tls.as_ref().and_then(|tls| tls.watch(stopping.clone()));
        let retire = tokio::spawn(rotate_keys_periodically(rotation, stopping.clone()));
        let sweep = tokio::spawn(sweep_revocations_periodically(
            state.clone(),
            stopping.clone(),
        ));
        let single_use = tokio::spawn(sweep_single_use_periodically(
            state.clone(),
            stopping.clone(),
        ));
        let refresh = postgres.as_ref().map(|pg| {
            tokio::spawn(engine::refresh_keys_on_change(
                state.clone(),
                pg.key_changes(),
                stopping.clone(),
            ))
        });
        let metrics_stop = CancellationToken::new();
        let metrics = metrics.map(|listener| {
            let stop = metrics_stop.clone().cancelled_owned();
            tokio::spawn(serving::serve_metrics(
                listener,
                state.clone(),
                limits.clone(),
                stop,
            ))
        });
        let unready = state.clone();
        let stop = async {
            stop.await;
            unready_for(&unready.readiness, shutdown_delay).await;
            metrics_stop.cancel();
        };
        let served =
            serving::serve_routes(listener, io, io_threads, state, limits, tls, stop).await;
        metrics_stop.cancel();
        if let Some(metrics) = metrics {
            let _ = metrics.await;
        }
        // The watch holds no file open between looks: stopping it at once loses nothing.
        if let Some(watch) = watch {
            watch.abort();
        }
        if let Some(refresh) = refresh {
            refresh.abort();
        }
        // Let a sweep or retirement under way finish rather than abort it: its blocking half
        // would run on, holding the database, after this returns. Once they are done, nothing
        // holds it and a new application can open the same data dir.
        stopping.cancel();
        let chores = async { tokio::join!(retire, sweep, single_use) };
        if tokio::time::timeout(CHORES_DEADLINE, chores).await.is_err() {
            tracing::warn!("a key retirement or revocation sweep did not finish; not waiting");
        }
        if let Some(pg) = &postgres {
            pg.close();
        }
        served
    }
}
