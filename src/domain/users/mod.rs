//! Users and their directory: organizations, org units, departments, work-function contexts
//! (wfc), roles, users with argon2id passwords (or Werkzeug hashes imported from tokenleader,
//! until the first login), catalog services, login lockout, and tokenleader-layout tokens.

mod argon;
pub mod directory;
pub mod entries;
mod imported;
pub mod lockout;
pub mod names;
pub mod password;
pub mod policy;
pub mod stored;
pub mod throttle;
pub mod tokenleader;
pub mod werkzeug;

use std::net::IpAddr;

pub use directory::{Directory, LoginFailure, NewService, NewUser, NewWfc, User, UserView};
pub use imported::ImportedUser;
pub use lockout::Lockout;
pub use names::{Email, EndpointUrl, Name, NewPassword, PresentedPassword};
pub use password::{Busy, PasswordHasher};
pub use policy::UserSettings;
pub use throttle::Throttle;

use super::UnixTime;
use std::sync::Arc;

use super::ports::DirectoryStore;

/// Everything the user-facing endpoints need, built once at start.
pub struct Users {
    pub directory: Directory,
    pub hasher: PasswordHasher,
    pub lockout: Throttle,
    pub settings: UserSettings,
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
        })
    }

    /// Counts login failures in `store`, shared with every instance using it, instead of in
    /// this process: a guesser cannot spread attempts over instances.
    pub fn with_shared_lockout(mut self, store: Arc<dyn super::ports::LockoutStore>) -> Self {
        self.lockout = Throttle::shared(store, &self.settings);
        self
    }

    /// A login with lockout: refused at once while the username or address is locked out;
    /// otherwise checked (same work for unknown users) and counted as a failure or a success.
    ///
    /// The lockout is checked again once the login has its turn on the hashing pool, and the
    /// turn is held until the outcome is counted: however many guesses are sent in parallel,
    /// at most one per pool thread gets past the threshold.
    pub async fn login(
        &self,
        username: &str,
        password: &PresentedPassword,
        address: IpAddr,
        now: UnixTime,
    ) -> Result<User, LoginFailure> {
        let locked = |retry_after_secs| LoginFailure::Locked { retry_after_secs };
        self.lockout
            .check(username, address, now)
            .await
            .map_err(locked)?;
        let mut turn = self
            .hasher
            .permit()
            .await
            .map_err(|busy| LoginFailure::Busy {
                retry_after_secs: busy.retry_after_secs,
            })?;
        self.lockout
            .check(username, address, now)
            .await
            .map_err(locked)?;
        let outcome = self
            .directory
            .login(username, password, &self.hasher, &mut turn)
            .await;
        match &outcome {
            Ok(user) => self.lockout.record_success(&user.username).await,
            Err(LoginFailure::UnknownUser | LoginFailure::WrongPassword) => {
                self.lockout.record_failure(username, address, now).await;
            }
            Err(_) => {}
        }
        drop(turn);
        outcome
    }
}
