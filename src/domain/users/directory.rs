//! The user directory: adding, showing, listing and removing its entries (logins: `login.rs`).

use serde::Serialize;

use super::endpoint::NewService;
use super::entries::{
    DirectoryRecord, EntryKind, Inserted, NamedRecord, Removed, ServiceRecord, UserRecord,
    WfcRecord,
};
use super::names::{Email, Name, NewPassword};
use super::password::PasswordHasher;
use super::stored::Scheme;
use crate::domain::{AdminError, OAuthError, UnixTime};
use std::sync::Arc;

use crate::domain::ports::DirectoryStore;
use crate::domain::token_budget::MAX_USER_ROLE_BYTES;

/// A work-function context to create: all three parts must exist.
#[derive(Debug)]
pub struct NewWfc {
    pub name: Name,
    pub org: Name,
    pub orgunit: Name,
    pub department: Name,
}

/// A user to create: at least one role, exactly one wfc.
#[derive(Debug)]
pub struct NewUser {
    pub username: Name,
    pub email: Email,
    pub password: NewPassword,
    pub roles: Vec<Name>,
    pub wfc: Name,
}

/// A user as the admin API shows it: never the password hash.
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub id: u64,
    pub username: String,
    pub email: String,
    pub roles: Vec<String>,
    pub wfc: String,
    pub created_at: u64,
    /// `argon2id`, or `werkzeug` for a user imported from tokenleader who has not logged in
    /// since (the hash itself is never shown).
    pub password_scheme: &'static str,
}

impl From<&UserRecord> for UserView {
    fn from(r: &UserRecord) -> Self {
        Self {
            id: r.id,
            username: r.username.clone(),
            email: r.email.clone(),
            roles: r.roles.clone(),
            wfc: r.wfc.clone(),
            created_at: r.created_at,
            password_scheme: Scheme::of(&r.password_phc).label(),
        }
    }
}

/// A user who has just logged in, with the wfc resolved: what tokens are made from.
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub email: String,
    pub roles: Vec<String>,
    pub wfc: WfcRecord,
}

/// Why a login did not succeed.
#[derive(Debug)]
pub enum LoginFailure {
    UnknownUser,
    WrongPassword,
    Locked {
        retry_after_secs: u64,
    },
    /// Too many logins are waiting for the password pool: nothing was checked, and the failure
    /// counts against the sender's address only.
    Busy {
        retry_after_secs: u64,
    },
    Internal(anyhow::Error),
}

/// The directory over its storage.
#[derive(Clone)]
pub struct Directory {
    pub(super) store: Arc<dyn DirectoryStore>,
}

impl Directory {
    pub fn new(store: Arc<dyn DirectoryStore>) -> Self {
        Self { store }
    }

    /// Adds an organization, org unit, department or role: `R` is `OrgRecord`, ...
    pub async fn add_named<R: DirectoryRecord + From<NamedRecord> + Send + 'static>(
        &self,
        name: Name,
        now: UnixTime,
    ) -> Result<R, AdminError> {
        let record = NamedRecord {
            id: self.store.next_id().await?,
            name: name.as_str().to_owned(),
            created_at: now.as_secs(),
        };
        self.insert(R::from(record)).await
    }

    pub async fn add_wfc(&self, new: NewWfc, now: UnixTime) -> Result<WfcRecord, AdminError> {
        let record = WfcRecord {
            id: self.store.next_id().await?,
            name: new.name.as_str().to_owned(),
            org: new.org.as_str().to_owned(),
            orgunit: new.orgunit.as_str().to_owned(),
            department: new.department.as_str().to_owned(),
            created_at: now.as_secs(),
        };
        self.insert(record).await
    }

    pub async fn add_user(
        &self,
        new: NewUser,
        hasher: &PasswordHasher,
        now: UnixTime,
    ) -> Result<UserView, AdminError> {
        if new.roles.is_empty() {
            return Err(AdminError::invalid("a user needs at least one role"));
        }
        let record = UserRecord {
            id: self.store.next_id().await?,
            username: new.username.as_str().to_owned(),
            email: new.email.as_str().to_owned(),
            password_phc: hasher.hash(&new.password).await?,
            roles: new.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            wfc: new.wfc.as_str().to_owned(),
            created_at: now.as_secs(),
        };
        let record = self.insert_user(record).await?;
        Ok(UserView::from(&record))
    }

    /// Stores a new user, roles sorted and deduplicated; at least one role, and no more than
    /// its tokens can carry ([`MAX_USER_ROLE_BYTES`]).
    pub(super) async fn insert_user(
        &self,
        mut record: UserRecord,
    ) -> Result<UserRecord, AdminError> {
        if record.roles.is_empty() {
            return Err(AdminError::invalid("a user needs at least one role"));
        }
        record.roles.sort();
        record.roles.dedup();
        let written: usize = record.roles.iter().map(|r| r.len() + 3).sum();
        if written > MAX_USER_ROLE_BYTES {
            return Err(AdminError::Invalid(
                format!(
                    "a user's roles take at most {MAX_USER_ROLE_BYTES} bytes as its tokens write \
                     them (each name plus 3): its tokens carry them, and must fit in a request \
                     header"
                )
                .into(),
            ));
        }
        self.insert(record).await
    }

    pub async fn set_password(
        &self,
        username: &Name,
        password: &NewPassword,
        hasher: &PasswordHasher,
    ) -> Result<(), AdminError> {
        self.require::<UserRecord>(username)?;
        let phc = hasher.hash(password).await?;
        let changed = self
            .store
            .update_user(
                username.as_str(),
                Box::new(move |mut record| {
                    record.password_phc = phc;
                    record
                }),
            )
            .await?;
        if changed {
            Ok(())
        } else {
            Err(not_found(EntryKind::User, username.as_str()))
        }
    }

    pub async fn add_service(
        &self,
        new: NewService,
        now: UnixTime,
    ) -> Result<ServiceRecord, AdminError> {
        let record = ServiceRecord {
            id: self.store.next_id().await?,
            name: new.name.as_str().to_owned(),
            endpoint_url_internal: new.internal.as_str().to_owned(),
            endpoint_url_external: new.external.map(|u| u.as_str().to_owned()),
            endpoint_url_admin: new.admin.map(|u| u.as_str().to_owned()),
            created_at: now.as_secs(),
        };
        self.insert(record).await
    }

    pub fn list<R: DirectoryRecord>(&self) -> Result<Vec<R>, OAuthError> {
        let entries = self.store.list(R::KIND)?;
        Ok(entries.into_iter().filter_map(R::from_entry).collect())
    }

    pub fn get<R: DirectoryRecord>(&self, name: &str) -> Result<Option<R>, OAuthError> {
        Ok(self.store.get(R::KIND, name)?.and_then(R::from_entry))
    }

    /// The entry, or `not_found`.
    pub fn require<R: DirectoryRecord>(&self, name: &Name) -> Result<R, AdminError> {
        self.get(name.as_str())?
            .ok_or_else(|| not_found(R::KIND, name.as_str()))
    }

    /// Removes an entry; refused with `conflict` while another entry refers to it.
    pub async fn remove(&self, kind: EntryKind, name: &Name) -> Result<(), AdminError> {
        match self.store.remove(kind, name.as_str()).await? {
            Removed::Removed => Ok(()),
            Removed::NotFound => Err(not_found(kind, name.as_str())),
            Removed::InUse(by_kind, by_name) => Err(AdminError::Conflict(format!(
                "{} {name} is still used by {} {by_name}; remove or change that first",
                kind.label(),
                by_kind.label()
            ))),
        }
    }

    async fn insert<R: DirectoryRecord + Send + 'static>(
        &self,
        record: R,
    ) -> Result<R, AdminError> {
        match self.store.insert(record.clone().into_entry()).await? {
            Inserted::Created => Ok(record),
            Inserted::Exists => Err(AdminError::Conflict(format!(
                "{} {} already exists",
                R::KIND.label(),
                record.name()
            ))),
            Inserted::Missing(kind, name) => Err(AdminError::Conflict(format!(
                "there is no {} {name}: create it first",
                kind.label()
            ))),
        }
    }
}

fn not_found(kind: EntryKind, name: &str) -> AdminError {
    AdminError::NotFound(format!("no {} {name}", kind.label()))
}
