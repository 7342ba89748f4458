//! Choosing the engines: storage (sled in the data dir, or PostgreSQL when a database URL is
//! set) and signing (the signer pool's mode and threads).

use std::sync::Arc;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::domain::UnixTime;
use crate::domain::federation::{Federation, TrustedIssuers};
use crate::domain::keys::{KeyManager, SignerPool};
use crate::domain::ports::{
    ClientStore, DenylistStore, DirectoryStore, KeyMaterial, KeyRecordStore, Leases, LockoutStore,
    OperatorStore, SingleUse, TrustedIssuerStore,
};
use crate::http::AppState;
use crate::jwks_fetch::JwksFetcher;
use crate::jwks_fetch::discovery::Discoverer;
use crate::storage::postgres::StartupLock;
use crate::storage::{
    KeyFiles, MasterKey, OperatorTree, PgOptions, PgStore, Store, StoreOptions, TrustTree,
    UserStore,
};
use crate::telemetry::Telemetry;

/// Every port, from one engine.
pub(super) struct Engine {
    pub clients: Arc<dyn ClientStore>,
    pub directory: Arc<dyn DirectoryStore>,
    pub denylist: Arc<dyn DenylistStore>,
    pub key_records: Arc<dyn KeyRecordStore>,
    pub key_material: Arc<dyn KeyMaterial>,
    pub operators: Arc<dyn OperatorStore>,
    pub trusted: Arc<dyn TrustedIssuerStore>,
    /// Who runs the chores one instance at a time runs (the key schedule).
    pub leases: Arc<dyn Leases>,
    /// Shared login-failure counters; `None`: counted in this process.
    pub lockout: Option<Arc<dyn LockoutStore>>,
    /// Identifiers accepted once, bounded by `[client_assertions] max_single_use`.
    pub single_use: Arc<dyn SingleUse>,
    /// The shared database, if that is the engine.
    pub postgres: Option<PgStore>,
}

impl Engine {
    /// Opens the engine the settings name. With PostgreSQL, also returns the startup lock:
    /// hold it until the first keys and the bootstrap admin exist.
    pub async fn open(
        settings: &Settings,
        telemetry: &Telemetry,
    ) -> anyhow::Result<(Self, Option<StartupLock>)> {
        let Some(url) = &settings.database_url else {
            let store = Store::open_with(
                &settings.data_dir,
                StoreOptions {
                    cache_bytes: settings.db_cache_mb * 1024 * 1024,
                    write_queue: settings.store_write_queue,
                    write_timeout: settings.store_write_timeout,
                    observer: Some(telemetry.metrics.clone()),
                },
            )?;
            let engine = Self {
                operators: Arc::new(OperatorTree::open(&store)?),
                trusted: Arc::new(TrustTree::open(&store)?),
                leases: Arc::new(store.clone()),
                directory: Arc::new(UserStore::open(&store)?),
                denylist: Arc::new(store.denylist()?),
                single_use: Arc::new(
                    store.single_use(settings.client_assertions.single_use_bounds())?,
                ),
                key_records: Arc::new(store.clone()),
                key_material: Arc::new(KeyFiles::open(&settings.keys_dir)?),
                clients: Arc::new(store),
                lockout: None,
                postgres: None,
            };
            return Ok((engine, None));
        };
        let observer = Some(telemetry.metrics.clone() as Arc<dyn crate::telemetry::StoreObserver>);
        let (pg, lock) = open_postgres(settings, url.expose(), observer).await?;
        tracing::info!(database = %url.redacted(), "storage: PostgreSQL");
        let engine = Self {
            clients: Arc::new(pg.clone()),
            directory: Arc::new(pg.clone()),
            denylist: Arc::new(pg.clone()),
            single_use: Arc::new(
                pg.single_use(settings.client_assertions.single_use_bounds())
                    .await?,
            ),
            key_records: Arc::new(pg.clone()),
            key_material: Arc::new(pg.clone()),
            operators: Arc::new(pg.clone()),
            trusted: Arc::new(pg.clone()),
            leases: Arc::new(pg.clone()),
            lockout: Some(Arc::new(pg.clone())),
            postgres: Some(pg),
        };
        Ok((engine, Some(lock)))
    }
}

impl Engine {
    /// Authentication by trusted issuers' tokens, their keys through the assertions' fetcher.
    pub fn federation(
        &self,
        settings: &Settings,
        fetcher: &Arc<JwksFetcher>,
    ) -> anyhow::Result<Federation> {
        let discovery = Arc::new(Discoverer::new(fetcher.clone()));
        let leeway = crate::domain::keys::VERIFIER_LEEWAY_SECS;
        Federation::new(
            self.trusted_issuers(settings),
            fetcher.clone(),
            discovery,
            leeway,
        )
    }

    /// The trusted issuers over this engine, held to `[federation]`.
    pub fn trusted_issuers(&self, settings: &Settings) -> TrustedIssuers {
        TrustedIssuers::new(
            self.trusted.clone(),
            self.clients.clone(),
            settings.federation.clone(),
            settings.client_assertions.fetch_allowance(),
        )
    }
}

/// Connects to the database named in `settings` (also for `tokendealer migrate`).
pub async fn open_postgres(
    settings: &Settings,
    url: &str,
    observer: Option<Arc<dyn crate::telemetry::StoreObserver>>,
) -> anyhow::Result<(PgStore, StartupLock)> {
    let file = settings
        .master_key_file
        .as_deref()
        .context("master_key_file is required with database_url")?;
    let master = MasterKey::from_file(file)?;
    let options = PgOptions {
        url: url.to_owned(),
        pool_size: settings.database_pool_size,
        timeout: settings
            .store_write_timeout
            .min(std::time::Duration::from_secs(5)),
        stale_after: settings.database_stale,
        observer,
    };
    PgStore::open(&options, master).await
}

impl Engine {
    /// The signing keys as stored, under the settings' schedule; warns when next keys are
    /// published for less time than a verifier may cache the JWKS.
    pub(super) async fn key_manager(
        &self,
        settings: &Settings,
        now: UnixTime,
    ) -> anyhow::Result<KeyManager> {
        let policy = settings.key_policy();
        if policy.prepublish < settings.jwks_max_age {
            tracing::warn!(
                prepublish_secs = policy.prepublish,
                jwks_max_age = settings.jwks_max_age,
                "keys are published for less than the JWKS may be cached: a verifier may see a new key's tokens before its cached key set knows the key"
            );
        }
        KeyManager::load_with(
            self.key_records.clone(),
            self.key_material.clone(),
            policy,
            now,
        )
        .await
    }
}

/// Rebuilds the key ring whenever another instance changed the keys in the shared database.
pub(super) async fn refresh_keys_on_change(
    state: Arc<AppState>,
    mut changes: tokio::sync::watch::Receiver<u64>,
    stopping: CancellationToken,
) {
    loop {
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return },
            () = stopping.cancelled() => return,
        }
        if let Err(e) = state.issuer.keys().refresh(UnixTime::now()).await {
            tracing::error!(error = format!("{e:#}"), "rebuilding the key ring failed");
        }
    }
}

/// The signing pool: one thread per core unless configured.
pub(super) fn signer_pool(settings: &Settings) -> anyhow::Result<SignerPool> {
    let threads = match settings.signer_threads {
        0 => std::thread::available_parallelism().map_or(2, usize::from),
        n => n,
    };
    tracing::debug!(mode = ?settings.signer, threads, "signing pool");
    Ok(SignerPool::new(settings.signer, threads)?.with_bound(settings.signing_queue))
}
