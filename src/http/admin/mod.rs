//! The admin API under `/admin/`: clients, keys, the directory, console operators, the import
//! and the audit trail, for bearer tokens with the admin scope. Each operation is one row of
//! [`table::OPERATIONS`]; [`dispatch`] finds the request's row, applies the access it declares,
//! runs its handler and records the action it names in the audit trail.

mod audit;
mod call;
mod clients;
mod directory;
mod import;
mod keys;
mod operators;
mod table;
mod trust;

use http::Request;
use hyper::body::Incoming;

use super::access::{Access, authorize};
use super::error::Rejection;
use super::request::decode_segments;
use super::state::AppState;
use crate::domain::UnixTime;
use call::{Answer, Call};
use table::{Matched, Target};

/// Answers a request under `/admin/`: the route table's `/admin/` row hands every one here.
pub(super) async fn dispatch(state: &AppState, req: Request<Incoming>, now: UnixTime) -> Answer {
    let segments = decode_segments(req.uri().path().strip_prefix("/admin/").unwrap_or_default());
    let found = match &segments {
        Some(segments) => table::find(req.method(), segments),
        None => Err(Rejection::NotFound),
    };
    // A request no row takes is refused as every operation but one would refuse it: without
    // an admin token, 401 or 403 before the 404 or 405, which would tell what exists.
    let access = found.as_ref().map_or(Access::Admin, |m| m.operation.access);
    let caller = authorize(access, state, &req, now).await?;
    let Matched {
        operation,
        param,
        kind,
    } = found?;
    // Every access an admin row declares yields the caller's claims.
    let caller = caller.ok_or(Rejection::NotFound)?;
    let mut target = match &operation.audit {
        Some(audit) if audit.target == Target::Path => Some(param.to_owned()),
        _ => None,
    };
    let audited = operation.audit.as_ref().map(|audit| {
        let origin = super::peer::origin(req.extensions());
        (audit.action.name(kind), origin)
    });
    let call = Call {
        state,
        req,
        param,
        kind: kind.map(|(_, kind)| kind),
        caller: &caller,
        now,
        target: &mut target,
    };
    let result = (operation.handler)(call).await;
    if let Some((action, origin)) = audited {
        audit::record(state, action, target, &caller, &origin, &result, now);
    }
    result
}

/// The audit trail's name of the admin operation `method` on `path` (its segments under
/// `/admin/`; a parameter matches any value), as its row in [`table::OPERATIONS`] declares it:
/// the console records the same operations under the same names. `None`: no audited row.
pub(super) fn audited_action(method: &http::Method, path: &[&str]) -> Option<String> {
    let segments: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
    let matched = table::find(method, &segments).ok()?;
    let audit = matched.operation.audit.as_ref()?;
    Some(audit.action.name(matched.kind))
}

/// The access the admin table declares for `path` (under `/admin/`) and `method`: what
/// [`dispatch`] applies.
#[cfg(test)]
pub(super) fn declared_access(path: &str, method: &http::Method) -> Access {
    decode_segments(path.strip_prefix("/admin/").unwrap_or_default())
        .and_then(|segments| {
            table::find(method, &segments)
                .ok()
                .map(|m| m.operation.access)
        })
        .unwrap_or(Access::Admin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    #[test]
    fn the_listing_of_users_alone_takes_more_than_an_admin_token() {
        let access = |path, method| declared_access(path, &method);
        assert_eq!(access("/admin/users", Method::GET), Access::UserListing);
        assert_eq!(access("/admin/users/", Method::GET), Access::UserListing);
        assert_eq!(access("/admin/users", Method::POST), Access::Admin);
        assert_eq!(access("/admin/users/bob", Method::GET), Access::Admin);
        assert_eq!(access("/admin/clients", Method::GET), Access::Admin);
        assert_eq!(access("/admin/nothing", Method::GET), Access::Admin);
    }
}
