//! `tokendealer import tokenleader`: a tokenleader 1.8 database carried over, passwords and all.

use std::path::{Path, PathBuf};

use reqwest::Method;
use serde_json::{Value, json};
use tempfile::TempDir;

use super::Directory;
use crate::cli::cli_fed as cli;
use crate::helpers::{TestApp, spawn_app, spawn_with};

/// The fixture database, written into a fresh temporary dir.
fn tokenleader_db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.db");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(include_str!("tokenleader_1_8.sql"))
        .unwrap();
    (dir, path)
}

async fn import(app: &TestApp, db: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["import", "tokenleader", "--sqlite", db.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = cli(app, &args, "").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON document")
}

fn names(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect()
}

fn skipped(summary: &Value, kind: &str) -> Vec<(String, String)> {
    summary[kind]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let field = |k: &str| s[k].as_str().unwrap().to_owned();
            (field("name"), field("reason"))
        })
        .collect()
}

async fn scheme(app: &TestApp, username: &str) -> String {
    let r = app
        .admin(Method::GET, &format!("/admin/users/{username}"), None)
        .await;
    let user: Value = r.json().await.unwrap();
    user["password_scheme"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_tokenleader_database_is_imported_once_and_its_users_log_in_with_their_passwords() {
    let app = spawn_app().await;
    let (_dir, db) = tokenleader_db();

    let dry = import(&app, &db, &["--dry-run"]).await;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        names(&dry["users"]["would_create"]),
        ["user1", "alice", "carol"]
    );
    assert!(dry["users"].get("created").is_none());
    let r = app.admin(Method::GET, "/admin/users", None).await;
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!([]),
        "a dry run writes nothing"
    );

    let first = import(&app, &db, &[]).await;
    assert_eq!(
        first["message"],
        "created 19 entries; 5 skipped (see \"skipped\")"
    );
    assert_eq!(names(&first["orgs"]["created"]), ["org1", "org2", "org3"]);
    assert_eq!(names(&first["roles"]["created"]), ["role1", "ops"]);
    assert_eq!(names(&first["wfcs"]["created"]), ["wfc1", "wfc2", "wfc3"]);
    assert_eq!(
        names(&first["users"]["created"]),
        ["user1", "alice", "carol"]
    );
    assert_eq!(
        names(&first["services"]["created"]),
        ["tokenleader", "micros1"]
    );
    let users = skipped(&first, "users");
    assert_eq!(users[0].0, "bob");
    assert!(users[0].1.contains("no wfc"), "{}", users[0].1);
    assert_eq!(users[1].0, "dora");
    assert!(users[1].1.contains("role role two is not imported"));
    let wfcs: Vec<String> = skipped(&first, "wfcs").into_iter().map(|s| s.0).collect();
    assert_eq!(wfcs, ["wfc0", "wfc5"]);
    assert_eq!(skipped(&first, "roles")[0].0, "role two");

    // tokenleader's documented user, with tokenleader's documented password and email.
    assert_eq!(scheme(&app, "user1").await, "werkzeug");
    let r = app.gettoken("user1", "user1").await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["service_catalog"]["tokenleader"]["endpoint_url_internal"],
        "localhost:5001"
    );
    assert_eq!(
        body["service_catalog"]["micros1"]["endpoint_url_admin"],
        "admin.example:5002/admin"
    );
    let (status, verified) = app.verify_token(body["auth_token"].as_str().unwrap()).await;
    assert_eq!(status, 201);
    assert_eq!(verified["payload"]["sub"]["email"], "user1");
    assert_eq!(verified["payload"]["sub"]["wfc"]["org"], "org1");
    // The first good login replaced the Werkzeug hash with argon2id; the password still works.
    assert_eq!(scheme(&app, "user1").await, "argon2id");
    assert_eq!(app.gettoken("user1", "user1").await.status(), 201);

    // The password grant, for an older Werkzeug's pbkdf2:sha1 hash.
    let secret = app.register_client("portal", &["password"]).await;
    let r = app
        .password_grant(("portal", &secret), "alice", "correct horse")
        .await;
    assert_eq!(r.status(), 200);
    let token: Value = r.json().await.unwrap();
    let claims = crate::helpers::claims_of(token["access_token"].as_str().unwrap());
    assert_eq!(claims["roles"], json!(["ops", "role1"]));
    assert_eq!(scheme(&app, "alice").await, "argon2id");

    // A wrong password is refused and leaves the Werkzeug hash in place.
    assert_eq!(app.gettoken("carol", "Passwort").await.status(), 401);
    assert_eq!(scheme(&app, "carol").await, "werkzeug");
    // tokenleader hashed "Pässwörd" as typed (NFC): it is checked once, as presented, so typed
    // decomposed it does not match, as in tokenleader.
    assert_eq!(
        app.gettoken("carol", "Pa\u{308}sswo\u{308}rd")
            .await
            .status(),
        401
    );
    assert_eq!(
        app.gettoken("carol", "P\u{e4}ssw\u{f6}rd").await.status(),
        201
    );
    // Rehashed as argon2id of the normalized form: from now on both spellings match.
    assert_eq!(scheme(&app, "carol").await, "argon2id");
    assert_eq!(
        app.gettoken("carol", "Pa\u{308}sswo\u{308}rd")
            .await
            .status(),
        201
    );

    let second = import(&app, &db, &[]).await;
    assert_eq!(
        second["message"],
        "nothing changed: everything importable was already present; 5 skipped (see \"skipped\")"
    );
    for kind in ["orgs", "ous", "depts", "roles", "wfcs", "users", "services"] {
        assert_eq!(second[kind]["created"], json!([]), "{kind}");
        assert!(second[kind].get("different").is_none(), "{kind}");
    }
    assert_eq!(
        names(&second["users"]["already_present"]),
        ["user1", "alice", "carol"]
    );
}

#[tokio::test]
async fn imported_catalog_urls_other_than_http_https_or_host_port_are_skipped_by_name() {
    let app = spawn_app().await;
    let (_dir, db) = tokenleader_db();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "INSERT INTO service_catalog VALUES(3,'evil',NULL,'javascript:alert(1)',NULL,NULL);
             INSERT INTO service_catalog VALUES(4,'sneaky',NULL,'http://ok.example',
                 'data:text/html,<script>alert(1)</script>',NULL);",
        )
        .unwrap();
    let summary = import(&app, &db, &[]).await;
    assert_eq!(
        names(&summary["services"]["created"]),
        ["tokenleader", "micros1"]
    );
    let services = skipped(&summary, "services");
    let names_skipped: Vec<&str> = services.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names_skipped, ["evil", "sneaky"]);
    assert!(
        services[0].1.contains("javascript: is refused"),
        "{}",
        services[0].1
    );
    assert!(
        services[1].1.contains("data: is refused"),
        "{}",
        services[1].1
    );
    let r = app.gettoken("user1", "user1").await;
    let body: Value = r.json().await.unwrap();
    let catalog = body["service_catalog"].as_object().unwrap();
    assert!(!catalog.contains_key("evil") && !catalog.contains_key("sneaky"));
}

#[tokio::test]
async fn an_imported_user_is_locked_out_like_any_other() {
    let app = spawn_with(|s| s.users.max_failures_per_user = 2).await;
    let (_dir, db) = tokenleader_db();
    import(&app, &db, &[]).await;
    for _ in 0..2 {
        assert_eq!(app.gettoken("user1", "wrong").await.status(), 401);
    }
    assert_eq!(app.gettoken("user1", "user1").await.status(), 429);
    assert_eq!(scheme(&app, "user1").await, "werkzeug");
}

#[tokio::test]
async fn the_import_route_takes_a_well_formed_werkzeug_hash_from_an_admin_and_nothing_else() {
    let app = spawn_app().await;
    app.seed().await;
    let path = "/admin/import/tokenleader/users";
    let user = |hash: &str| {
        json!({"username": "zed", "email": "zed", "password_hash": hash, "roles": ["ops"],
            "wfc": "acme-eng"})
    };
    let werkzeug = "pbkdf2:sha256:150000$PrG6xQZS$f8033bb50884a12a2edb534466288788d309617c71179d24cfecdccda7dbfa31";
    for not_a_hash in [
        "user1",
        "plain$$user1",
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
    ] {
        let r = app.admin(Method::POST, path, Some(user(not_a_hash))).await;
        assert_eq!(r.status(), 400, "{not_a_hash}");
    }
    let anonymous = app
        .http
        .post(app.url(path))
        .json(&user(werkzeug))
        .send()
        .await;
    assert_eq!(anonymous.unwrap().status(), 401);
    let alice = app.legacy_token("alice").await;
    let r = app
        .admin_as(&alice, Method::POST, path, Some(user(werkzeug)))
        .await;
    assert_eq!(r.status(), 401);

    let r = app.admin(Method::POST, path, Some(user(werkzeug))).await;
    assert_eq!(r.status(), 201);
    assert_eq!(app.gettoken("zed", "user1").await.status(), 201);
    // New users still need an address: only imported ones keep tokenleader's email field.
    let new = json!({"username": "yan", "email": "yan", "password": "long enough",
        "roles": ["ops"], "wfc": "acme-eng"});
    assert_eq!(app.create("users", new).await.status(), 400);
}

#[tokio::test]
async fn min_password_length_governs_new_passwords() {
    let user1 = json!({"username": "user1", "email": "user1@acme.example", "password": "user1",
        "roles": ["ops"], "wfc": "acme-eng"});
    let strict = spawn_app().await;
    strict.seed().await;
    assert_eq!(strict.create("users", user1.clone()).await.status(), 400);
    let lenient = spawn_with(|s| s.users.min_password_length = 5).await;
    lenient.seed().await;
    assert_eq!(lenient.create("users", user1).await.status(), 201);
    assert_eq!(lenient.gettoken("user1", "user1").await.status(), 201);
}
