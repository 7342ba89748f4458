//! The user directory's sled trees: one per entry kind, with referential checks on every write.
//!
//! Every write is one job of the store's writer: it checks references by reading the trees,
//! writes one record, and is flushed before it is acknowledged. A write touches one record only,
//! so a crash cannot tear it, and the writer runs one job at a time, which makes "check that
//! nothing refers to X, then remove X" atomic against a concurrent add.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;

use super::Store;
use super::records;
use async_trait::async_trait;

use super::StoreErr;
use crate::domain::ports::{DirectoryStore, StoreResult, UserChange};
use crate::domain::users::entries::{
    DirectoryRecord, Entry, EntryKind, Inserted, Removed, UserRecord, WfcRecord,
};

/// Handle to the directory trees. Cheap to clone.
#[derive(Clone)]
pub struct UserStore {
    store: Store,
    trees: Arc<Trees>,
}

/// The directory's trees, by kind.
struct Trees(HashMap<EntryKind, sled::Tree>);

impl Trees {
    fn get(&self, kind: EntryKind) -> anyhow::Result<&sled::Tree> {
        self.0
            .get(&kind)
            .with_context(|| format!("the {} tree is not open", kind.label()))
    }

    fn list<R: DirectoryRecord>(&self) -> anyhow::Result<Vec<R>> {
        self.get(R::KIND)?
            .iter()
            .values()
            .map(|v| records::decode(&v?))
            .collect::<anyhow::Result<_>>()
            .with_context(|| format!("listing {}s", R::KIND.label()))
    }

    /// The first entry that refers to `(kind, name)`, if any.
    fn referrer(&self, kind: EntryKind, name: &str) -> anyhow::Result<Option<(EntryKind, String)>> {
        let refers = |refs: Vec<(EntryKind, &str)>| refs.contains(&(kind, name));
        match kind {
            EntryKind::Org | EntryKind::OrgUnit | EntryKind::Department => {
                for wfc in self.list::<WfcRecord>()? {
                    if refers(wfc.references()) {
                        return Ok(Some((EntryKind::Wfc, wfc.name)));
                    }
                }
            }
            EntryKind::Role | EntryKind::Wfc => {
                for user in self.list::<UserRecord>()? {
                    if refers(user.references()) {
                        return Ok(Some((EntryKind::User, user.username)));
                    }
                }
            }
            EntryKind::User | EntryKind::Service => {}
        }
        Ok(None)
    }

    /// The first entry `record` refers to that does not exist.
    fn missing<R: DirectoryRecord>(
        &self,
        record: &R,
    ) -> anyhow::Result<Option<(EntryKind, String)>> {
        for (kind, name) in record.references() {
            if !self.get(kind)?.contains_key(name)? {
                return Ok(Some((kind, name.to_owned())));
            }
        }
        Ok(None)
    }
}

impl UserStore {
    /// Opens the directory's trees in the store's database.
    pub fn open(store: &Store) -> anyhow::Result<Self> {
        let mut trees = HashMap::new();
        for kind in EntryKind::ALL {
            trees.insert(kind, store.db.open_tree(tree_name(kind))?);
        }
        Ok(Self {
            store: store.clone(),
            trees: Arc::new(Trees(trees)),
        })
    }

    fn tree(&self, kind: EntryKind) -> anyhow::Result<&sled::Tree> {
        self.trees.get(kind)
    }
}

#[async_trait]
impl DirectoryStore for UserStore {
    /// On the writer: sled may persist its id counter (a flush of its own) when handing one out.
    async fn next_id(&self) -> StoreResult<u64> {
        let db = self.store.db.clone();
        // sled's ids start at 0; tokenleader's started at 1.
        self.store
            .writer()
            .write(move || Ok(db.generate_id()? + 1))
            .await
            .store_err()
    }

    fn get(&self, kind: EntryKind, name: &str) -> StoreResult<Option<Entry>> {
        self.tree(kind)?
            .get(name)
            .store_err()?
            .map(|bytes| decode_entry(kind, &bytes))
            .transpose()
            .with_context(|| format!("reading {} {name:?}", kind.label()))
            .store_err()
    }

    fn list(&self, kind: EntryKind) -> StoreResult<Vec<Entry>> {
        self.tree(kind)?
            .iter()
            .values()
            .map(|v| decode_entry(kind, &v?))
            .collect::<anyhow::Result<_>>()
            .with_context(|| format!("listing {}s", kind.label()))
            .store_err()
    }

    async fn insert(&self, entry: Entry) -> StoreResult<Inserted> {
        let bytes = encode_entry(&entry)?;
        let (trees, kind, name) = (self.trees.clone(), entry.kind(), entry.name().to_owned());
        let references: Vec<(EntryKind, String)> = entry
            .references()
            .into_iter()
            .map(|(k, n)| (k, n.to_owned()))
            .collect();
        self.store
            .writer()
            .write(move || {
                // Checked on the writer: no removal can come between the check and the insert.
                for (kind, name) in references {
                    if !trees.get(kind)?.contains_key(&name)? {
                        return Ok(Inserted::Missing(kind, name));
                    }
                }
                let swapped = trees.get(kind)?.compare_and_swap(
                    name.as_bytes(),
                    None as Option<&[u8]>,
                    Some(bytes),
                )?;
                Ok(if swapped.is_ok() {
                    Inserted::Created
                } else {
                    Inserted::Exists
                })
            })
            .await
            .store_err()
    }

    /// `change` gets the record as the writer sees it, so a concurrent removal is never undone.
    async fn update_user(&self, username: &str, change: UserChange) -> StoreResult<bool> {
        let (trees, username) = (self.trees.clone(), username.to_owned());
        self.store
            .writer()
            .write(move || {
                let tree = trees.get(EntryKind::User)?;
                let Some(bytes) = tree.get(username.as_bytes())? else {
                    return Ok(false);
                };
                let record = change(records::decode(&bytes)?);
                anyhow::ensure!(
                    record.username == username,
                    "an update may not rename a user"
                );
                if let Some((kind, name)) = trees.missing(&record)? {
                    anyhow::bail!(
                        "user {username} would refer to a missing {} {name}",
                        kind.label()
                    );
                }
                tree.insert(username.as_bytes(), records::encode(&record)?)?;
                Ok(true)
            })
            .await
            .store_err()
    }

    async fn remove(&self, kind: EntryKind, name: &str) -> StoreResult<Removed> {
        let (trees, name) = (self.trees.clone(), name.to_owned());
        self.store
            .writer()
            .write(move || {
                if let Some(referrer) = trees.referrer(kind, &name)? {
                    return Ok(Removed::InUse(referrer.0, referrer.1));
                }
                Ok(if trees.get(kind)?.remove(name.as_bytes())?.is_some() {
                    Removed::Removed
                } else {
                    Removed::NotFound
                })
            })
            .await
            .store_err()
    }
}

/// A stored record of `kind` as an [`Entry`]. The four named kinds share one record shape.
pub(super) fn decode_entry(kind: EntryKind, bytes: &[u8]) -> anyhow::Result<Entry> {
    Ok(match kind {
        EntryKind::Org | EntryKind::OrgUnit | EntryKind::Department | EntryKind::Role => {
            Entry::Named(kind, records::decode(bytes)?)
        }
        EntryKind::Wfc => Entry::Wfc(records::decode(bytes)?),
        EntryKind::User => Entry::User(records::decode(bytes)?),
        EntryKind::Service => Entry::Service(records::decode(bytes)?),
    })
}

pub fn encode_entry(entry: &Entry) -> anyhow::Result<Vec<u8>> {
    match entry {
        Entry::Named(_, r) => records::encode(r),
        Entry::Wfc(r) => records::encode(r),
        Entry::User(r) => records::encode(r),
        Entry::Service(r) => records::encode(r),
    }
}

/// The sled tree holding entries of `kind`.
fn tree_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Org => "orgs",
        EntryKind::OrgUnit => "orgunits",
        EntryKind::Department => "departments",
        EntryKind::Wfc => "wfcs",
        EntryKind::Role => "roles",
        EntryKind::User => "users",
        EntryKind::Service => "services",
    }
}

#[cfg(test)]
mod tests;
