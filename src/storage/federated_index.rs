//! The federated-subject index inside the `clients` tree: `\x7fsubject\0TRUST\0SUBJECT` → the
//! client id, under the reserved prefix no client id takes, so each change is written in the
//! same batch as the client record itself (one tree, one atomic batch, on the writer).

use anyhow::Context;

use super::{Store, StoreErr};
use crate::domain::ClientId;
use crate::domain::client_auth::FederatedSubject;
use crate::domain::ports::{StoreResult, SubjectTaken, TrustGone, TrustInUse};

const PREFIX: &[u8] = b"\x7fsubject\0";

/// A trusted issuer's record key in the `trusted_issuers` tree.
pub(super) fn trust_key(name: &str) -> Vec<u8> {
    [b"n\0", name.as_bytes()].concat()
}

fn trust_prefix(trust: &str) -> Vec<u8> {
    [PREFIX, trust.as_bytes(), b"\0"].concat()
}

fn key(trust: &str, subject: &str) -> Vec<u8> {
    [trust_prefix(trust).as_slice(), subject.as_bytes()].concat()
}

/// Adds to `batch` what turns client `id`'s bindings from `old` into `new`; fails if one of
/// `new` is bound to another client or names an issuer no longer in `trusts` (the registration
/// checked, but a racing binding or `trust remove` may have won). On the writer, as
/// [`ensure_unbound`] is: one of the two sees the other's write.
pub(super) fn reindex(
    tree: &sled::Tree,
    trusts: &sled::Tree,
    batch: &mut sled::Batch,
    id: &str,
    old: &[FederatedSubject],
    new: &[FederatedSubject],
) -> anyhow::Result<()> {
    for s in old.iter().filter(|s| !new.contains(s)) {
        batch.remove(key(&s.trust, &s.subject));
    }
    for s in new.iter().filter(|s| !old.contains(s)) {
        if !trusts.contains_key(trust_key(&s.trust))? {
            return Err(TrustGone(s.trust.clone()).into());
        }
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

/// Fails if a client is bound to a subject of `trust`: its removal would leave bindings a
/// trust of the same name, added later for another issuer, would inherit. On the writer.
pub(super) fn ensure_unbound(clients: &sled::Tree, trust: &str) -> anyhow::Result<()> {
    if clients
        .scan_prefix(trust_prefix(trust))
        .next()
        .transpose()?
        .is_some()
    {
        return Err(TrustInUse(trust.to_owned()).into());
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
