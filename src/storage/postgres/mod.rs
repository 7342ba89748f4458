//! The PostgreSQL engine: every port over one shared database, read through an in-memory cache
//! that LISTEN/NOTIFY keeps current on every instance.
//!
//! Writes go to the database in one transaction each, which also issues `pg_notify` (delivered
//! on commit) naming what changed; the writing instance updates its own cache at once after the
//! commit, every other instance re-reads the row when the notification arrives. Reads on the
//! token path (clients, denylist, keys, directory) never query the database. A listener cut off
//! for longer than the configured staleness bound makes those reads fail closed.

mod cache;
mod clients;
mod directory;
mod keylock;
mod keys;
mod listener;
mod operators;
mod schema;
mod sealed;
mod single_use;
mod tls;
mod trusted_issuers;
mod wire;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;
use tokio_util::sync::CancellationToken;

pub use sealed::MasterKey;
pub use single_use::PgSingleUse;
pub use tls::{DbTls, split_tls};

use crate::domain::StoreUnavailable;
use cache::Cache;
use wire::{bytes, db, json, notify, to_i64, to_u64};

/// The one channel every change is announced on.
const CHANNEL: &str = "tokendealer";

/// How the database is reached and how long anything may wait on it.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// `postgres://user:password@host:port/database`.
    pub url: String,
    /// Connections per instance (the listener's is one more).
    pub pool_size: usize,
    /// Bound of any one statement, of waiting for a connection and of a whole write.
    pub timeout: Duration,
    /// How long cached reads stay trusted after the listener lost its connection.
    pub stale_after: Duration,
    /// Told how long each write took and whether it failed (the metrics).
    pub observer: Option<Arc<dyn crate::telemetry::StoreObserver>>,
}

/// Handle to the shared database. Cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    cache: Cache,
    master: MasterKey,
    timeout: Duration,
    observer: Option<Arc<dyn crate::telemetry::StoreObserver>>,
    /// Bumped whenever key records or key material change (here or elsewhere).
    key_changes: tokio::sync::watch::Sender<u64>,
    stop: CancellationToken,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Held while one instance starts: migrations, the first keys and the bootstrap admin happen
/// under it, one instance at a time. Released when dropped (its session ends).
pub struct StartupLock {
    _client: tokio_postgres::Client,
}

impl PgStore {
    /// Connects, takes the startup lock, applies pending migrations, loads the cache and starts
    /// the listener. Keep the returned lock until the first keys and the bootstrap admin exist.
    pub async fn open(
        options: &PgOptions,
        master: MasterKey,
    ) -> anyhow::Result<(Self, StartupLock)> {
        let (config, tls) = pg_config(options)?;
        let lock = startup_lock(&config, &tls, options.timeout).await?;
        schema::migrate(&lock._client).await?;
        let manager = Manager::from_config(
            config.clone(),
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.timeout))
            .create_timeout(Some(options.timeout))
            .recycle_timeout(Some(options.timeout))
            .build()
            .context("building the database pool")?;
        let (key_changes, _) = tokio::sync::watch::channel(0);
        let store = Self {
            inner: Arc::new(Inner {
                pool,
                cache: Cache::new(options.stale_after)?,
                master,
                timeout: options.timeout,
                observer: options.observer.clone(),
                key_changes,
                stop: CancellationToken::new(),
            }),
        };
        store.reload_all().await?;
        listener::start(store.clone(), config, tls);
        Ok((store, lock))
    }

    /// Completes whenever key records or material changed; for rebuilding the key ring.
    pub fn key_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.key_changes.subscribe()
    }

    /// Stops the listener (which holds a handle of its own) and closes the pool: call it when
    /// done with the store.
    pub fn close(&self) {
        self.inner.stop.cancel();
        self.inner.pool.close();
    }

    fn cache(&self) -> &Cache {
        &self.inner.cache
    }

    /// A pooled connection, or [`StoreUnavailable`] within the timeout.
    async fn conn(&self) -> anyhow::Result<deadpool_postgres::Object> {
        self.inner
            .pool
            .get()
            .await
            .map_err(|e| StoreUnavailable::new(format!("no database connection: {e}")).into())
    }

    /// Runs the write `op` within the write timeout: a hung database answers 503, not never.
    /// The observer learns how long it took and whether the store failed it.
    async fn bounded<T>(
        &self,
        what: &str,
        op: impl std::future::Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let started = std::time::Instant::now();
        let result = match tokio::time::timeout(self.inner.timeout, op).await {
            Ok(result) => result.with_context(|| what.to_owned()),
            // Cut off, a commit may still have happened.
            Err(_) => Err(anyhow::Error::new(StoreUnavailable::unconfirmed(format!(
                "the database did not answer within {:?}",
                self.inner.timeout
            )))
            .context(what.to_owned())),
        };
        if let Some(observer) = &self.inner.observer {
            let failed = result
                .as_ref()
                .is_err_and(|e| e.chain().any(|c| c.is::<StoreUnavailable>()));
            observer.write_done(started.elapsed(), failed);
        }
        result
    }

    /// Commits `tx` and applies `update` to this instance's cache while holding the cache's
    /// turn, which the listener also takes around each re-read: a re-read that began before
    /// this commit can never land after `update` and put an older row back.
    async fn commit(
        &self,
        tx: deadpool_postgres::Transaction<'_>,
        update: impl FnOnce(&Cache),
    ) -> anyhow::Result<()> {
        let _turn = self.cache().turn.lock().await;
        tx.commit().await.map_err(db)?;
        update(self.cache());
        Ok(())
    }

    /// Whether the first instance's bootstrap (the admin client) has been done.
    pub async fn bootstrapped(&self) -> anyhow::Result<bool> {
        let conn = self.conn().await?;
        let row = conn
            .query_opt("SELECT 1 FROM td_bootstrap", &[])
            .await
            .map_err(db)?;
        Ok(row.is_some())
    }

    /// Records that the bootstrap is done; later instances skip it.
    pub async fn mark_bootstrapped(&self, now: u64) -> anyhow::Result<()> {
        let conn = self.conn().await?;
        conn.execute(
            "INSERT INTO td_bootstrap (done, at) VALUES (true, $1) ON CONFLICT DO NOTHING",
            &[&to_i64(now)],
        )
        .await
        .map_err(db)?;
        Ok(())
    }

    /// Re-reads every table into the cache.
    async fn reload_all(&self) -> anyhow::Result<()> {
        let conn = self.conn().await?;
        let _turn = self.cache().turn.lock().await;
        self.cache().reload(&conn).await?;
        self.inner.key_changes.send_modify(|n| *n += 1);
        Ok(())
    }
}

/// The libpq-style configuration with the bounds every connection gets, and the TLS connector
/// its `sslmode` asks for.
fn pg_config(options: &PgOptions) -> anyhow::Result<(tokio_postgres::Config, MakeRustlsConnect)> {
    let (url, tls) = split_tls(&options.url)?;
    let (mode, connector) = tls::connector(&tls)?;
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| anyhow::anyhow!("the database URL is malformed: {e}"))?;
    // Fail closed: `sslmode` was taken out above, so the driver must not have found one.
    anyhow::ensure!(
        config.get_ssl_mode() == SslMode::Prefer,
        "the database URL could not be read unambiguously (sslmode): percent-encode '/', '?', \
         '#' and '@' in the user name, the password and parameter values"
    );
    config.ssl_mode(mode);
    let ms = options.timeout.as_millis();
    config
        .application_name("tokendealer")
        .connect_timeout(options.timeout)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(10))
        .options(format!(
            "-c statement_timeout={ms} -c lock_timeout={ms} -c idle_in_transaction_session_timeout={}",
            ms.saturating_mul(2)
        ));
    Ok((config, connector))
}

/// A session of its own holding the startup advisory lock.
async fn startup_lock(
    config: &tokio_postgres::Config,
    tls: &MakeRustlsConnect,
    timeout: Duration,
) -> anyhow::Result<StartupLock> {
    let (client, connection) = config.connect(tls.clone()).await.map_err(|e| {
        // The driver's own message is only the outermost ("error performing TLS
        // handshake"); the cause is what an operator needs.
        let e = anyhow::Error::new(e);
        StoreUnavailable::new(format!("connecting to the database: {e:#}"))
    })?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "the startup lock's connection ended");
        }
    });
    // Other instances start at most this long after the lock is free: several `timeout`s.
    client
        .batch_execute("SET statement_timeout = 0")
        .await
        .map_err(db)?;
    tokio::time::timeout(
        timeout.saturating_mul(12),
        client.execute("SELECT pg_advisory_lock($1)", &[&schema::STARTUP_LOCK]),
    )
    .await
    .map_err(|_| StoreUnavailable::new("another instance holds the startup lock for too long"))?
    .map_err(db)?;
    Ok(StartupLock { _client: client })
}
