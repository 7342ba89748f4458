//! The in-memory copy of the shared tables that the token path reads: a full snapshot per kind,
//! loaded at start and on every reconnection, patched row by row as changes are announced.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::domain::federation::TrustedIssuer;
use crate::domain::keys::KeyRecord;
use crate::domain::operators::Operator;
use crate::domain::users::entries::{Entry, EntryKind};
use crate::domain::{Client, StoreUnavailable};
use crate::storage::clients::from_record;
use crate::storage::records;
use crate::storage::users::decode_entry;

use super::{bytes, db, to_u64};

/// What the cache holds, by kind.
pub(super) struct Cache {
    /// Ordered, so that a page of clients by prefix is a range read.
    pub(super) clients: RwLock<BTreeMap<String, Client>>,
    pub(super) operators: RwLock<BTreeMap<String, Operator>>,
    pub(super) directory: RwLock<HashMap<EntryKind, BTreeMap<String, Entry>>>,
    /// Revoked token ids and their tokens' `exp`.
    pub(super) revoked: RwLock<HashMap<String, u64>>,
    pub(super) keys: RwLock<BTreeMap<String, KeyRecord>>,
    /// Trusted issuers by name, and the federated subjects (`trust\0subject`) → client id.
    pub(super) trusted: RwLock<BTreeMap<String, TrustedIssuer>>,
    pub(super) subjects: RwLock<HashMap<String, String>>,
    /// Since when the listener has been cut off; `None` while it listens.
    disconnected_since: Mutex<Option<Instant>>,
    stale_after: Duration,
    /// What an unknown client's lookup decodes in its place.
    pub(super) decoy: Client,
    /// Taken by a local write from its commit until its cache update, and by the listener
    /// around each re-read: see `PgStore::commit`.
    pub(super) turn: tokio::sync::Mutex<()>,
}

/// A poisoned lock only means another thread panicked mid-update of a plain map: keep going.
pub(super) fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(super) fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Cache {
    pub(super) fn new(stale_after: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            clients: RwLock::default(),
            operators: RwLock::default(),
            directory: RwLock::default(),
            revoked: RwLock::default(),
            keys: RwLock::default(),
            trusted: RwLock::default(),
            subjects: RwLock::default(),
            disconnected_since: Mutex::new(None),
            stale_after,
            decoy: from_record(records::decode(crate::storage::DECOY_RECORD)?)?,
            turn: tokio::sync::Mutex::new(()),
        })
    }

    /// Fails closed once the listener has been cut off longer than the staleness bound: the
    /// cache may then be missing a revocation or a disabled client.
    pub(super) fn fresh(&self) -> anyhow::Result<()> {
        let since = *self
            .disconnected_since
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match since {
            Some(t) if t.elapsed() > self.stale_after => Err(StoreUnavailable::new(format!(
                "cut off from the database for {}s; cached data may be stale",
                t.elapsed().as_secs()
            ))
            .into()),
            _ => Ok(()),
        }
    }

    pub(super) fn set_connected(&self, connected: bool) {
        let mut since = self
            .disconnected_since
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match (connected, *since) {
            (true, _) => *since = None,
            (false, None) => *since = Some(Instant::now()),
            (false, Some(_)) => {}
        }
    }

    /// Replaces every snapshot with what the database holds now.
    pub(super) async fn reload(&self, conn: &tokio_postgres::Client) -> anyhow::Result<()> {
        let mut clients = BTreeMap::new();
        for row in conn
            .query("SELECT id, record FROM td_clients", &[])
            .await
            .map_err(db)?
        {
            let id: String = row.try_get(0)?;
            clients.insert(id, decode_client(&row.try_get(1)?)?);
        }
        let mut directory: HashMap<EntryKind, BTreeMap<String, Entry>> = HashMap::new();
        for row in conn
            .query("SELECT kind, name, record FROM td_directory", &[])
            .await
            .map_err(db)?
        {
            let (kind, name): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            let Some(kind) = kind_of(&kind) else {
                tracing::warn!(kind, "a directory row of an unknown kind; skipped");
                continue;
            };
            let entry = decode_entry(kind, &bytes(&row.try_get(2)?)?)?;
            directory.entry(kind).or_default().insert(name, entry);
        }
        let mut revoked = HashMap::new();
        for row in conn
            .query("SELECT jti, exp FROM td_revoked", &[])
            .await
            .map_err(db)?
        {
            revoked.insert(row.try_get::<_, String>(0)?, to_u64(row.try_get(1)?));
        }
        let keys = load_keys(conn).await?;
        let mut operators = BTreeMap::new();
        for row in conn
            .query("SELECT name, record FROM td_operators", &[])
            .await
            .map_err(db)?
        {
            let operator: Operator = records::decode(&bytes(&row.try_get(1)?)?)?;
            operators.insert(row.try_get::<_, String>(0)?, operator);
        }
        *write(&self.operators) = operators;
        self.reload_federation(conn, &clients).await?;
        *write(&self.clients) = clients;
        *write(&self.directory) = directory;
        *write(&self.revoked) = revoked;
        *write(&self.keys) = keys;
        Ok(())
    }

    /// Applies one announced change by re-reading its row.
    pub(super) async fn apply(
        &self,
        conn: &tokio_postgres::Client,
        kind: &str,
        id: &str,
    ) -> anyhow::Result<()> {
        match kind {
            "client" => {
                let row = conn
                    .query_opt("SELECT record FROM td_clients WHERE id = $1", &[&id])
                    .await
                    .map_err(db)?;
                let client = row.map(|r| decode_client(&r.try_get(0)?)).transpose()?;
                self.put_client(id, client);
            }
            "revoked" => {
                let row = conn
                    .query_opt("SELECT exp FROM td_revoked WHERE jti = $1", &[&id])
                    .await
                    .map_err(db)?;
                let exp = row.map(|r| r.try_get::<_, i64>(0)).transpose()?;
                let mut revoked = write(&self.revoked);
                match exp {
                    Some(exp) => revoked.insert(id.to_owned(), to_u64(exp)),
                    None => revoked.remove(id),
                };
            }
            "revoked-sweep" => {
                let now: u64 = id.parse().unwrap_or(0);
                write(&self.revoked).retain(|_, exp| *exp > now);
            }
            "keys" => *write(&self.keys) = load_keys(conn).await?,
            "trust" => self.apply_trust(conn, id).await?,
            "operator" => {
                let row = conn
                    .query_opt("SELECT record FROM td_operators WHERE name = $1", &[&id])
                    .await
                    .map_err(db)?;
                let operator = row
                    .map(|r| records::decode::<Operator>(&bytes(&r.try_get(0)?)?))
                    .transpose()?;
                self.put_operator(id, operator);
            }
            other => {
                let Some(kind) = other.strip_prefix("dir:").and_then(kind_of) else {
                    tracing::warn!(kind = other, "an unknown change notification; reloading");
                    return self.reload(conn).await;
                };
                let row = conn
                    .query_opt(
                        "SELECT record FROM td_directory WHERE kind = $1 AND name = $2",
                        &[&kind_name(kind), &id],
                    )
                    .await
                    .map_err(db)?;
                let entry = row
                    .map(|r| decode_entry(kind, &bytes(&r.try_get(0)?)?))
                    .transpose()?;
                self.put_entry(kind, id, entry);
            }
        }
        Ok(())
    }

    pub(super) fn put_client(&self, id: &str, client: Option<Client>) {
        let mut clients = write(&self.clients);
        self.reindex(id, clients.get(id), client.as_ref());
        match client {
            Some(c) => clients.insert(id.to_owned(), c),
            None => clients.remove(id),
        };
    }

    pub(super) fn put_operator(&self, name: &str, operator: Option<Operator>) {
        let mut operators = write(&self.operators);
        match operator {
            Some(o) => operators.insert(name.to_owned(), o),
            None => operators.remove(name),
        };
    }

    pub(super) fn put_entry(&self, kind: EntryKind, name: &str, entry: Option<Entry>) {
        let mut directory = write(&self.directory);
        let entries = directory.entry(kind).or_default();
        match entry {
            Some(e) => entries.insert(name.to_owned(), e),
            None => entries.remove(name),
        };
    }
}

pub(super) async fn load_keys(
    conn: &tokio_postgres::Client,
) -> anyhow::Result<BTreeMap<String, KeyRecord>> {
    let mut keys = BTreeMap::new();
    for row in conn
        .query("SELECT kid, record FROM td_key_records", &[])
        .await
        .map_err(db)?
    {
        let record: KeyRecord = records::decode(&bytes(&row.try_get(1)?)?)?;
        keys.insert(row.try_get::<_, String>(0)?, record);
    }
    Ok(keys)
}

fn decode_client(value: &serde_json::Value) -> anyhow::Result<Client> {
    from_record(records::decode(&bytes(value)?)?)
}

/// The stable name of a directory kind in rows and notifications.
pub(super) fn kind_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Org => "org",
        EntryKind::OrgUnit => "orgunit",
        EntryKind::Department => "department",
        EntryKind::Wfc => "wfc",
        EntryKind::Role => "role",
        EntryKind::User => "user",
        EntryKind::Service => "service",
    }
}

pub(super) fn kind_of(name: &str) -> Option<EntryKind> {
    EntryKind::ALL.into_iter().find(|k| kind_name(*k) == name)
}
