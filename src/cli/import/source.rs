//! Reads a tokenleader 1.8 database (SQLite, as its `SQLALCHEMY_DATABASE_URI` defaults to) into
//! plain rows, read-only. The only place that knows SQLite.
//!
//! tokenleader 1.8 keeps its links the other way round from what its docs suggest: a wfc's
//! organization, org unit and department are the rows whose `work_func_id` points at the wfc,
//! and a user's wfc is the row of `workfunctioncontext` whose `userid` points at the user. So an
//! org, ou or dept belongs to one wfc at a time and a wfc to one user at a time: registering a
//! second wfc with the same org (or a second user with the same wfc) moved the link, and the
//! first one was left without it (tokenleader then failed that user's logins). Such rows come
//! back here with `None`, and the plan says why they are skipped.

use std::path::Path;

use anyhow::{Context, bail};
use rusqlite::{Connection, OpenFlags};

/// An organization, org unit, department or role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedRow {
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WfcRow {
    pub name: Option<String>,
    pub org: Option<String>,
    pub orgunit: Option<String>,
    pub department: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub username: Option<String>,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    /// Role names from `roles_n_user_map`, by role id.
    pub roles: Vec<String>,
    pub wfc: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    pub name: Option<String>,
    pub internal: Option<String>,
    pub external: Option<String>,
    pub admin: Option<String>,
}

/// Everything the import carries over, each kind in tokenleader's id order.
#[derive(Debug, Default)]
pub struct TokenleaderDb {
    pub orgs: Vec<NamedRow>,
    pub ous: Vec<NamedRow>,
    pub depts: Vec<NamedRow>,
    pub roles: Vec<NamedRow>,
    pub wfcs: Vec<WfcRow>,
    pub users: Vec<UserRow>,
    pub services: Vec<ServiceRow>,
}

/// The tables and columns read, as tokenleader 1.8's only migration (`3f6c8ac80cdf`) made them.
const SCHEMA: &[(&str, &[&str])] = &[
    ("organization", &["id", "name", "work_func_id"]),
    ("org_unit", &["id", "name", "work_func_id"]),
    ("department", &["id", "name", "work_func_id"]),
    ("workfunctioncontext", &["id", "name", "userid"]),
    ("role", &["id", "rolename"]),
    ("user", &["id", "username", "email", "password_hash"]),
    ("roles_n_user_map", &["role_id", "user_id"]),
    (
        "service_catalog",
        &[
            "id",
            "name",
            "endpoint_url_internal",
            "endpoint_url_external",
            "endpoint_url_admin",
        ],
    ),
];

/// Opens `path` read-only and reads every kind.
pub fn read(path: &Path) -> anyhow::Result<TokenleaderDb> {
    if !path.is_file() {
        bail!("{} is not a file", path.display());
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let db = Connection::open_with_flags(path, flags)
        .with_context(|| format!("opening {} as SQLite", path.display()))?;
    check_schema(&db)
        .with_context(|| format!("{} is not a tokenleader 1.8 database", path.display()))?;
    read_all(&db).with_context(|| format!("reading {}", path.display()))
}

fn check_schema(db: &Connection) -> anyhow::Result<()> {
    for (table, columns) in SCHEMA {
        let mut statement = db.prepare(&format!("PRAGMA table_info(\"{table}\")"))?;
        let present: Vec<String> = statement
            .query_map([], |row| row.get::<_, String>(1))?
            .collect::<Result<_, _>>()?;
        if present.is_empty() {
            bail!("it has no table {table}");
        }
        if let Some(missing) = columns.iter().find(|c| !present.iter().any(|p| p == *c)) {
            bail!("its table {table} has no column {missing}");
        }
    }
    Ok(())
}

fn read_all(db: &Connection) -> anyhow::Result<TokenleaderDb> {
    let named = |table: &str, column: &str| -> anyhow::Result<Vec<NamedRow>> {
        let sql = format!("SELECT {column} FROM \"{table}\" ORDER BY id");
        let mut statement = db.prepare(&sql)?;
        let rows = statement.query_map([], |row| {
            Ok(NamedRow {
                name: text(row, 0)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    // The first linked row by id, where tokenleader's `uselist=False` relationships would have
    // found one (there is at most one unless the database was edited by hand).
    let linked = |table: &str, column: &str, fk: &str, owner: &str| {
        format!("(SELECT {column} FROM \"{table}\" WHERE {fk} = {owner} ORDER BY id LIMIT 1)")
    };
    let wfcs = {
        let sql = format!(
            "SELECT w.name, {}, {}, {} FROM workfunctioncontext w ORDER BY w.id",
            linked("organization", "name", "work_func_id", "w.id"),
            linked("org_unit", "name", "work_func_id", "w.id"),
            linked("department", "name", "work_func_id", "w.id"),
        );
        let mut statement = db.prepare(&sql)?;
        let rows = statement.query_map([], |row| {
            Ok(WfcRow {
                name: text(row, 0)?,
                org: text(row, 1)?,
                orgunit: text(row, 2)?,
                department: text(row, 3)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let mut users = {
        let sql = format!(
            "SELECT u.id, u.username, u.email, u.password_hash, {} FROM \"user\" u ORDER BY u.id",
            linked("workfunctioncontext", "name", "userid", "u.id"),
        );
        let mut statement = db.prepare(&sql)?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                UserRow {
                    username: text(row, 1)?,
                    email: text(row, 2)?,
                    password_hash: text(row, 3)?,
                    roles: Vec::new(),
                    wfc: text(row, 4)?,
                },
            ))
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let mut roles_of = db.prepare(
        "SELECT r.rolename FROM roles_n_user_map m JOIN role r ON r.id = m.role_id \
         WHERE m.user_id = ?1 ORDER BY r.id",
    )?;
    for (id, user) in &mut users {
        let roles = roles_of.query_map([*id], |row| text(row, 0))?;
        user.roles = roles
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
    }
    let services = {
        let mut statement = db.prepare(
            "SELECT name, endpoint_url_internal, endpoint_url_external, endpoint_url_admin \
             FROM service_catalog ORDER BY id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(ServiceRow {
                name: text(row, 0)?,
                internal: text(row, 1)?,
                external: text(row, 2)?,
                admin: text(row, 3)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    Ok(TokenleaderDb {
        orgs: named("organization", "name")?,
        ous: named("org_unit", "name")?,
        depts: named("department", "name")?,
        roles: named("role", "rolename")?,
        wfcs,
        users: users.into_iter().map(|(_, u)| u).collect(),
        services,
    })
}

/// A text column; `NULL` is `None`. SQLite does not enforce column types: a number where text
/// belongs is read as its text, as Python's SQLAlchemy would have handed it on.
fn text(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Option<String>> {
    use rusqlite::types::ValueRef;
    Ok(match row.get_ref(index)? {
        ValueRef::Null => None,
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
    })
}
