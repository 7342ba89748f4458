//! Trusted issuers in the `trusted_issuers` tree: the [`TrustedIssuerStore`] over sled. Each
//! issuer is two keys written in one batch: `n\0NAME` (the record) and `i\0ISS` (its name), so
//! a token's `iss` finds its trust with one read.

use anyhow::Context;
use async_trait::async_trait;

use super::federated_index::{ensure_unbound, trust_key as name_key};
use super::{Store, StoreErr, records};
use crate::domain::federation::TrustedIssuer;
use crate::domain::ports::{StoreResult, TrustInsert, TrustedIssuerStore};

/// Handle to the trusted issuers tree. Cheap to clone.
#[derive(Clone)]
pub struct TrustTree {
    store: Store,
    tree: sled::Tree,
    /// The clients tree, whose federated index a removal checks on the writer.
    clients: sled::Tree,
}

fn issuer_key(iss: &str) -> Vec<u8> {
    [b"i\0", iss.as_bytes()].concat()
}

impl TrustTree {
    pub fn open(store: &Store) -> anyhow::Result<Self> {
        Ok(Self {
            store: store.clone(),
            tree: store.trusts.clone(),
            clients: store.clients.clone(),
        })
    }

    fn decode(&self, bytes: &[u8]) -> anyhow::Result<TrustedIssuer> {
        records::decode(bytes).context("reading a trusted issuer")
    }
}

#[async_trait]
impl TrustedIssuerStore for TrustTree {
    fn get(&self, name: &str) -> StoreResult<Option<TrustedIssuer>> {
        self.tree
            .get(name_key(name))
            .store_err()?
            .map(|bytes| self.decode(&bytes))
            .transpose()
            .store_err()
    }

    fn list(&self) -> StoreResult<Vec<TrustedIssuer>> {
        self.tree
            .scan_prefix(b"n\0")
            .values()
            .map(|v| self.decode(&v?))
            .collect::<anyhow::Result<_>>()
            .store_err()
    }

    fn by_issuer(&self, iss: &str) -> StoreResult<Option<TrustedIssuer>> {
        let Some(name) = self.tree.get(issuer_key(iss)).store_err()? else {
            return Ok(None);
        };
        let name = String::from_utf8_lossy(&name).into_owned();
        self.get(&name)
    }

    /// Runs on the writer: the count and both keys are checked and written as one job.
    async fn insert(&self, issuer: &TrustedIssuer, max: usize) -> StoreResult<TrustInsert> {
        let bytes = records::encode(issuer)?;
        let tree = self.tree.clone();
        let (name, iss) = (issuer.name.clone(), issuer.issuer.clone());
        self.store
            .writer()
            .write(move || {
                if tree.contains_key(name_key(&name))? {
                    return Ok(TrustInsert::NameTaken);
                }
                if tree.contains_key(issuer_key(&iss))? {
                    return Ok(TrustInsert::IssuerTaken);
                }
                if tree.scan_prefix(b"n\0").keys().take(max).count() >= max {
                    return Ok(TrustInsert::Full);
                }
                let mut batch = sled::Batch::default();
                batch.insert(name_key(&name), bytes);
                batch.insert(issuer_key(&iss), name.as_bytes());
                tree.apply_batch(batch)?;
                Ok(TrustInsert::Added)
            })
            .await
            .store_err()
    }

    /// Runs on the writer, as bindings do: a client bound meanwhile keeps the issuer trusted.
    async fn remove(&self, name: &str) -> StoreResult<bool> {
        let (tree, name) = (self.tree.clone(), name.to_owned());
        let clients = self.clients.clone();
        self.store
            .writer()
            .write(move || {
                let Some(bytes) = tree.get(name_key(&name))? else {
                    return Ok(false);
                };
                ensure_unbound(&clients, &name)?;
                let issuer: TrustedIssuer = records::decode(&bytes)?;
                let mut batch = sled::Batch::default();
                batch.remove(name_key(&name));
                batch.remove(issuer_key(&issuer.issuer));
                tree.apply_batch(batch)?;
                Ok(true)
            })
            .await
            .store_err()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::federation::IssuerKeys;

    fn trusted(name: &str, iss: &str) -> TrustedIssuer {
        TrustedIssuer {
            name: name.into(),
            issuer: iss.into(),
            keys: IssuerKeys::Discovered,
            audience: "https://dealer".into(),
            created_at: 1,
        }
    }

    #[tokio::test]
    async fn a_name_and_an_issuer_are_each_trusted_once_and_the_count_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let tree = TrustTree::open(&Store::open(dir.path()).unwrap()).unwrap();
        let add = |t: TrustedIssuer| {
            let tree = tree.clone();
            async move { tree.insert(&t, 2).await.unwrap() }
        };
        assert_eq!(add(trusted("a", "https://a")).await, TrustInsert::Added);
        assert_eq!(add(trusted("a", "https://b")).await, TrustInsert::NameTaken);
        assert_eq!(
            add(trusted("b", "https://a")).await,
            TrustInsert::IssuerTaken
        );
        assert_eq!(add(trusted("b", "https://b")).await, TrustInsert::Added);
        assert_eq!(add(trusted("c", "https://c")).await, TrustInsert::Full);
        assert_eq!(tree.by_issuer("https://b").unwrap().unwrap().name, "b");
        assert!(tree.remove("b").await.unwrap());
        assert!(tree.by_issuer("https://b").unwrap().is_none());
        assert_eq!(tree.list().unwrap().len(), 1);
        assert!(!tree.remove("b").await.unwrap());
    }
}
