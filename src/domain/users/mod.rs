//! Users and their directory: organizations, org units, departments, work-function contexts
//! (wfc), roles, users with argon2id passwords (or Werkzeug hashes imported from tokenleader,
//! until the first login), catalog services, login lockout, and tokenleader-layout tokens.

mod argon;
pub mod directory;
pub mod endpoint;
pub mod entries;
mod imported;
mod lanes;
pub mod lockout;
mod login;
pub mod names;
pub mod password;
pub mod policy;
pub mod stored;
pub mod throttle;
pub mod tokenleader;
pub mod werkzeug;

pub use directory::{Directory, LoginFailure, NewUser, NewWfc, User, UserView};
pub use endpoint::{EndpointUrl, NewService};
pub use imported::ImportedUser;
pub use lanes::Refused;
pub use lockout::Lockout;
pub use names::{Email, Name, NewPassword, PresentedPassword};
pub use password::{Busy, HashPermit, PasswordHasher};
pub use policy::UserSettings;
pub use stored::Cost;
pub use throttle::Throttle;

use super::UnixTime;
use super::auth_failure::FailureReason;
use super::events::{Events, Unheard};
use super::origin::Origin;
use std::net::IpAddr;
use std::sync::Arc;

use super::ports::DirectoryStore;

/// Everything the user-facing endpoints need, built once at start.
pub struct Users {
    pub directory: Directory,
    pub hasher: PasswordHasher,
    pub lockout: Throttle,
    pub settings: UserSettings,
    /// Told of failed logins and lockouts.
    events: Arc<dyn Events>,
}

impl Users {
    /// Opens the directory's trees and prepares the password pool (one hash, for the dummy).
    pub fn new(store: Arc<dyn DirectoryStore>, settings: UserSettings) -> anyhow::Result<Self> {
        settings.check()?;
        Ok(Self {
            directory: Directory::new(store),
            hasher: PasswordHasher::new(&settings)?,
            lockout: Throttle::Local(Lockout::new(&settings)),
            settings,
            events: Arc::new(Unheard),
        })
    }

    /// Tells `events` (the application's telemetry) of failed logins and lockouts.
    pub fn with_events(mut self, events: Arc<dyn Events>) -> Self {
        self.events = events;
        self
    }

    /// Counts login failures in `store`, shared with every instance using it, instead of in
    /// this process: a guesser cannot spread attempts over instances.
    pub fn with_shared_lockout(mut self, store: Arc<dyn super::ports::LockoutStore>) -> Self {
        self.lockout = Throttle::shared(store, &self.settings);
        self
    }

    /// A login with lockout: refused at once while the username or address is locked out;
    /// otherwise checked (same work for unknown users) and counted as a failure or a success.
    /// Throttled by [`Users::throttled_as`] in the lane its stored hash's cost calls for;
    /// failures are counted and audited.
    pub async fn login(
        &self,
        username: &str,
        password: &PresentedPassword,
        origin: &Origin,
        now: UnixTime,
    ) -> Result<User, LoginFailure> {
        let outcome = match self.directory.login_record(username) {
            Ok(record) => {
                let cost = Cost::of(record.as_ref().map(|r| r.password_phc.as_str()));
                let verify = async |turn: &mut HashPermit| {
                    self.directory
                        .check_login(record, password, &self.hasher, turn)
                        .await
                };
                self.throttled_as(cost, username, origin.address, now, verify)
                    .await
            }
            Err(failure) => Err(failure),
        };
        let failed = match &outcome {
            Err(LoginFailure::Locked { .. }) => Some(FailureReason::LockedOut),
            Err(LoginFailure::UnknownUser) => Some(FailureReason::UnknownUser),
            Err(LoginFailure::WrongPassword) => Some(FailureReason::WrongPassword),
            _ => None,
        };
        if let Some(reason) = failed {
            self.events.auth_failed(username, reason, origin, now);
        }
        outcome
    }

    /// One login attempt under the lockout key `key` from `address`, in the ordinary lane: see
    /// [`Users::throttled_as`]. User logins and console operators' share it.
    pub async fn throttled<T>(
        &self,
        key: &str,
        address: IpAddr,
        now: UnixTime,
        verify: impl AsyncFnOnce(&mut HashPermit) -> Result<T, LoginFailure>,
    ) -> Result<T, LoginFailure> {
        self.throttled_as(Cost::Ordinary, key, address, now, verify)
            .await
    }

    /// One login attempt under the lockout key `key` from `address`, whose check costs `cost`:
    /// refused at once while either is locked out; otherwise `verify` runs with a turn in the
    /// lane for `cost`, the lockout checked again once the turn is held, and its outcome
    /// counted before the turn ends — so however many guesses arrive in parallel, at most one
    /// per pool thread gets past the threshold. A full lane's refusal counts against the
    /// address (the sender asked for more than the pool holds); a costly check for a `key`
    /// that has one under way already is refused like a lockout.
    pub async fn throttled_as<T>(
        &self,
        cost: Cost,
        key: &str,
        address: IpAddr,
        now: UnixTime,
        verify: impl AsyncFnOnce(&mut HashPermit) -> Result<T, LoginFailure>,
    ) -> Result<T, LoginFailure> {
        let locked = |retry_after_secs| LoginFailure::Locked { retry_after_secs };
        self.lockout
            .check(key, address, now)
            .await
            .map_err(locked)?;
        let mut turn = match self.hasher.permit_for(cost, key).await {
            Ok(turn) => turn,
            Err(Refused::InFlight { retry_after_secs }) => return Err(locked(retry_after_secs)),
            Err(Refused::Busy(busy)) => {
                for by in self.lockout.record_address_failure(address, now).await {
                    self.events.locked_out(by);
                }
                return Err(LoginFailure::Busy {
                    retry_after_secs: busy.retry_after_secs,
                });
            }
        };
        self.lockout
            .check(key, address, now)
            .await
            .map_err(locked)?;
        let outcome = verify(&mut turn).await;
        match &outcome {
            Ok(_) => self.lockout.record_success(key).await,
            Err(LoginFailure::UnknownUser | LoginFailure::WrongPassword) => {
                for by in self.lockout.record_failure(key, address, now).await {
                    self.events.locked_out(by);
                }
            }
            Err(_) => {}
        }
        drop(turn);
        outcome
    }
}
