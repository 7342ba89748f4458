//! The single-use record on the shared database: one row per identifier until it expires, so a
//! `jti` used on one instance is a replay on every other.
//!
//! An offer is one statement: insert, or take over an expired row, or do nothing (a replay or
//! an owner over its share). The owner's share is counted in that statement (index
//! `td_single_use_owner`, the count stopped at the share): concurrent offers of one owner each
//! count before the others commit, so instances together may overshoot a share by the number
//! of that owner's offers in flight at once. The total bound is checked against a count of live rows that each instance refreshes at most once per
//! [`RECOUNT_EVERY`] in the background, plus the rows it recorded since: counting on every offer
//! would scan the table on the token path. Instances together may thus overshoot the bound by
//! what the others recorded within one recount; never is a live identifier forgotten.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::PgStore;
use super::wire::{db, to_i64, to_u64};
use crate::domain::ports::{FirstUse, SingleUse, SingleUseBounds, StoreError};
use crate::storage::StoreErr;

/// How often, at most, an instance recounts the live rows.
pub const RECOUNT_EVERY: Duration = Duration::from_secs(1);

/// The single-use table, bounded. Cheap to clone.
#[derive(Clone)]
pub struct PgSingleUse {
    store: PgStore,
    bounds: SingleUseBounds,
    /// Live rows as last counted, plus those recorded here since.
    held: Arc<AtomicU64>,
    counted_at: Arc<std::sync::Mutex<Instant>>,
    counting: Arc<AtomicBool>,
}

impl PgStore {
    /// The single-use table, holding at most about `bounds` live identifiers.
    pub async fn single_use(&self, bounds: SingleUseBounds) -> anyhow::Result<PgSingleUse> {
        let this = PgSingleUse {
            store: self.clone(),
            bounds,
            held: Arc::new(AtomicU64::new(0)),
            counted_at: Arc::new(std::sync::Mutex::new(Instant::now())),
            counting: Arc::new(AtomicBool::new(false)),
        };
        this.recount(0).await?;
        Ok(this)
    }
}

impl PgSingleUse {
    /// Counts the rows live at `now` (0: every row).
    async fn recount(&self, now: u64) -> anyhow::Result<()> {
        let live = self
            .store
            .bounded("counting single-use identifiers", async {
                let conn = self.store.conn().await?;
                let row = conn
                    .query_one(
                        "SELECT count(*) FROM td_single_use WHERE expires > $1",
                        &[&to_i64(now)],
                    )
                    .await
                    .map_err(db)?;
                Ok(to_u64(row.try_get(0)?))
            })
            .await?;
        self.held.store(live, Ordering::Release);
        *self
            .counted_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
        Ok(())
    }

    /// Starts a recount in the background when the last is older than [`RECOUNT_EVERY`] and
    /// none is under way.
    fn recount_soon(&self, now: u64) {
        let due = self
            .counted_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .elapsed()
            >= RECOUNT_EVERY;
        if !due || self.counting.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(e) = this.recount(now).await {
                tracing::debug!(
                    error = format!("{e:#}"),
                    "recounting single-use identifiers failed"
                );
            }
            this.counting.store(false, Ordering::Release);
        });
    }
}

#[async_trait]
impl SingleUse for PgSingleUse {
    async fn first_use(
        &self,
        namespace: &str,
        owner: &str,
        id: &str,
        expires: u64,
        now: u64,
    ) -> Result<FirstUse, StoreError> {
        self.recount_soon(now);
        if self.held.load(Ordering::Acquire) >= self.bounds.total {
            return Ok(FirstUse::Full);
        }
        let (now, share) = (to_i64(now), to_i64(self.bounds.per_owner));
        let (inserted, held) = self
            .store
            .bounded("recording a single-use identifier", async {
                let conn = self.store.conn().await?;
                let row = conn
                    .query_one(
                        "WITH share AS (
                            SELECT count(*) AS n FROM (
                                SELECT 1 FROM td_single_use
                                WHERE owner = $5 AND expires > $4 LIMIT $6
                            ) AS live
                         ), offered AS (
                            INSERT INTO td_single_use (namespace, id, expires, owner)
                            SELECT $1, $2, $3, $5 FROM share WHERE share.n < $6
                            ON CONFLICT (namespace, id)
                            DO UPDATE SET expires = EXCLUDED.expires, owner = EXCLUDED.owner
                            WHERE td_single_use.expires <= $4
                            RETURNING (xmax = 0) AS inserted
                         )
                         SELECT (SELECT inserted FROM offered),
                                (SELECT n FROM share) < $6 OR EXISTS (SELECT 1 FROM td_single_use
                                        WHERE namespace = $1 AND id = $2 AND expires > $4)",
                        &[&namespace, &id, &to_i64(expires), &now, &owner, &share],
                    )
                    .await
                    .map_err(db)?;
                let inserted: Option<bool> = row.try_get(0).map_err(db)?;
                let held: bool = row.try_get(1).map_err(db)?;
                Ok((inserted, held))
            })
            .await
            .store_err()?;
        // Nothing inserted within the share: the id was held (perhaps by an offer committed
        // meanwhile, which the statement's snapshot does not see). Over the share: a replay if
        // it was held before the statement, else refused for the share.
        Ok(match inserted {
            Some(inserted) => {
                if inserted {
                    self.held.fetch_add(1, Ordering::AcqRel);
                }
                FirstUse::Recorded
            }
            None if held => FirstUse::Replayed,
            None => FirstUse::ShareFull,
        })
    }

    async fn sweep(&self, now: u64) -> Result<u64, StoreError> {
        let removed = self
            .store
            .bounded("sweeping single-use identifiers", async {
                let conn = self.store.conn().await?;
                conn.execute(
                    "DELETE FROM td_single_use WHERE expires <= $1",
                    &[&to_i64(now)],
                )
                .await
                .map_err(db)
            })
            .await
            .store_err()?;
        self.recount(now).await.store_err()?;
        Ok(removed)
    }
}
