//! The client registry: registering, finding, rotating secrets, disabling and removing clients.

use std::sync::Arc;

use super::client_auth::ClientAuthMethod;
use super::ports::ClientStore;
use super::registration::{Grace, NewClient, RegistrationPolicy};
use super::token_budget::MAX_CLIENT_SCOPE_BYTES;
use super::{AdminError, Client, ClientId, ClientSecret, OAuthError, UnixTime};

/// One page of clients, in id order.
pub struct ClientPage {
    pub clients: Vec<Client>,
    /// Whether clients follow the last of this page.
    pub more: bool,
}

/// Clients as stored, seen through domain types.
#[derive(Clone)]
pub struct ClientRegistry {
    store: Arc<dyn ClientStore>,
    policy: RegistrationPolicy,
}

impl ClientRegistry {
    /// Over `store`, with the settings' default [`RegistrationPolicy`].
    pub fn new(store: Arc<dyn ClientStore>) -> Self {
        Self {
            store,
            policy: RegistrationPolicy::default(),
        }
    }

    /// The same registry, holding registrations to `policy`.
    pub fn with_policy(self, policy: RegistrationPolicy) -> Self {
        Self { policy, ..self }
    }

    /// What a registration and a secret rotation are held to.
    pub fn policy(&self) -> &RegistrationPolicy {
        &self.policy
    }

    /// Looks a client up by the raw id a caller presented, for authentication. A malformed id is
    /// simply unknown. An unknown client costs what a known one does (see
    /// [`ClientStore::lookup`]): a stand-in record is read and converted in its place, so the
    /// lookup leaks no timing about which ids exist.
    pub fn find(&self, raw_id: &str) -> Result<Option<Client>, OAuthError> {
        let id = ClientId::parse(raw_id).ok();
        let (known, client) = self.store.lookup(id.as_ref())?;
        Ok(known.then_some(client))
    }

    /// The client bound to `subject` of the trusted issuer `trust`, by the store's index: one
    /// read, whatever the number of clients.
    pub fn federated(&self, trust: &str, subject: &str) -> Result<Option<ClientId>, OAuthError> {
        Ok(self.store.federated(trust, subject)?)
    }

    pub fn get(&self, id: &ClientId) -> Result<Option<Client>, OAuthError> {
        Ok(self.store.get(id)?)
    }

    /// At most `limit` clients whose id starts with `prefix`, after the id `after` (as the
    /// caller sent it; empty: from the start), in id order, and whether more follow. The cost
    /// does not grow with the number of clients stored (see [`ClientStore::page`]).
    pub fn page(&self, prefix: &str, after: &str, limit: usize) -> Result<ClientPage, OAuthError> {
        if prefix.len() > 128 || !prefix.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(OAuthError::invalid_request(
                "a client id prefix is at most 128 printable ASCII characters",
            ));
        }
        let after = match after {
            "" => None,
            raw => Some(ClientId::parse(raw)?),
        };
        let mut clients = self.store.page(prefix, after.as_ref(), limit + 1)?;
        let more = clients.len() > limit;
        clients.truncate(limit);
        Ok(ClientPage { clients, more })
    }

    /// Registers a client; one that authenticates by secret gets a generated one, returned here
    /// and never again (one with another method gets none: its stored digest is of a secret
    /// nobody was given).
    pub async fn register(
        &self,
        mut new: NewClient,
        now: UnixTime,
    ) -> Result<(Client, Option<ClientSecret>), AdminError> {
        if new.audiences.is_empty() {
            return Err(AdminError::invalid("a client needs at least one audience"));
        }
        if new.grants.is_empty() {
            return Err(AdminError::invalid("a client needs at least one grant"));
        }
        if new.scopes.written_len() > MAX_CLIENT_SCOPE_BYTES {
            return Err(AdminError::Invalid(
                format!(
                    "a client's scopes, space-separated, take at most {MAX_CLIENT_SCOPE_BYTES} \
                     bytes (its tokens carry them, and must fit in a request header)"
                )
                .into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        new.audiences.retain(|a| seen.insert(a.as_str().to_owned()));
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
            auth_method: new.auth_method,
            dpop_bound: new.dpop_bound,
        };
        if !self.store.insert(&client).await? {
            return Err(AdminError::Conflict(format!(
                "client {} already exists",
                client.id
            )));
        }
        let secret = client.auth_method.uses_secret().then_some(secret);
        Ok((client, secret))
    }

    /// Replaces a client's secret. With a grace the old one keeps working that many seconds.
    pub async fn rotate_secret(
        &self,
        id: &ClientId,
        grace: Grace,
        now: UnixTime,
    ) -> Result<(Client, ClientSecret), AdminError> {
        let stored = self.store.get(id)?.ok_or_else(|| not_found(id))?;
        if !stored.auth_method.uses_secret() {
            return Err(AdminError::Conflict(format!(
                "client {id} authenticates without a secret: it has none to rotate"
            )));
        }
        let grace = grace.secs();
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

    pub async fn set_disabled(&self, id: &ClientId, disabled: bool) -> Result<Client, AdminError> {
        self.update(id, move |client| client.disabled = disabled)
            .await
    }

    /// Replaces how a client authenticates (its keys, for `private_key_jwt`); a client that had
    /// a secret has none from now on.
    pub async fn set_auth_method(
        &self,
        id: &ClientId,
        method: ClientAuthMethod,
    ) -> Result<Client, AdminError> {
        keeps_cli_working(id)?;
        self.update(id, move |client| client.auth_method = method)
            .await
    }

    /// Whether the client's tokens must be DPoP-bound (RFC 9449 §5.2).
    pub async fn set_dpop_bound(&self, id: &ClientId, bound: bool) -> Result<Client, AdminError> {
        if bound {
            keeps_cli_working(id)?;
        }
        self.update(id, move |client| client.dpop_bound = bound)
            .await
    }

    /// Applies `change` to the client as stored when the store's writer gets to it: a removal
    /// that came first stays a removal (`not_found`), and concurrent changes all apply.
    async fn update(
        &self,
        id: &ClientId,
        change: impl FnOnce(&mut Client) + Send + 'static,
    ) -> Result<Client, AdminError> {
        match self.store.update(id, Box::new(change)).await? {
            Some(client) => Ok(client),
            None => Err(not_found(id)),
        }
    }

    pub async fn remove(&self, id: &ClientId) -> Result<(), AdminError> {
        if self.store.remove(id).await? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    pub fn count(&self) -> usize {
        self.store.count()
    }

    /// Whether no client is registered; cheap at any size, unlike [`ClientRegistry::count`].
    pub fn is_empty(&self) -> Result<bool, OAuthError> {
        Ok(self.store.is_empty()?)
    }
}

fn not_found(id: &ClientId) -> AdminError {
    AdminError::NotFound(format!("no client {id}"))
}

/// Refuses to re-key or DPoP-bind the bootstrap admin client, from any admin or the console: the
/// command line authenticates with its secret and sends no proofs, so either would lock it out.
/// (Disabling or removing it stays allowed: an operator may retire it for clients of their own.)
fn keeps_cli_working(id: &ClientId) -> Result<(), AdminError> {
    if id.as_str() == super::BOOTSTRAP_ADMIN_ID {
        return Err(AdminError::Conflict(format!(
            "{id} is the command line's admin client (its secret is in admin-credentials.json): \
             it cannot be re-keyed or bound to DPoP"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
