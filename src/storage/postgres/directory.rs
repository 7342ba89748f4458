//! The user directory in PostgreSQL: one table of entries by (kind, name), referential checks
//! inside each write's transaction, reads from the cache.
//!
//! An insert locks what it refers to (`FOR KEY SHARE`); a removal locks its row `FOR UPDATE`
//! before looking for referrers, so the two cannot interleave into a dangling reference.

use async_trait::async_trait;

use super::cache::{kind_name, read};
use super::{PgStore, bytes, db, json, notify, to_u64};
use crate::domain::ports::{DirectoryStore, StoreResult, UserChange};
use crate::domain::users::entries::{Entry, EntryKind, Inserted, Removed, UserRecord};
use crate::storage::StoreErr;
use crate::storage::records;
use crate::storage::users::{decode_entry, encode_entry};

#[async_trait]
impl DirectoryStore for PgStore {
    async fn next_id(&self) -> StoreResult<u64> {
        self.bounded("numbering a directory entry", async {
            let conn = self.conn().await?;
            let row = conn
                .query_one("SELECT nextval('td_directory_ids')", &[])
                .await
                .map_err(db)?;
            Ok(to_u64(row.try_get(0)?))
        })
        .await
        .store_err()
    }

    fn get(&self, kind: EntryKind, name: &str) -> StoreResult<Option<Entry>> {
        self.cache().fresh()?;
        Ok(read(&self.cache().directory)
            .get(&kind)
            .and_then(|entries| entries.get(name))
            .cloned())
    }

    fn list(&self, kind: EntryKind) -> StoreResult<Vec<Entry>> {
        self.cache().fresh()?;
        Ok(read(&self.cache().directory)
            .get(&kind)
            .map(|entries| entries.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn insert(&self, entry: Entry) -> StoreResult<Inserted> {
        let (kind, name) = (entry.kind(), entry.name().to_owned());
        let record = json(&encode_entry(&entry)?)?;
        let references: Vec<(EntryKind, String)> = entry
            .references()
            .into_iter()
            .map(|(k, n)| (k, n.to_owned()))
            .collect();
        let inserted = self
            .bounded(&format!("adding {} {name:?}", kind.label()), async {
                let mut conn = self.conn().await?;
                let tx = conn.transaction().await.map_err(db)?;
                for (kind, name) in &references {
                    let found = tx
                        .query_opt(
                            "SELECT 1 FROM td_directory WHERE kind = $1 AND name = $2 FOR KEY SHARE",
                            &[&kind_name(*kind), name],
                        )
                        .await
                        .map_err(db)?;
                    if found.is_none() {
                        return Ok(Inserted::Missing(*kind, name.clone()));
                    }
                }
                let n = tx
                    .execute(
                        "INSERT INTO td_directory (kind, name, record) VALUES ($1, $2, $3)
                         ON CONFLICT DO NOTHING",
                        &[&kind_name(kind), &name, &record],
                    )
                    .await
                    .map_err(db)?;
                if n == 0 {
                    return Ok(Inserted::Exists);
                }
                notify(&tx, &format!("dir:{}", kind_name(kind)), &name).await?;
                self.commit(tx, |cache| cache.put_entry(kind, &name, Some(entry.clone())))
                    .await?;
                Ok(Inserted::Created)
            })
            .await?;
        Ok(inserted)
    }

    async fn update_user(&self, username: &str, change: UserChange) -> StoreResult<bool> {
        let user = kind_name(EntryKind::User);
        let updated = self
            .bounded(&format!("updating user {username:?}"), async {
                let mut conn = self.conn().await?;
                let tx = conn.transaction().await.map_err(db)?;
                let Some(row) = tx
                    .query_opt(
                        "SELECT record FROM td_directory WHERE kind = $1 AND name = $2 FOR UPDATE",
                        &[&user, &username],
                    )
                    .await
                    .map_err(db)?
                else {
                    return Ok(None);
                };
                let record: UserRecord =
                    change(records::decode(&bytes(&row.try_get(0)?)?)?);
                anyhow::ensure!(
                    record.username == username,
                    "an update may not rename a user"
                );
                let entry = Entry::User(record);
                for (kind, name) in entry.references() {
                    let found = tx
                        .query_opt(
                            "SELECT 1 FROM td_directory WHERE kind = $1 AND name = $2 FOR KEY SHARE",
                            &[&kind_name(kind), &name],
                        )
                        .await
                        .map_err(db)?;
                    anyhow::ensure!(
                        found.is_some(),
                        "user {username} would refer to a missing {} {name}",
                        kind.label()
                    );
                }
                tx.execute(
                    "UPDATE td_directory SET record = $3 WHERE kind = $1 AND name = $2",
                    &[&user, &username, &json(&encode_entry(&entry)?)?],
                )
                .await
                .map_err(db)?;
                notify(&tx, &format!("dir:{user}"), username).await?;
                tx.commit().await.map_err(db)?;
                Ok(Some(entry))
            })
            .await?;
        let found = updated.is_some();
        if let Some(entry) = updated {
            self.cache()
                .put_entry(EntryKind::User, username, Some(entry));
        }
        Ok(found)
    }

    async fn remove(&self, kind: EntryKind, name: &str) -> StoreResult<Removed> {
        let removed = self
            .bounded(&format!("removing {} {name:?}", kind.label()), async {
                let mut conn = self.conn().await?;
                let tx = conn.transaction().await.map_err(db)?;
                let target = tx
                    .query_opt(
                        "SELECT 1 FROM td_directory WHERE kind = $1 AND name = $2 FOR UPDATE",
                        &[&kind_name(kind), &name],
                    )
                    .await
                    .map_err(db)?;
                if target.is_none() {
                    return Ok(Removed::NotFound);
                }
                let referrer_kind = match kind {
                    EntryKind::Org | EntryKind::OrgUnit | EntryKind::Department => {
                        Some(EntryKind::Wfc)
                    }
                    EntryKind::Role | EntryKind::Wfc => Some(EntryKind::User),
                    EntryKind::User | EntryKind::Service => None,
                };
                if let Some(referrer_kind) = referrer_kind {
                    for row in tx
                        .query(
                            "SELECT record FROM td_directory WHERE kind = $1 ORDER BY name",
                            &[&kind_name(referrer_kind)],
                        )
                        .await
                        .map_err(db)?
                    {
                        let entry = decode_entry(referrer_kind, &bytes(&row.try_get(0)?)?)?;
                        if entry.references().contains(&(kind, name)) {
                            return Ok(Removed::InUse(referrer_kind, entry.name().to_owned()));
                        }
                    }
                }
                tx.execute(
                    "DELETE FROM td_directory WHERE kind = $1 AND name = $2",
                    &[&kind_name(kind), &name],
                )
                .await
                .map_err(db)?;
                notify(&tx, &format!("dir:{}", kind_name(kind)), name).await?;
                self.commit(tx, |cache| cache.put_entry(kind, name, None))
                    .await?;
                Ok(Removed::Removed)
            })
            .await?;
        Ok(removed)
    }
}

impl PgStore {
    /// Copies entries in, overwriting same names, and moves the id sequence past every id
    /// seen: `tokendealer migrate`. Entries are given parents first.
    pub async fn import_entries(&self, entries: &[Entry], max_id: u64) -> anyhow::Result<()> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await.map_err(db)?;
        for entry in entries {
            let (kind, name) = (kind_name(entry.kind()), entry.name());
            tx.execute(
                "INSERT INTO td_directory (kind, name, record) VALUES ($1, $2, $3)
                 ON CONFLICT (kind, name) DO UPDATE SET record = EXCLUDED.record",
                &[&kind, &name, &json(&encode_entry(entry)?)?],
            )
            .await
            .map_err(db)?;
            notify(&tx, &format!("dir:{kind}"), name).await?;
        }
        tx.execute(
            "SELECT setval('td_directory_ids', greatest($1, (SELECT last_value FROM td_directory_ids)))",
            &[&super::to_i64(max_id.max(1))],
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        for entry in entries {
            self.cache()
                .put_entry(entry.kind(), entry.name(), Some(entry.clone()));
        }
        Ok(())
    }
}
