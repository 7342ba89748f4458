//! Clients in PostgreSQL: reads from the cache, writes in one transaction each.

use anyhow::Context;
use async_trait::async_trait;

use super::cache::read;
use super::trusted_issuers::store_subjects;
use super::{PgStore, bytes, db, json, notify};
use crate::domain::ports::{ClientChange, ClientStore, StoreResult};
use crate::domain::{Client, ClientId};
use crate::storage::StoreErr;
use crate::storage::clients::{from_record, to_record};
use crate::storage::records;

/// Never a client id (ids are printable ASCII): looked up beside a known client.
const ABSENT: &str = "\u{7f}absent";

#[async_trait]
impl ClientStore for PgStore {
    /// Two map probes and one client cloned, whatever the outcome: a known id is paired with a
    /// key that is never stored, an unknown one clones the stand-in client.
    fn lookup(&self, id: Option<&ClientId>) -> StoreResult<(bool, Client)> {
        self.cache().fresh()?;
        let clients = read(&self.cache().clients);
        let found = clients.get(id.map_or(ABSENT, |id| id.as_str()));
        let paired = clients.get(if found.is_some() { ABSENT } else { "" });
        Ok(match found.or(paired) {
            Some(client) => (found.is_some(), client.clone()),
            None => (false, self.cache().decoy.clone()),
        })
    }

    fn get(&self, id: &ClientId) -> StoreResult<Option<Client>> {
        self.cache().fresh()?;
        Ok(read(&self.cache().clients).get(id.as_str()).cloned())
    }

    fn list(&self) -> StoreResult<Vec<Client>> {
        let mut all: Vec<Client> = read(&self.cache().clients).values().cloned().collect();
        all.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        Ok(all)
    }

    fn count(&self) -> usize {
        read(&self.cache().clients).len()
    }

    fn is_empty(&self) -> StoreResult<bool> {
        Ok(read(&self.cache().clients).is_empty())
    }

    /// Stale once the change listener has been cut off past `database_stale_secs`: the token
    /// path refuses then (see `Cache::fresh`).
    fn health(&self) -> StoreResult<()> {
        self.cache().fresh().store_err()
    }

    async fn insert(&self, client: &Client) -> StoreResult<bool> {
        let record = json(&records::encode(to_record(client))?)?;
        let id = client.id.as_str();
        let inserted = self
            .bounded(&format!("registering client {id:?}"), async {
                let mut conn = self.conn().await?;
                let tx = conn.transaction().await.map_err(db)?;
                let n = tx
                    .execute(
                        "INSERT INTO td_clients (id, record) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        &[&id, &record],
                    )
                    .await
                    .map_err(db)?;
                if n == 1 {
                    let subjects = client.auth_method.federated_subjects();
                    store_subjects(&tx, id, subjects).await?;
                }
                notify(&tx, "client", id).await?;
                self.commit(tx, |cache| {
                    if n == 1 {
                        cache.put_client(id, Some(client.clone()));
                    }
                })
                .await?;
                Ok(n == 1)
            })
            .await?;
        Ok(inserted)
    }

    /// Reads the row `FOR UPDATE` and writes it back in one transaction: concurrent updates and
    /// removals on any instance serialize, none is lost or undone.
    async fn update(&self, id: &ClientId, change: ClientChange) -> StoreResult<Option<Client>> {
        let key = id.as_str();
        let updated = self
            .bounded(&format!("updating client {key:?}"), async {
                let mut conn = self.conn().await?;
                let tx = conn.transaction().await.map_err(db)?;
                let Some(row) = tx
                    .query_opt(
                        "SELECT record FROM td_clients WHERE id = $1 FOR UPDATE",
                        &[&key],
                    )
                    .await
                    .map_err(db)?
                else {
                    return Ok(None);
                };
                let mut client = from_record(records::decode(&bytes(&row.try_get(0)?)?)?)?;
                let before = client.auth_method.federated_subjects().to_vec();
                change(&mut client);
                anyhow::ensure!(
                    client.id.as_str() == key,
                    "an update may not change the client id"
                );
                let record = json(&records::encode(to_record(&client))?)?;
                tx.execute(
                    "UPDATE td_clients SET record = $2 WHERE id = $1",
                    &[&key, &record],
                )
                .await
                .map_err(db)?;
                if client.auth_method.federated_subjects() != before {
                    store_subjects(&tx, key, client.auth_method.federated_subjects()).await?;
                }
                notify(&tx, "client", key).await?;
                let stored = client.clone();
                self.commit(tx, |cache| cache.put_client(key, Some(stored)))
                    .await?;
                Ok(Some(client))
            })
            .await?;
        Ok(updated)
    }

    /// A range of the ordered cache: `limit` clones, whatever the number of clients.
    fn page(
        &self,
        prefix: &str,
        after: Option<&ClientId>,
        limit: usize,
    ) -> StoreResult<Vec<Client>> {
        use std::ops::Bound;
        let start = match after.filter(|a| a.as_str() >= prefix) {
            Some(after) => Bound::Excluded(after.as_str()),
            None => Bound::Included(prefix),
        };
        let clients = read(&self.cache().clients);
        Ok(clients
            .range::<str, _>((start, Bound::Unbounded))
            .take_while(|(id, _)| id.starts_with(prefix))
            .take(limit)
            .map(|(_, client)| client.clone())
            .collect())
    }

    async fn remove(&self, id: &ClientId) -> StoreResult<bool> {
        let key = id.as_str();
        let removed = self
            .bounded(&format!("removing client {key:?}"), async {
                let mut conn = self.conn().await?;
                let tx = conn.transaction().await.map_err(db)?;
                let n = tx
                    .execute("DELETE FROM td_clients WHERE id = $1", &[&key])
                    .await
                    .map_err(db)?;
                notify(&tx, "client", key).await?;
                self.commit(tx, |cache| cache.put_client(key, None)).await?;
                Ok(n == 1)
            })
            .await?;
        Ok(removed)
    }

    fn federated(&self, trust: &str, subject: &str) -> StoreResult<Option<ClientId>> {
        self.federated_client(trust, subject)
    }

    fn bound_to(&self, trust: &str, limit: usize) -> StoreResult<Vec<ClientId>> {
        self.clients_bound_to(trust, limit)
    }
}

impl PgStore {
    /// Stores many clients at once, overwriting same ids: `tokendealer migrate`.
    pub async fn import_clients(&self, clients: &[Client]) -> anyhow::Result<()> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await.map_err(db)?;
        for client in clients {
            let record = json(&records::encode(to_record(client))?)?;
            let id = client.id.as_str();
            tx.execute(
                "INSERT INTO td_clients (id, record) VALUES ($1, $2)
                 ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record",
                &[&id, &record],
            )
            .await
            .map_err(db)?;
            store_subjects(&tx, id, client.auth_method.federated_subjects()).await?;
            notify(&tx, "client", id).await?;
        }
        tx.commit().await.map_err(db).context("importing clients")?;
        for client in clients {
            self.cache()
                .put_client(client.id.as_str(), Some(client.clone()));
        }
        Ok(())
    }
}
