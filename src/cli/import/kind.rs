//! The kinds of directory entries an import creates, and where the admin API keeps each.

/// The kinds, in the order they are created (each refers only to kinds before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Org,
    Ou,
    Dept,
    Role,
    Wfc,
    User,
    Service,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Org,
        Kind::Ou,
        Kind::Dept,
        Kind::Role,
        Kind::Wfc,
        Kind::User,
        Kind::Service,
    ];

    /// The admin API's collection, also the summary's key.
    pub fn resource(self) -> &'static str {
        match self {
            Kind::Org => "orgs",
            Kind::Ou => "ous",
            Kind::Dept => "depts",
            Kind::Role => "roles",
            Kind::Wfc => "wfcs",
            Kind::User => "users",
            Kind::Service => "services",
        }
    }

    /// Where a new entry is POSTed: users go through the import route, which alone takes a
    /// Werkzeug hash.
    pub fn create_path(self) -> String {
        match self {
            Kind::User => "/admin/import/tokenleader/users".to_owned(),
            _ => format!("/admin/{}", self.resource()),
        }
    }

    /// The member of a listed entry that holds its name.
    pub fn name_key(self) -> &'static str {
        match self {
            Kind::User => "username",
            _ => "name",
        }
    }
}
