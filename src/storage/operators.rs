//! Console operators in the `operators` tree: the [`OperatorStore`] over sled, every write
//! through the store's one writer.

use anyhow::Context;
use async_trait::async_trait;

use super::Store;
use super::StoreErr;
use super::records;
use crate::domain::operators::Operator;
use crate::domain::ports::{OperatorChange, OperatorStore, StoreResult};

/// Handle to the operators tree. Cheap to clone.
#[derive(Clone)]
pub struct OperatorTree {
    store: Store,
    tree: sled::Tree,
}

impl OperatorTree {
    pub fn open(store: &Store) -> anyhow::Result<Self> {
        Ok(Self {
            store: store.clone(),
            tree: store.db.open_tree("operators")?,
        })
    }
}

#[async_trait]
impl OperatorStore for OperatorTree {
    fn get(&self, name: &str) -> StoreResult<Option<Operator>> {
        self.tree
            .get(name.as_bytes())
            .store_err()?
            .map(|bytes| records::decode(&bytes))
            .transpose()
            .with_context(|| format!("reading operator {name:?}"))
            .store_err()
    }

    fn list(&self) -> StoreResult<Vec<Operator>> {
        self.tree
            .iter()
            .values()
            .map(|v| records::decode(&v?))
            .collect::<anyhow::Result<_>>()
            .context("listing operators")
            .store_err()
    }

    async fn insert(&self, operator: &Operator) -> StoreResult<bool> {
        let bytes = records::encode(operator)?;
        let (tree, name) = (self.tree.clone(), operator.name.clone());
        self.store
            .writer()
            .write(move || {
                let swapped =
                    tree.compare_and_swap(name.as_bytes(), None as Option<&[u8]>, Some(bytes))?;
                Ok(swapped.is_ok())
            })
            .await
            .store_err()
    }

    /// Runs on the writer: the record as stored when the write happens is the one changed.
    async fn update(&self, name: &str, change: OperatorChange) -> StoreResult<Option<Operator>> {
        let (tree, name) = (self.tree.clone(), name.to_owned());
        self.store
            .writer()
            .write(move || {
                let Some(bytes) = tree.get(name.as_bytes())? else {
                    return Ok(None);
                };
                let mut operator: Operator = records::decode(&bytes)?;
                change(&mut operator);
                anyhow::ensure!(
                    operator.name == name,
                    "an update may not rename an operator"
                );
                tree.insert(name.as_bytes(), records::encode(&operator)?)?;
                Ok(Some(operator))
            })
            .await
            .store_err()
    }

    async fn remove(&self, name: &str) -> StoreResult<bool> {
        let (tree, name) = (self.tree.clone(), name.to_owned());
        self.store
            .writer()
            .write(move || Ok(tree.remove(name.as_bytes())?.is_some()))
            .await
            .store_err()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operator(name: &str) -> Operator {
        Operator {
            name: name.into(),
            password_phc: "$argon2id$...".into(),
            created_at: 1,
        }
    }

    #[tokio::test]
    async fn an_operator_is_stored_once_changed_in_place_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let tree = OperatorTree::open(&Store::open(dir.path()).unwrap()).unwrap();
        assert!(tree.insert(&operator("ann")).await.unwrap());
        assert!(!tree.insert(&operator("ann")).await.unwrap());
        let changed = tree
            .update("ann", Box::new(|o| o.password_phc = "new".into()))
            .await
            .unwrap();
        assert_eq!(changed.unwrap().password_phc, "new");
        assert!(
            tree.update("bob", Box::new(|_| {}))
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(tree.list().unwrap().len(), 1);
        assert!(tree.remove("ann").await.unwrap());
        assert!(tree.get("ann").unwrap().is_none());
    }
}
