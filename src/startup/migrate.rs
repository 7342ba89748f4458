//! `tokendealer migrate`: a stopped single node's sled data copied into PostgreSQL.
//!
//! Every copy is an upsert by id (same kids, same client ids, same names), so running it again
//! changes nothing; it holds the startup lock, so no instance starts meanwhile.

use anyhow::Context;

use crate::config::Settings;
use crate::domain::UnixTime;
use crate::domain::ports::{
    ClientStore, DenylistStore, DirectoryStore, KeyMaterial, KeyRecordStore, TrustedIssuerStore,
};
use crate::domain::users::entries::{Entry, EntryKind};
use crate::storage::{KeyFiles, Store, TrustTree, UserStore};

/// What was copied, by kind.
#[derive(Debug, serde::Serialize)]
pub struct Copied {
    pub clients: usize,
    pub directory_entries: usize,
    pub key_records: usize,
    pub private_keys: usize,
    pub revocations: usize,
    pub trusted_issuers: usize,
}

/// Parents before the entries that refer to them.
const ORDER: [EntryKind; 7] = [
    EntryKind::Org,
    EntryKind::OrgUnit,
    EntryKind::Department,
    EntryKind::Role,
    EntryKind::Wfc,
    EntryKind::User,
    EntryKind::Service,
];

pub async fn migrate_to_postgres(settings: &Settings) -> anyhow::Result<Copied> {
    let url = settings
        .database_url
        .as_ref()
        .context("migrate needs --database-url")?;
    let sled = Store::open(&settings.data_dir).with_context(|| {
        format!(
            "opening the sled database in {} (is the server still running?)",
            settings.data_dir.display()
        )
    })?;
    let (pg, _lock) = super::open_postgres(settings, url.expose(), None).await?;
    let now = UnixTime::now();

    // Before the clients: their federated subjects refer to them.
    let trusted = TrustedIssuerStore::list(&TrustTree::open(&sled)?)?;
    for issuer in &trusted {
        // Already there from an earlier run: kept as it is.
        TrustedIssuerStore::insert(&pg, issuer, usize::MAX).await?;
    }
    let clients = ClientStore::list(&sled)?;
    pg.import_clients(&clients).await?;

    let directory = UserStore::open(&sled)?;
    let mut entries = Vec::new();
    for kind in ORDER {
        entries.extend(DirectoryStore::list(&directory, kind)?);
    }
    let max_id = entries.iter().filter_map(entry_id).max().unwrap_or(0);
    pg.import_entries(&entries, max_id).await?;

    let files = KeyFiles::open(&settings.keys_dir)?;
    let keys = KeyMaterial::load_all(&files).await?;
    for key in &keys {
        anyhow::ensure!(
            key.tag == "PRIVATE KEY",
            "{} is not a PKCS#8 key (PEM tag {}); convert it with openssl pkcs8 -topk8 -nocrypt first",
            key.source,
            key.tag
        );
        let kid = crate::domain::keys::SigningKey::from_der(&key.tag, &key.der)
            .with_context(|| format!("loading {}", key.source))?
            .kid()
            .to_owned();
        KeyMaterial::write(&pg, &kid, &key.der).await?;
    }
    let records = KeyRecordStore::list(&sled)?;
    KeyRecordStore::put(&pg, &records).await?;

    let revoked = sled.denylist()?.live(now.as_secs())?;
    for entry in &revoked {
        DenylistStore::insert(&pg, entry, usize::MAX).await?;
    }
    // The admin client came along: no instance creates another.
    pg.mark_bootstrapped(now.as_secs()).await?;
    pg.close();
    Ok(Copied {
        clients: clients.len(),
        directory_entries: entries.len(),
        key_records: records.len(),
        private_keys: keys.len(),
        revocations: revoked.len(),
        trusted_issuers: trusted.len(),
    })
}

/// The numeric `id` an entry was given.
fn entry_id(entry: &Entry) -> Option<u64> {
    let bytes = crate::storage::encode_entry(entry).ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()?
        .get("id")?
        .as_u64()
}
