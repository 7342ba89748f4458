//! The user directory's sled trees: one per entry kind, with referential checks on every write.
//!
//! Every write takes one directory-wide lock, checks references by reading the trees, writes one
//! record and flushes. A write touches one record only, so a crash cannot tear it, and the lock
//! makes "check that nothing refers to X, then remove X" atomic against a concurrent add.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;

use super::Store;
use super::records;
use super::user_records::{DirectoryRecord, EntryKind, UserRecord, WfcRecord};

/// What an insert did.
#[derive(Debug, PartialEq, Eq)]
pub enum Inserted {
    Created,
    /// An entry of this kind already has the name.
    Exists,
    /// A referenced entry does not exist.
    Missing(EntryKind, String),
}

/// What a removal did.
#[derive(Debug, PartialEq, Eq)]
pub enum Removed {
    Removed,
    NotFound,
    /// Another entry (kind, name) still refers to it.
    InUse(EntryKind, String),
}

/// Handle to the directory trees. Cheap to clone; clones share the write lock.
#[derive(Clone)]
pub struct UserStore {
    store: Store,
    trees: Arc<HashMap<EntryKind, sled::Tree>>,
    write: Arc<tokio::sync::Mutex<()>>,
}

impl UserStore {
    /// Opens the directory's trees in the store's database.
    pub fn open(store: &Store) -> anyhow::Result<Self> {
        let mut trees = HashMap::new();
        for kind in EntryKind::ALL {
            trees.insert(kind, store.db.open_tree(kind.tree_name())?);
        }
        Ok(Self {
            store: store.clone(),
            trees: Arc::new(trees),
            write: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    fn tree(&self, kind: EntryKind) -> anyhow::Result<&sled::Tree> {
        self.trees
            .get(&kind)
            .with_context(|| format!("the {} tree is not open", kind.label()))
    }

    /// A fresh number, unique in this database, for an entry's `id`.
    pub fn next_id(&self) -> anyhow::Result<u64> {
        // sled's ids start at 0; tokenleader's started at 1.
        Ok(self.store.db.generate_id()? + 1)
    }

    pub fn get<R: DirectoryRecord>(&self, name: &str) -> anyhow::Result<Option<R>> {
        self.tree(R::KIND)?
            .get(name)?
            .map(|bytes| records::decode(&bytes))
            .transpose()
            .with_context(|| format!("reading {} {name:?}", R::KIND.label()))
    }

    /// Every entry of one kind, ordered by name.
    pub fn list<R: DirectoryRecord>(&self) -> anyhow::Result<Vec<R>> {
        self.tree(R::KIND)?
            .iter()
            .values()
            .map(|v| records::decode(&v?))
            .collect::<anyhow::Result<_>>()
            .with_context(|| format!("listing {}s", R::KIND.label()))
    }

    /// Stores a new entry if its name is free and everything it refers to exists.
    pub async fn insert<R: DirectoryRecord>(&self, record: &R) -> anyhow::Result<Inserted> {
        let _guard = self.write.lock().await;
        for (kind, name) in record.references() {
            if !self.tree(kind)?.contains_key(name)? {
                return Ok(Inserted::Missing(kind, name.to_owned()));
            }
        }
        let bytes = records::encode(record)?;
        let swapped = self.tree(R::KIND)?.compare_and_swap(
            record.name(),
            None as Option<&[u8]>,
            Some(bytes),
        )?;
        if swapped.is_err() {
            return Ok(Inserted::Exists);
        }
        self.store.flush().await?;
        Ok(Inserted::Created)
    }

    /// Replaces an existing user record (a password change); `false` if the user is gone.
    pub async fn replace_user(&self, record: &UserRecord) -> anyhow::Result<bool> {
        let _guard = self.write.lock().await;
        for (kind, name) in record.references() {
            anyhow::ensure!(
                self.tree(kind)?.contains_key(name)?,
                "user {} refers to a missing {} {name}",
                record.username,
                kind.label()
            );
        }
        let tree = self.tree(EntryKind::User)?;
        if !tree.contains_key(&record.username)? {
            return Ok(false);
        }
        tree.insert(&record.username, records::encode(record)?)?;
        self.store.flush().await?;
        Ok(true)
    }

    /// Removes an entry unless another still refers to it.
    pub async fn remove(&self, kind: EntryKind, name: &str) -> anyhow::Result<Removed> {
        let _guard = self.write.lock().await;
        if let Some(referrer) = self.referrer(kind, name)? {
            return Ok(Removed::InUse(referrer.0, referrer.1));
        }
        let existed = self.tree(kind)?.remove(name)?.is_some();
        if !existed {
            return Ok(Removed::NotFound);
        }
        self.store.flush().await?;
        Ok(Removed::Removed)
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{NamedRecord, OrgRecord, RoleRecord};

    fn named(name: &str) -> NamedRecord {
        NamedRecord {
            id: 1,
            name: name.into(),
            created_at: 0,
        }
    }

    fn user(role: &str) -> UserRecord {
        UserRecord {
            id: 2,
            username: "alice".into(),
            email: "a@b".into(),
            password_phc: "$argon2id$...".into(),
            roles: vec![role.into()],
            wfc: "w".into(),
            created_at: 0,
        }
    }

    #[tokio::test]
    async fn a_record_that_refers_to_a_missing_entry_is_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let users = UserStore::open(&Store::open(dir.path()).unwrap()).unwrap();
        users.insert(&RoleRecord::from(named("ops"))).await.unwrap();
        assert_eq!(
            users.insert(&user("ops")).await.unwrap(),
            Inserted::Missing(EntryKind::Wfc, "w".into())
        );
        assert!(users.get::<UserRecord>("alice").unwrap().is_none());
    }

    #[tokio::test]
    async fn an_entry_in_use_is_kept_and_a_free_one_removed() {
        let dir = tempfile::tempdir().unwrap();
        let users = UserStore::open(&Store::open(dir.path()).unwrap()).unwrap();
        for org in ["acme", "other"] {
            users.insert(&OrgRecord::from(named(org))).await.unwrap();
        }
        for (kind, name) in [(EntryKind::OrgUnit, "u"), (EntryKind::Department, "d")] {
            let tree = users.tree(kind).unwrap();
            tree.insert(name, records::encode(named(name)).unwrap())
                .unwrap();
        }
        let wfc = WfcRecord {
            id: 3,
            name: "w".into(),
            org: "acme".into(),
            orgunit: "u".into(),
            department: "d".into(),
            created_at: 0,
        };
        assert_eq!(users.insert(&wfc).await.unwrap(), Inserted::Created);
        assert_eq!(users.insert(&wfc).await.unwrap(), Inserted::Exists);
        assert_eq!(
            users.remove(EntryKind::Org, "acme").await.unwrap(),
            Removed::InUse(EntryKind::Wfc, "w".into())
        );
        assert_eq!(
            users.remove(EntryKind::Org, "other").await.unwrap(),
            Removed::Removed
        );
        assert_eq!(
            users.remove(EntryKind::Org, "other").await.unwrap(),
            Removed::NotFound
        );
        assert!(users.get::<OrgRecord>("acme").unwrap().is_some());
    }
}
