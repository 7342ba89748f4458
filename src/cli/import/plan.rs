//! What importing a tokenleader database would do, entry by entry: create it, leave it (already
//! present, with the fields that differ), or skip it with the reason. Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

pub use super::kind::Kind;
use super::source::{NamedRow, ServiceRow, TokenleaderDb, UserRow, WfcRow};
use crate::domain::users::werkzeug::WerkzeugHash;
use crate::domain::users::{Email, EndpointUrl, Name};

/// The entries tokendealer already has, by kind and name, as its admin API lists them.
pub type Existing = BTreeMap<Kind, BTreeMap<String, Value>>;

/// What to do with one tokenleader entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// POST `body` (which may hold a password hash: never printed).
    Create {
        name: String,
        body: Value,
    },
    /// Already there by name: left as it is. `differs` names the fields whose values differ.
    Present {
        name: String,
        differs: Vec<&'static str>,
    },
    Skip {
        name: String,
        reason: String,
    },
}

/// Every entry of every kind, in creation order.
pub type Plan = Vec<(Kind, Vec<Action>)>;

pub fn plan(db: &TokenleaderDb, existing: &Existing) -> Plan {
    let mut planner = Planner {
        existing,
        available: BTreeMap::new(),
    };
    let mut plan = Vec::new();
    for (kind, rows) in [
        (Kind::Org, &db.orgs),
        (Kind::Ou, &db.ous),
        (Kind::Dept, &db.depts),
        (Kind::Role, &db.roles),
    ] {
        let actions = rows.iter().map(|r| planner.named(kind, r)).collect();
        plan.push((kind, planner.record(kind, actions)));
    }
    let wfcs = db.wfcs.iter().map(|r| planner.wfc(r)).collect();
    plan.push((Kind::Wfc, planner.record(Kind::Wfc, wfcs)));
    let users = db.users.iter().map(|r| planner.user(r)).collect();
    plan.push((Kind::User, planner.record(Kind::User, users)));
    let services = db.services.iter().map(|r| planner.service(r)).collect();
    plan.push((Kind::Service, planner.record(Kind::Service, services)));
    plan
}

struct Planner<'a> {
    existing: &'a Existing,
    /// Names that will exist once the plan has run: present or created.
    available: BTreeMap<Kind, BTreeSet<String>>,
}

impl Planner<'_> {
    /// Notes what `actions` make available, and skips a second entry of the same name.
    fn record(&mut self, kind: Kind, actions: Vec<Action>) -> Vec<Action> {
        let seen = self.available.entry(kind).or_default();
        actions
            .into_iter()
            .map(|action| match action {
                Action::Create { name, .. } | Action::Present { name, .. }
                    if seen.contains(&name) =>
                {
                    let reason = "a second entry of the same name".to_owned();
                    Action::Skip { name, reason }
                }
                Action::Create { ref name, .. } | Action::Present { ref name, .. } => {
                    seen.insert(name.clone());
                    action
                }
                skip => skip,
            })
            .collect()
    }

    fn is_available(&self, kind: Kind, name: &str) -> bool {
        self.available
            .get(&kind)
            .is_some_and(|names| names.contains(name))
    }

    /// The entry's name if tokendealer can take it, else the skip.
    fn name(&self, name: &Option<String>) -> Result<String, Action> {
        let Some(name) = name else {
            return Err(skip("(null)", "it has no name"));
        };
        Name::parse(name).map_err(|e| skip(name, &e.description()))?;
        Ok(name.clone())
    }

    /// `Present` (with the differing fields) if tokendealer has the name, else `Create`.
    fn create_or_present(&self, kind: Kind, name: String, body: Value) -> Action {
        match self.existing.get(&kind).and_then(|all| all.get(&name)) {
            Some(current) => {
                let differs = differing(kind, &body, current);
                Action::Present { name, differs }
            }
            None => Action::Create { name, body },
        }
    }

    fn named(&self, kind: Kind, row: &NamedRow) -> Action {
        match self.name(&row.name) {
            Ok(name) => self.create_or_present(kind, name.clone(), json!({ "name": name })),
            Err(skipped) => skipped,
        }
    }

    /// A reference to an entry of `kind` that the plan makes available, else the reason not.
    fn reference(&self, kind: Kind, what: &str, linked: &Option<String>) -> Result<String, String> {
        match linked {
            None => Err(format!(
                "tokenleader links no {what} to it (each {what} belongs to the last wfc \
                 registered with it)"
            )),
            Some(name) if self.is_available(kind, name) => Ok(name.clone()),
            Some(name) => Err(format!("its {what} {name} is not imported")),
        }
    }

    fn wfc(&self, row: &WfcRow) -> Action {
        let name = match self.name(&row.name) {
            Ok(name) => name,
            Err(skipped) => return skipped,
        };
        let parts = (|| {
            Ok::<_, String>((
                self.reference(Kind::Org, "organization", &row.org)?,
                self.reference(Kind::Ou, "org unit", &row.orgunit)?,
                self.reference(Kind::Dept, "department", &row.department)?,
            ))
        })();
        match parts {
            Ok((org, orgunit, department)) => {
                let body = json!({"name": name, "org": org, "orgunit": orgunit,
                    "department": department});
                self.create_or_present(Kind::Wfc, name, body)
            }
            Err(reason) => skip(&name, &reason),
        }
    }

    fn user(&self, row: &UserRow) -> Action {
        let name = match self.name(&row.username) {
            Ok(name) => name,
            Err(skipped) => return skipped,
        };
        match self.user_body(&name, row) {
            Ok(body) => self.create_or_present(Kind::User, name, body),
            Err(reason) => skip(&name, &reason),
        }
    }

    fn user_body(&self, name: &str, row: &UserRow) -> Result<Value, String> {
        let hash = row
            .password_hash
            .as_deref()
            .ok_or("it has no password hash")?;
        // The parse errors are fixed texts: they never quote the hash.
        WerkzeugHash::parse(hash).map_err(|e| {
            format!(
                "its password hash ({}) cannot be imported: {}",
                hash_method(hash),
                e.description()
            )
        })?;
        let email = row.email.as_deref().unwrap_or_default();
        Email::imported(email).map_err(|e| e.description().into_owned())?;
        if row.roles.is_empty() {
            return Err("it has no role (tokendealer needs at least one)".into());
        }
        let mut roles = BTreeSet::new();
        for role in &row.roles {
            if !self.is_available(Kind::Role, role) {
                return Err(format!("its role {role} is not imported"));
            }
            roles.insert(role.clone());
        }
        let wfc = match &row.wfc {
            None => {
                return Err(
                    "tokenleader holds no wfc for it (a wfc belongs to the last user \
                            registered with it; tokenleader failed this user's logins too)"
                        .into(),
                );
            }
            Some(wfc) if !self.is_available(Kind::Wfc, wfc) => {
                return Err(format!("its wfc {wfc} is not imported"));
            }
            Some(wfc) => wfc,
        };
        Ok(
            json!({"username": name, "email": email, "password_hash": hash,
            "roles": roles, "wfc": wfc}),
        )
    }

    fn service(&self, row: &ServiceRow) -> Action {
        let name = match self.name(&row.name) {
            Ok(name) => name,
            Err(skipped) => return skipped,
        };
        let Some(internal) = &row.internal else {
            return skip(
                &name,
                "it has no internal URL (tokendealer's catalog needs one)",
            );
        };
        for url in [Some(internal), row.external.as_ref(), row.admin.as_ref()]
            .into_iter()
            .flatten()
        {
            if let Err(e) = EndpointUrl::parse(url) {
                return skip(&name, &format!("{url:?}: {}", e.description()));
            }
        }
        let body = json!({"name": name, "endpoint_url_internal": internal,
            "endpoint_url_external": row.external, "endpoint_url_admin": row.admin});
        self.create_or_present(Kind::Service, name, body)
    }
}

fn skip(name: &str, reason: &str) -> Action {
    Action::Skip {
        name: name.to_owned(),
        reason: reason.to_owned(),
    }
}

/// A stored hash's method (`pbkdf2:sha256:150000`, `md5`), or `unrecognized`: never more of it.
fn hash_method(hash: &str) -> &str {
    match hash.split_once('$') {
        Some((method, _))
            if (1..=32).contains(&method.len())
                && method
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b':') =>
        {
            method
        }
        _ => "unrecognized",
    }
}

/// The fields of a planned body whose values differ from what tokendealer holds.
fn differing(kind: Kind, planned: &Value, current: &Value) -> Vec<&'static str> {
    let fields: &[&'static str] = match kind {
        Kind::Org | Kind::Ou | Kind::Dept | Kind::Role => &[],
        Kind::Wfc => &["org", "orgunit", "department"],
        Kind::User => &["email", "roles", "wfc"],
        Kind::Service => &[
            "endpoint_url_internal",
            "endpoint_url_external",
            "endpoint_url_admin",
        ],
    };
    fields
        .iter()
        .filter(|f| planned[**f] != current[**f])
        .copied()
        .collect()
}

#[cfg(test)]
mod tests;
