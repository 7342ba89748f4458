//! Clients in the `clients` tree: the [`ClientStore`] the domain asks for, over sled records.

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;

use super::StoreErr;
use super::federated_index::reindex;
use super::records::{self, ClientRecord, PreviousSecret};
use super::{ABSENT_KEY, DECOY_KEY, RESERVED_PREFIX, Store};
use crate::domain::keys::SigningAlg;
use crate::domain::ports::{ClientChange, ClientStore, StoreResult};
use crate::domain::{Audience, Client, ClientId, GrantType, ScopeSet, SecretDigest, UnixTime};

#[async_trait]
impl ClientStore for Store {
    /// One tree hit, one tree miss and one real-sized record decoded, whatever the outcome: a
    /// known id is paired with a key that is never stored; an unknown (or malformed: `None`) id
    /// with the stored decoy, and decodes the last record a lookup found in its place.
    /// (`what_authentication_failures_cost` measures what remains.)
    fn lookup(&self, id: Option<&ClientId>) -> StoreResult<(bool, Client)> {
        let found = self
            .clients
            .get(id.map_or(ABSENT_KEY, |id| id.as_str().as_bytes()))
            .store_err()?;
        let known = found.is_some();
        let paired = self
            .clients
            .get(if known { ABSENT_KEY } else { DECOY_KEY })
            .store_err()?;
        let bytes = match found {
            Some(bytes) => {
                self.recent.store(Arc::new(bytes.clone()));
                bytes
            }
            None => {
                paired.context("the decoy client record is missing")?;
                sled::IVec::clone(&self.recent.load())
            }
        };
        Ok((known, from_record(records::decode(&bytes)?)?))
    }

    fn get(&self, id: &ClientId) -> StoreResult<Option<Client>> {
        self.clients
            .get(id.as_str())
            .store_err()?
            .map(|bytes| from_record(records::decode(&bytes)?))
            .transpose()
            .with_context(|| format!("reading client {id:?}"))
            .store_err()
    }

    fn list(&self) -> StoreResult<Vec<Client>> {
        // Client ids are printable ASCII, so every real key sorts before the reserved ones.
        self.clients
            .range(..RESERVED_PREFIX)
            .values()
            .map(|v| from_record(records::decode(&v?)?))
            .collect::<anyhow::Result<_>>()
            .store_err()
    }

    fn count(&self) -> usize {
        self.clients.range(..RESERVED_PREFIX).count()
    }

    fn is_empty(&self) -> StoreResult<bool> {
        Ok(self
            .clients
            .range(..RESERVED_PREFIX)
            .next()
            .transpose()
            .store_err()?
            .is_none())
    }

    fn health(&self) -> StoreResult<()> {
        self.writer().health().store_err()
    }

    async fn insert(&self, client: &Client) -> StoreResult<bool> {
        let bytes = records::encode(to_record(client))?;
        let (clients, id) = (self.clients.clone(), client.id.as_str().to_owned());
        let trusts = self.trusts.clone();
        let subjects = client.auth_method.federated_subjects().to_vec();
        self.writer
            .write(move || {
                // On the writer, so nothing comes between the check and the batch.
                if clients.contains_key(id.as_bytes())? {
                    return Ok(false);
                }
                let mut batch = sled::Batch::default();
                reindex(&clients, &trusts, &mut batch, &id, &[], &subjects)?;
                batch.insert(id.as_bytes(), bytes);
                clients.apply_batch(batch)?;
                Ok(true)
            })
            .await
            .with_context(|| format!("registering client {:?}", client.id.as_str()))
            .store_err()
    }

    /// Runs on the writer: it reads the record as stored when the write happens, so concurrent
    /// updates and removals serialize and none is lost or undone.
    async fn update(&self, id: &ClientId, change: ClientChange) -> StoreResult<Option<Client>> {
        let (clients, key) = (self.clients.clone(), id.as_str().to_owned());
        let trusts = self.trusts.clone();
        self.writer
            .write(move || {
                let Some(bytes) = clients.get(key.as_bytes())? else {
                    return Ok(None);
                };
                let mut client = from_record(records::decode(&bytes)?)?;
                let before = client.auth_method.federated_subjects().to_vec();
                change(&mut client);
                anyhow::ensure!(
                    client.id.as_str() == key,
                    "an update may not change the client id"
                );
                let mut batch = sled::Batch::default();
                let after = client.auth_method.federated_subjects();
                reindex(&clients, &trusts, &mut batch, &key, &before, after)?;
                batch.insert(key.as_bytes(), records::encode(to_record(&client))?);
                clients.apply_batch(batch)?;
                Ok(Some(client))
            })
            .await
            .with_context(|| format!("updating client {:?}", id.as_str()))
            .store_err()
    }

    async fn remove(&self, id: &ClientId) -> StoreResult<bool> {
        let (clients, key) = (self.clients.clone(), id.as_str().to_owned());
        let trusts = self.trusts.clone();
        self.writer
            .write(move || {
                let Some(bytes) = clients.get(key.as_bytes())? else {
                    return Ok(false);
                };
                let client = from_record(records::decode(&bytes)?)?;
                let mut batch = sled::Batch::default();
                let before = client.auth_method.federated_subjects();
                reindex(&clients, &trusts, &mut batch, &key, before, &[])?;
                batch.remove(key.as_bytes());
                clients.apply_batch(batch)?;
                Ok(true)
            })
            .await
            .with_context(|| format!("removing client {:?}", id.as_str()))
            .store_err()
    }

    /// A range scan from the first key past `after` (or `prefix`), stopped at the first key
    /// without the prefix or after `limit` records: it reads what it returns and one key more.
    fn page(
        &self,
        prefix: &str,
        after: Option<&ClientId>,
        limit: usize,
    ) -> StoreResult<Vec<Client>> {
        let mut start = prefix.as_bytes().to_vec();
        if let Some(after) = after.filter(|a| a.as_str() >= prefix) {
            // The smallest key greater than `after`.
            start = after.as_str().as_bytes().to_vec();
            start.push(0);
        }
        let mut page = Vec::new();
        if start.as_slice() >= RESERVED_PREFIX {
            return Ok(page);
        }
        for entry in self.clients.range(start..RESERVED_PREFIX.to_vec()) {
            let (key, value) = entry.store_err()?;
            if page.len() >= limit || !key.starts_with(prefix.as_bytes()) {
                break;
            }
            page.push(from_record(records::decode(&value)?)?);
        }
        Ok(page)
    }

    fn federated(&self, trust: &str, subject: &str) -> StoreResult<Option<ClientId>> {
        self.federated_client(trust, subject)
    }

    fn bound_to(&self, trust: &str, limit: usize) -> StoreResult<Vec<ClientId>> {
        self.clients_bound_to(trust, limit)
    }
}

impl Store {
    /// Stores many client records in one batch and one flush, overwriting same ids: bulk imports
    /// and benchmark seeding.
    pub async fn import_clients(&self, records: &[ClientRecord]) -> anyhow::Result<()> {
        let mut batch = sled::Batch::default();
        for r in records {
            batch.insert(r.client_id.as_str(), records::encode(r)?);
        }
        let clients = self.clients.clone();
        self.writer
            .write(move || Ok(clients.apply_batch(batch)?))
            .await
            .context("importing clients")
    }
}

pub(crate) fn to_record(c: &Client) -> ClientRecord {
    ClientRecord {
        client_id: c.id.as_str().to_owned(),
        secret_sha256: c.secret.to_hex(),
        previous_secret: c.previous_secret.map(|(d, until)| PreviousSecret {
            secret_sha256: d.to_hex(),
            valid_until: until.as_secs(),
        }),
        audiences: c.audiences.iter().map(|a| a.as_str().to_owned()).collect(),
        scopes: c.scopes.to_vec(),
        grants: c.grants.iter().map(|g| g.as_str().to_owned()).collect(),
        token_ttl: c.token_ttl,
        disabled: c.disabled,
        created_at: c.created_at.as_secs(),
        alg: c.alg.as_str().to_owned(),
        registration: c.registration,
        auth_method: c.auth_method.clone(),
        dpop_bound_access_tokens: c.dpop_bound,
    }
}

pub(crate) fn from_record(r: ClientRecord) -> anyhow::Result<Client> {
    let ctx = || format!("stored client {:?} is corrupt", r.client_id);
    let digest = |hex: &str| SecretDigest::from_hex(hex).with_context(ctx);
    Ok(Client {
        id: ClientId::parse(&r.client_id).with_context(ctx)?,
        secret: digest(&r.secret_sha256)?,
        previous_secret: match &r.previous_secret {
            Some(p) => Some((
                digest(&p.secret_sha256)?,
                UnixTime::from_secs(p.valid_until),
            )),
            None => None,
        },
        audiences: r
            .audiences
            .iter()
            .map(|a| Audience::parse(a))
            .collect::<Result<_, _>>()
            .with_context(ctx)?,
        scopes: ScopeSet::from_list(&r.scopes).with_context(ctx)?,
        grants: r
            .grants
            .iter()
            .filter_map(|g| GrantType::parse(g))
            .collect(),
        token_ttl: r.token_ttl,
        registration: r.registration,
        auth_method: r.auth_method.clone(),
        dpop_bound: r.dpop_bound_access_tokens,
        disabled: r.disabled,
        created_at: UnixTime::from_secs(r.created_at),
        alg: SigningAlg::parse(&r.alg)
            .ok_or_else(|| anyhow::anyhow!("unknown alg {:?}", r.alg))
            .with_context(ctx)?,
    })
}
