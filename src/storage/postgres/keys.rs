//! Key records, sealed key material, leases, the denylist and the lockout counters in
//! PostgreSQL.

use async_trait::async_trait;

use super::cache::{read, write};
use super::{PgStore, db, json, notify, to_i64, to_u64};
use crate::domain::RevokedToken;
use crate::domain::keys::KeyRecord;
use crate::domain::ports::{
    DenylistStore, KeyChangeLock, KeyMaterial, KeyRecordStore, Leases, Listing, LockoutStore,
    StoreResult, StoredKey,
};
use crate::storage::StoreErr;
use crate::storage::records;

/// The first key of the two-key advisory locks that serialize one client's revocations (the
/// second is a hash of its id; the two-key space is apart from the startup lock's).
const REVOCATION_LOCK_CLASS: i32 = 7;

#[async_trait]
impl KeyRecordStore for PgStore {
    fn list(&self) -> StoreResult<Vec<KeyRecord>> {
        Ok(read(&self.cache().keys).values().cloned().collect())
    }

    async fn put(&self, records: &[KeyRecord]) -> StoreResult<()> {
        self.bounded("storing key records", async {
            let mut conn = self.conn().await?;
            let tx = conn.transaction().await.map_err(db)?;
            for r in records {
                tx.execute(
                    "INSERT INTO td_key_records (kid, record) VALUES ($1, $2)
                     ON CONFLICT (kid) DO UPDATE SET record = EXCLUDED.record",
                    &[&r.kid, &json(&records::encode(r)?)?],
                )
                .await
                .map_err(db)?;
            }
            notify(&tx, "keys", "").await?;
            self.commit(tx, |cache| {
                let mut keys = write(&cache.keys);
                for r in records {
                    keys.insert(r.kid.clone(), r.clone());
                }
            })
            .await
        })
        .await
        .store_err()
    }

    async fn lock_changes(&self) -> StoreResult<KeyChangeLock> {
        self.lock_key_changes().await.store_err()
    }
}

/// Private keys sealed under the master key; opened only when the key ring is built.
#[async_trait]
impl KeyMaterial for PgStore {
    async fn load_all(&self) -> StoreResult<Vec<StoredKey>> {
        let rows = self
            .bounded("loading private keys", async {
                let conn = self.conn().await?;
                conn.query(
                    "SELECT kid, nonce, sealed, written_at FROM td_key_material ORDER BY kid",
                    &[],
                )
                .await
                .map_err(db)
            })
            .await?;
        let mut keys = Vec::with_capacity(rows.len());
        for row in rows {
            let kid: String = row.try_get(0).store_err()?;
            let nonce: Vec<u8> = row.try_get(1).store_err()?;
            let sealed: Vec<u8> = row.try_get(2).store_err()?;
            keys.push(StoredKey {
                der: self.inner.master.open(&kid, &nonce, &sealed)?,
                source: format!("database key {kid}"),
                tag: "PRIVATE KEY".to_owned(),
                modified: Some(row.try_get(3).store_err()?),
            });
        }
        Ok(keys)
    }

    async fn write(&self, kid: &str, pkcs8_der: &[u8]) -> StoreResult<String> {
        let (nonce, sealed) = self.inner.master.seal(kid, pkcs8_der)?;
        self.bounded("storing a private key", async {
            let mut conn = self.conn().await?;
            let tx = conn.transaction().await.map_err(db)?;
            tx.execute(
                "INSERT INTO td_key_material (kid, nonce, sealed) VALUES ($1, $2, $3)
                 ON CONFLICT (kid) DO UPDATE
                 SET nonce = EXCLUDED.nonce, sealed = EXCLUDED.sealed, written_at = now()",
                &[&kid, &nonce, &sealed],
            )
            .await
            .map_err(db)?;
            notify(&tx, "keys", kid).await?;
            tx.commit().await.map_err(db)?;
            Ok(())
        })
        .await?;
        Ok(format!("database key {kid}"))
    }

    async fn remove(&self, kid: &str) -> StoreResult<()> {
        self.bounded("removing a private key", async {
            let mut conn = self.conn().await?;
            let tx = conn.transaction().await.map_err(db)?;
            tx.execute("DELETE FROM td_key_material WHERE kid = $1", &[&kid])
                .await
                .map_err(db)?;
            notify(&tx, "keys", kid).await?;
            tx.commit().await.map_err(db)?;
            Ok(())
        })
        .await
        .store_err()
    }

    fn location(&self) -> String {
        "the database (sealed with the master key)".to_owned()
    }
}

#[async_trait]
impl Leases for PgStore {
    /// One upsert: it takes the row when free, lapsed or already ours, and touches nothing else.
    async fn try_hold(&self, name: &str, holder: &str, now: u64, until: u64) -> StoreResult<bool> {
        self.bounded("holding a lease", async {
            let conn = self.conn().await?;
            let row = conn
                .query_opt(
                    "INSERT INTO td_leases (name, holder, until) VALUES ($1, $2, $4)
                     ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
                     WHERE td_leases.holder = EXCLUDED.holder OR td_leases.until <= $3
                     RETURNING holder",
                    &[&name, &holder, &to_i64(now), &to_i64(until)],
                )
                .await
                .map_err(db)?;
            Ok(row.is_some())
        })
        .await.store_err()
    }
}

#[async_trait]
impl DenylistStore for PgStore {
    fn contains(&self, jti: &str) -> StoreResult<bool> {
        self.cache().fresh()?;
        Ok(read(&self.cache().revoked).contains_key(jti))
    }

    async fn insert(&self, entry: &RevokedToken, per_client: usize) -> StoreResult<Listing> {
        let record = json(&records::encode(entry)?)?;
        let limit = i64::try_from(per_client).unwrap_or(i64::MAX);
        self.bounded("storing the revocation", async {
            let mut conn = self.conn().await?;
            let tx = conn.transaction().await.map_err(db)?;
            // One revocation of a client at a time, across instances: the count and the insert
            // it allows are not interleaved with another's. The share is per registration.
            tx.execute(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                &[&REVOCATION_LOCK_CLASS, &entry.client_id],
            )
            .await
            .map_err(db)?;
            let listed = tx
                .query_one(
                    "SELECT count(*), coalesce(bool_or(jti = $2), false) FROM td_revoked
                     WHERE record->>'client_id' = $1 AND (record->>'reg') IS NOT DISTINCT FROM $3",
                    &[&entry.client_id, &entry.jti, &entry.reg],
                )
                .await
                .map_err(db)?;
            let (count, present): (i64, bool) = (listed.try_get(0)?, listed.try_get(1)?);
            if present {
                return Ok(Listing::Listed);
            }
            if count >= limit {
                return Ok(Listing::ClientFull);
            }
            tx.execute(
                "INSERT INTO td_revoked (jti, exp, record) VALUES ($1, $2, $3)
                 ON CONFLICT (jti) DO UPDATE SET exp = EXCLUDED.exp, record = EXCLUDED.record",
                &[&entry.jti, &to_i64(entry.exp), &record],
            )
            .await
            .map_err(db)?;
            notify(&tx, "revoked", &entry.jti).await?;
            self.commit(tx, |cache| {
                write(&cache.revoked).insert(entry.jti.clone(), entry.exp);
            })
            .await?;
            Ok(Listing::Listed)
        })
        .await
        .store_err()
    }

    async fn remove_expired(&self, now: u64) -> StoreResult<usize> {
        let n = self
            .bounded("sweeping expired revocations", async {
                let mut conn = self.conn().await?;
                let tx = conn.transaction().await.map_err(db)?;
                let n = tx
                    .execute("DELETE FROM td_revoked WHERE exp <= $1", &[&to_i64(now)])
                    .await
                    .map_err(db)?;
                // Lapsed lockout windows go with them: no window is longer than a day.
                tx.execute(
                    "DELETE FROM td_lockout WHERE since <= $1",
                    &[&to_i64(now.saturating_sub(86_400))],
                )
                .await
                .map_err(db)?;
                if n > 0 {
                    notify(&tx, "revoked-sweep", &now.to_string()).await?;
                }
                self.commit(tx, |cache| {
                    write(&cache.revoked).retain(|_, exp| *exp > now)
                })
                .await?;
                Ok(n)
            })
            .await?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn len(&self) -> usize {
        read(&self.cache().revoked).len()
    }
}

#[async_trait]
impl LockoutStore for PgStore {
    async fn failures(&self, key: &str) -> StoreResult<Option<(u64, u32)>> {
        self.bounded("reading login failures", async {
            let conn = self.conn().await?;
            let row = conn
                .query_opt(
                    "SELECT since, failures FROM td_lockout WHERE key = $1",
                    &[&key],
                )
                .await
                .map_err(db)?;
            row.map(|r| {
                let failures: i32 = r.try_get(1)?;
                Ok((to_u64(r.try_get(0)?), u32::try_from(failures).unwrap_or(0)))
            })
            .transpose()
        })
        .await
        .store_err()
    }

    async fn fail(&self, key: &str, window: u64, now: u64) -> StoreResult<()> {
        self.bounded("counting a login failure", async {
            let conn = self.conn().await?;
            conn.execute(
                "INSERT INTO td_lockout (key, since, failures) VALUES ($1, $2, 1)
                 ON CONFLICT (key) DO UPDATE SET
                   failures = CASE WHEN td_lockout.since + $3 <= $2 THEN 1
                                   ELSE least(td_lockout.failures, 2147483646) + 1 END,
                   since = CASE WHEN td_lockout.since + $3 <= $2 THEN $2 ELSE td_lockout.since END",
                &[&key, &to_i64(now), &to_i64(window)],
            )
            .await
            .map_err(db)?;
            Ok(())
        })
        .await
        .store_err()
    }

    async fn clear(&self, key: &str) -> StoreResult<()> {
        self.bounded("clearing login failures", async {
            let conn = self.conn().await?;
            conn.execute("DELETE FROM td_lockout WHERE key = $1", &[&key])
                .await
                .map_err(db)?;
            Ok(())
        })
        .await
        .store_err()
    }
}
