//! The client registry: registering, finding, rotating secrets, disabling and removing clients.

use anyhow::Context;

use super::keys::SigningAlg;
use super::{
    Audience, Client, ClientId, ClientSecret, GrantType, OAuthError, ScopeSet, SecretDigest,
    UnixTime,
};
use crate::storage::{ClientRecord, PreviousSecret, Store};

/// A client to register, already validated.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub id: ClientId,
    pub audiences: Vec<Audience>,
    pub scopes: ScopeSet,
    pub grants: Vec<GrantType>,
    pub token_ttl: u64,
    pub alg: SigningAlg,
}

/// Clients as stored, seen through domain types.
#[derive(Clone)]
pub struct ClientRegistry {
    store: Store,
}

impl ClientRegistry {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Looks a client up by the raw id a caller presented, for authentication. A malformed id is
    /// simply unknown. An unknown client costs what a known one does (see
    /// [`Store::lookup_client`]): a decoy record is read, decoded and converted in its place, so
    /// the lookup leaks no timing about which ids exist.
    pub fn find(&self, raw_id: &str) -> Result<Option<Client>, OAuthError> {
        let id = ClientId::parse(raw_id).ok();
        let (known, record) = self
            .store
            .lookup_client(id.as_ref().map(ClientId::as_str))?;
        let client = from_record(record)?;
        Ok(known.then_some(client))
    }

    pub fn get(&self, id: &ClientId) -> Result<Option<Client>, OAuthError> {
        Ok(self
            .store
            .get_client(id.as_str())?
            .map(from_record)
            .transpose()?)
    }

    pub fn list(&self) -> Result<Vec<Client>, OAuthError> {
        Ok(self
            .store
            .list_clients()?
            .into_iter()
            .map(from_record)
            .collect::<anyhow::Result<_>>()?)
    }

    /// Registers a client with a generated secret, returned here and never again.
    pub async fn register(
        &self,
        new: NewClient,
        now: UnixTime,
    ) -> Result<(Client, ClientSecret), OAuthError> {
        if new.audiences.is_empty() {
            return Err(OAuthError::invalid_request(
                "a client needs at least one audience",
            ));
        }
        if new.grants.is_empty() {
            return Err(OAuthError::invalid_request(
                "a client needs at least one grant",
            ));
        }
        let secret = ClientSecret::generate();
        let client = Client {
            id: new.id,
            secret: secret.digest(),
            previous_secret: None,
            audiences: new.audiences,
            scopes: new.scopes,
            grants: new.grants,
            token_ttl: new.token_ttl,
            disabled: false,
            created_at: now,
            alg: new.alg,
            registration: rand::random::<u64>().max(1),
        };
        if !self.store.insert_client(&to_record(&client)).await? {
            return Err(OAuthError::Conflict(format!(
                "client {} already exists",
                client.id
            )));
        }
        Ok((client, secret))
    }

    /// Replaces a client's secret. With `grace > 0` the old one keeps working that many seconds.
    pub async fn rotate_secret(
        &self,
        id: &ClientId,
        grace: u64,
        now: UnixTime,
    ) -> Result<(Client, ClientSecret), OAuthError> {
        let secret = ClientSecret::generate();
        let digest = secret.digest();
        let client = self
            .update(id, move |client| {
                client.previous_secret = (grace > 0).then(|| (client.secret, now.plus(grace)));
                client.secret = digest;
            })
            .await?;
        Ok((client, secret))
    }

    pub async fn set_disabled(&self, id: &ClientId, disabled: bool) -> Result<Client, OAuthError> {
        self.update(id, move |client| client.disabled = disabled)
            .await
    }

    /// Applies `change` to the client as stored when the store's writer gets to it: a removal
    /// that came first stays a removal (`not_found`), and concurrent changes all apply.
    async fn update(
        &self,
        id: &ClientId,
        change: impl FnOnce(&mut Client) + Send + 'static,
    ) -> Result<Client, OAuthError> {
        let updated = self
            .store
            .update_client(id.as_str(), move |record| {
                let mut client = from_record(record)?;
                change(&mut client);
                Ok(to_record(&client))
            })
            .await?;
        match updated {
            Some(record) => Ok(from_record(record)?),
            None => Err(not_found(id)),
        }
    }

    pub async fn remove(&self, id: &ClientId) -> Result<(), OAuthError> {
        if self.store.remove_client(id.as_str()).await? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    pub fn count(&self) -> usize {
        self.store.client_count()
    }

    /// Whether no client is registered; cheap at any size, unlike [`ClientRegistry::count`].
    pub fn is_empty(&self) -> Result<bool, OAuthError> {
        Ok(!self.store.has_clients()?)
    }
}

fn not_found(id: &ClientId) -> OAuthError {
    OAuthError::NotFound(format!("no client {id}"))
}

fn to_record(c: &Client) -> ClientRecord {
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
    }
}

fn from_record(r: ClientRecord) -> anyhow::Result<Client> {
    let ctx = || format!("stored client {:?} is corrupt", r.client_id);
    let digest = |hex: &str| SecretDigest::from_hex(hex).with_context(ctx);
    Ok(Client {
        id: ClientId::parse(&r.client_id)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(ctx)?,
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
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(ctx)?,
        scopes: ScopeSet::from_list(&r.scopes)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(ctx)?,
        grants: r
            .grants
            .iter()
            .filter_map(|g| GrantType::parse(g))
            .collect(),
        token_ttl: r.token_ttl,
        registration: r.registration,
        disabled: r.disabled,
        created_at: UnixTime::from_secs(r.created_at),
        alg: SigningAlg::parse(&r.alg)
            .ok_or_else(|| anyhow::anyhow!("unknown alg {:?}", r.alg))
            .with_context(ctx)?,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::domain::authenticate;

    fn new_client(i: usize) -> NewClient {
        NewClient {
            id: ClientId::parse(&format!("client-{i}")).unwrap(),
            audiences: vec![Audience::parse("https://api.example").unwrap()],
            scopes: ScopeSet::parse("read write").unwrap(),
            grants: vec![GrantType::ClientCredentials],
            token_ttl: 3600,
            alg: Default::default(),
        }
    }

    #[tokio::test]
    async fn an_unknown_client_a_wrong_secret_and_a_disabled_client_fail_alike() {
        let dir = tempfile::tempdir().unwrap();
        let registry = ClientRegistry::new(Store::open(dir.path()).unwrap());
        let now = UnixTime::from_secs(1);
        let (_, secret) = registry.register(new_client(1), now).await.unwrap();
        let wrong = authenticate(registry.find("client-1").unwrap(), "wrong", now).unwrap_err();
        let unknown =
            authenticate(registry.find("nobody").unwrap(), secret.expose(), now).unwrap_err();
        let malformed =
            authenticate(registry.find("no such id").unwrap(), secret.expose(), now).unwrap_err();
        registry
            .set_disabled(&ClientId::parse("client-1").unwrap(), true)
            .await
            .unwrap();
        let disabled =
            authenticate(registry.find("client-1").unwrap(), secret.expose(), now).unwrap_err();
        for e in [&wrong, &unknown, &malformed, &disabled] {
            assert_eq!(
                (e.code(), e.description()),
                (wrong.code(), wrong.description())
            );
        }
    }

    /// Lookup + check for a wrong secret vs an unknown client, interleaved, medians in ns.
    /// `cargo test --release --lib -- --ignored --nocapture what_authentication_failures_cost`
    #[tokio::test]
    #[ignore = "a measurement, not a check"]
    async fn what_authentication_failures_cost() {
        let dir = tempfile::tempdir().unwrap();
        let registry = ClientRegistry::new(Store::open(dir.path()).unwrap());
        let now = UnixTime::from_secs(1);
        for i in 0..10_000 {
            registry.register(new_client(i), now).await.unwrap();
        }
        let presented = ClientSecret::generate();
        let (mut wrong, mut unknown) = (Vec::new(), Vec::new());
        for round in 0..200_000 {
            let id = format!(
                "client-{}",
                if std::env::var("HOT").is_ok() {
                    7
                } else {
                    round % 10_000
                }
            );
            let absent = format!("absent-{}", round % 10_000);
            let t = Instant::now();
            let _ = authenticate(registry.find(&id).unwrap(), presented.expose(), now);
            wrong.push(t.elapsed().as_nanos());
            let t = Instant::now();
            let _ = authenticate(registry.find(&absent).unwrap(), presented.expose(), now);
            unknown.push(t.elapsed().as_nanos());
        }
        let store = &registry.store;
        let median = |v: &mut Vec<u128>| {
            v.sort_unstable();
            v[v.len() / 2]
        };
        let (w, u) = (median(&mut wrong), median(&mut unknown));
        let (mut lk, mut lu, mut fk, mut fu) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for round in 0..200_000 {
            let id = format!("client-{}", round % 10_000);
            let absent = format!("absent-{}", round % 10_000);
            let t = Instant::now();
            let (_, rk) = store.lookup_client(Some(&id)).unwrap();
            lk.push(t.elapsed().as_nanos());
            let t = Instant::now();
            let (_, ru) = store.lookup_client(Some(&absent)).unwrap();
            lu.push(t.elapsed().as_nanos());
            let t = Instant::now();
            let _ = from_record(rk);
            fk.push(t.elapsed().as_nanos());
            let t = Instant::now();
            let _ = from_record(ru);
            fu.push(t.elapsed().as_nanos());
        }
        println!(
            "lookup known {} unknown {}; convert known {} unknown {}",
            median(&mut lk),
            median(&mut lu),
            median(&mut fk),
            median(&mut fu)
        );
        println!(
            "wrong secret: median {w} ns; unknown client: median {u} ns; ratio {:.3}",
            u as f64 / w as f64
        );
    }
}
