//! The federated-subject index inside the `clients` tree: `\x7fsubject\0TRUST\0SUBJECT` → the
//! client id, under the reserved prefix no client id takes, so each change is written in the
//! same batch as the client record itself (one tree, one atomic batch, on the writer).

use anyhow::Context;

use super::{Store, StoreErr};
use crate::domain::ClientId;
use crate::domain::client_auth::FederatedSubject;
use crate::domain::ports::{StoreResult, SubjectTaken};

const PREFIX: &[u8] = b"\x7fsubject\0";

fn trust_prefix(trust: &str) -> Vec<u8> {
    [PREFIX, trust.as_bytes(), b"\0"].concat()
}

fn key(trust: &str, subject: &str) -> Vec<u8> {
    [trust_prefix(trust).as_slice(), subject.as_bytes()].concat()
}

/// Adds to `batch` what turns client `id`'s bindings from `old` into `new`; fails if one of
/// `new` is bound to another client (the registration checked, but a racing one may have won).
pub(super) fn reindex(
    tree: &sled::Tree,
    batch: &mut sled::Batch,
    id: &str,
    old: &[FederatedSubject],
    new: &[FederatedSubject],
) -> anyhow::Result<()> {
    for s in old.iter().filter(|s| !new.contains(s)) {
        batch.remove(key(&s.trust, &s.subject));
    }
    for s in new.iter().filter(|s| !old.contains(s)) {
        let k = key(&s.trust, &s.subject);
        if let Some(holder) = tree.get(&k)?
            && holder.as_ref() != id.as_bytes()
        {
            return Err(SubjectTaken(format!("{}={}", s.trust, s.subject)).into());
        }
        batch.insert(k, id.as_bytes());
    }
    Ok(())
}

impl Store {
    pub(super) fn federated_client(
        &self,
        trust: &str,
        subject: &str,
    ) -> StoreResult<Option<ClientId>> {
        let Some(id) = self.clients.get(key(trust, subject)).store_err()? else {
            return Ok(None);
        };
        let id = ClientId::parse(&String::from_utf8_lossy(&id))
            .map_err(|_| anyhow::anyhow!("a corrupt federated index entry"))
            .context("reading the federated subject index")?;
        Ok(Some(id))
    }

    pub(super) fn clients_bound_to(&self, trust: &str, limit: usize) -> StoreResult<Vec<ClientId>> {
        let mut out = Vec::new();
        for entry in self
            .clients
            .scan_prefix(trust_prefix(trust))
            .values()
            .take(limit)
        {
            let id = entry.store_err()?;
            if let Ok(id) = ClientId::parse(&String::from_utf8_lossy(&id)) {
                out.push(id);
            }
        }
        Ok(out)
    }
}
