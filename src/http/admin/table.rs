//! The admin API's operations, each declared once: its method, its path, the access it requires,
//! the action it is recorded as in the audit trail (every write is, no read is), and its
//! handler. [`find`] matches a request against them.

use http::Method;

use super::call::Handler;
use super::{audit, clients, directory, import, keys, operators, trust};
use crate::domain::users::entries::EntryKind;
use crate::http::access::Access;
use crate::http::error::Rejection;

/// One segment of an operation's path.
#[derive(Debug, Clone, Copy)]
pub(super) enum Seg {
    /// This text exactly.
    Lit(&'static str),
    /// Any segment: the operation's parameter (a client id, a key id, a name). A path has one
    /// at most.
    Param,
    /// One of the directory's resources ([`directory::resource`]: `orgs`, `users`, …).
    Kind,
}

/// An audited operation's name in the trail.
#[derive(Debug, Clone, Copy)]
pub(super) enum Action {
    /// This name.
    Named(&'static str),
    /// The directory resource's singular, then this verb: `depts` and `add` make `dept.add`.
    OfKind(&'static str),
}

impl Action {
    /// The name, for the resource `kind` matched (the directory's operations).
    pub fn name(self, kind: Option<(&str, EntryKind)>) -> String {
        match self {
            Self::Named(name) => name.to_owned(),
            Self::OfKind(verb) => {
                let resource = kind.map_or("", |(resource, _)| resource);
                let singular = resource.strip_suffix('s').unwrap_or(resource);
                format!("{singular}.{verb}")
            }
        }
    }
}

/// What an audited operation acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// The path's parameter.
    Path,
    /// Named in the body: the handler sets it once it has read the body (a new client's id, a
    /// new user's name, the algorithm rotated).
    Body,
}

#[derive(Debug)]
pub(super) struct Audit {
    pub action: Action,
    pub target: Target,
}

pub(super) struct Operation {
    pub method: Method,
    pub path: &'static [Seg],
    pub access: Access,
    pub audit: Option<Audit>,
    pub handler: Handler,
}

const fn op(
    method: Method,
    path: &'static [Seg],
    access: Access,
    audit: Option<Audit>,
    handler: Handler,
) -> Operation {
    Operation {
        method,
        path,
        access,
        audit,
        handler,
    }
}

const fn named(action: &'static str, target: Target) -> Option<Audit> {
    Some(Audit {
        action: Action::Named(action),
        target,
    })
}

const fn of_kind(verb: &'static str, target: Target) -> Option<Audit> {
    Some(Audit {
        action: Action::OfKind(verb),
        target,
    })
}

/// A handler, `async fn(Call<'_>) -> Answer`, as a row holds it.
macro_rules! run {
    ($handler:path) => {
        |call| Box::pin($handler(call))
    };
}

use Access::{Admin, UserListing};
use Method as M;
use Seg::{Kind, Lit, Param};
use Target::{Body, Path};

/// Every admin operation, one a line.
#[rustfmt::skip]
pub(super) const OPERATIONS: &[Operation] = &[
    // Clients.
    op(M::GET, &[Lit("clients")], Admin, None, run!(clients::list)),
    op(M::POST, &[Lit("clients")], Admin, named("client.add", Body), run!(clients::add)),
    op(M::GET, &[Lit("clients"), Param], Admin, None, run!(clients::show)),
    op(M::DELETE, &[Lit("clients"), Param], Admin, named("client.remove", Path), run!(clients::remove)),
    op(M::POST, &[Lit("clients"), Param, Lit("rotate-secret")], Admin, named("client.rotate_secret", Path), run!(clients::rotate_secret)),
    op(M::PUT, &[Lit("clients"), Param, Lit("jwks")], Admin, named("client.set_jwks", Path), run!(clients::set_jwks)),
    op(M::POST, &[Lit("clients"), Param, Lit("disable")], Admin, named("client.disable", Path), run!(clients::disable)),
    op(M::POST, &[Lit("clients"), Param, Lit("enable")], Admin, named("client.enable", Path), run!(clients::enable)),
    op(M::PUT, &[Lit("clients"), Param, Lit("dpop")], Admin, named("client.set_dpop", Path), run!(clients::set_dpop)),
    // Signing keys.
    op(M::GET, &[Lit("keys")], Admin, None, run!(keys::list)),
    op(M::POST, &[Lit("keys"), Lit("rotate")], Admin, named("key.rotate", Body), run!(keys::rotate)),
    op(M::POST, &[Lit("keys"), Param, Lit("retire")], Admin, named("key.retire", Path), run!(keys::retire)),
    // The audit trail.
    op(M::GET, &[Lit("audit")], Admin, None, run!(audit::recent)),
    // The directory: users (listed also for the roles in `users.user_list_roles`), then every
    // resource alike.
    op(M::GET, &[Lit("users")], UserListing, None, run!(directory::list)),
    op(M::POST, &[Lit("users"), Param, Lit("password")], Admin, named("user.set_password", Path), run!(directory::set_password)),
    op(M::GET, &[Kind], Admin, None, run!(directory::list)),
    op(M::POST, &[Kind], Admin, of_kind("add", Body), run!(directory::add)),
    op(M::GET, &[Kind, Param], Admin, None, run!(directory::show)),
    op(M::DELETE, &[Kind, Param], Admin, of_kind("remove", Path), run!(directory::remove)),
    op(M::POST, &[Lit("import"), Lit("tokenleader"), Lit("users")], Admin, named("user.import", Body), run!(import::user)),
    // The console's operators.
    op(M::GET, &[Lit("operators")], Admin, None, run!(operators::list)),
    op(M::POST, &[Lit("operators")], Admin, named("operator.add", Body), run!(operators::add)),
    op(M::DELETE, &[Lit("operators"), Param], Admin, named("operator.remove", Path), run!(operators::remove)),
    op(M::POST, &[Lit("operators"), Param, Lit("password")], Admin, named("operator.set_password", Path), run!(operators::set_password)),
    // Trusted external issuers (workload identity federation).
    op(M::GET, &[Lit("trust")], Admin, None, run!(trust::list)),
    op(M::POST, &[Lit("trust")], Admin, named("trust.add", Body), run!(trust::add)),
    op(M::GET, &[Lit("trust"), Param], Admin, None, run!(trust::show)),
    op(M::DELETE, &[Lit("trust"), Param], Admin, named("trust.remove", Path), run!(trust::remove)),
];

/// A request's row, with the path's parameter and the directory resource it names.
pub(super) struct Matched<'a> {
    pub operation: &'static Operation,
    pub param: &'a str,
    pub kind: Option<(&'static str, EntryKind)>,
}

/// The first row for `method` whose path is `segments`; `Err` is a 404, or a 405 naming the
/// methods the path takes.
pub(super) fn find<'a>(method: &Method, segments: &'a [String]) -> Result<Matched<'a>, Rejection> {
    let mut allowed = Allowed::default();
    for operation in OPERATIONS {
        let Some(matched) = path_matches(operation, segments) else {
            continue;
        };
        if operation.method == method {
            return Ok(matched);
        }
        allowed.add(&operation.method);
    }
    match allowed.header() {
        Some(allow) => Err(Rejection::MethodNotAllowed(allow)),
        None => Err(Rejection::NotFound),
    }
}

fn path_matches<'a>(operation: &'static Operation, segments: &'a [String]) -> Option<Matched<'a>> {
    if operation.path.len() != segments.len() {
        return None;
    }
    let mut matched = Matched {
        operation,
        param: "",
        kind: None,
    };
    for (seg, given) in operation.path.iter().zip(segments) {
        match seg {
            Seg::Lit(text) if text == given => {}
            Seg::Lit(_) => return None,
            Seg::Param => matched.param = given,
            Seg::Kind => matched.kind = Some(directory::resource(given)?),
        }
    }
    Some(matched)
}

/// The methods a path takes, for a 405's `Allow` (in GET, POST, DELETE order).
#[derive(Default)]
struct Allowed {
    get: bool,
    post: bool,
    delete: bool,
}

impl Allowed {
    fn add(&mut self, method: &Method) {
        match *method {
            Method::GET => self.get = true,
            Method::POST => self.post = true,
            Method::DELETE => self.delete = true,
            _ => {}
        }
    }

    fn header(&self) -> Option<&'static str> {
        Some(match (self.get, self.post, self.delete) {
            (false, false, false) => return None,
            (true, false, false) => "GET",
            (false, true, false) => "POST",
            (false, false, true) => "DELETE",
            (true, true, false) => "GET, POST",
            (true, false, true) => "GET, DELETE",
            (false, true, true) => "POST, DELETE",
            (true, true, true) => "GET, POST, DELETE",
        })
    }
}

#[cfg(test)]
mod tests;
