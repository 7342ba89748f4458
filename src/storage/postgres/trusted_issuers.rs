//! Trusted issuers in PostgreSQL: reads from the cache (a bounded handful), writes in one
//! transaction each, announced to every instance; and the federated-subject index of the
//! clients, which the database keeps unique and tied to both its client and its trust.

use async_trait::async_trait;

use super::cache::{Cache, read, write};
use super::{PgStore, bytes, db, json, notify};
use crate::domain::client_auth::FederatedSubject;
use crate::domain::federation::TrustedIssuer;
use crate::domain::ports::{
    StoreResult, SubjectTaken, TrustGone, TrustInUse, TrustInsert, TrustedIssuerStore,
};
use crate::domain::{Client, ClientId};
use crate::storage::StoreErr;
use crate::storage::records;

#[async_trait]
impl TrustedIssuerStore for PgStore {
    fn get(&self, name: &str) -> StoreResult<Option<TrustedIssuer>> {
        Ok(read(&self.cache().trusted).get(name).cloned())
    }

    fn list(&self) -> StoreResult<Vec<TrustedIssuer>> {
        Ok(read(&self.cache().trusted).values().cloned().collect())
    }

    /// A scan of at most `max_trusted_issuers` cached entries, comparing strings only.
    fn by_issuer(&self, iss: &str) -> StoreResult<Option<TrustedIssuer>> {
        self.cache().fresh()?;
        let trusted = read(&self.cache().trusted);
        Ok(trusted.values().find(|t| t.issuer == iss).cloned())
    }

    /// Under a table lock that only other trust insertions wait on: the count and both
    /// uniqueness checks hold until the commit, on every instance.
    async fn insert(&self, issuer: &TrustedIssuer, max: usize) -> StoreResult<TrustInsert> {
        let record = json(&records::encode(issuer)?)?;
        let (name, iss) = (issuer.name.as_str(), issuer.issuer.as_str());
        self.bounded(&format!("trusting issuer {name:?}"), async {
            let mut conn = self.conn().await?;
            let tx = conn.transaction().await.map_err(db)?;
            tx.batch_execute("LOCK TABLE td_trusted_issuers IN SHARE ROW EXCLUSIVE MODE")
                .await
                .map_err(db)?;
            let row = tx
                .query_one(
                    "SELECT count(*) FILTER (WHERE name = $1), count(*) FILTER (WHERE issuer = $2), count(*) FROM td_trusted_issuers",
                    &[&name, &iss],
                )
                .await
                .map_err(db)?;
            let (names, issuers, all): (i64, i64, i64) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            let outcome = if names > 0 {
                TrustInsert::NameTaken
            } else if issuers > 0 {
                TrustInsert::IssuerTaken
            } else if usize::try_from(all).unwrap_or(usize::MAX) >= max {
                TrustInsert::Full
            } else {
                TrustInsert::Added
            };
            if outcome != TrustInsert::Added {
                return Ok(outcome);
            }
            tx.execute(
                "INSERT INTO td_trusted_issuers (name, issuer, record) VALUES ($1, $2, $3)",
                &[&name, &iss, &record],
            )
            .await
            .map_err(db)?;
            notify(&tx, "trust", name).await?;
            self.commit(tx, |cache| cache.put_trusted(name, Some(issuer.clone())))
                .await?;
            Ok(outcome)
        })
        .await
        .store_err()
    }

    /// Refused by the database while a client is still bound to one of its subjects.
    async fn remove(&self, name: &str) -> StoreResult<bool> {
        self.bounded(&format!("removing trusted issuer {name:?}"), async {
            let mut conn = self.conn().await?;
            let tx = conn.transaction().await.map_err(db)?;
            // The subjects' foreign key keeps a trust a client is bound to, also one bound by
            // a registration racing this removal.
            let n = tx
                .execute("DELETE FROM td_trusted_issuers WHERE name = $1", &[&name])
                .await
                .map_err(|e| {
                    if e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) {
                        anyhow::Error::new(TrustInUse(name.to_owned()))
                    } else {
                        db(e)
                    }
                })?;
            notify(&tx, "trust", name).await?;
            self.commit(tx, |cache| cache.put_trusted(name, None))
                .await?;
            Ok(n == 1)
        })
        .await
        .store_err()
    }
}

/// The index key of one binding in the cache.
fn key(trust: &str, subject: &str) -> String {
    format!("{trust}\0{subject}")
}

impl PgStore {
    pub(super) fn federated_client(
        &self,
        trust: &str,
        subject: &str,
    ) -> StoreResult<Option<ClientId>> {
        self.cache().fresh()?;
        let id = read(&self.cache().subjects)
            .get(&key(trust, subject))
            .cloned();
        Ok(id.and_then(|id| ClientId::parse(&id).ok()))
    }

    pub(super) fn clients_bound_to(&self, trust: &str, limit: usize) -> StoreResult<Vec<ClientId>> {
        let prefix = format!("{trust}\0");
        let subjects = read(&self.cache().subjects);
        Ok(subjects
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(_, id)| ClientId::parse(id).ok())
            .take(limit)
            .collect())
    }
}

/// Writes client `id`'s bindings as `subjects` inside the client's own transaction: the
/// primary key refuses a subject another client holds, the foreign key a trust that is gone.
pub(super) async fn store_subjects(
    tx: &deadpool_postgres::Transaction<'_>,
    id: &str,
    subjects: &[FederatedSubject],
) -> anyhow::Result<()> {
    tx.execute(
        "DELETE FROM td_federated_subjects WHERE client_id = $1",
        &[&id],
    )
    .await
    .map_err(db)?;
    for s in subjects {
        tx.execute(
            "INSERT INTO td_federated_subjects (trust, subject, client_id) VALUES ($1, $2, $3)",
            &[&s.trust, &s.subject, &id],
        )
        .await
        .map_err(|e| {
            // Another client's registration bound it first (the check before saw it free).
            let code = e.code();
            if code == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
                anyhow::Error::new(SubjectTaken(format!("{}={}", s.trust, s.subject)))
            } else if code == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) {
                // The trust was removed meanwhile (or the client: then nothing answers this).
                anyhow::Error::new(TrustGone(s.trust.clone()))
            } else {
                db(e)
            }
        })?;
    }
    Ok(())
}

impl Cache {
    /// Keeps the subject index in step as client `id` changes from `old` to `new`.
    pub(super) fn reindex(&self, id: &str, old: Option<&Client>, new: Option<&Client>) {
        let subjects_of = |c: Option<&Client>| {
            c.map(|c| c.auth_method.federated_subjects().to_vec())
                .unwrap_or_default()
        };
        let (old, new) = (subjects_of(old), subjects_of(new));
        if old.is_empty() && new.is_empty() {
            return;
        }
        let mut index = write(&self.subjects);
        for s in &old {
            index.remove(&key(&s.trust, &s.subject));
        }
        for s in &new {
            index.insert(key(&s.trust, &s.subject), id.to_owned());
        }
    }

    pub(super) fn put_trusted(&self, name: &str, issuer: Option<TrustedIssuer>) {
        let mut trusted = write(&self.trusted);
        match issuer {
            Some(t) => trusted.insert(name.to_owned(), t),
            None => trusted.remove(name),
        };
    }

    /// Every trusted issuer as stored, and the subject index rebuilt from `clients`.
    pub(super) async fn reload_federation(
        &self,
        conn: &tokio_postgres::Client,
        clients: &std::collections::BTreeMap<String, Client>,
    ) -> anyhow::Result<()> {
        let mut trusted = std::collections::BTreeMap::new();
        for row in conn
            .query("SELECT name, record FROM td_trusted_issuers", &[])
            .await
            .map_err(db)?
        {
            let issuer: TrustedIssuer = records::decode(&bytes(&row.try_get(1)?)?)?;
            trusted.insert(row.try_get::<_, String>(0)?, issuer);
        }
        let mut subjects = std::collections::HashMap::new();
        for (id, client) in clients {
            for s in client.auth_method.federated_subjects() {
                subjects.insert(key(&s.trust, &s.subject), id.clone());
            }
        }
        *write(&self.trusted) = trusted;
        *write(&self.subjects) = subjects;
        Ok(())
    }

    /// Re-reads one announced trusted issuer.
    pub(super) async fn apply_trust(
        &self,
        conn: &tokio_postgres::Client,
        name: &str,
    ) -> anyhow::Result<()> {
        let row = conn
            .query_opt(
                "SELECT record FROM td_trusted_issuers WHERE name = $1",
                &[&name],
            )
            .await
            .map_err(db)?;
        let issuer = row
            .map(|r| records::decode::<TrustedIssuer>(&bytes(&r.try_get(0)?)?))
            .transpose()?;
        self.put_trusted(name, issuer);
        Ok(())
    }
}
