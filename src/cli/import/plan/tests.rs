use super::*;

const HASH: &str = "pbkdf2:sha256:150000$PrG6xQZS$f8033bb50884a12a2edb534466288788d309617c71179d24cfecdccda7dbfa31";

fn named(name: &str) -> NamedRow {
    NamedRow {
        name: Some(name.into()),
    }
}

fn some(s: &str) -> Option<String> {
    Some(s.into())
}

/// tokenleader's documented setup: org1, ou1, dept1, wfc1, role1, user1, service tokenleader.
fn docs_db() -> TokenleaderDb {
    TokenleaderDb {
        orgs: vec![named("org1")],
        ous: vec![named("ou1")],
        depts: vec![named("dept1")],
        roles: vec![named("role1")],
        wfcs: vec![WfcRow {
            name: some("wfc1"),
            org: some("org1"),
            orgunit: some("ou1"),
            department: some("dept1"),
        }],
        users: vec![UserRow {
            username: some("user1"),
            email: some("user1"),
            password_hash: some(HASH),
            roles: vec!["role1".into()],
            wfc: some("wfc1"),
        }],
        services: vec![ServiceRow {
            name: some("tokenleader"),
            internal: some("localhost:5001"),
            external: None,
            admin: None,
        }],
    }
}

fn actions(plan: &Plan, kind: Kind) -> &[Action] {
    &plan.iter().find(|(k, _)| *k == kind).unwrap().1
}

fn skip_reason(plan: &Plan, kind: Kind, name: &str) -> String {
    actions(plan, kind)
        .iter()
        .find_map(|a| match a {
            Action::Skip { name: n, reason } if n == name => Some(reason.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{name} is not skipped: {:?}", actions(plan, kind)))
}

#[test]
fn the_documented_setup_is_created_in_dependency_order() {
    let plan = plan(&docs_db(), &Existing::new());
    let kinds: Vec<Kind> = plan.iter().map(|(k, _)| *k).collect();
    assert_eq!(kinds, Kind::ALL);
    let Action::Create { body, .. } = &actions(&plan, Kind::User)[0] else {
        panic!("user1 is not created");
    };
    assert_eq!(
        body,
        &json!({"username": "user1", "email": "user1", "password_hash": HASH,
            "roles": ["role1"], "wfc": "wfc1"})
    );
    let Action::Create { body, .. } = &actions(&plan, Kind::Service)[0] else {
        panic!("the service is not created");
    };
    assert_eq!(body["endpoint_url_internal"], "localhost:5001");
    assert_eq!(body["endpoint_url_external"], Value::Null);
}

#[test]
fn entries_tokendealer_has_are_left_and_their_differences_named() {
    let mut existing = Existing::new();
    for kind in Kind::ALL {
        existing.entry(kind).or_default();
    }
    let add = |existing: &mut Existing, kind, name: &str, value| {
        existing.get_mut(&kind).unwrap().insert(name.into(), value);
    };
    add(&mut existing, Kind::Org, "org1", json!({"name": "org1"}));
    add(&mut existing, Kind::Role, "role1", json!({"name": "role1"}));
    let user =
        json!({"username": "user1", "email": "u@x.example", "roles": ["role1"], "wfc": "wfc1"});
    add(&mut existing, Kind::User, "user1", user);
    let plan = plan(&docs_db(), &existing);
    assert_eq!(
        actions(&plan, Kind::Org),
        [Action::Present {
            name: "org1".into(),
            differs: vec![]
        }]
    );
    assert_eq!(
        actions(&plan, Kind::User),
        [Action::Present {
            name: "user1".into(),
            differs: vec!["email"]
        }]
    );
    assert!(matches!(actions(&plan, Kind::Ou)[0], Action::Create { .. }));
}

#[test]
fn a_wfc_or_user_that_lost_its_link_in_tokenleader_is_skipped_with_the_reason() {
    let mut db = docs_db();
    // A second wfc registered with org1/ou1/dept1 took them; a second user with wfc1 took it.
    db.wfcs.insert(
        0,
        WfcRow {
            name: some("wfc0"),
            org: None,
            orgunit: None,
            department: None,
        },
    );
    db.users.insert(
        0,
        UserRow {
            username: some("carol"),
            email: some("carol@x.example"),
            password_hash: some(HASH),
            roles: vec!["role1".into()],
            wfc: None,
        },
    );
    let plan = plan(&db, &Existing::new());
    assert!(skip_reason(&plan, Kind::Wfc, "wfc0").contains("no organization"));
    assert!(skip_reason(&plan, Kind::User, "carol").contains("no wfc"));
    assert!(matches!(
        actions(&plan, Kind::User)[1],
        Action::Create { .. }
    ));
}

#[test]
fn names_hashes_and_urls_tokendealer_cannot_take_are_skipped_and_so_is_what_needs_them() {
    let mut db = docs_db();
    db.roles.push(named("role two"));
    db.users.push(UserRow {
        username: some("dora"),
        email: some("dora"),
        password_hash: some(HASH),
        roles: vec!["role1".into(), "role two".into()],
        wfc: some("wfc1"),
    });
    db.users.push(UserRow {
        username: some("eve"),
        email: None,
        password_hash: some("plain$$hunter2"),
        roles: vec!["role1".into()],
        wfc: some("wfc1"),
    });
    db.users.push(UserRow {
        username: some("fred"),
        email: None,
        password_hash: some("hunter2"),
        roles: vec![],
        wfc: some("wfc1"),
    });
    db.users.push(UserRow {
        username: some("gus"),
        email: None,
        password_hash: some(&HASH.replacen(":150000$", ":2000000$", 1)),
        roles: vec!["role1".into()],
        wfc: some("wfc1"),
    });
    db.services.push(ServiceRow {
        name: some("s2"),
        internal: None,
        external: some("x:1"),
        admin: None,
    });
    db.services.push(ServiceRow {
        name: some("s3"),
        internal: some("bad url"),
        external: None,
        admin: None,
    });
    let plan = plan(&db, &Existing::new());
    assert!(skip_reason(&plan, Kind::Role, "role two").contains("1-64 characters"));
    assert!(skip_reason(&plan, Kind::User, "dora").contains("role role two is not imported"));
    let eve = skip_reason(&plan, Kind::User, "eve");
    assert!(eve.contains("(plain)") && !eve.contains("hunter2"), "{eve}");
    let fred = skip_reason(&plan, Kind::User, "fred");
    assert!(
        fred.contains("(unrecognized)") && !fred.contains("hunter2"),
        "{fred}"
    );
    let gus = skip_reason(&plan, Kind::User, "gus");
    assert!(
        gus.contains("(pbkdf2:sha256:2000000)") && gus.contains("more than 1,000,000"),
        "{gus}"
    );
    assert!(skip_reason(&plan, Kind::Service, "s2").contains("no internal URL"));
    assert!(skip_reason(&plan, Kind::Service, "s3").contains("spaces"));
}

#[test]
fn a_null_email_is_kept_as_an_empty_one() {
    let mut db = docs_db();
    db.users[0].email = None;
    let plan = plan(&db, &Existing::new());
    let Action::Create { body, .. } = &actions(&plan, Kind::User)[0] else {
        panic!("user1 is not created");
    };
    assert_eq!(body["email"], "");
}
