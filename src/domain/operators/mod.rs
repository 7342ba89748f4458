//! Console operators: accounts of their own (not directory users), with argon2id passwords
//! hashed on the users' bounded pool and logins throttled by the users' lockout.

pub mod record;

pub use record::{Operator, OperatorView};

use std::net::IpAddr;
use std::sync::Arc;

use super::ports::OperatorStore;
use super::users::lockout::address_key;
use super::users::names::Name;
use super::users::{HashPermit, LoginFailure, NewPassword, PresentedPassword, Users};
use super::{AdminError, OAuthError, UnixTime};

/// The operator created on a first start, with a random password.
pub const BOOTSTRAP_OPERATOR: &str = "admin";

/// Operators over their store.
#[derive(Clone)]
pub struct Operators {
    store: Arc<dyn OperatorStore>,
}

impl Operators {
    pub fn new(store: Arc<dyn OperatorStore>) -> Self {
        Self { store }
    }

    pub fn list(&self) -> Result<Vec<OperatorView>, OAuthError> {
        Ok(self.store.list()?.iter().map(OperatorView::from).collect())
    }

    pub fn is_empty(&self) -> Result<bool, OAuthError> {
        Ok(self.store.list()?.is_empty())
    }

    /// Adds an operator; a taken name is a conflict.
    pub async fn add(
        &self,
        name: &Name,
        password: &NewPassword,
        users: &Users,
        now: UnixTime,
    ) -> Result<OperatorView, AdminError> {
        let operator = Operator {
            name: name.as_str().to_owned(),
            password_phc: users.hasher.hash(password).await?,
            created_at: now.as_secs(),
        };
        if !self.store.insert(&operator).await? {
            return Err(AdminError::Conflict(format!(
                "operator {name} already exists"
            )));
        }
        Ok(OperatorView::from(&operator))
    }

    pub async fn set_password(
        &self,
        name: &Name,
        password: &NewPassword,
        users: &Users,
    ) -> Result<(), AdminError> {
        let phc = users.hasher.hash(password).await?;
        let changed = self
            .store
            .update(name.as_str(), Box::new(move |o| o.password_phc = phc))
            .await?;
        changed
            .map(|_| ())
            .ok_or_else(|| AdminError::NotFound(format!("no operator {name}")))
    }

    pub async fn remove(&self, name: &Name) -> Result<(), AdminError> {
        if self.store.remove(name.as_str()).await? {
            Ok(())
        } else {
            Err(AdminError::NotFound(format!("no operator {name}")))
        }
    }

    /// Whether the operator still exists: a removed operator's sessions end at their next
    /// request.
    pub fn exists(&self, name: &str) -> Result<bool, OAuthError> {
        Ok(self.store.get(name)?.is_some())
    }

    /// A console login, throttled like user logins (same lockout, same hashing pool) but with
    /// failures counted per operator name *and* address (see [`lockout_key`]). An unknown
    /// operator costs one hash, as a wrong password does.
    pub async fn login(
        &self,
        name: &str,
        password: &PresentedPassword,
        users: &Users,
        address: IpAddr,
        now: UnixTime,
    ) -> Result<OperatorView, LoginFailure> {
        let key = lockout_key(name, address);
        let verify = async |turn: &mut HashPermit| {
            let stored = self
                .store
                .get(name)
                .map_err(|e| LoginFailure::Internal(e.into()))?
                .filter(|_| Name::parse(name).is_ok());
            let phc = stored.as_ref().map(|o| o.password_phc.as_str());
            let matched = users
                .hasher
                .verify(turn, phc, password)
                .await
                .map_err(LoginFailure::Internal)?;
            match stored {
                Some(operator) if matched => Ok(OperatorView::from(&operator)),
                _ => Err(LoginFailure::WrongPassword),
            }
        };
        users.throttled(&key, address, now, verify).await
    }
}

/// The lockout counter of `name`'s console logins from `address`. Counted per name alone, ten
/// guesses from anywhere locked the real `admin` out everywhere for the whole window (issue 21);
/// per name and address, a guesser locks out only itself, and its address's own counter (every
/// login from it, users' too: `max_failures_per_address`) still bounds what it may try across
/// names. IPv6 addresses count by /64, as that counter does. No per-name slowdown: anything a
/// guesser can fill for a name (a queue, a rate) would keep the real operator out as a lockout
/// does; the hashing pool bounds the guesses of many addresses together.
fn lockout_key(name: &str, address: IpAddr) -> String {
    // The address first: the lockout keeps 64 bytes of a key, and the part cut from a long name
    // only merges counters of that one address.
    format!("operator {} {name}", address_key(address))
}

/// A random password for the bootstrap operator: 32 characters of base64url (192 bits).
pub fn random_password() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operators_failures_count_per_address_and_per_ipv6_slash_64() {
        let at = |a: &str| lockout_key("admin", a.parse().unwrap());
        assert_ne!(at("127.0.0.1"), at("127.0.0.2"));
        assert_ne!(
            lockout_key("admin", [10, 0, 0, 1].into()),
            lockout_key("root", [10, 0, 0, 1].into())
        );
        assert_eq!(at("2001:db8::1"), at("2001:db8::ffff:2"));
        assert_ne!(at("2001:db8::1"), at("2001:db8:0:1::1"));
        assert_eq!(at("::ffff:127.0.0.1"), at("127.0.0.1"));
    }
}
