//! The user directory's entries: organizations, org units, departments, work-function contexts,
//! roles, users and catalog services. Names identify them; `id` is a number for tokenleader's
//! claims. Storage keeps them as they are (behind a version tag).

use serde::{Deserialize, Serialize};

/// What an insert did.
#[derive(Debug, PartialEq, Eq)]
pub enum Inserted {
    Created,
    /// An entry of this kind already has the name.
    Exists,
    /// A referenced entry does not exist.
    Missing(EntryKind, String),
}

/// What a removal did.
#[derive(Debug, PartialEq, Eq)]
pub enum Removed {
    Removed,
    NotFound,
    /// Another entry (kind, name) still refers to it.
    InUse(EntryKind, String),
}

/// The kinds of directory entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    Org,
    OrgUnit,
    Department,
    Wfc,
    Role,
    User,
    Service,
}

impl EntryKind {
    /// How an error message names this kind.
    pub fn label(self) -> &'static str {
        match self {
            Self::Org => "organization",
            Self::OrgUnit => "org unit",
            Self::Department => "department",
            Self::Wfc => "wfc",
            Self::Role => "role",
            Self::User => "user",
            Self::Service => "service",
        }
    }

    pub const ALL: [EntryKind; 7] = [
        Self::Org,
        Self::OrgUnit,
        Self::Department,
        Self::Wfc,
        Self::Role,
        Self::User,
        Self::Service,
    ];
}

/// Something stored under a name that may point at other entries by name.
pub trait DirectoryRecord: Serialize + for<'de> Deserialize<'de> + Clone + Send + 'static {
    const KIND: EntryKind;
    fn name(&self) -> &str;
    /// The entries this one refers to; they must exist while it does.
    fn references(&self) -> Vec<(EntryKind, &str)> {
        Vec::new()
    }
    /// As the one type the directory store takes.
    fn into_entry(self) -> Entry;
    /// Back from it: `None` for an entry of another kind.
    fn from_entry(entry: Entry) -> Option<Self>;
}

/// Any directory entry: what the directory's store keeps and returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// An organization, org unit, department or role.
    Named(EntryKind, NamedRecord),
    Wfc(WfcRecord),
    User(UserRecord),
    Service(ServiceRecord),
}

impl Entry {
    pub fn kind(&self) -> EntryKind {
        match self {
            Self::Named(kind, _) => *kind,
            Self::Wfc(_) => EntryKind::Wfc,
            Self::User(_) => EntryKind::User,
            Self::Service(_) => EntryKind::Service,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Named(_, r) => &r.name,
            Self::Wfc(r) => r.name(),
            Self::User(r) => r.name(),
            Self::Service(r) => r.name(),
        }
    }

    pub fn references(&self) -> Vec<(EntryKind, &str)> {
        match self {
            Self::Named(..) | Self::Service(_) => Vec::new(),
            Self::Wfc(r) => r.references(),
            Self::User(r) => r.references(),
        }
    }
}

/// An organization, org unit, department or role: just a name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedRecord {
    pub id: u64,
    pub name: String,
    pub created_at: u64,
}

/// A work-function context: an organization, org unit and department under one name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WfcRecord {
    pub id: u64,
    pub name: String,
    pub org: String,
    pub orgunit: String,
    pub department: String,
    pub created_at: u64,
}

/// A user. The password is kept only as an argon2id PHC string, or, for a user imported from
/// tokenleader who has not logged in since, as tokenleader's Werkzeug hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: u64,
    pub username: String,
    pub email: String,
    pub password_phc: String,
    pub roles: Vec<String>,
    pub wfc: String,
    pub created_at: u64,
}

/// A service of the catalog handed out with tokenleader tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceRecord {
    pub id: u64,
    pub name: String,
    pub endpoint_url_internal: String,
    #[serde(default)]
    pub endpoint_url_external: Option<String>,
    #[serde(default)]
    pub endpoint_url_admin: Option<String>,
    pub created_at: u64,
}

/// A [`NamedRecord`] of one kind: the kind is a type parameter so each has its own tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Named<const K: u8>(pub NamedRecord);

pub type OrgRecord = Named<0>;
pub type OrgUnitRecord = Named<1>;
pub type DepartmentRecord = Named<2>;
pub type RoleRecord = Named<3>;

impl<const K: u8> From<NamedRecord> for Named<K> {
    fn from(record: NamedRecord) -> Self {
        Self(record)
    }
}

impl<const K: u8> DirectoryRecord for Named<K> {
    const KIND: EntryKind = match K {
        0 => EntryKind::Org,
        1 => EntryKind::OrgUnit,
        2 => EntryKind::Department,
        _ => EntryKind::Role,
    };
    fn name(&self) -> &str {
        &self.0.name
    }
    fn into_entry(self) -> Entry {
        Entry::Named(Self::KIND, self.0)
    }
    fn from_entry(entry: Entry) -> Option<Self> {
        match entry {
            Entry::Named(kind, r) if kind == Self::KIND => Some(Self(r)),
            _ => None,
        }
    }
}

impl DirectoryRecord for WfcRecord {
    const KIND: EntryKind = EntryKind::Wfc;
    fn into_entry(self) -> Entry {
        Entry::Wfc(self)
    }
    fn from_entry(entry: Entry) -> Option<Self> {
        match entry {
            Entry::Wfc(r) => Some(r),
            _ => None,
        }
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn references(&self) -> Vec<(EntryKind, &str)> {
        vec![
            (EntryKind::Org, &self.org),
            (EntryKind::OrgUnit, &self.orgunit),
            (EntryKind::Department, &self.department),
        ]
    }
}

impl DirectoryRecord for UserRecord {
    const KIND: EntryKind = EntryKind::User;
    fn into_entry(self) -> Entry {
        Entry::User(self)
    }
    fn from_entry(entry: Entry) -> Option<Self> {
        match entry {
            Entry::User(r) => Some(r),
            _ => None,
        }
    }
    fn name(&self) -> &str {
        &self.username
    }
    fn references(&self) -> Vec<(EntryKind, &str)> {
        let mut refs: Vec<(EntryKind, &str)> = self
            .roles
            .iter()
            .map(|r| (EntryKind::Role, r.as_str()))
            .collect();
        refs.push((EntryKind::Wfc, &self.wfc));
        refs
    }
}

impl DirectoryRecord for ServiceRecord {
    const KIND: EntryKind = EntryKind::Service;
    fn into_entry(self) -> Entry {
        Entry::Service(self)
    }
    fn from_entry(entry: Entry) -> Option<Self> {
        match entry {
            Entry::Service(r) => Some(r),
            _ => None,
        }
    }
    fn name(&self) -> &str {
        &self.name
    }
}
