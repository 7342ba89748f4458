//! Console operators in PostgreSQL: reads from the cache (a handful of rows), writes in one
//! transaction each, announced to every instance like every other change.

use async_trait::async_trait;

use super::cache::read;
use super::{PgStore, bytes, db, json, notify};
use crate::domain::operators::Operator;
use crate::domain::ports::{OperatorChange, OperatorStore, StoreResult};
use crate::storage::StoreErr;
use crate::storage::records;

#[async_trait]
impl OperatorStore for PgStore {
    fn get(&self, name: &str) -> StoreResult<Option<Operator>> {
        Ok(read(&self.cache().operators).get(name).cloned())
    }

    fn list(&self) -> StoreResult<Vec<Operator>> {
        Ok(read(&self.cache().operators).values().cloned().collect())
    }

    async fn insert(&self, operator: &Operator) -> StoreResult<bool> {
        let record = json(&records::encode(operator)?)?;
        let name = operator.name.as_str();
        self.bounded(&format!("adding operator {name:?}"), async {
            let mut conn = self.conn().await?;
            let tx = conn.transaction().await.map_err(db)?;
            let n = tx
                .execute(
                    "INSERT INTO td_operators (name, record) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&name, &record],
                )
                .await
                .map_err(db)?;
            notify(&tx, "operator", name).await?;
            self.commit(tx, |cache| {
                if n == 1 {
                    cache.put_operator(name, Some(operator.clone()));
                }
            })
            .await?;
            Ok(n == 1)
        })
        .await.store_err()
    }

    /// Reads the row `FOR UPDATE` and writes it back in one transaction.
    async fn update(&self, name: &str, change: OperatorChange) -> StoreResult<Option<Operator>> {
        self.bounded(&format!("updating operator {name:?}"), async {
            let mut conn = self.conn().await?;
            let tx = conn.transaction().await.map_err(db)?;
            let Some(row) = tx
                .query_opt(
                    "SELECT record FROM td_operators WHERE name = $1 FOR UPDATE",
                    &[&name],
                )
                .await
                .map_err(db)?
            else {
                return Ok(None);
            };
            let mut operator: Operator = records::decode(&bytes(&row.try_get(0)?)?)?;
            change(&mut operator);
            anyhow::ensure!(
                operator.name == name,
                "an update may not rename an operator"
            );
            let record = json(&records::encode(&operator)?)?;
            tx.execute(
                "UPDATE td_operators SET record = $2 WHERE name = $1",
                &[&name, &record],
            )
            .await
            .map_err(db)?;
            notify(&tx, "operator", name).await?;
            let stored = operator.clone();
            self.commit(tx, |cache| cache.put_operator(name, Some(stored)))
                .await?;
            Ok(Some(operator))
        })
        .await
        .store_err()
    }

    async fn remove(&self, name: &str) -> StoreResult<bool> {
        self.bounded(&format!("removing operator {name:?}"), async {
            let mut conn = self.conn().await?;
            let tx = conn.transaction().await.map_err(db)?;
            let n = tx
                .execute("DELETE FROM td_operators WHERE name = $1", &[&name])
                .await
                .map_err(db)?;
            notify(&tx, "operator", name).await?;
            self.commit(tx, |cache| cache.put_operator(name, None))
                .await?;
            Ok(n == 1)
        })
        .await
        .store_err()
    }
}
