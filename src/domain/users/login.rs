//! Checking a login against the directory, in two steps: the user's record is read first, so
//! the hashing pool's lane can be chosen by what checking its hash costs, then checked on a turn.

use super::directory::{Directory, LoginFailure, User};
use super::entries::{UserRecord, WfcRecord};
use super::names::{Name, PresentedPassword};
use super::password::{HashPermit, PasswordHasher};

impl Directory {
    /// The record a login as `username` is checked against; `None` for an unknown user, and for
    /// a malformed name, which is simply unknown (same answer, same work).
    pub fn login_record(&self, username: &str) -> Result<Option<UserRecord>, LoginFailure> {
        match Name::parse(username) {
            Ok(name) => self
                .get::<UserRecord>(name.as_str())
                .map_err(|e| LoginFailure::Internal(e.into())),
            Err(_) => Ok(None),
        }
    }

    /// Checks `password` against `record`'s hash on `turn`, doing the same argon2 work when
    /// there is no record; a good password for an imported hash replaces it with argon2id.
    pub async fn check_login(
        &self,
        record: Option<UserRecord>,
        password: &PresentedPassword,
        hasher: &PasswordHasher,
        turn: &mut HashPermit,
    ) -> Result<User, LoginFailure> {
        let phc = record.as_ref().map(|r| r.password_phc.as_str());
        let matched = hasher
            .verify(turn, phc, password)
            .await
            .map_err(LoginFailure::Internal)?;
        let Some(record) = record else {
            return Err(LoginFailure::UnknownUser);
        };
        if !matched {
            return Err(LoginFailure::WrongPassword);
        }
        self.upgrade_imported_hash(&record, password, hasher, turn)
            .await;
        let wfc = self
            .get::<WfcRecord>(&record.wfc)
            .map_err(|e| LoginFailure::Internal(e.into()))?
            .ok_or_else(|| {
                LoginFailure::Internal(anyhow::anyhow!(
                    "user {} refers to a missing wfc {}",
                    record.username,
                    record.wfc
                ))
            })?;
        Ok(User {
            id: record.id,
            username: record.username,
            email: record.email,
            roles: record.roles,
            wfc,
        })
    }
}
