use super::*;
use crate::domain::users::entries::{NamedRecord, OrgRecord, RoleRecord};

fn named(name: &str) -> NamedRecord {
    NamedRecord {
        id: 1,
        name: name.into(),
        created_at: 0,
    }
}

fn user(role: &str) -> UserRecord {
    UserRecord {
        id: 2,
        username: "alice".into(),
        email: "a@b".into(),
        password_phc: "$argon2id$...".into(),
        roles: vec![role.into()],
        wfc: "w".into(),
        created_at: 0,
    }
}

#[tokio::test]
async fn a_record_that_refers_to_a_missing_entry_is_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let users = UserStore::open(&Store::open(dir.path()).unwrap()).unwrap();
    users
        .insert(RoleRecord::from(named("ops")).into_entry())
        .await
        .unwrap();
    assert_eq!(
        users.insert(user("ops").into_entry()).await.unwrap(),
        Inserted::Missing(EntryKind::Wfc, "w".into())
    );
    assert!(users.get(EntryKind::User, "alice").unwrap().is_none());
}

#[tokio::test]
async fn an_entry_in_use_is_kept_and_a_free_one_removed() {
    let dir = tempfile::tempdir().unwrap();
    let users = UserStore::open(&Store::open(dir.path()).unwrap()).unwrap();
    for org in ["acme", "other"] {
        users
            .insert(OrgRecord::from(named(org)).into_entry())
            .await
            .unwrap();
    }
    for (kind, name) in [(EntryKind::OrgUnit, "u"), (EntryKind::Department, "d")] {
        let tree = users.tree(kind).unwrap();
        tree.insert(name, records::encode(named(name)).unwrap())
            .unwrap();
    }
    let wfc = WfcRecord {
        id: 3,
        name: "w".into(),
        org: "acme".into(),
        orgunit: "u".into(),
        department: "d".into(),
        created_at: 0,
    };
    assert_eq!(
        users.insert(wfc.clone().into_entry()).await.unwrap(),
        Inserted::Created
    );
    assert_eq!(
        users.insert(wfc.into_entry()).await.unwrap(),
        Inserted::Exists
    );
    assert_eq!(
        users.remove(EntryKind::Org, "acme").await.unwrap(),
        Removed::InUse(EntryKind::Wfc, "w".into())
    );
    assert_eq!(
        users.remove(EntryKind::Org, "other").await.unwrap(),
        Removed::Removed
    );
    assert_eq!(
        users.remove(EntryKind::Org, "other").await.unwrap(),
        Removed::NotFound
    );
    assert!(users.get(EntryKind::Org, "acme").unwrap().is_some());
}
