//! Users imported from tokenleader 1.8 with their Werkzeug password hashes: stored as they were,
//! and replaced with argon2id by the user's first good login.

use super::directory::{Directory, UserView};
use super::entries::UserRecord;
use super::names::{Email, Name, PresentedPassword};
use super::password::{HashPermit, PasswordHasher};
use super::stored::Scheme;
use super::werkzeug::WerkzeugHash;
use crate::domain::{AdminError, UnixTime};

/// A user as tokenleader held them: the email as it was, the password as its Werkzeug hash.
#[derive(Debug)]
pub struct ImportedUser {
    pub username: Name,
    pub email: Email,
    pub password_hash: WerkzeugHash,
    pub roles: Vec<Name>,
    pub wfc: Name,
}

impl Directory {
    /// Adds an imported user, keeping their Werkzeug hash (`conflict` if the name is taken or a
    /// role or the wfc is missing, as for any new user).
    pub async fn import_user(
        &self,
        new: ImportedUser,
        now: UnixTime,
    ) -> Result<UserView, AdminError> {
        let record = UserRecord {
            id: self.store.next_id().await?,
            username: new.username.as_str().to_owned(),
            email: new.email.as_str().to_owned(),
            password_phc: new.password_hash.as_str().to_owned(),
            roles: new.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            wfc: new.wfc.as_str().to_owned(),
            created_at: now.as_secs(),
        };
        let record = self.insert_user(record).await?;
        Ok(UserView::from(&record))
    }

    /// After a good login against an imported Werkzeug hash: hashes the password with argon2id
    /// on the login's own turn and stores it through the store's writer, unless the hash was
    /// changed meanwhile (an admin's `user passwd`). A failure only leaves the old hash in
    /// place for the next login: it is logged, and the login goes on.
    pub(super) async fn upgrade_imported_hash(
        &self,
        record: &UserRecord,
        password: &PresentedPassword,
        hasher: &PasswordHasher,
        turn: &mut HashPermit,
    ) {
        if Scheme::of(&record.password_phc) != Scheme::Werkzeug {
            return;
        }
        let old = record.password_phc.clone();
        let upgraded = async {
            let phc = hasher.rehash(turn, password).await?;
            self.store
                .update_user(
                    &record.username,
                    Box::new(move |mut current| {
                        if current.password_phc == old {
                            current.password_phc = phc;
                        }
                        current
                    }),
                )
                .await
        };
        match upgraded.await {
            Ok(_) => tracing::info!(
                username = %record.username,
                "replaced an imported tokenleader password hash with argon2id"
            ),
            Err(e) => tracing::warn!(
                username = %record.username,
                error = format!("{e:#}"),
                "could not replace an imported password hash; the next login tries again"
            ),
        }
    }
}
