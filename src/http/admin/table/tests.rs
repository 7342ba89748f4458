//! The admin table's unit tests: the audit names as the trail has always had them, and the
//! answers for paths no row takes.

use super::*;

fn segments(path: &str) -> Vec<String> {
    path.split('/').map(str::to_owned).collect()
}

/// The action and target a request is recorded with (a target from the body is `None` here).
fn named(method: Method, path: &str) -> Option<(String, Option<String>)> {
    let segments = segments(path);
    let matched = find(&method, &segments).ok()?;
    let audit = matched.operation.audit.as_ref()?;
    let target = (audit.target == Target::Path).then(|| matched.param.to_owned());
    Some((audit.action.name(matched.kind), target))
}

#[test]
fn every_write_is_an_action_and_no_read_is() {
    let some = |a: &str, t: Option<&str>| Some((a.to_owned(), t.map(str::to_owned)));
    assert_eq!(named(Method::POST, "clients"), some("client.add", None));
    assert_eq!(
        named(Method::POST, "clients/svc/disable"),
        some("client.disable", Some("svc"))
    );
    assert_eq!(named(Method::DELETE, "ous/x"), some("ou.remove", Some("x")));
    assert_eq!(named(Method::POST, "depts"), some("dept.add", None));
    assert_eq!(
        named(Method::POST, "users/bob/password"),
        some("user.set_password", Some("bob"))
    );
    assert_eq!(named(Method::GET, "clients"), None);
    assert_eq!(named(Method::GET, "users/bob"), None);
    assert_eq!(named(Method::GET, "keys"), None);
    for operation in OPERATIONS {
        let reads = operation.method == Method::GET;
        assert_eq!(operation.audit.is_none(), reads, "{:?}", operation.path);
    }
}

#[test]
fn a_path_has_one_parameter_at_most() {
    for operation in OPERATIONS {
        let count = |which: fn(&Seg) -> bool| operation.path.iter().filter(|s| which(s)).count();
        assert!(
            count(|s| matches!(s, Seg::Param)) <= 1,
            "{:?}",
            operation.path
        );
        assert!(
            count(|s| matches!(s, Seg::Kind)) <= 1,
            "{:?}",
            operation.path
        );
    }
}

#[test]
fn a_known_path_with_another_method_is_405_with_the_methods_it_takes() {
    let allow = |method: Method, path: &str| match find(&method, &segments(path)) {
        Err(Rejection::MethodNotAllowed(allow)) => Some(allow),
        _ => None,
    };
    assert_eq!(allow(Method::PUT, "clients"), Some("GET, POST"));
    assert_eq!(allow(Method::POST, "clients/x"), Some("GET, DELETE"));
    assert_eq!(allow(Method::GET, "clients/x/disable"), Some("POST"));
    assert_eq!(allow(Method::DELETE, "keys"), Some("GET"));
    assert_eq!(allow(Method::GET, "keys/rotate"), Some("POST"));
    assert_eq!(allow(Method::PUT, "users"), Some("GET, POST"));
    assert_eq!(allow(Method::GET, "users/x/password"), Some("POST"));
    assert_eq!(allow(Method::GET, "operators/x"), Some("DELETE"));
    assert_eq!(allow(Method::GET, "import/tokenleader/users"), Some("POST"));
    assert!(matches!(
        find(&Method::POST, &segments("orgs/x/password")),
        Err(Rejection::NotFound)
    ));
    assert!(matches!(
        find(&Method::GET, &segments("nothing")),
        Err(Rejection::NotFound)
    ));
}
